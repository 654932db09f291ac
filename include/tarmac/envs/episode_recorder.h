#ifndef TARMAC_ENVS_EPISODE_RECORDER_H_
#define TARMAC_ENVS_EPISODE_RECORDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::envs {

// Records one DrivingEnv episode, step by step, into a schemas::EpisodeLog: call Begin right
// after Reset, Record after every Step, Finish when it ended. Costs O(vehicles near the ego) per
// step and allocates the step's vectors. Not thread-safe; one recorder per env.
class EpisodeRecorder {
 public:
  // Vehicles further than this along the road from the ego are not logged.
  static constexpr double kVehicleRange = 100.0;  // m

  // With `vehicles` false the nearby vehicles are kept only at steps carrying a collision
  // (what the metrics need): a lighter log for analysis that cannot be replayed or drawn.
  void Begin(const DrivingEnv& env, const EnvConfig& config, std::string policy,
             std::uint64_t policy_version, bool vehicles = true);
  bool vehicles() const { return vehicles_; }
  void Record(const DrivingEnv& env, absl::Span<const float> action, const StepResult& result,
              absl::Span<const float> reward_terms);
  // The finished log, with the env's summary (and any metrics the caller added to `summary`).
  schemas::EpisodeLog Finish(schemas::EpisodeSummary summary);

  // The env's current ego state, leader and (with `vehicles`) nearby vehicles (no action,
  // reward or events).
  static schemas::LoggedStep Snapshot(const DrivingEnv& env, bool vehicles = true);

 private:
  schemas::EpisodeLog log_;
  bool vehicles_ = true;
};

// The ego's driving in `log` as a track (t from the log's dt, road s, d and speed per step): what
// makes any logged episode a scenario with a logged ego for LogPolicy. O(steps).
std::vector<TrackPoint> EgoTrackOf(const schemas::EpisodeLog& log);

// Every env.* key of `config` with its exact value (numbers in the shortest text that reads
// back to the same double), in EnvConfigTable order: what a log stores to replay its episode.
std::vector<schemas::ConfigEntry> EnvConfigEntries(const EnvConfig& config);
// The EnvConfig `entries` describe; keys they lack keep their defaults. InvalidArgument naming
// the key when one is unknown to this build or its value does not parse or is out of bounds.
absl::StatusOr<EnvConfig> EnvConfigFromEntries(const std::vector<schemas::ConfigEntry>& entries);

// Runs the episode a log records again, feeding it the logged actions, and checks that every
// step's ego state, reward terms and events come out bit-identical. OK when they do;
// FailedPrecondition naming the first step and quantity that differs; InvalidArgument when the
// log's scenario or config cannot be rebuilt. O(steps).
absl::Status ReplayEpisodeLog(const schemas::EpisodeLog& log);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_EPISODE_RECORDER_H_
