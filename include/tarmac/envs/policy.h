#ifndef TARMAC_ENVS_POLICY_H_
#define TARMAC_ENVS_POLICY_H_

#include <array>
#include <string>

#include "absl/types/span.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/expert_planner.h"

namespace tarmac::envs {

// Something that drives: the expert (reads the simulator's state) or a learned network (reads
// only the observation; the learner's export implements this). Used by `tarmac eval`, the
// actors' demo mode and reports. Not thread-safe: one per env.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  // At every episode start, after env.Reset.
  virtual void Reset(const DrivingEnv& env) = 0;
  // The action (acceleration m/s^2, steering rad) for the env's current state, whose
  // observation is `observation`.
  virtual std::array<float, 2> Act(const DrivingEnv& env, absl::Span<const float> observation) = 0;
};

class ExpertPolicy : public Policy {
 public:
  std::string Name() const override { return "expert"; }
  void Reset(const DrivingEnv& env) override { planner_.Reset(env); }
  std::array<float, 2> Act(const DrivingEnv& env, absl::Span<const float> /*obs*/) override {
    return planner_.Act(env);
  }

 private:
  ExpertPlanner planner_;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_POLICY_H_
