#ifndef TARMAC_SCHEMAS_EPISODE_LOG_H_
#define TARMAC_SCHEMAS_EPISODE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/schemas/decode_limits.h"
#include "tarmac/schemas/episode_summary.h"
#include "tarmac/schemas/event.h"
#include "tarmac/schemas/named_value.h"

namespace tarmac::schemas {

// schemas/episode_log.capnp documents each field.
struct ConfigEntry {
  std::string key;
  std::vector<std::string> values;  // one for a scalar
};

struct LoggedEgo {
  double x = 0.0;
  double y = 0.0;
  double heading = 0.0;
  double speed = 0.0;
  double accel = 0.0;
  double steer = 0.0;
  double lateral_accel = 0.0;
  double yaw_rate = 0.0;
  double s = 0.0;
  double d = 0.0;
  std::int32_t lane = 0;
};

struct LoggedVehicle {
  std::int32_t id = 0;
  float x = 0.0F;
  float y = 0.0F;
  float heading = 0.0F;
  float speed = 0.0F;
  float s = 0.0F;
  float d = 0.0F;
  std::int32_t lane = 0;
  float length = 4.8F;
  float width = 1.9F;
};

// How many reward terms a LoggedStep holds without allocating: the driving envs' (9) and room
// for a few more (envs/episode_recorder.cc checks at compile time that theirs fit).
inline constexpr std::size_t kInlineRewardTerms = 12;

struct LoggedStep {
  LoggedEgo ego;  // after the step; step 0 is the state after Reset
  // Inline for the driving envs' 2 actions and their reward terms: recording a step allocates
  // nothing for them (actors record every episode).
  absl::InlinedVector<float, 4> action;  // empty for step 0
  float reward = 0.0F;
  absl::InlinedVector<float, kInlineRewardTerms> reward_terms;
  EventMask events = 0;
  std::int32_t leader_id = 0;  // 0: no leader in the ego lane
  float leader_gap = 0.0F;     // m bumper to bumper (meaningful when leader_id != 0)
  float leader_speed = 0.0F;
  std::vector<LoggedVehicle> vehicles;
  float road_curvature = 0.0F;  // 1/m at the ego
};

// One episode step by step: its scenario (family, seed, the env config it ran with, the drawn
// parameters), the policy, and every step's ego state, action, reward terms, events and nearby
// vehicles. steps[i] is the state at time i * dt.
struct EpisodeLog {
  std::string env_name;
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<ConfigEntry> env_config;
  std::vector<NamedValue> parameters;
  std::string policy;
  std::uint64_t policy_version = 0;
  double dt = 0.1;
  double speed_limit = 30.0;  // m/s
  std::vector<std::string> reward_terms;
  std::vector<LoggedStep> steps;
  EpisodeSummary summary;
};

// A log file is one zstd frame of one EpisodeLog message; files name themselves *.episode.zst.
inline constexpr std::size_t kMaxEpisodeLogBytes = std::size_t{256} << 20;  // decompressed
inline constexpr absl::string_view kEpisodeLogSuffix = ".episode.zst";

// The value of the drawn parameter called `name`, or `fallback`. O(parameters).
double ParameterOr(const EpisodeLog& log, absl::string_view name, double fallback = 0.0);

// The log as zstd-compressed bytes (level 3).
std::string EncodeEpisodeLog(const EpisodeLog& log);
// Parses untrusted compressed bytes. InvalidArgument when they are not one complete zstd frame
// (truncated, corrupt), decompress to more than `max_bytes`, or hold a malformed or foreign
// message. O(bytes).
absl::StatusOr<EpisodeLog> DecodeEpisodeLog(absl::string_view compressed,
                                            std::size_t max_bytes = kMaxEpisodeLogBytes);

// Writes `log` to `path` atomically (the old file or the whole new one). Internal on I/O errors.
absl::Status WriteEpisodeLogFile(const EpisodeLog& log, const std::string& path);
// Reads and decodes `path`. NotFound when it does not exist; InvalidArgument naming the file when
// it is not a complete episode log.
absl::StatusOr<EpisodeLog> ReadEpisodeLogFile(const std::string& path);

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_EPISODE_LOG_H_
