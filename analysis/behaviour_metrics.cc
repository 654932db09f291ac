#include "tarmac/analysis/behaviour_metrics.h"

#include <algorithm>
#include <cmath>

#include "tarmac/schemas/event.h"

namespace tarmac::analysis {

using schemas::LoggedStep;

const std::array<MetricInfo, kMetricCount> kMetricInfo = {{
    {Metric::kBrakeOnsetS, "brake_onset_s", false, "s",
     "time from the window's start (the trigger) to the first step with longitudinal "
     "acceleration at or below -1.5 m/s^2; the window's length when the ego never brakes"},
    {Metric::kBraked, "braked", true, "",
     "the ego's acceleration reached -1.5 m/s^2 or below in the window"},
    {Metric::kMaxDecel, "max_decel", false, "m/s^2",
     "the largest deceleration (minus the most negative longitudinal acceleration), 0 if none"},
    {Metric::kMinTtcS, "min_ttc_s", false, "s",
     "minimum over steps of gap / closing speed to the leader in the ego lane, over steps that "
     "close in on it; 100 when none does"},
    {Metric::kMinHeadwayS, "min_headway_s", false, "s",
     "minimum over steps of gap / ego speed to the leader in the ego lane (ego faster than "
     "1 m/s); 100 when there is no leader"},
    {Metric::kTailgatingS, "tailgating_s", false, "s",
     "time spent with a time headway under 1 s at an ego speed over 5 m/s"},
    {Metric::kP95AbsJerk, "p95_abs_jerk", false, "m/s^3",
     "95th percentile of |longitudinal jerk| (difference of consecutive accelerations / dt)"},
    {Metric::kMaxAbsJerk, "max_abs_jerk", false, "m/s^3", "maximum |longitudinal jerk|"},
    {Metric::kP95AbsLateralAccel, "p95_abs_lateral_accel", false, "m/s^2",
     "95th percentile of |lateral acceleration|"},
    {Metric::kMaxAbsLateralAccel, "max_abs_lateral_accel", false, "m/s^2",
     "maximum |lateral acceleration|"},
    {Metric::kLaneChanges, "lane_changes", false, "",
     "steps at which the nearest lane of the ego differs from the step before"},
    {Metric::kWeaves, "weaves", false, "",
     "lane changes that go back to the lane just left within 5 s of leaving it"},
    {Metric::kMergeCompleted, "merge_completed", true, "",
     "merge episodes: the ego left the lane it started in (the acceleration lane); true for "
     "every other family"},
    {Metric::kMergeDistanceM, "merge_distance_m", false, "m",
     "merge episodes: distance driven before leaving the start lane (all of it when it never "
     "did); 0 for every other family"},
    {Metric::kMergeHesitationS, "merge_hesitation_s", false, "s",
     "merge episodes: time in the start lane slower than 60 % of the speed limit without "
     "accelerating (acceleration at most 0.1 m/s^2)"},
    {Metric::kCurveOverspeedS, "curve_overspeed_s", false, "s",
     "time faster than 1.05 x sqrt(2 m/s^2 / |road curvature|) on curved road"},
    {Metric::kOverspeedS, "overspeed_s", false, "s", "time faster than 1.05 x the speed limit"},
    {Metric::kProgressM, "progress_m", false, "m", "distance along the road in the window"},
    {Metric::kCollision, "collision", true, "", "a step of the window carries a collision"},
    {Metric::kAtFaultCollision, "at_fault_collision", true, "",
     "a collision in the window, and the episode's collision was the ego's fault (the other "
     "vehicle was ahead)"},
    {Metric::kNotAtFaultCollision, "not_at_fault_collision", true, "",
     "a collision in the window that was not the ego's fault"},
    {Metric::kPlanAccelChangeRms, "plan_accel_change_rms", false, "m/s^2",
     "consistency of consecutive plans (nuPlan's extended comfort, for one-step plans): RMS of "
     "the change of the commanded acceleration between consecutive steps"},
    {Metric::kPlanSteerChangeRms, "plan_steer_change_rms", false, "rad",
     "RMS of the change of the commanded steering angle between consecutive steps"},
    {Metric::kDurationS, "duration_s", false, "s", "length of the window"},
}};

const MetricInfo* FindMetric(absl::string_view name) {
  for (const MetricInfo& info : kMetricInfo) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

namespace {

double Percentile95(std::vector<double>* values) {
  if (values->empty()) return 0.0;
  const std::size_t k = static_cast<std::size_t>(std::ceil(0.95 * values->size())) - 1;
  std::nth_element(values->begin(), values->begin() + static_cast<std::ptrdiff_t>(k),
                   values->end());
  return (*values)[k];
}

constexpr schemas::EventMask kCollisionBit = schemas::EventBit(schemas::Event::kCollision);

// Lane changes and weaves over [begin, end).
void CountLaneChanges(const schemas::EpisodeLog& log, std::size_t begin, std::size_t end,
                      const MetricOptions& options, MetricValues* out) {
  int changes = 0, weaves = 0;
  std::int32_t left_lane = 0;
  double left_at = -1e9;
  for (std::size_t i = begin + 1; i < end; ++i) {
    const std::int32_t from = log.steps[i - 1].ego.lane, to = log.steps[i].ego.lane;
    if (from == to) continue;
    ++changes;
    const double t = static_cast<double>(i) * log.dt;
    if (to == left_lane && t - left_at <= options.weave_seconds) ++weaves;
    left_lane = from;
    left_at = t;
  }
  (*out)[Metric::kLaneChanges] = changes;
  (*out)[Metric::kWeaves] = weaves;
}

// The merge metrics: only merge episodes have an acceleration lane to leave.
void MergeMetrics(const schemas::EpisodeLog& log, std::size_t begin, std::size_t end,
                  MetricValues* out) {
  (*out)[Metric::kMergeCompleted] = 1.0;
  if (log.scenario != "merge") return;
  const std::int32_t start_lane = log.steps[0].ego.lane;
  double hesitation = 0.0;
  std::size_t left = end;
  for (std::size_t i = begin; i < end; ++i) {
    const schemas::LoggedEgo& e = log.steps[i].ego;
    if (e.lane != start_lane) {
      left = i;
      break;
    }
    if (i > begin && e.speed < 0.6 * log.speed_limit && e.accel <= 0.1) hesitation += log.dt;
  }
  (*out)[Metric::kMergeCompleted] = left < end ? 1.0 : 0.0;
  (*out)[Metric::kMergeDistanceM] =
      log.steps[std::min(left, end - 1)].ego.s - log.steps[begin].ego.s;
  (*out)[Metric::kMergeHesitationS] = hesitation;
}

}  // namespace

MetricValues ComputeMetrics(const schemas::EpisodeLog& log, std::size_t begin, std::size_t end,
                            const MetricOptions& options) {
  MetricValues out;
  end = std::min(end, log.steps.size());
  if (begin >= end) return out;
  const double dt = log.dt;
  double brake_onset = -1.0, max_decel = 0.0;
  double min_ttc = options.cap, min_headway = options.cap, tailgating = 0.0;
  double curve_overspeed = 0.0, overspeed = 0.0, max_jerk = 0.0, max_lat = 0.0;
  double accel_change2 = 0.0, steer_change2 = 0.0;
  int action_pairs = 0;
  bool collision = false;
  std::vector<double> jerks, lats;
  jerks.reserve(end - begin);
  lats.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const LoggedStep& step = log.steps[i];
    const schemas::LoggedEgo& e = step.ego;
    if (brake_onset < 0 && e.accel <= -options.brake_decel) {
      brake_onset = static_cast<double>(i - begin) * dt;
    }
    max_decel = std::max(max_decel, -e.accel);
    if (step.leader_id != 0) {
      const double closing = e.speed - step.leader_speed;
      if (closing > 1e-6) min_ttc = std::min(min_ttc, step.leader_gap / closing);
      if (e.speed > 1.0) {
        const double headway = step.leader_gap / e.speed;
        min_headway = std::min(min_headway, headway);
        if (headway < options.tailgating_headway && e.speed > options.tailgating_min_speed) {
          tailgating += dt;
        }
      }
    }
    const double curvature = std::abs(step.road_curvature);
    if (curvature > 1e-4 && e.speed > 1.05 * std::sqrt(options.curve_lateral_accel / curvature)) {
      curve_overspeed += dt;
    }
    if (e.speed > 1.05 * log.speed_limit) overspeed += dt;
    const double lat = std::abs(e.lateral_accel);
    lats.push_back(lat);
    max_lat = std::max(max_lat, lat);
    if (i > begin) {
      const double jerk = std::abs(e.accel - log.steps[i - 1].ego.accel) / dt;
      jerks.push_back(jerk);
      max_jerk = std::max(max_jerk, jerk);
      const auto& a = step.action;
      const auto& b = log.steps[i - 1].action;
      if (a.size() >= 2 && b.size() >= 2) {
        accel_change2 += (a[0] - b[0]) * (a[0] - b[0]);
        steer_change2 += (a[1] - b[1]) * (a[1] - b[1]);
        ++action_pairs;
      }
    }
    collision = collision || (step.events & kCollisionBit) != 0;
  }
  const double duration = static_cast<double>(end - begin - 1) * dt;
  out[Metric::kBrakeOnsetS] = brake_onset < 0 ? duration : brake_onset;
  out[Metric::kBraked] = brake_onset < 0 ? 0.0 : 1.0;
  out[Metric::kMaxDecel] = max_decel;
  out[Metric::kMinTtcS] = min_ttc;
  out[Metric::kMinHeadwayS] = min_headway;
  out[Metric::kTailgatingS] = tailgating;
  out[Metric::kP95AbsJerk] = Percentile95(&jerks);
  out[Metric::kMaxAbsJerk] = max_jerk;
  out[Metric::kP95AbsLateralAccel] = Percentile95(&lats);
  out[Metric::kMaxAbsLateralAccel] = max_lat;
  CountLaneChanges(log, begin, end, options, &out);
  MergeMetrics(log, begin, end, &out);
  out[Metric::kCurveOverspeedS] = curve_overspeed;
  out[Metric::kOverspeedS] = overspeed;
  out[Metric::kProgressM] = log.steps[end - 1].ego.s - log.steps[begin].ego.s;
  const bool at_fault = schemas::MetricOr(log.summary, "at_fault_collision") > 0;
  out[Metric::kCollision] = collision ? 1.0 : 0.0;
  out[Metric::kAtFaultCollision] = collision && at_fault ? 1.0 : 0.0;
  out[Metric::kNotAtFaultCollision] = collision && !at_fault ? 1.0 : 0.0;
  out[Metric::kPlanAccelChangeRms] =
      action_pairs > 0 ? std::sqrt(accel_change2 / action_pairs) : 0.0;
  out[Metric::kPlanSteerChangeRms] =
      action_pairs > 0 ? std::sqrt(steer_change2 / action_pairs) : 0.0;
  out[Metric::kDurationS] = duration;
  return out;
}

std::vector<std::string> TriggerNames() {
  std::vector<std::string> names;
  for (schemas::Event e : schemas::kAllEvents) names.emplace_back(schemas::EventName(e));
  names.emplace_back(kLeadHardBrake);
  return names;
}

bool IsTrigger(absl::string_view name) {
  return name == kLeadHardBrake || schemas::ParseEvent(name).ok();
}

std::vector<std::size_t> TriggerSteps(const schemas::EpisodeLog& log, absl::string_view trigger,
                                      const MetricOptions& options) {
  std::vector<std::size_t> steps;
  if (trigger == kLeadHardBrake) {
    bool braking = false;
    for (std::size_t i = 1; i < log.steps.size(); ++i) {
      const LoggedStep& now = log.steps[i];
      const LoggedStep& before = log.steps[i - 1];
      const bool hard =
          now.leader_id != 0 && now.leader_id == before.leader_id &&
          (now.leader_speed - before.leader_speed) / log.dt < -options.lead_hard_brake;
      if (hard && !braking) steps.push_back(i);
      braking = hard;
    }
    return steps;
  }
  const absl::StatusOr<schemas::Event> event = schemas::ParseEvent(trigger);
  if (!event.ok()) return steps;
  const schemas::EventMask bit = schemas::EventBit(*event);
  schemas::EventMask previous = 0;
  for (std::size_t i = 0; i < log.steps.size(); ++i) {
    if ((log.steps[i].events & bit) != 0 && (previous & bit) == 0) steps.push_back(i);
    previous = log.steps[i].events;
  }
  return steps;
}

std::string CollisionCause(const schemas::EpisodeLog& log) {
  for (std::size_t i = log.steps.size(); i-- > 0;) {
    const LoggedStep& step = log.steps[i];
    if ((step.events & kCollisionBit) == 0) continue;
    const schemas::LoggedEgo& e = step.ego;
    const schemas::LoggedVehicle* nearest = nullptr;
    double best = 1e18;
    for (const schemas::LoggedVehicle& v : step.vehicles) {
      const double d2 = (v.x - e.x) * (v.x - e.x) + (v.y - e.y) * (v.y - e.y);
      if (d2 < best) {
        best = d2;
        nearest = &v;
      }
    }
    if (nearest == nullptr) return "unknown";
    const double c = std::cos(e.heading), s = std::sin(e.heading);
    const double dx = c * (nearest->x - e.x) + s * (nearest->y - e.y);
    const double dy = -s * (nearest->x - e.x) + c * (nearest->y - e.y);
    if (std::abs(dy) < 1.0) return dx > 0 ? "rear_end" : "struck_from_behind";
    return "side";
  }
  return "";
}

void AddEpisodeMetrics(const MetricValues& values, schemas::EpisodeSummary* summary) {
  for (const MetricInfo& info : kMetricInfo) {
    const std::string name = info.name;
    bool present = false;
    for (auto& m : summary->metrics) {
      if (m.name == name) present = true;
    }
    // The env's own metrics of the same name (collision, at_fault_collision, ...) stay.
    if (!present) summary->metrics.push_back({name, values[info.metric]});
  }
}

}  // namespace tarmac::analysis
