#ifndef TARMAC_CLI_REPORT_FIGURES_H_
#define TARMAC_CLI_REPORT_FIGURES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "report.h"
#include "tarmac/analysis/statistics.h"

namespace tarmac::cli {

// The numbers of an evaluation report: per-family figures with their intervals, the paired
// differences from the reference, the worst seeds, and the terminal table.

// An episode's score.
double Score(const envs::EpisodeResult& result);

// The reference's episode on seed `s` (the expert's when the reference is the expert).
const envs::EpisodeResult& ReferenceResult(const EvaluationReport& report, const EvaluatedSeed& s);

// "estimate [low, high]", each number as `format` (an fmt spec such as "{:.3f}") writes it.
std::string IntervalText(const analysis::Interval& interval, const char* format);

// True when the interval excludes 0.
bool Significant(const analysis::Interval& interval);

// The seeds where the score of the Subject() fell furthest below the reference's on
// the same seed, most first; driving families only, at most `n`. O(seeds log seeds).
std::vector<std::size_t> WorstSeeds(const EvaluationReport& report, std::size_t n);

// Why an episode scored what it did: what zeroed it (an at-fault collision at t, leaving the
// road, progress under 0.2 of the expert's) or which terms it lost (TTC, comfort, speed).
std::string ScoreReason(const schemas::EpisodeSummary& summary, double dt);

// One policy's figures over a set of seeds.
struct PolicyFigures {
  int episodes = 0;
  analysis::Interval score;     // mean, 95 % bootstrap interval over the seeds
  analysis::Interval at_fault;  // rate of at-fault collisions, 95 % Wilson interval
  analysis::Interval collision;
  double progress = 0, comfort = 0, near_miss = 0, events_per_km = 0, feasible = 0;
};

// A row of the per-family table: each policy's figures, the expert's, and each policy's paired
// difference from the reference on the same seeds (none for the reference itself).
struct FamilyRow {
  std::string family;  // "all" for the last row
  std::vector<PolicyFigures> policies;
  PolicyFigures expert;
  std::vector<std::optional<analysis::Interval>> score_delta;     // 95 % paired bootstrap
  std::vector<std::optional<analysis::Interval>> at_fault_delta;  // of the 0/1 outcomes
};

// The per-family rows, families in name order, "all" last. Bootstraps are seeded (the same
// report gives the same intervals). O(policies * resamples * seeds).
std::vector<FamilyRow> Tabulate(const EvaluationReport& report, int resamples = 2000);

// The per-family table as fixed-width text for a terminal: score [95 % CI] per policy, the
// expert's, each policy's difference from the reference (marked when significant) and the
// at-fault rates.
std::string TerminalTable(const EvaluationReport& report, const std::vector<FamilyRow>& rows);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPORT_FIGURES_H_
