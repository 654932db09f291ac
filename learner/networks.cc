#include "networks.h"

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
  auto out = net->forward(obs);
  auto parts = out.chunk(2, /*dim=*/1);
  auto log_std = torch::clamp(parts[1], kLogStdMin, kLogStdMax);
  return {parts[0], log_std};
}

TwinCriticImpl::TwinCriticImpl(int obs_dim, int action_dim, const std::vector<int>& hidden) {
  q1 = register_module("q1", MakeMlp(obs_dim + action_dim, hidden, 1));
  q2 = register_module("q2", MakeMlp(obs_dim + action_dim, hidden, 1));
}

std::pair<torch::Tensor, torch::Tensor> TwinCriticImpl::forward(const torch::Tensor& obs,
                                                                const torch::Tensor& action) {
  auto input = torch::cat({obs, action}, /*dim=*/1);
  return {q1->forward(input).squeeze(1), q2->forward(input).squeeze(1)};
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
