#ifndef TARMAC_CLI_APP_H_
#define TARMAC_CLI_APP_H_

#include <ostream>

namespace tarmac::cli {

// The whole `tarmac` command line: parses argv, merges the embedded defaults, --config and
// flags, configures logging and runs the chosen subcommand. Bad input is one sentence on `err`
// and exit code 2; nothing runs then. Returns the process exit code.
int RunApp(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_APP_H_
