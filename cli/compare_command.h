#ifndef TARMAC_CLI_COMPARE_COMMAND_H_
#define TARMAC_CLI_COMPARE_COMMAND_H_

#include <string>

#include "command.h"

namespace tarmac::cli {

// `tarmac compare --a POLICY --b POLICY --suite F [--gate F] [--behaviours F] [--out DIR]`:
// both policies drive every seed of the suite (common random numbers); per family and for the
// whole suite, the paired difference B - A of every quantity and behaviour rate with a 95 %
// bootstrap interval and a sign / McNemar test, to the terminal and DIR/compare.json and
// DIR/compare.html. Exit 3 when a gate of --gate fails, 2 on bad input (nothing written).
class CompareCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::string a_;
  std::string b_;
  std::string suite_;
  std::string gate_;
  std::string behaviours_;
  std::string out_ = "compare-report";
  int resamples_ = 2000;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_COMPARE_COMMAND_H_
