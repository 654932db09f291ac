#ifndef TARMAC_ACTORS_LEARNER_ACTORS_H_
#define TARMAC_ACTORS_LEARNER_ACTORS_H_

// The actors of the learner process (private to actors/; RunLearnerJob spawns them), one file
// each with its state and contract:
//   sampler_actor.cc          prefetches and decodes batches (detached: Redis round trips)
//   priority_writer_actor.cc  batches |TD| priorities into REPLAY.UPDATEs
//   publisher_actor.cc        writes PolicyWeights and announces the version
//   checkpointer_actor.cc     writes checkpoints atomically, keeps the newest few
//   trainer_actor.cc          the SAC/BC update loop (detached, blocking: Torch steps)
// The options are copied into each actor; TrainerContext is owned by RunLearnerJob and outlives
// the trainer, which alone writes its result.

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "tarmac/actors/learner_job.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/monitoring/metrics.h"
#include "tarmac/util/seconds.h"

namespace tarmac::actors {

using LearnerClock = util::SteadyClock;
using util::Seconds;

// Replay client options every learner actor uses (more connect attempts than a rollout: the
// learner waits for a replay server that is still starting).
buffer::ReplayClientOptions LearnerClientOptions(const LearnerJobOptions& options);

struct TrainerContext {
  LearnerJobOptions options;
  monitoring::Metrics* metrics = nullptr;
  const std::atomic<bool>* stop = nullptr;
  std::vector<caf::actor> samplers;
  caf::actor priority_writer, publisher, checkpointer;
  std::promise<absl::StatusOr<LearnerJobResult>> result;  // set once by the trainer
};

// Messages: (fetch_atom, beta, demo, reply_to) -> sends (batch_atom, SampledBatchPtr).
caf::actor SpawnSampler(caf::actor_system& system, const LearnerJobOptions& options, int index,
                        monitoring::Metrics* metrics);
// Messages: (priority_atom, PriorityUpdatesPtr); done_atom -> true after a final flush.
caf::actor SpawnPriorityWriter(caf::actor_system& system, const LearnerJobOptions& options);
// Messages: (publish_atom, PolicyWeightsPtr) -> true when published.
// Signs with `weights_key` when it is not empty.
caf::actor SpawnPublisher(caf::actor_system& system, const buffer::ShardEndpoint& shard,
                          std::string weights_key, monitoring::Metrics* metrics);
// Messages: (save_atom, CheckpointBytesPtr, step) -> the path written, "" on failure.
caf::actor SpawnCheckpointer(caf::actor_system& system, const std::string& dir, int keep);
// Runs the update loop; sets ctx->result when it ends.
caf::actor SpawnTrainer(caf::actor_system& system, TrainerContext* ctx);

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_LEARNER_ACTORS_H_
