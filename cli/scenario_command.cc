#include "scenario_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "exit_codes.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/scenario_file.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {
namespace {

int Usage(const CommandContext& context, absl::string_view message) {
  context.err << "tarmac: " << message << ".\n";
  return kExitUsage;
}

// True when the expert drives `a` and `b` through the same states, step for step.
bool SameExpertEpisode(const envs::EpisodeResult& a, const envs::EpisodeResult& b) {
  if (a.trajectory.size() != b.trajectory.size()) return false;
  for (std::size_t k = 0; k < a.trajectory.size(); ++k) {
    const envs::VehicleState& x = a.trajectory[k];
    const envs::VehicleState& y = b.trajectory[k];
    if (x.x != y.x || x.y != y.y || x.heading != y.heading || x.speed != y.speed) return false;
  }
  return a.summary.episode_return == b.summary.episode_return;
}

}  // namespace

CLI::App* ScenarioCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub = app.add_subcommand("scenario", "Write, check and import scenario files");
  sub->require_subcommand(1);
  export_ = sub->add_subcommand("export", "Write a generated episode as a scenario file");
  export_->add_option("--family", family_, "The scenario family, e.g. cut_in")->required();
  export_->add_option("--seed", seed_, "The episode's seed")->required();
  export_->add_option("--suite", suite_, "Take the family's scenario ranges from this suite");
  export_->add_option("--out", out_, "The scenario file to write")->required();
  check_ = sub->add_subcommand("check", "Validate scenario files");
  check_->add_option("files", files_, "Scenario files (YAML)")->required();
  return sub;
}

int ScenarioCommand::Run(const CommandContext& context) {
  if (export_->parsed()) return Export(context);
  return Check(context);
}

int ScenarioCommand::Export(const CommandContext& context) const {
  absl::StatusOr<envs::ScenarioFamily> family = envs::ParseFamily(family_);
  if (!family.ok()) return Usage(context, family.status().message());
  absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(context.config);
  if (!env_config.ok()) return Usage(context, env_config.status().message());
  envs::ScenarioConfig ranges = env_config->scenario;
  if (!suite_.empty()) {
    absl::StatusOr<envs::Suite> suite = LoadSuite(suite_, env_config->scenario);
    if (!suite.ok()) return Usage(context, suite.status().message());
    const auto entry =
        std::find_if(suite->entries.begin(), suite->entries.end(), [&](const envs::SuiteEntry& e) {
          return e.env.empty() && !e.scenario && e.family == *family;
        });
    if (entry == suite->entries.end()) {
      return Usage(context,
                   absl::StrCat("the suite ", suite_, " has no entry of family ", family_));
    }
    ranges = entry->config;
  }
  const envs::Scenario generated = envs::GenerateScenario(*family, ranges, seed_);
  const std::string text = ScenarioFileText(generated);
  absl::StatusOr<envs::Scenario> parsed = ParseScenarioFile(text, out_);
  if (!parsed.ok()) {
    context.err << "tarmac: the exported scenario does not read back: " << parsed.status().message()
                << ".\n";
    return kExitFailure;
  }
  envs::EnvExpert expert;
  const envs::EpisodeResult original =
      envs::RunEpisode(expert, *family, ranges, seed_, *env_config);
  const envs::EpisodeResult replayed = envs::RunEpisode(
      expert, std::make_shared<const envs::Scenario>(*std::move(parsed)), *env_config);
  if (!SameExpertEpisode(original, replayed)) {
    context.err << "tarmac: the exported scenario does not drive the expert bit-identically; "
                   "nothing was written.\n";
    return kExitFailure;
  }
  if (absl::Status s = util::WriteFileAtomically(out_, text); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << fmt::format(
      "scenario: wrote {} ({} seed {}: {} agents, {} scripted manoeuvres, road {:.0f} m); the "
      "expert drives it bit-identically to the generated episode\n",
      out_, family_, seed_, generated.traffic.size(), generated.scripts.size(),
      generated.road.length());
  return kExitOk;
}

int ScenarioCommand::Check(const CommandContext& context) const {
  int bad = 0;
  for (const std::string& file : files_) {
    absl::StatusOr<envs::Scenario> scenario = LoadScenarioFile(file);
    if (!scenario.ok()) {
      context.err << "tarmac: " << scenario.status().message() << ".\n";
      ++bad;
      continue;
    }
    context.out << fmt::format(
        "scenario: {} ok ({}: {} agents, {} logged, {} manoeuvres, {:.0f} s on {:.0f} m of road)\n",
        file, envs::ScenarioLabel(*scenario), scenario->traffic.size(), scenario->logged.size(),
        scenario->scripts.size(), scenario->max_steps * scenario->dt, scenario->road.length());
  }
  return bad == 0 ? kExitOk : kExitUsage;
}

}  // namespace tarmac::cli
