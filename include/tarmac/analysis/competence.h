#ifndef TARMAC_ANALYSIS_COMPETENCE_H_
#define TARMAC_ANALYSIS_COMPETENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/analysis/statistics.h"

namespace tarmac::analysis {

// One training run's evaluation on a suite: per episode (family, seed), each policy's score and
// whether it caused a collision. What bench/competence reads from a run's report.json.
struct RunEvaluation {
  std::string name;                   // the run, as the table names it (its directory)
  std::vector<std::string> policies;  // e.g. learned, sft, expert; the first is under test
  struct Episode {
    std::string family;
    std::uint64_t seed = 0;
    std::vector<double> score;   // per policy
    std::vector<bool> at_fault;  // per policy
  };
  std::vector<Episode> episodes;
};

// A family's (or "overall") figures across runs. Every estimate is the mean over runs of the
// run's mean over the family's episodes (each run weighs the same); every interval is a 95 %
// percentile bootstrap that resamples both levels: runs with replacement, then the episodes of
// each drawn run with replacement, the policies of an episode kept paired. It so spans both the
// training-seed and the evaluation-seed variation; with few runs it is optimistic about the
// first (two runs resample to only three distinct sets), which the per-run figures show.
struct CompetenceRow {
  std::string family;
  std::size_t episodes_per_run = 0;
  std::vector<Interval> score;                 // per policy
  std::vector<Interval> at_fault_rate;         // per policy, collisions it caused per episode
  std::vector<Interval> score_difference;      // per policy: the first's score minus this one's
  std::vector<Interval> at_fault_difference;   // per policy: the first's rate minus this one's
  std::vector<std::vector<double>> run_score;  // [run][policy]: each run's mean score
};

struct CompetenceReport {
  std::vector<std::string> policies;
  std::vector<std::string> runs;
  std::vector<CompetenceRow> rows;  // families in name order, then "overall"
};

// Aggregates runs evaluated on the same suite. InvalidArgument (naming the run) when there are
// no runs, a run has no episodes, or the runs' policies or (family, seed) sets differ, since
// paired figures need the same episodes. `resamples` draws, std::mt19937_64 seeded by `seed`.
// O(resamples * runs * episodes).
absl::StatusOr<CompetenceReport> AggregateRuns(const std::vector<RunEvaluation>& runs,
                                               int resamples = 2000, std::uint64_t seed = 1);

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_COMPETENCE_H_
