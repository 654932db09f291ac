#include "job_settings.h"

#include <cmath>
#include <csignal>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tarmac/cli/build_info.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/schemas/event.h"

namespace tarmac::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_signalled{false};

extern "C" void OnStopSignal(int /*signal*/) {
  g_stop.store(true);
  g_signalled.store(true);
}

absl::StatusOr<std::vector<buffer::ShardEndpoint>> ShardsFrom(const Config& config) {
  const std::string& urls = config.GetString("replay.urls");
  if (urls.empty()) {
    return absl::InvalidArgumentError(
        "no replay shards: pass --redis URL[,URL...] (e.g. redis://127.0.0.1:6379)");
  }
  auto shards = buffer::ShardEndpoint::ParseList(urls);
  if (!shards.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--redis: ", shards.status().message()));
  }
  if (const char* password = std::getenv("TARMAC_REDIS_PASSWORD");
      password != nullptr && *password != '\0') {
    for (auto& shard : *shards) {
      if (shard.password.empty()) shard.password = password;
    }
  }
  return shards;
}

std::vector<int> Hidden(const Config& config, const std::string& section) {
  return std::vector<int>(static_cast<std::size_t>(config.GetInt(section + ".hidden_layers")),
                          static_cast<int>(config.GetInt(section + ".hidden_units")));
}

}  // namespace

buffer::TableSpec RlTableFrom(const Config& config) {
  buffer::TableSpec spec;
  spec.name = "rl";
  spec.capacity = static_cast<std::uint64_t>(config.GetInt("replay.capacity"));
  spec.alpha = config.GetDouble("replay.alpha");
  spec.eviction = config.GetString("replay.eviction");
  spec.samples_per_insert = config.GetDouble("replay.samples_per_insert");
  return spec;
}

buffer::TableSpec DemoTableFrom(const Config& config) {
  buffer::TableSpec spec;
  spec.name = "demos";
  spec.capacity = static_cast<std::uint64_t>(config.GetInt("replay.demo_capacity"));
  spec.alpha = 0.0;  // demonstrations are sampled uniformly
  return spec;
}

absl::StatusOr<actors::LearnerJobOptions> LearnerOptionsFrom(const Config& config) {
  actors::LearnerJobOptions o;
  auto shards = ShardsFrom(config);
  if (!shards.ok()) return shards.status();
  o.shards = *shards;
  auto probe = envs::EnvBatch::Create(EnvNameFrom(config), 1, 1, EnvConfigFrom(config));
  if (!probe.ok()) return probe.status();
  const envs::EnvSpec& spec = (*probe)->spec();
  o.shape = {spec.observation_size, spec.action_size, spec.action_low, spec.action_high};
  learner::SacOptions& sac = o.sac;
  sac.algorithm =
      config.GetString("learner.algo") == "bc" ? learner::Algorithm::kBc : learner::Algorithm::kSac;
  sac.device = config.GetString("learner.device");
  sac.threads = static_cast<int>(config.GetInt("learner.threads"));
  sac.hidden_sizes = Hidden(config, "learner");
  sac.actor_lr = config.GetDouble("learner.actor_lr");
  sac.critic_lr = config.GetDouble("learner.critic_lr");
  sac.alpha_lr = config.GetDouble("learner.alpha_lr");
  sac.tau = config.GetDouble("learner.tau");
  sac.initial_alpha = config.GetDouble("learner.initial_alpha");
  sac.target_entropy = config.GetDouble("learner.target_entropy");
  sac.bc_weight = config.GetDouble("learner.bc_weight");
  sac.bc_mse_weight = config.GetDouble("learner.bc_mse_weight");
  sac.priority_epsilon = config.GetDouble("learner.priority_epsilon");
  sac.max_grad_norm = config.GetDouble("learner.max_grad_norm");
  sac.seed = static_cast<std::uint64_t>(config.GetInt("learner.seed"));
  o.rl_table = RlTableFrom(config);
  o.demo_table = DemoTableFrom(config);
  const double share = config.GetDouble("learner.demo_event_share");
  if (share > 0.0) {
    std::uint64_t mask = 0;
    for (const std::string& name : config.GetStringList("learner.demo_events")) {
      auto event = schemas::ParseEvent(name);
      if (!event.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("learner.demo_events: ", event.status().message()));
      }
      mask |= schemas::EventBit(*event);
    }
    if (mask != 0) o.demo_tag_mixture = {{mask, share}, {0, 1.0 - share}};
  }
  o.batch_size = static_cast<int>(config.GetInt("learner.batch_size"));
  o.samplers = static_cast<int>(config.GetInt("learner.samplers"));
  o.prefetch = static_cast<int>(config.GetInt("learner.prefetch"));
  o.beta_start = config.GetDouble("learner.beta_start");
  o.beta_updates = static_cast<std::uint64_t>(config.GetInt("learner.beta_updates"));
  o.bc_decay_updates = static_cast<std::uint64_t>(config.GetInt("learner.bc_decay_updates"));
  o.min_replay = static_cast<std::uint64_t>(config.GetInt("learner.min_replay"));
  o.actor_warmup_updates =
      static_cast<std::uint64_t>(config.GetInt("learner.actor_warmup_updates"));
  o.publish_every = static_cast<std::uint64_t>(config.GetInt("learner.publish_every"));
  o.checkpoint_seconds = config.GetDouble("learner.checkpoint_seconds");
  o.checkpoint_dir = config.GetString("learner.checkpoint_dir");
  o.keep_checkpoints = static_cast<int>(config.GetInt("learner.keep_checkpoints"));
  o.resume = config.GetBool("learner.resume");
  o.max_updates = static_cast<std::uint64_t>(config.GetInt("learner.max_updates"));
  if (auto s = o.Validate(); !s.ok()) return s;
  return o;
}

