#include "tarmac/envs/driving_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace tarmac::envs {
namespace {

// Fallback for absent metrics: NaN fails every comparison, so a missing metric fails the test.
const double kMissing = std::numeric_limits<double>::quiet_NaN();

// TrajectoryHash() of the env as of this commit (see below).
constexpr std::uint64_t kTrajectoryHash = 16590343097587961214ULL;

DrivingEnvOptions For(ScenarioFamily family) {
  DrivingEnvOptions o;
  o.family = family;
  return o;
}

// A lane keeper: holds the lane centre with proportional steering, drives at `speed`.
std::vector<float> KeepLane(const DrivingEnv& env, double speed) {
  const Road& road = env.scenario().road;
  const Frenet f = env.ego_frenet();
  const int lane = static_cast<int>(std::lround(f.d / road.lane_width()));
  const Pose p = road.ToWorld({f.s, f.d});
  const double heading_error = std::remainder(env.ego().heading - p.heading, 2 * M_PI);
  const double offset = f.d - road.LaneCenter(lane);
  const double steer =
      -0.8 * heading_error - 0.05 * offset + std::atan(2.9 * road.Curvature(f.s + 5.0));
  const double accel = 0.8 * (speed - env.ego().speed);
  return {static_cast<float>(accel), static_cast<float>(steer)};
}

struct Trace {
  std::vector<float> observations;
  std::vector<float> rewards;
  std::vector<std::uint64_t> events;
};

Trace RunEpisode(ScenarioFamily family, std::uint64_t seed, int steps) {
  DrivingEnv env(For(family));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  Trace t;
  env.Reset(seed, absl::MakeSpan(obs));
  t.observations = obs;
  for (int i = 0; i < steps; ++i) {
    const std::vector<float> action = KeepLane(env, 25.0);
    const StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    t.observations.insert(t.observations.end(), obs.begin(), obs.end());
    t.rewards.push_back(r.reward);
    t.events.push_back(r.events);
    if (r.terminated || r.truncated) break;
  }
  return t;
}

// FNV-1a over the bytes of every observation, reward, reward term and event mask of seeded
// random-action episodes of every family, under both reward compositions. Behaviour-preserving
// refactors of the env must keep this hash; a deliberate change of dynamics or rewards updates
// kTrajectoryHash and says so in its commit.
std::uint64_t TrajectoryHash() {
  std::uint64_t hash = 1469598103934665603ULL;
  auto mix = [&](const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) hash = (hash ^ p[i]) * 1099511628211ULL;
  };
  std::mt19937_64 rng(7);
  // Mild enough that most episodes run their full length through traffic.
  std::uniform_real_distribution<float> accel(-2.0F, 1.5F), steer(-0.01F, 0.01F);
  for (const auto composition :
       {RewardConfig::Composition::kAdditive, RewardConfig::Composition::kMultiplicative}) {
    for (ScenarioFamily family : kAllFamilies) {
      DrivingEnvOptions o = For(family);
      o.reward.composition = composition;
      DrivingEnv env(o);
      std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
      for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        env.Reset(seed, absl::MakeSpan(obs));
        mix(obs.data(), obs.size() * sizeof(float));
        for (int i = 0; i < 400; ++i) {
          const float action[2] = {accel(rng), steer(rng)};
          const StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
          mix(obs.data(), obs.size() * sizeof(float));
          mix(terms.data(), terms.size() * sizeof(float));
          mix(&r.reward, sizeof(r.reward));
          mix(&r.events, sizeof(r.events));
          if (r.terminated || r.truncated) break;
        }
      }
    }
  }
  return hash;
}

TEST(DrivingEnvTest, TrajectoriesStayBitIdentical) {
  EXPECT_EQ(TrajectoryHash(), kTrajectoryHash) << "hash now " << TrajectoryHash();
}

TEST(DrivingEnvTest, SpecDescribesTheBuffers) {
  DrivingEnv env(DrivingEnvOptions{});
  EXPECT_EQ(env.spec().observation_size, 20 + 7 * 8 + 10);
  EXPECT_EQ(env.spec().action_size, 2);
  EXPECT_THAT(env.spec().reward_terms, ::testing::Contains("ttc"));
  EXPECT_FLOAT_EQ(env.spec().action_low[0], -8.0F);
  EXPECT_FLOAT_EQ(env.spec().action_high[1], 0.6F);
  EXPECT_EQ(env.spec().max_steps, 300);
}

