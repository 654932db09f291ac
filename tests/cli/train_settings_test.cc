#include "train/train_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tarmac/cli/config_schema.h"
#include "train/selection.h"

namespace tarmac::cli::train {
namespace {

// The values the test sets in the actor, learner and replay sections.
void ExpectTheSections(const TrainSettings& t) {
  EXPECT_EQ(t.envs_per_actor, 32);
  EXPECT_EQ(t.actors, 3);
  EXPECT_DOUBLE_EQ(t.bc_weight, 0.7);
  EXPECT_DOUBLE_EQ(t.samples_per_insert, 8.0);
  EXPECT_EQ(t.queue_limit, 1000U);
}

TEST(TrainSettingsTest, TheRlLearnerGetsHalfTheCoresUnlessTold) {
  auto config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  TrainSettings t = TrainSettings::From(*config);
  EXPECT_EQ(t.rl_learner_threads, 0);
  EXPECT_EQ(t.RlLearnerThreads(2), 1);  // the rollout and Redis get the other core
  EXPECT_EQ(t.RlLearnerThreads(16), 8);
  EXPECT_EQ(t.RlLearnerThreads(1), 1);
  EXPECT_EQ(t.RlLearnerThreads(0), 1);  // hardware_concurrency() may not know
  ASSERT_TRUE(config->Set("train.rl_learner_threads", "3", "--set").ok());
  EXPECT_EQ(TrainSettings::From(*config).RlLearnerThreads(2), 3);
}

TEST(TrainSettingsTest, AnExplicitSectionKeyReachesTrainUnlessTrainSetsItsOwn) {
  auto config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  // Defaults: train's own values (which differ from the actor section's on purpose).
  TrainSettings defaults = TrainSettings::From(*config);
  EXPECT_EQ(defaults.envs_per_actor, config->GetInt("train.envs_per_actor"));
  EXPECT_NE(config->GetInt("train.envs_per_actor"), config->GetInt("actor.envs_per_actor"));
  // An explicit actor.* / learner.* / replay.* value is not silently ignored by tarmac train.
  ASSERT_TRUE(config->Set("actor.envs_per_actor", "32", "--set").ok());
  ASSERT_TRUE(config->Set("actor.actors", "3", "--set").ok());
  ASSERT_TRUE(config->Set("learner.bc_weight", "0.7", "--set").ok());
  ASSERT_TRUE(config->Set("replay.samples_per_insert", "8", "--set").ok());
  ASSERT_TRUE(config->Set("actor.queue_limit", "1000", "--set").ok());
  TrainSettings from_sections = TrainSettings::From(*config);
  ExpectTheSections(from_sections);
  // What the run records in its config.yaml reads back the same (a resume uses it).
  Config recorded = *config;
  from_sections.Record(recorded);
  EXPECT_EQ(recorded.GetInt("train.envs_per_actor"), 32);
  EXPECT_EQ(recorded.Origin("train.envs_per_actor"), "--set via actor.envs_per_actor");
  auto reread = DefaultConfig();
  ASSERT_TRUE(reread.ok());
  ASSERT_TRUE(reread->MergeYaml(recorded.ToYaml(), "config.yaml").ok());
  const TrainSettings resumed = TrainSettings::From(*reread);
  ExpectTheSections(resumed);
  // An explicit train.* value wins over both.
  ASSERT_TRUE(config->Set("train.envs_per_actor", "8", "--set").ok());
  ASSERT_TRUE(config->Set("train.bc_weight", "0.1", "my.yaml").ok());
  TrainSettings explicit_train = TrainSettings::From(*config);
  EXPECT_EQ(explicit_train.envs_per_actor, 8);
  EXPECT_DOUBLE_EQ(explicit_train.bc_weight, 0.1);
  EXPECT_EQ(explicit_train.actors, 3);
}

// The cases behind the guard: averages 0.007-0.018 below the best were kept and did better on
// the held-out suites; one 0.10 below (a broken network) must not be; nor one that collides more.
TEST(TrainSettingsTest, TheWeightAverageIsKeptOnlyWhenItDrivesTheSelectionSuiteAboutAsWell) {
  EXPECT_TRUE(KeepAverage(0.863, 0, 0.881, 0));    // seed 1: 0.018 below, no collision
  EXPECT_TRUE(KeepAverage(0.869, 0, 0.876, 0));    // 0.007 below
  EXPECT_TRUE(KeepAverage(0.890, 1, 0.880, 2));    // better on both
  EXPECT_FALSE(KeepAverage(0.760, 0, 0.861, 1));   // seed 2's broken average
  EXPECT_FALSE(KeepAverage(0.880, 1, 0.870, 0));   // a higher score but a collision more
  EXPECT_FALSE(KeepAverage(0.8589, 0, 0.879, 0));  // just past the tolerance
  // Ranked by score alone (train.selection_rank score), the collision count is no guard of its
  // own: each at-fault collision is in the score already.
  EXPECT_TRUE(KeepAverage(0.880, 1, 0.870, 0, /*collisions_first=*/false));
  EXPECT_FALSE(KeepAverage(0.760, 0, 0.861, 1, /*collisions_first=*/false));
}

TEST(TrainSettingsTest, SelectionRankReadsCollisionsOrScore) {
  auto config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(TrainSettings::From(*config).selection_collisions_first);
  ASSERT_TRUE(config->Set("train.selection_rank", "score", "--set").ok());
  EXPECT_FALSE(TrainSettings::From(*config).selection_collisions_first);
  const absl::Status bad = config->Set("train.selection_rank", "crashes", "--set");
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()), ::testing::HasSubstr("train.selection_rank"));
}

}  // namespace
}  // namespace tarmac::cli::train
