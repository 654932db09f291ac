#include "tarmac/envs/policy.h"

#include <stdexcept>

#include "tarmac/envs/driving_env.h"

namespace tarmac::envs {
namespace {

const DrivingEnv& Driving(const Env& env) {
  const auto* driving = dynamic_cast<const DrivingEnv*>(&env);
  if (driving == nullptr) {
    throw std::invalid_argument("the driving expert cannot drive env " + env.spec().name);
  }
  return *driving;
}

}  // namespace

std::unique_ptr<Policy> Env::MakeExpert() const { return nullptr; }

void ExpertPolicy::Reset(const Env& env) { planner_.Reset(Driving(env)); }

void ExpertPolicy::Act(const Env& env, absl::Span<const float> /*observation*/,
                       absl::Span<float> action) {
  const std::array<float, 2> a = planner_.Act(Driving(env));
  action[0] = a[0];
  action[1] = a[1];
}

void EnvExpert::Reset(const Env& env) {
  if (expert_ == nullptr || env_name_ != env.spec().name) {
    expert_ = env.MakeExpert();
    env_name_ = env.spec().name;
    if (expert_ == nullptr) throw std::invalid_argument("env " + env_name_ + " offers no expert");
  }
  expert_->Reset(env);
}

void EnvExpert::Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) {
  expert_->Act(env, observation, action);
}

}  // namespace tarmac::envs
