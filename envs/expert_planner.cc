#include "tarmac/envs/expert_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tarmac/envs/road.h"

namespace tarmac::envs {
namespace {

constexpr double kSettled = 0.3;  // m from the target lane centre: the change is done

// Where `lane` ends ahead of s (infinity when it runs past the horizon).
double LaneEnd(const Road& road, int lane, double s, double horizon) {
  for (double ahead = 0.0; ahead <= horizon; ahead += 5.0) {
    if (!road.LaneExists(lane, s + ahead)) return s + ahead;
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace

void ExpertPlanner::Reset(const DrivingEnv& env) {
  const Road& road = env.scenario().road;
  target_lane_ = road.NearestLane(env.ego_frenet().d);
  next_decision_ = 0.0;
  last_accel_ = env.ego().accel;
  params_.idm.desired_speed = env.scenario().speed_limit * 0.97;
}

double ExpertPlanner::LaneAccel(const DrivingEnv& env, int lane) const {
  const Road& road = env.scenario().road;
  const Frenet f = env.ego_frenet();
  const double speed = env.ego().speed;
  const double length = VehicleParams{}.length;
  IdmParams idm = params_.idm;
  const CurveLimit curve = CurveLimitAhead(road, f.s, road.LaneCenter(lane), speed,
                                           params_.comfort_lateral_accel, idm.comfort_decel);
  idm.desired_speed = std::min(idm.desired_speed, curve.speed_cap);
  std::optional<Leader> leader;
  if (auto l = env.traffic().LeaderOf(lane, f.s, length, -1)) leader = l->first;
  // An ending lane is a stopped obstacle at its end.
  const double end = LaneEnd(road, lane, f.s, params_.lane_end_horizon);
  if (std::isfinite(end)) {
    const Leader wall{end - f.s - 0.5 * length, 0.0};
    if (!leader || wall.gap < leader->gap) leader = wall;
  }
  return std::min(IdmAcceleration(idm, speed, leader), curve.accel_cap);
}

void ExpertPlanner::DecideLane(const DrivingEnv& env) {
  const Road& road = env.scenario().road;
  const Traffic& traffic = env.traffic();
  const Frenet f = env.ego_frenet();
  const double length = VehicleParams{}.length;
  const double speed = env.ego().speed;
  const int lane = target_lane_;
  const bool must_leave = std::isfinite(LaneEnd(road, lane, f.s, params_.lane_end_horizon));
  const double now = LaneAccel(env, lane);
  double best = -std::numeric_limits<double>::infinity();
  int best_lane = lane;
  for (int target : {lane + 1, lane - 1}) {
    if (!road.LaneExists(target, f.s) || !road.LaneExists(target, f.s + 2.0 * speed + 30.0)) {
      continue;
    }
    MobilInputs in;
    in.changer_now = now;
    in.changer_after = LaneAccel(env, target);
    bool blocked = false;
    if (auto follower = traffic.FollowerOf(target, f.s, -1)) {
      const TrafficVehicle& v = traffic.vehicles()[follower->first];
      const double gap = f.s - follower->second - 0.5 * (v.length + length);
      std::optional<Leader> its_leader;
      if (auto l = traffic.LeaderOf(target, v.s, v.length, follower->first)) {
        its_leader = l->first;
      }
      in.new_follower_now = IdmAcceleration(v.idm, v.speed, its_leader);
      in.new_follower_after = IdmAcceleration(v.idm, v.speed, Leader{gap, speed});
      blocked = gap < 2.0;
    }
    if (auto l = traffic.LeaderOf(target, f.s, length, -1); l && l->first.gap < 3.0) {
      blocked = true;
    }
    MobilParams mobil = params_.mobil;
    if (must_leave) mobil.threshold = -1e9;  // any safe gap will do
    const MobilDecision d = Mobil(mobil, in);
    if (!blocked && d.change && d.incentive > best) {
      best = d.incentive;
      best_lane = target;
    }
  }
  target_lane_ = best_lane;
}

std::array<float, 2> ExpertPlanner::Act(const DrivingEnv& env) {
  const Road& road = env.scenario().road;
  const VehicleState& ego = env.ego();
  const Frenet f = env.ego_frenet();
  const int current = road.NearestLane(f.d);
  const bool settled = std::abs(f.d - road.LaneCenter(target_lane_)) < kSettled;
  if (env.time() >= next_decision_ && settled) {
    DecideLane(env);
    next_decision_ = env.time() + params_.decision_interval;
  }

  // Longitudinal: IDM in the target lane, and in the lane being left while changing.
  double accel = LaneAccel(env, target_lane_);
  if (current != target_lane_) accel = std::min(accel, LaneAccel(env, current));
  // Comfort: the command rises (or braking eases) at most max_jerk per second and braking
  // builds up at most max_brake_jerk per second; emergency braking is applied at once.
  const double dt = env.scenario().dt;
  if (accel > params_.emergency_decel) {
    accel = std::clamp(accel, last_accel_ - params_.max_brake_jerk * dt,
                       last_accel_ + params_.max_jerk * dt);
  }
  last_accel_ = accel;

  // Lateral: pure pursuit from the rear axle toward the target lane centre ahead.
  const VehicleParams car;
  const double lookahead = std::max(params_.min_lookahead, ego.speed * params_.lookahead_time);
  const double rear_x = ego.x - car.rear_to_cg * std::cos(ego.heading);
  const double rear_y = ego.y - car.rear_to_cg * std::sin(ego.heading);
  const Frenet rear = road.ToFrenet(rear_x, rear_y);
  const Pose goal = road.ToWorld({rear.s + lookahead, road.LaneCenter(target_lane_)});
  const double alpha = WrapAngle(std::atan2(goal.y - rear_y, goal.x - rear_x) - ego.heading);
  const double distance = std::hypot(goal.x - rear_x, goal.y - rear_y);
  const double steer = std::atan(2.0 * car.wheelbase * std::sin(alpha) / distance);
  return {static_cast<float>(accel), static_cast<float>(steer)};
}

}  // namespace tarmac::envs
