#include "networks.h"

#include <ATen/autocast_mode.h>

#include <cmath>
#include <string>

namespace tarmac::learner {

torch::nn::Sequential MakeMlp(int in, const std::vector<int>& hidden, int out) {
  torch::nn::Sequential net;
  int width = in;
  for (int h : hidden) {
    net->push_back(torch::nn::Linear(width, h));
    net->push_back(torch::nn::ReLU());
    width = h;
  }
  net->push_back(torch::nn::Linear(width, out));
  return net;
}

ActorImpl::ActorImpl(int obs_dim, int action_dim_in, const std::vector<int>& hidden)
    : action_dim(action_dim_in) {
  net = register_module("net", MakeMlp(obs_dim, hidden, 2 * action_dim));
  // A small output layer: the untrained policy starts near the middle of the action range with
  // unit noise, instead of saturating tanh with arbitrary large means.
  torch::NoGradGuard no_grad;
  auto& out = net->ptr<torch::nn::LinearImpl>(net->size() - 1)->weight;
  out.uniform_(-1e-3, 1e-3);
  net->ptr<torch::nn::LinearImpl>(net->size() - 1)->bias.zero_();
}

std::pair<torch::Tensor, torch::Tensor> ActorImpl::forward(const torch::Tensor& obs) {
  auto out = net->forward(obs).to(torch::kFloat32);
  auto parts = out.chunk(2, /*dim=*/1);
  auto log_std = torch::clamp(parts[1], kLogStdMin, kLogStdMax);
  return {parts[0], log_std};
}

TwinCriticImpl::TwinCriticImpl(int obs_dim, int action_dim, const std::vector<int>& hidden,
                               bool fused_in)
    : fused(fused_in) {
  q1 = register_module("q1", MakeMlp(obs_dim + action_dim, hidden, 1));
  q2 = register_module("q2", MakeMlp(obs_dim + action_dim, hidden, 1));
  for (std::size_t i = 0; i < q1->size(); ++i) {
    if (auto* l = q1->ptr(i)->as<torch::nn::Linear>()) linear1_.push_back(l);
    if (auto* l = q2->ptr(i)->as<torch::nn::Linear>()) linear2_.push_back(l);
  }
}

std::pair<torch::Tensor, torch::Tensor> TwinCriticImpl::forward(const torch::Tensor& obs,
                                                                const torch::Tensor& action) {
  auto input = torch::cat({obs, action}, /*dim=*/1);
  if (fused) return FusedForward(input);
  return {q1->forward(input).squeeze(1).to(torch::kFloat32),
          q2->forward(input).squeeze(1).to(torch::kFloat32)};
}

std::pair<torch::Tensor, torch::Tensor> TwinCriticImpl::FusedForward(const torch::Tensor& input) {
  const auto& a = linear1_;
  const auto& b = linear2_;
  const std::int64_t rows = input.size(0);
  // Layer 1: [rows, in] x [in, 2 * h] in one product, then split into [2, rows, h].
  auto w = torch::cat({a[0]->weight, b[0]->weight}, /*dim=*/0);
  auto bias = torch::cat({a[0]->bias, b[0]->bias}, /*dim=*/0);
  auto x = torch::relu(torch::addmm(bias, input, w.t()));
  x = x.view({rows, 2, -1}).transpose(0, 1);
  for (std::size_t l = 1; l < a.size(); ++l) {
    auto wl = torch::stack({a[l]->weight, b[l]->weight}).transpose(1, 2);  // [2, in, out]
    auto bl = torch::stack({a[l]->bias, b[l]->bias}).unsqueeze(1);         // [2, 1, out]
    x = torch::baddbmm(bl, x, wl);
    if (l + 1 < a.size()) x = torch::relu(x);
  }
  x = x.squeeze(2).to(torch::kFloat32);  // [2, rows]
  return {x[0], x[1]};
}

CpuBf16Scope::CpuBf16Scope(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  was_enabled_ = at::autocast::is_cpu_enabled();
  was_dtype_ = at::autocast::get_autocast_cpu_dtype();
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
}

CpuBf16Scope::~CpuBf16Scope() {
  if (!enabled_) return;
  at::autocast::set_cpu_enabled(was_enabled_);
  at::autocast::set_autocast_cpu_dtype(was_dtype_);
  if (!was_enabled_) at::autocast::clear_cache();
}

torch::Tensor TanhGaussianLogProb(const torch::Tensor& mean, const torch::Tensor& log_std,
                                  const torch::Tensor& pre_tanh) {
  const double log_sqrt_2pi = 0.5 * std::log(2.0 * M_PI);
  auto z = (pre_tanh - mean) * torch::exp(-log_std);
  auto gaussian = -0.5 * z * z - log_std - log_sqrt_2pi;
  auto squash = 2.0 * (std::log(2.0) - pre_tanh - torch::softplus(-2.0 * pre_tanh));
  return (gaussian - squash).sum(/*dim=*/1);
}

ObsNormalizer::ObsNormalizer(int obs_dim, double clip_in, const torch::Device& device)
    : clip(clip_in) {
  auto options = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  mean = torch::zeros({obs_dim}, options);
  var = torch::ones({obs_dim}, options);
  count = torch::zeros({}, options);
}

void ObsNormalizer::Update(const torch::Tensor& batch) {
  torch::NoGradGuard no_grad;
  auto x = batch.to(torch::kFloat64);
  const double n = static_cast<double>(x.size(0));
  if (n == 0) return;
  auto batch_mean = x.mean(0);
  auto batch_var = x.var(0, /*unbiased=*/false);
  auto total = count + n;
  auto delta = batch_mean - mean;
  auto new_mean = mean + delta * (n / total);
  auto m2 = var * count + batch_var * n + delta * delta * (count * n / total);
  mean = new_mean;
  var = m2 / total;
  count = total;
}

torch::Tensor ObsNormalizer::Std() const { return torch::sqrt(var + 1e-8); }

torch::Tensor ObsNormalizer::Apply(const torch::Tensor& obs) const {
  auto z = (obs - mean.to(obs.dtype())) / Std().to(obs.dtype());
  return torch::clamp(z, -clip, clip);
}

void CopyParameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto source = from.parameters();
  auto target = to.parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

std::vector<float> Flatten(torch::nn::Module& module) {
  std::vector<float> out;
  for (const auto& p : module.parameters()) {
    auto flat = p.detach().to(torch::kCPU).to(torch::kFloat32).contiguous().view(-1);
    out.insert(out.end(), flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  }
  return out;
}

}  // namespace tarmac::learner
