#ifndef TARMAC_CLI_REPORT_H_
#define TARMAC_CLI_REPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "report_page.h"
#include "tarmac/analysis/statistics.h"
#include "tarmac/envs/evaluation.h"

namespace tarmac::cli {

// One evaluated seed: each policy's episode and the expert's on the same scenario.
struct EvaluatedSeed {
  std::string env;  // a suite entry's env; empty for a driving family
  envs::ScenarioFamily family;
  std::uint64_t seed = 0;
  envs::ScenarioConfig config;
  std::shared_ptr<const envs::Scenario> scenario;  // a scenario file's entry
  envs::EpisodeResult expert;
  std::vector<envs::EpisodeResult> results;  // one per EvaluationReport::policies, in order

  // The family's name, the env's for a registered env's entry, the scenario's label for a
  // scenario file's.
  std::string Family() const;
};

// A seed of the report's worst cases driven again with logging: each policy's log in
// EvaluationReport::policies order, then the expert's.
struct RecordedCase {
  std::size_t seed = 0;  // index into EvaluationReport::seeds
  std::vector<schemas::EpisodeLog> logs;
};

// One point of a learning curve: the training episodes that finished since the previous point.
struct CurvePoint {
  std::uint64_t env_steps = 0;  // RL env steps so far (transitions in the rl table)
  std::uint64_t updates = 0;    // learner step
  double seconds = 0.0;         // since the run began
  std::uint64_t episodes = 0;
  double mean_return = 0.0;
  double mean_score = 0.0;
  double collision_rate = 0.0;
  // The learner's state at that point (its gauges): SAC temperature, mean -log pi of the
  // actor's sampled actions, mean min(Q1, Q2) of the last batch.
  double alpha = 0.0;
  double entropy = 0.0;
  double q_mean = 0.0;
};
// JSON as in report.json's "curve" and curve.jsonl (to_json / from_json; fields a file lacks
// keep their defaults).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CurvePoint, env_steps, updates, seconds, episodes,
                                                mean_return, mean_score, collision_rate, alpha,
                                                entropy, q_mean)

struct EvaluationReport {
  std::string suite;
  std::vector<PolicyIdentity> policies;  // [0] is the policy under test
  int reference = -1;  // the policy the others are compared with (an index); -1: the expert
  std::vector<EvaluatedSeed> seeds;
  std::vector<CurvePoint> curve;  // training curve (tarmac train); empty for tarmac eval
  std::uint64_t sft_updates = 0;  // learner step when SFT ended (tarmac train); 0: unknown
  // Training episodes of the RL phase per scenario-mix source (tarmac train; "env": the env's
  // own draw), by name; empty for tarmac eval.
  std::vector<std::pair<std::string, std::uint64_t>> scenario_sources;
  std::vector<RecordedCase> cases;  // the worst seeds (WorstSeeds), logged
  ReportIdentity identity;          // the command, run dir and config digest

  std::string ReferenceName() const {
    return reference < 0 ? "expert" : policies[static_cast<std::size_t>(reference)].name;
  }
  // True when one of the policies is the expert itself (its columns then stand for the expert's).
  bool ExpertIsAPolicy() const {
    for (const PolicyIdentity& p : policies) {
      if (p.name == "expert") return true;
    }
    return false;
  }
  // The policy the report diagnoses: the first that is not the reference.
  std::size_t Subject() const { return reference == 0 && policies.size() > 1 ? 1 : 0; }
};

// Writes `dir`/report.json (the identity, every episode's summary for each policy, the
// per-family figures with intervals and differences, the curve) and `dir`/report.html (the
// identity, the learning curves with reference lines, the per-family table with regressions
// highlighted and a forest plot of the differences, and the worst cases: every policy's speed,
// acceleration, jerk and TTC overlaid with events marked, the scene to scale over time, and the
// reason for each score). Creates `dir`.
absl::Status WriteReport(const EvaluationReport& report, const std::string& dir);

// What WriteReport puts in report.json, as text.
std::string ReportJsonText(const EvaluationReport& report);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPORT_H_
