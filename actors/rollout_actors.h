#ifndef TARMAC_ACTORS_ROLLOUT_ACTORS_H_
#define TARMAC_ACTORS_ROLLOUT_ACTORS_H_

// The actors of one rollout process (private to actors/; RunRolloutJob spawns them). Each lives
// in its own file with its state and contract:
//   env_actor.cc        env_batch actor: steps K envs, n-step transitions -> writer
//   inference_actor.cc  one forward pass for all waiting observation requests
//   writer_actor.cc     buffer::SequencedWriter behind back-pressure
//   weights_actor.cc    announcement + poll, LoadVerifiedPolicy, swap into inference
//   heartbeat_actor.cc  tarmac:actors:<id> with a TTL
// They share one RolloutShared, owned by RunRolloutJob, which outlives every actor: its options,
// spec and handles are written before the first actor is spawned and only read afterwards; its
// stats are atomics any actor may add to.

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "tarmac/actors/episode_log.h"
#include "tarmac/actors/messages.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/envs/env.h"
#include "tarmac/monitoring/metrics.h"
#include "tarmac/util/seconds.h"

namespace tarmac::actors {

using RolloutClock = util::SteadyClock;
using util::Seconds;

// Counters the job reports; written by actors, read by the job thread.
struct RolloutStats {
  std::atomic<std::uint64_t> env_steps{0}, transitions{0}, written{0}, episodes{0}, restarts{0},
      swaps{0}, rejected{0}, version{0};
};

struct RolloutShared {
  RolloutJobOptions options;
  std::vector<analysis::Behaviour> behaviours;  // counted in every recorded episode
  EpisodeLog to_publish{1};  // summaries the heartbeat actor sends to tarmac:episodes
  monitoring::Metrics* metrics = nullptr;
  RolloutStats* stats = nullptr;
  envs::EnvSpec spec;
  caf::actor inference, writer;  // inference: none with options.inference "inline"
  // The policy env actors run themselves (options.inference "inline"), replaced by the weights
  // actor; read and replaced with std::atomic_load / std::atomic_store.
  InferencePolicyPtr policy;
  // The scenario mix env actors draw from (options.mix, then what the heartbeat reloads from
  // options.scenario_mix); read and replaced with std::atomic_load / std::atomic_store.
  std::shared_ptr<const envs::ScenarioMix> mix;
  std::filesystem::file_time_type mix_time{};  // the heartbeat's: the file's when last loaded
};

// Env actors run on CAF's worker threads and use every cycle they get; the detached actors that
// keep data moving (inference, writer) must not wait behind them, and a weights swap must not
// wait behind either. A thread may lower its own priority without privileges, so the threads
// are ranked by niceness: weights and heartbeat 0, inference and writer kPipelineNice, env
// stepping kEnvNice.
inline constexpr int kPipelineNice = 5;
inline constexpr int kEnvNice = 10;
// Lowers the calling thread's priority to `nice` (once per thread; never raises it).
void LowerThisThread(int nice);

// Chunks an env actor may have unacknowledged by the writer.
inline constexpr int kWriteWindow = 8;

// The env steps env actor `index` takes before it stops (0: no limit): max_env_steps split
// evenly among the actors, each share rounded up to whole batches. Each actor stops at its own
// share, so with a seed what the job writes does not depend on which actor ran faster.
inline std::uint64_t EnvStepQuota(const RolloutJobOptions& o, int index) {
  if (o.max_env_steps == 0) return 0;
  const auto actors = static_cast<std::uint64_t>(std::max(1, o.actors));
  const auto batch = static_cast<std::uint64_t>(std::max(1, o.envs_per_actor));
  const std::uint64_t share =
      o.max_env_steps / actors + (static_cast<std::uint64_t>(index) < o.max_env_steps % actors);
  return (share + batch - 1) / batch * batch;
}

// Spawners, one per actor file. Messages each actor takes are listed in its file.
// env_batch actor (scheduled): `index` among the env actors, `incarnation` counts its restarts
// (it goes into episode ids), `seed` seeds its envs.
caf::actor SpawnEnvActor(caf::actor_system& system, RolloutShared* shared, int index,
                         std::uint64_t incarnation, std::uint64_t seed);
// Writer (detached: it blocks on Redis).
caf::actor SpawnWriterActor(caf::actor_system& system, RolloutShared* shared);
// Inference (detached, blocking): acts with `initial` until a swap.
caf::actor SpawnInferenceActor(caf::actor_system& system, RolloutShared* shared,
                               InferencePolicyPtr initial);
// Counts a swap to policy `version` (notified at `notified_ns` on RolloutClock): the version
// gauge, the swap latency, the stats. Whoever swaps calls it: the inference actor, or the
// weights actor for env actors that run the policy inline.
void CountSwap(RolloutShared* shared, std::uint64_t version, std::int64_t notified_ns);
// Weights (detached, blocking): swaps in versions newer than `current` until `stop`: into the
// inference actor, or into shared->policy with options.inference "inline".
caf::actor SpawnWeightsActor(caf::actor_system& system, RolloutShared* shared,
                             std::uint64_t current, const std::atomic<bool>* stop);
// Heartbeat (detached).
caf::actor SpawnHeartbeatActor(caf::actor_system& system, RolloutShared* shared);

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_ROLLOUT_ACTORS_H_
