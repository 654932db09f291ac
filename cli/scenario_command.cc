#include "scenario_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exit_codes.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/scenario_file.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/highd.h"
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
  pack_ = sub->add_subcommand("pack", "Pack scenario files into one scenario set (Cap'n Proto)");
  pack_->add_option("sources", files_, "Scenario files, sets or folders of them")->required();
  pack_->add_option("--out", out_, "The scenario set to write (FILE.scenarios)")->required();
  import_ = sub->add_subcommand("import-highd", "Cut highD recordings into scenario files");
  import_->add_option("dir", highd_dir_, "A folder of highD CSV files (NN_tracks.csv, ...)")
      ->required();
  import_->add_option("--out", out_, "The folder to write scenario files to")->required();
  import_->add_option("--recording", recording_, "Only this recording, e.g. 01");
  import_->add_option("--vehicle", vehicle_,
                      "One episode with this vehicle as the ego, instead of every interaction");
  import_->add_option("--before", before_, "Seconds of an episode before its interaction")
      ->capture_default_str();
  import_->add_option("--after", after_, "Seconds after it")->capture_default_str();
  import_->add_flag("--merges", merges_,
                    "The rightmost lane is an on-ramp's acceleration lane: it ends, and changes "
                    "out of it are merges");
  import_->add_flag("--non-reactive", non_reactive_,
                    "Logged agents follow their logs whatever the ego does");
  return sub;
}

int ScenarioCommand::Run(const CommandContext& context) {
  if (export_->parsed()) return Export(context);
  if (import_->parsed()) return ImportHighd(context);
  if (pack_->parsed()) return Pack(context);
  return Check(context);
}

int ScenarioCommand::Export(const CommandContext& context) const {
  absl::StatusOr<envs::ScenarioFamily> family = envs::ParseFamily(family_);
  if (!family.ok()) return Usage(context, family.status().message());
  absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(context.config);
  if (!env_config.ok()) return Usage(context, env_config.status().message());
  envs::ScenarioConfig ranges = env_config->scenario;
  if (!suite_.empty()) {
    absl::StatusOr<envs::ScenarioConfig> from_suite =
        SuiteFamilyRanges(suite_, *family, env_config->scenario);
    if (!from_suite.ok()) return Usage(context, from_suite.status().message());
    ranges = *std::move(from_suite);
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
    auto scenarios = LoadScenarios(file);
    if (!scenarios.ok()) {
      context.err << "tarmac: " << scenarios.status().message() << ".\n";
      ++bad;
      continue;
    }
    if (scenarios->size() != 1) {
      context.out << fmt::format("scenario: {} ok ({} scenarios)\n", file, scenarios->size());
      continue;
    }
    const envs::Scenario& s = *scenarios->front();
    context.out << fmt::format(
        "scenario: {} ok ({}: {} agents, {} logged, {} manoeuvres, {:.0f} s on {:.0f} m of road)\n",
        file, envs::ScenarioLabel(s), s.traffic.size(), s.logged.size(), s.scripts.size(),
        s.max_steps * s.dt, s.road.length());
  }
  return bad == 0 ? kExitOk : kExitUsage;
}

