#include "tarmac/envs/idm.h"

#include <algorithm>
#include <cmath>

namespace tarmac::envs {

double IdmBrakingScale(const IdmParams& p) {
  return 2.0 * std::sqrt(p.max_accel * p.comfort_decel);
}

double IdmAcceleration(const IdmParams& p, double speed, const std::optional<Leader>& leader) {
  return IdmAcceleration(p, IdmBrakingScale(p), speed, leader);
}

double IdmSpeedPower(double r, double exponent) { return std::pow(r, exponent); }

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
