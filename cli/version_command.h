#ifndef TARMAC_CLI_VERSION_COMMAND_H_
#define TARMAC_CLI_VERSION_COMMAND_H_

#include "command.h"

namespace tarmac::cli {

// `tarmac version [--json]`: version, git hash, build type and the backends built in.
class VersionCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  bool json_ = false;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_VERSION_COMMAND_H_
