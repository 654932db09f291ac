#ifndef TARMAC_ENVS_IDM_H_
#define TARMAC_ENVS_IDM_H_

#include <algorithm>
#include <optional>

#include "tarmac/envs/divide.h"

namespace tarmac::envs {

// Intelligent Driver Model parameters (Treiber et al. 2000); defaults from DESIGN.md.
struct IdmParams {
  double desired_speed = 30.0;  // v0, m/s
  double time_headway = 1.5;    // T, s
  double min_gap = 2.0;         // s0, m
  double max_accel = 1.5;       // a, m/s^2
  double comfort_decel = 3.0;   // b, m/s^2
  double exponent = 4.0;        // delta
};

// The vehicle ahead, as seen by a follower.
struct Leader {
  double gap = 0.0;    // m, bumper to bumper
  double speed = 0.0;  // m/s
};

// IDM acceleration: a [1 - (v/v0)^delta - (s*/s)^2] with
// s* = s0 + max(0, v T + v (v - v_lead) / (2 sqrt(a b))); free road without a leader.
// Gaps at or below zero give the hardest braking the model expresses. Pure; thread-safe.
double IdmAcceleration(const IdmParams& p, double speed, const std::optional<Leader>& leader);
// The same with 2 sqrt(a b) given: IdmBrakingScale(p), worked out once by a caller that asks for
// the same driver's acceleration many times (the square root sat on the division's critical path).
// Inline: traffic asks for it some forty times a step, and the call cost as much as the sum.
inline double IdmAcceleration(const IdmParams& p, double braking_scale, double speed,
                              const std::optional<Leader>& leader);
double IdmBrakingScale(const IdmParams& p);
// std::pow(r, exponent), out of line: the free-road term when the exponent is not 4.
double IdmSpeedPower(double r, double exponent);

// The gap at which IDM holds `speed` behind a leader at the same speed (acceleration 0).
double IdmEquilibriumGap(const IdmParams& p, double speed);

// MOBIL lane-change model (Kesting et al. 2007); defaults from DESIGN.md.
struct MobilParams {
  double politeness = 0.2;      // p
  double threshold = 0.2;       // delta a_th, m/s^2
  double max_safe_decel = 4.0;  // b_safe, m/s^2
};

// Accelerations for one candidate lane change: of the changer (c), its new follower (n) and its
// old follower (o), before and after the change.
struct MobilInputs {
  double changer_now = 0.0, changer_after = 0.0;
  double new_follower_now = 0.0, new_follower_after = 0.0;
  double old_follower_now = 0.0, old_follower_after = 0.0;
};

struct MobilDecision {
  bool safe = false;       // the new follower brakes no harder than b_safe
  double incentive = 0.0;  // changer gain + p * (followers' gains)
  bool change = false;     // safe and incentive > threshold
};

MobilDecision Mobil(const MobilParams& p, const MobilInputs& in);

inline double IdmAcceleration(const IdmParams& p, double braking_scale, double speed,
                              const std::optional<Leader>& leader) {
  const double v = std::max(0.0, speed);
  // (v / v0)^delta; delta is 4 almost always, where a multiplication beats pow tenfold.
  const auto free_road = [&](double r) {
    const double r2 = r * r;
    return 1.0 - (p.exponent == 4.0 ? r2 * r2 : IdmSpeedPower(r, p.exponent));
  };
  if (!leader) return p.max_accel * free_road(v / p.desired_speed);
  // v / v0 and v dv / (2 sqrt(a b)) in one two-lane division.
  const double dv = v - leader->speed;
  const auto quotients = DividePair(v, p.desired_speed, v * dv, braking_scale);
  const double desired_gap = p.min_gap + std::max(0.0, v * p.time_headway + quotients[1]);
  const double gap = std::max(leader->gap, 0.01);
  const double ratio = desired_gap / gap;
  return p.max_accel * (free_road(quotients[0]) - ratio * ratio);
}

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_IDM_H_
