#ifndef TARMAC_ENVS_SCENARIO_H_
#define TARMAC_ENVS_SCENARIO_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/envs/population.h"
#include "tarmac/envs/road.h"
#include "tarmac/envs/traffic.h"
#include "tarmac/envs/vehicle.h"
#include "tarmac/schemas/named_value.h"

namespace tarmac::envs {

enum class ScenarioFamily { kHighway, kDense, kMerge, kCutIn, kLeadBrake, kStalled, kCurve };

inline constexpr std::array<ScenarioFamily, 7> kAllFamilies = {
    ScenarioFamily::kHighway, ScenarioFamily::kDense,     ScenarioFamily::kMerge,
    ScenarioFamily::kCutIn,   ScenarioFamily::kLeadBrake, ScenarioFamily::kStalled,
    ScenarioFamily::kCurve};

absl::string_view FamilyName(ScenarioFamily family);  // "cut_in"
// InvalidArgument listing the known families.
absl::StatusOr<ScenarioFamily> ParseFamily(absl::string_view name);

// Parameter ranges of the scenario families; suite files override them per entry.
struct ScenarioConfig {
  double episode_seconds = 30.0;
  double dt = 0.1;
  double lane_width = 3.6;
  Range ego_speed{20.0, 28.0};           // m/s at the start
  Range traffic_speed{22.0, 32.0};       // desired speeds of traffic
  Range density{12.0, 20.0};             // vehicles per km per lane (highway)
  Range dense_density{30.0, 45.0};       // vehicles per km per lane (dense)
  Range cut_in_gap{8.0, 20.0};           // m, gap to the ego when the cutter starts its change
  Range cut_in_ttc{1.5, 4.0};            // s, gap / closing speed at that moment
  Range lead_gap{25.0, 45.0};            // m, initial gap to the lead (lead_brake)
  Range lead_brake_decel{6.0, 8.0};      // m/s^2
  Range lead_brake_time{4.0, 10.0};      // s after the start
  Range stalled_distance{150.0, 300.0};  // m ahead of the ego
  Range curve_radius{150.0, 400.0};      // m
  Range merge_length{180.0, 260.0};      // m of acceleration lane
  double speed_limit = 30.0;             // m/s (108 km/h)
  bool traffic_enters = true;            // vehicles keep entering at the road start
  // The drivers of the traffic, each vehicle's profile drawn in proportion to the weights;
  // empty: every vehicle `normal` (the same episodes as before populations existed).
  std::vector<PopulationShare> population;

  // InvalidArgument naming the first range with min > max or a non-physical value, or a bad
  // population.
  absl::Status Validate() const;
};

// Every range of ScenarioConfig: its name (env.scenario.<name>, a suite override, the name in
// Scenario::parameters of the value drawn from it), its field, and the lowest value it may take.
struct ScenarioRangeInfo {
  const char* name;
  Range ScenarioConfig::*field;
  double lowest;
};
inline constexpr ScenarioRangeInfo kScenarioRanges[] = {
    {"ego_speed", &ScenarioConfig::ego_speed, 0.0},
    {"traffic_speed", &ScenarioConfig::traffic_speed, 1.0},
    {"density", &ScenarioConfig::density, 0.0},
    {"dense_density", &ScenarioConfig::dense_density, 0.0},
    {"cut_in_gap", &ScenarioConfig::cut_in_gap, 2.0},
    {"cut_in_ttc", &ScenarioConfig::cut_in_ttc, 0.2},
    {"lead_gap", &ScenarioConfig::lead_gap, 5.0},
    {"lead_brake_decel", &ScenarioConfig::lead_brake_decel, 0.5},
    {"lead_brake_time", &ScenarioConfig::lead_brake_time, 0.0},
    {"stalled_distance", &ScenarioConfig::stalled_distance, 30.0},
    {"curve_radius", &ScenarioConfig::curve_radius, 30.0},
    {"merge_length", &ScenarioConfig::merge_length, 50.0},
};

// The entry of kScenarioRanges called `name`; null for any other name.
const ScenarioRangeInfo* FindScenarioRange(absl::string_view name);

// A scripted behaviour of one traffic vehicle.
struct Script {
  enum class Kind { kBrake, kCutIn } kind = Kind::kBrake;
  int vehicle = 0;           // index into Scenario::traffic
  double start_time = 0.0;   // s (kBrake)
  double decel = 0.0;        // m/s^2 (kBrake, positive)
  double trigger_gap = 0.0;  // m (kCutIn): change lanes once this close ahead of the ego
  int target_lane = 0;       // kCutIn
};

// One concrete episode: road, ego start, traffic and scripts. Same (family, config, seed) gives
// the same scenario on every machine (std::mt19937_64 and explicit uniform draws).
struct Scenario {
  ScenarioFamily family = ScenarioFamily::kHighway;
  std::uint64_t seed = 0;
  Road road = Road::Straight(100.0, 1);
  VehicleState ego;
  int ego_lane = 0;
  double ego_s = 0.0;
  double speed_limit = 30.0;
  std::vector<TrafficVehicle> traffic;
  std::vector<Script> scripts;
  int max_steps = 300;
  double dt = 0.1;
  // Traffic entering at the start of the road: vehicles per second per lane (Poisson), with
  // desired speeds drawn from `entry_speed`.
  double entry_rate = 0.0;
  Range entry_speed{22.0, 32.0};
  std::vector<int> entry_lanes;
  // The values drawn for this episode, by the name of the range they came from (ego_speed,
  // density, cut_in_gap, ...): what mining bins by and what a suite needs to pin the case.
  std::vector<schemas::NamedValue> parameters;
  // Logged agents: each enters when its track (tracks[v.track]) begins and follows it.
  std::vector<TrafficVehicle> logged;
  std::vector<LoggedTrack> tracks;
  // What reports call the scenario (a scenario file's name); empty: the family's name.
  std::string name;
  // The ego's own logged driving, when the ego replaces a logged vehicle (a highD import): what
  // LogPolicy drives, a human demonstration. Empty for generated scenarios.
  std::vector<TrackPoint> ego_track;
};

// The label of a scenario in summaries and reports: its name, else its family's.
std::string ScenarioLabel(const Scenario& scenario);

// InvalidArgument, one sentence naming the field (e.g. "agents[3].speed"), for a scenario that
// cannot be driven: non-finite or non-physical values, scripts or tracks naming agents or lanes
// that do not exist, tracks whose times do not increase, agents overlapping each other or the
// ego at t = 0, an ego track whose times do not increase. O(agents^2 + samples).
absl::Status CheckScenario(const Scenario& scenario);

Scenario GenerateScenario(ScenarioFamily family, const ScenarioConfig& config, std::uint64_t seed);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_SCENARIO_H_
