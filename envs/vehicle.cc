#include "tarmac/envs/vehicle.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "tarmac/envs/road.h"

namespace tarmac::envs {
namespace {

absl::Status OutOfRange(const char* name, double value, const char* range) {
  return absl::InvalidArgumentError(
      absl::StrCat("vehicle parameter ", name, " is ", value, "; it must be ", range));
}

}  // namespace

absl::Status VehicleParams::Validate() const {
  if (!(length > 0 && length < 30)) return OutOfRange("length", length, "in (0, 30) m");
  if (!(width > 0 && width < 5)) return OutOfRange("width", width, "in (0, 5) m");
  if (!(wheelbase > 0 && wheelbase < length)) {
    return OutOfRange("wheelbase", wheelbase, "positive and shorter than the vehicle");
  }
  if (!(rear_to_cg >= 0 && rear_to_cg <= wheelbase)) {
    return OutOfRange("rear_to_cg", rear_to_cg, "within the wheelbase");
  }
  if (!(max_steer > 0 && max_steer < 1.2))
    return OutOfRange("max_steer", max_steer, "in (0, 1.2) rad");
  if (!(max_steer_rate > 0)) return OutOfRange("max_steer_rate", max_steer_rate, "positive");
  if (!(min_accel < 0)) return OutOfRange("min_accel", min_accel, "negative");
  if (!(max_accel > 0)) return OutOfRange("max_accel", max_accel, "positive");
  if (!(accel_time_constant >= 0)) {
    return OutOfRange("accel_time_constant", accel_time_constant, ">= 0 s");
  }
  if (!(steer_time_constant >= 0)) {
    return OutOfRange("steer_time_constant", steer_time_constant, ">= 0 s");
  }
  if (!(max_speed > 0)) return OutOfRange("max_speed", max_speed, "positive");
  return absl::OkStatus();
}

VehicleParams VehicleParams::Truck() {
  VehicleParams p;
  p.length = 12.0;
  p.width = 2.55;
  p.wheelbase = 7.0;
  p.rear_to_cg = 3.0;
  p.max_steer = 0.5;
  p.max_steer_rate = 0.4;
  p.min_accel = -6.0;
  p.max_accel = 1.5;
  p.accel_time_constant = 0.4;
  p.steer_time_constant = 0.2;
  p.max_speed = 30.0;
  return p;
}

BicycleModel::BicycleModel(VehicleParams params, int substeps, double dt)
    : params_(params), substeps_(substeps), dt_(dt), decays_(DecaysFor(dt)) {}

BicycleModel::Decays BicycleModel::DecaysFor(double dt) const {
  // Exact first-order lag over one substep: x <- target + (x - target) * exp(-h / tau).
  const double h = dt / substeps_;
  Decays d;
  d.accel = params_.accel_time_constant > 0 ? std::exp(-h / params_.accel_time_constant) : 0.0;
  d.steer = params_.steer_time_constant > 0 ? std::exp(-h / params_.steer_time_constant) : 0.0;
  return d;
}

VehicleCommand BicycleModel::Clip(VehicleCommand command) const {
  // NaN commands (a broken policy) count as "no input".
  if (!std::isfinite(command.accel)) command.accel = 0.0;
  if (!std::isfinite(command.steer)) command.steer = 0.0;
  command.accel = std::clamp(command.accel, params_.min_accel, params_.max_accel);
  command.steer = std::clamp(command.steer, -params_.max_steer, params_.max_steer);
  return command;
}

VehicleState BicycleModel::Step(const VehicleState& state, VehicleCommand command,
                                double dt) const {
  command = Clip(command);
  VehicleState s = state;
  const double h = dt / substeps_;
  const double lr_over_l = params_.rear_to_cg / params_.wheelbase;
  const Decays decays = dt == dt_ ? decays_ : DecaysFor(dt);
  const double accel_decay = decays.accel;
  const double steer_decay = decays.steer;
  const double max_steer_change = params_.max_steer_rate * h;
  double heading_change = 0.0;
  // The substeps in blocks, each in phases: the steering angles (they depend on nothing else),
  // their sines and cosines, the speed and heading chain, then the directions of travel. The
  // sine-cosine pairs of a phase are independent of one another, so the processor overlaps them
  // (in one loop each waited on the last); every quantity is the same expression as before.
  constexpr int kBlock = 8;
  for (int done = 0; done < substeps_; done += kBlock) {
    const int n = std::min(kBlock, substeps_ - done);
    double steer[kBlock];
    for (int i = 0; i < n; ++i) {
      const double steer_target = command.steer + (s.steer - command.steer) * steer_decay;
      s.steer += std::clamp(steer_target - s.steer, -max_steer_change, max_steer_change);
      s.steer = std::clamp(s.steer, -params_.max_steer, params_.max_steer);
      steer[i] = s.steer;
    }
    // The slip angle beta = atan(u), u = l_r / L tan(delta), enters only through its cosine and
    // sine, 1 / sqrt(1 + u^2) and u / sqrt(1 + u^2), and the direction of travel
    // heading_mid + beta through the angle-sum formulas: two sine-cosine pairs a substep
    // instead of tan, atan, cos and a sine-cosine pair (glibc's tan and atan also switch the
    // rounding mode each call).
    double tan_steer[kBlock], cos_beta[kBlock], sin_beta[kBlock];
    for (int i = 0; i < n; ++i) {
      const double sin_steer = std::sin(steer[i]);
      const double cos_steer = std::cos(steer[i]);
      tan_steer[i] = sin_steer / cos_steer;
      const double u = lr_over_l * tan_steer[i];
      cos_beta[i] = 1.0 / std::sqrt(1.0 + u * u);
      sin_beta[i] = u * cos_beta[i];
    }
    // Midpoint integration of the kinematic bicycle about the centre of gravity.
    double v_mid[kBlock], heading_mid[kBlock];
    for (int i = 0; i < n; ++i) {
      s.accel = command.accel + (s.accel - command.accel) * accel_decay;
      double v_next = s.speed + s.accel * h;
      if (v_next < 0.0) v_next = 0.0;  // stops, does not reverse
      v_next = std::min(v_next, params_.max_speed);
      v_mid[i] = 0.5 * (s.speed + v_next);
      const double yaw_rate = v_mid[i] * cos_beta[i] * tan_steer[i] / params_.wheelbase;
      heading_mid[i] = s.heading + 0.5 * yaw_rate * h;
      s.heading += yaw_rate * h;
      heading_change += yaw_rate * h;
      s.speed = v_next;
      if (v_next == 0.0) s.accel = std::max(0.0, s.accel);  // standing: the brakes hold
    }
    for (int i = 0; i < n; ++i) {
      const double sin_mid = std::sin(heading_mid[i]);
      const double cos_mid = std::cos(heading_mid[i]);
      s.x += v_mid[i] * (cos_mid * cos_beta[i] - sin_mid * sin_beta[i]) * h;
      s.y += v_mid[i] * (sin_mid * cos_beta[i] + cos_mid * sin_beta[i]) * h;
    }
  }
  s.heading = WrapAngle(s.heading);
  s.yaw_rate = heading_change / dt;
  s.lateral_accel = s.speed * s.yaw_rate;
  return s;
}

}  // namespace tarmac::envs
