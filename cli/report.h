#ifndef TARMAC_CLI_REPORT_H_
#define TARMAC_CLI_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tarmac/envs/evaluation.h"

namespace tarmac::cli {

// One evaluated seed: the policy's episode and the expert's on the same scenario.
struct EvaluatedSeed {
  envs::ScenarioFamily family;
  std::uint64_t seed = 0;
  envs::ScenarioConfig config;
  envs::EpisodeResult policy;
  envs::EpisodeResult expert;
};

struct EvaluationReport {
  std::string suite;
  std::string policy;
  std::vector<EvaluatedSeed> seeds;
};

// Writes `dir`/report.json (every episode's summary, per-family aggregates for policy and
// expert) and `dir`/report.html (the per-family table and SVG plots of the worst episodes:
// speed, acceleration and jerk over time and a bird's-eye view). Creates `dir`.
absl::Status WriteReport(const EvaluationReport& report, const std::string& dir);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPORT_H_
