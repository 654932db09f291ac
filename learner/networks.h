#ifndef TARMAC_LEARNER_NETWORKS_H_
#define TARMAC_LEARNER_NETWORKS_H_

// Private to learner/: the only header that includes LibTorch.

#include <torch/script.h>
#include <torch/torch.h>

#include <istream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/envs/env.h"
#include "tarmac/learner/sac_options.h"
#include "tarmac/learner/training_batch.h"

namespace tarmac::learner {

inline constexpr double kLogStdMin = -5.0;
inline constexpr double kLogStdMax = 2.0;
inline constexpr float kActionClampForLikelihood = 0.999F;

// Linear layers with ReLU between them: in -> hidden... -> out.
torch::nn::Sequential MakeMlp(int in, const std::vector<int>& hidden, int out);

// The SAC actor: normalised observations in; the mean and clamped log standard deviation of
// the pre-tanh Gaussian out, each [rows, action_dim], float32.
struct ActorNet : torch::nn::Module {
  virtual std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs) = 0;
};

// Tanh-squashed Gaussian policy over an MLP.
struct ActorImpl : ActorNet {
  ActorImpl(int obs_dim, int action_dim, const std::vector<int>& hidden);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs) override;
  torch::nn::Sequential net{nullptr};
  int action_dim;
};

// The transformer actor's sizes (SacOptions::transformer_*; hidden: the head's layers).
struct TransformerShape {
  int dim = 64;
  int layers = 2;
  int heads = 4;
  std::vector<int> hidden;
};

// Tanh-squashed Gaussian policy over a scene transformer: each token of the observation
// (`tokens`, covering it in order) through its group's linear embedding plus a learned
// per-slot embedding, `layers` self-attention layers (LibTorch's TransformerEncoderLayer's
// parameters and arithmetic: post-norm, feed-forward 2 x dim, no dropout; the attention itself
// by SmallAttention), then the first (ego) token's output and the mean over all tokens into an
// MLP head. O(rows * tokens^2 * dim) per forward.
struct TransformerActorImpl : ActorNet {
  TransformerActorImpl(int action_dim, const std::vector<envs::TokenGroup>& tokens,
                       const TransformerShape& shape);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs) override;
  torch::nn::ModuleList embed{nullptr}, encoder{nullptr};
  torch::nn::Sequential head{nullptr};
  torch::Tensor position;  // [tokens, dim]
  std::vector<envs::TokenGroup> tokens;
  int action_dim;
};

// Loads a TorchScript module (the bytes of a .pt file) and checks that its forward maps one
// all-zero observation of `obs_dim` floats to a tuple (mean, log_std) of two (1, action_dim)
// tensors with a finite mean. InvalidArgument (one sentence naming `what`) otherwise. The module
// is left in eval mode.
absl::StatusOr<torch::jit::Module> LoadPolicyModule(std::istream& bytes, const std::string& what,
                                                    int obs_dim, int action_dim);

// A TorchScript module brought from PyTorch as the actor (learner.model): its forward(obs)
// takes normalised observations [rows, obs_dim] and returns (mean, log_std), each [rows,
// action_dim]. Its parameters and buffers are registered here under their names with '.' made
// '_' (the same tensors), so the optimiser, checkpoints, averaging and device moves work on the
// module's own parameters. O(the module) per forward.
struct ScriptedActorImpl : ActorNet {
  explicit ScriptedActorImpl(torch::jit::Module module);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs) override;
  // The module with its current parameters, as the bytes of a .pt file.
  std::string Serialize() const;
  // nn::Module::train/eval reach the TorchScript module too.
  void train(bool on = true) override;
  mutable torch::jit::Module module;
};

// The actor SacOptions and the shape ask for. InvalidArgument (one sentence) when the shape's
// tokens do not cover the observation.
// `module_bytes`: the TorchScript actor's .pt bytes when options.model is set (SacTrainer reads
// the file, a checkpoint carries them).
absl::StatusOr<std::shared_ptr<ActorNet>> MakeActor(const SacOptions& options,
                                                    const BatchShape& shape,
                                                    const std::string& module_bytes = {});

// `tokens`, or one token of the whole observation when empty; InvalidArgument when they do not
// add up to `obs_dim`.
absl::StatusOr<std::vector<envs::TokenGroup>> ActorTokens(
    const std::vector<envs::TokenGroup>& tokens, int obs_dim);

// Two independent Q networks over (observation, action in [-1, 1]). `fused` evaluates both in
// one pass: the first layers of both heads as one matrix product (they share the input), the
// later ones as one batched product of the stacked weights. The parameters are the two heads'
// own either way (checkpoints do not change), and the result equals the separate passes up to
// float rounding.
struct TwinCriticImpl : torch::nn::Module {
  TwinCriticImpl(int obs_dim, int action_dim, const std::vector<int>& hidden, bool fused = true);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs,
                                                  const torch::Tensor& action);
  torch::nn::Sequential q1{nullptr}, q2{nullptr};
  bool fused = true;

 private:
  std::pair<torch::Tensor, torch::Tensor> FusedForward(const torch::Tensor& input);
  // The heads' linear layers in order (owned by q1 and q2; moving the module to a device
  // replaces their tensors, not the layers).
  std::vector<torch::nn::LinearImpl*> linear1_, linear2_;
};
TORCH_MODULE(TwinCritic);

// While alive, on the CPU, matrix products run in bfloat16 (LibTorch's autocast: oneDNN's
// AVX-512 BF16 kernels where the CPU has them) with float32 parameters, gradients and
// optimiser state; does nothing when `enabled` is false. Outputs of the networks are cast back
// to float32 by their callers. Thread-local, like autocast.
class CpuBf16Scope {
 public:
  explicit CpuBf16Scope(bool enabled);
  ~CpuBf16Scope();
  CpuBf16Scope(const CpuBf16Scope&) = delete;
  CpuBf16Scope& operator=(const CpuBf16Scope&) = delete;

 private:
  bool enabled_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

// Log-density of tanh(u) for u ~ N(mean, exp(log_std)), summed over action dimensions; the
// change of variables uses the stable log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)).
torch::Tensor TanhGaussianLogProb(const torch::Tensor& mean, const torch::Tensor& log_std,
                                  const torch::Tensor& pre_tanh);

// Running mean and variance of observations (Chan et al. parallel merge), float64.
struct ObsNormalizer {
  torch::Tensor mean, var, count;  // [obs_dim], [obs_dim], scalar
  double clip = 10.0;

  ObsNormalizer(int obs_dim, double clip, const torch::Device& device);
  void Update(const torch::Tensor& batch);
  torch::Tensor Apply(const torch::Tensor& obs) const;
  torch::Tensor Std() const;
};

// Copies every parameter of `from` into `to` (same architecture).
void CopyParameters(torch::nn::Module& from, torch::nn::Module& to);

// Flattens named parameters in registration order.
std::vector<float> Flatten(torch::nn::Module& module);

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_NETWORKS_H_
