#ifndef TARMAC_ENVS_VEHICLE_H_
#define TARMAC_ENVS_VEHICLE_H_

#include "absl/status/status.h"

namespace tarmac::envs {

// Physical parameters of one vehicle type. Defaults: a mid-size car (DESIGN.md: wheelbase
// 2.9 m, |steer| <= 0.6 rad, acceleration in [-8, 4] m/s^2).
struct VehicleParams {
  double length = 4.8;               // m, bumper to bumper
  double width = 1.9;                // m
  double wheelbase = 2.9;            // m, l_f + l_r
  double rear_to_cg = 1.45;          // m, l_r: rear axle to centre of gravity
  double max_steer = 0.6;            // rad, |delta|
  double max_steer_rate = 0.7;       // rad/s, |d delta / dt|
  double min_accel = -8.0;           // m/s^2 (hardest braking)
  double max_accel = 4.0;            // m/s^2
  double accel_time_constant = 0.2;  // s, first-order lag of the drivetrain/brakes
  double steer_time_constant = 0.1;  // s, first-order lag of the steering actuator
  double max_speed = 45.0;           // m/s

  // InvalidArgument naming the first parameter out of its physical range.
  absl::Status Validate() const;

  static VehicleParams Car() { return {}; }
  static VehicleParams Truck();
};

// State of a vehicle: pose of the centre of gravity, speed and the actual (lagged) actuator
// outputs. Plain data.
struct VehicleState {
  double x = 0.0;              // m, world frame
  double y = 0.0;              // m
  double heading = 0.0;        // rad, yaw of the body
  double speed = 0.0;          // m/s, >= 0 (no reversing)
  double accel = 0.0;          // m/s^2, actual longitudinal acceleration
  double steer = 0.0;          // rad, actual front-wheel angle
  double yaw_rate = 0.0;       // rad/s, from the last step
  double lateral_accel = 0.0;  // m/s^2, v * yaw_rate from the last step
};

// What the driver (policy, expert, IDM) asks for; clipped to the vehicle's limits.
struct VehicleCommand {
  double accel = 0.0;  // m/s^2
  double steer = 0.0;  // rad
};

// Kinematic bicycle model about the centre of gravity with slip angle
// beta = atan(l_r / L * tan(delta)), first-order actuator lags (integrated exactly), hard limits
// on acceleration, steering angle and rate, and speed >= 0. Stateless; thread-safe.
class BicycleModel {
 public:
  // `dt`: the step most calls use, whose actuator decays are worked out here once (any other
  // step works them out each call; the numbers are the same).
  explicit BicycleModel(VehicleParams params, int substeps = 4, double dt = 0.1);

  // Advances `state` by dt seconds under `command`. O(substeps); allocation-free.
  VehicleState Step(const VehicleState& state, VehicleCommand command, double dt) const;

  // The command after clipping to the limits.
  VehicleCommand Clip(VehicleCommand command) const;

  const VehicleParams& params() const { return params_; }

 private:
  struct Decays {
    double accel = 0.0;  // exp(-h / accel_time_constant) over a substep h, 0 without a lag
    double steer = 0.0;
  };
  Decays DecaysFor(double dt) const;

  VehicleParams params_;
  int substeps_;
  double dt_;
  Decays decays_;  // DecaysFor(dt_)
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_VEHICLE_H_
