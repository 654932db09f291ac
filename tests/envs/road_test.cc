#include "tarmac/envs/road.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

Road Winding() {
  absl::StatusOr<Road> road = Road::Build(
      {10.0, -5.0, 0.3}, {{200.0, 0.0}, {150.0, 1.0 / 250.0}, {100.0, 0.0}, {180.0, -1.0 / 300.0}},
      {{0, 0.0, 630.0}, {1, 0.0, 630.0}, {2, 0.0, 630.0}, {3, 100.0, 300.0}}, 3.5);
  EXPECT_TRUE(road.ok()) << road.status();
  return *road;
}

TEST(RoadTest, FrenetRoundTripOnStraightsAndArcs) {
  const Road road = Winding();
  EXPECT_DOUBLE_EQ(road.length(), 630.0);
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> s(0.0, 630.0), d(-1.7, 8.7);
  for (int i = 0; i < 5000; ++i) {
    const Frenet f{s(rng), d(rng)};
    const Pose p = road.ToWorld(f);
    const Frenet back = road.ToFrenet(p.x, p.y);
    ASSERT_NEAR(back.s, f.s, 1e-6) << f.s << ", " << f.d;
    ASSERT_NEAR(back.d, f.d, 1e-6) << f.s << ", " << f.d;
  }
}

TEST(RoadTest, WorldPoseFollowsTheSegments) {
  const Road road = Winding();
  const Pose start = road.ToWorld({0.0, 0.0});
  EXPECT_NEAR(start.x, 10.0, 1e-12);
  EXPECT_NEAR(start.heading, 0.3, 1e-12);
  // After the left arc the heading turned by length * curvature.
  EXPECT_NEAR(road.ToWorld({360.0, 0.0}).heading, 0.3 + 150.0 / 250.0, 1e-9);
  // A lateral offset moves perpendicular to the reference line.
  const Pose left = road.ToWorld({50.0, 3.5});
  const Pose centre = road.ToWorld({50.0, 0.0});
  EXPECT_NEAR(std::hypot(left.x - centre.x, left.y - centre.y), 3.5, 1e-9);
}

TEST(RoadTest, CurvatureShrinksOnTheOutsideOfABend) {
  const Road road = Winding();
  EXPECT_DOUBLE_EQ(road.Curvature(250.0), 1.0 / 250.0);
  // On a left bend, a lane 3.5 m to the left is on the inside: radius 246.5 m.
  EXPECT_NEAR(road.CurvatureAt(250.0, 3.5), 1.0 / 246.5, 1e-12);
  EXPECT_EQ(road.Curvature(100.0), 0.0);
}

TEST(RoadTest, LanesExistWhereTheyAreDefined) {
  const Road road = Winding();
  EXPECT_EQ(road.LaneAt(50.0, 0.3), 0);
  EXPECT_EQ(road.LaneAt(50.0, 3.6), 1);
  EXPECT_EQ(road.LaneAt(50.0, 10.5), -1) << "lane 3 starts at s = 100";
  EXPECT_EQ(road.LaneAt(150.0, 10.5), 3);
  EXPECT_EQ(road.LaneAt(150.0, -2.0), -1) << "right of the rightmost lane";
  EXPECT_TRUE(road.OnRoad({150.0, 10.5}));
  EXPECT_FALSE(road.OnRoad({350.0, 10.5})) << "the merge lane ended";
}

TEST(RoadTest, BoxDrivableChecksEveryCorner) {
  const Road road = Road::Straight(500.0, 2, 3.5);
  EXPECT_TRUE(road.BoxDrivable({100.0, 0.0, 0.0}, 4.8, 1.9));
  EXPECT_TRUE(road.BoxDrivable({100.0, 1.75, 0.0}, 4.8, 1.9)) << "straddling the lane line";
  EXPECT_FALSE(road.BoxDrivable({100.0, -1.0, 0.0}, 4.8, 1.9)) << "over the right edge";
  EXPECT_FALSE(road.BoxDrivable({100.0, 0.0, 1.2}, 4.8, 1.9)) << "turned across the road edge";
  EXPECT_FALSE(road.BoxDrivable({499.0, 0.0, 0.0}, 4.8, 1.9)) << "past the end";
}