TEST(DrivingEnvTest, TokensCoverTheObservationInOrder) {
  for (int history : {0, 2}) {
    DrivingEnvOptions o;
    o.history = history;
    DrivingEnv env(o);
    int covered = 0;
    for (const TokenGroup& g : env.spec().tokens) covered += g.count * g.size;
    EXPECT_EQ(covered, env.spec().observation_size) << history;
    EXPECT_EQ(env.spec().tokens.front().name, "ego");
    EXPECT_EQ(env.spec().tokens[2].name, "vehicle");
    EXPECT_EQ(env.spec().tokens[2].count, 8);
  }
}

// env.history 2: the current frame is what an env without history observes, bit for bit, and
// the two after it are the frames of the steps before (the first frame at the start).
TEST(DrivingEnvTest, HistoryAppendsThePastFramesNewestFirst) {
  DrivingEnvOptions plain = For(ScenarioFamily::kCutIn);
  DrivingEnvOptions with_history = plain;
  with_history.history = 2;
  DrivingEnv a(plain), b(with_history);
  const int frame = a.spec().observation_size;
  ASSERT_EQ(b.spec().observation_size, 3 * frame);
  std::vector<float> obs_a(frame), obs_b(3 * frame), terms(a.spec().reward_terms.size());
  a.Reset(11, absl::MakeSpan(obs_a));
  b.Reset(11, absl::MakeSpan(obs_b));
  std::vector<std::vector<float>> frames = {obs_a};
  const auto slot = [&](int k) {
    return std::vector<float>(obs_b.begin() + k * frame, obs_b.begin() + (k + 1) * frame);
  };
  EXPECT_EQ(slot(0), obs_a);
  EXPECT_EQ(slot(1), obs_a);
  EXPECT_EQ(slot(2), obs_a);
  for (int i = 0; i < 40; ++i) {
    const std::vector<float> action = KeepLane(a, 24.0);
    a.Step(action, absl::MakeSpan(obs_a), absl::MakeSpan(terms));
    b.Step(action, absl::MakeSpan(obs_b), absl::MakeSpan(terms));
    frames.push_back(obs_a);
    const std::size_t n = frames.size();
    ASSERT_EQ(slot(0), frames[n - 1]) << "step " << i;
    ASSERT_EQ(slot(1), frames[n - 2]) << "step " << i;
    ASSERT_EQ(slot(2), frames[n >= 3 ? n - 3 : 0]) << "step " << i;
  }
}

TEST(DrivingEnvTest, ObservesTheLeaderIdmFollowsAndWhereTheLaneEnds) {
  const int leaders = kEgoFeatures + kPreviewFeatures + kVehicleFeatures * 8;
  for (ScenarioFamily family : {ScenarioFamily::kLeadBrake, ScenarioFamily::kStalled}) {
    DrivingEnv env(For(family));
    std::vector<float> obs(env.spec().observation_size);
    env.Reset(7, absl::MakeSpan(obs));
    const Road& road = env.scenario().road;
    const int lane = static_cast<int>(std::lround(env.ego_frenet().d / road.lane_width()));
    const auto leader =
        env.traffic().LeaderOf(lane, env.ego_frenet().s, VehicleParams::Car().length, -1);
    ASSERT_TRUE(leader.has_value()) << FamilyName(family);
    if (leader->first.gap > 150.0) continue;
    EXPECT_EQ(obs[leaders], 1.0F) << FamilyName(family);
    EXPECT_NEAR(obs[leaders + 1] * 100.0, leader->first.gap, 1e-3);
    EXPECT_NEAR(obs[leaders + 2] * 30.0, leader->first.speed - env.ego().speed, 1e-3);
  }
  // On a merge the ego's lane ends ahead: the feature drops below 1 as it nears the end.
  DrivingEnv merge(For(ScenarioFamily::kMerge));
  std::vector<float> obs(merge.spec().observation_size), terms(merge.spec().reward_terms.size());
  merge.Reset(3, absl::MakeSpan(obs));
  float lowest = obs[leaders + 9];
  for (int i = 0; i < 300; ++i) {
    const StepResult r =
        merge.Step(std::vector<float>{0.0F, 0.0F}, absl::MakeSpan(obs), absl::MakeSpan(terms));
    lowest = std::min(lowest, obs[leaders + 9]);
    if (r.terminated || r.truncated) break;
  }
  EXPECT_LT(lowest, 1.0F);
  EXPECT_GE(lowest, 0.0F);
}

