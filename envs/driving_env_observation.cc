// DrivingEnv's observation: the frame of the current step (layout in driving_env.h) and the
// history of past frames behind it.
#include <algorithm>
#include <cmath>

#include "tarmac/envs/divide.h"
#include "tarmac/envs/driving_env.h"

namespace tarmac::envs {

void DrivingEnv::Observe(absl::Span<float> observation) {
  if (options_.history == 0) {
    ObserveFrame(observation);
    return;
  }
  std::fill(observation.begin(), observation.end(), 0.0F);
  if (observation.size() < static_cast<std::size_t>(spec_.observation_size)) return;
  const auto frame = static_cast<std::size_t>(frame_size_);
  ObserveFrame(observation.subspan(0, frame));
  if (past_.empty()) {  // the episode's first frame stands in for the ones before it
    for (int h = 0; h < options_.history; ++h) {
      past_.insert(past_.end(), observation.begin(), observation.begin() + frame);
    }
  }
  std::copy(past_.begin(), past_.end(), observation.begin() + frame);
  // What the next step's observation holds after its own frame: this one, then all but the
  // oldest.
  std::copy_backward(past_.begin(), past_.end() - frame, past_.end());
  std::copy(observation.begin(), observation.begin() + frame, past_.begin());
}

void DrivingEnv::ObserveFrame(absl::Span<float> obs) const {
  std::fill(obs.begin(), obs.end(), 0.0F);
  if (obs.size() < static_cast<std::size_t>(frame_size_)) return;
  const Road& road = scenario_.road;
  const double w = road.lane_width();
  const int lane = road.NearestLane(ego_frenet_.d);
  const Pose on_road = road.ToWorld(ego_frenet_);
  const double heading_error = WrapAngle(ego_.heading - on_road.heading);
  const double c = std::cos(ego_.heading);
  const double s = std::sin(ego_.heading);
  float* o = obs.data();
  o[0] = static_cast<float>(ego_.speed / 30.0);
  o[1] = static_cast<float>(ego_.accel / 8.0);
  o[2] = static_cast<float>(ego_.steer / 0.6);
  o[3] = static_cast<float>(heading_error);
  o[4] = static_cast<float>((ego_frenet_.d - road.LaneCenter(lane)) / w);
  o[5] = static_cast<float>(ego_.yaw_rate);
  o[6] = static_cast<float>(lane / 3.0);
  o[7] = road.LaneExists(lane + 1, ego_frenet_.s) ? 1.0F : 0.0F;
  o[8] = road.LaneExists(lane - 1, ego_frenet_.s) ? 1.0F : 0.0F;
  o[9] = static_cast<float>(scenario_.speed_limit / 30.0);
  const double ahead[] = {10.0, 20.0, 40.0, 60.0, 80.0};
  // The segment of every preview point when one holds them all (the usual case): looked up once.
  const std::size_t first = road.SegmentIndex(ego_frenet_.s + ahead[0]);
  const bool one_segment = first == road.SegmentIndex(ego_frenet_.s + ahead[4]);
  for (int i = 0; i < 5; ++i) {
    const double at = ego_frenet_.s + ahead[i];
    const Frenet centre{at, road.LaneCenter(std::max(lane, 0))};
    const Pose p = one_segment ? road.ToWorldOn(first, centre) : road.ToWorld(centre);
    const double dx = p.x - ego_.x;
    const double dy = p.y - ego_.y;
    const double curvature = one_segment ? road.segment(first).curvature : road.Curvature(at);
    o[kEgoFeatures + 2 * i] = static_cast<float>(curvature * 100.0);
    o[kEgoFeatures + 2 * i + 1] = static_cast<float>((-s * dx + c * dy) / 10.0);
  }
  // K nearest active vehicles by distance (K is small), ordered as pairs of (distance, index)
  // would be. Left uninitialised: only the first `count` are read.
  struct Near {
    double distance;
    int index;
    bool operator<(const Near& other) const {
      return distance < other.distance || (!(other.distance < distance) && index < other.index);
    }
  };
  const auto& vehicles = traffic_->vehicles();
  const int k = options_.nearest_vehicles;
  Near nearest[32];
  int count = 0;
  for (std::size_t i = 0; i < vehicles.size(); ++i) {
    const TrafficVehicle& v = vehicles[i];
    if (!v.active || std::abs(v.s - ego_frenet_.s) > 150.0) continue;
    const double distance = std::abs(v.s - ego_frenet_.s) + std::abs(v.d - ego_frenet_.d);
    // Kept sorted: a vehicle nearer than the K-th moves in at its place.
    const Near candidate{distance, static_cast<int>(i)};
    if (count == k && (k == 0 || !(candidate < nearest[k - 1]))) continue;
    int at = count < k ? count++ : k - 1;
    for (; at > 0 && candidate < nearest[at - 1]; --at) nearest[at] = nearest[at - 1];
    nearest[at] = candidate;
  }
  for (int j = 0; j < count; ++j) {
    const TrafficVehicle& v = vehicles[nearest[j].index];
    const OrientedBox b = traffic_->Box(v);
    const double dx = b.centre.x - ego_.x;
    const double dy = b.centre.y - ego_.y;
    // A vehicle driving straight along a straight road heads exactly 0: cos 1, sin 0.
    const bool straight = b.centre.heading == 0.0 && !std::signbit(b.centre.heading);
    const double vc = straight ? 1.0 : std::cos(b.centre.heading);
    const double vs = straight ? 0.0 : std::sin(b.centre.heading);
    const double vx = v.speed * vc - ego_.speed * c;
    const double vy = v.speed * vs - ego_.speed * s;
    float* f = o + kEgoFeatures + kPreviewFeatures + kVehicleFeatures * j;
    const auto position = DividePair(c * dx + s * dy, 50.0, -s * dx + c * dy, 10.0);
    const auto velocity = DividePair(c * vx + s * vy, 30.0, -s * vx + c * vy, 10.0);
    f[0] = 1.0F;
    f[1] = static_cast<float>(position[0]);
    f[2] = static_cast<float>(position[1]);
    f[3] = static_cast<float>(velocity[0]);
    f[4] = static_cast<float>(velocity[1]);
    f[5] = static_cast<float>(WrapAngle(b.centre.heading - ego_.heading));
    f[6] = static_cast<float>(v.length / 10.0);
  }
  // What the expert's IDM sees: the leader in each lane, and where the ego lane ends.
  float* l = o + kEgoFeatures + kPreviewFeatures + kVehicleFeatures * k;
  const double length = options_.ego.length;
  const int lanes[] = {lane, lane + 1, lane - 1};
  for (int j = 0; j < 3; ++j) {
    float* f = l + 3 * j;
    if (!road.LaneExists(lanes[j], ego_frenet_.s)) continue;
    const auto leader = traffic_->LeaderOf(lanes[j], ego_frenet_.s, length, -1);
    if (!leader || leader->first.gap > 150.0) continue;
    const auto features = DividePair(std::min(leader->first.gap, 150.0), 100.0,
                                     leader->first.speed - ego_.speed, 30.0);
    f[0] = 1.0F;
    f[1] = static_cast<float>(features[0]);
    f[2] = static_cast<float>(features[1]);
  }
  // Where the ego lane ends: follow its pieces (a lane may be built from several) from the
  // ego's s; O(lanes) per piece, and roads have a handful.
  double end = ego_frenet_.s;
  for (bool extended = true; extended && end - ego_frenet_.s < 150.0;) {
    extended = false;
    for (const Lane& piece : road.lanes()) {
      if (piece.index == lane && piece.s_begin <= end + 1e-6 && piece.s_end > end) {
        end = piece.s_end;
        extended = true;
      }
    }
  }
  l[9] = static_cast<float>(std::min(end - ego_frenet_.s, 150.0) / 150.0);
}

}  // namespace tarmac::envs
