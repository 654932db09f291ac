#include "tarmac/envs/episode_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tarmac/envs/env_batch.h"
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

// What an actor logs: a batch's episodes under the expert, recorded while it steps.
TEST(EpisodeRecorderTest, ABatchsRecordedEpisodesReplayAndCarryTheirSummaries) {
  for (const char* name : {"driving-v0", "cut_in-v0"}) {
    auto batch = EnvBatch::Create(name, 3, 77);
    ASSERT_TRUE(batch.ok()) << batch.status();
    EnvBatch& b = **batch;
    b.RecordEpisodes("expert");  // from the next episode of each env on
    b.set_policy_version(12);
    std::vector<ExpertPolicy> experts(3);
    const int act = b.spec().action_size;
    std::vector<float> actions(static_cast<std::size_t>(3 * act));
    std::vector<schemas::EpisodeSummary> summaries;
    std::vector<schemas::EpisodeLog> logs;
    for (int i = 0; i < 3; ++i) experts[i].Reset(b.env(i));
    for (int step = 0; step < 1200 && logs.size() < 4; ++step) {
      for (int i = 0; i < 3; ++i) {
        const int obs = b.spec().observation_size;
        experts[i].Act(b.env(i), b.observations().subspan(i * obs, obs),
                       absl::MakeSpan(actions).subspan(i * act, act));
      }
      b.Step(actions);
      for (auto& s : b.TakeFinishedEpisodes()) summaries.push_back(std::move(s));
      for (auto& l : b.TakeFinishedLogs()) {
        EXPECT_TRUE(l.complete);  // complete_every 1: every episode
        logs.push_back(std::move(l.log));
      }
      for (int i = 0; i < 3; ++i) {
        if (b.steps()[i] == 0) experts[i].Reset(b.env(i));
      }
    }
    ASSERT_GE(logs.size(), 4U) << name;
    // The episodes running when recording was asked for finish unrecorded.
    EXPECT_GE(summaries.size(), logs.size() + 3) << name;
    for (const schemas::EpisodeLog& log : logs) {
      EXPECT_EQ(log.env_name, name);
      EXPECT_EQ(log.policy, "expert");
      EXPECT_EQ(log.policy_version, 12U);
      EXPECT_EQ(log.steps.size(), log.summary.steps + 1U);
      bool found = false;
      for (const auto& s : summaries) found = found || s.episode_id == log.summary.episode_id;
      EXPECT_TRUE(found) << "log of episode " << log.summary.episode_id << " has no summary";
      EXPECT_TRUE(ReplayEpisodeLog(log).ok()) << name << ": " << ReplayEpisodeLog(log);
    }
  }
}

}  // namespace
}  // namespace tarmac::envs
