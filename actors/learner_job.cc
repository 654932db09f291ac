// RunLearnerJob: checks the options, spawns the learner actors (learner_actors.h), waits for
// the trainer's result and shuts everything down.
#include "tarmac/actors/learner_job.h"

#include <chrono>
#include <vector>

#include "learner_actors.h"
#include "tarmac/util/keep_freed_memory.h"

namespace tarmac::actors {

buffer::ReplayClientOptions LearnerClientOptions(const LearnerJobOptions& options) {
  buffer::ReplayClientOptions client;
  client.shards = options.shards;
  client.connect_attempts = 8;
  return client;
}

absl::StatusOr<LearnerJobResult> RunLearnerJob(caf::actor_system& system,
                                               const LearnerJobOptions& options,
                                               monitoring::Metrics& metrics,
                                               const std::atomic<bool>& stop) {
  if (auto s = options.Validate(); !s.ok()) return s;
  // Each update allocates and frees the same tensors: keep their pages (1.5-2x the updates/s
  // of BM_LearnerPipeline/1/1 on this project's VM).
  util::KeepFreedMemory();
  TrainerContext ctx;
  ctx.options = options;
  ctx.metrics = &metrics;
  ctx.stop = &stop;
  for (int i = 0; i < options.samplers; ++i) {
    ctx.samplers.push_back(SpawnSampler(system, options, i, &metrics));
  }
  ctx.priority_writer = SpawnPriorityWriter(system, options);
  ctx.publisher = SpawnPublisher(system, options.shards.front(), options.weights_key, &metrics);
  ctx.checkpointer = SpawnCheckpointer(system, options.checkpoint_dir, options.keep_checkpoints);
  auto future = ctx.result.get_future();
  auto trainer = SpawnTrainer(system, &ctx);
  auto result = future.get();
  caf::scoped_actor self{system};
  std::vector<caf::actor> all = ctx.samplers;
  all.insert(all.end(), {ctx.priority_writer, ctx.publisher, ctx.checkpointer, trainer});
  for (auto& a : all) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(30)) >> [] {});
  }
  return result;
}

}  // namespace tarmac::actors
