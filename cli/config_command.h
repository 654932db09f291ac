#ifndef TARMAC_CLI_CONFIG_COMMAND_H_
#define TARMAC_CLI_CONFIG_COMMAND_H_

#include "command.h"

namespace tarmac::cli {

// `tarmac config [--config F] [--set k=v]`: prints the merged configuration with the origin of
// every value; `--keys` lists every key with its type and help instead.
class ConfigCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  bool keys_ = false;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_CONFIG_COMMAND_H_