// The form given the centre's Frenet coordinates answers as the corner projections do, at every
// pose near lane edges, lane ends and road ends, on straight roads (where it may skip them) and
// a curved one (where it does not).
TEST(RoadTest, BoxDrivableGivenTheFrenetCentreAgreesWithTheCornerTest) {
  const std::vector<Road> roads = {
      Road::Straight(500.0, 3, 3.6),
      *Road::Build({10.0, -5.0, 0.3}, {{200.0, 0.0}, {300.0, 0.0}},
                   {{0, 0.0, 250.0}, {1, 0.0, 1e9}, {2, 120.0, 1e9}, {0, 260.0, 1e9}}),
      Winding()};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> s(-10.0, 510.0), d(-3.0, 10.0), heading(-0.6, 0.6);
  int on = 0, off = 0;
  for (const Road& road : roads) {
    for (int i = 0; i < 20000; ++i) {
      const Pose centre = road.ToWorld({s(rng), d(rng)});
      const Pose box{centre.x, centre.y, centre.heading + (i % 4 == 0 ? heading(rng) : 0.0)};
      const Frenet at = road.ToFrenet(box.x, box.y);
      const bool drivable = road.BoxDrivable(box, 4.8, 1.9);
      ASSERT_EQ(road.BoxDrivable(box, at, 4.8, 1.9), drivable)
          << "s " << at.s << " d " << at.d << " heading " << box.heading;
      (drivable ? on : off) += 1;
    }
  }
  EXPECT_GT(on, 10000);
  EXPECT_GT(off, 10000);
}

TEST(RoadTest, CurveLimitAheadBrakesToReachTheCurveSpeed) {
  absl::StatusOr<Road> road = Road::Build({}, {{200.0, 0.0}, {300.0, 1.0 / 100.0}}, {{0, 0, 500}});
  ASSERT_TRUE(road.ok());
  // 100 m before a 100 m radius curve at 25 m/s with a_lat = 2: curve speed^2 = 200, so
  // (200 - 625) / (2 * 100) = -2.125 m/s^2.
  CurveLimit limit = CurveLimitAhead(*road, 100.0, 0.0, 25.0, 2.0, 3.0);
  EXPECT_NEAR(limit.accel_cap, -2.125, 1e-12);
  EXPECT_TRUE(std::isinf(limit.speed_cap));
  // Inside the curve the desired speed is capped instead.
  limit = CurveLimitAhead(*road, 250.0, 0.0, 10.0, 2.0, 3.0);
  EXPECT_NEAR(limit.speed_cap, std::sqrt(200.0), 1e-12);
  // Far before it, or already slow enough: nothing binds.
  EXPECT_TRUE(std::isinf(CurveLimitAhead(*road, 0.0, 0.0, 10.0, 2.0, 3.0).accel_cap));
}

TEST(RoadTest, BuildRefusesImpossibleRoads) {
  EXPECT_THAT(Road::Build({}, {}, {{0, 0, 1}}).status().message(), HasSubstr("segment"));
  EXPECT_THAT(Road::Build({}, {{-5.0, 0.0}}, {{0, 0, 1}}).status().message(),
              HasSubstr("positive, finite length"));
  EXPECT_THAT(Road::Build({}, {{50.0, 0.5}}, {{0, 0, 50}, {1, 0, 50}}).status().message(),
              HasSubstr("tighter than the road is wide"));
  EXPECT_THAT(Road::Build({}, {{500.0, 0.01}}, {{0, 0, 50}}).status().message(),
              HasSubstr("more than 180 degrees"));
  EXPECT_THAT(Road::Build({}, {{50.0, 0.0}}, {{0, 20, 10}}).status().message(),
              HasSubstr("s_begin < s_end"));
}

}  // namespace
}  // namespace tarmac::envs

namespace tarmac::envs {
namespace {

TEST(WrapAngleTest, IsRemainderByTwoPiBitForBit) {
  // The shortcut for |x| <= pi must return exactly what std::remainder does, signed zeros and
  // the boundary included.
  std::vector<double> xs = {0.0,
                            -0.0,
                            M_PI,
                            -M_PI,
                            std::nextafter(M_PI, 4.0),
                            std::nextafter(-M_PI, -4.0),
                            2 * M_PI,
                            -2 * M_PI,
                            3 * M_PI,
                            1e9,
                            std::numeric_limits<double>::infinity(),
                            std::numeric_limits<double>::quiet_NaN()};
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> any(-20.0, 20.0);
  for (int i = 0; i < 100000; ++i) xs.push_back(any(rng));
  for (double x : xs) {
    const double want = std::remainder(x, 2.0 * M_PI);
    const double got = WrapAngle(x);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << x;
      continue;
    }
    ASSERT_EQ(std::memcmp(&want, &got, sizeof(double)), 0) << x << ": " << want << " vs " << got;
  }
}

}  // namespace
}  // namespace tarmac::envs