int ScenarioCommand::Pack(const CommandContext& context) const {
  if (std::filesystem::path(out_).extension() != ".scenarios") {
    return Usage(context, absl::StrCat("--out ", out_, " must end in .scenarios"));
  }
  std::vector<std::shared_ptr<const envs::Scenario>> all;
  for (const std::string& source : files_) {
    auto scenarios = LoadScenarios(source);
    if (!scenarios.ok()) return Usage(context, scenarios.status().message());
    for (auto& s : *scenarios) all.push_back(std::move(s));
  }
  const std::string bytes = ScenarioSetBytes(all);
  if (absl::Status s = util::WriteFileAtomically(out_, bytes); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << fmt::format("scenario: packed {} scenarios into {} ({} bytes)\n", all.size(), out_,
                             bytes.size());
  return kExitOk;
}

int ScenarioCommand::ImportHighd(const CommandContext& context) const {
  std::vector<std::string> ids =
      recording_.empty() ? envs::HighdRecordingIds(highd_dir_) : std::vector{recording_};
  if (ids.empty()) {
    return Usage(context, absl::StrCat("the folder '", highd_dir_,
                                       "' holds no highD recording (NN_recordingMeta.csv)"));
  }
  if (!(before_ >= 0 && after_ > 0 && before_ + after_ <= 600)) {
    return Usage(context, "--before and --after must be >= 0 and > 0 s, together at most 600 s");
  }
  envs::HighdCutOptions options;
  options.around_vehicle = vehicle_;
  options.before = before_;
  options.after = after_;
  options.reactive = !non_reactive_;
  options.merges = merges_;
  // Everything is read and cut before anything is written.
  std::vector<envs::HighdRecording> recordings;
  std::vector<envs::HighdEpisode> episodes;
  for (const std::string& id : ids) {
    absl::StatusOr<envs::HighdRecording> rec = envs::ReadHighdRecording(highd_dir_, id);
    if (!rec.ok()) return Usage(context, rec.status().message());
    for (envs::HighdEpisode& e : envs::CutHighdEpisodes(*rec, options)) {
      episodes.push_back(std::move(e));
    }
    recordings.push_back(*std::move(rec));
  }
  if (vehicle_ > 0 && episodes.empty()) {
    return Usage(context, absl::StrCat("vehicle ", vehicle_,
                                       " is not in the recordings, or is "
                                       "recorded for less than 4 s"));
  }
  nlohmann::json tracks = nlohmann::json::array();
  std::int64_t steps = 0, infeasible = 0;
  std::vector<std::pair<double, std::string>> worst;
  for (const envs::HighdRecording& rec : recordings) {
    for (const envs::HighdTrack& track : rec.tracks) {
      const envs::TrackFeasibility f =
          envs::CheckTrackFeasibility(track, options.dt, envs::VehicleParams{});
      steps += f.steps;
      infeasible += f.infeasible_steps;
      const double share = f.steps > 0 ? static_cast<double>(f.infeasible_steps) / f.steps : 0.0;
      const std::string name = absl::StrCat(rec.id, "/", track.id);
      worst.emplace_back(share, name);
      tracks.push_back({{"track", name},
                        {"steps", f.steps},
                        {"infeasible_steps", f.infeasible_steps},
                        {"first_violation", f.report.reason}});
    }
  }
  std::sort(worst.rbegin(), worst.rend());
  std::error_code error;
  std::filesystem::create_directories(out_, error);
  std::map<std::string, int> kinds;
  nlohmann::json written = nlohmann::json::array();
  for (const envs::HighdEpisode& e : episodes) {
    const std::string path = (std::filesystem::path(out_) / (e.scenario.name + ".yaml")).string();
    if (absl::Status s = util::WriteFileAtomically(path, ScenarioFileText(e.scenario)); !s.ok()) {
      context.err << "tarmac: " << s.message() << ".\n";
      return kExitFailure;
    }
    ++kinds[e.kind];
    written.push_back({{"file", path},
                       {"kind", e.kind},
                       {"ego", e.ego_id},
                       {"other", e.other_id},
                       {"start_s", e.start}});
  }
  const double share = steps > 0 ? static_cast<double>(infeasible) / steps : 0.0;
  nlohmann::json report = {{"recordings", ids},
                           {"episodes", written},
                           {"steps", steps},
                           {"infeasible_steps", infeasible},
                           {"infeasible_share", share},
                           {"tracks", tracks}};
  const std::string report_path = (std::filesystem::path(out_) / "import_report.json").string();
  if (absl::Status s = util::WriteFileAtomically(report_path, report.dump(2)); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  std::vector<std::string> by_kind;
  for (const auto& [kind, count] : kinds) by_kind.push_back(absl::StrCat(count, " ", kind));
  context.out << fmt::format(
      "scenario: {} recording(s), {} tracks; wrote {} episodes ({}) to {}\n"
      "scenario: kinematic feasibility at {} s steps: {:.2f} % of {} steps infeasible; worst "
      "tracks:",
      recordings.size(), tracks.size(), episodes.size(),
      by_kind.empty() ? "none" : absl::StrJoin(by_kind, ", "), out_, options.dt, 100.0 * share,
      steps);
  for (std::size_t i = 0; i < std::min<std::size_t>(5, worst.size()); ++i) {
    context.out << fmt::format(" {} {:.1f} %", worst[i].second, 100.0 * worst[i].first);
  }
  context.out << "\nscenario: report in " << report_path << "\n";
  return kExitOk;
}

}  // namespace tarmac::cli
