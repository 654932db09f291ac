#include "tarmac/envs/policy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/feasibility.h"
#include "tarmac/envs/road.h"

namespace tarmac::envs {
namespace {

const DrivingEnv& Driving(const Env& env) {
  const auto* driving = dynamic_cast<const DrivingEnv*>(&env);
  if (driving == nullptr) {
    throw std::invalid_argument("the driving expert cannot drive env " + env.spec().name);
  }
  return *driving;
}

}  // namespace

std::unique_ptr<Policy> Env::MakeExpert() const { return nullptr; }

void ExpertPolicy::Reset(const Env& env) { planner_.Reset(Driving(env)); }

void ExpertPolicy::Act(const Env& env, absl::Span<const float> /*observation*/,
                       absl::Span<float> action) {
  const std::array<float, 2> a = planner_.Act(Driving(env));
  action[0] = a[0];
  action[1] = a[1];
}

void EnvExpert::Reset(const Env& env) {
  if (expert_ == nullptr || env_name_ != env.spec().name) {
    expert_ = env.MakeExpert();
    env_name_ = env.spec().name;
    if (expert_ == nullptr) throw std::invalid_argument("env " + env_name_ + " offers no expert");
  }
  expert_->Reset(env);
}

void EnvExpert::Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) {
  expert_->Act(env, observation, action);
}

DelayedPolicy::DelayedPolicy(std::unique_ptr<Policy> inner, int delay_steps)
    : inner_(std::move(inner)), delay_steps_(std::max(0, delay_steps)) {}

std::string DelayedPolicy::Name() const {
  return absl::StrCat(inner_->Name(), "+delay=", delay_steps_, "steps");
}

void DelayedPolicy::Reset(const Env& env) {
  inner_->Reset(env);
  ring_.assign(
      static_cast<std::size_t>(delay_steps_ + 1) * static_cast<std::size_t>(env.spec().action_size),
      0.0F);
  next_ = 0;
  filled_ = 0;
}

void DelayedPolicy::Act(const Env& env, absl::Span<const float> observation,
                        absl::Span<float> action) {
  const std::size_t n = action.size();
  const std::size_t slots = static_cast<std::size_t>(delay_steps_ + 1);
  inner_->Act(env, observation, absl::MakeSpan(&ring_[next_ * n], n));
  next_ = (next_ + 1) % slots;
  filled_ = std::min(filled_ + 1, slots);
  // The oldest action held: delay_steps_ ago once the ring is full, the first one before.
  const std::size_t oldest = filled_ < slots ? 0 : next_;
  std::copy_n(&ring_[oldest * n], n, action.begin());
}

CutInBlindPolicy::CutInBlindPolicy(std::unique_ptr<Policy> inner, double gap)
    : inner_(std::move(inner)), gap_(gap) {}

std::string CutInBlindPolicy::Name() const {
  return absl::StrCat(inner_->Name(), "+blind_cut_in=", gap_);
}

void CutInBlindPolicy::Reset(const Env& env) {
  inner_->Reset(env);
  held_accel_ = 0.0F;
}

void CutInBlindPolicy::Act(const Env& env, absl::Span<const float> observation,
                           absl::Span<float> action) {
  inner_->Act(env, observation, action);
  const auto* driving = dynamic_cast<const DrivingEnv*>(&env);
  if (driving == nullptr || action.empty()) return;
  if (const auto& leader = driving->ego_leader();
      leader && leader->second >= 0 && leader->first.gap < gap_) {
    const TrafficVehicle& v = driving->traffic().vehicles()[leader->second];
    const double off_centre = std::abs(v.d - driving->scenario().road.LaneCenter(v.lane));
    if (off_centre > 0.2) action[0] = held_accel_;  // still changing lanes: unseen
  }
  held_accel_ = action[0];
}

void LogPolicy::Reset(const Env& env) {
  const auto* driving = dynamic_cast<const DrivingEnv*>(&env);
  if (driving == nullptr || !HasLoggedEgo(driving->scenario())) {
    throw std::invalid_argument("--policy log needs a scenario with a logged ego");
  }
  // The log resampled at the env's step, headings from the motion between samples.
  const Scenario& sc = driving->scenario();
  const Road& road = sc.road;
  std::vector<Pose> poses;
  const double end = sc.ego_track.back().t;
  for (int k = 0; k <= sc.max_steps && k * sc.dt <= end + 1e-9; ++k) {
    const TrackPoint p = Interpolate(sc.ego_track, k * sc.dt);
    const TrackPoint q = Interpolate(sc.ego_track, k * sc.dt + 0.5 * sc.dt);
    const Pose at = road.ToWorld({p.s, p.d});
    const Pose ahead = road.ToWorld({q.s, q.d});
    const double moved = std::hypot(ahead.x - at.x, ahead.y - at.y);
    poses.push_back(
        {at.x, at.y, moved > 1e-3 ? std::atan2(ahead.y - at.y, ahead.x - at.x) : at.heading});
  }
  const FeasibilityReport report = CheckFeasibility(poses, sc.dt, driving->ego_params());
  infeasible_.assign(poses.size(), false);
  for (int step : report.violations) {
    if (step >= 0 && static_cast<std::size_t>(step) < infeasible_.size()) infeasible_[step] = true;
  }
}

void LogPolicy::Act(const Env& env, absl::Span<const float> /*observation*/,
                    absl::Span<float> action) {
  const auto& driving = static_cast<const DrivingEnv&>(env);
  const Scenario& sc = driving.scenario();
  const VehicleState& ego = driving.ego();
  const VehicleParams& car = driving.ego_params();
  const Road& road = sc.road;
  const double t = driving.time();
  // Longitudinal: close on the log's speed 0.3 s ahead, and on its position.
  constexpr double kHorizon = 0.3;
  const TrackPoint soon = Interpolate(sc.ego_track, t + kHorizon);
  const TrackPoint now = Interpolate(sc.ego_track, t);
  const Frenet at = driving.ego_frenet();
  const double accel = (soon.speed - ego.speed) / kHorizon + 0.5 * (now.s - at.s);
  // Lateral: pure pursuit from the rear axle towards the log 0.7 s ahead (at least 6 m).
  const double rear_x = ego.x - car.rear_to_cg * std::cos(ego.heading);
  const double rear_y = ego.y - car.rear_to_cg * std::sin(ego.heading);
  TrackPoint goal = Interpolate(sc.ego_track, t + 0.7);
  const Frenet rear = road.ToFrenet(rear_x, rear_y);
  if (goal.s - rear.s < 6.0) goal.s = rear.s + 6.0;
  const Pose target = road.ToWorld({goal.s, goal.d});
  const double alpha = WrapAngle(std::atan2(target.y - rear_y, target.x - rear_x) - ego.heading);
  const double distance = std::max(std::hypot(target.x - rear_x, target.y - rear_y), 1.0);
  const double steer = std::atan(2.0 * car.wheelbase * std::sin(alpha) / distance);
  action[0] = static_cast<float>(std::clamp(accel, car.min_accel, car.max_accel));
  if (action.size() > 1) {
    action[1] = static_cast<float>(std::clamp(steer, -car.max_steer, car.max_steer));
  }
}

}  // namespace tarmac::envs
