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

}  // namespace tarmac::envs
