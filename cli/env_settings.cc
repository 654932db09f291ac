#include "tarmac/cli/env_settings.h"

namespace tarmac::cli {

envs::EnvConfig EnvConfigFrom(const Config& config) {
  envs::EnvConfig env;
  env.scenario.episode_seconds = config.GetDouble("env.episode_seconds");
  env.scenario.speed_limit = config.GetDouble("env.speed_limit");
  envs::RewardConfig& r = env.reward;
  r.composition = config.GetString("env.reward.composition") == "multiplicative"
                      ? envs::RewardConfig::Composition::kMultiplicative
                      : envs::RewardConfig::Composition::kAdditive;
  for (const envs::RewardTermInfo& term : envs::kRewardTerms) {
    r.*term.weight = config.GetDouble(std::string("env.reward.") + term.name);
  }
  envs::EventThresholds& e = env.events;
  e.hard_brake_accel = config.GetDouble("env.events.hard_brake_accel");
  e.near_miss_ttc = config.GetDouble("env.events.near_miss_ttc");
  e.lane_departure_seconds = config.GetDouble("env.events.lane_departure_seconds");
  e.cut_in_ttc = config.GetDouble("env.events.cut_in_ttc");
  e.cut_in_headway = config.GetDouble("env.events.cut_in_headway");
  return env;
}

std::string EnvNameFrom(const Config& config) { return config.GetString("env.name"); }

}  // namespace tarmac::cli
