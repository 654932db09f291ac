#ifndef TARMAC_CLI_EVAL_COMMAND_H_
#define TARMAC_CLI_EVAL_COMMAND_H_

#include <string>
#include <vector>

#include "command.h"

namespace tarmac::cli {

// `tarmac eval --policy P [--policy P2 ...] [--baseline P] --suite F [--log-episodes] [--out DIR]`:
// runs every policy and the expert on every seed of a scenario suite (the same scenarios for
// all), prints the per-family table with intervals and the paired differences from the
// baseline (the expert when there is none and one policy; the first policy when there are
// several), and writes report.json and report.html; with --log-episodes the episode logs under
// DIR/episodes (what `tarmac mine` reads; one directory per policy when there are several).
class EvalCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::vector<std::string> policies_;
  std::string baseline_;
  std::string suite_;
  std::string out_ = "eval-report";
  bool log_episodes_ = false;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EVAL_COMMAND_H_
