#include "inference_net.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>

namespace tarmac::learner {

bool EigenKernelsRun() {
#if TARMAC_MLP_AVX2
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool InferencePolicy::Net::PrepareKernels(absl::string_view backend) {
  if (backend == "libtorch" || module != nullptr) return true;
  const bool eigen_first = backend.empty() && !__builtin_cpu_supports("avx512f");
  if (EigenKernelsRun() && (backend == "eigen" || eigen_first)) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const auto& [weight, bias] = layers[i];
      eigen_layers.push_back({weight.data_ptr<float>(), bias.data_ptr<float>(),
                              static_cast<int>(weight.size(1)), static_cast<int>(weight.size(0))});
      if (i + 1 < layers.size()) {
        eigen_widest = std::max(eigen_widest, static_cast<std::size_t>(weight.size(0)));
      }
    }
    return true;
  }
  if (backend == "eigen") return false;
  xnnpack_prepack =
      c10::Dispatcher::singleton().findSchema({"prepacked::linear_clamp_prepack", ""});
  xnnpack_run = c10::Dispatcher::singleton().findSchema({"prepacked::linear_clamp_run", ""});
  if (xnnpack_prepack && xnnpack_run && (backend.empty() || backend == "xnnpack")) {
    try {
      xnnpack_first = PackForXnnpack();
      return true;
    } catch (const c10::Error&) {  // XNNPACK cannot run on this CPU: try oneDNN
    }
  }
  if (backend == "xnnpack") return false;
  if (!at::hasMKLDNN()) return backend.empty();
  for (const auto& [weight, bias] : layers) {
    mkldnn_layers.emplace_back(weight.to_mkldnn(), bias.to_mkldnn());
  }
  return true;
}

void InferencePolicy::Net::ForwardEigen(const float* z, int rows, float* out) const {
#if TARMAC_MLP_AVX2
  // Per thread and kept: at 64 rows of 256 units it is 128 KiB, which malloc would map and
  // unmap (page faults) on every call.
  thread_local std::vector<float> scratch;
  scratch.resize(std::max(scratch.size(), 2 * static_cast<std::size_t>(rows) * eigen_widest));
  mlp_avx2::Forward(eigen_layers.data(), static_cast<int>(eigen_layers.size()), z, rows,
                    scratch.data(), out);
#else
  (void)z, (void)rows, (void)out;
#endif
}

std::unique_ptr<InferencePolicy::Net::XnnpackCopy> InferencePolicy::Net::PackForXnnpack() const {
  auto packed = std::make_unique<XnnpackCopy>();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const bool hidden = i + 1 < layers.size();
    torch::jit::Stack stack{layers[i].first, layers[i].second,
                            hidden ? c10::IValue(c10::Scalar(0.0)) : c10::IValue(), c10::IValue()};
    xnnpack_prepack->callBoxed(&stack);
    packed->layers.push_back(std::move(stack.at(0)));
  }
  return packed;
}

std::pair<const InferencePolicy::Net::XnnpackCopy*, std::unique_lock<std::mutex>>
InferencePolicy::Net::HoldXnnpackCopy() const {
  if (std::unique_lock<std::mutex> held(xnnpack_first->busy, std::try_to_lock); held.owns_lock()) {
    return {xnnpack_first.get(), std::move(held)};
  }
  std::lock_guard<std::mutex> lock(xnnpack_mutex);
  for (const auto& copy : xnnpack_more) {
    std::unique_lock<std::mutex> held(copy->busy, std::try_to_lock);
    if (held.owns_lock()) return {copy.get(), std::move(held)};
  }
  xnnpack_more.push_back(PackForXnnpack());
  return {xnnpack_more.back().get(), std::unique_lock<std::mutex>(xnnpack_more.back()->busy)};
}

torch::Tensor InferencePolicy::Net::Forward(const torch::Tensor& z) const {
  torch::Tensor x;
  if (module != nullptr) {
    auto [mean, log_std] = module->forward(z);
    x = torch::cat({mean, log_std}, /*dim=*/1);
  } else if (xnnpack_first != nullptr) {
    const auto [copy, held] = HoldXnnpackCopy();
    x = z.contiguous();
    for (const c10::IValue& layer : copy->layers) {
      torch::jit::Stack stack{x, layer};
      xnnpack_run->callBoxed(&stack);
      x = stack.at(0).toTensor();
    }
  } else if (!mkldnn_layers.empty()) {
    x = z.contiguous().to_mkldnn();
    for (std::size_t i = 0; i < mkldnn_layers.size(); ++i) {
      x = at::mkldnn_linear(x, mkldnn_layers[i].first, mkldnn_layers[i].second);
      if (i + 1 < mkldnn_layers.size()) x = torch::relu(x);
    }
    x = x.to_dense();
  } else {
    x = z;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      x = torch::linear(x, layers[i].first, layers[i].second);
      if (i + 1 < layers.size()) x = torch::relu(x);
    }
  }
  return x;  // the log-std is clamped by the caller
}

}  // namespace tarmac::learner
