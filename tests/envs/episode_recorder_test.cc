#include "tarmac/envs/episode_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tarmac/envs/policy.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

// The expert's episode on (family, seed), recorded step by step.
schemas::EpisodeLog RecordExpert(ScenarioFamily family, std::uint64_t seed,
                                 const EnvConfig& config = {}) {
  DrivingEnv env(DrivingEnvOptions::From(config, "eval", family));
  std::vector<float> obs(static_cast<std::size_t>(env.spec().observation_size));
  std::vector<float> terms(env.spec().reward_terms.size());
  std::vector<float> action(static_cast<std::size_t>(env.spec().action_size));
  env.Reset(seed, absl::MakeSpan(obs));
  EnvExpert expert;
  expert.Reset(env);
  EpisodeRecorder recorder;
  recorder.Begin(env, config, "expert", 0);
  StepResult r;
  while (!r.terminated && !r.truncated) {
    expert.Act(env, obs, absl::MakeSpan(action));
    r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    recorder.Record(env, action, r, terms);
  }
  return recorder.Finish(env.Summary());
}

TEST(EpisodeRecorderTest, EveryFamilysLoggedEpisodeReplaysBitIdenticallyAfterAFileRoundTrip) {
  for (ScenarioFamily family : kAllFamilies) {
    const schemas::EpisodeLog log = RecordExpert(family, 321);
    ASSERT_GT(log.steps.size(), 10U) << FamilyName(family);
    EXPECT_EQ(log.scenario, FamilyName(family));
    EXPECT_FALSE(log.parameters.empty()) << FamilyName(family);
    EXPECT_EQ(log.steps.size(), static_cast<std::size_t>(log.summary.steps) + 1);
    auto decoded = schemas::DecodeEpisodeLog(schemas::EncodeEpisodeLog(log));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(ReplayEpisodeLog(*decoded).ok())
        << FamilyName(family) << ": " << ReplayEpisodeLog(*decoded);
  }
}

TEST(EpisodeRecorderTest, ANonDefaultEnvConfigTravelsWithTheLog) {
  EnvConfig config;
  config.scenario.cut_in_gap = {6.25, 9.125};
  const schemas::EpisodeLog log = RecordExpert(ScenarioFamily::kCutIn, 8, config);
  auto rebuilt = EnvConfigFromEntries(log.env_config);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->scenario.cut_in_gap.min, 6.25);
  EXPECT_EQ(rebuilt->scenario.cut_in_gap.max, 9.125);
  EXPECT_TRUE(ReplayEpisodeLog(log).ok()) << ReplayEpisodeLog(log);
}

TEST(EpisodeRecorderTest, ATamperedLogFailsTheReplayNamingTheStep) {
  schemas::EpisodeLog log = RecordExpert(ScenarioFamily::kLeadBrake, 5);
  schemas::EpisodeLog changed_action = log;
  changed_action.steps[30].action[0] += 0.5F;
  const absl::Status s = ReplayEpisodeLog(changed_action);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("step 30"));

  schemas::EpisodeLog other_seed = log;
  other_seed.seed += 1;
  EXPECT_EQ(ReplayEpisodeLog(other_seed).code(), absl::StatusCode::kFailedPrecondition);

  schemas::EpisodeLog unknown_key = log;
  unknown_key.env_config.push_back({"env.no_such_key", {"1"}});
  const absl::Status k = ReplayEpisodeLog(unknown_key);
  EXPECT_EQ(k.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(k.message()), HasSubstr("env.no_such_key"));

  schemas::EpisodeLog unknown_family = log;
  unknown_family.scenario = "roundabout";
  EXPECT_EQ(ReplayEpisodeLog(unknown_family).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tarmac::envs
