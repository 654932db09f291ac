#ifndef TARMAC_CLI_POLICY_COMPARISON_H_
#define TARMAC_CLI_POLICY_COMPARISON_H_

#include <ostream>
#include <string>
#include <vector>

#include "compare_report.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/comparison.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

namespace tarmac::cli {

// The quantities beside analysis::ComparedQuantities() that a comparison pairs: the episode's
// return and each reward term's return ("reward.<term>"), under the comparison's env config.
std::vector<std::string> RewardQuantities();

// What `tarmac compare` and `tarmac finetune`'s verification do: A and B drive every seed of
// `suite` (the expert too, for the distance each is scored against), every quantity and
// behaviour is paired per seed, each family's differences get bootstrap intervals and the gates
// are checked. `gates` must outlive the result (its GateResults point into it). Progress lines
// (one per family) go to `progress`. Cost: three episodes per seed plus the resamples.
CompareResult ComparePolicies(envs::Policy& a, const std::string& a_name, envs::Policy& b,
                              const std::string& b_name, const envs::Suite& suite,
                              const std::string& suite_label, const envs::EnvConfig& env_config,
                              const std::vector<analysis::Behaviour>& behaviours,
                              const std::vector<analysis::Gate>& gates, int resamples,
                              std::ostream& progress);

// The terminal tables of a comparison: score per family, then every behaviour's rate and the
// return and each reward term's on the whole suite, each as B - A with its 95 % interval; then
// the gates that failed. True when every
// gate passed.
bool PrintComparison(const CompareResult& result, std::ostream& out);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_POLICY_COMPARISON_H_
