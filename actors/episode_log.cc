#include "tarmac/actors/episode_log.h"

namespace tarmac::actors {

EpisodeStats Summarise(const std::vector<schemas::EpisodeSummary>& episodes) {
  EpisodeStats stats;
  for (const schemas::EpisodeSummary& e : episodes) {
    ++stats.episodes;
    stats.mean_return += e.episode_return;
    stats.mean_score += schemas::MetricOr(e, "score");
    stats.collision_rate += schemas::MetricOr(e, "collision") > 0 ? 1.0 : 0.0;
    stats.at_fault_rate += schemas::MetricOr(e, "at_fault_collision") > 0 ? 1.0 : 0.0;
  }
  if (stats.episodes > 0) {
    const double n = static_cast<double>(stats.episodes);
    stats.mean_return /= n;
    stats.mean_score /= n;
    stats.collision_rate /= n;
    stats.at_fault_rate /= n;
  }
  return stats;
}

void EpisodeLog::Add(const std::vector<schemas::EpisodeSummary>& finished) {
  if (finished.empty()) return;
  absl::MutexLock lock(&mu_);
  for (const schemas::EpisodeSummary& e : finished) {
    recent_.push_back(e);
    if (recent_.size() > window_) recent_.pop_front();
    new_.push_back(e);
  }
  total_ += finished.size();
}

EpisodeStats EpisodeLog::Recent() const {
  std::vector<schemas::EpisodeSummary> copy;
  {
    absl::MutexLock lock(&mu_);
    copy.assign(recent_.begin(), recent_.end());
  }
  return Summarise(copy);
}

std::vector<schemas::EpisodeSummary> EpisodeLog::TakeNew() {
  absl::MutexLock lock(&mu_);
  std::vector<schemas::EpisodeSummary> out;
  out.swap(new_);
  return out;
}

std::uint64_t EpisodeLog::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace tarmac::actors
