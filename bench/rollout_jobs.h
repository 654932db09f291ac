#ifndef TARMAC_BENCH_ROLLOUT_JOBS_H_
#define TARMAC_BENCH_ROLLOUT_JOBS_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/buffer/shard_endpoint.h"
#include "tarmac/monitoring/metrics.h"

namespace tarmac::bench {

// The rollout job of configs/default.yaml (2 x 64 envs, the 2 x 256 policy, a 2M-item `rl`
// table, seed 7) writing to the Redis at `redis_url`.
inline actors::RolloutJobOptions DefaultRolloutJob(const std::string& redis_url) {
  actors::RolloutJobOptions o;
  o.shards = {*buffer::ShardEndpoint::Parse(redis_url)};
  o.table = {"rl", 2000000, 0.6};
  o.seed = 7;
  return o;
}

// Runs rollout job `o` in an actor system of its own until it ends (max_env_steps) or `stop`.
inline absl::StatusOr<actors::RolloutJobResult> RunJob(const actors::RolloutJobOptions& o,
                                                       monitoring::Metrics& metrics,
                                                       const std::atomic<bool>& stop) {
  caf::actor_system_config cfg;
  actors::ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  return actors::RunRolloutJob(system, o, metrics, stop);
}

}  // namespace tarmac::bench

#endif  // TARMAC_BENCH_ROLLOUT_JOBS_H_
