#ifndef TARMAC_ACTORS_N_STEP_H_
#define TARMAC_ACTORS_N_STEP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::actors {

// Transitions whose vectors and strings keep their capacity from one batch to the next: Clear()
// forgets them without freeing, Next() hands out the next slot to overwrite. An env actor emits
// a transition per env and step; reusing them saves their five allocations each.
class TransitionScratch {
 public:
  // The next slot; its fields hold an earlier transition's values until overwritten.
  schemas::Transition& Next() {
    if (size_ == items_.size()) items_.emplace_back();
    return items_[size_++];
  }
  void Clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  schemas::Transition& operator[](std::size_t k) { return items_[k]; }
  const schemas::Transition& operator[](std::size_t k) const { return items_[k]; }

 private:
  std::vector<schemas::Transition> items_;
  std::size_t size_ = 0;
};

// Turns one env's stream of steps into n-step transitions:
//   reward   = r_t + g r_{t+1} + ... + g^(k-1) r_{t+k-1}   (k = n, or fewer at an episode end)
//   discount = g^k, or 0 when the episode terminated within the k steps
//   next_obs = the observation k steps later (the final one at an episode end)
// At a termination or truncation every pending step is emitted with the shorter horizon; a
// truncated transition keeps discount g^k so the learner bootstraps from next_obs. Per-term
// rewards get the same discounting; events are the union over the k steps. Plain C++ (no CAF),
// not thread-safe: one per env. Cost O(n * (obs + terms)) per emitted transition.
class NStepAssembler {
 public:
  struct Step {
    absl::Span<const float> obs;  // observation the action was chosen on
    absl::Span<const float> action;
    float reward = 0.0F;
    absl::Span<const float> reward_terms;
    std::uint64_t events = 0;
    absl::Span<const float> next_obs;  // after the step (the final one when the episode ended)
    bool terminated = false;
    bool truncated = false;
    std::uint64_t episode_id = 0;
    std::uint32_t step = 0;  // index of `obs` in the episode
    std::uint64_t policy_version = 0;
  };

  NStepAssembler(int n, float gamma, std::vector<std::string> term_names);

  // Adds one step; appends the transitions it completes to `out`, every field but actor_id,
  // env_id and scenario written (those are left for the caller).
  void Add(const Step& step, TransitionScratch* out);
  // Emits every pending step as truncated at `next_obs` (the rollout stops mid-episode: the
  // learner bootstraps from there).
  void Truncate(absl::Span<const float> next_obs, TransitionScratch* out);
  // Drops pending steps (the episode is discarded).
  void Clear() { count_ = 0; }
  std::size_t pending() const { return count_; }

 private:
  struct Pending {
    std::vector<float> obs, action, terms;
    float reward = 0.0F;
    std::uint64_t events = 0;
    std::uint64_t episode_id = 0;
    std::uint32_t step = 0;
    std::uint64_t policy_version = 0;
  };
  void Emit(std::size_t count, absl::Span<const float> next_obs, bool terminated, bool truncated,
            TransitionScratch* out);
  const Pending& At(std::size_t k) const { return ring_[(head_ + k) % ring_.size()]; }

  int n_;
  float gamma_;
  std::vector<std::string> term_names_;
  // The pending steps, oldest first from head_: a ring of n slots whose vectors keep their
  // capacity, so a step costs no allocation once the ring is warm.
  std::vector<Pending> ring_;
  std::size_t head_ = 0, count_ = 0;
  std::vector<double> terms_;  // Emit's running per-term sums
  // discounts_[k] = gamma^k for k = 0..n, as Emit used to compute it per transition (std::pow
  // was ~1.4% of an env actor's thread).
  std::vector<float> discounts_;
};

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_N_STEP_H_
