#ifndef TARMAC_ACTORS_LEARNER_JOB_H_
#define TARMAC_ACTORS_LEARNER_JOB_H_

#include <atomic>
#include <caf/fwd.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/learner/sac_options.h"
#include "tarmac/learner/training_batch.h"
#include "tarmac/monitoring/metrics.h"
#include "tarmac/schemas/event.h"
#include "tarmac/util/option_table.h"

namespace tarmac::actors {

struct LearnerJobOptions {
  std::vector<buffer::ShardEndpoint> shards;
  learner::SacOptions sac;
  learner::BatchShape shape;   // from the env's spec
  buffer::TableSpec rl_table;  // created when missing
  buffer::TableSpec demo_table;
  // Demo batches draw demo_event_share of their items from items tagged with any event of the
  // mask (REPLAY.SAMPLE TAGS): behaviour cloning sees the rare hard states more often. A zero
  // mask or share: uniform. Falls back to uniform when the table holds none of the tags.
  schemas::EventMask demo_event_mask = schemas::EventBit(schemas::Event::kHardBrake) |
                                       schemas::EventBit(schemas::Event::kNearMiss) |
                                       schemas::EventBit(schemas::Event::kCutIn);
  double demo_event_share = 0.25;
  // Demo batches also draw demo_focus_share of their items from items carrying any of these
  // tags (tarmac finetune: its focus scenarios' DAgger labels, kFocusTag). 0: none.
  std::uint64_t demo_focus_tags = 0;
  double demo_focus_share = 0.0;
  // RL batches draw rl_event_share of their items from items tagged with any event of the mask
  // (tarmac finetune: the focus behaviour's events). A zero mask or share: plain PER.
  schemas::EventMask rl_event_mask = 0;
  double rl_event_share = 0.0;
  int batch_size = 256;
  int samplers = 2;  // sampler actors, each with its own connections
  int prefetch = 2;  // batches requested ahead per sampler
  // Distinguishes the samplers' seeds of successive jobs on one table (a lock-step RL phase's
  // turns); 0 leaves them as sac.seed alone gives them.
  std::uint64_t sample_stream = 0;
  // Priorities are written when the job ends instead of as the updates produce them: every
  // batch of the job is then drawn from the table as it stood when the job started, and the
  // batches follow from the seeds alone, not from when the writes landed (lock-step RL).
  bool defer_priorities = false;
  double beta_start = 0.4;  // PER exponent, annealed linearly to 1
  std::uint64_t beta_updates = 100000;
  std::uint64_t bc_decay_updates = 0;      // bc weight decays linearly to 0 over this (0: constant)
  std::uint64_t min_replay = 1000;         // updates start once the table holds this many items
  std::uint64_t actor_warmup_updates = 0;  // first updates of this run train only the critics
  // Before those: updates that fit only the critics on demo batches (as the RL batch, no
  // priorities written), so the first RL updates start from a critic of the cloned actor on the
  // states the expert visits instead of a random one. Counted within this run, like the warm-up.
  std::uint64_t critic_pretrain_updates = 0;
  std::uint64_t publish_every = 100;  // updates between weight publications
  double checkpoint_seconds = 300.0;
  std::string checkpoint_dir;  // empty: no checkpoints
  int keep_checkpoints = 3;
  bool resume = false;  // continue from the newest checkpoint in checkpoint_dir
  // With nothing to resume from: start from this checkpoint (a file, or the newest in a
  // directory): networks, normaliser, optimisers and step, as a resume would.
  std::string init;
  // The checkpoint whose actor is the frozen reference of the KL anchor (sac.anchor_weight;
  // a file or the newest in a directory). Empty: no anchor.
  std::string anchor;
  std::uint64_t max_updates = 0;  // 0: until stopped
  // Stop once the learner's step (resumed or initialised steps included) reaches this; a run
  // resumed at or past it ends at once. A stage that a restarted pod may run again. 0: none.
  std::uint64_t until_step = 0;
  double max_seconds = 0.0;  // 0: until stopped
  // Published weights are signed with this (HMAC-SHA-256); empty: unsigned. From
  // $TARMAC_WEIGHTS_KEY (schemas::WeightsKeyFromEnvironment), never from a config file.
  std::string weights_key;

  // The demo batches' REPLAY.SAMPLE TAGS mixture: {mask, share}, {0, 1 - share}; empty for none.
  std::vector<std::pair<std::uint64_t, double>> DemoTagMixture() const;
  // The RL batches' mixture: {rl_event_mask, share}, {0, 1 - share}; empty for none.
  std::vector<std::pair<std::uint64_t, double>> RlTagMixture() const;
  // InvalidArgument naming the first field outside its key's bounds, or a broken cross-field
  // rule.
  absl::Status Validate() const;
};

// The learner.* keys (SacOptionTable's included) that set LearnerJobOptions; the shards, the
// batch shape and the tables come from other sections.
const util::OptionTable<LearnerJobOptions>& LearnerJobOptionTable();

struct LearnerJobResult {
  std::uint64_t updates = 0;         // this run
  std::uint64_t learner_step = 0;    // total, across resumes
  std::uint64_t policy_version = 0;  // last published
  std::string checkpoint;            // last written, if any
  double seconds = 0.0;              // training wall time (after min_replay was reached)
  double sample_wait_seconds = 0.0;  // part of it spent waiting for batches
  // The part of sample_wait_seconds before the first update: the samplers' first batches (the
  // job's start), not their pace. A short run's share of waiting is mostly this.
  double first_sample_wait_seconds = 0.0;
  double update_seconds = 0.0;  // part of it spent in SacTrainer updates
  // The share of the time after the first update's batches spent waiting for batches: whether
  // the samplers keep up (learner.samplers); 0 for a run without that time.
  double SampleWaitShareAfterStart() const {
    const double after_start = seconds - first_sample_wait_seconds;
    return after_start > 0 ? (sample_wait_seconds - first_sample_wait_seconds) / after_start : 0.0;
  }
  // Mean behaviour-cloning loss of this run's first and last kLossWindow updates that had a BC
  // term (BC, or SAC with demos); 0 when none had.
  double first_bc_loss = 0.0;
  double last_bc_loss = 0.0;
  static constexpr int kLossWindow = 20;
};

// Runs the learner inside `system`: sampler actors prefetch and decode batches from every shard
// while a detached trainer actor updates SAC (or BC); a priority-writer actor batches
// REPLAY.UPDATEs; a publisher actor writes PolicyWeights and announces the version; a checkpoint
// actor writes checkpoints atomically. Blocks until `stop` becomes true, max_updates or
// max_seconds is reached, or a fatal error (FailedPrecondition, Unavailable, InvalidArgument,
// one sentence). On the way out it publishes the final weights and writes a final checkpoint.
// `metrics` must outlive the call. Thread-safe with respect to the actor system.
absl::StatusOr<LearnerJobResult> RunLearnerJob(caf::actor_system& system,
                                               const LearnerJobOptions& options,
                                               monitoring::Metrics& metrics,
                                               const std::atomic<bool>& stop);

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_LEARNER_JOB_H_
