#ifndef TARMAC_ENVS_EVENTS_H_
#define TARMAC_ENVS_EVENTS_H_

#include <optional>

#include "tarmac/schemas/event.h"

namespace tarmac::envs {

// Thresholds of the driving events (DESIGN.md; comfort bounds are nuPlan's). Configurable.
struct EventThresholds {
  double hard_brake_accel = -4.05;       // m/s^2: longitudinal acceleration below this
  double near_miss_ttc = 0.95;           // s: time to collision below this
  double comfort_min_lon_accel = -4.05;  // m/s^2
  double comfort_max_lon_accel = 2.40;   // m/s^2
  double comfort_max_lat_accel = 4.89;   // m/s^2
  double comfort_max_yaw_rate = 0.95;    // rad/s
  double comfort_max_lon_jerk = 4.13;    // m/s^3
  double lane_departure_seconds = 2.0;   // straddling a lane line this long
  double cut_in_ttc = 4.0;               // s: a new leader that arrives with a lower TTC
  double cut_in_headway = 1.0;           // s: ... or a shorter time headway
};

// Time to collision with a leader `gap` metres ahead closing at `closing_speed` (m/s); empty
// when not closing.
std::optional<double> TimeToCollision(double gap, double closing_speed);

// What the ego did in one step, as the detectors need it.
struct EgoMotion {
  double lon_accel = 0.0;
  double lon_jerk = 0.0;
  double lat_accel = 0.0;
  double yaw_rate = 0.0;
};

bool HardBrake(const EventThresholds& t, double lon_accel);
bool NearMiss(const EventThresholds& t, std::optional<double> ttc);
bool ComfortViolated(const EventThresholds& t, const EgoMotion& m);
// `straddle_seconds`: how long the ego's box has crossed its lane's boundary without interruption.
bool LaneDeparture(const EventThresholds& t, double straddle_seconds);
// A leader that was not the leader a step ago, arrived from another lane, and is close in time.
bool CutIn(const EventThresholds& t, bool new_leader_from_other_lane, std::optional<double> ttc,
           double gap, double ego_speed);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_EVENTS_H_
