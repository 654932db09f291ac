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

TrafficVehicle RandomVehicle(Draw& draw, const Road& road, double s, int lane, Range desired_speed,
                             double start_speed) {
  TrafficVehicle v;
  v.s = s;
  v.lane = lane;
  v.d = road.LaneCenter(lane);
  v.idm.desired_speed = draw.In(desired_speed);
  v.idm.time_headway = draw.In(1.0, 2.0);
  v.idm.max_accel = draw.In(1.0, 2.0);
  v.idm.comfort_decel = draw.In(2.5, 3.5);
  v.idm.min_gap = draw.In(1.5, 3.0);
  v.length = draw.In(4.2, 5.2);
  v.width = draw.In(1.75, 2.0);
  v.speed = std::min(v.idm.desired_speed, start_speed);
  return v;
}

// Fills `lanes` with traffic at `density` vehicles/km/lane, keeping clear of the ego.
void Populate(Draw& draw, const Road& road, const std::vector<int>& lanes, double density,
              Range desired_speed, double ego_s, int ego_lane, double ego_speed,
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
            RandomVehicle(draw, road, s, lane, desired_speed, ego_speed + draw.In(-3.0, 3.0)));
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
  return absl::OkStatus();
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
  Populate(draw, sc.road, lanes, density, traffic_speed, sc.ego_s, sc.ego_lane, ego_speed,
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
    TrafficVehicle cutter = RandomVehicle(draw, sc.road, cutter_s, from_lane,
                                          {cutter_speed, cutter_speed}, cutter_speed);
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
    TrafficVehicle lead = RandomVehicle(draw, sc.road, sc.ego_s + gap + 5.0, sc.ego_lane,
                                        {ego_speed, ego_speed}, ego_speed);
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
        RandomVehicle(draw, sc.road, sc.ego_s + distance, sc.ego_lane, {0.01, 0.01}, 0.0);
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

}  // namespace tarmac::envs
