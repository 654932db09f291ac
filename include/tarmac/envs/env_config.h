#ifndef TARMAC_ENVS_ENV_CONFIG_H_
#define TARMAC_ENVS_ENV_CONFIG_H_

#include <string>
#include <vector>

#include "tarmac/envs/events.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::envs {

// Reward terms, their weights and how they combine.
struct RewardConfig {
  enum class Composition { kAdditive, kMultiplicative };
  Composition composition = Composition::kAdditive;
  // Weights in the order of kRewardTerms.
  double progress = 1.0;        // metres gained / (speed limit * dt)
  double speed = 0.2;           // -|v - limit| / limit
  double collision = 10.0;      // -1 on the step of a collision
  double off_road = 10.0;       // -1 while any corner is off the road
  double centring = 0.1;        // -(offset from the nearest lane centre / half a lane)^2
  double jerk = 0.05;           // -min(1, |jerk| / 8.37)
  double lateral_accel = 0.05;  // -min(1, |a_lat| / 4.89)
  double ttc = 0.5;             // -(1 - TTC / 3 s) when TTC < 3 s
};

inline const std::vector<std::string>& RewardTermNames() {
  static const std::vector<std::string> names = {"progress", "speed", "collision",     "off_road",
                                                 "centring", "jerk",  "lateral_accel", "ttc"};
  return names;
}

// Everything configurable about an env, passed to every registered factory: the `env` section
// of the configuration (reward weights, event thresholds, scenario parameters).
struct EnvConfig {
  RewardConfig reward;
  EventThresholds events;
  ScenarioConfig scenario;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_ENV_CONFIG_H_
