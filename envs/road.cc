#include "tarmac/envs/road.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tarmac::envs {
namespace {

// Pose at arc length t along a segment that starts at `start`, whose heading has cosine `c` and
// sine `sn`.
Pose Advance(const Pose& start, double c, double sn, const RoadSegment& seg, double t) {
  if (seg.curvature == 0.0) return {start.x + t * c, start.y + t * sn, start.heading};
  const double k = seg.curvature;
  const double h = start.heading + k * t;
  return {start.x + (std::sin(h) - sn) / k, start.y - (std::cos(h) - c) / k, h};
}

}  // namespace

absl::StatusOr<Road> Road::Build(Pose start, std::vector<RoadSegment> segments,
                                 std::vector<Lane> lanes, double lane_width) {
  if (segments.empty()) return absl::InvalidArgumentError("a road needs at least one segment");
  if (!(lane_width > 1.0 && lane_width < 10.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lane width ", lane_width, " m is outside (1, 10) m"));
  }
  if (lanes.empty()) return absl::InvalidArgumentError("a road needs at least one lane");
  int max_lane = 0;
  for (const Lane& lane : lanes) {
    if (lane.index < 0 || lane.s_begin >= lane.s_end) {
      return absl::InvalidArgumentError(
          absl::StrCat("lane ", lane.index, " must have a non-negative index and s_begin < s_end"));
    }
    max_lane = std::max(max_lane, lane.index);
  }
  const double half_width = (max_lane + 0.5) * lane_width;
  Road road;
  road.lane_width_ = lane_width;
  road.lanes_ = std::move(lanes);
  Pose pose = start;
  double s0 = 0.0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const RoadSegment& seg = segments[i];
    if (!(seg.length > 0.0) || !std::isfinite(seg.length) || !std::isfinite(seg.curvature)) {
      return absl::InvalidArgumentError(
          absl::StrCat("road segment ", i, " needs a positive, finite length"));
    }
    if (std::abs(seg.curvature) * half_width >= 1.0) {
      return absl::InvalidArgumentError(absl::StrCat("road segment ", i, " turns with radius ",
                                                     1.0 / std::abs(seg.curvature),
                                                     " m, tighter than the road is wide"));
    }
    if (std::abs(seg.curvature) * seg.length > M_PI) {
      return absl::InvalidArgumentError(
          absl::StrCat("road segment ", i, " turns more than 180 degrees; split it"));
    }
    Placed placed{seg, s0, pose};
    placed.cos_heading = std::cos(pose.heading);
    placed.sin_heading = std::sin(pose.heading);
    if (seg.curvature != 0.0) {
      placed.centre_x = pose.x - placed.sin_heading / seg.curvature;
      placed.centre_y = pose.y + placed.cos_heading / seg.curvature;
      placed.start_angle = std::atan2(pose.y - placed.centre_y, pose.x - placed.centre_x);
    }
    road.segments_.push_back(placed);
    road.straight_ = road.straight_ && seg.curvature == 0.0;
    pose = Advance(pose, placed.cos_heading, placed.sin_heading, seg, seg.length);
    s0 += seg.length;
  }
  road.length_ = s0;
  for (Lane& lane : road.lanes_) lane.s_end = std::min(lane.s_end, road.length_);
  return road;
}

Road Road::Straight(double length, int lanes, double lane_width) {
  std::vector<Lane> lane_list;
  for (int i = 0; i < lanes; ++i) lane_list.push_back({i, 0.0, length});
  return *Build({}, {{length, 0.0}}, std::move(lane_list), lane_width);
}

const Road::Placed& Road::SegmentAt(double s) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), s,
                             [](double value, const Placed& p) { return value < p.s0; });
  return it == segments_.begin() ? segments_.front() : *std::prev(it);
}

Pose Road::ToWorld(Frenet f) const { return ToWorldOn(SegmentIndex(f.s), f); }

Pose Road::ToWorldOnArc(const Placed& p, Frenet f) {
  const Pose on_line = Advance(p.start, p.cos_heading, p.sin_heading, p.segment, f.s - p.s0);
  return {on_line.x - f.d * std::sin(on_line.heading), on_line.y + f.d * std::cos(on_line.heading),
          on_line.heading};
}

Frenet Road::Project(const Placed& p, double px, double py) {
  if (p.segment.curvature == 0.0) {
    const double dx = px - p.start.x;
    const double dy = py - p.start.y;
    return {dx * p.cos_heading + dy * p.sin_heading, -dx * p.sin_heading + dy * p.cos_heading};
  }
  const double k = p.segment.curvature;
  const double phi = std::atan2(py - p.centre_y, px - p.centre_x);
  const double dphi = WrapAngle(phi - p.start_angle);
  const double r = std::hypot(px - p.centre_x, py - p.centre_y);
  return {dphi / k, 1.0 / k - (k > 0 ? r : -r)};
}