TEST(DrivingEnvTest, SameSeedGivesABitIdenticalEpisode) {
  for (ScenarioFamily family : kAllFamilies) {
    const Trace a = RunEpisode(family, 1234, 300);
    const Trace b = RunEpisode(family, 1234, 300);
    ASSERT_EQ(a.observations.size(), b.observations.size()) << FamilyName(family);
    EXPECT_EQ(std::memcmp(a.observations.data(), b.observations.data(),
                          a.observations.size() * sizeof(float)),
              0)
        << FamilyName(family);
    EXPECT_EQ(a.rewards, b.rewards);
    EXPECT_EQ(a.events, b.events);
    const Trace other = RunEpisode(family, 1235, 300);
    EXPECT_NE(a.observations, other.observations) << "another seed, another episode";
  }
}

TEST(DrivingEnvTest, EveryFamilyStartsOnTheRoadWithoutOverlaps) {
  for (ScenarioFamily family : kAllFamilies) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      const Scenario sc = GenerateScenario(family, ScenarioConfig{}, seed);
      const VehicleParams car;
      EXPECT_TRUE(sc.road.BoxDrivable({sc.ego.x, sc.ego.y, sc.ego.heading}, car.length, car.width))
          << FamilyName(family) << " " << seed;
      Traffic traffic(&sc.road);
      for (const TrafficVehicle& v : sc.traffic) traffic.Add(v);
      traffic.Step(1e-6, std::nullopt);  // index only
      const OrientedBox ego{{sc.ego.x, sc.ego.y, sc.ego.heading}, car.length, car.width};
      EXPECT_TRUE(traffic.Overlapping(ego, {sc.ego_s, sc.road.LaneCenter(sc.ego_lane)}).empty())
          << FamilyName(family) << " " << seed;
    }
  }
}

TEST(DrivingEnvTest, AdditiveRewardIsTheSumOfItsTerms) {
  DrivingEnv env(For(ScenarioFamily::kHighway));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(7, absl::MakeSpan(obs));
  double sum_of_returns = 0;
  for (int i = 0; i < 100; ++i) {
    const StepResult r = env.Step(KeepLane(env, 25.0), absl::MakeSpan(obs), absl::MakeSpan(terms));
    double sum = 0;
    for (float t : terms) sum += t;
    EXPECT_NEAR(r.reward, sum, 1e-4);
    sum_of_returns += r.reward;
  }
  const schemas::EpisodeSummary summary = env.Summary();
  EXPECT_NEAR(summary.episode_return, sum_of_returns, 1e-3);
  EXPECT_EQ(summary.term_returns.size(), env.spec().reward_terms.size());
}

TEST(DrivingEnvTest, TheComfortTermChargesEveryStepTheScoreCallsUncomfortable) {
  DrivingEnvOptions options = For(ScenarioFamily::kHighway);
  options.reward.comfort = 2.0;
  DrivingEnv env(options);
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  const auto comfort = std::find(env.spec().reward_terms.begin(), env.spec().reward_terms.end(),
                                 std::string("comfort")) -
                       env.spec().reward_terms.begin();
  ASSERT_LT(comfort, static_cast<std::ptrdiff_t>(terms.size()));
  env.Reset(7, absl::MakeSpan(obs));
  // Cruise, then brake at full force (jerk and deceleration beyond the limits), then cruise.
  int charged = 0, uncomfortable = 0;
  for (int i = 0; i < 60; ++i) {
    std::vector<float> action = KeepLane(env, env.ego().speed);
    if (i >= 20 && i < 30) action[0] = -6.0F;
    const StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    ASSERT_FALSE(r.terminated || r.truncated);
    const bool flagged = (r.events & schemas::EventBit(schemas::Event::kComfort)) != 0;
    EXPECT_EQ(terms[comfort], flagged ? -2.0F : 0.0F) << "step " << i;
    charged += terms[comfort] < 0 ? 1 : 0;
    uncomfortable += flagged ? 1 : 0;
  }
  EXPECT_GE(charged, 5) << "hard braking is outside the comfort limits";
  EXPECT_LT(charged, 60) << "cruising is not";
  EXPECT_EQ(schemas::MetricOr(env.Summary(), "comfort_violation_steps", kMissing), charged);
  EXPECT_EQ(uncomfortable, charged);
}

