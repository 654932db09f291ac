#ifndef TARMAC_CLI_MINE_COMMAND_H_
#define TARMAC_CLI_MINE_COMMAND_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "command.h"
#include "tarmac/analysis/mining.h"

namespace tarmac::cli {

// `tarmac mine SOURCE... | --redis URL [--behaviours F] [--export-suite F] [--out DIR]`: finds
// the behaviours
// of a behaviours file (the built-in configs/behaviours.yaml by default) in episode logs, and
// writes their rates with 95 % intervals, broken down by family, parameter bin and policy
// version, and the worst cases, to DIR/mine.json and DIR/mine.html; the table goes to the
// terminal too. --export-suite writes a suite that drives every mined case again. Every input
// is checked before anything is written. --redis reads the summaries of the newest --last
// training episodes from tarmac:episodes instead (counts only: no cases to plot or export).
// --metrics lists the metrics predicates may name.
class MineCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  // The analysed episodes among the newest last_ entries of tarmac:episodes at redis_.
  absl::StatusOr<std::vector<analysis::MinedEpisode>> MineStream(
      const std::vector<analysis::Behaviour>& behaviours) const;

  std::vector<std::string> sources_;
  std::string behaviours_;
  std::string export_suite_;
  std::string out_ = "mine-report";
  std::size_t worst_ = 10;
  bool list_metrics_ = false;
  std::string redis_;
  std::size_t last_ = 10000;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_MINE_COMMAND_H_
