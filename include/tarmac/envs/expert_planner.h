#ifndef TARMAC_ENVS_EXPERT_PLANNER_H_
#define TARMAC_ENVS_EXPERT_PLANNER_H_

#include <array>

#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/idm.h"

namespace tarmac::envs {

struct ExpertParams {
  IdmParams idm;  // desired speed: the scenario's speed limit (set on Reset)
  MobilParams mobil;
  double lookahead_time = 1.2;         // s: pure-pursuit lookahead = max(min, v * time)
  double min_lookahead = 8.0;          // m
  double decision_interval = 0.5;      // s between lane-change decisions
  double lane_end_horizon = 200.0;     // m: a lane ending this close must be left
  double comfort_lateral_accel = 2.0;  // m/s^2: curve speed
  double max_jerk = 2.5;               // m/s^3: how fast the command may rise (or brakes ease)
  double max_brake_jerk = 10.0;        // m/s^3: how fast braking may build up
  double emergency_decel = -4.0;       // m/s^2: below this, braking is applied at once
};

// The rule-based expert: IDM on the lane ahead (and the lane being left while changing), MOBIL
// lane changes with a mandatory change off an ending lane, and pure-pursuit steering toward the
// target lane's centre line. Produces demonstrations for SFT and the baseline of every report.
// Keeps per-episode state (the target lane): call Reset with each env reset. Not thread-safe.
class ExpertPlanner {
 public:
  explicit ExpertPlanner(ExpertParams params = {}) : params_(params) {}

  void Reset(const DrivingEnv& env);
  // The action (acceleration m/s^2, steering rad) for the env's current state.
  std::array<float, 2> Act(const DrivingEnv& env);

 private:
  double LaneAccel(const DrivingEnv& env, int lane) const;
  void DecideLane(const DrivingEnv& env);

  ExpertParams params_;
  int target_lane_ = 0;
  double next_decision_ = 0.0;
  double last_accel_ = 0.0;  // commanded, for the jerk limit
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_EXPERT_PLANNER_H_
