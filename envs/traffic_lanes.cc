// Traffic's lanes: the per-lane entries sorted by s (built, kept from step to step, the ego's
// moved) and the queries on them (leaders, followers, neighbours, the broad phase).
#include <algorithm>
#include <cmath>

#include "tarmac/envs/traffic.h"

namespace tarmac::envs {

std::optional<std::pair<int, double>> Traffic::Rearmost(int lane) const {
  if (lane < 0 || lane >= static_cast<int>(lanes_.size()) || lanes_[lane].empty()) {
    return std::nullopt;
  }
  return std::make_pair(lanes_[lane].front().second, lanes_[lane].front().first);
}

Traffic::Lanes Traffic::LanesOf(const TrafficVehicle& v) const {
  Lanes lanes;
  lanes.lane[lanes.count++] = v.lane;
  const int under = road_->NearestLane(v.d);
  if (under != v.lane && under >= 0 && under < static_cast<int>(lanes_.size())) {
    lanes.lane[lanes.count++] = under;
  }
  return lanes;
}

void Traffic::Index() {
  // order_ is as the last rebuild left it, plus the vehicles added since; vehicles rarely pass
  // each other, so insertion sort restores the order by (s, index) in about one pass; each lane
  // then takes its vehicles in order.
  order_.erase(
      std::remove_if(order_.begin(), order_.end(), [&](int i) { return !vehicles_[i].active; }),
      order_.end());
  for (std::size_t j = 1; j < order_.size(); ++j) {
    const int moving = order_[j];
    std::size_t k = j;
    for (; k > 0 && Before(moving, order_[k - 1]); --k) order_[k] = order_[k - 1];
    order_[k] = moving;
  }
  for (auto& lane : lanes_) lane.clear();
  for (int i : order_) {
    const TrafficVehicle& v = vehicles_[i];
    for (int lane : LanesOf(v)) {
      if (lane >= 0 && lane < static_cast<int>(lanes_.size())) lanes_[lane].emplace_back(v.s, i);
    }
  }
  index_current_ = true;
  PlaceEgo();
}

std::pair<int, int> Traffic::EgoLanes() const {
  if (!ego_) return {0, -1};
  // The ego occupies every lane its box reaches across.
  return {std::max(road_->NearestLane(ego_->d - 0.5 * ego_->width), 0),
          std::min(road_->NearestLane(ego_->d + 0.5 * ego_->width),
                   static_cast<int>(lanes_.size()) - 1)};
}

void Traffic::PlaceEgo() {
  // (s, -1) sorts before a vehicle at s.
  for (int lane = ego_lanes_.first; lane <= ego_lanes_.second; ++lane) {
    InsertEntry(lane, {ego_->s, -1});
  }
}

bool Traffic::Before(int a, int b) const {
  return vehicles_[a].s < vehicles_[b].s || (vehicles_[a].s == vehicles_[b].s && a < b);
}

void Traffic::InsertEntry(int lane, std::pair<double, int> entry) {
  if (lane < 0 || lane >= static_cast<int>(lanes_.size())) return;
  auto& entries = lanes_[lane];
  entries.insert(std::upper_bound(entries.begin(), entries.end(), entry), entry);
}

std::optional<std::pair<Leader, int>> Traffic::LeaderOf(int lane, double s, double length,
                                                        int self) const {
  if (lane < 0 || lane >= static_cast<int>(lanes_.size())) return std::nullopt;
  const auto& entries = lanes_[lane];
  auto it = std::upper_bound(entries.begin(), entries.end(), std::make_pair(s, self));
  for (; it != entries.end(); ++it) {
    if (it->second == self && self >= 0) continue;
    const double gap = it->first - s - 0.5 * (Length(it->second) + length);
    return std::make_pair(Leader{gap, Speed(it->second)}, it->second);
  }
  return std::nullopt;
}

std::optional<std::pair<int, double>> Traffic::FollowerOf(int lane, double s, int self) const {
  if (lane < 0 || lane >= static_cast<int>(lanes_.size())) return std::nullopt;
  const auto& entries = lanes_[lane];
  auto it = std::lower_bound(entries.begin(), entries.end(), std::make_pair(s, -2));
  while (it != entries.begin()) {
    --it;
    if (it->second != self) return std::make_pair(it->second, it->first);
  }
  return std::nullopt;
}

Traffic::Neighbours Traffic::NeighboursOf(int lane, double s, double length, int self) const {
  Neighbours around;
  if (lane < 0 || lane >= static_cast<int>(lanes_.size())) return around;
  const auto& entries = lanes_[lane];
  // The first entry at or past s (FollowerOf's search): the follower is the one before it, and
  // that follower's leader (the entry after the follower's) is this one.
  const auto first = std::lower_bound(entries.begin(), entries.end(), std::make_pair(s, -2));
  if (first != entries.begin()) {
    const auto& [follower_s, f] = *(first - 1);
    around.follower = std::make_pair(f, follower_s);
    if (first != entries.end()) {
      const double gap = first->first - follower_s - 0.5 * (Length(first->second) + Length(f));
      around.follower_leader = Leader{gap, Speed(first->second)};
    }
  }
  // LeaderOf's upper bound of (s, self), found onwards from `first`: the entries before it are
  // behind s.
  const std::pair<double, int> key(s, self);
  auto it = first;
  while (it != entries.end() && !(key < *it)) ++it;
  for (; it != entries.end(); ++it) {
    if (it->second == self && self >= 0) continue;
    const double gap = it->first - s - 0.5 * (Length(it->second) + length);
    around.leader = std::make_pair(Leader{gap, Speed(it->second)}, it->second);
    break;
  }
  return around;
}

void Traffic::Reindex() {
  // Each lane keeps its vehicles: their new s, the ego's entry moved to its new s where it
  // still occupies the lane (dropped where it left it, added where it entered), and the order
  // restored by insertion sort (vehicles rarely pass one another within a step). The entries
  // are distinct pairs, so the sorted lanes are exactly what Index would build. order_ is left
  // as it was, still every active vehicle, and Index sorts it when it next runs.
  const auto [ego_low, ego_high] = ego_lanes_;
  for (int lane = 0; lane < static_cast<int>(lanes_.size()); ++lane) {
    auto& entries = lanes_[lane];
    const bool ego_here = ego_low <= lane && lane <= ego_high;
    bool ego_placed = false;
    std::size_t kept = 0;
    for (const auto& [s, i] : entries) {  // s: where the entry was
      if (i >= 0) {
        entries[kept++] = {vehicles_[i].s, i};
      } else if (ego_here && !ego_placed) {
        entries[kept++] = {ego_->s, -1};
        ego_placed = true;
      }
    }
    entries.resize(kept);
    if (ego_here && !ego_placed) entries.emplace_back(ego_->s, -1);
    for (std::size_t j = 1; j < entries.size(); ++j) {
      const std::pair<double, int> moving = entries[j];
      std::size_t k = j;
      for (; k > 0 && moving < entries[k - 1]; --k) entries[k] = entries[k - 1];
      entries[k] = moving;
    }
  }
}

void Traffic::MoveEgo() {
  // Per lane, the ego's entry slides to its new place among entries that stay sorted: the same
  // lanes as removing it and inserting it again, without moving the others twice.
  const auto [ego_low, ego_high] = ego_lanes_;
  for (int lane = 0; lane < static_cast<int>(lanes_.size()); ++lane) {
    auto& entries = lanes_[lane];
    const bool ego_here = ego_low <= lane && lane <= ego_high;
    const auto old =
        std::find_if(entries.begin(), entries.end(), [](const auto& e) { return e.second < 0; });
    if (old == entries.end()) {
      if (ego_here) InsertEntry(lane, {ego_->s, -1});
      continue;
    }
    if (!ego_here) {
      entries.erase(old);
      continue;
    }
    const std::pair<double, int> moved(ego_->s, -1);
    auto at = old;
    for (; at != entries.begin() && moved < *(at - 1); --at) *at = *(at - 1);
    for (; at + 1 != entries.end() && *(at + 1) < moved; ++at) *at = *(at + 1);
    *at = moved;
  }
}

OrientedBox Traffic::Box(const TrafficVehicle& v) const {
  Pose pose = road_->ToWorld({v.s, v.d});
  // atan2(+-0, x > 0) is +-0: no call for a vehicle keeping its lane.
  pose.heading += v.lateral_speed == 0.0 ? std::copysign(0.0, v.lateral_speed)
                                         : std::atan2(v.lateral_speed, std::max(v.speed, 0.1));
  return {pose, v.length, v.width};
}

std::vector<int> Traffic::Overlapping(const OrientedBox& box, Frenet at) const {
  std::vector<int> ids;
  Overlapping(box, at, &ids);
  return ids;
}

void Traffic::Overlapping(const OrientedBox& box, Frenet at, std::vector<int>* out) const {
  std::vector<int>& ids = *out;
  ids.clear();
  const int centre = road_->NearestLane(at.d);
  const double reach = box.length + 25.0;  // longer than any vehicle: the broad phase window
  for (int lane = std::max(centre - 1, 0);
       lane <= std::min(centre + 1, static_cast<int>(lanes_.size()) - 1); ++lane) {
    const auto& entries = lanes_[lane];
    auto it = std::lower_bound(entries.begin(), entries.end(), std::make_pair(at.s - reach, -2));
    for (; it != entries.end() && it->first <= at.s + reach; ++it) {
      if (it->second < 0) continue;
      const TrafficVehicle& v = vehicles_[it->second];
      if (!v.active || std::find(ids.begin(), ids.end(), v.id) != ids.end()) continue;
      if (Overlap(box, Box(v))) ids.push_back(v.id);
    }
  }
}

}  // namespace tarmac::envs
