#include "mine_command.h"

#include <fmt/format.h>

#include <filesystem>

#include "absl/strings/str_join.h"
#include "episode_sources.h"
#include "exit_codes.h"
#include "mine_report.h"
#include "tarmac/analysis/mining.h"
#include "tarmac/analysis/predicate.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/buffer/shard_endpoint.h"
#include "tarmac/schemas/episode_summary.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {

CLI::App* MineCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub = app.add_subcommand(
      "mine", "Find behaviours in episode logs: rates with intervals, breakdowns, worst cases");
  sub->add_option("sources", sources_,
                  "Episode logs, or directories of them (an `eval --log-episodes` --out DIR)");
  sub->add_option("--redis", redis_,
                  "Mine the live stream tarmac:episodes on this shard (redis://host:port)");
  sub->add_option("--last", last_, "With --redis: the newest episodes read")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  sub->add_flag("--metrics", list_metrics_,
                "List the behaviour metrics that predicates name, with their definitions");
  sub->add_option("--behaviours", behaviours_,
                  "Behaviours file (default: the built-in configs/behaviours.yaml)");
  sub->add_option("--export-suite", export_suite_,
                  "Write a suite file that drives every mined case again");
  sub->add_option("--out", out_, "Directory for mine.json and mine.html")->capture_default_str();
  sub->add_option("--worst", worst_, "Worst cases kept per behaviour")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  return sub;
}

absl::StatusOr<std::vector<analysis::MinedEpisode>> MineCommand::MineStream(
    const std::vector<analysis::Behaviour>& behaviours) const {
  absl::StatusOr<buffer::ShardEndpoint> endpoint = buffer::ShardEndpoint::Parse(redis_);
  if (!endpoint.ok()) return absl::InvalidArgumentError(endpoint.status().message());
  auto control = buffer::ControlClient::Connect(*endpoint);
  if (!control.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot reach ", redis_, ": ", control.status().message()));
  }
  absl::StatusOr<std::vector<std::string>> entries = (*control)->RecentEpisodes(last_);
  if (!entries.ok()) return absl::InvalidArgumentError(entries.status().message());
  std::vector<analysis::MinedEpisode> mined;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    absl::StatusOr<schemas::EpisodeSummary> summary = schemas::DecodeEpisodeSummary((*entries)[i]);
    if (!summary.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", i + 1, " of ", buffer::ControlClient::kEpisodesStream,
                       " is not an episode summary: ", summary.status().message()));
    }
    std::optional<analysis::MinedEpisode> e = analysis::MineSummary(*summary, behaviours, redis_);
    if (e.has_value()) mined.push_back(*std::move(e));
  }
  if (mined.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        buffer::ControlClient::kEpisodesStream, " on ", redis_, " holds ", entries->size(),
        " episode(s), none with counts of these behaviours (actors count actor.behaviours)"));
  }
  return mined;
}

