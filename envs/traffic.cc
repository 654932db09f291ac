#include "tarmac/envs/traffic.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tarmac::envs {
namespace {

constexpr double kSettled = 0.05;     // m from the lane centre: not changing lanes
constexpr double kMaxBraking = -9.0;  // m/s^2, tyre limit on dry asphalt

}  // namespace

Traffic::Traffic(const Road* road, TrafficParams params) : params_(params) { Reset(road); }

TrackPoint Interpolate(const std::vector<TrackPoint>& points, double t) {
  if (t <= points.front().t) return points.front();
  if (t >= points.back().t) return points.back();
  const auto after = std::upper_bound(points.begin(), points.end(), t,
                                      [](double time, const TrackPoint& p) { return time < p.t; });
  const TrackPoint& a = *(after - 1);
  const TrackPoint& b = *after;
  const double w = (t - a.t) / (b.t - a.t);
  // On a sample (up to the rounding of summed steps) the sample itself, exactly.
  if (w < 1e-9) return a;
  if (w > 1.0 - 1e-9) return b;
  return {t, a.s + w * (b.s - a.s), a.d + w * (b.d - a.d), a.speed + w * (b.speed - a.speed)};
}

void Traffic::Reset(const Road* road, const std::vector<LoggedTrack>* tracks) {
  road_ = road;
  tracks_ = tracks;
  vehicles_.clear();
  next_decision_.clear();
  accel_.clear();
  idm_scale_.clear();
  order_.clear();
  time_ = 0.0;
  next_id_ = 1;
  ego_.reset();
  ego_lanes_ = {0, -1};
  index_current_ = false;
  int max_lane = 0;
  for (const Lane& lane : road_->lanes()) max_lane = std::max(max_lane, lane.index);
  for (auto& lane : lanes_) lane.clear();
  lanes_.resize(static_cast<std::size_t>(max_lane) + 1);
}

int Traffic::Add(TrafficVehicle vehicle) {
  vehicle.id = next_id_++;
  vehicles_.push_back(vehicle);
  idm_scale_.push_back(IdmBrakingScale(vehicle.idm));
  // Decisions are staggered so that vehicles do not all change lanes at once.
  next_decision_.push_back(time_ + params_.decision_interval *
                                       std::fmod(0.37 * static_cast<double>(vehicle.id), 1.0));
  // Into the lanes where a rebuild would put it (a scenario adds dozens in a row); order_ only
  // needs to hold it, the next rebuild sorts it.
  const int index = static_cast<int>(vehicles_.size()) - 1;
  if (vehicle.active) {
    order_.push_back(index);
    for (int lane : LanesOf(vehicle)) InsertEntry(lane, {vehicle.s, index});
  }
  return vehicle.id;
}

void Traffic::Reserve(std::size_t vehicles) {
  vehicles_.reserve(vehicles);
  next_decision_.reserve(vehicles);
  order_.reserve(vehicles);
  due_.reserve(vehicles);
  accel_.reserve(vehicles);
  idm_scale_.reserve(vehicles);
  for (auto& lane : lanes_) lane.reserve(vehicles + 1);
}

double Traffic::Length(int index) const {
  return index < 0 ? ego_->length : vehicles_[index].length;
}

double Traffic::Speed(int index) const { return index < 0 ? ego_->speed : vehicles_[index].speed; }

inline double Traffic::FollowerAccel(int follower, const std::optional<Leader>& leader) const {
  // The ego is judged as a default IDM driver would be: traffic must not cut it off harder.
  static const IdmParams kEgoDriver;
  static const double kEgoScale = IdmBrakingScale(kEgoDriver);
  if (follower < 0) return IdmAcceleration(kEgoDriver, kEgoScale, Speed(follower), leader);
  return IdmAcceleration(vehicles_[follower].idm, idm_scale_[follower], Speed(follower), leader);
}

double Traffic::Accel(int index, int lane) const {
  const TrafficVehicle& v = vehicles_[index];
  std::optional<Leader> leader;
  if (auto found = LeaderOf(lane, v.s, v.length, index)) leader = found->first;
  return AccelBehind(index, leader);
}

inline double Traffic::AccelBehind(int index, const std::optional<Leader>& leader) const {
  const TrafficVehicle& v = vehicles_[index];
  if (v.forced_accel) return *v.forced_accel;
  if (!road_->straight()) return AccelOnCurves(index, leader);
  // No curve caps speed or acceleration (CurveLimitAhead's +inf; std::min with it is a no-op).
  // Physical bounds: IDM alone would ask for unbounded braking when cut off.
  return std::clamp(IdmAcceleration(v.idm, idm_scale_[index], v.speed, leader), kMaxBraking,
                    v.idm.max_accel);
}

