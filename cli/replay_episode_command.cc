#include "replay_episode_command.h"

#include <fmt/format.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "episode_sources.h"
#include "evaluation_run.h"
#include "exit_codes.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::cli {

CLI::App* ReplayEpisodeCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub = app.add_subcommand(
      "replay-episode", "Re-run logged episodes and check each matches its log bit for bit");
  sub->add_option("logs", sources_, "Episode logs, or directories of them (an eval --out DIR)");
  CLI::Option* seed = seed_option_ =
      sub->add_option("--seed", seed_, "Drive this seed instead of reading a log");
  sub->add_option("--family", family_, "The scenario family of --seed, e.g. cut_in")->needs(seed);
  sub->add_option("--policy", policy_, "The policy to drive --seed with")
      ->capture_default_str()
      ->needs(seed);
  sub->add_option("--suite", suite_, "Take the family's scenario ranges from this suite")
      ->needs(seed);
  sub->add_option("--out", out_, "Write the episode --seed drove to this log file")->needs(seed);
  seed->excludes(sub->get_option("logs"));
  return sub;
}

int ReplayEpisodeCommand::RunSeed(const CommandContext& context) const {
  const auto usage = [&](absl::string_view message) {
    context.err << "tarmac: " << message << ".\n";
    return kExitUsage;
  };
  if (family_.empty()) return usage("--seed needs --family (e.g. --family cut_in)");
  absl::StatusOr<envs::ScenarioFamily> family = envs::ParseFamily(family_);
  if (!family.ok()) return usage(family.status().message());
  absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(context.config);
  if (!env_config.ok()) return usage(env_config.status().message());
  envs::ScenarioConfig scenario = env_config->scenario;
  if (!suite_.empty()) {
    absl::StatusOr<envs::ScenarioConfig> from_suite =
        SuiteFamilyRanges(suite_, *family, env_config->scenario);
    if (!from_suite.ok()) return usage(from_suite.status().message());
    scenario = *std::move(from_suite);
  }
  auto policy = LoadEvaluationPolicy(policy_, context.config);
  if (!policy.ok()) return usage(policy.status().message());
  envs::EpisodeRecording recording{policy_, (*policy)->Version(), {}};
  envs::EpisodeResult result =
      envs::RunEpisode(**policy, *family, scenario, seed_, *env_config, &recording);
  // Scored as eval scores it: progress against the expert's distance on the same seed.
  envs::EnvExpert expert;
  envs::RescoreAgainstReference(
      envs::RunEpisode(expert, *family, scenario, seed_, *env_config).summary.distance_m, &result);
  recording.log.summary = result.summary;
  analysis::AddEpisodeMetrics(analysis::ComputeEpisodeMetrics(recording.log),
                              &recording.log.summary);
  const absl::Status replay = envs::ReplayEpisodeLog(recording.log);
  if (replay.code() == absl::StatusCode::kInvalidArgument) return usage(replay.message());
  context.out << fmt::format(
      "replay-episode: {} seed {} ({}): {} steps, {} m, outcome {}; {}\n", family_, seed_, policy_,
      recording.log.steps.size(), static_cast<int>(result.summary.distance_m),
      std::string(schemas::OutcomeName(result.summary.outcome)),
      replay.ok() ? "replays bit-identically" : "differs: " + std::string(replay.message()));
  if (!out_.empty()) {
    if (absl::Status s = schemas::WriteEpisodeLogFile(recording.log, out_); !s.ok()) {
      context.err << "tarmac: " << s.message() << ".\n";
      return kExitFailure;
    }
    context.out << "replay-episode: wrote " << out_ << "\n";
  }
  return replay.ok() ? kExitOk : kExitFailure;
}

int ReplayEpisodeCommand::Run(const CommandContext& context) {
  if (seed_option_->count() > 0) return RunSeed(context);
  if (sources_.empty()) {
    context.err << "tarmac: replay-episode needs episode logs (files or directories) or "
                   "--family F --seed N.\n";
    return kExitUsage;
  }

  absl::StatusOr<std::vector<std::string>> files = EpisodeLogFiles(sources_);
  if (!files.ok()) {
    context.err << "tarmac: " << files.status().message() << ".\n";
    return kExitUsage;
  }
  // Every log is read before any is replayed, so a bad one stops the command before work.
  std::vector<schemas::EpisodeLog> logs;
  for (const std::string& file : *files) {
    absl::StatusOr<schemas::EpisodeLog> log = schemas::ReadEpisodeLogFile(file);
    if (!log.ok()) {
      context.err << "tarmac: " << log.status().message() << ".\n";
      return kExitUsage;
    }
    logs.push_back(std::move(*log));
  }
  int mismatches = 0;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const absl::Status s = envs::ReplayEpisodeLog(logs[i]);
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      context.err << "tarmac: " << (*files)[i] << ": " << s.message() << ".\n";
      return kExitUsage;
    }
    if (!s.ok()) {
      context.out << "replay-episode: " << (*files)[i] << " differs: " << s.message() << "\n";
      ++mismatches;
    }
  }
  context.out << "replay-episode: " << logs.size() - mismatches << " of " << logs.size()
              << " episodes replay bit-identically\n";
  return mismatches == 0 ? kExitOk : kExitFailure;
}

}  // namespace tarmac::cli
