#ifndef TARMAC_SCHEMAS_SCENARIO_SET_H_
#define TARMAC_SCHEMAS_SCENARIO_SET_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/schemas/named_value.h"

namespace tarmac::schemas {

// The content of schemas/scenario_set.capnp as plain structs: what envs::Scenario holds, field
// for field (envs converts; this room knows nothing of envs).
struct ScenarioAgent {
  double s = 0, d = 0, speed = 0, length = 4.8, width = 1.9;
  std::int32_t lane = 0;
  double desired_speed = 30, time_headway = 1.5, min_gap = 2, max_accel = 1.5, comfort_decel = 3,
         exponent = 4;
  double politeness = 0.2, threshold = 0.2, max_safe_decel = 4, reaction = 0;
  bool lane_changes = true;
  bool has_constant_accel = false;
  double constant_accel = 0;
  std::int32_t profile = 0;
  std::int32_t track = -1;
};

struct ScenarioManoeuvre {
  std::uint8_t kind = 0;  // 0 brake, 1 cut in
  std::int32_t agent = 0;
  double start_time = 0, decel = 0, trigger_gap = 0;
  std::int32_t target_lane = 0;
};

struct ScenarioTrack {
  bool reactive = false;
  std::vector<double> t, s, d, speed;
};

struct ScenarioLane {
  std::int32_t index = 0;
  double from = 0, to = 0;
};

struct ScenarioRecord {
  std::string name, family;
  std::uint64_t seed = 0;
  double dt = 0.1;
  std::int32_t steps = 300;
  double speed_limit = 30;
  std::vector<NamedValue> parameters;
  double lane_width = 3.6, start_x = 0, start_y = 0, start_heading = 0;
  std::vector<std::array<double, 2>> segments;  // length, curvature
  std::vector<ScenarioLane> lanes;
  double ego_x = 0, ego_y = 0, ego_heading = 0, ego_speed = 0, ego_s = 0;
  std::int32_t ego_lane = 0;
  double entry_rate = 0, entry_speed_min = 0, entry_speed_max = 0;
  std::vector<std::int32_t> entry_lanes;
  std::vector<ScenarioAgent> agents, logged;
  std::vector<ScenarioManoeuvre> manoeuvres;
  std::vector<ScenarioTrack> tracks;
  ScenarioTrack ego_track;  // empty columns: no logged ego
};

inline constexpr std::size_t kMaxScenarioSetBytes = std::size_t{1} << 30;  // 1 GiB

// The set as a Cap'n Proto message (unpacked). O(size).
std::string EncodeScenarioSet(const std::vector<ScenarioRecord>& scenarios);
// InvalidArgument (one sentence) for bytes that are not a scenario set: truncated, corrupt,
// oversized, another tarmac message, or a track whose columns differ in length. O(size).
absl::StatusOr<std::vector<ScenarioRecord>> DecodeScenarioSet(
    absl::string_view bytes, std::size_t max_bytes = kMaxScenarioSetBytes);

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_SCENARIO_SET_H_
