#ifndef TARMAC_LEARNER_TRAINING_BATCH_H_
#define TARMAC_LEARNER_TRAINING_BATCH_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/envs/env.h"

namespace tarmac::learner {

// The layout every network of the learner is sized by.
struct BatchShape {
  int obs_dim = 0;
  int action_dim = 0;
  std::vector<float> action_low;  // physical units, as EnvSpec
  std::vector<float> action_high;
  std::vector<envs::TokenGroup> tokens;  // EnvSpec::tokens (learner.arch: transformer)
};

// Decoded replay items, row-major, ready to be wrapped by tensors without another copy.
// Actions are rescaled from physical units to [-1, 1] (the tanh range of the actor).
// Plain data; not thread-safe to mutate concurrently.
struct TrainingBatch {
  int size = 0;
  std::vector<float> obs;        // size * obs_dim
  std::vector<float> action;     // size * action_dim, in [-1, 1]
  std::vector<float> reward;     // n-step discounted sum
  std::vector<float> discount;   // gamma^n, 0 at a terminal
  std::vector<float> next_obs;   // size * obs_dim
  std::vector<float> is_weight;  // importance weight of each item (1 when not prioritized)
  std::vector<buffer::ItemKey> keys;
  std::vector<std::uint64_t> policy_version;
  std::vector<std::uint64_t> tags;  // each item's replay tags (events, DAgger, focus)

  void Resize(int n, const BatchShape& shape);
};

// Decodes sampled replay items into `batch` (reusing its capacity). InvalidArgument naming the
// item when a payload is not a Transition or its sizes do not match `shape`; `batch` is then
// unspecified. O(items * obs_dim).
absl::Status DecodeTrainingBatch(const buffer::SampleBatch& sample, const BatchShape& shape,
                                 TrainingBatch* batch);

// Maps a physical action into [-1, 1] per dimension (clamped), and back.
float NormalizeAction(float value, float low, float high);
float DenormalizeAction(float value, float low, float high);

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_TRAINING_BATCH_H_
