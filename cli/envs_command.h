#ifndef TARMAC_CLI_ENVS_COMMAND_H_
#define TARMAC_CLI_ENVS_COMMAND_H_

#include "command.h"

namespace tarmac::cli {

// `tarmac envs`: every registered environment with its observation and action sizes.
class EnvsCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_ENVS_COMMAND_H_
