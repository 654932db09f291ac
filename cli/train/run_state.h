#ifndef TARMAC_CLI_TRAIN_RUN_STATE_H_
#define TARMAC_CLI_TRAIN_RUN_STATE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tarmac::cli::train {

// The phases of a run, in order; a run resumes at the phase its state names.
enum class Phase { kDemos, kSft, kDagger, kRl, kEval, kDone };

absl::string_view PhaseName(Phase phase);  // "demos", "sft", "dagger", "rl", "eval", "done"

// What survives a restart of the run, in <out>/state.json (written atomically).
struct RunState {
  std::string run_id;
  Phase phase = Phase::kDemos;
  double elapsed_seconds = 0;  // wall time of earlier processes of this run
  std::uint64_t sft_step = 0;  // learner step when imitation (SFT and DAgger) ended
  int dagger_rounds = 0;       // DAgger rounds completed
  // RL-phase training episodes started per scenario source ("env": the env's own draw), as of
  // the last save.
  std::map<std::string, std::uint64_t> rl_sources;

  // NotFound when `path` does not exist; InvalidArgument (one sentence) when it is not a run's
  // state.
  static absl::StatusOr<RunState> Load(const std::string& path);
  absl::Status Save(const std::string& path) const;
};

// A fresh run id: 8 hex digits.
std::string NewRunId();

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_RUN_STATE_H_
