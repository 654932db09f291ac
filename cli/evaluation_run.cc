#include "evaluation_run.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "report_figures.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/cli/config.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/registry.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/scripted_policy.h"

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
  if (const std::size_t plus = name.rfind("+blind_cut_in="); plus != std::string::npos) {
    const std::string text = name.substr(plus + 14);
    double gap = 0.0;
    if (!absl::SimpleAtod(text, &gap) || !(gap > 0.0) || gap > 200.0) {
      return absl::InvalidArgumentError(absl::StrCat("--policy ", name, ": the blind gap '", text,
                                                     "' must be more than 0 and at most 200 m"));
    }
    auto inner = LoadEvaluationPolicy(name.substr(0, plus), config, log);
    if (!inner.ok()) return inner.status();
    return std::make_unique<envs::CutInBlindPolicy>(std::move(*inner), gap);
  }
  if (name == "expert") return std::make_unique<envs::EnvExpert>();
  if (name == "log") return std::make_unique<envs::LogPolicy>();
  // actor.inference_backend pins the kernels of every network policy, the rollout's and these,
  // so that a policy evaluated on one CPU acts as it does on another.
  auto backend =
      learner::InferencePolicy::PinnedBackend(config.GetString("actor.inference_backend"));
  if (!backend.ok()) return backend.status();
  learner::InferencePolicy::CheckpointChoice choice;
  auto net = learner::InferencePolicy::FromCheckpoint(name, &choice, *backend);
  if (!net.ok() && net.status().code() == absl::StatusCode::kNotFound &&
      !NearestName(name, {"expert"}).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--policy ", name, " is neither a checkpoint nor a policy name (did you mean 'expert'?)"));
  }
  std::error_code ec;
  if (!net.ok() && net.status().code() == absl::StatusCode::kInvalidArgument &&
      std::filesystem::is_regular_file(name, ec)) {
    // Not a tarmac checkpoint: a TorchScript policy brought from PyTorch?
    auto env_config = EnvConfigFrom(config);
    if (!env_config.ok()) return env_config.status();
    auto probe = envs::EnvBatch::Create(EnvNameFrom(config), 1, 1, *env_config);
    if (!probe.ok()) return probe.status();
    auto scripted = learner::ScriptedPolicy::Load(name, (*probe)->spec());
    if (scripted.ok()) {
      if (log != nullptr) *log << "policy: loaded the TorchScript module " << name << "\n";
      return std::unique_ptr<envs::Policy>(std::move(*scripted));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("--policy ", name, ": ", net.status().message(),
                     "; nor is it a TorchScript policy: ", scripted.status().message()));
  }
  if (!net.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--policy ", name, ": ", net.status().message()));
  }
  if (log != nullptr) {
    for (const auto& [path, why] : choice.skipped) {
      *log << "policy: skipped " << path << ": " << why << "\n";
    }
    *log << "policy: loaded " << choice.loaded << " (" << (*net)->backend() << " kernels)\n";
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

// Where each policy's episodes are logged: nowhere (empty) or a directory per policy.
std::vector<std::string> LogDirs(const std::vector<NamedPolicy>& policies,
                                 const std::string& log_dir) {
  std::vector<std::string> dirs(policies.size());
  if (log_dir.empty()) return dirs;
  if (policies.size() == 1) {
    dirs[0] = log_dir;
    return dirs;
  }
  for (std::size_t p = 0; p < policies.size(); ++p) {
    dirs[p] = absl::StrCat(log_dir, "/", PolicyLogName(policies[p].name));
  }
  return dirs;
}

// The episodes of one suite entry of a registered env: each policy and the env's expert on
// each seed, summaries only.
absl::Status EvaluateEnvEntry(const envs::SuiteEntry& entry,
                              const std::vector<NamedPolicy>& policies,
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
    for (const NamedPolicy& p : policies) {
      seed.results.push_back(p.name == "expert" ? seed.expert
                                                : envs::RunEnvEpisode(*p.policy, **env, seed.seed));
    }
    report->seeds.push_back(std::move(seed));
  }
  return absl::OkStatus();
}

// One driving episode of `policy` (the expert's result when it is the expert), rescored
// against `reference` m; logged to `log_dir` when it is not empty, kept in `log` when given.
absl::StatusOr<envs::EpisodeResult> DriveSeed(const NamedPolicy& policy,
                                              const envs::SuiteEntry& entry, std::uint64_t seed,
                                              const envs::EnvConfig& env_config, double reference,
                                              const std::string& log_dir,
                                              schemas::EpisodeLog* log) {
  envs::EnvExpert expert;
  envs::Policy& driver = policy.name == "expert" ? expert : *policy.policy;
  envs::EpisodeRecording recording{policy.name, driver.Version(), {}};
  const bool record = !log_dir.empty() || log != nullptr;
  envs::EpisodeResult result =
      envs::RunEntryEpisode(driver, entry, seed, env_config, record ? &recording : nullptr);
  envs::RescoreAgainstReference(reference, &result);
  if (!record) return result;
  recording.log.summary = result.summary;
  analysis::AddEpisodeMetrics(analysis::ComputeEpisodeMetrics(recording.log),
                              &recording.log.summary);
  if (!log_dir.empty()) {
    const std::string path = EpisodeLogPath(log_dir, envs::EntryLabel(entry), seed);
    if (absl::Status s = schemas::WriteEpisodeLogFile(recording.log, path); !s.ok()) return s;
  }
  if (log != nullptr) *log = std::move(recording.log);
  return result;
}

