#include "tarmac/analysis/behaviour_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "episode_builder.h"

namespace tarmac::analysis {
namespace {

using testing::MarkEvent;
using testing::StraightEpisode;

TEST(BehaviourMetricsTest, EveryMetricHasAUniqueNameAndADefinition) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < kMetricInfo.size(); ++i) {
    const MetricInfo& info = kMetricInfo[i];
    EXPECT_EQ(static_cast<std::size_t>(info.metric), i) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_GT(std::string(info.definition).size(), 10U) << info.name;
    EXPECT_EQ(FindMetric(info.name), &info);
  }
  EXPECT_EQ(FindMetric("brake_onset"), nullptr);
}

// The README's table is `tarmac mine --metrics`: every definition appears there word for word.
TEST(BehaviourMetricsTest, TheReadmeDefinesEveryMetricAsTheCodeDoes) {
  std::ifstream in(TARMAC_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  for (const MetricInfo& info : kMetricInfo) {
    EXPECT_NE(readme.str().find(info.definition), std::string::npos)
        << info.name << "'s definition is not in the README";
  }
}

// A cut-in at step 20 and the ego's first deceleration of 2 m/s^2 at step 27: 0.7 s.
TEST(BehaviourMetricsTest, BrakeOnsetIsTheTimeFromTheTriggerToTheFirstBrakingStep) {
  schemas::EpisodeLog log = StraightEpisode(80);
  MarkEvent(&log, 20, schemas::Event::kCutIn);
  MarkEvent(&log, 21, schemas::Event::kCutIn);  // the same cut-in: one onset
  log.steps[24].ego.accel = -1.0;               // gentler than the threshold
  for (std::size_t i = 27; i < 40; ++i) log.steps[i].ego.accel = -2.0;
  const std::vector<std::size_t> triggers = TriggerSteps(log, "cut_in");
  ASSERT_EQ(triggers, std::vector<std::size_t>{20});
  const MetricValues m = ComputeMetrics(log, 20, 51);
  EXPECT_NEAR(m[Metric::kBrakeOnsetS], 0.7, 1e-12);
  EXPECT_EQ(m[Metric::kBraked], 1.0);
  EXPECT_DOUBLE_EQ(m[Metric::kMaxDecel], 2.0);
  EXPECT_NEAR(m[Metric::kDurationS], 3.0, 1e-12);
  // A window that ends before the brake: never braked, onset reads the window's length.
  const MetricValues early = ComputeMetrics(log, 20, 26);
  EXPECT_EQ(early[Metric::kBraked], 0.0);
  EXPECT_NEAR(early[Metric::kBrakeOnsetS], 0.5, 1e-12);
}

// 35 steps (3.5 s) following a leader 15 m ahead at 20 m/s: headway 0.75 s < 1 s.
TEST(BehaviourMetricsTest, TailgatingCountsTheTimeUnderOneSecondHeadway) {
  schemas::EpisodeLog log = StraightEpisode(100);
  for (std::size_t i = 0; i < 100; ++i) {
    log.steps[i].leader_id = 7;
    log.steps[i].leader_speed = 20.0F;
    log.steps[i].leader_gap = (i >= 30 && i < 65) ? 15.0F : 40.0F;
  }
  // Slow queueing under 5 m/s is not tailgating even at a short headway.
  log.steps[90].ego.speed = 3.0;
  log.steps[90].leader_gap = 1.0F;
  const MetricValues m = ComputeEpisodeMetrics(log);
  EXPECT_NEAR(m[Metric::kTailgatingS], 3.5, 1e-9);
  EXPECT_NEAR(m[Metric::kMinHeadwayS], 1.0 / 3.0, 1e-6);
  EXPECT_DOUBLE_EQ(m[Metric::kMinTtcS], 100.0);  // never closing in
}

TEST(BehaviourMetricsTest, MinTtcIsTheGapOverTheClosingSpeed) {
  schemas::EpisodeLog log = StraightEpisode(10);
  log.steps[4].leader_id = 3;
  log.steps[4].leader_gap = 12.0F;
  log.steps[4].leader_speed = 16.0F;  // closing at 4 m/s: 3 s
  log.steps[5].leader_id = 3;
  log.steps[5].leader_gap = 30.0F;
  log.steps[5].leader_speed = 10.0F;  // closing at 10 m/s: 3 s too
  log.steps[6].leader_id = 3;
  log.steps[6].leader_gap = 10.0F;
  log.steps[6].leader_speed = 15.0F;  // 2 s: the minimum
  EXPECT_NEAR(ComputeEpisodeMetrics(log)[Metric::kMinTtcS], 2.0, 1e-6);
}

TEST(BehaviourMetricsTest, JerkLateralAccelerationAndPlanChanges) {
  schemas::EpisodeLog log = StraightEpisode(21);
  log.steps[10].ego.accel = 1.0;  // +10 m/s^3 then -10 m/s^3
  log.steps[5].ego.lateral_accel = -3.0;
  log.steps[8].action = {1.0F, 0.0F};  // the commanded accel jumps by 1 and back
  const MetricValues m = ComputeEpisodeMetrics(log);
  EXPECT_NEAR(m[Metric::kMaxAbsJerk], 10.0, 1e-9);
  // 20 jerks, two of 10: the 95th percentile (the 19th smallest) is 10.
  EXPECT_NEAR(m[Metric::kP95AbsJerk], 10.0, 1e-9);
  EXPECT_DOUBLE_EQ(m[Metric::kMaxAbsLateralAccel], 3.0);
  EXPECT_DOUBLE_EQ(m[Metric::kP95AbsLateralAccel], 0.0);  // 1 of 21 is above the 95th
  // 19 consecutive action pairs, two of them change by 1.
  EXPECT_NEAR(m[Metric::kPlanAccelChangeRms], std::sqrt(2.0 / 19.0), 1e-6);
  EXPECT_DOUBLE_EQ(m[Metric::kPlanSteerChangeRms], 0.0);
}

TEST(BehaviourMetricsTest, AChangeBackWithinFiveSecondsIsAWeave) {
  schemas::EpisodeLog log = StraightEpisode(200);
  for (std::size_t i = 10; i < 40; ++i) log.steps[i].ego.lane = 1;    // back after 3 s: weave
  for (std::size_t i = 100; i < 200; ++i) log.steps[i].ego.lane = 1;  // stays
  const MetricValues m = ComputeEpisodeMetrics(log);
  EXPECT_EQ(m[Metric::kLaneChanges], 3.0);
  EXPECT_EQ(m[Metric::kWeaves], 1.0);
}

TEST(BehaviourMetricsTest, MergeDistanceAndHesitation) {
  schemas::EpisodeLog log = StraightEpisode(50, "merge");
  for (std::size_t i = 1; i <= 10; ++i) log.steps[i].ego.speed = 10.0;  // 10 slow steps
  for (std::size_t i = 30; i < 50; ++i) log.steps[i].ego.lane = 1;
  const MetricValues m = ComputeEpisodeMetrics(log);
  EXPECT_EQ(m[Metric::kMergeCompleted], 1.0);
  EXPECT_DOUBLE_EQ(m[Metric::kMergeDistanceM], 60.0);
  EXPECT_NEAR(m[Metric::kMergeHesitationS], 1.0, 1e-9);
  // Other families have no merge to complete.
  const MetricValues highway = ComputeEpisodeMetrics(StraightEpisode(50));
  EXPECT_EQ(highway[Metric::kMergeCompleted], 1.0);
  EXPECT_EQ(highway[Metric::kMergeDistanceM], 0.0);
}

TEST(BehaviourMetricsTest, OverspeedOnCurvesAndOverTheLimit) {
  schemas::EpisodeLog log = StraightEpisode(30);
  // Radius 100 m: comfortable at sqrt(2 * 100) = 14.1 m/s; 20 m/s is over it.
  for (std::size_t i = 0; i < 12; ++i) log.steps[i].road_curvature = 0.01F;
  for (std::size_t i = 20; i < 25; ++i) log.steps[i].ego.speed = 32.0;  // > 1.05 x 30
  const MetricValues m = ComputeEpisodeMetrics(log);
  EXPECT_NEAR(m[Metric::kCurveOverspeedS], 1.2, 1e-9);
  EXPECT_NEAR(m[Metric::kOverspeedS], 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(m[Metric::kProgressM], 58.0);
}

TEST(BehaviourMetricsTest, CollisionFaultAndCause) {
  schemas::EpisodeLog log = StraightEpisode(20);
  MarkEvent(&log, 19, schemas::Event::kCollision);
  log.steps[19].vehicles = {{5, 42.5F, 0.2F, 0.0F, 0.0F, 42.5F, 0.2F, 0, 4.8F, 1.9F}};
  log.summary.metrics = {{"at_fault_collision", 1.0}};
  const MetricValues m = ComputeEpisodeMetrics(log);
  EXPECT_EQ(m[Metric::kCollision], 1.0);
  EXPECT_EQ(m[Metric::kAtFaultCollision], 1.0);
  EXPECT_EQ(m[Metric::kNotAtFaultCollision], 0.0);
  EXPECT_EQ(CollisionCause(log), "rear_end");
  log.steps[19].vehicles[0].x = 34.0F;  // behind the ego at x = 38
  EXPECT_EQ(CollisionCause(log), "struck_from_behind");
  log.steps[19].vehicles[0].y = 3.5F;
  EXPECT_EQ(CollisionCause(log), "side");
  EXPECT_EQ(CollisionCause(StraightEpisode(5)), "");
}

TEST(BehaviourMetricsTest, LeadHardBrakeFiresOnceAtItsOnset) {
  schemas::EpisodeLog log = StraightEpisode(40);
  float speed = 20.0F;
  for (std::size_t i = 0; i < 40; ++i) {
    if (i >= 12 && i < 22) speed -= 0.5F;  // -5 m/s^2 for 1 s
    log.steps[i].leader_id = 9;
    log.steps[i].leader_gap = 30.0F;
    log.steps[i].leader_speed = speed;
  }
  EXPECT_EQ(TriggerSteps(log, kLeadHardBrake), std::vector<std::size_t>{12});
  EXPECT_TRUE(TriggerSteps(log, "cut_in").empty());
  EXPECT_TRUE(IsTrigger("cut_in"));
  EXPECT_TRUE(IsTrigger("lead_hard_brake"));
  EXPECT_FALSE(IsTrigger("cutin"));
}

TEST(BehaviourMetricsTest, EpisodeMetricsKeepTheEnvsOwnValues) {
  schemas::EpisodeSummary summary;
  summary.metrics = {{"collision", 1.0}};
  MetricValues values;
  values[Metric::kCollision] = 0.0;
  values[Metric::kTailgatingS] = 2.5;
  AddEpisodeMetrics(values, &summary);
  EXPECT_EQ(summary.metrics.size(), kMetricCount);
  EXPECT_EQ(schemas::MetricOr(summary, "collision"), 1.0);
  EXPECT_EQ(schemas::MetricOr(summary, "tailgating_s"), 2.5);
}

}  // namespace
}  // namespace tarmac::analysis