double Traffic::AccelOnCurves(int index, const std::optional<Leader>& leader) const {
  const TrafficVehicle& v = vehicles_[index];
  const CurveLimit curve = CurveLimitAhead(*road_, v.s, v.d, v.speed, params_.comfort_lateral_accel,
                                           v.idm.comfort_decel);
  // The desired speed capped by the curve (std::min's choice; a copy only when the cap binds).
  const IdmParams* idm = &v.idm;
  IdmParams capped;
  if (curve.speed_cap < v.idm.desired_speed) {
    capped = v.idm;
    capped.desired_speed = curve.speed_cap;
    idm = &capped;
  }
  return std::clamp(
      std::min(IdmAcceleration(*idm, idm_scale_[index], v.speed, leader), curve.accel_cap),
      kMaxBraking, idm->max_accel);
}

bool Traffic::DecideLaneChange(int index) {
  TrafficVehicle& v = vehicles_[index];
  if (!v.lane_changes || v.forced_accel || v.track >= 0 ||
      std::abs(v.d - road_->LaneCenter(v.lane)) > kSettled) {
    return false;
  }
  const Neighbours own = NeighboursOf(v.lane, v.s, v.length, index);
  std::optional<Leader> own_leader;
  if (own.leader) own_leader = own.leader->first;
  const double changer_now = AccelBehind(index, own_leader);
  // The follower left behind is the same whichever way the vehicle goes: worked out once, when
  // a target lane is first worth weighing.
  std::optional<MobilInputs> behind;
  const auto left_behind = [&] {
    MobilInputs in;
    if (const auto& follower = own.follower) {
      const int f = follower->first;
      const double gap = v.s - follower->second - 0.5 * (Length(f) + v.length);
      in.old_follower_now = FollowerAccel(f, Leader{gap, v.speed});
      std::optional<Leader> after;
      if (own_leader) after = Leader{own_leader->gap + gap + v.length, own_leader->speed};
      in.old_follower_after = FollowerAccel(f, after);
    }
    return in;
  };
  double best_incentive = 0.0;
  int best_lane = -1;
  for (int target : {v.lane + 1, v.lane - 1}) {
    // The whole vehicle must fit in the target lane for a while ahead.
    if (!road_->LaneExists(target, v.s) || !road_->LaneExists(target, v.s + 2 * v.speed + 20)) {
      continue;
    }
    const Neighbours around = NeighboursOf(target, v.s, v.length, index);
    std::optional<Leader> target_leader;
    if (around.leader) target_leader = around.leader->first;
    // A leader already overlapping in the target lane rules the change out.
    if (target_leader && target_leader->gap < 0) continue;
    if (!behind) behind = left_behind();
    MobilInputs in = *behind;
    in.changer_now = changer_now;
    in.changer_after = AccelBehind(index, target_leader);
    if (const auto& follower = around.follower) {
      const int f = follower->first;
      in.new_follower_now = FollowerAccel(f, around.follower_leader);
      const double gap = v.s - follower->second - 0.5 * (Length(f) + v.length);
      in.new_follower_after = FollowerAccel(f, Leader{gap, v.speed});
      if (gap < 0) in.new_follower_after = -1e9;  // overlapping: never safe
    }
    const MobilDecision decision = Mobil(v.mobil, in);
    if (decision.change && decision.incentive > best_incentive) {
      best_incentive = decision.incentive;
      best_lane = target;
    }
  }
  if (best_lane < 0) return false;
  v.lane = best_lane;
  return true;
}

