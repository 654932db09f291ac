#ifndef TARMAC_ACTORS_EPISODE_LOG_H_
#define TARMAC_ACTORS_EPISODE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tarmac/schemas/episode_summary.h"

namespace tarmac::actors {

// Mean figures over a set of finished episodes.
struct EpisodeStats {
  std::uint64_t episodes = 0;
  double mean_return = 0.0;
  double mean_score = 0.0;      // nuPlan-style closed-loop score, 0..1
  double collision_rate = 0.0;  // episodes with any collision / episodes
  double at_fault_rate = 0.0;   // episodes with an at-fault collision / episodes
};

EpisodeStats Summarise(const std::vector<schemas::EpisodeSummary>& episodes);

// Where env actors report the episodes they finish, for a watcher in the same process (the
// progress line and learning curve of `tarmac train`). Keeps the newest `window` episodes for
// Recent() and every episode since the last TakeNew(). Thread-safe: env actors Add from many
// threads while one watcher reads. Add is O(episodes added).
class EpisodeLog {
 public:
  explicit EpisodeLog(std::size_t window = 200) : window_(window) {}
  EpisodeLog(const EpisodeLog&) = delete;
  EpisodeLog& operator=(const EpisodeLog&) = delete;

  void Add(const std::vector<schemas::EpisodeSummary>& finished);

  // Mean figures of the newest `window` episodes.
  EpisodeStats Recent() const;
  // The episodes added since the previous call, oldest first (they leave the log).
  std::vector<schemas::EpisodeSummary> TakeNew();
  std::uint64_t total() const;

 private:
  const std::size_t window_;
  mutable absl::Mutex mu_;
  std::deque<schemas::EpisodeSummary> recent_ ABSL_GUARDED_BY(mu_);
  std::vector<schemas::EpisodeSummary> new_ ABSL_GUARDED_BY(mu_);
  std::uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_EPISODE_LOG_H_
