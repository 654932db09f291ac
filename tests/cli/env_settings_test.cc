#include "tarmac/cli/env_settings.h"

#include <gtest/gtest.h>

#include "tarmac/cli/config_schema.h"
#include "tarmac/envs/registry.h"

namespace tarmac::cli {
namespace {

TEST(EnvSettingsTest, DefaultsMatchTheEnvDefaults) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<envs::EnvConfig> from = EnvConfigFrom(*config);
  ASSERT_TRUE(from.ok()) << from.status();
  const envs::EnvConfig& env = *from;
  const envs::EnvConfig defaults;
  EXPECT_EQ(env.reward.progress, defaults.reward.progress);
  EXPECT_EQ(env.reward.collision, defaults.reward.collision);
  EXPECT_EQ(env.reward.ttc, defaults.reward.ttc);
  EXPECT_EQ(env.events.hard_brake_accel, defaults.events.hard_brake_accel);
  EXPECT_EQ(env.events.near_miss_ttc, defaults.events.near_miss_ttc);
  EXPECT_EQ(env.scenario.episode_seconds, defaults.scenario.episode_seconds);
  EXPECT_EQ(EnvNameFrom(*config), "driving-v0");
}

TEST(EnvSettingsTest, ConfigReachesTheEnv) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(config->SetAssignment("env.reward.composition=multiplicative").ok());
  ASSERT_TRUE(config->SetAssignment("env.episode_seconds=12").ok());
  ASSERT_TRUE(config->SetAssignment("env.events.hard_brake_accel=-3").ok());
  absl::StatusOr<envs::EnvConfig> from = EnvConfigFrom(*config);
  ASSERT_TRUE(from.ok()) << from.status();
  const envs::EnvConfig& env = *from;
  EXPECT_EQ(env.reward.composition, envs::RewardConfig::Composition::kMultiplicative);
  EXPECT_EQ(env.events.hard_brake_accel, -3.0);
  auto made = envs::EnvRegistry::Global().Make("highway-v0", env);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ((*made)->spec().max_steps, 120) << "12 s at 0.1 s per step";
  std::vector<float> obs((*made)->spec().observation_size), terms(8);
  (*made)->Reset(1, absl::MakeSpan(obs));
  const std::vector<float> action = {0.0F, 0.0F};
  for (int i = 0; i < 50; ++i) {
    const envs::StepResult r = (*made)->Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    EXPECT_GE(r.reward, 0.0F) << "multiplicative rewards lie in [0, 1]";
    EXPECT_LE(r.reward, 1.0F);
    if (r.terminated || r.truncated) break;
  }
}

TEST(EnvSettingsTest, ScenarioRangesAreSettableAndChecked) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(config->SetAssignment("env.scenario.cut_in_gap=[3, 5.5]").ok());
  absl::StatusOr<envs::EnvConfig> env = EnvConfigFrom(*config);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->scenario.cut_in_gap.min, 3.0);
  EXPECT_EQ(env->scenario.cut_in_gap.max, 5.5);

  ASSERT_TRUE(config->SetAssignment("env.scenario.cut_in_gap=[5]").ok()) << "a list of strings";
  EXPECT_EQ(EnvConfigFrom(*config).status().message(),
            "env.scenario.cut_in_gap must be a range of two numbers, [min, max]");
  EXPECT_EQ(CheckConversions(*config).message(),
            "env.scenario.cut_in_gap must be a range of two numbers, [min, max]");
  ASSERT_TRUE(config->SetAssignment("env.scenario.cut_in_gap=[9, 3]").ok());
  EXPECT_EQ(EnvConfigFrom(*config).status().message(),
            "scenario range cut_in_gap [9, 3] must satisfy 2 <= min <= max");
}

}  // namespace
}  // namespace tarmac::cli
