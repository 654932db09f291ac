#include "tarmac/envs/feasibility.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tarmac/envs/expert_planner.h"

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

std::vector<Pose> ExpertTrajectory(ScenarioFamily family, std::uint64_t seed) {
  DrivingEnvOptions o;
  o.family = family;
  DrivingEnv env(o);
  ExpertPlanner expert;
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(seed, absl::MakeSpan(obs));
  expert.Reset(env);
  std::vector<Pose> poses = {{env.ego().x, env.ego().y, env.ego().heading}};
  StepResult r;
  while (!r.terminated && !r.truncated) {
    r = env.Step(expert.Act(env), absl::MakeSpan(obs), absl::MakeSpan(terms));
    poses.push_back({env.ego().x, env.ego().y, env.ego().heading});
  }
  return poses;
}

TEST(FeasibilityTest, ExpertDemonstrationsAreFeasible) {
  for (ScenarioFamily family : kAllFamilies) {
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const FeasibilityReport r =
          CheckFeasibility(ExpertTrajectory(family, seed), 0.1, VehicleParams{});
      EXPECT_TRUE(r.feasible) << FamilyName(family) << " " << seed << ": " << r.reason;
    }
  }
}

TEST(FeasibilityTest, ImpossibleAccelerationIsCaught) {
  std::vector<Pose> poses;
  double x = 0, v = 10;
  for (int i = 0; i < 20; ++i) {
    poses.push_back({x, 0.0, 0.0});
    v += (i >= 10 ? 9.0 : 0.0) * 0.1;  // 9 m/s^2 from step 10
    x += v * 0.1;
  }
  const FeasibilityReport r = CheckFeasibility(poses, 0.1, VehicleParams{});
  EXPECT_FALSE(r.feasible);
  EXPECT_THAT(r.reason, HasSubstr("acceleration 9.00"));
  EXPECT_NEAR(r.max_accel, 9.0, 1e-6);
}

TEST(FeasibilityTest, TooTightATurnIsCaught) {
  std::vector<Pose> poses;
  const double radius = 3.0;  // far below L / tan(0.6) = 4.2 m
  for (int i = 0; i < 30; ++i) {
    const double a = 0.05 * i;
    poses.push_back({radius * std::sin(a), radius * (1 - std::cos(a)), a});
  }
  const FeasibilityReport r = CheckFeasibility(poses, 0.1, VehicleParams{});
  EXPECT_FALSE(r.feasible);
  EXPECT_THAT(r.reason, HasSubstr("curvature"));
}

TEST(FeasibilityTest, SidewaysJumpIsCaught) {
  std::vector<Pose> poses;
  for (int i = 0; i < 20; ++i) poses.push_back({2.0 * i, i == 10 ? 3.0 : 0.0, 0.0});
  EXPECT_FALSE(CheckFeasibility(poses, 0.1, VehicleParams{}).feasible);
}

TEST(FeasibilityTest, SteeringFasterThanTheActuatorIsCaughtAndEveryViolatingStepListed) {
  // An S-bend whose curvature flips from +0.05 to -0.05 1/m in one step at 10 m/s: the steering
  // angle would go from +0.14 to -0.14 rad in 0.1 s (2.9 rad/s; the limit is 0.7).
  std::vector<Pose> poses;
  Pose p;
  for (int i = 0; i < 30; ++i) {
    poses.push_back(p);
    const double curvature = i < 15 ? 0.05 : -0.05;
    p.heading += curvature * 1.0;  // 1 m per step
    p.x += std::cos(p.heading);
    p.y += std::sin(p.heading);
  }
  const FeasibilityReport r = CheckFeasibility(poses, 0.1, VehicleParams{});
  EXPECT_FALSE(r.feasible);
  EXPECT_THAT(r.reason, HasSubstr("steering rate"));
  ASSERT_FALSE(r.violations.empty());
  EXPECT_EQ(r.violations.front(), r.first_violation);
  EXPECT_TRUE(std::is_sorted(r.violations.begin(), r.violations.end()));
}

}  // namespace
}  // namespace tarmac::envs
