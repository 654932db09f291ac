#include "tarmac/cli/config_schema.h"

#include <string>

#include "default_config_yaml.h"
#include "tarmac/envs/env_config.h"

namespace tarmac::cli {
namespace {

void AddLogSection(ConfigSchema& schema) {
  schema.Choice("log.level", {"trace", "debug", "info", "warn", "error", "off"},
                "Least severe log level written to stderr.");
  schema.Choice("log.format", {"text", "json"},
                "text for terminals; json writes one object per line for log collectors.");
}

void AddMetricsSection(ConfigSchema& schema) {
  schema.Int("metrics.port", 0, 65535,
             "Port of the process's Prometheus /metrics endpoint; 0 picks a free one.");
  schema.String("metrics.bind", "Address the metrics endpoint binds: 127.0.0.1 or 0.0.0.0.");
}

void AddReplaySection(ConfigSchema& schema) {
  schema.Int("replay.port", 0, 65535, "TCP port of `tarmac replay-server` (0: unix socket only).");
  schema.String("replay.bind", "Address the replay server listens on.");
  schema.String("replay.dir", "Data directory of the replay server (RDB and AOF files).");
  schema.Bool("replay.appendonly", "Log every write to the AOF (survives a crash).");
  schema.Choice("replay.appendfsync", {"always", "everysec", "no"},
                "AOF fsync policy: always loses nothing acknowledged, everysec at most 1 s.");
  schema.Int("replay.max_payload_bytes", 1, 4294967296.0,
             "Largest item payload the replay module accepts.");
  schema.String("replay.module", "Path of tarmac_replay.so; empty finds it beside the binary.");
  schema.String("replay.maxmemory",
                "Memory limit of the replay server (e.g. 8gb; empty: none); full: writes refused.");
}

void AddReplayTableKeys(ConfigSchema& schema) {
  schema.String("replay.urls",
                "Replay shards (redis://[user:pass@]host:port or unix:///path), comma-separated.");
  schema.Int("replay.capacity", 1, 4294967296, "Items of the rl table across shards.");
  schema.Double("replay.alpha", 0, 10, "Prioritisation exponent (0: uniform sampling).");
  schema.Choice("replay.eviction", {"fifo", "minprio"}, "Which item a full table drops.");
  schema.Double("replay.samples_per_insert", 0, 1e6,
                "Sampled/inserted ratio the table enforces (0: no rate limiting).");
  schema.Int("replay.demo_capacity", 1, 4294967296, "Items of the demos table across shards.");
}

void AddLearnerSection(ConfigSchema& schema) {
  schema.Choice("learner.algo", {"sac", "bc"}, "sac, or bc (behaviour cloning on demos).");
  schema.Choice("learner.device", {"auto", "cuda", "cpu"}, "Where the networks train.");
  schema.Int("learner.threads", 0, 1024, "Torch intra-op threads (0: one per core).");
  schema.Int("learner.batch_size", 1, 65536, "Items per update.");
  schema.Int("learner.hidden_layers", 1, 16, "Hidden layers of actor and critics.");
  schema.Int("learner.hidden_units", 1, 65536, "Units per hidden layer.");
  schema.Double("learner.actor_lr", 1e-9, 1, "Adam learning rate of the actor.");
  schema.Double("learner.critic_lr", 1e-9, 1, "Adam learning rate of the critics.");
  schema.Double("learner.alpha_lr", 1e-9, 1, "Adam learning rate of the temperature.");
  schema.Double("learner.tau", 1e-6, 1, "Polyak factor of the target critics.");
  schema.Double("learner.initial_alpha", 1e-6, 100, "Entropy temperature at the start.");
  schema.Double("learner.target_entropy", -100, 100, "Target policy entropy (-action_dim).");
  schema.Double("learner.bc_weight", 0, 1e6, "Weight of the BC term in the SAC actor loss.");
  schema.Double("learner.bc_mse_weight", 0, 1e6,
                "BC loss: -log-likelihood plus this times the squared error of the mean action.");
  schema.Int("learner.bc_decay_updates", 0, 1e12,
             "Updates over which the BC weight decays linearly to 0 (0: constant).");
  schema.Double("learner.beta_start", 0, 1, "PER importance exponent at the start.");
  schema.Int("learner.beta_updates", 0, 1e12, "Updates over which beta anneals to 1.");
  schema.Double("learner.priority_epsilon", 1e-12, 1e6, "Added to |TD| for new priorities.");
  schema.Double("learner.max_grad_norm", 0, 1e9, "Gradient norm clip (0: none).");
  schema.Int("learner.samplers", 1, 64, "Sampler actors.");
  schema.Int("learner.prefetch", 1, 64, "Batches requested ahead per sampler.");
  schema.Int("learner.min_replay", 0, 1e12, "Items the table needs before updates start.");
  schema.StringList("learner.demo_events", "Events oversampled in demo batches.");
  schema.Double("learner.demo_event_share", 0, 0.99,
                "Share of each demo batch drawn from items tagged with learner.demo_events.");
  schema.Int("learner.actor_warmup_updates", 0, 1e12,
             "First updates of a run that train only the critics (the actor waits).");
  schema.Int("learner.publish_every", 1, 1e9, "Updates between weight publications.");
  schema.Double("learner.checkpoint_seconds", 0.1, 1e9, "Seconds between checkpoints.");
  schema.String("learner.checkpoint_dir", "Where checkpoints go (ckpt-<step>.pt).");
  schema.Int("learner.keep_checkpoints", 1, 1000, "Newest checkpoints kept.");
  schema.Bool("learner.resume", "Continue from the newest checkpoint.");
  schema.Int("learner.max_updates", 0, 1e15, "Stop after this many updates (0: never).");
  schema.Int("learner.seed", 0, 1e15, "Seed of initialisation and update noise.");
}

void AddActorSection(ConfigSchema& schema) {
  schema.Choice("actor.policy", {"latest", "expert"}, "Published weights, or the expert.");
  schema.String("actor.table", "Replay table the transitions go to (rl or demos).");
  schema.Int("actor.actors", 1, 1024, "env_batch actors per process.");
  schema.Int("actor.envs_per_actor", 1, 65536, "Envs stepped by each env_batch actor.");
  schema.Int("actor.n_step", 1, 255, "Rewards summed per transition.");
  schema.Double("actor.gamma", 1e-6, 1, "Discount factor.");
  schema.Double("actor.noise_scale", 0, 100, "Scale of the policy's sampling noise.");
  schema.Double("actor.noise_spread", 0, 1, "Per-actor noise spread (Ape-X style).");
  schema.Double("actor.demo_noise", 0, 100,
                "Demo mode: noise on the expert's executed action (x actor.demo_noise_std).");
  schema.StringList("actor.demo_noise_std",
                    "Demo mode: noise standard deviation per action dimension (numbers).");
  schema.Int("actor.hidden_layers", 1, 16, "Hidden layers of the initial random policy.");
  schema.Int("actor.hidden_units", 1, 65536, "Units per layer of the initial random policy.");
  schema.Int("actor.insert_batch", 1, 65536, "Items per REPLAY.INSERT.");
  schema.Int("actor.queue_limit", 1, 1e9, "Transitions held before the envs wait.");
  schema.Double("actor.flush_seconds", 0, 3600, "Time allowed to flush on SIGTERM.");
  schema.Double("actor.heartbeat_seconds", 0.05, 3600, "Heartbeat period (TTL: three).");
  schema.Double("actor.weights_poll_seconds", 0.05, 3600,
                "Fallback poll of tarmac:weights:latest between announcements.");
  schema.Int("actor.max_env_steps", 0, 1e15, "Stop after this many env steps (0: never).");
  schema.Int("actor.seed", 0, 1e15, "Seed of the envs (0: drawn at start).");
}

void AddTrainSection(ConfigSchema& schema) {
  schema.String("train.out", "Directory of the run: replay data, checkpoints, report, log.");
  schema.Double("train.minutes", 0, 1e7,
                "Wall-clock budget of the whole run, evaluation included (0: no limit).");
  schema.Int("train.updates", 0, 1e15, "SAC updates of the RL phase (0: until time is up).");
  schema.Int("train.actors", 1, 1024,
             "env_batch actors of the rollout (overrides actor.actors; an explicit "
             "actor.actors is used when this is left at its default).");
  schema.Int("train.envs_per_actor", 1, 65536,
             "Envs each env_batch actor steps (overrides actor.envs_per_actor likewise).");
  schema.Int("train.demo_steps", 0, 1e12, "Expert env steps written to demos before SFT.");
  schema.Int("train.sft_updates", 0, 1e12, "Behaviour-cloning updates before RL (0: none).");
  schema.Double("train.setup_fraction", 0.01, 1,
                "Share of the minutes after which demos and SFT stop even if unfinished.");
  schema.Double(
      "train.bc_weight", 0, 1e6,
      "Weight of the BC term during the RL phase (overrides learner.bc_weight likewise).");
  schema.Int("train.critic_warmup_updates", 0, 1e12,
             "RL updates that train only the critics before the actor moves.");
  schema.Double("train.samples_per_insert", 0, 1e6,
                "Sampled/inserted ratio on rl during RL (0: no pacing; overrides "
                "replay.samples_per_insert likewise).");
  schema.Int("train.queue_limit", 1, 1e9,
             "Transitions the writer holds before the envs wait (overrides actor.queue_limit "
             "likewise).");
  schema.String("train.suite", "Final evaluation suite: default (built in) or a suite file.");
  schema.Double("train.progress_seconds", 0.1, 3600,
                "Seconds between progress lines when stdout is not a terminal.");
  schema.Double("train.curve_seconds", 0.1, 3600, "Seconds between learning-curve points.");
}

void AddEnvSection(ConfigSchema& schema) {
  schema.String("env.name", "Registered env the actors run (`tarmac envs` lists them).");
  schema.Double("env.episode_seconds", 1, 600, "Episode length before truncation, s.");
  schema.Double("env.speed_limit", 1, 70, "Speed limit of the scenarios, m/s.");
  schema.Choice("env.reward.composition", {"additive", "multiplicative"},
                "additive: weighted sum of terms; multiplicative: nuPlan-like (a collision or "
                "leaving the road zeroes the step, the rest is a weighted average).");
  for (const envs::RewardTermInfo& term : envs::kRewardTerms) {
    schema.Double(std::string("env.reward.") + term.name, 0, 1000,
                  std::string("Weight of the ") + term.name + " reward term.");
  }
  schema.Double("env.events.hard_brake_accel", -20, 0,
                "hard_brake fires below this longitudinal acceleration, m/s^2.");
  schema.Double("env.events.near_miss_ttc", 0, 10, "near_miss fires below this TTC, s.");
  schema.Double("env.events.lane_departure_seconds", 0, 60,
                "lane_departure fires after straddling a lane line this long, s.");
  schema.Double("env.events.cut_in_ttc", 0, 20,
                "cut_in fires when a new leader arrives with a TTC below this, s.");
  schema.Double("env.events.cut_in_headway", 0, 10, "... or with a time headway below this, s.");
}

ConfigSchema BuildSchema() {
  ConfigSchema schema;
  AddLogSection(schema);
  AddMetricsSection(schema);
  AddReplaySection(schema);
  AddReplayTableKeys(schema);
  AddEnvSection(schema);
  AddLearnerSection(schema);
  AddActorSection(schema);
  AddTrainSection(schema);
  return schema;
}

}  // namespace

const ConfigSchema& TarmacConfigSchema() {
  static const ConfigSchema* const schema = new ConfigSchema(BuildSchema());
  return *schema;
}

absl::string_view DefaultConfigYaml() { return kDefaultConfigYaml; }

absl::StatusOr<Config> DefaultConfig() {
  Config config(&TarmacConfigSchema());
  if (absl::Status s = config.MergeYaml(DefaultConfigYaml(), "default"); !s.ok()) return s;
  if (absl::Status s = config.CheckComplete(); !s.ok()) return s;
  return config;
}

}  // namespace tarmac::cli
