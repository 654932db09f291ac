#include "tarmac/actors/n_step.h"

#include <cmath>

namespace tarmac::actors {

NStepAssembler::NStepAssembler(int n, float gamma, std::vector<std::string> term_names)
    : n_(n), gamma_(gamma), term_names_(std::move(term_names)) {}

void NStepAssembler::Add(const Step& step, std::vector<schemas::Transition>* out) {
  Pending p;
  p.obs.assign(step.obs.begin(), step.obs.end());
  p.action.assign(step.action.begin(), step.action.end());
  p.terms.assign(step.reward_terms.begin(), step.reward_terms.end());
  p.reward = step.reward;
  p.events = step.events;
  p.episode_id = step.episode_id;
  p.step = step.step;
  p.policy_version = step.policy_version;
  pending_.push_back(std::move(p));
  if (step.terminated || step.truncated) {
    Emit(pending_.size(), step.next_obs, step.terminated, step.truncated, out);
    pending_.clear();
  } else if (pending_.size() == static_cast<std::size_t>(n_)) {
    Emit(1, step.next_obs, false, false, out);
  }
}

void NStepAssembler::Truncate(absl::Span<const float> next_obs,
                              std::vector<schemas::Transition>* out) {
  if (pending_.empty()) return;
  Emit(pending_.size(), next_obs, false, true, out);
  pending_.clear();
}

// Emits the oldest `count` pending steps; each sums the rewards from itself to the newest.
void NStepAssembler::Emit(std::size_t count, absl::Span<const float> next_obs, bool terminated,
                          bool truncated, std::vector<schemas::Transition>* out) {
  for (std::size_t first = 0; first < count; ++first) {
    const Pending& head = pending_[first];
    schemas::Transition t;
    t.obs = head.obs;
    t.action = head.action;
    t.next_obs.assign(next_obs.begin(), next_obs.end());
    t.reward_terms.resize(term_names_.size());
    for (std::size_t k = 0; k < term_names_.size(); ++k) t.reward_terms[k].name = term_names_[k];
    double reward = 0.0, scale = 1.0;
    std::vector<double> terms(term_names_.size(), 0.0);
    std::uint64_t events = 0;
    for (std::size_t j = first; j < pending_.size(); ++j) {
      reward += scale * pending_[j].reward;
      for (std::size_t k = 0; k < terms.size() && k < pending_[j].terms.size(); ++k) {
        terms[k] += scale * pending_[j].terms[k];
      }
      events |= pending_[j].events;
      scale *= gamma_;
    }
    const std::size_t horizon = pending_.size() - first;
    t.reward = static_cast<float>(reward);
    for (std::size_t k = 0; k < terms.size(); ++k) t.reward_terms[k].value = terms[k];
    t.discount = terminated ? 0.0F : static_cast<float>(std::pow(gamma_, horizon));
    t.done = terminated;
    t.truncated = truncated;
    t.events = events;
    t.policy_version = head.policy_version;
    t.episode_id = head.episode_id;
    t.step = head.step;
    t.n_steps = static_cast<std::uint8_t>(horizon);
    out->push_back(std::move(t));
  }
  if (!terminated && !truncated) pending_.erase(pending_.begin(), pending_.begin() + count);
}

}  // namespace tarmac::actors
