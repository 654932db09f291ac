#include "evaluation_run.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/cli/config.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/registry.h"
#include "tarmac/learner/network_policy.h"

namespace tarmac::cli {

absl::StatusOr<std::unique_ptr<envs::Policy>> LoadEvaluationPolicy(const std::string& name,
                                                                   const Config& config,
                                                                   std::ostream* log) {
  if (const std::size_t plus = name.rfind("+delay="); plus != std::string::npos) {
    const std::string text = name.substr(plus + 7);
    double seconds = 0.0;
    if (!absl::SimpleAtod(text, &seconds) || !(seconds >= 0.0) || seconds > 10.0) {
      return absl::InvalidArgumentError(absl::StrCat("--policy ", name, ": the reaction delay '",
                                                     text, "' must be 0 to 10 seconds"));
    }
    auto inner = LoadEvaluationPolicy(name.substr(0, plus), config, log);
    if (!inner.ok()) return inner.status();
    auto env_config = EnvConfigFrom(config);
    if (!env_config.ok()) return env_config.status();
    const int steps = static_cast<int>(std::lround(seconds / env_config->scenario.dt));
    return std::make_unique<envs::DelayedPolicy>(std::move(*inner), steps);
  }
  if (name == "expert") return std::make_unique<envs::EnvExpert>();
  learner::InferencePolicy::CheckpointChoice choice;
  auto net = learner::InferencePolicy::FromCheckpoint(name, &choice);
  if (!net.ok() && net.status().code() == absl::StatusCode::kNotFound &&
      !NearestName(name, {"expert"}).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--policy ", name, " is neither a checkpoint nor a policy name (did you mean 'expert'?)"));
  }
  if (!net.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--policy ", name, ": ", net.status().message()));
  }
  if (log != nullptr) {
    for (const auto& [path, why] : choice.skipped) {
      *log << "policy: skipped " << path << ": " << why << "\n";
    }
    *log << "policy: loaded " << choice.loaded << "\n";
  }
  auto env_config = EnvConfigFrom(config);
  if (!env_config.ok()) return env_config.status();
  auto probe = envs::EnvBatch::Create(EnvNameFrom(config), 1, 1, *env_config);
  if (!probe.ok()) return probe.status();
  const auto& arch = (*net)->architecture();
  const envs::EnvSpec& spec = (*probe)->spec();
  if (arch.obs_dim != static_cast<std::uint32_t>(spec.observation_size) ||
      arch.action_dim != static_cast<std::uint32_t>(spec.action_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--policy ", name, " was trained on observations of ", arch.obs_dim,
                     " floats, but the driving envs have ", spec.observation_size));
  }
  return std::make_unique<learner::NetworkPolicy>(
      std::shared_ptr<const learner::InferencePolicy>(std::move(*net)));
}

namespace {

// The episodes of one suite entry of a registered env: the policy, the env's expert and the
// baseline on each seed, summaries only.
absl::Status EvaluateEnvEntry(const envs::SuiteEntry& entry, envs::Policy& policy,
                              bool policy_is_expert, envs::Policy* baseline,
                              const envs::EnvConfig& env_config, EvaluationReport* report) {
  auto env = envs::EnvRegistry::Global().Make(entry.env, env_config);
  if (!env.ok()) return absl::InvalidArgumentError(env.status().message());
  if ((*env)->MakeExpert() == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("the suite's env ", entry.env,
                                                   " offers no expert to compare the policy with"));
  }
  envs::EnvExpert expert;
  for (int i = 0; i < entry.count; ++i) {
    EvaluatedSeed seed;
    seed.env = entry.env;
    seed.seed = entry.first_seed + static_cast<std::uint64_t>(i);
    seed.expert = envs::RunEnvEpisode(expert, **env, seed.seed);
    seed.policy = policy_is_expert ? seed.expert : envs::RunEnvEpisode(policy, **env, seed.seed);
    if (baseline != nullptr) seed.baseline = envs::RunEnvEpisode(*baseline, **env, seed.seed);
    report->seeds.push_back(std::move(seed));
  }
  return absl::OkStatus();
}

