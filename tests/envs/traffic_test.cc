#include "tarmac/envs/traffic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

namespace tarmac::envs {
namespace {

TrafficVehicle At(double s, int lane, double speed, double desired, const Road& road) {
  TrafficVehicle v;
  v.s = s;
  v.lane = lane;
  v.d = road.LaneCenter(lane);
  v.speed = speed;
  v.idm.desired_speed = desired;
  return v;
}

TEST(TrafficTest, PlatoonSettlesAtTheIdmEquilibriumGap) {
  const Road road = Road::Straight(100000.0, 1);
  Traffic traffic(&road);
  traffic.Add(At(400.0, 0, 20.0, 20.0, road));  // the leader cruises at its desired speed
  for (int i = 1; i <= 4; ++i) traffic.Add(At(400.0 - 60.0 * i, 0, 20.0, 30.0, road));
  for (int step = 0; step < 3000; ++step) traffic.Step(0.1, std::nullopt);
  const auto& v = traffic.vehicles();
  const double expected_gap = IdmEquilibriumGap(v[1].idm, v[0].speed);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_NEAR(v[i].speed, v[0].speed, 0.05) << i;
    const double gap = v[i - 1].s - v[i].s - v[i].length;
    EXPECT_NEAR(gap, expected_gap, 0.02 * expected_gap) << i;
  }
}

TEST(TrafficTest, AChangeFromOutsideIsSeenByTheNextStep) {
  // Step keeps the lanes indexed from one step to the next; a script that moves a vehicle into
  // another lane through mutable_vehicles() must be seen at once by whoever follows there.
  const Road road = Road::Straight(5000.0, 2);
  Traffic traffic(&road);
  TrafficVehicle follower = At(100.0, 0, 20.0, 20.0, road);
  follower.lane_changes = false;
  traffic.Add(follower);
  TrafficVehicle slow = At(112.0, 1, 10.0, 10.0, road);
  slow.lane_changes = false;
  traffic.Add(slow);
  traffic.Step(0.1, std::nullopt);
  EXPECT_GE(traffic.vehicles()[0].accel, 0.0) << "a free road ahead in its own lane";
  traffic.mutable_vehicles()[1].lane = 0;  // a scripted cut-in, 2 m ahead bumper to bumper
  traffic.Step(0.1, std::nullopt);
  EXPECT_LT(traffic.vehicles()[0].accel, -4.0) << "it brakes for the vehicle cutting in";
}

TEST(TrafficTest, FastVehicleOvertakesASlowOne) {
  const Road road = Road::Straight(5000.0, 2);
  Traffic traffic(&road);
  TrafficVehicle slow = At(200.0, 0, 12.0, 12.0, road);
  slow.lane_changes = false;
  const int slow_id = traffic.Add(slow);
  const int fast_id = traffic.Add(At(120.0, 0, 28.0, 30.0, road));
  bool changed = false;
  for (int step = 0; step < 400; ++step) {
    traffic.Step(0.1, std::nullopt);
    changed = changed || traffic.vehicles()[1].lane == 1;
  }
  EXPECT_TRUE(changed);
  EXPECT_GT(traffic.vehicles()[1].s, traffic.vehicles()[0].s) << "it passed";
  EXPECT_EQ(traffic.vehicles()[0].id, slow_id);
  EXPECT_EQ(traffic.vehicles()[1].id, fast_id);
}

TEST(TrafficTest, DenseRandomTrafficNeverCollidesAndTheBroadPhaseMissesNothing) {
  const Road road = Road::Straight(3000.0, 3);
  Traffic traffic(&road);
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> desired(22.0, 34.0), headway(1.0, 2.0);
  for (int lane = 0; lane < 3; ++lane) {
    for (int k = 0; k < 12; ++k) {
      TrafficVehicle v = At(30.0 + 35.0 * k + 5.0 * lane, lane, 20.0, desired(rng), road);
      v.idm.time_headway = headway(rng);
      traffic.Add(v);
    }
  }
  int lane_changes = 0;
  std::vector<int> last_lane;
  for (const auto& v : traffic.vehicles()) last_lane.push_back(v.lane);
  for (int step = 0; step < 1500; ++step) {
    traffic.Step(0.1, std::nullopt);
    const auto& vs = traffic.vehicles();
    for (std::size_t i = 0; i < vs.size(); ++i) {
      if (!vs[i].active) continue;
      lane_changes += vs[i].lane != last_lane[i];
      last_lane[i] = vs[i].lane;
      // Broad phase + exact test against brute force over every pair.
      std::vector<int> brute;
      for (std::size_t j = 0; j < vs.size(); ++j) {
        if (j != i && vs[j].active && Overlap(traffic.Box(vs[i]), traffic.Box(vs[j]))) {
          brute.push_back(vs[j].id);
        }
      }
      ASSERT_TRUE(brute.empty()) << "vehicles " << vs[i].id << " and " << brute[0]
                                 << " collided at step " << step;
      std::vector<int> found = traffic.Overlapping(traffic.Box(vs[i]), {vs[i].s, vs[i].d});
      found.erase(std::remove(found.begin(), found.end(), vs[i].id), found.end());
      ASSERT_EQ(found, brute);
    }
  }
  EXPECT_GT(lane_changes, 0) << "MOBIL found gaps worth taking";
}

TEST(TrafficTest, EgoIsALeaderAndCollisionsWithItAreFound) {
  const Road road = Road::Straight(2000.0, 1);
  Traffic traffic(&road);
  traffic.Add(At(50.0, 0, 25.0, 30.0, road));
  EgoView ego{100.0, 0.0, 0.0};  // stopped ego ahead
  for (int step = 0; step < 200; ++step) traffic.Step(0.1, ego);
  const TrafficVehicle& v = traffic.vehicles()[0];
  EXPECT_LT(v.s, ego.s - 0.5 * (v.length + ego.length)) << "stopped behind the ego";
  EXPECT_NEAR(ego.s - v.s - v.length, v.idm.min_gap, 0.5);
  const OrientedBox ego_box{road.ToWorld({ego.s, ego.d}), ego.length, ego.width};
  EXPECT_TRUE(traffic.Overlapping(ego_box, {ego.s, ego.d}).empty());
  const OrientedBox moved{road.ToWorld({v.s + 1.0, 0.0}), 4.8, 1.9};
  EXPECT_EQ(traffic.Overlapping(moved, {v.s + 1.0, 0.0}), std::vector<int>{v.id});
}

TEST(TrafficTest, VehiclesLeaveAtTheEndOfTheRoad) {
  const Road road = Road::Straight(100.0, 1);
  Traffic traffic(&road);
  traffic.Add(At(90.0, 0, 20.0, 20.0, road));
  for (int step = 0; step < 10; ++step) traffic.Step(0.1, std::nullopt);
  EXPECT_FALSE(traffic.vehicles()[0].active);
}

TEST(TrafficTest, SlowsForCurves) {
  absl::StatusOr<Road> road =
      Road::Build({}, {{200.0, 0.0}, {300.0, 1.0 / 100.0}}, {{0, 0.0, 500.0}});
  ASSERT_TRUE(road.ok());
  Traffic traffic(&*road);
  traffic.Add(At(10.0, 0, 25.0, 30.0, *road));
  double max_speed_in_curve = 0;
  for (int step = 0; step < 200; ++step) {
    traffic.Step(0.1, std::nullopt);
    const TrafficVehicle& v = traffic.vehicles()[0];
    if (v.active && v.s > 200.0) max_speed_in_curve = std::max(max_speed_in_curve, v.speed);
  }
  EXPECT_GT(max_speed_in_curve, 0.0);
  // IDM approaches a lowered desired speed from above, so allow 10 % over the comfort bound.
  EXPECT_LE(max_speed_in_curve * max_speed_in_curve / 100.0, 2.0 * 1.1)
      << "lateral acceleration near the comfort bound";
}

// The per-lane index is kept sorted incrementally (vehicles pass, change lanes, enter at s = 0
// and leave); LeaderOf and FollowerOf must agree with a search over every vehicle and the ego.
TEST(TrafficTest, LeadersAndFollowersMatchASearchOverEveryVehicle) {
  const Road road = Road::Straight(1500.0, 3);
  Traffic traffic(&road);
  traffic.Reserve(200);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> desired(15.0, 35.0), where(0.0, 600.0);
  for (int k = 0; k < 30; ++k) {
    traffic.Add(At(where(rng), k % 3, 15.0, desired(rng), road));
  }
  EgoView ego{300.0, 0.0, 20.0};
  std::optional<EgoView> seen;  // the ego as traffic last saw it (none before the first step)
  const auto covers = [&](int i, int lane) {  // the lanes an entry occupies, from first principles
    if (i < 0) {
      const double w = road.lane_width();
      return seen && lane >= std::lround((seen->d - 0.5 * seen->width) / w) &&
             lane <= std::lround((seen->d + 0.5 * seen->width) / w);
    }
    const TrafficVehicle& v = traffic.vehicles()[i];
    return v.active && (v.lane == lane || std::lround(v.d / road.lane_width()) == lane);
  };
  int checked = 0;
  const auto check = [&](int step) {
    const auto& vs = traffic.vehicles();
    for (int lane = -1; lane <= 3; ++lane) {
      for (int self = -1; self < static_cast<int>(vs.size()); self += 3) {
        const double s = self < 0 ? ego.s : vs[self].s;
        const double length = self < 0 ? ego.length : vs[self].length;
        std::optional<std::pair<double, int>> leader, follower;
        for (int i = -1; i < static_cast<int>(vs.size()); ++i) {
          if (i == self || !covers(i, lane)) continue;
          const std::pair<double, int> e(i < 0 ? seen->s : vs[i].s, i);
          if (e > std::make_pair(s, self) && (!leader || e < *leader)) leader = e;
          if (e.first < s && (!follower || e > *follower)) follower = e;
        }
        const auto found = traffic.LeaderOf(lane, s, length, self);
        ASSERT_EQ(found.has_value(), leader.has_value()) << "lane " << lane << " step " << step;
        if (found) {
          ASSERT_EQ(found->second, leader->second) << "lane " << lane << " step " << step;
          const double other = leader->second < 0 ? ego.length : vs[leader->second].length;
          EXPECT_DOUBLE_EQ(found->first.gap, leader->first - s - 0.5 * (other + length));
        }
        const auto behind = traffic.FollowerOf(lane, s, self);
        ASSERT_EQ(behind.has_value(), follower.has_value()) << "lane " << lane << " step " << step;
        if (behind) {
          ASSERT_EQ(behind->first, follower->second);
        }
        ++checked;
      }
    }
  };
  check(-1);  // vehicles added in no particular order
  int passes = 0;
  std::vector<std::pair<double, int>> previous;
  for (int step = 0; step < 600; ++step) {
    if (step % 7 == 0) {
      traffic.Add(At(0.0, step % 3, 10.0, desired(rng), road));
      check(step);
    }
    ego.s += ego.speed * 0.1;
    ego.d = 3.6 * (1.0 + std::sin(0.01 * step));  // drifts across lanes 0..2
    traffic.Step(0.1, ego);
    seen = ego;
    check(step);
    const auto& vs = traffic.vehicles();
    std::vector<std::pair<double, int>> order;
    for (std::size_t i = 0; i < vs.size(); ++i) {
      if (vs[i].active) order.emplace_back(vs[i].s, static_cast<int>(i));
    }
    std::sort(order.begin(), order.end());
    if (!previous.empty()) {
      std::vector<int> a, b;  // indices present both times, in s order then and now
      for (const auto& [_, i] : previous) {
        if (vs[i].active) a.push_back(i);
      }
      for (const auto& [_, i] : order) {
        if (std::find(a.begin(), a.end(), i) != a.end()) b.push_back(i);
      }
      passes += a != b;
    }
    previous = order;
  }
  EXPECT_GT(passes, 0) << "vehicles overtook each other, so the order had to be repaired";
  EXPECT_GT(checked, 10000);
}

TEST(TrafficTest, DeterministicForTheSameInputs) {
  const Road road = Road::Straight(3000.0, 3);
  auto run = [&](Traffic& traffic) {
    for (int k = 0; k < 20; ++k) {
      traffic.Add(At(20.0 + 30.0 * k, k % 3, 18.0, 24.0 + k % 7, road));
    }
    for (int step = 0; step < 500; ++step) traffic.Step(0.1, EgoView{300.0 + step, 3.6, 10.0});
    std::vector<double> state;
    for (const auto& v : traffic.vehicles()) state.insert(state.end(), {v.s, v.d, v.speed});
    return state;
  };
  Traffic first(&road), second(&road);
  const auto expected = run(first);
  EXPECT_EQ(run(second), expected);
  // A reset traffic (on another road, then this one) runs as a new one does.
  const Road other = Road::Straight(500.0, 2);
  first.Reset(&other);
  first.Add(At(10.0, 1, 20.0, 20.0, other));
  first.Step(0.1, std::nullopt);
  first.Reset(&road);
  EXPECT_TRUE(first.vehicles().empty());
  EXPECT_EQ(run(first), expected);
}

TEST(TrafficTest, StepsAlikeWhetherTheLanesAreKeptOrRebuiltAroundAMovingEgo) {
  // Step keeps the lanes from one step to the next and moves only the ego's entries; a copy
  // whose lanes are rebuilt from scratch before every step (mutable_vehicles() marks them
  // stale) must step identically while the ego weaves across all three lanes, jumps forwards
  // and backwards past vehicles, and leaves the road and comes back.
  const Road road = Road::Straight(2000.0, 3);
  Traffic kept(&road);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> desired(18.0, 34.0);
  for (int k = 0; k < 36; ++k) kept.Add(At(100.0 + 12.0 * k, k % 3, 20.0, desired(rng), road));
  Traffic rebuilt = kept;
  std::uniform_real_distribution<double> jump(-15.0, 15.0), across(-1.0, 8.2);
  EgoView ego{250.0, 3.6, 20.0};
  int differing = 0;
  for (int step = 0; step < 400; ++step) {
    ego.s += 2.0 + (step % 5 == 0 ? jump(rng) : 0.0);
    ego.d = step % 3 == 0 ? across(rng) : ego.d;
    const std::optional<EgoView> seen = step % 50 < 45 ? std::optional<EgoView>(ego) : std::nullopt;
    kept.Step(0.1, seen);
    rebuilt.mutable_vehicles();
    rebuilt.Step(0.1, seen);
    for (std::size_t i = 0; i < kept.vehicles().size(); ++i) {
      const TrafficVehicle& a = kept.vehicles()[i];
      const TrafficVehicle& b = rebuilt.vehicles()[i];
      differing += a.s != b.s || a.speed != b.speed || a.accel != b.accel || a.lane != b.lane;
    }
  }
  EXPECT_EQ(differing, 0);
  // The ego mattered: traffic without it drives otherwise.
  Traffic alone(&road);
  std::mt19937_64 again(11);
  for (int k = 0; k < 36; ++k) alone.Add(At(100.0 + 12.0 * k, k % 3, 20.0, desired(again), road));
  for (int step = 0; step < 400; ++step) alone.Step(0.1, std::nullopt);
  int moved_otherwise = 0;
  for (std::size_t i = 0; i < alone.vehicles().size(); ++i) {
    moved_otherwise += alone.vehicles()[i].s != kept.vehicles()[i].s;
  }
  EXPECT_GT(moved_otherwise, 10);
}

}  // namespace
}  // namespace tarmac::envs
