#ifndef TARMAC_ENVS_SCENARIO_MIX_H_
#define TARMAC_ENVS_SCENARIO_MIX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::envs {

// One case of a suite: the scenario (family, ranges, seed) an evaluation drives, or a scenario
// file's scenario (`scenario`, non-null; its seed and family are then the scenario's).
struct ScenarioCase {
  ScenarioFamily family = ScenarioFamily::kHighway;
  ScenarioConfig config;
  std::uint64_t seed = 0;
  std::shared_ptr<const Scenario> scenario;
};

// Where a share of the training episodes comes from. Either generated (`cases` empty): the
// family (unset: the seed picks one of the seven, as driving-v0 does) with `config`'s ranges
// and a fresh seed each episode; or a suite's cases, each drawn with equal probability and
// replayed exactly (jitter 0; a scenario file's case is always replayed exactly), or with every
// parameter its scenario drew moved to a uniform value within +-jitter of it (relative) and a fresh
// seed for everything else, so the policy meets the situation again without memorising the seed.
struct ScenarioSource {
  std::string name;  // the metrics label and the report's row
  double weight = 1.0;
  std::optional<ScenarioFamily> family;
  ScenarioConfig config;
  std::vector<ScenarioCase> cases;
  double jitter = 0.0;
  std::uint64_t tags = 0;  // replay tags every transition of its episodes carries
};

// What one episode drives: its source (an index into sources()), family, ranges and seed, or
// a scenario file's scenario (non-null `scenario`).
struct ScenarioDraw {
  int source = 0;
  std::optional<ScenarioFamily> family;
  ScenarioConfig config;
  std::uint64_t seed = 0;
  std::shared_ptr<const Scenario> scenario;
};

// A weighted mix of scenario sources (train.scenario_mix): each episode draws its source with
// probability weight / total weight, then its scenario from that source. Immutable, so actors
// share one; a new mix replaces it between episodes.
class ScenarioMix {
 public:
  // InvalidArgument (one sentence naming the source) for a negative or non-finite weight, a
  // total weight that is not positive, a jitter outside [0, 1), or invalid ranges.
  static absl::StatusOr<ScenarioMix> Create(std::vector<ScenarioSource> sources);

  // The episode for `seed` (any 64-bit value; the env batch passes each env's episode seed).
  // Deterministic in `seed`. O(sources + the drawn case's parameters).
  ScenarioDraw Draw(std::uint64_t seed) const;

  const std::vector<ScenarioSource>& sources() const { return sources_; }

 private:
  std::vector<ScenarioSource> sources_;
  std::vector<double> cumulative_;  // running sums of the weights, normalised to end at 1
  // Per source and case, the parameters its scenario drew (jittered sources only).
  std::vector<std::vector<std::vector<schemas::NamedValue>>> drawn_;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_SCENARIO_MIX_H_
