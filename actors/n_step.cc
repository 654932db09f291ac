#include "tarmac/actors/n_step.h"

#include <algorithm>
#include <cmath>

namespace tarmac::actors {

NStepAssembler::NStepAssembler(int n, float gamma, std::vector<std::string> term_names)
    : n_(n), gamma_(gamma), term_names_(std::move(term_names)), ring_(std::max(n, 1)) {
  for (std::size_t k = 0; k <= ring_.size(); ++k) {
    discounts_.push_back(static_cast<float>(std::pow(gamma_, k)));
  }
}

void NStepAssembler::Add(const Step& step, TransitionScratch* out) {
  Pending& p = ring_[(head_ + count_) % ring_.size()];
  p.obs.assign(step.obs.begin(), step.obs.end());
  p.action.assign(step.action.begin(), step.action.end());
  p.terms.assign(step.reward_terms.begin(), step.reward_terms.end());
  p.reward = step.reward;
  p.events = step.events;
  p.episode_id = step.episode_id;
  p.step = step.step;
  p.policy_version = step.policy_version;
  ++count_;
  if (step.terminated || step.truncated) {
    Emit(count_, step.next_obs, step.terminated, step.truncated, out);
    count_ = 0;
  } else if (count_ == static_cast<std::size_t>(n_)) {
    Emit(1, step.next_obs, false, false, out);
  }
}

void NStepAssembler::Truncate(absl::Span<const float> next_obs, TransitionScratch* out) {
  if (count_ == 0) return;
  Emit(count_, next_obs, false, true, out);
  count_ = 0;
}

// Emits the oldest `count` pending steps; each sums the rewards from itself to the newest.
void NStepAssembler::Emit(std::size_t count, absl::Span<const float> next_obs, bool terminated,
                          bool truncated, TransitionScratch* out) {
  for (std::size_t first = 0; first < count; ++first) {
    const Pending& head = At(first);
    schemas::Transition& t = out->Next();
    t.obs = head.obs;
    t.action = head.action;
    t.next_obs.assign(next_obs.begin(), next_obs.end());
    t.reward_terms.resize(term_names_.size());  // names assigned into kept capacity
    for (std::size_t k = 0; k < term_names_.size(); ++k) t.reward_terms[k].name = term_names_[k];
    double reward = 0.0, scale = 1.0;
    std::vector<double>& terms = terms_;
    terms.assign(term_names_.size(), 0.0);
    std::uint64_t events = 0;
    for (std::size_t j = first; j < count_; ++j) {
      const Pending& p = At(j);
      reward += scale * p.reward;
      for (std::size_t k = 0; k < terms.size() && k < p.terms.size(); ++k) {
        terms[k] += scale * p.terms[k];
      }
      events |= p.events;
      scale *= gamma_;
    }
    const std::size_t horizon = count_ - first;
    t.reward = static_cast<float>(reward);
    for (std::size_t k = 0; k < terms.size(); ++k) t.reward_terms[k].value = terms[k];
    t.discount = terminated ? 0.0F : discounts_[horizon];
    t.done = terminated;
    t.truncated = truncated;
    t.events = events;
    t.policy_version = head.policy_version;
    t.episode_id = head.episode_id;
    t.step = head.step;
    t.n_steps = static_cast<std::uint8_t>(horizon);
  }
  if (!terminated && !truncated) {
    head_ = (head_ + count) % ring_.size();
    count_ -= count;
  }
}

}  // namespace tarmac::actors
