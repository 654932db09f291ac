#ifndef TARMAC_CLI_EXIT_CODES_H_
#define TARMAC_CLI_EXIT_CODES_H_

namespace tarmac::cli {

// Exit codes of every subcommand, as the README documents them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // the work failed at run time
inline constexpr int kExitUsage = 2;          // bad flags, config or input: nothing was done
inline constexpr int kExitGateFailed = 3;     // `tarmac compare --gate`: a gate failed
inline constexpr int kExitInterrupted = 130;  // stopped by SIGINT/SIGTERM after a clean shutdown

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EXIT_CODES_H_
