#include "tarmac/envs/idm.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tarmac::envs {
namespace {

TEST(IdmTest, EquilibriumGapHoldsSpeed) {
  const IdmParams p;
  for (double v : {5.0, 15.0, 25.0}) {
    const double gap = IdmEquilibriumGap(p, v);
    EXPECT_NEAR(IdmAcceleration(p, v, Leader{gap, v}), 0.0, 1e-9) << v;
    EXPECT_LT(IdmAcceleration(p, v, Leader{0.9 * gap, v}), 0.0) << "closer: brake";
    EXPECT_GT(IdmAcceleration(p, v, Leader{1.1 * gap, v}), 0.0) << "further: close up";
  }
  // Standstill gap is s0.
  EXPECT_NEAR(IdmEquilibriumGap(p, 0.0), p.min_gap, 1e-12);
}

TEST(IdmTest, FreeRoadApproachesDesiredSpeed) {
  const IdmParams p;
  EXPECT_DOUBLE_EQ(IdmAcceleration(p, 0.0, std::nullopt), p.max_accel);
  EXPECT_NEAR(IdmAcceleration(p, p.desired_speed, std::nullopt), 0.0, 1e-12);
  EXPECT_LT(IdmAcceleration(p, p.desired_speed + 2, std::nullopt), 0.0);
}

TEST(IdmTest, ClosingFastBrakesHard) {
  const IdmParams p;
  const double a = IdmAcceleration(p, 25.0, Leader{20.0, 5.0});
  EXPECT_LT(a, -3.0 * p.comfort_decel);
}

TEST(MobilTest, SafetyCriterionVetoesAnyIncentive) {
  const MobilParams p;
  MobilInputs in;
  in.changer_now = -2.0;
  in.changer_after = 1.0;  // big gain
  in.new_follower_now = 0.0;
  in.new_follower_after = -4.01;  // would brake harder than b_safe = 4
  MobilDecision d = Mobil(p, in);
  EXPECT_FALSE(d.safe);
  EXPECT_FALSE(d.change);
  in.new_follower_after = -4.0;  // exactly b_safe is safe
  d = Mobil(p, in);
  EXPECT_TRUE(d.safe);
  EXPECT_TRUE(d.change);
}

TEST(MobilTest, IncentiveWeighsFollowersByPoliteness) {
  const MobilParams p;
  MobilInputs in;
  in.changer_now = 0.0;
  in.changer_after = 0.5;
  in.new_follower_now = 0.0;
  in.new_follower_after = -1.0;
  in.old_follower_now = 0.0;
  in.old_follower_after = 0.0;
  MobilDecision d = Mobil(p, in);
  EXPECT_NEAR(d.incentive, 0.5 - 0.2 * 1.0, 1e-12);
  EXPECT_TRUE(d.change);  // 0.3 > 0.2
  in.new_follower_after = -1.6;
  d = Mobil(p, in);
  EXPECT_NEAR(d.incentive, 0.18, 1e-12);
  EXPECT_FALSE(d.change) << "below the threshold";
}

}  // namespace
}  // namespace tarmac::envs
