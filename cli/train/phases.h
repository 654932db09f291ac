#ifndef TARMAC_CLI_TRAIN_PHASES_H_
#define TARMAC_CLI_TRAIN_PHASES_H_

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "../report.h"
#include "absl/status/statusor.h"
#include "finetune_settings.h"
#include "phase_runner.h"
#include "run_dir.h"
#include "run_state.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/actors/learner_job.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/comparison.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/cli/config.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/scenario_mix.h"
#include "tarmac/monitoring/metrics.h"
#include "train_settings.h"

namespace tarmac::cli::train {

// What makes a run a fine-tuning (`tarmac finetune`), resolved before anything starts.
struct FinetunePlan {
  FinetuneSettings settings;
  std::string start;  // the starting checkpoint (resolved): the anchor and the comparison's A
  envs::Suite focus;
  std::vector<envs::Suite> guards;  // finetune.guard_suites
  // DAgger drives the focus cases alone (the RL phase's mix is the rollout options').
  std::shared_ptr<const envs::ScenarioMix> dagger_mix;
  std::vector<analysis::Behaviour> behaviours;
  std::vector<analysis::Gate> gates;
};

// Everything the phases of one `tarmac train` process share. Owned by TrainCommand::Run for
// the whole process; the phases run one after another on its thread.
struct TrainContext {
  const Config* config = nullptr;
  const TrainSettings* settings = nullptr;
  RunDir dir{""};
  RunState* state = nullptr;
  actors::LearnerJobOptions learner;  // the run's tables, shards and checkpoint dir set
  actors::RolloutJobOptions rollout;
  const envs::Suite* suite = nullptr;
  const envs::Suite* validation = nullptr;  // null: none
  const envs::Suite* selection = nullptr;   // null: the newest checkpoint is the learned policy
  envs::EnvConfig env_config;
  caf::actor_system* system = nullptr;
  monitoring::Metrics* metrics = nullptr;
  buffer::ReplayClient* client = nullptr;
  actors::EpisodeLog* episodes = nullptr;
  std::vector<CurvePoint>* curve = nullptr;
  PhaseRunner* runner = nullptr;
  const std::atomic<bool>* signalled = nullptr;
  bool tty = false;
  std::ostream* out = nullptr;
  const FinetunePlan* finetune = nullptr;  // null: tarmac train
  std::string command = "tarmac train";
  bool gate_failed = false;  // set by the verification of a fine-tuning

  double budget() const { return settings->budget_seconds(); }
  // Evaluation of three policies on the suite takes a few seconds; kept out of RL's time. A
  // fine-tuning also evaluates the focus suite and compares on it, the suite and the guards.
  double eval_reserve() const {
    if (budget() <= 0) return 0.0;
    const double one = std::min(60.0, 10.0 + 0.05 * budget());
    return selection_reserve() +
           (finetune == nullptr ? one
                                : one * (3.0 + 2.0 * static_cast<double>(finetune->guards.size())));
  }
  // The checkpoint selection drives every RL checkpoint (one per
  // train.selection_checkpoint_seconds) on the selection suite: ~4 ms an episode on two cores
  // (26 checkpoints x 420 episodes took 45 s), at most a tenth of the budget.
  double selection_reserve() const {
    if (selection == nullptr) return 0.0;
    double episodes = 0.0;
    for (const envs::SuiteEntry& e : selection->entries) episodes += e.count;
    const double checkpoints = budget() / std::max(1.0, settings->selection_checkpoint_seconds);
    return std::min(0.1 * budget(), 0.004 * checkpoints * episodes);
  }
  // Demos and SFT stop by this much run time even when unfinished.
  double setup_deadline() const { return budget() > 0 ? settings->setup_fraction * budget() : 0.0; }
  // Records `phase` (and the run's clock) in state.json.
  void Save(Phase phase) const;
};

// How a phase ended: done (the run moves on) or interrupted by a signal (state saved, the
// process exits 130 and --resume continues there).
enum class PhaseEnd { kDone, kInterrupted };

// Phase 1: the expert drives train.demo_steps env steps into `demos` (DART noise).
absl::StatusOr<PhaseEnd> RunDemosPhase(TrainContext& ctx);
// Phase 2: behaviour cloning on `demos`.
absl::StatusOr<PhaseEnd> RunSftPhase(TrainContext& ctx);
// Phase 3: DAgger rounds (train.dagger_rounds): the cloned policy drives, each env's expert
// labels the states it visits into `demos` (tagged actors::kDaggerTag), behaviour cloning
// continues on them; then the imitation policy is copied to sft/ for the report.
absl::StatusOr<PhaseEnd> RunDaggerPhase(TrainContext& ctx);
// Phase 4: SAC with the BC term while rollouts fill `rl` with the published policy, paced by
// the table's samples-per-insert.
absl::StatusOr<PhaseEnd> RunRlPhase(TrainContext& ctx);
// Phase 5: the learned policy, the SFT policy and the expert on the suite; report.html/json.
// A fine-tuning instead verifies: the fine-tuned policy, the closed-loop SFT one and the start
// on the suite and the focus suite, then `compare` of start and result (with the gate) on the
// focus suite, the suite and every guard suite (verify/<suite>/compare.html).
absl::StatusOr<PhaseEnd> RunEvalPhase(TrainContext& ctx);

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_PHASES_H_
