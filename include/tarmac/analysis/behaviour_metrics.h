#ifndef TARMAC_ANALYSIS_BEHAVIOUR_METRICS_H_
#define TARMAC_ANALYSIS_BEHAVIOUR_METRICS_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::analysis {

// The behaviour metrics, each computed over a window of an episode's steps (the whole episode,
// or the seconds after a trigger). kMetricInfo defines each precisely; the README's table is
// that text.
enum class Metric : int {
  kBrakeOnsetS,
  kBraked,
  kMaxDecel,
  kMinTtcS,
  kMinHeadwayS,
  kTailgatingS,
  kP95AbsJerk,
  kMaxAbsJerk,
  kP95AbsLateralAccel,
  kMaxAbsLateralAccel,
  kLaneChanges,
  kWeaves,
  kMergeCompleted,
  kMergeDistanceM,
  kMergeHesitationS,
  kCurveOverspeedS,
  kOverspeedS,
  kProgressM,
  kCollision,
  kAtFaultCollision,
  kNotAtFaultCollision,
  kPlanAccelChangeRms,
  kPlanSteerChangeRms,
  kDurationS,
};
inline constexpr std::size_t kMetricCount = 24;

struct MetricInfo {
  Metric metric;
  const char* name;  // in behaviour predicates, mine.json and the summary's metrics
  bool flag;         // a yes/no quantity: a boolean in predicates, 0/1 in the summary
  const char* unit;
  const char* definition;
};
extern const std::array<MetricInfo, kMetricCount> kMetricInfo;

const MetricInfo* FindMetric(absl::string_view name);

// Thresholds the definitions refer to.
struct MetricOptions {
  double brake_decel = 1.5;           // m/s^2: braking starts below -this
  double lead_hard_brake = 3.0;       // m/s^2: the lead's deceleration that is a trigger
  double tailgating_headway = 1.0;    // s
  double tailgating_min_speed = 5.0;  // m/s: slower following is queueing, not tailgating
  double weave_seconds = 5.0;         // s: a lane change back within this is a weave
  double curve_lateral_accel = 2.0;   // m/s^2: the comfortable speed on a curve
  double cap = 100.0;                 // s: TTC / headway with no closing leader reads this
};

// The values of every metric over one window.
struct MetricValues {
  std::array<double, kMetricCount> values{};
  double operator[](Metric m) const { return values[static_cast<std::size_t>(m)]; }
  double& operator[](Metric m) { return values[static_cast<std::size_t>(m)]; }
};

// Steps [begin, end) of `log`, with the trigger (if any) at `begin`. 0 <= begin < end <=
// steps.size(). O(end - begin), no allocation beyond one scratch vector for the percentiles.
MetricValues ComputeMetrics(const schemas::EpisodeLog& log, std::size_t begin, std::size_t end,
                            const MetricOptions& options = {});
inline MetricValues ComputeEpisodeMetrics(const schemas::EpisodeLog& log,
                                          const MetricOptions& options = {}) {
  return ComputeMetrics(log, 0, log.steps.size(), options);
}

// What a temporal window can start after: an event's onset (the first step of a run of steps
// carrying it), or the lead vehicle starting to brake hard ("lead_hard_brake").
inline constexpr absl::string_view kLeadHardBrake = "lead_hard_brake";
// The trigger names: every event name and kLeadHardBrake.
std::vector<std::string> TriggerNames();
bool IsTrigger(absl::string_view name);
// Steps at which `trigger` fires in `log`, in order. O(steps).
std::vector<std::size_t> TriggerSteps(const schemas::EpisodeLog& log, absl::string_view trigger,
                                      const MetricOptions& options = {});

// Why an episode that ended in a collision did: "rear_end" (the ego hit a vehicle ahead in its
// lane), "struck_from_behind", "side" (a vehicle beside it) or "" when there was none.
std::string CollisionCause(const schemas::EpisodeLog& log);

// The episode metrics appended to a summary under their names (flags as 0/1).
void AddEpisodeMetrics(const MetricValues& values, schemas::EpisodeSummary* summary);

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_BEHAVIOUR_METRICS_H_
