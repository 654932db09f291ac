#ifndef TARMAC_LEARNER_INFERENCE_NET_H_
#define TARMAC_LEARNER_INFERENCE_NET_H_

// The network behind an InferencePolicy and the kernels that run it (Eigen's AVX2 ones,
// XNNPACK's, oneDNN's or LibTorch's dense layers). Private to learner/.

#include <torch/torch.h>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "mlp_avx2.h"
#include "networks.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::learner {

// Whether this build has the Eigen kernels (mlp_avx2.h) and this CPU can run them.
bool EigenKernelsRun();

struct InferencePolicy::Net {
  schemas::Architecture architecture;
  std::uint64_t version = 0;
  // The actor's linear layers (weight [out, in], bias [out]), ReLU between them, as MakeMlp
  // builds them; the last one outputs the mean and log-std side by side. Plain tensors rather
  // than an Actor module: a module would first initialise every parameter at random.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> layers;
  std::vector<float> mean, std, low, high;  // observation normaliser and action bounds
  float clip = 10.0F;
  // The actor's layers packed once for XNNPACK's fully-connected kernels, with the ReLU fused
  // (LibTorch registers them as the operators prepacked::linear_clamp_prepack/run, which its
  // mobile optimiser emits). At the actors' batch sizes they cost about half a oneDNN forward,
  // which reorders its weights on every call. An XNNPACK operator is set up per call, so one
  // packed copy runs one call at a time: a call takes a copy no other call holds, and packs
  // another when none is free (env actors that run the policy inline call it at once; before,
  // they queued for the one copy, ~58 us a call with two of them). Empty when this LibTorch
  // lacks them.
  struct XnnpackCopy {
    std::mutex busy;
    std::vector<c10::IValue> layers;
  };
  c10::optional<c10::OperatorHandle> xnnpack_prepack, xnnpack_run;
  // The copy packed when the kernels were prepared, never replaced: whether XNNPACK runs is
  // read from it without a lock while other calls add copies.
  std::unique_ptr<XnnpackCopy> xnnpack_first;
  mutable std::mutex xnnpack_mutex;  // guards the copies packed since
  mutable std::vector<std::unique_ptr<XnnpackCopy>> xnnpack_more;
  // Every layer packed for XNNPACK once more (throws c10::Error where XNNPACK cannot run).
  std::unique_ptr<XnnpackCopy> PackForXnnpack() const;
  // A copy no other call holds (packed now when none is free), held until the lock goes.
  std::pair<const XnnpackCopy*, std::unique_lock<std::mutex>> HoldXnnpackCopy() const;
  // Otherwise the layers as oneDNN tensors: Debian's LibTorch multiplies dense tensors through
  // the system BLAS (~30 GFLOP/s with BLIS), oneDNN's own kernels run ~150. Empty when this
  // LibTorch has no oneDNN either; the dense layers are used then.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> mkldnn_layers;
  // A "sac_transformer" or "torchscript" actor runs as its LibTorch module instead of the
  // layers above.
  std::shared_ptr<ActorNet> module;

  // The layers for the Eigen kernels (mlp_avx2.h), pointing into `layers`' tensors, which
  // stay alive and unchanged with the policy; the widest hidden layer sizes their scratch.
  // Empty unless they run.
  std::vector<mlp_avx2::Layer> eigen_layers;
  std::size_t eigen_widest = 0;

  // Picks the fastest kernels for this CPU, or `backend` ("eigen", "xnnpack", "onednn",
  // "libtorch"; empty: the fastest). False when the one asked for is not available. Without
  // AVX-512, Eigen's AVX2 kernels (measured: about half XNNPACK's time at 64 rows, whose AVX2
  // kernel spills an accumulator); with it, XNNPACK's AVX-512 kernels; then oneDNN, then the
  // dense LibTorch layers. The choice depends on the CPU only, so runs repeat on one machine.
  bool PrepareKernels(absl::string_view backend);

  // Forward on the Eigen kernels into `out` [rows, 2 * action_dim]; `z` [rows, obs_dim].
  void ForwardEigen(const float* z, int rows, float* out) const;

  // Mean and log-std (not yet clamped) of the pre-tanh Gaussian for normalised observations
  // `z`, side by side: [rows, 2 * action_dim].
  torch::Tensor Forward(const torch::Tensor& z) const;
};

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_INFERENCE_NET_H_
