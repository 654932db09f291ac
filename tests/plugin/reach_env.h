#ifndef TARMAC_TESTS_PLUGIN_REACH_ENV_H_
#define TARMAC_TESTS_PLUGIN_REACH_ENV_H_

#include <memory>
#include <random>

#include "tarmac/envs/env.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/policy.h"

namespace tarmac::testing {

// A second env, unlike the driving ones, that proves the plug-in claim: a point mass on a line
// pushed towards a target. Observation 3 floats (position, velocity, target, in m and m/s),
// action 1 float (force, N per kg, in [-2, 2]), one reward term ("distance"), 50 steps of
// 0.1 s. It offers an expert (a PD controller) through Env::MakeExpert. Registered as
// "reach-v0" (and "reach-noexpert-v0", without the expert) by reach_env.cc; nothing outside
// this folder knows it. Not thread-safe.
class ReachEnv : public envs::Env {
 public:
  static constexpr int kObservationSize = 3;
  static constexpr int kActionSize = 1;

  // `with_expert` false: the same env without the optional expert capability.
  explicit ReachEnv(bool with_expert = true);
  const envs::EnvSpec& spec() const override { return spec_; }
  void Reset(std::uint64_t seed, absl::Span<float> observation) override;
  envs::StepResult Step(absl::Span<const float> action, absl::Span<float> observation,
                        absl::Span<float> reward_terms) override;
  schemas::EpisodeSummary Summary() const override;
  std::unique_ptr<envs::Policy> MakeExpert() const override;

  double position() const { return x_; }
  double velocity() const { return v_; }
  double target() const { return target_; }

 private:
  void Observe(absl::Span<float> observation) const;

  envs::EnvSpec spec_;
  bool with_expert_;
  std::uint64_t seed_ = 0;
  double x_ = 0, v_ = 0, target_ = 0;
  int steps_ = 0;
  double return_ = 0;
};

}  // namespace tarmac::testing

#endif  // TARMAC_TESTS_PLUGIN_REACH_ENV_H_
