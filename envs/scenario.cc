#include "tarmac/envs/scenario.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::envs {
namespace {

// Uniform draws from the raw 64-bit stream: identical on every standard library (unlike
// std::uniform_real_distribution).
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  double Unit() { return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0); }
  double In(Range r) { return r.min + (r.max - r.min) * Unit(); }
  double In(double lo, double hi) { return lo + (hi - lo) * Unit(); }
  bool Coin() { return (rng_() >> 63) != 0; }

 private:
  std::mt19937_64 rng_;
};

// The drivers of a scenario's traffic: each vehicle's profile drawn from the population with
// its own stream, so that a population never shifts any other draw of the scenario.
class Drivers {
 public:
  Drivers(const std::vector<PopulationShare>& population, std::uint64_t seed)
      : population_(population), pick_(seed ^ 0xD21E5ULL) {
    for (const PopulationShare& share : population) total_ += share.weight;
  }

  // A traffic vehicle at (s, lane) wanting a speed drawn from `desired_speed`, starting at
  // `start_speed` at most. A scripted vehicle (`scripted`) is always a normal driver.
  TrafficVehicle Vehicle(Draw& draw, const Road& road, double s, int lane, Range desired_speed,
                         double start_speed, bool scripted = false) {
    const DriverProfile& p = scripted || population_.empty() ? Normal() : Pick();
    TrafficVehicle v;
    v.s = s;
    v.lane = lane;
    v.d = road.LaneCenter(lane);
    v.idm.desired_speed = draw.In(desired_speed);
    v.idm.time_headway = draw.In(p.time_headway);
    v.idm.max_accel = draw.In(p.max_accel);
    v.idm.comfort_decel = draw.In(p.comfort_decel);
    v.idm.min_gap = draw.In(p.min_gap);
    v.length = draw.In(4.2, 5.2);
    v.width = draw.In(1.75, 2.0);
    if (!scripted && !population_.empty()) {
      v.profile = picked_;
      v.idm.desired_speed *= pick_.In(p.speed_factor);
      v.mobil.politeness = pick_.In(p.politeness);
      v.mobil.threshold = pick_.In(p.threshold);
      v.mobil.max_safe_decel = pick_.In(p.max_safe_decel);
      v.reaction = pick_.In(p.reaction);
    }
    v.speed = std::min(v.idm.desired_speed, start_speed);
    return v;
  }

 private:
  static const DriverProfile& Normal() { return BuiltinProfiles().front(); }
  const DriverProfile& Pick() {
    double u = pick_.Unit() * total_;
    picked_ = 0;
    while (picked_ + 1 < static_cast<int>(population_.size()) && u >= population_[picked_].weight) {
      u -= population_[picked_].weight;
      ++picked_;
    }
    return population_[picked_].profile;
  }

  const std::vector<PopulationShare>& population_;
  Draw pick_;
  double total_ = 0.0;
  int picked_ = 0;
};

// Fills `lanes` with traffic at `density` vehicles/km/lane, keeping clear of the ego.
void Populate(Draw& draw, Drivers& drivers, const Road& road, const std::vector<int>& lanes,
              double density, Range desired_speed, double ego_s, int ego_lane, double ego_speed,
              std::vector<TrafficVehicle>* traffic) {
  if (density <= 0.0) return;  // an empty road
  const double mean_spacing = 1000.0 / density;
  // Twice the expected count, so that a reset does not grow the vector step by step.
  traffic->reserve(traffic->size() +
                   lanes.size() * static_cast<std::size_t>(2.0 * road.length() / mean_spacing + 4));
  for (int lane : lanes) {
    double s = draw.In(0.0, mean_spacing);
    while (s < road.length() - 50.0) {
      const double clearance = lane == ego_lane ? 30.0 : 12.0;
      if (road.LaneExists(lane, s) && std::abs(s - ego_s) > clearance) {
        traffic->push_back(
            drivers.Vehicle(draw, road, s, lane, desired_speed, ego_speed + draw.In(-3.0, 3.0)));
      }
      // Gaps at least a car length plus the minimum gap; exponential beyond.
      s += 8.0 + (mean_spacing - 8.0) * -std::log(1.0 - 0.999 * draw.Unit());
    }
  }
}

void ClearAhead(std::vector<TrafficVehicle>* traffic, int lane, double from, double to) {
  traffic->erase(std::remove_if(traffic->begin(), traffic->end(),
                                [&](const TrafficVehicle& v) {
                                  return v.lane == lane && v.s > from && v.s < to;
                                }),
                 traffic->end());
}

}  // namespace

