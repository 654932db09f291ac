#include "tarmac/cli/scenario_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/envs/scenario_record.h"
#include "tarmac/util/number_text.h"

namespace tarmac::cli {
namespace {

using envs::Scenario;
using envs::TrafficVehicle;

absl::Status Bad(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", what));
}

std::string Child(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// OK when `node` is a mapping whose keys are all in `known`.
absl::Status CheckKeys(const YAML::Node& node, const std::string& path,
                       const std::vector<absl::string_view>& known) {
  if (!node.IsMap()) {
    return Bad(path, absl::StrCat("must be a mapping of ", absl::StrJoin(known, ", ")));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Bad(path.empty() ? "the file" : path,
                 absl::StrCat("has an unknown key '", key, "'; the keys are ",
                              absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status AsNumber(const YAML::Node& node, const std::string& field, double* out) {
  bool ok = node.IsScalar();
  if (ok) {
    try {
      *out = node.as<double>();
    } catch (const YAML::Exception&) {
      ok = false;
    }
  }
  if (!ok || !std::isfinite(*out)) return Bad(field, "must be a finite number");
  return absl::OkStatus();
}

// `map[key]` into `out`; a missing key keeps `out` unless `required`.
absl::Status Number(const YAML::Node& map, absl::string_view key, const std::string& path,
                    double* out, bool required = false) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return required ? Bad(Child(path, key), "is missing") : absl::OkStatus();
  return AsNumber(node, Child(path, key), out);
}

absl::Status Integer(const YAML::Node& map, absl::string_view key, const std::string& path,
                     double lo, double hi, std::int64_t* out, bool required = false) {
  double value = static_cast<double>(*out);
  if (absl::Status s = Number(map, key, path, &value, required); !s.ok()) return s;
  if (value != std::floor(value) || value < lo || value > hi) {
    return Bad(Child(path, key), absl::StrCat("must be an integer from ", lo, " to ", hi));
  }
  *out = static_cast<std::int64_t>(value);
  return absl::OkStatus();
}

absl::Status Flag(const YAML::Node& map, absl::string_view key, const std::string& path,
                  bool* out) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return absl::OkStatus();
  try {
    if (node.IsScalar()) {
      *out = node.as<bool>();
      return absl::OkStatus();
    }
  } catch (const YAML::Exception&) {
  }
  return Bad(Child(path, key), "must be true or false");
}

// A list at `map[key]` (missing: empty).
absl::StatusOr<YAML::Node> List(const YAML::Node& map, absl::string_view key,
                                const std::string& path) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return YAML::Node(YAML::NodeType::Sequence);
  if (!node.IsSequence()) return Bad(Child(path, key), "must be a list");
  return node;
}

absl::StatusOr<envs::Road> ParseRoad(const YAML::Node& node) {
  if (absl::Status s = CheckKeys(node, "road", {"lane_width", "start", "segments", "lanes"});
      !s.ok()) {
    return s;
  }
  double lane_width = 3.6;
  if (absl::Status s = Number(node, "lane_width", "road", &lane_width); !s.ok()) return s;
  envs::Pose start;
  if (const YAML::Node p = node["start"]) {
    if (absl::Status s = CheckKeys(p, "road.start", {"x", "y", "heading"}); !s.ok()) return s;
    for (auto [key, field] : {std::pair{"x", &start.x}, std::pair{"y", &start.y},
                              std::pair{"heading", &start.heading}}) {
      if (absl::Status s = Number(p, key, "road.start", field); !s.ok()) return s;
    }
  }
  std::vector<envs::RoadSegment> segments;
  absl::StatusOr<YAML::Node> list = List(node, "segments", "road");
  if (!list.ok()) return list.status();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = absl::StrCat("road.segments[", i, "]");
    const YAML::Node n = (*list)[i];
    if (absl::Status s = CheckKeys(n, path, {"length", "curvature"}); !s.ok()) return s;
    envs::RoadSegment segment;
    if (absl::Status s = Number(n, "length", path, &segment.length, true); !s.ok()) return s;
    if (absl::Status s = Number(n, "curvature", path, &segment.curvature); !s.ok()) return s;
    segments.push_back(segment);
  }
  if (segments.empty()) return Bad("road.segments", "must list at least one segment");
  std::vector<envs::Lane> lanes;
  list = List(node, "lanes", "road");
  if (!list.ok()) return list.status();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = absl::StrCat("road.lanes[", i, "]");
    const YAML::Node n = (*list)[i];
    if (absl::Status s = CheckKeys(n, path, {"index", "from", "to"}); !s.ok()) return s;
    std::int64_t index = 0;
    envs::Lane lane;
    lane.s_end = 1e9;
    if (absl::Status s = Integer(n, "index", path, 0, 15, &index, true); !s.ok()) return s;
    if (absl::Status s = Number(n, "from", path, &lane.s_begin); !s.ok()) return s;
    if (absl::Status s = Number(n, "to", path, &lane.s_end); !s.ok()) return s;
    lane.index = static_cast<int>(index);
    lanes.push_back(lane);
  }
  if (lanes.empty()) return Bad("road.lanes", "must list at least one lane");
  absl::StatusOr<envs::Road> road =
      envs::Road::Build(start, std::move(segments), std::move(lanes), lane_width);
  if (!road.ok()) return Bad("road", road.status().message());
  return road;
}

absl::Status ParseDriver(const YAML::Node& node, const std::string& path, TrafficVehicle* v) {
  if (absl::Status s = CheckKeys(
          node, path,
          {"v0", "T", "s0", "a", "b", "delta", "politeness", "threshold", "b_safe", "reaction"});
      !s.ok()) {
    return s;
  }
  for (auto [key, field] :
       {std::pair{"v0", &v->idm.desired_speed}, std::pair{"T", &v->idm.time_headway},
        std::pair{"s0", &v->idm.min_gap}, std::pair{"a", &v->idm.max_accel},
        std::pair{"b", &v->idm.comfort_decel}, std::pair{"delta", &v->idm.exponent},
        std::pair{"politeness", &v->mobil.politeness}, std::pair{"threshold", &v->mobil.threshold},
        std::pair{"b_safe", &v->mobil.max_safe_decel}, std::pair{"reaction", &v->reaction}}) {
    if (absl::Status s = Number(node, key, path, field); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// What every agent has: size, driver, lane changes.
absl::Status ParseBody(const YAML::Node& node, const std::string& path, TrafficVehicle* v) {
  if (absl::Status s = Number(node, "length", path, &v->length); !s.ok()) return s;
  if (absl::Status s = Number(node, "width", path, &v->width); !s.ok()) return s;
  if (const YAML::Node driver = node["driver"]) {
    if (absl::Status s = ParseDriver(driver, Child(path, "driver"), v); !s.ok()) return s;
  }
  return Flag(node, "lane_changes", path, &v->lane_changes);
}

absl::Status ParseManoeuvres(const YAML::Node& node, const std::string& path, int vehicle,
                             Scenario* sc) {
  absl::StatusOr<YAML::Node> list = List(node, "manoeuvres", path);
  if (!list.ok()) return list.status();
  for (std::size_t j = 0; j < list->size(); ++j) {
    const std::string at = absl::StrCat(path, ".manoeuvres[", j, "]");
    const YAML::Node m = (*list)[j];
    if (absl::Status s = CheckKeys(m, at, {"brake", "cut_in"}); !s.ok()) return s;
    if (m.size() != 1) return Bad(at, "must be one of brake: {at, decel} or cut_in: {gap, lane}");
    envs::Script script;
    script.vehicle = vehicle;
    if (const YAML::Node brake = m["brake"]) {
      const std::string p = at + ".brake";
      if (absl::Status s = CheckKeys(brake, p, {"at", "decel"}); !s.ok()) return s;
      script.kind = envs::Script::Kind::kBrake;
      if (absl::Status s = Number(brake, "at", p, &script.start_time, true); !s.ok()) return s;
      if (absl::Status s = Number(brake, "decel", p, &script.decel, true); !s.ok()) return s;
    } else {
      const YAML::Node cut = m["cut_in"];
      const std::string p = at + ".cut_in";
      if (absl::Status s = CheckKeys(cut, p, {"gap", "lane"}); !s.ok()) return s;
      script.kind = envs::Script::Kind::kCutIn;
      std::int64_t lane = 0;
      if (absl::Status s = Number(cut, "gap", p, &script.trigger_gap, true); !s.ok()) return s;
      if (absl::Status s = Integer(cut, "lane", p, 0, 15, &lane, true); !s.ok()) return s;
      script.target_lane = static_cast<int>(lane);
    }
    sc->scripts.push_back(script);
  }
  return absl::OkStatus();
}

absl::Status ParseAgent(const YAML::Node& node, const std::string& path, Scenario* sc) {
  if (absl::Status s = CheckKeys(node, path,
                                 {"s", "d", "lane", "speed", "length", "width", "driver",
                                  "lane_changes", "constant_accel", "manoeuvres"});
      !s.ok()) {
    return s;
  }
  TrafficVehicle v;
  if (absl::Status s = Number(node, "s", path, &v.s, true); !s.ok()) return s;
  if (absl::Status s = Number(node, "speed", path, &v.speed, true); !s.ok()) return s;
  if (!node["lane"] && !node["d"]) return Bad(path, "needs a lane (or a lateral offset d)");
  std::int64_t lane = -1;
  if (absl::Status s = Integer(node, "lane", path, 0, 15, &lane); !s.ok()) return s;
  v.d = lane >= 0 ? sc->road.LaneCenter(static_cast<int>(lane)) : 0.0;
  if (absl::Status s = Number(node, "d", path, &v.d); !s.ok()) return s;
  v.lane = lane >= 0 ? static_cast<int>(lane) : envs::RoundToInt(v.d / sc->road.lane_width());
  if (absl::Status s = ParseBody(node, path, &v); !s.ok()) return s;
  if (node["constant_accel"]) {
    double accel = 0.0;
    if (absl::Status s = Number(node, "constant_accel", path, &accel); !s.ok()) return s;
    v.forced_accel = accel;
  }
  sc->traffic.push_back(v);
  return ParseManoeuvres(node, path, static_cast<int>(sc->traffic.size()) - 1, sc);
}

// A track: a list of [t, s, d, speed] samples.
absl::Status ParseTrack(const YAML::Node& points, const std::string& path,
                        std::vector<envs::TrackPoint>* out) {
  if (!points || !points.IsSequence()) {
    return Bad(path, "must be a list of [t, s, d, speed] samples");
  }
  for (std::size_t k = 0; k < points.size(); ++k) {
    const std::string at = absl::StrCat(path, "[", k, "]");
    const YAML::Node p = points[k];
    if (!p.IsSequence() || p.size() != 4) return Bad(at, "must be [t, s, d, speed]");
    envs::TrackPoint point;
    double* fields[] = {&point.t, &point.s, &point.d, &point.speed};
    for (std::size_t c = 0; c < 4; ++c) {
      if (absl::Status s = AsNumber(p[c], at, fields[c]); !s.ok()) return s;
    }
    out->push_back(point);
  }
  return absl::OkStatus();
}

absl::Status ParseLoggedAgent(const YAML::Node& node, const std::string& path, Scenario* sc) {
  if (absl::Status s =
          CheckKeys(node, path, {"length", "width", "driver", "lane_changes", "reactive", "track"});
      !s.ok()) {
    return s;
  }
  TrafficVehicle v;
  envs::LoggedTrack track;
  if (absl::Status s = ParseBody(node, path, &v); !s.ok()) return s;
  if (absl::Status s = Flag(node, "reactive", path, &track.reactive); !s.ok()) return s;
  if (absl::Status s = ParseTrack(node["track"], Child(path, "track"), &track.points); !s.ok()) {
    return s;
  }
  if (!track.points.empty()) {
    v.s = track.points.front().s;
    v.d = track.points.front().d;
    v.speed = track.points.front().speed;
    v.lane = std::max(envs::RoundToInt(v.d / sc->road.lane_width()), 0);
  }
  v.track = static_cast<int>(sc->tracks.size());
  sc->tracks.push_back(std::move(track));
  sc->logged.push_back(v);
  return absl::OkStatus();
}

absl::Status ParseTraffic(const YAML::Node& node, Scenario* sc) {
  if (absl::Status s = CheckKeys(node, "traffic", {"rate", "speed", "lanes"}); !s.ok()) return s;
  if (absl::Status s = Number(node, "rate", "traffic", &sc->entry_rate); !s.ok()) return s;
  if (const YAML::Node speed = node["speed"]) {
    if (!speed.IsSequence() || speed.size() != 2) {
      return Bad("traffic.speed", "must be [min, max] in m/s");
    }
    if (absl::Status s = AsNumber(speed[0], "traffic.speed", &sc->entry_speed.min); !s.ok()) {
      return s;
    }
    if (absl::Status s = AsNumber(speed[1], "traffic.speed", &sc->entry_speed.max); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<YAML::Node> lanes = List(node, "lanes", "traffic");
  if (!lanes.ok()) return lanes.status();
  for (std::size_t i = 0; i < lanes->size(); ++i) {
    double lane = 0;
    const std::string at = absl::StrCat("traffic.lanes[", i, "]");
    if (absl::Status s = AsNumber((*lanes)[i], at, &lane); !s.ok()) return s;
    if (lane != std::floor(lane) || lane < 0 || lane > 15) {
      return Bad(at, "must be a lane index from 0 to 15");
    }
    sc->entry_lanes.push_back(static_cast<int>(lane));
  }
  return absl::OkStatus();
}

absl::Status ParseEgo(const YAML::Node& node, Scenario* sc) {
  if (absl::Status s = CheckKeys(node, "ego", {"s", "lane", "d", "speed", "track"}); !s.ok()) {
    return s;
  }
  if (node["track"]) {
    if (absl::Status s = ParseTrack(node["track"], "ego.track", &sc->ego_track); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = Number(node, "s", "ego", &sc->ego_s, true); !s.ok()) return s;
  if (absl::Status s = Number(node, "speed", "ego", &sc->ego.speed, true); !s.ok()) return s;
  if (!node["lane"] && !node["d"]) return Bad("ego", "needs a lane (or a lateral offset d)");
  std::int64_t lane = -1;
  if (absl::Status s = Integer(node, "lane", "ego", 0, 15, &lane); !s.ok()) return s;
  double d = lane >= 0 ? sc->road.LaneCenter(static_cast<int>(lane)) : 0.0;
  if (absl::Status s = Number(node, "d", "ego", &d); !s.ok()) return s;
  sc->ego_lane = lane >= 0 ? static_cast<int>(lane) : envs::RoundToInt(d / sc->road.lane_width());
  const envs::Pose start = sc->road.ToWorld({sc->ego_s, d});
  sc->ego.x = start.x;
  sc->ego.y = start.y;
  sc->ego.heading = start.heading;
  return absl::OkStatus();
}

// Everything but the road, which the rest is placed on.
absl::Status ParseScene(const YAML::Node& root, Scenario* sc) {
  if (const YAML::Node name = root["name"]) {
    if (!name.IsScalar() || name.Scalar().empty()) return Bad("name", "must be a non-empty text");
    sc->name = name.Scalar();
  }
  if (const YAML::Node family = root["family"]) {
    absl::StatusOr<envs::ScenarioFamily> parsed =
        envs::ParseFamily(family.IsScalar() ? family.Scalar() : "");
    if (!parsed.ok()) return Bad("family", parsed.status().message());
    sc->family = *parsed;
  }
  if (const YAML::Node seed = root["seed"]) {
    try {
      sc->seed = seed.as<std::uint64_t>();
    } catch (const YAML::Exception&) {
      return Bad("seed", "must be an integer from 0 to 2^64 - 1");
    }
  }
  std::int64_t steps = sc->max_steps;
  if (absl::Status s = Number(root, "dt", "", &sc->dt); !s.ok()) return s;
  if (absl::Status s = Integer(root, "steps", "", 1, 1e6, &steps); !s.ok()) return s;
  sc->max_steps = static_cast<int>(steps);
  if (absl::Status s = Number(root, "speed_limit", "", &sc->speed_limit); !s.ok()) return s;
  if (const YAML::Node parameters = root["parameters"]) {
    if (!parameters.IsMap()) return Bad("parameters", "must be a mapping of name: value");
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
      schemas::NamedValue p{it->first.Scalar(), 0.0};
      if (absl::Status s = AsNumber(it->second, "parameters." + p.name, &p.value); !s.ok()) {
        return s;
      }
      sc->parameters.push_back(p);
    }
  }
  if (!root["ego"]) return Bad("ego", "is missing: give its s, lane and speed");
  if (absl::Status s = ParseEgo(root["ego"], sc); !s.ok()) return s;
  sc->entry_rate = 0.0;
  if (const YAML::Node traffic = root["traffic"]) {
    if (absl::Status s = ParseTraffic(traffic, sc); !s.ok()) return s;
  }
  absl::StatusOr<YAML::Node> agents = List(root, "agents", "");
  if (!agents.ok()) return agents.status();
  for (std::size_t i = 0; i < agents->size(); ++i) {
    if (absl::Status s = ParseAgent((*agents)[i], absl::StrCat("agents[", i, "]"), sc); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<YAML::Node> logged = List(root, "logged_agents", "");
  if (!logged.ok()) return logged.status();
  for (std::size_t i = 0; i < logged->size(); ++i) {
    if (absl::Status s = ParseLoggedAgent((*logged)[i], absl::StrCat("logged_agents[", i, "]"), sc);
        !s.ok()) {
      return s;
    }
  }
  return envs::CheckScenario(*sc);
}

using util::ShortestText;

// A driver's parameters; MOBIL's and the reaction only where they differ from the defaults.
std::string Driver(const TrafficVehicle& v) {
  const envs::IdmParams& p = v.idm;
  std::string out =
      absl::StrCat("{v0: ", ShortestText(p.desired_speed), ", T: ", ShortestText(p.time_headway),
                   ", s0: ", ShortestText(p.min_gap), ", a: ", ShortestText(p.max_accel),
                   ", b: ", ShortestText(p.comfort_decel), ", delta: ", ShortestText(p.exponent));
  const envs::MobilParams normal;
  if (v.mobil.politeness != normal.politeness) {
    absl::StrAppend(&out, ", politeness: ", ShortestText(v.mobil.politeness));
  }
  if (v.mobil.threshold != normal.threshold) {
    absl::StrAppend(&out, ", threshold: ", ShortestText(v.mobil.threshold));
  }
  if (v.mobil.max_safe_decel != normal.max_safe_decel) {
    absl::StrAppend(&out, ", b_safe: ", ShortestText(v.mobil.max_safe_decel));
  }
  if (v.reaction != 0.0) absl::StrAppend(&out, ", reaction: ", ShortestText(v.reaction));
  return out + "}";
}

// Size, driver and lane changes, joined by `separator` (", " inside a flow mapping, a newline
// and indent in a block one).
std::string Body(const TrafficVehicle& v, absl::string_view separator = ", ") {
  return absl::StrCat("length: ", ShortestText(v.length), separator,
                      "width: ", ShortestText(v.width), separator, "driver: ", Driver(v),
                      v.lane_changes ? "" : absl::StrCat(separator, "lane_changes: false"));
}

}  // namespace

absl::StatusOr<Scenario> ParseScenarioFile(absl::string_view text, absl::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, " is not valid YAML (line ", e.mark.line + 1, "): ", e.msg));
  }
  const auto bad = [&](const absl::Status& s) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", s.message()));
  };
  if (absl::Status s =
          CheckKeys(root, "",
                    {"name", "family", "seed", "dt", "steps", "speed_limit", "parameters", "road",
                     "ego", "traffic", "agents", "logged_agents"});
      !s.ok()) {
    return bad(s);
  }
  if (!root["road"]) return bad(Bad("road", "is missing: give its segments and lanes"));
  absl::StatusOr<envs::Road> road = ParseRoad(root["road"]);
  if (!road.ok()) return bad(road.status());
  Scenario sc;
  sc.road = *std::move(road);
  sc.name = std::filesystem::path(std::string(origin)).stem().string();
  if (absl::Status s = ParseScene(root, &sc); !s.ok()) return bad(s);
  return sc;
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read scenario file '", path, "'"));
  std::stringstream text;
  text << file.rdbuf();
  return ParseScenarioFile(text.str(), path);
}

absl::StatusOr<std::vector<std::shared_ptr<const Scenario>>> LoadScenarioFolder(
    const std::string& dir) {
  std::error_code error;
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".scenarios")) {
      paths.push_back(entry.path().string());
    }
  }
  if (error) return absl::NotFoundError(absl::StrCat("cannot read scenario folder '", dir, "'"));
  if (paths.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the scenario folder '", dir,
                     "' holds no scenario files (.yaml) or scenario sets (.scenarios)"));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::shared_ptr<const Scenario>> scenarios;
  for (const std::string& path : paths) {
    auto loaded = LoadScenarios(path);
    if (!loaded.ok()) return loaded.status();
    for (auto& scenario : *loaded) scenarios.push_back(std::move(scenario));
  }
  return scenarios;
}