void Traffic::Step(double dt, const std::optional<EgoView>& ego) {
  ego_ = ego;
  ego_lanes_ = EgoLanes();
  if (index_current_) {
    // Nothing moved since the last Step indexed the lanes but the ego: move its entries only.
    MoveEgo();
  } else {
    // A change from outside may have touched a driver's parameters too.
    idm_scale_.resize(vehicles_.size());
    for (std::size_t i = 0; i < vehicles_.size(); ++i) {
      idm_scale_[i] = IdmBrakingScale(vehicles_[i].idm);
    }
    Index();
  }
  // Decide lane changes, then accelerations, all from the same snapshot.
  // The vehicles due to decide are gathered without a branch (a tenth of them each step, at
  // staggered places, which a branch per vehicle mispredicted), then decide in index order.
  due_.resize(vehicles_.size());
  std::size_t due = 0;
  for (std::size_t i = 0; i < vehicles_.size(); ++i) {
    due_[due] = static_cast<int>(i);
    due += static_cast<std::size_t>(vehicles_[i].active & !(time_ < next_decision_[i]));
  }
  bool changed = false;
  for (std::size_t k = 0; k < due; ++k) {
    const int i = due_[k];
    next_decision_[i] += params_.decision_interval;
    changed = DecideLaneChange(i) || changed;
  }
  if (changed) Index();
  // Accelerations, lane by lane: a vehicle follows the next entry of each lane it occupies
  // (while changing lanes it also keeps clear of the leader in the lane being left), so no
  // leader needs looking up. The same as the minimum of Accel(i, lane) over those lanes.
  std::vector<double>& accel = accel_;
  accel.assign(vehicles_.size(), std::numeric_limits<double>::infinity());
  for (const auto& entries : lanes_) {
    for (std::size_t j = 0; j < entries.size(); ++j) {
      const int i = entries[j].second;
      if (i < 0) continue;
      const TrafficVehicle& v = vehicles_[i];
      if (v.track >= 0) continue;  // its log moves it (IDM only once it yields, below)
      std::optional<Leader> leader;
      if (j + 1 < entries.size()) {
        const auto& [s, other] = entries[j + 1];
        leader = Leader{s - v.s - 0.5 * (Length(other) + v.length), Speed(other)};
      }
      accel[i] = std::min(accel[i], AccelBehind(i, leader));
    }
  }
  for (std::size_t i = 0; i < vehicles_.size(); ++i) {
    if (vehicles_[i].active && vehicles_[i].track < 0 && std::isinf(accel[i])) {  // off lanes
      accel[i] = Accel(static_cast<int>(i), vehicles_[i].lane);
    }
  }
  const double lateral_rate = road_->lane_width() / params_.lane_change_duration;
  // Whether every vehicle still occupies the lanes its entries are in (then the index only
  // needs the new positions, not a rebuild).
  bool lanes_kept = true;
  for (std::size_t i = 0; i < vehicles_.size(); ++i) {
    TrafficVehicle& v = vehicles_[i];
    if (!v.active) continue;
    if (v.track >= 0) {
      const int lane_before = v.lane;
      const int under_before = road_->NearestLane(v.d);
      const bool followed = FollowLog(static_cast<int>(i), dt);
      lanes_kept = lanes_kept && v.active && v.lane == lane_before &&
                   road_->NearestLane(v.d) == under_before;
      if (followed) continue;
      accel[i] = Accel(static_cast<int>(i), v.lane);  // it yields to IDM from this step
    }
    // A driver with a reaction lag closes only part of the gap to what IDM asks each step.
    v.accel = v.reaction > 0.0 && !v.forced_accel
                  ? v.accel + (accel[i] - v.accel) * std::min(1.0, dt / v.reaction)
                  : accel[i];
    const double speed = std::max(0.0, v.speed + v.accel * dt);
    if (speed == 0.0 && v.speed > 0.0) v.accel = -v.speed / dt;
    v.speed = speed;
    v.s += v.speed * dt;
    const double offset = road_->LaneCenter(v.lane) - v.d;
    const double move = std::clamp(offset, -lateral_rate * dt, lateral_rate * dt);
    const int under_before = move != 0.0 ? road_->NearestLane(v.d) : 0;
    v.d += move;
    if (move != 0.0) lanes_kept = lanes_kept && road_->NearestLane(v.d) == under_before;
    v.lateral_speed = move == 0.0 ? move : move / dt;  // +-0 / dt is +-0: no division to wait on
    if (v.s - 0.5 * v.length > road_->length()) {      // left the road
      v.active = false;
      lanes_kept = false;
    }
  }
  time_ += dt;
  if (lanes_kept) {
    Reindex();
  } else {
    Index();
  }
}

bool Traffic::FollowLog(int index, double dt) {
  TrafficVehicle& v = vehicles_[index];
  const LoggedTrack& track = (*tracks_)[static_cast<std::size_t>(v.track)];
  const double t = time_ + dt;
  if (t > track.points.back().t + 1e-9) {  // the log is over
    if (track.reactive) {
      v.track = -1;
      return false;
    }
    v.active = false;
    return true;
  }
  const TrackPoint next = track.At(t);
  if (track.reactive && ego_) {
    // Yields once its logged position would be closer to the ego ahead than IDM's safe gap.
    const auto leader = LeaderOf(v.lane, v.s, v.length, index);
    if (leader && leader->second < 0) {
      const IdmParams& p = v.idm;
      const double gap = ego_->s - next.s - 0.5 * (ego_->length + v.length);
      const double safe =
          p.min_gap + std::max(0.0, next.speed * p.time_headway +
                                        next.speed * (next.speed - ego_->speed) /
                                            (2.0 * std::sqrt(p.max_accel * p.comfort_decel)));
      if (gap < safe) {
        v.track = -1;
        return false;
      }
    }
  }
  v.accel = (next.speed - v.speed) / dt;
  v.lateral_speed = (next.d - v.d) / dt;
  v.speed = next.speed;
  v.s = next.s;
  v.d = next.d;
  v.lane = std::clamp(road_->NearestLane(v.d), 0, static_cast<int>(lanes_.size()) - 1);
  if (v.s - 0.5 * v.length > road_->length()) v.active = false;
  return true;
}

}  // namespace tarmac::envs
