#include "tarmac/envs/events.h"

#include <cmath>

namespace tarmac::envs {

std::optional<double> TimeToCollision(double gap, double closing_speed) {
  if (closing_speed <= 1e-6) return std::nullopt;
  return std::max(gap, 0.0) / closing_speed;
}

bool HardBrake(const EventThresholds& t, double lon_accel) {
  return lon_accel < t.hard_brake_accel;
}

bool NearMiss(const EventThresholds& t, std::optional<double> ttc) {
  return ttc && *ttc < t.near_miss_ttc;
}

bool ComfortViolated(const EventThresholds& t, const EgoMotion& m) {
  return m.lon_accel < t.comfort_min_lon_accel || m.lon_accel > t.comfort_max_lon_accel ||
         std::abs(m.lat_accel) > t.comfort_max_lat_accel ||
         std::abs(m.yaw_rate) > t.comfort_max_yaw_rate ||
         std::abs(m.lon_jerk) > t.comfort_max_lon_jerk;
}

bool LaneDeparture(const EventThresholds& t, double straddle_seconds) {
  return straddle_seconds >= t.lane_departure_seconds;
}

bool CutIn(const EventThresholds& t, bool new_leader_from_other_lane, std::optional<double> ttc,
           double gap, double ego_speed) {
  if (!new_leader_from_other_lane) return false;
  const bool low_ttc = ttc && *ttc < t.cut_in_ttc;
  const bool short_headway = ego_speed > 1.0 && gap / ego_speed < t.cut_in_headway;
  return low_ttc || short_headway;
}

}  // namespace tarmac::envs
