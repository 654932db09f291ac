#ifndef TARMAC_CLI_EDGE_CASE_SEARCH_H_
#define TARMAC_CLI_EDGE_CASE_SEARCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/policy.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::cli {

// One axis of the search: a scenario range of the family (pinned to one value per case) or the
// share of a driver profile in the traffic ("population.aggressive"), searched in [lo, hi].
struct SearchDimension {
  std::string name;
  double lo = 0.0;
  double hi = 0.0;
};

// The axes `family` draws from, bounded by `ranges` (its configured ranges), plus the shares
// of aggressive and distracted drivers (0 to 0.5 each).
std::vector<SearchDimension> SearchDimensions(envs::ScenarioFamily family,
                                              const envs::ScenarioConfig& ranges);

struct SearchOptions {
  envs::ScenarioFamily family = envs::ScenarioFamily::kCutIn;
  envs::ScenarioConfig ranges;  // the family's ranges: the box searched
  envs::EnvConfig env;
  std::vector<SearchDimension> dimensions;  // empty: SearchDimensions(family, ranges)
  int budget = 200;                         // episodes of the policy
  int batch = 20;                           // cases per iteration
  double elite_fraction = 0.2;              // the worst share of a batch the next one follows
  double smoothing = 0.7;                   // weight of the elites in the new distribution
  std::uint64_t seed = 1;
  int workers = 1;       // threads driving a batch's cases (each with its own policies)
  bool uniform = false;  // random sampling of the box with the same budget (the baseline)
  // Objective: with a behaviour, how often and how severely it happens; else 1 - score.
  const analysis::Behaviour* behaviour = nullptr;

  // InvalidArgument (one sentence) for a budget or batch out of range, an empty space, or a
  // dimension with lo > hi.
  absl::Status Validate() const;
};

// One evaluated case: where in the box, its seed, the policy's and the reference's outcome.
struct SearchCase {
  std::vector<double> x;
  std::uint64_t seed = 0;
  envs::ScenarioConfig config;  // the family's ranges pinned to x (what a suite entry replays)
  double badness = 0.0;         // the objective: higher is worse for the policy
  double score = 0.0;           // the policy's closed-loop score
  bool failure = false;         // at-fault collision (score objective) or the behaviour happened
  bool reference_ok = true;     // the reference drove it without an at-fault collision
  int iteration = 0;
};

// Per iteration: the mean badness, the best so far, and the share of failures the reference
// avoided (the cases that count).
struct SearchPoint {
  int episodes = 0;
  double mean_badness = 0.0;
  double best_badness = 0.0;
  double failure_rate = 0.0;
};

struct SearchResult {
  std::vector<SearchCase> cases;  // every case evaluated, in order
  std::vector<SearchPoint> curve;
  int failures = 0;          // cases where the policy failed and the reference did not
  int reference_failed = 0;  // cases the reference could not handle (never counted)
  std::int64_t steps = 0;    // env steps driven, the policy's and the reference's
  double steps_per_second = 0.0;
};

// Makes a fresh policy (one per worker thread; policies are not thread-safe).
using PolicyFactory = std::function<std::unique_ptr<envs::Policy>()>;

// The cross-entropy method over `options.dimensions`: each iteration draws a batch of cases
// from independent Gaussians (in the box, normalised), drives the policy and the reference on
// each (`options.workers` threads, each with policies of its own), keeps the worst
// `elite_fraction` of those the reference handled, and moves the Gaussians towards them. Cases
// the reference fails (an at-fault collision) are unavoidable and never count. Deterministic in
// options.seed, whatever the number of workers. Blocks; O(budget * 2 episodes / workers).
SearchResult SearchEdgeCases(const PolicyFactory& policy, const PolicyFactory& reference,
                             const SearchOptions& options, std::ostream* progress = nullptr);

// The case's scenario config: `ranges` with each dimension pinned to its value in `x`.
envs::ScenarioConfig PinnedConfig(const std::vector<SearchDimension>& dimensions,
                                  const std::vector<double>& x, const envs::ScenarioConfig& ranges);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EDGE_CASE_SEARCH_H_
