#include "tarmac/envs/vehicle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tarmac/envs/road.h"

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

TEST(BicycleModelTest, SteadyStateTurningRadiusMatchesGeometry) {
  const VehicleParams p;
  const BicycleModel model(p);
  for (double delta : {0.05, 0.1, 0.2}) {
    VehicleState s;
    s.speed = 8.0;
    s.steer = delta;
    for (int i = 0; i < 300; ++i) s = model.Step(s, {0.0, delta}, 0.1);  // settle
    // Centre of gravity radius v / yaw rate; the rear axle turns on L / tan(delta).
    const double r_cg = s.speed / s.yaw_rate;
    const double r_rear = std::sqrt(r_cg * r_cg - p.rear_to_cg * p.rear_to_cg);
    EXPECT_NEAR(r_rear, p.wheelbase / std::tan(delta), 0.01 * p.wheelbase / std::tan(delta))
        << delta;
    const double beta = std::atan(p.rear_to_cg / p.wheelbase * std::tan(delta));
    EXPECT_NEAR(r_cg, p.wheelbase / (std::cos(beta) * std::tan(delta)), 1e-6 * r_cg);

    // The path itself is that circle: the centre lies r_cg to the left of the velocity, and
    // every later point stays r_cg from it.
    const double cx = s.x - r_cg * std::sin(s.heading + beta);
    const double cy = s.y + r_cg * std::cos(s.heading + beta);
    for (int i = 0; i < 2000; ++i) {
      s = model.Step(s, {0.0, delta}, 0.05);
      ASSERT_NEAR(std::hypot(s.x - cx, s.y - cy), r_cg, 0.001 * r_cg) << delta << " step " << i;
    }
  }
}

// The step as first written: the slip angle through std::atan, its cosine through std::cos
// and the direction of travel through the sine and cosine of heading_mid + beta. The model now
// works the same quantities out with the identities cos(atan u) = 1 / sqrt(1 + u^2) and the
// angle-sum formulas (a one-time change of the last bits, for speed).
VehicleState TextbookStep(const VehicleParams& p, VehicleState s, VehicleCommand c, double dt) {
  const BicycleModel clip(p);
  c = clip.Clip(c);
  const int substeps = 4;
  const double h = dt / substeps;
  const double accel_decay = std::exp(-h / p.accel_time_constant);
  const double steer_decay = std::exp(-h / p.steer_time_constant);
  double heading_change = 0.0;
  for (int i = 0; i < substeps; ++i) {
    s.accel = c.accel + (s.accel - c.accel) * accel_decay;
    const double steer_target = c.steer + (s.steer - c.steer) * steer_decay;
    s.steer += std::clamp(steer_target - s.steer, -p.max_steer_rate * h, p.max_steer_rate * h);
    s.steer = std::clamp(s.steer, -p.max_steer, p.max_steer);
    const double beta = std::atan(p.rear_to_cg / p.wheelbase * std::tan(s.steer));
    const double v_next = std::min(std::max(s.speed + s.accel * h, 0.0), p.max_speed);
    const double v_mid = 0.5 * (s.speed + v_next);
    const double yaw_rate = v_mid * std::cos(beta) * std::tan(s.steer) / p.wheelbase;
    const double heading_mid = s.heading + 0.5 * yaw_rate * h;
    s.x += v_mid * std::cos(heading_mid + beta) * h;
    s.y += v_mid * std::sin(heading_mid + beta) * h;
    s.heading += yaw_rate * h;
    heading_change += yaw_rate * h;
    s.speed = v_next;
    if (v_next == 0.0) s.accel = std::max(0.0, s.accel);
  }
  s.heading = WrapAngle(s.heading);
  s.yaw_rate = heading_change / dt;
  s.lateral_accel = s.speed * s.yaw_rate;
  return s;
}

// Random commands over the whole steering and acceleration range, each step from the same
// state through both: positions agree to 1e-9 m, angles to 1e-12 rad (a wrong sign or a
// missing slip term in an identity is off by centimetres).
TEST(BicycleModelTest, TheStepIsTheTextbookMidpointStep) {
  const VehicleParams p;
  const BicycleModel model(p);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> accel(p.min_accel, p.max_accel);
  std::uniform_real_distribution<double> steer(-p.max_steer, p.max_steer);
  VehicleState s;
  s.speed = 20.0;
  for (int i = 0; i < 5000; ++i) {
    const VehicleCommand c{accel(rng), steer(rng)};
    const VehicleState ours = model.Step(s, c, 0.1);
    const VehicleState textbook = TextbookStep(p, s, c, 0.1);
    ASSERT_NEAR(ours.x, textbook.x, 1e-9) << "step " << i;
    ASSERT_NEAR(ours.y, textbook.y, 1e-9) << "step " << i;
    ASSERT_NEAR(WrapAngle(ours.heading - textbook.heading), 0.0, 1e-12) << "step " << i;
    ASSERT_NEAR(ours.yaw_rate, textbook.yaw_rate, 1e-12) << "step " << i;
    ASSERT_EQ(ours.speed, textbook.speed) << "step " << i;
    ASSERT_EQ(ours.steer, textbook.steer) << "step " << i;
    s = ours;
    if (s.speed < 2.0 || s.speed > 40.0) s.speed = 20.0;  // stay in the moving range
  }
}

