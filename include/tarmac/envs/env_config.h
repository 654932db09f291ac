#ifndef TARMAC_ENVS_ENV_CONFIG_H_
#define TARMAC_ENVS_ENV_CONFIG_H_

#include <cstddef>
#include <string>
#include <vector>

#include "tarmac/envs/events.h"
#include "tarmac/envs/scenario.h"
#include "tarmac/util/option_table.h"

namespace tarmac::envs {

// Reward terms, their weights and how they combine.
struct RewardConfig {
  enum class Composition { kAdditive, kMultiplicative };
  Composition composition = Composition::kAdditive;
  // Weights, one per entry of kRewardTerms.
  double progress = 1.0;        // metres gained / (speed limit * dt)
  double speed = 0.2;           // -|v - limit| / limit
  double collision = 100.0;     // -1 on the step of a collision
  double off_road = 100.0;      // -1 while any corner is off the road
  double centring = 0.1;        // -(offset from the nearest lane centre / half a lane)^2
  double jerk = 0.05;           // -min(1, |jerk| / 8.37)
  double lateral_accel = 0.05;  // -min(1, |a_lat| / 4.89)
  double ttc = 0.5;             // -(1 - TTC / 3 s) when TTC < 3 s
  double comfort = 2.0;         // -1 on a step outside the comfort limits (env.events.comfort_*)
};

// The driving env's reward terms, in the order Step reports them.
enum class RewardTerm : int {
  kProgress,
  kSpeed,
  kCollision,
  kOffRoad,
  kCentring,
  kJerk,
  kLateralAccel,
  kTtc,
  kComfort,
};

// The one table of reward terms: each term's name (spec().reward_terms, the env.reward.<name>
// config key, tarmac_reward_term{term}), the RewardConfig field holding its weight, and whether
// the multiplicative composition averages it (collision and off_road multiply instead).
struct RewardTermInfo {
  RewardTerm term;
  const char* name;
  double RewardConfig::*weight;
  bool averaged;
};

inline constexpr RewardTermInfo kRewardTerms[] = {
    {RewardTerm::kProgress, "progress", &RewardConfig::progress, true},
    {RewardTerm::kSpeed, "speed", &RewardConfig::speed, true},
    {RewardTerm::kCollision, "collision", &RewardConfig::collision, false},
    {RewardTerm::kOffRoad, "off_road", &RewardConfig::off_road, false},
    {RewardTerm::kCentring, "centring", &RewardConfig::centring, true},
    {RewardTerm::kJerk, "jerk", &RewardConfig::jerk, true},
    {RewardTerm::kLateralAccel, "lateral_accel", &RewardConfig::lateral_accel, true},
    {RewardTerm::kTtc, "ttc", &RewardConfig::ttc, true},
    {RewardTerm::kComfort, "comfort", &RewardConfig::comfort, true},
};
inline constexpr std::size_t kRewardTermCount = sizeof(kRewardTerms) / sizeof(kRewardTerms[0]);

constexpr std::size_t Index(RewardTerm term) { return static_cast<std::size_t>(term); }

// The names of kRewardTerms, in order.
inline const std::vector<std::string>& RewardTermNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const RewardTermInfo& t : kRewardTerms) out.emplace_back(t.name);
    return out;
  }();
  return names;
}

// Everything configurable about an env, passed to every registered factory: the `env` section
// of the configuration (reward weights, event thresholds, scenario parameters).
struct EnvConfig {
  RewardConfig reward;
  EventThresholds events;
  ScenarioConfig scenario;
  // Past frames appended to each observation, newest first (copies of the first frame at the
  // start of an episode): temporal context for a policy. 0: the current frame only.
  int history = 0;
};

// The env.* keys that set EnvConfig (env.name selects the env and belongs to the rollout).
const util::OptionTable<EnvConfig>& EnvConfigTable();

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_ENV_CONFIG_H_
