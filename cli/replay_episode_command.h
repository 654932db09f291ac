#ifndef TARMAC_CLI_REPLAY_EPISODE_COMMAND_H_
#define TARMAC_CLI_REPLAY_EPISODE_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "command.h"

namespace tarmac::cli {

// `tarmac replay-episode FILE|DIR...`: re-runs each logged episode with its logged actions and
// checks every step comes out bit-identical. Exit 0 when all match, 1 when one differs (the
// first differing step is named), 2 when a log is missing, truncated or cannot be rebuilt.
// `tarmac replay-episode --family F --seed N [--policy P] [--suite FILE] [--out FILE]`: drives
// the policy on that seed (the suite's entry for the family gives the scenario ranges, else the
// config), replays the episode it recorded and checks that too, and writes its log to --out:
// a seed someone reported becomes a log to mine and plot.
class ReplayEpisodeCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  int RunSeed(const CommandContext& context) const;

  CLI::Option* seed_option_ = nullptr;
  std::vector<std::string> sources_;
  std::string family_;
  std::uint64_t seed_ = 0;
  std::string policy_ = "expert";
  std::string suite_;
  std::string out_;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPLAY_EPISODE_COMMAND_H_
