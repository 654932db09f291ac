#include "tarmac/envs/metrics.h"

#include <gtest/gtest.h>

namespace tarmac::envs {
namespace {

TEST(ClosedLoopScoreTest, PerfectEpisodeScoresOne) {
  ScoreInputs in;
  in.progress_ratio = 1.0;
  EXPECT_DOUBLE_EQ(ClosedLoopScore(in), 1.0);
  in.progress_ratio = 1.7;  // faster than the reference still caps at 1
  EXPECT_DOUBLE_EQ(ClosedLoopScore(in), 1.0);
}

TEST(ClosedLoopScoreTest, HandComputedWeightedAverage) {
  ScoreInputs in;
  in.progress_ratio = 0.8;
  in.ttc_violated = true;
  in.speed_compliance = 0.5;
  in.comfort_violated = false;
  // (5 * 0.8 + 5 * 0 + 4 * 0.5 + 2 * 1) / 16 = 8 / 16
  EXPECT_DOUBLE_EQ(ClosedLoopScore(in), 0.5);
  in.comfort_violated = true;
  EXPECT_DOUBLE_EQ(ClosedLoopScore(in), 6.0 / 16.0);
}

TEST(ClosedLoopScoreTest, MultipliersZeroTheScore) {
  ScoreInputs in;
  in.progress_ratio = 1.0;
  in.at_fault_collision = true;
  EXPECT_EQ(ClosedLoopScore(in), 0.0);
  in = ScoreInputs{};
  in.progress_ratio = 1.0;
  in.off_road = true;
  EXPECT_EQ(ClosedLoopScore(in), 0.0);
  in = ScoreInputs{};
  in.progress_ratio = 0.19;  // not making progress
  EXPECT_EQ(ClosedLoopScore(in), 0.0);
  in.progress_ratio = 0.2;
  EXPECT_DOUBLE_EQ(ClosedLoopScore(in), (5 * 0.2 + 5 + 4 + 2) / 16.0);
}

}  // namespace
}  // namespace tarmac::envs
