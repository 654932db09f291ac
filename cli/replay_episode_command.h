#ifndef TARMAC_CLI_REPLAY_EPISODE_COMMAND_H_
#define TARMAC_CLI_REPLAY_EPISODE_COMMAND_H_

#include <string>
#include <vector>

#include "command.h"

namespace tarmac::cli {

// `tarmac replay-episode FILE|DIR...`: re-runs each logged episode with its logged actions and
// checks every step comes out bit-identical. Exit 0 when all match, 1 when one differs (the
// first differing step is named), 2 when a log is missing, truncated or cannot be rebuilt.
class ReplayEpisodeCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::vector<std::string> sources_;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPLAY_EPISODE_COMMAND_H_