int MineCommand::Run(const CommandContext& context) {
  if (list_metrics_) {
    for (const analysis::MetricInfo& info : analysis::kMetricInfo) {
      context.out << fmt::format("{:<24} {:<8} {}\n", info.name, info.flag ? "yes/no" : info.unit,
                                 info.definition);
    }
    for (const char* name : analysis::kSummaryNames) {
      context.out << fmt::format("{:<24} {:<8} {}\n", name, "",
                                 "the episode summary's figure of that name");
    }
    return kExitOk;
  }
  if (sources_.empty() == redis_.empty()) {
    context.err << "tarmac: mine needs episode logs or directories of them (e.g. an `eval "
                   "--log-episodes --out DIR`), or --redis URL, but not both; `tarmac mine "
                   "--metrics` lists the metrics.\n";
    return kExitUsage;
  }
  if (!redis_.empty() && !export_suite_.empty()) {
    context.err << "tarmac: --export-suite needs episode logs: the stream holds summaries, "
                   "which cannot rebuild a scenario; mine the actors' actor.log_dir instead.\n";
    return kExitUsage;
  }
  absl::StatusOr<std::vector<analysis::Behaviour>> behaviours =
      analysis::BehavioursFrom(behaviours_);
  if (!behaviours.ok()) {
    context.err << "tarmac: " << behaviours.status().message() << ".\n";
    return kExitUsage;
  }
  std::vector<analysis::MinedEpisode> mined;
  std::size_t steps = 0;
  if (!redis_.empty()) {
    absl::StatusOr<std::vector<analysis::MinedEpisode>> streamed = MineStream(*behaviours);
    if (!streamed.ok()) {
      context.err << "tarmac: " << streamed.status().message() << ".\n";
      return kExitUsage;
    }
    mined = *std::move(streamed);
  }
  absl::StatusOr<std::vector<std::string>> files =
      redis_.empty() ? EpisodeLogFiles(sources_) : std::vector<std::string>{};
  if (!files.ok()) {
    context.err << "tarmac: " << files.status().message() << ".\n";
    return kExitUsage;
  }
  for (const std::string& file : *files) {
    absl::StatusOr<schemas::EpisodeLog> log = schemas::ReadEpisodeLogFile(file);
    if (!log.ok()) {
      context.err << "tarmac: " << log.status().message() << "; nothing was written.\n";
      return kExitUsage;
    }
    steps += log->steps.size();
    mined.push_back(analysis::MineEpisode(*log, *behaviours, file));
  }
  analysis::MineResult result = analysis::Summarise(std::move(mined), *behaviours, worst_);
  // Streamed episodes have counts but no windows to rank or plot.
  if (!redis_.empty()) {
    for (analysis::BehaviourFindings& f : result.findings) f.worst.clear();
  }

  if (redis_.empty()) {
    context.out << fmt::format("mine: {} episodes, {} steps from {} source(s)\n",
                               result.episodes.size(), steps, sources_.size());
  } else {
    context.out << fmt::format("mine: {} analysed episodes of the newest {} in tarmac:episodes\n",
                               result.episodes.size(), last_);
  }
  context.out << fmt::format("{:<26} {:>6} {:>24} {:>26}\n", "behaviour", "cases",
                             "per episode [95 % CI]", "per 1000 km [95 % CI]");
  for (const analysis::BehaviourFindings& f : result.findings) {
    const analysis::RateCell& c = f.overall;
    context.out << fmt::format(
        "{:<26} {:>6} {:>8.3f} [{:.3f}, {:.3f}] {:>10.1f} [{:.1f}, {:.1f}]\n", f.name,
        c.occurrences, c.per_episode.estimate, c.per_episode.low, c.per_episode.high,
        c.per_1000km.estimate, c.per_1000km.low, c.per_1000km.high);
  }
  ReportIdentity identity;
  identity.command = "tarmac mine " + absl::StrJoin(sources_, " ");
  identity.sources = sources_;
  identity.behaviours = behaviours_.empty() ? std::string("built-in") : behaviours_;
  identity.run_dir = std::filesystem::absolute(out_).lexically_normal().string();
  identity.config_digest = ConfigDigest(context.config);
  if (absl::Status s = WriteMineReport(result, identity, out_); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << "mine: wrote " << out_ << "/mine.json and " << out_ << "/mine.html\n";
  if (!export_suite_.empty()) {
    const std::vector<std::size_t> cases = analysis::EpisodesWithCases(result);
    if (absl::Status s =
            util::WriteFileAtomically(export_suite_, CasesSuiteYaml(result, cases, "mined-cases"));
        !s.ok()) {
      context.err << "tarmac: " << s.message() << ".\n";
      return kExitFailure;
    }
    context.out << "mine: wrote " << export_suite_ << " with " << cases.size()
                << " episode(s) that show a behaviour\n";
  }
  return kExitOk;
}

}  // namespace tarmac::cli