absl::StatusOr<std::vector<std::shared_ptr<const Scenario>>> ParseScenarioSet(
    absl::string_view bytes, absl::string_view origin) {
  auto records = schemas::DecodeScenarioSet(bytes);
  if (!records.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", records.status().message()));
  }
  std::vector<std::shared_ptr<const Scenario>> scenarios;
  scenarios.reserve(records->size());
  for (const schemas::ScenarioRecord& record : *records) {
    absl::StatusOr<Scenario> scenario = envs::ScenarioFromRecord(record);
    if (!scenario.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ": ", scenario.status().message()));
    }
    scenarios.push_back(std::make_shared<const Scenario>(*std::move(scenario)));
  }
  return scenarios;
}

std::string ScenarioSetBytes(const std::vector<std::shared_ptr<const Scenario>>& scenarios) {
  std::vector<schemas::ScenarioRecord> records;
  records.reserve(scenarios.size());
  for (const auto& scenario : scenarios) records.push_back(envs::ScenarioToRecord(*scenario));
  return schemas::EncodeScenarioSet(records);
}

absl::StatusOr<std::vector<std::shared_ptr<const Scenario>>> LoadScenarios(
    const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return LoadScenarioFolder(path);
  if (std::filesystem::path(path).extension() == ".scenarios") {
    std::ifstream file(path, std::ios::binary);
    if (!file) return absl::NotFoundError(absl::StrCat("cannot read scenario set '", path, "'"));
    std::stringstream bytes;
    bytes << file.rdbuf();
    return ParseScenarioSet(bytes.str(), path);
  }
  absl::StatusOr<Scenario> scenario = LoadScenarioFile(path);
  if (!scenario.ok()) return scenario.status();
  return std::vector<std::shared_ptr<const Scenario>>{
      std::make_shared<const Scenario>(*std::move(scenario))};
}

