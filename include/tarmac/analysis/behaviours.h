#ifndef TARMAC_ANALYSIS_BEHAVIOURS_H_
#define TARMAC_ANALYSIS_BEHAVIOURS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/analysis/predicate.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::analysis {

// A named behaviour: a condition (`when`) over the metrics of a window. Without `after` the
// window is the whole episode and the behaviour occurs at most once per episode; with it,
// every onset of the trigger opens a window of `within_s` seconds, and each window where the
// condition holds is one occurrence. `severity` (a number, higher is worse) ranks the cases;
// by default 1 - the episode's score.
struct Behaviour {
  std::string name;
  std::string description;
  std::string after;  // a trigger name (TriggerNames()); empty: the whole episode
  double within_s = 0.0;
  Expression when;
  std::optional<Expression> severity;
};

// Parses a behaviours file's text (`behaviours: {NAME: {after, within_s, when, severity,
// description}}`). InvalidArgument in one sentence naming `file`, the behaviour and the token:
// an unknown key, trigger or metric, a type error, a `when` that is a number, a window without
// a trigger. O(text).
absl::StatusOr<std::vector<Behaviour>> ParseBehaviours(absl::string_view yaml,
                                                       absl::string_view file);
// Reads and parses `path`; InvalidArgument when it cannot be read.
absl::StatusOr<std::vector<Behaviour>> LoadBehaviours(const std::string& path);

// The built-in behaviours (configs/behaviours.yaml, compiled in).
const std::vector<Behaviour>& BuiltInBehaviours();

// `path`'s behaviours, or the built-in ones when `path` is empty.
absl::StatusOr<std::vector<Behaviour>> BehavioursFrom(const std::string& path);

// One window of one episode where a behaviour holds.
struct Occurrence {
  std::size_t trigger_step = 0;  // 0 for whole-episode behaviours
  std::size_t end_step = 0;      // exclusive
  MetricValues metrics;
  double severity = 0.0;
};

// Where `behaviour` holds in `log`, in step order. Windows are clipped at the episode's end.
// O(steps) per trigger.
std::vector<Occurrence> FindOccurrences(const Behaviour& behaviour, const schemas::EpisodeLog& log,
                                        const MetricOptions& options = {});
// FindOccurrences and Exposures in one pass over the trigger's onsets, with the episode's
// metrics given (ComputeEpisodeMetrics of `log`): a caller checking several behaviours
// computes those once instead of once per whole-episode behaviour.
struct BehaviourMatch {
  std::vector<Occurrence> occurrences;
  std::size_t exposures = 0;
};
BehaviourMatch FindBehaviour(const Behaviour& behaviour, const schemas::EpisodeLog& log,
                             const MetricValues& episode_metrics,
                             const MetricOptions& options = {});

// The number of trigger onsets of `behaviour` in `log` (1 for whole-episode behaviours): its
// exposure.
std::size_t Exposures(const Behaviour& behaviour, const schemas::EpisodeLog& log,
                      const MetricOptions& options = {});

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_BEHAVIOURS_H_