// The episodes of one driving family entry, scored against the expert's distance; the policy's
// logged to `log_dir` when it is not empty.
absl::Status EvaluateDrivingEntry(const envs::SuiteEntry& entry, envs::Policy& policy,
                                  const std::string& policy_name, bool policy_is_expert,
                                  envs::Policy* baseline, const envs::EnvConfig& env_config,
                                  const std::string& log_dir, EvaluationReport* report) {
  envs::EnvExpert expert;
  for (int i = 0; i < entry.count; ++i) {
    EvaluatedSeed seed;
    seed.family = entry.family;
    seed.seed = entry.first_seed + static_cast<std::uint64_t>(i);
    seed.config = entry.config;
    envs::EpisodeRecording recording{policy_name, policy.Version(), {}};
    envs::EpisodeRecording* record = log_dir.empty() ? nullptr : &recording;
    seed.expert = envs::RunEpisode(expert, entry.family, entry.config, seed.seed, env_config,
                                   policy_is_expert ? record : nullptr);
    seed.policy = policy_is_expert ? seed.expert
                                   : envs::RunEpisode(policy, entry.family, entry.config, seed.seed,
                                                      env_config, record);
    const double reference = seed.expert.summary.distance_m;
    envs::RescoreAgainstReference(reference, &seed.policy);
    envs::RescoreAgainstReference(reference, &seed.expert);
    if (record != nullptr) {
      record->log.summary = seed.policy.summary;
      analysis::AddEpisodeMetrics(analysis::ComputeEpisodeMetrics(record->log),
                                  &record->log.summary);
      const std::string path = EpisodeLogPath(log_dir, envs::FamilyName(entry.family), seed.seed);
      if (absl::Status s = schemas::WriteEpisodeLogFile(record->log, path); !s.ok()) return s;
    }
    if (baseline != nullptr) {
      seed.baseline =
          envs::RunEpisode(*baseline, entry.family, entry.config, seed.seed, env_config);
      envs::RescoreAgainstReference(reference, &*seed.baseline);
    }
    report->seeds.push_back(std::move(seed));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvaluationReport> EvaluateOnSuite(
    envs::Policy& policy, const std::string& policy_name, envs::Policy* baseline,
    const std::string& baseline_name, const envs::Suite& suite, const envs::EnvConfig& env_config,
    std::ostream* progress, const std::string& log_dir) {
  int total = 0;
  for (const auto& e : suite.entries) total += e.count;
  EvaluationReport report;
  report.suite = suite.name;
  report.policy = policy_name;
  if (baseline != nullptr) report.baseline = baseline_name;
  const bool policy_is_expert = policy_name == "expert";
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create the episode log directory ", log_dir, ": ", ec.message()));
    }
  }
  const auto started = std::chrono::steady_clock::now();
  for (const envs::SuiteEntry& entry : suite.entries) {
    const absl::Status s =
        entry.env.empty()
            ? EvaluateDrivingEntry(entry, policy, policy_name, policy_is_expert, baseline,
                                   env_config, log_dir, &report)
            : EvaluateEnvEntry(entry, policy, policy_is_expert, baseline, env_config, &report);
    if (!s.ok()) return s;
    if (progress != nullptr) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      *progress << "eval: "
                << (entry.env.empty() ? std::string(envs::FamilyName(entry.family)) : entry.env)
                << " done, " << report.seeds.size() << "/" << total << " episodes, "
                << static_cast<int>(elapsed) << " s\n"
                << std::flush;
    }
  }
  return report;
}

std::string EpisodeLogPath(const std::string& log_dir, absl::string_view family,
                           std::uint64_t seed) {
  return absl::StrCat(log_dir, "/", family, "-", seed, schemas::kEpisodeLogSuffix);
}

}  // namespace tarmac::cli
