#include "tarmac/envs/feasibility.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "tarmac/envs/road.h"

namespace tarmac::envs {
namespace {

constexpr double kMinSpeedForCurvature = 1.0;  // m/s: heading changes below are noise

}  // namespace

FeasibilityReport CheckFeasibility(const std::vector<Pose>& poses, double dt,
                                   const VehicleParams& vehicle, double tolerance) {
  FeasibilityReport report;
  if (poses.size() < 3 || dt <= 0) return report;
  const double max_curvature = std::tan(vehicle.max_steer) / vehicle.wheelbase;
  auto violate = [&](int step, const std::string& reason) {
    if (report.violations.empty() || report.violations.back() != step) {
      report.violations.push_back(step);
    }
    if (!report.feasible) return;
    report.feasible = false;
    report.first_violation = step;
    report.reason = reason;
  };
  std::vector<double> speed(poses.size() - 1);
  for (std::size_t i = 0; i + 1 < poses.size(); ++i) {
    speed[i] = std::hypot(poses[i + 1].x - poses[i].x, poses[i + 1].y - poses[i].y) / dt;
    if (speed[i] > vehicle.max_speed * (1 + tolerance)) {
      violate(static_cast<int>(i), absl::StrFormat("speed %.1f m/s at step %d exceeds %.1f m/s",
                                                   speed[i], i, vehicle.max_speed));
    }
  }
  for (std::size_t i = 0; i + 1 < speed.size(); ++i) {
    const double accel = (speed[i + 1] - speed[i]) / dt;
    report.max_accel = std::max(report.max_accel, accel);
    report.min_accel = std::min(report.min_accel, accel);
    if (accel > vehicle.max_accel * (1 + tolerance)) {
      violate(static_cast<int>(i + 1),
              absl::StrFormat("acceleration %.2f m/s^2 at step %d exceeds %.2f m/s^2", accel, i + 1,
                              vehicle.max_accel));
    }
    if (accel < vehicle.min_accel * (1 + tolerance)) {
      violate(static_cast<int>(i + 1),
              absl::StrFormat("deceleration %.2f m/s^2 at step %d exceeds %.2f m/s^2", accel, i + 1,
                              vehicle.min_accel));
    }
  }
  for (std::size_t i = 0; i + 1 < poses.size(); ++i) {
    if (speed[i] < kMinSpeedForCurvature) continue;
    const double turn = WrapAngle(poses[i + 1].heading - poses[i].heading);
    const double curvature = turn / (speed[i] * dt);
    report.max_abs_curvature = std::max(report.max_abs_curvature, std::abs(curvature));
    report.max_abs_steer =
        std::max(report.max_abs_steer, std::atan(vehicle.wheelbase * std::abs(curvature)));
    if (std::abs(curvature) > max_curvature * (1 + tolerance)) {
      violate(static_cast<int>(i),
              absl::StrFormat("curvature %.3f 1/m at step %d exceeds %.3f 1/m (steering %.2f "
                              "rad)",
                              curvature, i, max_curvature, vehicle.max_steer));
    }
    // The heading must follow the direction of travel (no sideways slides beyond slip).
    const double travel = std::atan2(poses[i + 1].y - poses[i].y, poses[i + 1].x - poses[i].x);
    const double slip = std::abs(WrapAngle(travel - poses[i].heading - 0.5 * turn));
    const double max_slip =
        std::atan(vehicle.rear_to_cg / vehicle.wheelbase * std::tan(vehicle.max_steer));
    if (slip > max_slip * (1 + tolerance) + 0.02) {
      violate(static_cast<int>(i), absl::StrFormat("moves %.2f rad sideways of its heading at "
                                                   "step %d (slip limit %.2f rad)",
                                                   slip, i, max_slip));
    }
  }
  // Steering faster than the actuator can (curvature rate), between consecutive moving steps.
  for (std::size_t i = 0; i + 2 < poses.size(); ++i) {
    if (speed[i] < kMinSpeedForCurvature || speed[i + 1] < kMinSpeedForCurvature) continue;
    const auto steer = [&](std::size_t k) {
      const double turn = WrapAngle(poses[k + 1].heading - poses[k].heading);
      return std::atan(vehicle.wheelbase * turn / (speed[k] * dt));
    };
    const double rate = (steer(i + 1) - steer(i)) / dt;
    if (std::abs(rate) > vehicle.max_steer_rate * (1 + tolerance) + 0.05) {
      violate(static_cast<int>(i + 1),
              absl::StrFormat("steering rate %.2f rad/s at step %d exceeds %.2f rad/s", rate, i + 1,
                              vehicle.max_steer_rate));
    }
  }
  std::sort(report.violations.begin(), report.violations.end());
  report.violations.erase(std::unique(report.violations.begin(), report.violations.end()),
                          report.violations.end());
  return report;
}

}  // namespace tarmac::envs
