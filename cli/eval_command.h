#ifndef TARMAC_CLI_EVAL_COMMAND_H_
#define TARMAC_CLI_EVAL_COMMAND_H_

#include <string>

#include "command.h"

namespace tarmac::cli {

// `tarmac eval --policy expert|DIR --suite F [--log-episodes] [--out DIR]`: runs the policy and
// the expert on every seed of a scenario suite and writes report.json and report.html, and with
// --log-episodes the policy's episode logs under DIR/episodes (what `tarmac mine` reads).
class EvalCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::string policy_ = "expert";
  std::string suite_;
  std::string out_ = "eval-report";
  bool log_episodes_ = false;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EVAL_COMMAND_H_
