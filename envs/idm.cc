#include "tarmac/envs/idm.h"

#include <algorithm>
#include <cmath>

namespace tarmac::envs {

namespace {

// (v / v0)^delta; delta is 4 almost always, where a multiplication beats pow tenfold.
double SpeedTerm(const IdmParams& p, double v) {
  const double r = v / p.desired_speed;
  if (p.exponent == 4.0) {
    const double r2 = r * r;
    return r2 * r2;
  }
  return std::pow(r, p.exponent);
}

}  // namespace

double IdmBrakingScale(const IdmParams& p) {
  return 2.0 * std::sqrt(p.max_accel * p.comfort_decel);
}

double IdmAcceleration(const IdmParams& p, double speed, const std::optional<Leader>& leader) {
  return IdmAcceleration(p, IdmBrakingScale(p), speed, leader);
}

double IdmAcceleration(const IdmParams& p, double braking_scale, double speed,
                       const std::optional<Leader>& leader) {
  const double v = std::max(0.0, speed);
  const double free_road = 1.0 - SpeedTerm(p, v);
  if (!leader) return p.max_accel * free_road;
  const double dv = v - leader->speed;
  const double desired_gap = p.min_gap + std::max(0.0, v * p.time_headway + v * dv / braking_scale);
  const double gap = std::max(leader->gap, 0.01);
  const double ratio = desired_gap / gap;
  return p.max_accel * (free_road - ratio * ratio);
}

double IdmEquilibriumGap(const IdmParams& p, double speed) {
  const double free_road = 1.0 - std::pow(speed / p.desired_speed, p.exponent);
  return (p.min_gap + speed * p.time_headway) / std::sqrt(free_road);
}

MobilDecision Mobil(const MobilParams& p, const MobilInputs& in) {
  MobilDecision d;
  d.safe = in.new_follower_after >= -p.max_safe_decel;
  d.incentive = (in.changer_after - in.changer_now) +
                p.politeness * ((in.new_follower_after - in.new_follower_now) +
                                (in.old_follower_after - in.old_follower_now));
  d.change = d.safe && d.incentive > p.threshold;
  return d;
}

}  // namespace tarmac::envs
