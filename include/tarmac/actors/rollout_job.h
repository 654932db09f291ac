#ifndef TARMAC_ACTORS_ROLLOUT_JOB_H_
#define TARMAC_ACTORS_ROLLOUT_JOB_H_

#include <atomic>
#include <caf/fwd.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/scenario_mix.h"
#include "tarmac/monitoring/metrics.h"
#include "tarmac/schemas/event.h"
#include "tarmac/util/option_table.h"

namespace tarmac::actors {

// The replay tag of DAgger-labelled items: the highest of the replay's 32 tag bits, far above
// the event bits (schemas::kNumEvents).
inline constexpr std::uint64_t kDaggerTag = std::uint64_t{1} << 31;
// The replay tag of transitions driven on a fine-tuning's focus cases (tarmac finetune).
inline constexpr std::uint64_t kFocusTag = std::uint64_t{1} << 30;
// Demonstrations of a logged ego (--policy log) at steps where the log violates the vehicle
// model's limits: data to trust less (sample them with or without this tag).
inline constexpr std::uint64_t kInfeasibleTag = std::uint64_t{1} << 29;
static_assert(schemas::kNumEvents < 29, "the event bits would reach kInfeasibleTag");

struct RolloutJobOptions {
  std::vector<buffer::ShardEndpoint> shards;
  std::string env_name = "driving-v0";
  envs::EnvConfig env_config;
  bool expert = false;  // --policy expert (demo mode) instead of the latest weights
  // --policy log (demo mode, with `expert`): each env's logged ego drives (envs::LogPolicy), the
  // recorded human driving of imported scenarios; needs a mix whose every case has one.
  bool log_ego = false;
  // DAgger: the latest weights drive and each env's expert labels the states they visit; the
  // recorded action is the expert's, the items carry kDaggerTag. For the demos table.
  bool dagger = false;
  buffer::TableSpec table;  // created when missing (name: rl or demos)
  int actors = 2;           // env_batch actors
  int envs_per_actor = 64;
  int n_step = 3;
  float gamma = 0.99F;
  float noise_scale = 1.0F;   // 1: sample the SAC policy; 0: its mean action
  float noise_spread = 0.0F;  // Ape-X style: actor i scales noise by 1 - spread * i/(N-1)
  // Demo mode (DART): the executed action is the expert's plus Gaussian noise of these standard
  // deviations (one per action dimension; the driving envs' are acceleration m/s^2 and
  // steering rad) times demo_noise; the recorded action is the expert's own. Dimensions beyond
  // the list get no noise.
  float demo_noise = 0.5F;
  std::vector<float> demo_noise_std{1.0F, 0.03F};
  std::vector<int> hidden_sizes{256, 256};  // of the random policy used before any weights
  // The inference kernels (learner::InferencePolicy::FromWeights): "auto" (this CPU's fastest)
  // or eigen, xnnpack, onednn, libtorch, to act alike on a fleet of different CPUs.
  std::string inference_backend = "auto";
  // inference_backend as FromWeights takes it ("auto": empty).
  std::string Backend() const { return inference_backend == "auto" ? "" : inference_backend; }
  // Where the forward pass runs: "batched" (the inference actor: one pass for every env actor
  // waiting) or "inline" (each env actor on its own batch, in its own thread: no hand-off to
  // another thread and back each step; on CPUs, more transitions per core).
  std::string inference = "batched";
  int insert_batch = 64;            // items per REPLAY.INSERT
  std::size_t queue_limit = 65536;  // transitions the writer holds before env actors wait
  int ack_replicas = 0;  // > 0: a transition is written once this many replicas hold it (WAIT)
  double flush_seconds = 10.0;        // on stop, how long the writer may take to flush
  double heartbeat_seconds = 2.0;     // TTL is three periods
  double weights_poll_seconds = 5.0;  // fallback poll of tarmac:weights:latest
  std::string actor_id;               // empty: <host>-<pid>-<random>
  std::uint64_t seed = 0;             // 0: drawn at start
  // 0: until stopped. Split among the env actors, each share rounded up to whole batches; an
  // actor stops at its own share, so with a seed the steps taken do not depend on timing.
  std::uint64_t max_env_steps = 0;
  EpisodeLog* episode_log = nullptr;  // also receives every finished episode (not owned)
  // Behaviour analytics of the training episodes: every driving episode is recorded, its
  // behaviour metrics and behaviour counts ("behaviour.<name>") join its summary and
  // tarmac_behaviour_total; one in log_every is written to log_dir (empty: none).
  bool analyse = true;     // false: no recording, no behaviour counts, no logs
  std::string behaviours;  // a behaviours file; empty: the built-in configs/behaviours.yaml
  int log_every = 100;
  std::string log_dir;
  // Every finished episode's summary goes to the stream tarmac:episodes, capped near this
  // many entries (0: not published), so `tarmac mine --redis` sees a fleet's training.
  int episode_stream_max = 100000;
  // Where each episode's scenario comes from: the mix file (actor.scenario_mix; empty: the env's
  // own draw) and the mix the caller loaded from it. Episodes started per source are counted in
  // tarmac_scenario_source_episodes_total{source}.
  std::string scenario_mix;
  std::shared_ptr<const envs::ScenarioMix> mix;
  // With a mix file and this loader (the CLI's parser), the file is watched: when it changes
  // during the run (checked every heartbeat), the new mix replaces the old one from each env's
  // next episode; a file that no longer parses is logged and the old mix kept.
  std::function<absl::StatusOr<envs::ScenarioMix>(const std::string& path)> load_mix;
  // Weights not signed with this key are refused (kept out of inference, counted in
  // tarmac_weights_rejected_total); empty: any intact weights load. From $TARMAC_WEIGHTS_KEY,
  // never from a config file.
  std::string weights_key;

  // InvalidArgument naming the first field outside its key's bounds, or a broken cross-field
  // rule.
  absl::Status Validate() const;
};

// The actor.* keys (and env.name) that set RolloutJobOptions. The shards, the env's own
// section (envs::EnvConfigTable) and the table's spec come from other sections; actor.table
// sets only the table's name.
const util::OptionTable<RolloutJobOptions>& RolloutJobOptionTable();

struct RolloutJobResult {
  std::uint64_t env_steps = 0;
  std::uint64_t transitions = 0;  // produced by env actors
  std::uint64_t written = 0;      // acknowledged by Redis
  std::uint64_t unwritten = 0;    // still held when the flush deadline passed (lost)
  std::uint64_t episodes = 0;
  std::uint64_t restarts = 0;  // env actors restarted after a failure
  std::uint64_t weight_swaps = 0;
  std::uint64_t weights_rejected = 0;
  std::uint64_t policy_version = 0;
  std::string actor_id;
  double seconds = 0.0;
};

// Runs one rollout process's actors inside `system`: `actors` env_batch actors of
// `envs_per_actor` envs each, one inference actor batching their observations into one forward
// pass, one writer assembling nothing lost (sequenced, exactly-once REPLAY.INSERTs with
// back-pressure), a weights actor that swaps in newly published policies, and a heartbeat.
// Blocks until `stop` (then flushes within flush_seconds) or max_env_steps. Env actors that
// throw are restarted with their episode discarded. Errors: InvalidArgument for bad options or
// an unknown env (one sentence), Unavailable when Redis cannot be reached at start.
absl::StatusOr<RolloutJobResult> RunRolloutJob(caf::actor_system& system,
                                               const RolloutJobOptions& options,
                                               monitoring::Metrics& metrics,
                                               const std::atomic<bool>& stop);

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_ROLLOUT_JOB_H_
