#include "tarmac/learner/scripted_policy.h"

#include <cmath>
#include <fstream>
#include <utility>

#include "networks.h"

namespace tarmac::learner {

struct ScriptedPolicy::Module {
  torch::jit::Module module;
};

ScriptedPolicy::ScriptedPolicy(std::unique_ptr<Module> module, std::string name,
                               std::vector<float> low, std::vector<float> high)
    : module_(std::move(module)),
      name_(std::move(name)),
      low_(std::move(low)),
      high_(std::move(high)) {}

ScriptedPolicy::~ScriptedPolicy() = default;

absl::StatusOr<std::unique_ptr<ScriptedPolicy>> ScriptedPolicy::Load(const std::string& path,
                                                                     const envs::EnvSpec& spec) {
  std::ifstream in(path, std::ios::binary);
  auto loaded = LoadPolicyModule(in, path, spec.observation_size, spec.action_size);
  if (!loaded.ok()) return loaded.status();
  auto module = std::make_unique<Module>();
  module->module = *std::move(loaded);
  return std::unique_ptr<ScriptedPolicy>(
      new ScriptedPolicy(std::move(module), path, spec.action_low, spec.action_high));
}

void ScriptedPolicy::Act(const envs::Env&, absl::Span<const float> observation,
                         absl::Span<float> action) {
  c10::InferenceMode guard;
  const auto obs =
      torch::from_blob(const_cast<float*>(observation.data()),
                       {1, static_cast<std::int64_t>(observation.size())}, torch::kFloat32);
  const c10::IValue out = module_->module.forward({obs});
  const torch::Tensor mean =
      out.toTupleRef().elements()[0].toTensor().to(torch::kFloat32).contiguous();
  const float* m = mean.data_ptr<float>();
  for (std::size_t i = 0; i < action.size(); ++i) {
    const float squashed = std::isfinite(m[i]) ? std::tanh(m[i]) : 0.0F;
    action[i] = low_[i] + (squashed + 1.0F) * 0.5F * (high_[i] - low_[i]);
  }
}

}  // namespace tarmac::learner
