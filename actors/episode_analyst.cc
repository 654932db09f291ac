#include "episode_analyst.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tarmac/analysis/behaviour_metrics.h"

namespace tarmac::actors {

EpisodeAnalyst::EpisodeAnalyst(const std::vector<analysis::Behaviour>* behaviours,
                               monitoring::Metrics* metrics, std::string file_prefix,
                               std::string log_dir)
    : behaviours_(behaviours), file_prefix_(std::move(file_prefix)), log_dir_(std::move(log_dir)) {
  // Every behaviour's series exists from the start, at 0, so a dashboard shows the ones that
  // never occur too.
  for (const analysis::Behaviour& b : *behaviours_) {
    counters_.push_back(&metrics->behaviour_total.Add({{"behaviour", b.name}}));
  }
  if (!log_dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir_, ec);
  }
}

void EpisodeAnalyst::Analyse(std::vector<envs::EnvBatch::RecordedEpisode> recorded,
                             std::vector<schemas::EpisodeSummary>* finished) {
  for (auto& [log, complete] : recorded) {
    const analysis::MetricValues episode = analysis::ComputeEpisodeMetrics(log);
    analysis::AddEpisodeMetrics(episode, &log.summary);
    for (std::size_t b = 0; b < behaviours_->size(); ++b) {
      const analysis::Behaviour& behaviour = (*behaviours_)[b];
      const analysis::BehaviourMatch match = analysis::FindBehaviour(behaviour, log, episode);
      const std::size_t found = match.occurrences.size();
      if (found > 0) counters_[b]->Increment(static_cast<double>(found));
      log.summary.metrics.push_back({"behaviour." + behaviour.name, static_cast<double>(found)});
      log.summary.metrics.push_back(
          {"exposure." + behaviour.name, static_cast<double>(match.exposures)});
    }
    for (schemas::EpisodeSummary& summary : *finished) {
      if (summary.episode_id == log.summary.episode_id) summary.metrics = log.summary.metrics;
    }
    if (!log_dir_.empty() && complete) {
      const std::string path = absl::StrCat(log_dir_, "/", file_prefix_, "-",
                                            log.summary.episode_id, schemas::kEpisodeLogSuffix);
      if (absl::Status s = schemas::WriteEpisodeLogFile(log, path); s.ok()) {
        ++logs_written_;
      } else if (!warned_) {
        warned_ = true;
        spdlog::warn("{}: cannot write episode logs to {}: {}", file_prefix_, log_dir_,
                     std::string(s.message()));
      }
    }
  }
}

}  // namespace tarmac::actors