absl::string_view FamilyName(ScenarioFamily family) {
  switch (family) {
    case ScenarioFamily::kHighway:
      return "highway";
    case ScenarioFamily::kDense:
      return "dense";
    case ScenarioFamily::kMerge:
      return "merge";
    case ScenarioFamily::kCutIn:
      return "cut_in";
    case ScenarioFamily::kLeadBrake:
      return "lead_brake";
    case ScenarioFamily::kStalled:
      return "stalled";
    case ScenarioFamily::kCurve:
      return "curve";
  }
  return "unknown";
}

absl::StatusOr<ScenarioFamily> ParseFamily(absl::string_view name) {
  std::vector<absl::string_view> names;
  for (ScenarioFamily f : kAllFamilies) {
    if (FamilyName(f) == name) return f;
    names.push_back(FamilyName(f));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown scenario family '", name, "'; known families are ", absl::StrJoin(names, ", ")));
}

const ScenarioRangeInfo* FindScenarioRange(absl::string_view name) {
  for (const ScenarioRangeInfo& r : kScenarioRanges) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

absl::Status ScenarioConfig::Validate() const {
  for (const ScenarioRangeInfo& n : kScenarioRanges) {
    const Range& range = this->*n.field;
    if (!(range.min <= range.max) || !(range.min >= n.lowest) || !std::isfinite(range.max)) {
      return absl::InvalidArgumentError(absl::StrCat("scenario range ", n.name, " [", range.min,
                                                     ", ", range.max, "] must satisfy ", n.lowest,
                                                     " <= min <= max"));
    }
  }
  if (!(dt > 0 && dt <= 1)) return absl::InvalidArgumentError("scenario dt must be in (0, 1] s");
  if (!(episode_seconds >= dt)) {
    return absl::InvalidArgumentError("scenario episode_seconds must be at least one step");
  }
  if (!(speed_limit > 0)) return absl::InvalidArgumentError("speed_limit must be positive");
  return ValidatePopulation(population);
}

Scenario GenerateScenario(ScenarioFamily family, const ScenarioConfig& config, std::uint64_t seed) {
  // Each family draws from its own stream, so adding a parameter to one family never changes
  // the episodes of another.
  Draw draw(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(family) + 1);
  Scenario sc;
  sc.family = family;
  sc.seed = seed;
  sc.dt = config.dt;
  sc.max_steps = static_cast<int>(std::lround(config.episode_seconds / config.dt));
  sc.speed_limit = config.speed_limit;
  const double w = config.lane_width;
  double ego_speed = draw.In(config.ego_speed);
  const double length = config.ego_speed.max * config.episode_seconds + 500.0;

  std::vector<int> lanes = {0, 1, 2};
  sc.ego_lane = 1;
  sc.ego_s = 60.0;
  double density = draw.In(config.density);
  Range traffic_speed = config.traffic_speed;
  if (family == ScenarioFamily::kCurve) {
    const double radius = draw.In(config.curve_radius);
    sc.parameters.push_back({"curve_radius", radius});
    const double sign = draw.Coin() ? 1.0 : -1.0;
    const double arc = std::min(M_PI / 2, 700.0 / radius) * radius;
    sc.road = *Road::Build({}, {{150.0, 0.0}, {arc, sign / radius}, {length, 0.0}},
                           {{0, 0.0, 1e9}, {1, 0.0, 1e9}}, w);
    lanes = {0, 1};
    sc.ego_lane = draw.Coin() ? 1 : 0;
    density *= 0.5;
  } else if (family == ScenarioFamily::kMerge) {
    const double merge_end = draw.In(config.merge_length);
    sc.parameters.push_back({"merge_length", merge_end});
    sc.road =
        *Road::Build({}, {{length, 0.0}}, {{0, 0.0, merge_end}, {1, 0.0, 1e9}, {2, 0.0, 1e9}}, w);
    lanes = {1, 2};
    sc.ego_lane = 0;
    sc.ego_s = 20.0;
    ego_speed = draw.In(15.0, 22.0);
  } else {
    sc.road = *Road::Build({}, {{length, 0.0}}, {{0, 0.0, 1e9}, {1, 0.0, 1e9}, {2, 0.0, 1e9}}, w);
  }
  if (family == ScenarioFamily::kDense) {
    density = draw.In(config.dense_density);
    sc.parameters.push_back({"dense_density", density});
    traffic_speed = {std::max(config.traffic_speed.min - 8.0, 5.0),
                     std::max(config.traffic_speed.max - 8.0, 6.0)};
  }
  sc.parameters.push_back({"ego_speed", ego_speed});
  if (family != ScenarioFamily::kDense) sc.parameters.push_back({"density", density});
  // The value drawn is recorded (a suite pins the case with it); these families thin it.
  if (family == ScenarioFamily::kCutIn || family == ScenarioFamily::kLeadBrake) density *= 0.5;
  Drivers drivers(config.population, seed);
  Populate(draw, drivers, sc.road, lanes, density, traffic_speed, sc.ego_s, sc.ego_lane, ego_speed,
           &sc.traffic);
  // Vehicles keep entering at the road's start at the rate that sustains the density.
  sc.entry_rate = config.traffic_enters
                      ? density / 1000.0 * 0.5 * (traffic_speed.min + traffic_speed.max)
                      : 0.0;
  sc.entry_speed = traffic_speed;
  sc.entry_lanes = lanes;

  if (family == ScenarioFamily::kCutIn) {
    const double gap = draw.In(config.cut_in_gap);
    const double ttc = draw.In(config.cut_in_ttc);
    sc.parameters.push_back({"cut_in_gap", gap});
    sc.parameters.push_back({"cut_in_ttc", ttc});
    const int from_lane = draw.Coin() ? sc.ego_lane + 1 : sc.ego_lane - 1;
    const double cutter_speed = std::max(ego_speed - gap / ttc, 3.0);
    const double cutter_s = sc.ego_s + gap + 60.0;
    ClearAhead(&sc.traffic, sc.ego_lane, sc.ego_s, sc.ego_s + 250.0);
    ClearAhead(&sc.traffic, from_lane, cutter_s - 30.0, cutter_s + 40.0);
    TrafficVehicle cutter = drivers.Vehicle(draw, sc.road, cutter_s, from_lane,
                                            {cutter_speed, cutter_speed}, cutter_speed, true);
    cutter.lane_changes = false;
    sc.traffic.push_back(cutter);
    Script script;
    script.kind = Script::Kind::kCutIn;
    script.vehicle = static_cast<int>(sc.traffic.size()) - 1;
    script.trigger_gap = gap;
    script.target_lane = sc.ego_lane;
    sc.scripts.push_back(script);
  } else if (family == ScenarioFamily::kLeadBrake) {
    const double gap = draw.In(config.lead_gap);
    sc.parameters.push_back({"lead_gap", gap});
    ClearAhead(&sc.traffic, sc.ego_lane, sc.ego_s, sc.ego_s + gap + 80.0);
    TrafficVehicle lead = drivers.Vehicle(draw, sc.road, sc.ego_s + gap + 5.0, sc.ego_lane,
                                          {ego_speed, ego_speed}, ego_speed, true);
    lead.lane_changes = false;
    sc.traffic.push_back(lead);
    Script script;
    script.kind = Script::Kind::kBrake;
    script.vehicle = static_cast<int>(sc.traffic.size()) - 1;
    script.start_time = draw.In(config.lead_brake_time);
    script.decel = draw.In(config.lead_brake_decel);
    sc.parameters.push_back({"lead_brake_time", script.start_time});
    sc.parameters.push_back({"lead_brake_decel", script.decel});
    sc.scripts.push_back(script);
  } else if (family == ScenarioFamily::kStalled) {
    const double distance = draw.In(config.stalled_distance);
    sc.parameters.push_back({"stalled_distance", distance});
    ClearAhead(&sc.traffic, sc.ego_lane, sc.ego_s + distance - 40.0, sc.ego_s + distance + 15.0);
    TrafficVehicle stalled =
        drivers.Vehicle(draw, sc.road, sc.ego_s + distance, sc.ego_lane, {0.01, 0.01}, 0.0, true);
    stalled.speed = 0.0;
    stalled.forced_accel = 0.0;
    stalled.lane_changes = false;
    sc.traffic.push_back(stalled);
  }

  const Pose start = sc.road.ToWorld({sc.ego_s, sc.road.LaneCenter(sc.ego_lane)});
  sc.ego.x = start.x;
  sc.ego.y = start.y;
  sc.ego.heading = start.heading;
  sc.ego.speed = ego_speed;
  return sc;
}

std::string ScenarioLabel(const Scenario& scenario) {
  return scenario.name.empty() ? std::string(FamilyName(scenario.family)) : scenario.name;
}

namespace {

absl::Status Invalid(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", what));
}

bool Within(double v, double lo, double hi) { return v >= lo && v <= hi; }  // false for NaN

// A lane index some lane of the road has.
bool HasLane(const Road& road, int index) {
  for (const Lane& lane : road.lanes()) {
    if (lane.index == index) return true;
  }
  return false;
}

absl::Status CheckVehicle(const TrafficVehicle& v, const Road& road, const std::string& field) {
  if (!Within(v.s, 0.0, road.length())) {
    return Invalid(field + ".s", absl::StrCat("is ", v.s, " m; it must lie on the road, in [0, ",
                                              road.length(), "]"));
  }
  if (!std::isfinite(v.d) || std::abs(v.d) > 100.0) {
    return Invalid(field + ".d", "must be a lateral offset within 100 m of the reference line");
  }
  if (!HasLane(road, v.lane)) {
    return Invalid(field + ".lane", absl::StrCat("is ", v.lane, ", a lane the road does not have"));
  }
  if (!Within(v.speed, 0.0, 100.0)) {
    return Invalid(field + ".speed", absl::StrCat("is ", v.speed, "; it must be in [0, 100] m/s"));
  }
  if (!Within(v.length, 1.0, 30.0)) {
    return Invalid(field + ".length", "must be in [1, 30] m");
  }
  if (!Within(v.width, 0.5, 4.0)) return Invalid(field + ".width", "must be in [0.5, 4] m");
  const IdmParams& p = v.idm;
  if (!Within(p.desired_speed, 0.01, 100.0) || !Within(p.time_headway, 0.0, 10.0) ||
      !Within(p.min_gap, 0.0, 50.0) || !Within(p.max_accel, 0.1, 10.0) ||
      !Within(p.comfort_decel, 0.1, 10.0) || !Within(p.exponent, 1.0, 10.0)) {
    return Invalid(field + ".driver",
                   "must have v0 in (0, 100] m/s, T in [0, 10] s, s0 in [0, 50] m, a and b in "
                   "[0.1, 10] m/s^2 and delta in [1, 10]");
  }
  if (!Within(v.mobil.politeness, 0.0, 5.0) || !Within(v.mobil.threshold, -5.0, 5.0) ||
      !Within(v.mobil.max_safe_decel, 0.5, 15.0) || !Within(v.reaction, 0.0, 3.0)) {
    return Invalid(field + ".driver",
                   "must have politeness in [0, 5], threshold in [-5, 5] m/s^2, b_safe in "
                   "[0.5, 15] m/s^2 and reaction in [0, 3] s");
  }
  if (v.forced_accel && !Within(*v.forced_accel, -10.0, 10.0)) {
    return Invalid(field + ".constant_accel", "must be in [-10, 10] m/s^2");
  }
  return absl::OkStatus();
}

absl::Status CheckTrack(const LoggedTrack& track, const std::string& field) {
  if (track.points.size() < 2) return Invalid(field, "needs at least two samples");
  for (std::size_t k = 0; k < track.points.size(); ++k) {
    const TrackPoint& p = track.points[k];
    const std::string at = absl::StrCat(field, "[", k, "]");
    if (!Within(p.t, 0.0, 1e6) || (k > 0 && !(p.t > track.points[k - 1].t))) {
      return Invalid(at + ".t", "must be >= 0 and later than the sample before it");
    }
    if (!std::isfinite(p.s) || !std::isfinite(p.d) || std::abs(p.d) > 100.0) {
      return Invalid(at, "must have a finite s and a d within 100 m of the reference line");
    }
    if (!Within(p.speed, 0.0, 100.0)) return Invalid(at + ".speed", "must be in [0, 100] m/s");
  }
  return absl::OkStatus();
}

// Two boxes in the road frame (length along s, width along d) overlapping.
bool Overlapping(double s1, double d1, double l1, double w1, double s2, double d2, double l2,
                 double w2) {
  return std::abs(s1 - s2) < 0.5 * (l1 + l2) && std::abs(d1 - d2) < 0.5 * (w1 + w2);
}

}  // namespace

absl::Status CheckScenario(const Scenario& sc) {
  if (!Within(sc.dt, 1e-3, 1.0)) return Invalid("dt", "must be in (0, 1] s");
  if (!Within(sc.max_steps, 1, 1000000)) return Invalid("steps", "must be from 1 to 1000000");
  if (!Within(sc.speed_limit, 0.1, 100.0)) return Invalid("speed_limit", "must be in (0, 100] m/s");
  const Road& road = sc.road;
  const Frenet ego = road.ToFrenet(sc.ego.x, sc.ego.y);
  if (!std::isfinite(ego.s) || !std::isfinite(ego.d) || !road.OnRoad(ego)) {
    return Invalid("ego", "must start on a lane of the road");
  }
  if (!Within(sc.ego.speed, 0.0, 60.0)) return Invalid("ego.speed", "must be in [0, 60] m/s");
  if (!Within(sc.entry_rate, 0.0, 10.0)) {
    return Invalid("traffic.rate", "must be in [0, 10] vehicles per second per lane");
  }
  if (!Within(sc.entry_speed.min, 0.0, 100.0) ||
      !Within(sc.entry_speed.max, sc.entry_speed.min, 100.0)) {
    return Invalid("traffic.speed", "must be [min, max] with 0 <= min <= max <= 100 m/s");
  }
  for (int lane : sc.entry_lanes) {
    if (!HasLane(road, lane)) {
      return Invalid("traffic.lanes", absl::StrCat("names lane ", lane, ", which the road lacks"));
    }
  }
  for (std::size_t i = 0; i < sc.traffic.size(); ++i) {
    if (absl::Status s = CheckVehicle(sc.traffic[i], road, absl::StrCat("agents[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  for (const Script& script : sc.scripts) {
    if (!Within(script.vehicle, 0, static_cast<int>(sc.traffic.size()) - 1)) {
      return Invalid("a manoeuvre", absl::StrCat("names agent ", script.vehicle,
                                                 ", which the scenario does not have"));
    }
    const std::string field = absl::StrCat("agents[", script.vehicle, "].manoeuvres");
    if (script.kind == Script::Kind::kBrake &&
        (!Within(script.start_time, 0.0, 1e6) || !Within(script.decel, 0.01, 15.0))) {
      return Invalid(field, "has a brake whose at must be >= 0 s and decel in (0, 15] m/s^2");
    }
    if (script.kind == Script::Kind::kCutIn &&
        (!Within(script.trigger_gap, 0.1, 500.0) || !HasLane(road, script.target_lane))) {
      return Invalid(field, "has a cut_in whose gap must be in (0, 500] m and lane on the road");
    }
  }
  for (std::size_t i = 0; i < sc.logged.size(); ++i) {
    const std::string field = absl::StrCat("logged_agents[", i, "]");
    const TrafficVehicle& v = sc.logged[i];
    if (!Within(v.track, 0, static_cast<int>(sc.tracks.size()) - 1)) {
      return Invalid(field + ".track", "names no track of the scenario");
    }
    if (absl::Status s = CheckTrack(sc.tracks[static_cast<std::size_t>(v.track)], field + ".track");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckVehicle(v, road, field); !s.ok()) return s;
  }
  if (!sc.ego_track.empty()) {
    if (absl::Status s = CheckTrack({sc.ego_track, false}, "ego.track"); !s.ok()) return s;
  }
  // Nothing overlaps at t = 0: agents, logged agents present then, and the ego.
  struct Box {
    std::string name;
    double s, d, length, width;
  };
  const VehicleParams car = VehicleParams::Car();
  std::vector<Box> boxes = {{"the ego", ego.s, ego.d, car.length, car.width}};
  for (std::size_t i = 0; i < sc.traffic.size(); ++i) {
    const TrafficVehicle& v = sc.traffic[i];
    boxes.push_back({absl::StrCat("agents[", i, "]"), v.s, v.d, v.length, v.width});
  }
  for (std::size_t i = 0; i < sc.logged.size(); ++i) {
    const TrafficVehicle& v = sc.logged[i];
    const TrackPoint& first = sc.tracks[static_cast<std::size_t>(v.track)].points.front();
    if (first.t > 1e-9) continue;
    boxes.push_back({absl::StrCat("logged_agents[", i, "]"), first.s, first.d, v.length, v.width});
  }
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    for (std::size_t j = i + 1; j < boxes.size(); ++j) {
      const Box& a = boxes[i];
      const Box& b = boxes[j];
      if (Overlapping(a.s, a.d, a.length, a.width, b.s, b.d, b.length, b.width)) {
        return absl::InvalidArgumentError(absl::StrCat(b.name, " overlaps ", a.name,
                                                       " at t = 0 (s ", b.s, " vs ", a.s,
                                                       " m); move one of them apart"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tarmac::envs
