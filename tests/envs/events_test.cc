#include "tarmac/envs/events.h"

#include <gtest/gtest.h>

namespace tarmac::envs {
namespace {

const EventThresholds kT;

TEST(EventsTest, HardBrakeFiresBelowTheThreshold) {
  EXPECT_FALSE(HardBrake(kT, -4.05));
  EXPECT_TRUE(HardBrake(kT, -4.0501));
  EXPECT_FALSE(HardBrake(kT, -3.0));
}

TEST(EventsTest, NearMissFiresBelowTheTtc) {
  EXPECT_TRUE(NearMiss(kT, TimeToCollision(9.4, 10.0)));   // 0.94 s
  EXPECT_FALSE(NearMiss(kT, TimeToCollision(9.5, 10.0)));  // 0.95 s: at the threshold
  EXPECT_FALSE(NearMiss(kT, TimeToCollision(5.0, -1.0))) << "opening gap";
  EXPECT_FALSE(TimeToCollision(5.0, 0.0).has_value());
}

TEST(EventsTest, ComfortUsesTheNuPlanBounds) {
  EgoMotion m;
  EXPECT_FALSE(ComfortViolated(kT, m));
  m.lon_accel = 2.40;
  EXPECT_FALSE(ComfortViolated(kT, m));
  m.lon_accel = 2.41;
  EXPECT_TRUE(ComfortViolated(kT, m));
  m = {};
  m.lat_accel = -4.9;
  EXPECT_TRUE(ComfortViolated(kT, m));
  m = {};
  m.yaw_rate = 0.95;
  EXPECT_FALSE(ComfortViolated(kT, m));
  m.yaw_rate = 0.96;
  EXPECT_TRUE(ComfortViolated(kT, m));
  m = {};
  m.lon_jerk = -4.14;
  EXPECT_TRUE(ComfortViolated(kT, m));
}

TEST(EventsTest, LaneDepartureNeedsToLast) {
  EXPECT_FALSE(LaneDeparture(kT, 1.9));
  EXPECT_TRUE(LaneDeparture(kT, 2.0));
}

TEST(EventsTest, CutInNeedsANewLeaderFromAnotherLaneThatIsClose) {
  EXPECT_TRUE(CutIn(kT, true, TimeToCollision(30.0, 10.0), 30.0, 25.0));   // TTC 3 s
  EXPECT_FALSE(CutIn(kT, true, TimeToCollision(50.0, 10.0), 50.0, 25.0));  // TTC 5 s, 2 s gap
  EXPECT_TRUE(CutIn(kT, true, std::nullopt, 20.0, 25.0)) << "0.8 s headway, not closing";
  EXPECT_FALSE(CutIn(kT, false, TimeToCollision(30.0, 10.0), 30.0, 25.0)) << "same leader";
}

}  // namespace
}  // namespace tarmac::envs
