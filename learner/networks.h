#ifndef TARMAC_LEARNER_NETWORKS_H_
#define TARMAC_LEARNER_NETWORKS_H_

// Private to learner/: the only header that includes LibTorch.

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace tarmac::learner {

inline constexpr double kLogStdMin = -5.0;
inline constexpr double kLogStdMax = 2.0;
inline constexpr float kActionClampForLikelihood = 0.999F;

// Linear layers with ReLU between them: in -> hidden... -> out.
torch::nn::Sequential MakeMlp(int in, const std::vector<int>& hidden, int out);

// Tanh-squashed Gaussian policy: mean and log standard deviation of the pre-tanh Gaussian.
struct ActorImpl : torch::nn::Module {
  ActorImpl(int obs_dim, int action_dim, const std::vector<int>& hidden);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs);
  torch::nn::Sequential net{nullptr};
  int action_dim;
};
TORCH_MODULE(Actor);

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