Frenet Road::ToFrenet(double x, double y) const {
  Frenet best{0.0, std::numeric_limits<double>::infinity()};
  constexpr double kSlack = 1e-6;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Placed& p = segments_[i];
    const Frenet local = Project(p, x, y);
    const bool first = i == 0;
    const bool last = i + 1 == segments_.size();
    const bool inside =
        (local.s >= -kSlack || first) && (local.s <= p.segment.length + kSlack || last);
    if (inside && std::abs(local.d) < std::abs(best.d)) best = {p.s0 + local.s, local.d};
  }
  if (std::isinf(best.d)) {  // between segments on the outside of a bend: nearest end
    const Frenet a = Project(segments_.front(), x, y);
    best = {a.s, a.d};
  }
  return best;
}

double Road::Curvature(double s) const { return SegmentAt(s).segment.curvature; }

std::size_t Road::SegmentIndex(double s) const {
  return static_cast<std::size_t>(&SegmentAt(s) - segments_.data());
}

double Road::CurvatureAt(double s, double d) const {
  const double k = Curvature(s);
  return k / (1.0 - k * d);
}

bool Road::LaneExists(int index, double s) const {
  for (const Lane& lane : lanes_) {
    if (lane.index == index && s >= lane.s_begin && s < lane.s_end) return true;
  }
  return false;
}

int Road::LaneAt(double s, double d) const {
  const int index = NearestLane(d);
  if (std::abs(d - index * lane_width_) > 0.5 * lane_width_ + 1e-9) return -1;
  return LaneExists(index, s) ? index : -1;
}

bool Road::OnRoad(Frenet f) const { return LaneAt(f.s, f.d) >= 0; }

bool Road::BoxDrivable(const Pose& centre, double length, double width) const {
  for (const auto& corner : BoxCorners(centre, length, width)) {
    if (!OnRoad(ToFrenet(corner[0], corner[1]))) return false;
  }
  return true;
}

bool Road::BoxDrivable(const Pose& centre, Frenet at, double length, double width) const {
  if (straight_) {
    // Turned by psi against the road, the corners lie within 0.5 (L |sin psi| + W |cos psi|) of
    // `at` across the road and 0.5 (L |cos psi| + W |sin psi|) along it; |sin psi| <= |psi|
    // bounds both without a sine (the margin covers the rounding of corners and projections). A
    // corner is on the road when the lane nearest it is present at its s; rounding is monotone,
    // so the nearest lanes of all corners lie between those of the lateral extremes.
    const double psi = std::abs(WrapAngle(centre.heading - segments_.front().start.heading));
    const double across = 0.5 * (length * psi + width) + 1e-3;
    const double along = 0.5 * (length + width * psi) + 1e-3;
    const int low = NearestLane(at.d - across);
    const int high = NearestLane(at.d + across);
    bool covered = true;
    for (int index = low; index <= high && covered; ++index) {
      covered = false;
      for (const Lane& lane : lanes_) {
        if (lane.index == index && lane.s_begin <= at.s - along && at.s + along < lane.s_end) {
          covered = true;
          break;
        }
      }
    }
    if (covered) return true;
  }
  return BoxDrivable(centre, length, width);
}

CurveLimit CurveLimitAhead(const Road& road, double s, double d, double speed, double lateral_accel,
                           double decel) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  CurveLimit limit{kInf, kInf};
  if (road.straight()) return limit;
  const double lookahead = speed * speed / (2.0 * decel) + 20.0;
  for (std::size_t i = road.SegmentIndex(s); i < road.segment_count(); ++i) {
    const double ahead = std::max(0.0, road.segment_start(i) - s);
    if (ahead > lookahead) break;
    const double k = road.segment(i).curvature;
    if (k == 0.0) continue;
    const double curve_speed_sq = lateral_accel / std::abs(k / (1.0 - k * d));
    if (ahead == 0.0) {
      limit.speed_cap = std::min(limit.speed_cap, std::sqrt(curve_speed_sq));
    } else if (speed * speed > curve_speed_sq) {
      limit.accel_cap = std::min(limit.accel_cap, (curve_speed_sq - speed * speed) / (2.0 * ahead));
    }
  }
  return limit;
}

std::array<std::array<double, 2>, 4> BoxCorners(const Pose& centre, double length, double width) {
  const double c = std::cos(centre.heading);
  const double s = std::sin(centre.heading);
  const double hl = 0.5 * length;
  const double hw = 0.5 * width;
  return {{{centre.x + hl * c + hw * s, centre.y + hl * s - hw * c},
           {centre.x + hl * c - hw * s, centre.y + hl * s + hw * c},
           {centre.x - hl * c - hw * s, centre.y - hl * s + hw * c},
           {centre.x - hl * c + hw * s, centre.y - hl * s - hw * c}}};
}

}  // namespace tarmac::envs
