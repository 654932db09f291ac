#ifndef TARMAC_ENVS_FEASIBILITY_H_
#define TARMAC_ENVS_FEASIBILITY_H_

#include <string>
#include <vector>

#include "tarmac/envs/road.h"
#include "tarmac/envs/vehicle.h"

namespace tarmac::envs {

// Result of checking a trajectory against a vehicle's kinematic limits.
struct FeasibilityReport {
  bool feasible = true;
  int first_violation = -1;  // step index, -1 when feasible
  std::string reason;        // e.g. "acceleration 9.3 m/s^2 at step 12 exceeds 4 m/s^2"
  double max_accel = 0.0;    // m/s^2, inferred
  double min_accel = 0.0;
  double max_abs_curvature = 0.0;  // 1/m
  double max_abs_steer = 0.0;      // rad, from the curvature
  std::vector<int> violations;     // every step that violates a limit, ascending
};

// Waymax-style inverse model: speeds from displacements, accelerations from speeds, path
// curvature from heading changes, the steering angle atan(L * curvature) it needs and that
// angle's rate of change; each must stay within the vehicle's limits (with `tolerance` as a
// fraction of each limit, for the actuator lag and rounding of logged data). Poses are sampled
// every `dt` seconds. O(n).
FeasibilityReport CheckFeasibility(const std::vector<Pose>& poses, double dt,
                                   const VehicleParams& vehicle, double tolerance = 0.05);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_FEASIBILITY_H_
