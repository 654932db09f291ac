#ifndef TARMAC_ANALYSIS_COMPARISON_H_
#define TARMAC_ANALYSIS_COMPARISON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/analysis/statistics.h"

namespace tarmac::analysis {

// One seed driven by both policies (common random numbers): each quantity's value for A and
// for B, and whether each behaviour occurred.
struct PairedOutcome {
  std::string family;
  std::uint64_t seed = 0;
  std::vector<double> a, b;                    // per quantity
  std::vector<bool> a_behaviour, b_behaviour;  // per behaviour
};

// The quantities compare reports: the summary's score, progress_ratio and speed_compliance,
// then every behaviour metric (kMetricInfo order).
std::vector<std::string> ComparedQuantities();

struct QuantityComparison {
  std::string name;
  double mean_a = 0.0;
  double mean_b = 0.0;
  Interval difference;  // mean of b - a, 95 % paired bootstrap
  double sign_p = 1.0;  // exact sign test
};

struct BehaviourComparison {
  std::string name;
  std::uint64_t episodes_a = 0;  // episodes where it occurred for A
  std::uint64_t episodes_b = 0;
  std::uint64_t only_a = 0;  // discordant pairs
  std::uint64_t only_b = 0;
  Interval difference;     // per-episode rate of B - A, 95 % paired bootstrap
  double mcnemar_p = 1.0;  // exact McNemar
};

// One family's comparison ("all" for the whole suite).
struct FamilyComparison {
  std::string family;
  std::size_t pairs = 0;
  std::vector<QuantityComparison> quantities;
  std::vector<BehaviourComparison> behaviours;
};

// Per family (name order) and for "all" (last): paired differences of every quantity and
// behaviour rate, each bootstrap drawn `resamples` times from std::mt19937_64(`seed`), so the
// same pairs give the same intervals. O(families * (quantities + behaviours) * resamples * n).
std::vector<FamilyComparison> ComparePairs(const std::vector<PairedOutcome>& pairs,
                                           const std::vector<std::string>& quantities,
                                           const std::vector<std::string>& behaviours,
                                           int resamples = 2000, std::uint64_t seed = 1);

// A threshold compare checks; it fails when the data show, with 95 % confidence, a regression
// beyond the bound. A quantity gate with max_drop X fails when the whole 95 % interval of B - A
// lies below -X ("the score dropped by more than X with 95 % confidence"); with max_rise X when
// it lies above X. A behaviour gate with max_rise X fails when the interval of B's per-episode
// rate minus A's lies above X (X = 0: "the rate rose"). `family` is one family, or "each"
// (every family and the whole suite) or "all" (the whole suite only).
struct Gate {
  std::string text;  // as written, for the report
  std::string quantity;
  std::string behaviour;
  std::string family = "each";
  bool has_max_drop = false;
  double max_drop = 0.0;
  bool has_max_rise = false;
  double max_rise = 0.0;
};

// Parses a gate file (`gates: [{score: ..., ...}]`, configs/gates/default.yaml documents it).
// InvalidArgument in one sentence naming `file`, the gate and the key: an unknown key,
// quantity or behaviour, a bound that is not a number, a gate with no bound.
absl::StatusOr<std::vector<Gate>> ParseGates(absl::string_view yaml, absl::string_view file,
                                             const std::vector<std::string>& quantities,
                                             const std::vector<std::string>& behaviours);
absl::StatusOr<std::vector<Gate>> LoadGates(const std::string& path,
                                            const std::vector<std::string>& quantities,
                                            const std::vector<std::string>& behaviours);

struct GateResult {
  const Gate* gate = nullptr;
  std::string family;
  bool passed = true;
  std::string why;  // the interval against the bound, in words
};

// Every (gate, family) check against `comparisons` (ComparePairs' output). A gate naming a
// family the comparison lacks fails, saying so.
std::vector<GateResult> CheckGates(const std::vector<Gate>& gates,
                                   const std::vector<FamilyComparison>& comparisons);

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_COMPARISON_H_