TEST(BicycleModelTest, LimitsAreNeverExceeded) {
  const VehicleParams p;
  const BicycleModel model(p);
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> wild(-50.0, 50.0);
  VehicleState s;
  s.speed = 15.0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int i = 0; i < 20000; ++i) {
    VehicleCommand c{wild(rng), wild(rng) / 10};
    if (i % 97 == 0) c = {nan, nan};
    const VehicleState next = model.Step(s, c, 0.1);
    ASSERT_LE(std::abs(next.steer), p.max_steer + 1e-12);
    ASSERT_LE(std::abs(next.steer - s.steer), p.max_steer_rate * 0.1 + 1e-12);
    ASSERT_GE(next.accel, p.min_accel - 1e-12);
    ASSERT_LE(next.accel, p.max_accel + 1e-12);
    ASSERT_GE(next.speed, 0.0);
    ASSERT_LE(next.speed, p.max_speed);
    ASSERT_TRUE(std::isfinite(next.x) && std::isfinite(next.y) && std::isfinite(next.heading));
    s = next;
  }
}

TEST(BicycleModelTest, ActuatorLagHasItsTimeConstant) {
  VehicleParams p;
  p.accel_time_constant = 0.2;
  p.steer_time_constant = 0.1;
  p.max_steer_rate = 100.0;  // so the rate limit does not hide the lag
  const BicycleModel model(p);
  VehicleState s;
  s.speed = 20.0;
  // After one time constant a first-order lag covers 1 - 1/e of a step.
  const VehicleState a = model.Step(s, {2.0, 0.0}, 0.2);
  EXPECT_NEAR(a.accel, 2.0 * (1.0 - std::exp(-1.0)), 1e-9);
  const VehicleState d = model.Step(s, {0.0, 0.1}, 0.1);
  EXPECT_NEAR(d.steer, 0.1 * (1.0 - std::exp(-1.0)), 1e-9);
}

TEST(BicycleModelTest, SteeringRateIsLimited) {
  VehicleParams p;
  p.steer_time_constant = 0.0;
  const BicycleModel model(p);
  const VehicleState s = model.Step(VehicleState{}, {0.0, 0.6}, 0.1);
  EXPECT_NEAR(s.steer, p.max_steer_rate * 0.1, 1e-12);
}

TEST(BicycleModelTest, BrakingStopsWithoutReversing) {
  const BicycleModel model(VehicleParams{});
  VehicleState s;
  s.speed = 3.0;
  s.accel = -8.0;
  double last_x = 0;
  for (int i = 0; i < 50; ++i) {
    s = model.Step(s, {-8.0, 0.0}, 0.1);
    EXPECT_GE(s.x, last_x);
    last_x = s.x;
  }
  EXPECT_EQ(s.speed, 0.0);
  EXPECT_GT(s.x, 0.0);
  EXPECT_LT(s.x, 3.0 * 3.0 / (2 * 6.0) + 1.0) << "stopping distance is physical";
}

TEST(BicycleModelTest, StraightAheadKeepsHeading) {
  const BicycleModel model(VehicleParams{});
  VehicleState s;
  s.speed = 10.0;
  for (int i = 0; i < 100; ++i) s = model.Step(s, {0.0, 0.0}, 0.1);
  EXPECT_NEAR(s.x, 100.0, 1e-9);
  EXPECT_EQ(s.y, 0.0);
  EXPECT_EQ(s.heading, 0.0);
}

// The decays a model works out once for its own step are the ones any other step works out each
// call: stepping at 0.05 s, models made for 0.1 s and for 0.05 s agree bit for bit.
TEST(BicycleModelTest, AStepOtherThanTheModelsOwnMovesTheSame) {
  const BicycleModel for_tenth(VehicleParams{}, 4, 0.1), for_twentieth(VehicleParams{}, 4, 0.05);
  VehicleState a, b;
  a.speed = b.speed = 12.0;
  for (int i = 0; i < 60; ++i) {
    const VehicleCommand command{i < 30 ? 1.0 : -2.0, 0.05 * std::sin(0.3 * i)};
    a = for_tenth.Step(a, command, 0.05);
    b = for_twentieth.Step(b, command, 0.05);
    ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "step " << i;
  }
  EXPECT_GT(a.x, 30.0);
}

TEST(VehicleParamsTest, ValidateNamesTheParameter) {
  EXPECT_TRUE(VehicleParams::Car().Validate().ok());
  EXPECT_TRUE(VehicleParams::Truck().Validate().ok());
  VehicleParams p;
  p.wheelbase = 6.0;
  EXPECT_THAT(p.Validate().message(), HasSubstr("wheelbase is 6"));
  p = VehicleParams{};
  p.min_accel = 1.0;
  EXPECT_THAT(p.Validate().message(), HasSubstr("min_accel"));
}

}  // namespace
}  // namespace tarmac::envs
