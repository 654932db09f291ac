// The actor.* keys of RolloutJobOptions, and its checks.
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/sac_options.h"

namespace tarmac::actors {
namespace {

using util::OptionType;
using util::OptionValue;
using O = RolloutJobOptions;

void AddDemoNoiseKeys(util::OptionTable<O>& t) {
  t.Number("actor.demo_noise", &O::demo_noise, 0, 100,
           "Demo mode: noise on the expert's executed action (x actor.demo_noise_std).");
  t.Custom(
      {"actor.demo_noise_std",
       OptionType::kStringList,
       {},
       {},
       {},
       {},
       "Demo mode: noise standard deviation per action dimension (numbers)."},
      [](const O& o) {
        std::vector<std::string> texts;
        for (float std_dev : o.demo_noise_std) texts.push_back(absl::StrCat(std_dev));
        return OptionValue(texts);
      },
      [](O& o, const OptionValue& v) {
        std::vector<float> std_devs;
        for (const std::string& text : std::get<std::vector<std::string>>(v)) {
          float std_dev = 0.0F;
          if (!absl::SimpleAtof(text, &std_dev) || !(std_dev >= 0.0F) || !std::isfinite(std_dev)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "actor.demo_noise_std: '", text, "' is not a standard deviation (a number >= 0)"));
          }
          std_devs.push_back(std_dev);
        }
        o.demo_noise_std = std::move(std_devs);
        return absl::OkStatus();
      });
}

void AddPolicyKeys(util::OptionTable<O>& t) {
  t.String("env.name", &O::env_name, "Registered env the actors run (`tarmac envs` lists them).");
  t.Custom(
      {"actor.policy",
       OptionType::kChoice,
       {},
       {},
       {},
       {"latest", "expert", "log"},
       "Published weights, the expert, or the logged ego of imported scenarios (human "
       "demonstrations; needs a scenario mix of scenario files with logged egos)."},
      [](const O& o) {
        return OptionValue(std::string(o.log_ego ? "log" : o.expert ? "expert" : "latest"));
      },
      [](O& o, const OptionValue& v) {
        const std::string& policy = std::get<std::string>(v);
        o.expert = policy != "latest";
        o.log_ego = policy == "log";
        return absl::OkStatus();
      });
  t.Custom(
      {"actor.table",
       OptionType::kString,
       {},
       {},
       {},
       {},
       "Replay table the transitions go to (rl or demos)."},
      [](const O& o) { return OptionValue(o.table.name); },
      [](O& o, const OptionValue& v) {
        o.table.name = std::get<std::string>(v);
        return absl::OkStatus();
      });
  t.Number("actor.noise_scale", &O::noise_scale, 0, 100, "Scale of the policy's sampling noise.");
  t.Number("actor.noise_spread", &O::noise_spread, 0, 1, "Per-actor noise spread (Ape-X style).");
  learner::AddHiddenSizeKeys(t, "actor", &O::hidden_sizes,
                             "the random policy used before any weights are published");
}

