#ifndef TARMAC_CLI_REPORT_H_
#define TARMAC_CLI_REPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tarmac/envs/evaluation.h"

namespace tarmac::cli {

// One evaluated seed: the policy's episode and the expert's on the same scenario.
struct EvaluatedSeed {
  std::string env;  // a suite entry's env; empty for a driving family
  envs::ScenarioFamily family;
  std::uint64_t seed = 0;
  envs::ScenarioConfig config;
  envs::EpisodeResult policy;
  envs::EpisodeResult expert;
  std::optional<envs::EpisodeResult> baseline;  // a second policy on the same seed (e.g. SFT)
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
};
// JSON as in report.json's "curve" and curve.jsonl (to_json / from_json).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CurvePoint, env_steps, updates, seconds, episodes, mean_return,
                                   mean_score, collision_rate)

struct EvaluationReport {
  std::string suite;
  std::string policy;
  std::string baseline;  // name of EvaluatedSeed::baseline's policy; empty when none
  std::vector<EvaluatedSeed> seeds;
  std::vector<CurvePoint> curve;  // training curve (tarmac train); empty for tarmac eval
};

// Writes `dir`/report.json (every episode's summary, per-family aggregates for policy and
// expert) and `dir`/report.html (the per-family table and SVG plots of the worst episodes:
// speed, acceleration and jerk over time and a bird's-eye view), with the baseline's columns
// and the learning curves (return, score, collision rate against env steps) when the report has
// them. Creates `dir`.
absl::Status WriteReport(const EvaluationReport& report, const std::string& dir);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPORT_H_