// The episodes of one driving family entry, scored against the expert's distance.
absl::Status EvaluateDrivingEntry(const envs::SuiteEntry& entry,
                                  const std::vector<NamedPolicy>& policies,
                                  const envs::EnvConfig& env_config,
                                  const std::vector<std::string>& log_dirs,
                                  EvaluationReport* report) {
  envs::EnvExpert expert;
  for (int i = 0; i < entry.count; ++i) {
    EvaluatedSeed seed;
    seed.family = entry.family;
    seed.seed = entry.first_seed + static_cast<std::uint64_t>(i);
    seed.config = entry.config;
    seed.scenario = entry.scenario;
    seed.expert = envs::RunEntryEpisode(expert, entry, seed.seed, env_config);
    const double reference = seed.expert.summary.distance_m;
    envs::RescoreAgainstReference(reference, &seed.expert);
    for (std::size_t p = 0; p < policies.size(); ++p) {
      if (policies[p].name == "expert" && log_dirs[p].empty()) {  // already driven above
        seed.results.push_back(seed.expert);
        continue;
      }
      auto result =
          DriveSeed(policies[p], entry, seed.seed, env_config, reference, log_dirs[p], nullptr);
      if (!result.ok()) return result.status();
      seed.results.push_back(std::move(*result));
    }
    report->seeds.push_back(std::move(seed));
  }
  return absl::OkStatus();
}

// Drives the report's worst seeds again, logging every policy and the expert.
absl::Status RecordWorstCases(const std::vector<NamedPolicy>& policies,
                              const envs::EnvConfig& env_config, EvaluationReport* report) {
  envs::EnvExpert expert;
  for (std::size_t index : WorstSeeds(*report, 3)) {
    const EvaluatedSeed& s = report->seeds[index];
    envs::SuiteEntry entry;
    entry.family = s.family;
    entry.config = s.config;
    entry.scenario = s.scenario;
    RecordedCase c;
    c.seed = index;
    c.logs.resize(policies.size() + 1);
    const double reference = s.expert.summary.distance_m;
    for (std::size_t p = 0; p < policies.size(); ++p) {
      auto result = DriveSeed(policies[p], entry, s.seed, env_config, reference, "", &c.logs[p]);
      if (!result.ok()) return result.status();
    }
    auto result =
        DriveSeed({"expert", &expert}, entry, s.seed, env_config, reference, "", &c.logs.back());
    if (!result.ok()) return result.status();
    report->cases.push_back(std::move(c));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLoggedEgos(const std::string& policy, const envs::Suite& suite) {
  if (policy != "log") return absl::OkStatus();
  for (const envs::SuiteEntry& e : suite.entries) {
    if (!e.scenario || !envs::HasLoggedEgo(*e.scenario)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--policy log drives the logged ego of scenario files, and the suite's entry ",
          envs::EntryLabel(e), " has none (tarmac scenario import-highd writes such files)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EvaluationReport> EvaluateOnSuite(const std::vector<NamedPolicy>& policies,
                                                 int reference, const envs::Suite& suite,
                                                 const envs::EnvConfig& env_config,
                                                 std::ostream* progress,
                                                 const std::string& log_dir) {
  for (const NamedPolicy& p : policies) {
    if (absl::Status s = CheckLoggedEgos(p.name, suite); !s.ok()) return s;
  }
  int total = 0;
  for (const auto& e : suite.entries) total += e.count;
  EvaluationReport report;
  report.suite = suite.name;
  report.reference = reference;
  for (const NamedPolicy& p : policies) report.policies.push_back({p.name, p.policy->Version()});
  const std::vector<std::string> log_dirs = LogDirs(policies, log_dir);
  for (const std::string& dir : log_dirs) {
    if (dir.empty()) continue;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create the episode log directory ", dir, ": ", ec.message()));
    }
  }
  const auto started = std::chrono::steady_clock::now();
  for (const envs::SuiteEntry& entry : suite.entries) {
    const absl::Status s =
        entry.env.empty() ? EvaluateDrivingEntry(entry, policies, env_config, log_dirs, &report)
                          : EvaluateEnvEntry(entry, policies, env_config, &report);
    if (!s.ok()) return s;
    if (progress != nullptr) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      *progress << "eval: " << envs::EntryLabel(entry) << " done, " << report.seeds.size() << "/"
                << total << " episodes, " << static_cast<int>(elapsed) << " s\n"
                << std::flush;
    }
  }
  if (absl::Status s = RecordWorstCases(policies, env_config, &report); !s.ok()) return s;
  return report;
}

std::string PolicyLogName(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return out;
}

std::string EpisodeLogPath(const std::string& log_dir, absl::string_view family,
                           std::uint64_t seed) {
  return absl::StrCat(log_dir, "/", family, "-", seed, schemas::kEpisodeLogSuffix);
}

}  // namespace tarmac::cli
