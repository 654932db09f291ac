#ifndef TARMAC_CLI_SEARCH_COMMAND_H_
#define TARMAC_CLI_SEARCH_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "command.h"

namespace tarmac::cli {

// `tarmac search --policy P --family F [--objective score | --objective behaviour NAME]
// [--budget N] [--batch B] [--reference P] [--suite F] [--uniform] [--no-population] [--seed S]
// [--workers W] [--out DIR]`:
// the cross-entropy search (edge_case_search.h) for the cases of a family (its parameters and
// the share of aggressive and distracted drivers) where the policy does worst and the reference
// (default: the expert) drives without an at-fault collision. Writes DIR/cases.yaml (a suite of
// the worst cases, each pinned to replay exactly), search.json and search.html (the search
// curve, the worst cases, and their scenes). Exit 2 on bad flags, an unknown family, behaviour
// or policy, or an empty search space.
class SearchCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::string policy_;
  std::string family_;
  std::vector<std::string> objective_ = {"score"};
  std::string behaviours_;
  std::string reference_ = "expert";
  std::string suite_;
  int budget_ = 200;
  int batch_ = 20;
  int keep_ = 20;
  bool uniform_ = false;
  bool no_population_ = false;
  int workers_ = 0;  // 0: one per core
  std::uint64_t seed_ = 1;
  std::string out_ = "search";
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_SEARCH_COMMAND_H_
