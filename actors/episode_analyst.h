#ifndef TARMAC_ACTORS_EPISODE_ANALYST_H_
#define TARMAC_ACTORS_EPISODE_ANALYST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/monitoring/metrics.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::actors {

// What an env actor does with the episodes its batch recorded: adds each one's behaviour
// metrics, behaviour counts ("behaviour.<name>") and trigger onsets ("exposure.<name>") to its
// summary, counts the behaviours in
// tarmac_behaviour_total{behaviour}, and writes the complete ones (the batch records one in
// `log_every` completely) to `log_dir` as
// <file_prefix>-<episode id>.episode.zst (the prefix names the process, env actor and its
// incarnation, so names never repeat). One per env actor; not thread-safe. O(steps) per episode.
class EpisodeAnalyst {
 public:
  EpisodeAnalyst(const std::vector<analysis::Behaviour>* behaviours, monitoring::Metrics* metrics,
                 std::string file_prefix, std::string log_dir);

  // `recorded` are the recorded episodes among `finished` (matched by episode id); complete
  // ones are written. A log that cannot be written is reported once per actor and skipped;
  // training goes on.
  void Analyse(std::vector<envs::EnvBatch::RecordedEpisode> recorded,
               std::vector<schemas::EpisodeSummary>* finished);

  std::uint64_t logs_written() const { return logs_written_; }

 private:
  const std::vector<analysis::Behaviour>* behaviours_;
  std::vector<prometheus::Counter*> counters_;  // per behaviour
  std::string file_prefix_;
  std::string log_dir_;
  std::uint64_t logs_written_ = 0;
  bool warned_ = false;
};

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_EPISODE_ANALYST_H_