absl::StatusOr<actors::RolloutJobOptions> RolloutOptionsFrom(const Config& config) {
  actors::RolloutJobOptions o;
  auto shards = ShardsFrom(config);
  if (!shards.ok()) return shards.status();
  o.shards = *shards;
  o.env_name = EnvNameFrom(config);
  o.env_config = EnvConfigFrom(config);
  o.expert = config.GetString("actor.policy") == "expert";
  const std::string& table = config.GetString("actor.table");
  if (table == "rl") {
    o.table = RlTableFrom(config);
  } else if (table == "demos") {
    o.table = DemoTableFrom(config);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--table '", table, "' is not a tarmac table; use rl or demos"));
  }
  o.actors = static_cast<int>(config.GetInt("actor.actors"));
  o.envs_per_actor = static_cast<int>(config.GetInt("actor.envs_per_actor"));
  o.n_step = static_cast<int>(config.GetInt("actor.n_step"));
  o.gamma = static_cast<float>(config.GetDouble("actor.gamma"));
  o.noise_scale = static_cast<float>(config.GetDouble("actor.noise_scale"));
  o.noise_spread = static_cast<float>(config.GetDouble("actor.noise_spread"));
  o.demo_noise = static_cast<float>(config.GetDouble("actor.demo_noise"));
  o.demo_noise_std.clear();
  for (const std::string& text : config.GetStringList("actor.demo_noise_std")) {
    float std_dev = 0.0F;
    if (!absl::SimpleAtof(text, &std_dev) || !(std_dev >= 0.0F) || !std::isfinite(std_dev)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "actor.demo_noise_std: '", text, "' is not a standard deviation (a number >= 0)"));
    }
    o.demo_noise_std.push_back(std_dev);
  }
  o.hidden_sizes = Hidden(config, "actor");
  o.insert_batch = static_cast<int>(config.GetInt("actor.insert_batch"));
  o.queue_limit = static_cast<std::size_t>(config.GetInt("actor.queue_limit"));
  o.flush_seconds = config.GetDouble("actor.flush_seconds");
  o.heartbeat_seconds = config.GetDouble("actor.heartbeat_seconds");
  o.weights_poll_seconds = config.GetDouble("actor.weights_poll_seconds");
  o.max_env_steps = static_cast<std::uint64_t>(config.GetInt("actor.max_env_steps"));
  o.seed = static_cast<std::uint64_t>(config.GetInt("actor.seed"));
  // The env name is checked where the env is built (RunRolloutJob), once.
  if (auto s = o.Validate(); !s.ok()) return s;
  return o;
}

const std::atomic<bool>& InstallStopSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  return g_stop;
}

bool StoppedBySignal() { return g_signalled.load(); }

absl::StatusOr<std::unique_ptr<monitoring::MetricsExposer>> StartMetrics(
    const Config& config, monitoring::Metrics& metrics) {
  monitoring::ExposerOptions options;
  options.port = static_cast<int>(config.GetInt("metrics.port"));
  options.bind_address = config.GetString("metrics.bind");
  const BuildInfo& build = GetBuildInfo();
  metrics.build_info.Add({{"version", build.version}, {"git", build.git_hash}}).Set(1);
  return monitoring::MetricsExposer::Start(options, metrics.registry());
}

}  // namespace tarmac::cli
