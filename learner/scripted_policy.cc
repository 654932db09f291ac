#include "tarmac/learner/scripted_policy.h"

#include <torch/script.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::learner {

struct ScriptedPolicy::Module {
  torch::jit::Module module;
};

namespace {

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// forward(obs) of `module` for `rows` observations: (mean, log_std), or why not.
absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> Forward(torch::jit::Module& module,
                                                                const torch::Tensor& obs,
                                                                const std::string& path) {
  c10::IValue out;
  try {
    c10::InferenceMode guard;
    out = module.forward({obs});
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": its forward failed on an observation: ", FirstLine(e.what())));
  }
  if (!out.isTuple() || out.toTupleRef().elements().size() != 2 ||
      !out.toTupleRef().elements()[0].isTensor() || !out.toTupleRef().elements()[1].isTensor()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": forward(obs) must return a tuple (mean, log_std) of two tensors"));
  }
  return std::make_pair(out.toTupleRef().elements()[0].toTensor(),
                        out.toTupleRef().elements()[1].toTensor());
}

}  // namespace

ScriptedPolicy::ScriptedPolicy(std::unique_ptr<Module> module, std::string name,
                               std::vector<float> low, std::vector<float> high)
    : module_(std::move(module)),
      name_(std::move(name)),
      low_(std::move(low)),
      high_(std::move(high)) {}

ScriptedPolicy::~ScriptedPolicy() = default;

absl::StatusOr<std::unique_ptr<ScriptedPolicy>> ScriptedPolicy::Load(const std::string& path,
                                                                     const envs::EnvSpec& spec) {
  auto module = std::make_unique<Module>();
  try {
    module->module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a TorchScript module: ", FirstLine(e.what())));
  }
  module->module.eval();
  if (!module->module.find_method("forward")) {
    return absl::InvalidArgumentError(absl::StrCat(path, " has no forward method"));
  }
  // One all-zero observation: the shapes and values forward gives back.
  const auto obs = torch::zeros({1, spec.observation_size}, torch::kFloat32);
  auto out = Forward(module->module, obs, path);
  if (!out.ok()) return out.status();
  const auto& [mean, log_std] = *out;
  const std::vector<std::int64_t> expected = {1, spec.action_size};
  if (mean.sizes().vec() != expected || log_std.sizes().vec() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": forward(obs) of one observation of ", spec.observation_size,
                     " floats must give mean and log_std of shape (1, ", spec.action_size,
                     "), not (", absl::StrJoin(mean.sizes().vec(), ", "), ") and (",
                     absl::StrJoin(log_std.sizes().vec(), ", "), ")"));
  }
  if (!torch::isfinite(mean).all().item<bool>()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": forward(obs) gives a mean that is not finite"));
  }
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
