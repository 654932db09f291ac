#ifndef TARMAC_ENVS_ENV_BATCH_H_
#define TARMAC_ENVS_ENV_BATCH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tarmac/envs/env.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/envs/scenario_mix.h"

namespace tarmac::envs {

// K environments of one registered name stepped together into preallocated row-major arrays
// (row i belongs to env i). A finished env is reset at once: its row of observations() then
// holds the first observation of the next episode, final_observations() the last one of the
// finished episode, and the episode's summary waits in TakeFinishedEpisodes().
// Seeds: env i's e-th episode uses a seed mixed from (base seed, i, e), so a batch replays
// exactly. Not thread-safe; steady-state Step allocates nothing beyond finished summaries.
class EnvBatch {
 public:
  static absl::StatusOr<std::unique_ptr<EnvBatch>> Create(const std::string& env_name, int size,
                                                          std::uint64_t base_seed,
                                                          const EnvConfig& config = {});

  const EnvSpec& spec() const { return envs_.front()->spec(); }
  int size() const { return static_cast<int>(envs_.size()); }

  // Steps every env with its row of `actions` (size * action_size floats).
  void Step(absl::Span<const float> actions);

  absl::Span<const float> observations() const { return observations_; }
  absl::Span<const float> final_observations() const { return final_observations_; }
  absl::Span<const float> rewards() const { return rewards_; }
  absl::Span<const float> reward_terms() const { return reward_terms_; }  // size * terms
  const std::vector<std::uint8_t>& terminated() const { return terminated_; }
  const std::vector<std::uint8_t>& truncated() const { return truncated_; }
  const std::vector<std::uint64_t>& events() const { return events_; }
  // Episode id and step index (of the observation in observations()) per env.
  const std::vector<std::uint64_t>& episode_ids() const { return episode_ids_; }
  const std::vector<std::uint32_t>& steps() const { return steps_; }

  // Summaries of the episodes finished since the last call.
  std::vector<schemas::EpisodeSummary> TakeFinishedEpisodes();

  // From each env's next episode on, records the episodes of the driving envs step by step
  // (other envs are not recorded), stamped with `policy` and the version set_policy_version
  // gave last when the episode starts. One in `complete_every` recorded episodes of each env
  // (staggered across the envs) is complete (replayable, with the nearby vehicles at every step);
  // the others keep the vehicles at collisions only, which is all the behaviour metrics read and a
  // fraction of the memory. Recording does not change a trajectory.
  void RecordEpisodes(std::string policy, int complete_every = 1);
  void set_policy_version(std::uint64_t version) { policy_version_ = version; }
  struct RecordedEpisode {
    schemas::EpisodeLog log;  // its summary is the episode's (same episode_id)
    bool complete = true;
  };
  // The recorded episodes finished since the last call, in finishing order.
  std::vector<RecordedEpisode> TakeFinishedLogs();

  // Draws every later episode's scenario from `mix` (null: the env's own draw again), from the
  // next reset of each env; envs that have not stepped yet are reset now, so a mix set right
  // after Create covers every episode. Driving envs only (InvalidArgument, nothing changed, for
  // other envs). Counts restart at 0 per source.
  absl::Status SetScenarioMix(std::shared_ptr<const ScenarioMix> mix);
  // Episodes started per source of the current mix (in its sources() order), or, without a
  // mix, one count under the name "env"; counted since the mix was set.
  const std::vector<std::uint64_t>& source_episodes() const { return source_episodes_; }
  const std::string& source_name(std::size_t k) const;
  // The replay tags of the source env `i`'s current episode came from (ScenarioSource::tags;
  // 0 without a mix).
  std::uint64_t source_tags(int i) const { return source_tags_[static_cast<std::size_t>(i)]; }

  Env& env(int i) { return *envs_[i]; }

 private:
  EnvBatch() = default;
  std::uint64_t SeedFor(int env, std::uint64_t episode) const;
  void ResetEnv(int i);
  std::shared_ptr<const ScenarioMix> mix_;
  std::vector<std::uint64_t> source_episodes_ = {0};
  std::vector<std::uint64_t> source_tags_;  // per env

  std::vector<std::unique_ptr<Env>> envs_;
  std::uint64_t base_seed_ = 0;
  std::vector<std::uint64_t> episodes_started_;
  std::vector<float> observations_, final_observations_, rewards_, reward_terms_;
  std::vector<std::uint8_t> terminated_, truncated_;
  std::vector<std::uint64_t> events_, episode_ids_;
  std::vector<std::uint32_t> steps_;
  std::vector<schemas::EpisodeSummary> finished_;

  EnvConfig config_;
  std::string record_policy_;  // empty: not recording
  std::uint64_t policy_version_ = 0;
  int complete_every_ = 1;
  std::vector<std::unique_ptr<EpisodeRecorder>> recorders_;  // per env; null: not this episode
  std::vector<std::uint64_t> recorded_;                      // per env: episodes recorded
  std::vector<RecordedEpisode> finished_logs_;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_ENV_BATCH_H_
