#ifndef TARMAC_ENVS_ENV_H_
#define TARMAC_ENVS_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "tarmac/schemas/episode_summary.h"
#include "tarmac/schemas/event.h"

namespace tarmac::envs {

class Policy;

// A run of `count` tokens of `size` floats each in the observation (EnvSpec::tokens).
struct TokenGroup {
  std::string name;  // e.g. "vehicle"
  int count = 1;
  int size = 0;

  bool operator==(const TokenGroup& other) const {
    return name == other.name && count == other.count && size == other.size;
  }
};

// What an environment looks like from outside: sizes and names every consumer (actors, learner,
// replay) sizes its buffers by.
struct EnvSpec {
  std::string name;
  int observation_size = 0;
  int action_size = 2;
  std::vector<float> action_low;  // physical units: acceleration m/s^2, steering rad
  std::vector<float> action_high;
  std::vector<std::string> reward_terms;  // order of the per-term values Step writes
  double dt = 0.1;                        // s per step
  int max_steps = 300;
  // How the observation reads as entities for attention-based policies (learner.arch:
  // transformer): consecutive groups covering it in order, e.g. the ego, lane-preview points,
  // each nearby vehicle. Empty: the whole observation is one token.
  std::vector<TokenGroup> tokens;
};

struct StepResult {
  float reward = 0.0F;
  bool terminated = false;  // crashed or left the road: no bootstrap
  bool truncated = false;   // time limit or end of route: bootstrap
  schemas::EventMask events = 0;
};

// A driving environment. Reset(seed) starts the episode the seed names (same seed, same
// episode, bit for bit); Step applies one action. Both write into caller-owned buffers sized
// from spec() and allocate nothing in steady state. Not thread-safe: one env per thread (or
// EnvBatch). A new env is one class implementing this plus one TARMAC_REGISTER_ENV line.
class Env {
 public:
  virtual ~Env() = default;
  virtual const EnvSpec& spec() const = 0;
  virtual void Reset(std::uint64_t seed, absl::Span<float> observation) = 0;
  // `action` is clipped to the vehicle's limits (NaN counts as zero); `reward_terms` receives
  // the weighted value of every term in spec().reward_terms.
  virtual StepResult Step(absl::Span<const float> action, absl::Span<float> observation,
                          absl::Span<float> reward_terms) = 0;
  // What happened in the current (or just finished) episode.
  virtual schemas::EpisodeSummary Summary() const = 0;
  // Optional capability: a policy that drives this env well from its full state, for
  // demonstrations (`tarmac actor --policy expert`) and as the baseline of evaluations. Null
  // (the default) when the env offers none.
  virtual std::unique_ptr<Policy> MakeExpert() const;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_ENV_H_
