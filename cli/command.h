#ifndef TARMAC_CLI_COMMAND_H_
#define TARMAC_CLI_COMMAND_H_

#include <CLI/CLI.hpp>
#include <ostream>

#include "flag_bindings.h"
#include "tarmac/cli/config.h"

namespace tarmac::cli {

struct CommandContext {
  const Config& config;  // defaults, then --config, then flags
  std::ostream& out;     // results and progress
  std::ostream& err;     // one-sentence errors
};

// A `tarmac` subcommand. Register adds it and its flags to the app; Run does the work once the
// command line and config have been validated. Adding a subcommand: one class, one file, one
// line in app.cc.
class Command {
 public:
  virtual ~Command() = default;
  virtual CLI::App* Register(CLI::App& app, FlagBindings& flags) = 0;
  // Returns an exit code from exit_codes.h.
  virtual int Run(const CommandContext& context) = 0;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_COMMAND_H_
