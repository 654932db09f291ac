#include "tarmac/envs/scenario_record.h"

#include "absl/strings/str_cat.h"

namespace tarmac::envs {
namespace {

schemas::ScenarioAgent AgentRecord(const TrafficVehicle& v) {
  schemas::ScenarioAgent a;
  a.s = v.s;
  a.d = v.d;
  a.lane = v.lane;
  a.speed = v.speed;
  a.length = v.length;
  a.width = v.width;
  a.desired_speed = v.idm.desired_speed;
  a.time_headway = v.idm.time_headway;
  a.min_gap = v.idm.min_gap;
  a.max_accel = v.idm.max_accel;
  a.comfort_decel = v.idm.comfort_decel;
  a.exponent = v.idm.exponent;
  a.politeness = v.mobil.politeness;
  a.threshold = v.mobil.threshold;
  a.max_safe_decel = v.mobil.max_safe_decel;
  a.reaction = v.reaction;
  a.lane_changes = v.lane_changes;
  a.has_constant_accel = v.forced_accel.has_value();
  a.constant_accel = v.forced_accel.value_or(0.0);
  a.profile = v.profile;
  a.track = v.track;
  return a;
}

TrafficVehicle AgentFrom(const schemas::ScenarioAgent& a) {
  TrafficVehicle v;
  v.s = a.s;
  v.d = a.d;
  v.lane = a.lane;
  v.speed = a.speed;
  v.length = a.length;
  v.width = a.width;
  v.idm = {a.desired_speed, a.time_headway, a.min_gap, a.max_accel, a.comfort_decel, a.exponent};
  v.mobil = {a.politeness, a.threshold, a.max_safe_decel};
  v.reaction = a.reaction;
  v.lane_changes = a.lane_changes;
  if (a.has_constant_accel) v.forced_accel = a.constant_accel;
  v.profile = a.profile;
  v.track = a.track;
  return v;
}

schemas::ScenarioTrack TrackRecord(const std::vector<TrackPoint>& points, bool reactive) {
  schemas::ScenarioTrack t;
  t.reactive = reactive;
  for (const TrackPoint& p : points) {
    t.t.push_back(p.t);
    t.s.push_back(p.s);
    t.d.push_back(p.d);
    t.speed.push_back(p.speed);
  }
  return t;
}

std::vector<TrackPoint> TrackFrom(const schemas::ScenarioTrack& t) {
  std::vector<TrackPoint> points;
  for (std::size_t k = 0; k < t.t.size(); ++k)
    points.push_back({t.t[k], t.s[k], t.d[k], t.speed[k]});
  return points;
}

}  // namespace

schemas::ScenarioRecord ScenarioToRecord(const Scenario& sc) {
  schemas::ScenarioRecord r;
  r.name = sc.name;
  r.family = std::string(FamilyName(sc.family));
  r.seed = sc.seed;
  r.dt = sc.dt;
  r.steps = sc.max_steps;
  r.speed_limit = sc.speed_limit;
  r.parameters = sc.parameters;
  r.lane_width = sc.road.lane_width();
  const Pose start = sc.road.start();
  r.start_x = start.x;
  r.start_y = start.y;
  r.start_heading = start.heading;
  for (std::size_t i = 0; i < sc.road.segment_count(); ++i) {
    r.segments.push_back({sc.road.segment(i).length, sc.road.segment(i).curvature});
  }
  for (const Lane& lane : sc.road.lanes())
    r.lanes.push_back({lane.index, lane.s_begin, lane.s_end});
  r.ego_x = sc.ego.x;
  r.ego_y = sc.ego.y;
  r.ego_heading = sc.ego.heading;
  r.ego_speed = sc.ego.speed;
  r.ego_s = sc.ego_s;
  r.ego_lane = sc.ego_lane;
  r.entry_rate = sc.entry_rate;
  r.entry_speed_min = sc.entry_speed.min;
  r.entry_speed_max = sc.entry_speed.max;
  r.entry_lanes.assign(sc.entry_lanes.begin(), sc.entry_lanes.end());
  for (const TrafficVehicle& v : sc.traffic) r.agents.push_back(AgentRecord(v));
  for (const TrafficVehicle& v : sc.logged) r.logged.push_back(AgentRecord(v));
  for (const Script& s : sc.scripts) {
    r.manoeuvres.push_back({static_cast<std::uint8_t>(s.kind == Script::Kind::kBrake ? 0 : 1),
                            s.vehicle, s.start_time, s.decel, s.trigger_gap, s.target_lane});
  }
  for (const LoggedTrack& track : sc.tracks) {
    r.tracks.push_back(TrackRecord(track.points, track.reactive));
  }
  r.ego_track = TrackRecord(sc.ego_track, false);
  return r;
}

absl::StatusOr<Scenario> ScenarioFromRecord(const schemas::ScenarioRecord& r) {
  const auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("scenario '", r.name, "': ", what));
  };
  Scenario sc;
  sc.name = r.name;
  absl::StatusOr<ScenarioFamily> family = ParseFamily(r.family);
  if (!family.ok()) return bad(family.status().message());
  sc.family = *family;
  sc.seed = r.seed;
  sc.dt = r.dt;
  sc.max_steps = r.steps;
  sc.speed_limit = r.speed_limit;
  sc.parameters = r.parameters;
  std::vector<RoadSegment> segments;
  for (const auto& [length, curvature] : r.segments) segments.push_back({length, curvature});
  std::vector<Lane> lanes;
  for (const schemas::ScenarioLane& l : r.lanes) lanes.push_back({l.index, l.from, l.to});
  absl::StatusOr<Road> road = Road::Build({r.start_x, r.start_y, r.start_heading},
                                          std::move(segments), std::move(lanes), r.lane_width);
  if (!road.ok()) return bad(absl::StrCat("road ", road.status().message()));
  sc.road = *std::move(road);
  sc.ego.x = r.ego_x;
  sc.ego.y = r.ego_y;
  sc.ego.heading = r.ego_heading;
  sc.ego.speed = r.ego_speed;
  sc.ego_s = r.ego_s;
  sc.ego_lane = r.ego_lane;
  sc.entry_rate = r.entry_rate;
  sc.entry_speed = {r.entry_speed_min, r.entry_speed_max};
  sc.entry_lanes.assign(r.entry_lanes.begin(), r.entry_lanes.end());
  for (const schemas::ScenarioAgent& a : r.agents) sc.traffic.push_back(AgentFrom(a));
  for (const schemas::ScenarioAgent& a : r.logged) sc.logged.push_back(AgentFrom(a));
  for (const schemas::ScenarioManoeuvre& m : r.manoeuvres) {
    Script s;
    s.kind = m.kind == 0 ? Script::Kind::kBrake : Script::Kind::kCutIn;
    s.vehicle = m.agent;
    s.start_time = m.start_time;
    s.decel = m.decel;
    s.trigger_gap = m.trigger_gap;
    s.target_lane = m.target_lane;
    sc.scripts.push_back(s);
  }
  for (const schemas::ScenarioTrack& t : r.tracks) {
    sc.tracks.push_back({TrackFrom(t), t.reactive});
  }
  sc.ego_track = TrackFrom(r.ego_track);
  if (absl::Status s = CheckScenario(sc); !s.ok()) return bad(s.message());
  return sc;
}

}  // namespace tarmac::envs
