#ifndef TARMAC_CLI_ACTOR_COMMAND_H_
#define TARMAC_CLI_ACTOR_COMMAND_H_

#include "command.h"

namespace tarmac::cli {

// `tarmac actor --redis URL[,URL]`: one rollout process (env_batch actors, inference, writer,
// weights and heartbeat actors) until SIGTERM/SIGINT, which flushes what it holds.
class ActorCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_ACTOR_COMMAND_H_
