#ifndef TARMAC_CLI_TRAIN_SELECTION_H_
#define TARMAC_CLI_TRAIN_SELECTION_H_

#include <string>

#include "../report.h"
#include "absl/status/statusor.h"
#include "phases.h"

namespace tarmac::cli::train {

// How far below the best RL checkpoint's mean score on the selection suite the weight average
// of the best ones (train.selection_average) may score and still be the learned policy.
// Averages of checkpoints from one region of training scored 0.007-0.018 below the best and beat
// it on the held-out suites; one of checkpoints from 60 k to 127 k updates scored 0.10 below and
// was a broken network.
inline constexpr double kAverageTolerance = 0.02;

// Whether that average becomes the learned policy: on the selection suite it scores at most
// kAverageTolerance below the best checkpoint and, when `collisions_first`, has no more at-fault
// collisions than it.
bool KeepAverage(double average_score, int average_crashes, double best_score, int best_crashes,
                 bool collisions_first = true);

// Mean score of `policy` (-1: the expert) over the report's seeds.
double MeanScore(const EvaluationReport& report, int policy);

// The run's curve, SFT step and identity (command, run dir, policies, suite, config digest).
void AddRunIdentity(const TrainContext& ctx, const std::string& command,
                    const std::string& suite_name, EvaluationReport& report);

// The learned policy's checkpoint. With a selection suite: of the checkpoints written after SFT
// ended, the best on it (train.selection_rank collisions: the fewest at-fault collisions, then
// the best mean score; score: the best mean score; then the newest), or with
// train.selection_average > 1 the weight average of that many best; every candidate's results in
// selection/report.json. Else, or with fewer than two candidates, the newest.
absl::StatusOr<std::string> SelectLearnedCheckpoint(TrainContext& ctx);

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_SELECTION_H_
