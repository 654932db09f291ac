#ifndef TARMAC_ENVS_EVALUATION_H_
#define TARMAC_ENVS_EVALUATION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tarmac/envs/env_config.h"
#include "tarmac/envs/feasibility.h"
#include "tarmac/envs/policy.h"
#include "tarmac/envs/scenario.h"
#include "tarmac/schemas/episode_log.h"
#include "tarmac/schemas/episode_summary.h"

namespace tarmac::envs {

// One entry of a scenario suite: `count` episodes of `family` with seeds first_seed,
// first_seed + 1, ..., drawn from `config`.
// An entry may instead name a registered env (`env`, non-empty): then `count` episodes of that
// env with those seeds, and `family`/`config` are unused.
// Or it holds a scenario file's scenario (`scenario`, non-null): one episode of it (count 1,
// first_seed and family the scenario's, `config` only for its step length).
struct SuiteEntry {
  std::string env;
  ScenarioFamily family = ScenarioFamily::kHighway;
  int count = 1;
  std::uint64_t first_seed = 0;
  ScenarioConfig config;
  std::shared_ptr<const Scenario> scenario;
  std::string source;  // the scenario file, for messages
};

// The name reports give the entry's episodes: the env's, the scenario's label or the family's.
std::string EntryLabel(const SuiteEntry& entry);

struct Suite {
  std::string name;
  std::vector<SuiteEntry> entries;
};

// One evaluated episode: the summary (metrics include progress_ratio against the expert on the
// same seed, when the expert reference is given), the ego's states, and their feasibility.
struct EpisodeResult {
  schemas::EpisodeSummary summary;
  std::vector<VehicleState> trajectory;  // one state per step, the start included
  FeasibilityReport feasibility;
};

// What RunEpisode records when asked: the policy's name and version to stamp on the log, and
// the log itself (its summary is the env's; callers that rescore update it).
struct EpisodeRecording {
  std::string policy;
  std::uint64_t policy_version = 0;
  schemas::EpisodeLog log;
};

// Runs one episode of `policy` on (family, config, seed). O(steps). Deterministic.
// `env` supplies the reward weights and event thresholds; `config` the scenario parameters.
// With `recording`, the episode is also logged step by step (the log replays it; recording
// does not change the trajectory).
EpisodeResult RunEpisode(Policy& policy, ScenarioFamily family, const ScenarioConfig& config,
                         std::uint64_t seed, const EnvConfig& env = {},
                         EpisodeRecording* recording = nullptr);

// Runs one episode of `policy` on a given scenario (a scenario file's), as above.
EpisodeResult RunEpisode(Policy& policy, std::shared_ptr<const Scenario> scenario,
                         const EnvConfig& env = {}, EpisodeRecording* recording = nullptr);

// One episode of a suite entry's driving scenarios at `seed`: its scenario when it holds one,
// else its family's.
EpisodeResult RunEntryEpisode(Policy& policy, const SuiteEntry& entry, std::uint64_t seed,
                              const EnvConfig& env = {}, EpisodeRecording* recording = nullptr);

// Runs one episode of `policy` on any env: Reset(seed), then Act and Step until it ends. The
// result holds the env's summary only (no trajectory, no feasibility). O(steps).
EpisodeResult RunEnvEpisode(Policy& policy, Env& env, std::uint64_t seed);

// Rescores `result` with progress measured against `reference_distance_m` (the expert's
// distance on the same seed) instead of the speed limit.
void RescoreAgainstReference(double reference_distance_m, EpisodeResult* result);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_EVALUATION_H_
