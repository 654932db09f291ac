#ifndef TARMAC_ENVS_ROAD_H_
#define TARMAC_ENVS_ROAD_H_

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"

namespace tarmac::envs {

// A point in the road's Frenet frame: arc length along the reference line and signed lateral
// offset (left positive). The reference line is the centre of lane 0, the rightmost lane.
struct Frenet {
  double s = 0.0;
  double d = 0.0;
};

// std::lround into an int (halves away from zero; saturating, NaN gives INT_MIN), inline: the
// lane under a lateral offset is asked for many times per step, and lround is a library call.
inline int RoundToInt(double x) {
  if (!(std::abs(x) < 2147483647.0)) {
    return x > 0 ? std::numeric_limits<int>::max() : std::numeric_limits<int>::min();
  }
  int t = static_cast<int>(x);  // towards zero; x - t is exact
  const double frac = x - t;
  if (frac >= 0.5) ++t;
  if (frac <= -0.5) --t;
  return t;
}

// std::remainder(x, 2 pi): the angle in [-pi, pi]. Where |x| <= pi the quotient rounds to 0
// (0.5 ties to even), so remainder returns x itself: that case, the usual one, needs no call.
inline double WrapAngle(double x) {
  return std::abs(x) <= M_PI ? x : std::remainder(x, 2.0 * M_PI);
}

struct Pose {
  double x = 0.0;
  double y = 0.0;
  double heading = 0.0;
};

// A piece of the reference line: straight (curvature 0) or a constant-curvature arc
// (curvature > 0 turns left).
struct RoadSegment {
  double length = 0.0;
  double curvature = 0.0;
};

// A lane: its centre is `index * lane_width` left of the reference line; it exists for
// s in [s_begin, s_end) (a merge lane ends, an on-ramp begins).
struct Lane {
  int index = 0;
  double s_begin = 0.0;
  double s_end = 0.0;
};

// A multi-lane road from straight and constant-curvature segments, with Frenet conversion both
// ways and a drivable-area test. Immutable after Build; thread-safe to read.
// Costs: ToWorld O(log segments); ToFrenet O(segments) (roads have a handful).
class Road {
 public:
  // InvalidArgument for an empty road, a non-positive segment length, a curvature whose radius
  // is smaller than the road is wide, or lanes outside the road.
  static absl::StatusOr<Road> Build(Pose start, std::vector<RoadSegment> segments,
                                    std::vector<Lane> lanes, double lane_width = 3.6);

  // A straight road of `lanes` full-length lanes starting at the origin heading +x.
  static Road Straight(double length, int lanes, double lane_width = 3.6);

  double length() const { return length_; }
  double lane_width() const { return lane_width_; }
  // The world pose where the reference line begins.
  Pose start() const { return segments_.front().start; }
  const std::vector<Lane>& lanes() const { return lanes_; }

  // The world pose of (s, d): position, and the heading of the reference line at s.
  Pose ToWorld(Frenet f) const;
  // The same on segment `segment`, which the caller knows holds f.s (SegmentIndex(f.s)).
  Pose ToWorldOn(std::size_t segment, Frenet f) const;
  // The closest reference-line point to (x, y), as (s, d). Points before the start or past the
  // end are extrapolated along the first/last segment.
  Frenet ToFrenet(double x, double y) const;

  // Curvature of the reference line at s (1/m).
  double Curvature(double s) const;

  // Segments in order: where each starts (s) and its shape; for scanning a window ahead
  // without sampling it point by point.
  std::size_t segment_count() const { return segments_.size(); }
  // True when no segment curves.
  bool straight() const { return straight_; }
  double segment_start(std::size_t i) const { return segments_[i].s0; }
  const RoadSegment& segment(std::size_t i) const { return segments_[i].segment; }
  // Index of the segment holding s (the first for s < 0, the last past the end).
  std::size_t SegmentIndex(double s) const;
  // Curvature of the path at lateral offset d (a lane further out of a curve curves less).
  double CurvatureAt(double s, double d) const;

  // Lane whose centre is nearest d among lanes present at s; -1 when none is.
  int LaneAt(double s, double d) const;
  bool LaneExists(int index, double s) const;
  double LaneCenter(int index) const { return index * lane_width_; }
  // The index of the lane whose centre is nearest lateral offset d, present or not (may lie
  // outside the road's lanes).
  int NearestLane(double d) const { return RoundToInt(d / lane_width_); }

  // True when (s, d) lies on a lane present at s.
  bool OnRoad(Frenet f) const;
  // True when all four corners of the box (centre pose, length, width) are on the road.
  bool BoxDrivable(const Pose& centre, double length, double width) const;
  // The same answer given also the centre's Frenet coordinates (ToFrenet of it): on a straight
  // road, a box whose reach around `at` lies on lanes present all along it is drivable without
  // projecting its corners (the env asks every step; the corners are projected otherwise).
  bool BoxDrivable(const Pose& centre, Frenet at, double length, double width) const;

 private:
  struct Placed {
    RoadSegment segment;
    double s0 = 0.0;  // arc length at its start
    Pose start;
    // cos and sin of start.heading, and for an arc the centre and the angle of the start seen
    // from it: computed once, the same numbers every query computed before.
    double cos_heading = 1.0;
    double sin_heading = 0.0;
    double centre_x = 0.0;
    double centre_y = 0.0;
    double start_angle = 0.0;
  };
  const Placed& SegmentAt(double s) const;
  // ToWorldOn on a curved segment.
  static Pose ToWorldOnArc(const Placed& p, Frenet f);
  // (t, d) of point (px, py) relative to a segment, unbounded in t.
  static Frenet Project(const Placed& p, double px, double py);

  std::vector<Placed> segments_;
  std::vector<Lane> lanes_;
  double lane_width_ = 3.6;
  double length_ = 0.0;
  bool straight_ = true;
};

// What the curves ahead allow a vehicle at (s, d) driving at `speed`: inside a curve the speed
// sqrt(lateral_accel / kappa) caps its desired speed; before one, it must decelerate at
// `accel_cap` (negative, or +inf when no curve binds) to reach that speed at the curve's start,
// the most demanding point of a constant-curvature segment. Scans the segments within
// speed^2 / (2 * decel) + 20 m. O(segments ahead).
struct CurveLimit {
  double speed_cap = 0.0;  // +inf outside curves
  double accel_cap = 0.0;  // +inf when no curve ahead binds
};
CurveLimit CurveLimitAhead(const Road& road, double s, double d, double speed, double lateral_accel,
                           double decel);

// Inline: a step places some twenty points on the road, and the straight case is a few
// multiplications (the same as Advance's, in the same order).
inline Pose Road::ToWorldOn(std::size_t segment, Frenet f) const {
  const Placed& p = segments_[segment];
  if (p.segment.curvature != 0.0) return ToWorldOnArc(p, f);
  const double t = f.s - p.s0;
  const double x = p.start.x + t * p.cos_heading;
  const double y = p.start.y + t * p.sin_heading;
  return {x - f.d * p.sin_heading, y + f.d * p.cos_heading, p.start.heading};
}

// The four corners of a box centred at `centre`, counter-clockwise from front-right.
std::array<std::array<double, 2>, 4> BoxCorners(const Pose& centre, double length, double width);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_ROAD_H_
