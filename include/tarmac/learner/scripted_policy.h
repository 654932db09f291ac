#ifndef TARMAC_LEARNER_SCRIPTED_POLICY_H_
#define TARMAC_LEARNER_SCRIPTED_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tarmac/envs/env.h"
#include "tarmac/envs/policy.h"

namespace tarmac::learner {

// A TorchScript policy brought from PyTorch: any `torch.jit.script`ed (or traced) module whose
// forward(obs) takes a (rows, observation_size) float32 tensor of raw observations and returns
// (mean, log_std), each (rows, action_size), in the space of tarmac's SAC actor: the action is
// low + (tanh(mean) + 1) / 2 * (high - low) per dimension (the mean action; log_std is read
// but not sampled). What `--policy model.pt` runs when model.pt is not a tarmac checkpoint. Runs
// under inference mode on the CPU, one call per step. The header does not include LibTorch. Not
// thread-safe: one per env.
class ScriptedPolicy : public envs::Policy {
 public:
  // InvalidArgument (one sentence naming `path`) when the file is not a TorchScript module, or
  // its forward does not map one observation of `spec` to two (1, action_size) tensors of
  // finite values.
  static absl::StatusOr<std::unique_ptr<ScriptedPolicy>> Load(const std::string& path,
                                                              const envs::EnvSpec& spec);
  ~ScriptedPolicy() override;

  std::string Name() const override { return name_; }
  void Reset(const envs::Env&) override {}
  void Act(const envs::Env& env, absl::Span<const float> observation,
           absl::Span<float> action) override;

 private:
  struct Module;
  ScriptedPolicy(std::unique_ptr<Module> module, std::string name, std::vector<float> low,
                 std::vector<float> high);
  std::unique_ptr<Module> module_;
  std::string name_;
  std::vector<float> low_, high_;
};

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_SCRIPTED_POLICY_H_
