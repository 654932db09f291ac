#ifndef TARMAC_ENVS_POLICY_H_
#define TARMAC_ENVS_POLICY_H_

#include <memory>
#include <string>

#include "absl/types/span.h"
#include "tarmac/envs/env.h"
#include "tarmac/envs/expert_planner.h"

namespace tarmac::envs {

// Something that drives any Env: an env's expert (which may read the simulator's state), or a
// learned network (which reads only the observation; the learner's export implements this).
// Used by `tarmac eval`, the actors' demo mode and reports. Not thread-safe: one per env.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  // At every episode start, after env.Reset.
  virtual void Reset(const Env& env) = 0;
  // Writes the action for the env's current state, whose observation is `observation`, into
  // `action` (spec().action_size floats, physical units). O(policy); allocates nothing.
  virtual void Act(const Env& env, absl::Span<const float> observation,
                   absl::Span<float> action) = 0;
};

// The driving envs' expert (IDM + pure pursuit + MOBIL on the ego); what DrivingEnv::MakeExpert
// returns. Reads the driving simulator's state: Reset and Act on any other env throw
// std::invalid_argument.
class ExpertPolicy : public Policy {
 public:
  std::string Name() const override { return "expert"; }
  void Reset(const Env& env) override;
  void Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) override;

 private:
  ExpertPlanner planner_;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_POLICY_H_
