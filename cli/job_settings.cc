#include "job_settings.h"

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tarmac/cli/build_info.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/event.h"
#include "tarmac/schemas/policy_weights.h"

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
  // A pod's role credential (tarmac replay-server --acl) comes from its environment, so one
  // URL list serves every role.
  if (const char* user = std::getenv("TARMAC_REDIS_USER"); user != nullptr && *user != '\0') {
    for (auto& shard : *shards) {
      if (shard.user.empty()) shard.user = user;
    }
  }
  if (const char* password = std::getenv("TARMAC_REDIS_PASSWORD");
      password != nullptr && *password != '\0') {
    for (auto& shard : *shards) {
      if (shard.password.empty()) shard.password = password;
    }
  }
  return shards;
}

util::OptionTable<ReplayTables> BuildReplayTables() {
  using R = ReplayTables;
  util::OptionTable<R> t;
  t.String("replay.urls", &R::urls,
           "Replay shards (redis://[user:pass@]host:port or unix:///path), comma-separated.");
  util::OptionTable<buffer::TableSpec> rl(ReplayTables{}.rl);
  rl.Int("replay.capacity", &buffer::TableSpec::capacity, 1, 4294967296,
         "Items of the rl table across shards.");
  rl.Number("replay.alpha", &buffer::TableSpec::alpha, 0, 10,
            "Prioritisation exponent (0: uniform sampling).");
  rl.Choice("replay.eviction", &buffer::TableSpec::eviction, {"fifo", "minprio"},
            "Which item a full table drops.");
  rl.Number("replay.samples_per_insert", &buffer::TableSpec::samples_per_insert, 0, 1e6,
            "Sampled/inserted ratio the table enforces (0: no rate limiting).");
  t.Include(&R::rl, rl);
  util::OptionTable<buffer::TableSpec> demos(ReplayTables{}.demos);
  demos.Int("replay.demo_capacity", &buffer::TableSpec::capacity, 1, 4294967296,
            "Items of the demos table across shards.");
  t.Include(&R::demos, demos);
  return t;
}

}  // namespace

const util::OptionTable<ReplayTables>& ReplayTablesTable() {
  static const auto* const table = new util::OptionTable<ReplayTables>(BuildReplayTables());
  return *table;
}

ReplayTables ReplayTablesFrom(const Config& config) {
  ReplayTables tables;
  // Every replay.* table key sets its field as it is; none converts further.
  (void)config.Apply(ReplayTablesTable(), tables);
  return tables;
}

buffer::TableSpec RlTableFrom(const Config& config) { return ReplayTablesFrom(config).rl; }

buffer::TableSpec DemoTableFrom(const Config& config) { return ReplayTablesFrom(config).demos; }

absl::StatusOr<actors::LearnerJobOptions> LearnerOptionsFrom(const Config& config) {
  actors::LearnerJobOptions o;
  if (absl::Status s = config.Apply(actors::LearnerJobOptionTable(), o); !s.ok()) return s;
  auto shards = ShardsFrom(config);
  if (!shards.ok()) return shards.status();
  o.shards = *shards;
  auto env_config = EnvConfigFrom(config);
  if (!env_config.ok()) return env_config.status();
  auto probe = envs::EnvBatch::Create(EnvNameFrom(config), 1, 1, *env_config);
  if (!probe.ok()) return probe.status();
  const envs::EnvSpec& spec = (*probe)->spec();
  o.shape = {spec.observation_size, spec.action_size, spec.action_low, spec.action_high,
             spec.tokens};
  o.rl_table = RlTableFrom(config);
  o.demo_table = DemoTableFrom(config);
  if (auto s = o.Validate(); !s.ok()) return s;
  if (auto s = learner::CheckActor(o.sac, o.shape); !s.ok()) return s;
  auto key = schemas::WeightsKeyFromEnvironment();
  if (!key.ok()) return key.status();
  o.weights_key = *std::move(key);
  return o;
}

std::function<absl::StatusOr<envs::ScenarioMix>(const std::string&)> MixLoader(
    const envs::ScenarioConfig& base) {
  return [base](const std::string& path) { return LoadScenarioMix(path, base); };
}

absl::StatusOr<actors::RolloutJobOptions> RolloutOptionsFrom(const Config& config) {
  actors::RolloutJobOptions o;
  if (absl::Status s = config.Apply(actors::RolloutJobOptionTable(), o); !s.ok()) return s;
  auto shards = ShardsFrom(config);
  if (!shards.ok()) return shards.status();
  o.shards = *shards;
  auto env_config = EnvConfigFrom(config);
  if (!env_config.ok()) return env_config.status();
  o.env_config = *env_config;
  const std::string table = o.table.name;
  if (table == "rl") {
    o.table = RlTableFrom(config);
  } else if (table == "demos") {
    o.table = DemoTableFrom(config);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--table '", table, "' is not a tarmac table; use rl or demos"));
  }
  if (!o.scenario_mix.empty()) {
    auto mix = LoadScenarioMix(o.scenario_mix, o.env_config.scenario);
    if (!mix.ok()) return mix.status();
    o.mix = std::make_shared<const envs::ScenarioMix>(*std::move(mix));
    o.load_mix = MixLoader(o.env_config.scenario);
  }
  // The env name is checked where the env is built (RunRolloutJob), once.
  if (auto s = o.Validate(); !s.ok()) return s;
  auto key = schemas::WeightsKeyFromEnvironment();
  if (!key.ok()) return key.status();
  o.weights_key = *std::move(key);
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
  if (absl::Status s = config.Apply(monitoring::ExposerOptionTable(), options); !s.ok()) return s;
  const BuildInfo& build = GetBuildInfo();
  metrics.build_info.Add({{"version", build.version}, {"git", build.git_hash}}).Set(1);
  return monitoring::MetricsExposer::Start(options, metrics.registry());
}

}  // namespace tarmac::cli