std::string ScenarioFileText(const Scenario& sc) {
  std::string out = "# A tarmac scenario file (README: \"Bringing your own scenarios\").\n";
  absl::StrAppend(&out, "name: ", envs::ScenarioLabel(sc),
                  "\nfamily: ", envs::FamilyName(sc.family), "\nseed: ", sc.seed,
                  "\ndt: ", ShortestText(sc.dt), "\nsteps: ", sc.max_steps,
                  "\nspeed_limit: ", ShortestText(sc.speed_limit), "\n");
  if (!sc.parameters.empty()) {
    out += "parameters:\n";
    for (const schemas::NamedValue& p : sc.parameters) {
      absl::StrAppend(&out, "  ", p.name, ": ", ShortestText(p.value), "\n");
    }
  }
  const envs::Road& road = sc.road;
  const envs::Pose start = road.start();
  absl::StrAppend(&out, "road:\n  lane_width: ", ShortestText(road.lane_width()),
                  "\n  start: {x: ", ShortestText(start.x), ", y: ", ShortestText(start.y),
                  ", heading: ", ShortestText(start.heading), "}\n  segments:\n");
  for (std::size_t i = 0; i < road.segment_count(); ++i) {
    absl::StrAppend(&out, "    - {length: ", ShortestText(road.segment(i).length),
                    ", curvature: ", ShortestText(road.segment(i).curvature), "}\n");
  }
  out += "  lanes:\n";
  for (const envs::Lane& lane : road.lanes()) {
    absl::StrAppend(&out, "    - {index: ", lane.index, ", from: ", ShortestText(lane.s_begin),
                    ", to: ", ShortestText(lane.s_end), "}\n");
  }
  const envs::Frenet ego = road.ToFrenet(sc.ego.x, sc.ego.y);
  const envs::Pose centre = road.ToWorld({sc.ego_s, road.LaneCenter(sc.ego_lane)});
  const bool centred = centre.x == sc.ego.x && centre.y == sc.ego.y;
  absl::StrAppend(&out, "ego: {s: ", ShortestText(sc.ego_s), ", lane: ", sc.ego_lane,
                  centred ? "" : absl::StrCat(", d: ", ShortestText(ego.d)),
                  ", speed: ", ShortestText(sc.ego.speed));
  if (sc.ego_track.empty()) {
    out += "}\n";
  } else {
    out += ",\n      track: [  # the ego's logged driving: [t, s, d, speed]\n";
    for (std::size_t k = 0; k < sc.ego_track.size(); ++k) {
      const envs::TrackPoint& p = sc.ego_track[k];
      absl::StrAppend(&out, "        [", ShortestText(p.t), ", ", ShortestText(p.s), ", ",
                      ShortestText(p.d), ", ", ShortestText(p.speed), "]",
                      k + 1 < sc.ego_track.size() ? ",\n" : "]}\n");
    }
  }
  std::vector<std::string> lanes;
  for (int lane : sc.entry_lanes) lanes.push_back(absl::StrCat(lane));
  absl::StrAppend(&out, "traffic: {rate: ", ShortestText(sc.entry_rate), ", speed: [",
                  ShortestText(sc.entry_speed.min), ", ", ShortestText(sc.entry_speed.max),
                  "], lanes: [", absl::StrJoin(lanes, ", "), "]}\n");
  if (!sc.traffic.empty()) out += "agents:\n";
  for (std::size_t i = 0; i < sc.traffic.size(); ++i) {
    const TrafficVehicle& v = sc.traffic[i];
    absl::StrAppend(&out, "  - {s: ", ShortestText(v.s), ", lane: ", v.lane);
    if (v.d != road.LaneCenter(v.lane)) absl::StrAppend(&out, ", d: ", ShortestText(v.d));
    absl::StrAppend(&out, ", speed: ", ShortestText(v.speed), ", ", Body(v));
    if (v.forced_accel) absl::StrAppend(&out, ", constant_accel: ", ShortestText(*v.forced_accel));
    std::vector<std::string> manoeuvres;
    for (const envs::Script& script : sc.scripts) {
      if (script.vehicle != static_cast<int>(i)) continue;
      manoeuvres.push_back(script.kind == envs::Script::Kind::kBrake
                               ? absl::StrCat("{brake: {at: ", ShortestText(script.start_time),
                                              ", decel: ", ShortestText(script.decel), "}}")
                               : absl::StrCat("{cut_in: {gap: ", ShortestText(script.trigger_gap),
                                              ", lane: ", script.target_lane, "}}"));
    }
    if (!manoeuvres.empty()) {
      absl::StrAppend(&out, ", manoeuvres: [", absl::StrJoin(manoeuvres, ", "), "]");
    }
    out += "}\n";
  }
  if (!sc.logged.empty()) out += "logged_agents:\n";
  for (const TrafficVehicle& v : sc.logged) {
    const envs::LoggedTrack& track = sc.tracks[static_cast<std::size_t>(v.track)];
    absl::StrAppend(&out, "  - ", Body(v, "\n    "), track.reactive ? "\n    reactive: true" : "",
                    "\n    track:  # [t, s, d, speed]\n");
    for (const envs::TrackPoint& p : track.points) {
      absl::StrAppend(&out, "      - [", ShortestText(p.t), ", ", ShortestText(p.s), ", ",
                      ShortestText(p.d), ", ", ShortestText(p.speed), "]\n");
    }
  }
  return out;
}

}  // namespace tarmac::cli
