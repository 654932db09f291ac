#ifndef TARMAC_CLI_SCENARIO_COMMAND_H_
#define TARMAC_CLI_SCENARIO_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "command.h"

namespace tarmac::cli {

// `tarmac scenario export --family F --seed S --out FILE`: writes the episode the family
// generates for that seed (ranges from the config's env.scenario, or --suite's entry for the
// family) as a scenario file, and checks that the file drives the expert bit-identically.
// `tarmac scenario check FILE...`: validates scenario files and sets; each bad one is one
// sentence naming the file and the field, exit 2.
// `tarmac scenario pack SOURCE... --out FILE.scenarios`: scenario files, sets or folders of
// them into one scenario set (Cap'n Proto), for bulk loading.
// `tarmac scenario import-highd DIR --out DIR`: reads every highD recording in DIR (or
// --recording NN), cuts episodes around its interactions (or around --vehicle ID) and writes
// each as a scenario file, with import_report.json: episodes by kind, and every track's
// kinematic feasibility (share of infeasible steps, the worst tracks). A recording that does
// not read is one sentence and nothing is written.
class ScenarioCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  int Export(const CommandContext& context) const;
  int Check(const CommandContext& context) const;
  int ImportHighd(const CommandContext& context) const;
  int Pack(const CommandContext& context) const;

  CLI::App* export_ = nullptr;
  CLI::App* check_ = nullptr;
  CLI::App* import_ = nullptr;
  CLI::App* pack_ = nullptr;
  std::string highd_dir_;
  std::string recording_;
  int vehicle_ = -1;
  double before_ = 4.0;
  double after_ = 10.0;
  bool non_reactive_ = false;
  bool merges_ = false;
  std::string family_;
  std::uint64_t seed_ = 0;
  std::string suite_;
  std::string out_;
  std::vector<std::string> files_;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_SCENARIO_COMMAND_H_