TEST(DrivingEnvTest, DrivingIntoAStalledCarIsAnAtFaultCollision) {
  DrivingEnv env(For(ScenarioFamily::kStalled));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(3, absl::MakeSpan(obs));
  StepResult r;
  bool near_miss = false;
  for (int i = 0; i < 300 && !r.terminated; ++i) {
    r = env.Step(KeepLane(env, 25.0), absl::MakeSpan(obs), absl::MakeSpan(terms));
    near_miss = near_miss || (r.events & schemas::EventBit(schemas::Event::kNearMiss));
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(r.events & schemas::EventBit(schemas::Event::kCollision));
  EXPECT_TRUE(near_miss) << "the approach was a near miss before it was a crash";
  const schemas::EpisodeSummary s = env.Summary();
  EXPECT_EQ(s.outcome, schemas::Outcome::kCollision);
  EXPECT_EQ(schemas::MetricOr(s, "at_fault_collision", kMissing), 1.0);
  EXPECT_EQ(schemas::MetricOr(s, "score", kMissing), 0.0) << "an at-fault collision zeroes it";
  EXPECT_EQ(s.scenario, "stalled");
}

TEST(DrivingEnvTest, SteeringOffTheRoadTerminates) {
  DrivingEnv env(For(ScenarioFamily::kHighway));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(5, absl::MakeSpan(obs));
  StepResult r;
  for (int i = 0; i < 200 && !r.terminated; ++i) {
    const std::vector<float> right = {0.0F, -0.3F};
    r = env.Step(right, absl::MakeSpan(obs), absl::MakeSpan(terms));
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(r.events & (schemas::EventBit(schemas::Event::kOffRoad) |
                          schemas::EventBit(schemas::Event::kCollision)));
}

TEST(DrivingEnvTest, TrafficKeepsEnteringAtTheRoadStart) {
  DrivingEnv env(For(ScenarioFamily::kHighway));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(21, absl::MakeSpan(obs));
  const std::size_t at_start = env.traffic().vehicles().size();
  for (int i = 0; i < 300; ++i) {
    const StepResult r = env.Step(KeepLane(env, 25.0), absl::MakeSpan(obs), absl::MakeSpan(terms));
    if (r.terminated || r.truncated) break;
  }
  EXPECT_GT(env.traffic().vehicles().size(), at_start);
  EXPECT_GT(env.scenario().entry_rate, 0.0);
}

TEST(DrivingEnvTest, BrokenActionsAreClippedNotFatal) {
  DrivingEnv env(For(ScenarioFamily::kCurve));
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(9, absl::MakeSpan(obs));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> bad = {nan, 1e30F};
  const StepResult r = env.Step(bad, absl::MakeSpan(obs), absl::MakeSpan(terms));
  EXPECT_TRUE(std::isfinite(r.reward));
  for (float o : obs) EXPECT_TRUE(std::isfinite(o));
  EXPECT_LE(std::abs(env.ego().steer), 0.6);
}

TEST(DrivingEnvTest, LaneKeepingOnAnEmptyHighwayScoresWell) {
  // No traffic: the score reflects the lane keeper alone (with traffic, a slow lane keeper is
  // rear-ended in some seeds, which is what the expert's own test covers).
  DrivingEnvOptions options = For(ScenarioFamily::kHighway);
  options.scenario.density = {0.0, 0.0};
  options.scenario.traffic_enters = false;
  DrivingEnv env(options);
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(11, absl::MakeSpan(obs));
  ASSERT_TRUE(env.traffic().vehicles().empty());
  StepResult r;
  for (int i = 0; i < 300 && !r.terminated && !r.truncated; ++i) {
    r = env.Step(KeepLane(env, 28.0), absl::MakeSpan(obs), absl::MakeSpan(terms));
  }
  const schemas::EpisodeSummary s = env.Summary();
  EXPECT_EQ(s.outcome, schemas::Outcome::kTimeLimit);
  EXPECT_GT(schemas::MetricOr(s, "score", kMissing), 0.8);
  EXPECT_GT(schemas::MetricOr(s, "progress_ratio", kMissing), 0.8);
  EXPECT_EQ(schemas::MetricOr(s, "off_road", kMissing), 0.0);
  EXPECT_GT(s.distance_m, 700.0);
}

}  // namespace
}  // namespace tarmac::envs
