#include "reach_env.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tarmac/envs/registry.h"

namespace tarmac::testing {
namespace {

constexpr double kDt = 0.1;
constexpr double kMaxForce = 2.0;

// Drives the point to its target: a PD controller on the env's own state.
class ReachExpert : public envs::Policy {
 public:
  std::string Name() const override { return "expert"; }
  void Reset(const envs::Env& /*env*/) override {}
  void Act(const envs::Env& env, absl::Span<const float> /*observation*/,
           absl::Span<float> action) override {
    const auto* reach = dynamic_cast<const ReachEnv*>(&env);
    if (reach == nullptr) throw std::invalid_argument("the reach expert drives reach-v0 only");
    const double force = 2.0 * (reach->target() - reach->position()) - 1.5 * reach->velocity();
    action[0] = static_cast<float>(std::clamp(force, -kMaxForce, kMaxForce));
  }
};

}  // namespace

ReachEnv::ReachEnv(bool with_expert) : with_expert_(with_expert) {
  spec_.name = with_expert ? "reach-v0" : "reach-noexpert-v0";
  spec_.observation_size = kObservationSize;
  spec_.action_size = kActionSize;
  spec_.action_low = {static_cast<float>(-kMaxForce)};
  spec_.action_high = {static_cast<float>(kMaxForce)};
  spec_.reward_terms = {"distance"};
  spec_.dt = kDt;
  spec_.max_steps = 50;
}

void ReachEnv::Reset(std::uint64_t seed, absl::Span<float> observation) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> where(-1.0, 1.0);
  seed_ = seed;
  x_ = where(rng);
  v_ = 0.0;
  target_ = where(rng);
  steps_ = 0;
  return_ = 0.0;
  Observe(observation);
}

envs::StepResult ReachEnv::Step(absl::Span<const float> action, absl::Span<float> observation,
                                absl::Span<float> reward_terms) {
  const double a =
      std::isfinite(action[0]) ? std::clamp<double>(action[0], -kMaxForce, kMaxForce) : 0.0;
  v_ += a * kDt;
  x_ += v_ * kDt;
  ++steps_;
  const double reward = -std::abs(x_ - target_);
  reward_terms[0] = static_cast<float>(reward);
  return_ += reward;
  Observe(observation);
  envs::StepResult r;
  r.reward = static_cast<float>(reward);
  r.terminated = std::abs(x_) > 5.0;  // pushed off the line
  r.truncated = steps_ >= spec_.max_steps;
  return r;
}

schemas::EpisodeSummary ReachEnv::Summary() const {
  schemas::EpisodeSummary s;
  s.scenario = "reach";
  s.seed = seed_;
  s.env_name = spec_.name;
  s.steps = static_cast<std::uint32_t>(steps_);
  s.episode_return = return_;
  s.term_returns = {{"distance", return_}};
  s.metrics = {{"final_distance", std::abs(x_ - target_)}};
  return s;
}

std::unique_ptr<envs::Policy> ReachEnv::MakeExpert() const {
  return with_expert_ ? std::make_unique<ReachExpert>() : nullptr;
}

void ReachEnv::Observe(absl::Span<float> observation) const {
  observation[0] = static_cast<float>(x_);
  observation[1] = static_cast<float>(v_);
  observation[2] = static_cast<float>(target_);
}

TARMAC_REGISTER_ENV("reach-v0", "A point mass pushed to a target on a line (plug-in test env)",
                    std::make_unique<ReachEnv>());
TARMAC_REGISTER_ENV("reach-noexpert-v0", "reach-v0 without an expert (plug-in test env)",
                    std::make_unique<ReachEnv>(false));

}  // namespace tarmac::testing
