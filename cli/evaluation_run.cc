#include "evaluation_run.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/learner/network_policy.h"

namespace tarmac::cli {

absl::StatusOr<std::unique_ptr<envs::Policy>> LoadEvaluationPolicy(const std::string& name,
                                                                   const Config& config,
                                                                   std::ostream* log) {
  if (name == "expert") return std::make_unique<envs::ExpertPolicy>();
  learner::InferencePolicy::CheckpointChoice choice;
  auto net = learner::InferencePolicy::FromCheckpoint(name, &choice);
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
  auto probe = envs::EnvBatch::Create(EnvNameFrom(config), 1, 1, EnvConfigFrom(config));
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

EvaluationReport EvaluateOnSuite(envs::Policy& policy, const std::string& policy_name,
                                 envs::Policy* baseline, const std::string& baseline_name,
                                 const envs::Suite& suite, const envs::EnvConfig& env_config,
                                 std::ostream* progress) {
  int total = 0;
  for (const auto& e : suite.entries) total += e.count;
  EvaluationReport report;
  report.suite = suite.name;
  report.policy = policy_name;
  if (baseline != nullptr) report.baseline = baseline_name;
  const bool policy_is_expert = policy_name == "expert";
  const auto started = std::chrono::steady_clock::now();
  envs::ExpertPolicy expert;
  int done = 0;
  for (const envs::SuiteEntry& entry : suite.entries) {
    for (int i = 0; i < entry.count; ++i) {
      EvaluatedSeed seed;
      seed.family = entry.family;
      seed.seed = entry.first_seed + static_cast<std::uint64_t>(i);
      seed.config = entry.config;
      seed.expert = envs::RunEpisode(expert, entry.family, entry.config, seed.seed, env_config);
      seed.policy = policy_is_expert ? seed.expert
                                     : envs::RunEpisode(policy, entry.family, entry.config,
                                                        seed.seed, env_config);
      const double reference = seed.expert.summary.distance_m;
      envs::RescoreAgainstReference(reference, &seed.policy);
      envs::RescoreAgainstReference(reference, &seed.expert);
      if (baseline != nullptr) {
        seed.baseline =
            envs::RunEpisode(*baseline, entry.family, entry.config, seed.seed, env_config);
        envs::RescoreAgainstReference(reference, &*seed.baseline);
      }
      report.seeds.push_back(std::move(seed));
      ++done;
    }
    if (progress != nullptr) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      *progress << "eval: " << envs::FamilyName(entry.family) << " done, " << done << "/" << total
                << " episodes, " << static_cast<int>(elapsed) << " s\n"
                << std::flush;
    }
  }
  return report;
}

}  // namespace tarmac::cli
