#ifndef TARMAC_CLI_JOB_SETTINGS_H_
#define TARMAC_CLI_JOB_SETTINGS_H_

#include <atomic>
#include <caf/all.hpp>
#include <memory>
#include <optional>
#include <ostream>

#include "absl/status/statusor.h"
#include "command.h"
#include "exit_codes.h"
#include "tarmac/actors/learner_job.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/cli/config.h"
#include "tarmac/monitoring/exposer.h"
#include "tarmac/monitoring/metrics.h"

namespace tarmac::cli {

// The options of `tarmac learner` / `tarmac actor` from the merged config. InvalidArgument
// (one sentence, naming the key or flag) when the shards or the env are wrong.
absl::StatusOr<actors::LearnerJobOptions> LearnerOptionsFrom(const Config& config);
absl::StatusOr<actors::RolloutJobOptions> RolloutOptionsFrom(const Config& config);
// What rollouts reload a changed scenario mix file with (RolloutJobOptions::load_mix): the
// file parsed over `base`, the env config's scenario ranges.
std::function<absl::StatusOr<envs::ScenarioMix>(const std::string&)> MixLoader(
    const envs::ScenarioConfig& base);

// The replay.* keys of the tables tarmac's processes create, and where the shards are.
struct ReplayTables {
  std::string urls;
  buffer::TableSpec rl{"rl"};
  buffer::TableSpec demos{"demos", 500000, 0.0};  // demonstrations are sampled uniformly
};
const util::OptionTable<ReplayTables>& ReplayTablesTable();
ReplayTables ReplayTablesFrom(const Config& config);

// The replay tables as the config describes them.
buffer::TableSpec RlTableFrom(const Config& config);
buffer::TableSpec DemoTableFrom(const Config& config);

// SIGINT and SIGTERM set the returned flag (once installed, for the process's lifetime).
const std::atomic<bool>& InstallStopSignals();
bool StoppedBySignal();

// The process's /metrics endpoint (metrics.port / metrics.bind) with build info set.
absl::StatusOr<std::unique_ptr<monitoring::MetricsExposer>> StartMetrics(
    const Config& config, monitoring::Metrics& metrics);

// The frame of a long-running job command: SIGINT/SIGTERM handling, the /metrics endpoint and a
// configured actor system around `job(system, metrics, stop)`. On failure it writes one sentence
// to context.err and returns the exit code in `*exit_code`; nullopt then.
template <class Job>
auto RunJobCommand(const CommandContext& context, int* exit_code, Job job)
    -> std::optional<typename decltype(job(std::declval<caf::actor_system&>(),
                                           std::declval<monitoring::Metrics&>(),
                                           std::declval<const std::atomic<bool>&>()))::value_type> {
  const std::atomic<bool>& stop = InstallStopSignals();
  monitoring::Metrics metrics;
  auto exposer = StartMetrics(context.config, metrics);
  if (!exposer.ok()) {
    context.err << "tarmac: " << exposer.status().message() << ".\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  caf::actor_system_config cfg;
  actors::ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  auto result = job(system, metrics, stop);
  if (!result.ok()) {
    context.err << "tarmac: " << result.status().message() << ".\n";
    *exit_code =
        result.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    return std::nullopt;
  }
  *exit_code = StoppedBySignal() ? kExitInterrupted : kExitOk;
  return std::move(*result);
}

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_JOB_SETTINGS_H_
