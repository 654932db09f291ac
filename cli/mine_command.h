#ifndef TARMAC_CLI_MINE_COMMAND_H_
#define TARMAC_CLI_MINE_COMMAND_H_

#include <cstddef>
#include <string>
#include <vector>

#include "command.h"

namespace tarmac::cli {

// `tarmac mine SOURCE... [--behaviours F] [--export-suite F] [--out DIR]`: finds the behaviours
// of a behaviours file (the built-in configs/behaviours.yaml by default) in episode logs, and
// writes their rates with 95 % intervals, broken down by family, parameter bin and policy
// version, and the worst cases, to DIR/mine.json and DIR/mine.html; the table goes to the
// terminal too. --export-suite writes a suite that drives every mined case again. Every input
// is checked before anything is written. --metrics lists the metrics predicates may name.
class MineCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::vector<std::string> sources_;
  std::string behaviours_;
  std::string export_suite_;
  std::string out_ = "mine-report";
  std::size_t worst_ = 10;
  bool list_metrics_ = false;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_MINE_COMMAND_H_