void AddRolloutKeys(util::OptionTable<O>& t) {
  t.Int("actor.actors", &O::actors, 1, 1024, "env_batch actors per process.");
  t.Int("actor.envs_per_actor", &O::envs_per_actor, 1, 65536,
        "Envs stepped by each env_batch actor.");
  t.Int("actor.n_step", &O::n_step, 1, 255, "Rewards summed per transition.");
  t.Number("actor.gamma", &O::gamma, 1e-6, 1, "Discount factor.");
  t.Choice("actor.inference_backend", &O::inference_backend,
           {"auto", "eigen", "xnnpack", "onednn", "libtorch"},
           "Kernels of the policy's forward pass: auto (this CPU's fastest: eigen with AVX2 and "
           "no AVX-512, else xnnpack), or one named, so that a fleet of different CPUs acts "
           "alike (the rollouts, and the checkpoints eval, compare, search and finetune load).");
  t.Choice("actor.inference", &O::inference, {"batched", "inline"},
           "Where the policy's forward pass runs: batched (one inference actor, one pass for "
           "every env actor waiting) or inline (each env actor on its own batch, in its own "
           "thread: no hand-off to another thread and back each step; measured 14-41% (median "
           "29%) more transitions per core on a two-core CPU with the default 2 x 64 envs).");
  t.Int("actor.insert_batch", &O::insert_batch, 1, 65536, "Items per REPLAY.INSERT.");
  t.Int("actor.queue_limit", &O::queue_limit, 1, 1e9, "Transitions held before the envs wait.");
  t.Int("replay.ack_replicas", &O::ack_replicas, 0, 16,
        "Replicas that must hold a transition (WAIT) before the actor counts it written; with "
        "Sentinel URLs, a failover then loses nothing acknowledged (0: the primary's word).");
  t.Number("actor.flush_seconds", &O::flush_seconds, 0, 3600, "Time allowed to flush on SIGTERM.");
  t.Number("actor.heartbeat_seconds", &O::heartbeat_seconds, 0.05, 3600,
           "Heartbeat period (TTL: three).");
  t.Number("actor.weights_poll_seconds", &O::weights_poll_seconds, 0.05, 3600,
           "Fallback poll of tarmac:weights:latest between announcements.");
  t.String("actor.id", &O::actor_id,
           "This process's producer id in the replay (empty: <host>-<pid>-<random>); keep it "
           "unique per process, e.g. the pod name.");
  t.Int("actor.max_env_steps", &O::max_env_steps, 0, 1e15,
        "Stop after this many env steps (0: never), split evenly among the env actors, each "
        "share rounded up to whole batches of actor.envs_per_actor.");
  t.Int("actor.seed", &O::seed, 0, 1e15, "Seed of the envs (0: drawn at start).");
  t.Bool("actor.analyse", &O::analyse,
         "Record every training episode to count its behaviours and log one in "
         "actor.log_every (false saves that cost: no tarmac_behaviour_total, no logs).");
  t.String("actor.behaviours", &O::behaviours,
           "Behaviours file counted in every training episode (tarmac_behaviour_total); empty: "
           "the built-in configs/behaviours.yaml.");
  t.String("actor.scenario_mix", &O::scenario_mix,
           "Scenario mix file: where each training episode's scenario comes from (families with "
           "ranges, suite cases exact or jittered; configs/scenario_mix.yaml); empty: the env's "
           "own draw.");
  t.Int("actor.log_every", &O::log_every, 1, 1e9,
        "Write one in this many training episodes as an episode log to actor.log_dir.");
  t.Int("actor.episode_stream_max", &O::episode_stream_max, 0, 1e9,
        "Entries the tarmac:episodes stream of episode summaries keeps (0: do not publish).");
  t.String("actor.log_dir", &O::log_dir,
           "Directory for the episode logs of training (empty: none; tarmac train uses "
           "<run>/episodes), for `tarmac mine`.");
}

util::OptionTable<O> BuildTable() {
  O defaults;
  defaults.table.name = "rl";  // a configured rollout writes to the rl table unless told
  util::OptionTable<O> t(defaults);
  AddPolicyKeys(t);
  AddDemoNoiseKeys(t);
  AddRolloutKeys(t);
  return t;
}

}  // namespace

const util::OptionTable<RolloutJobOptions>& RolloutJobOptionTable() {
  static const auto* const table = new util::OptionTable<RolloutJobOptions>(BuildTable());
  return *table;
}

absl::Status RolloutJobOptions::Validate() const {
  if (shards.empty()) return absl::InvalidArgumentError("the rollout needs at least one shard");
  if (table.name.empty()) return absl::InvalidArgumentError("--table needs a name (rl or demos)");
  if (absl::Status s = RolloutJobOptionTable().Check(*this); !s.ok()) return s;
  for (float std_dev : demo_noise_std) {
    if (!(std_dev >= 0.0F) || !std::isfinite(std_dev)) {
      return absl::InvalidArgumentError(absl::StrCat("actor.demo_noise_std holds ", std_dev,
                                                     "; use finite standard deviations >= 0"));
    }
  }
  if (expert && dagger) {
    return absl::InvalidArgumentError(
        "DAgger drives the published weights and labels with the expert; it cannot also drive "
        "the expert (actor.policy expert)");
  }
  if (auto pinned = learner::InferencePolicy::PinnedBackend(inference_backend); !pinned.ok()) {
    return pinned.status();
  }
  if (queue_limit < static_cast<std::size_t>(insert_batch)) {
    return absl::InvalidArgumentError(absl::StrCat("actor.queue_limit (", queue_limit,
                                                   ") must hold at least one batch (",
                                                   "actor.insert_batch ", insert_batch, ")"));
  }
  return absl::OkStatus();
}

}  // namespace tarmac::actors
