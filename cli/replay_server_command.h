#ifndef TARMAC_CLI_REPLAY_SERVER_COMMAND_H_
#define TARMAC_CLI_REPLAY_SERVER_COMMAND_H_

#include "command.h"

namespace tarmac::cli {

// `tarmac replay-server [--port P] [--dir D] [--appendonly yes|no]`: becomes a redis-server with
// the tarmac_replay module loaded (exec, so signals and exit codes are Redis's own). The
// password, if any, comes from $TARMAC_REDIS_PASSWORD, never from a file or a flag.
class ReplayServerCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPLAY_SERVER_COMMAND_H_
