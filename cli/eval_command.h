#ifndef TARMAC_CLI_EVAL_COMMAND_H_
#define TARMAC_CLI_EVAL_COMMAND_H_

#include <string>

#include "command.h"

namespace tarmac::cli {

// `tarmac eval --policy expert|DIR --suite F [--out DIR]`: runs the policy and the expert on
// every seed of a scenario suite and writes report.json and report.html.
class EvalCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::string policy_ = "expert";
  std::string suite_;
  std::string out_ = "eval-report";
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EVAL_COMMAND_H_
