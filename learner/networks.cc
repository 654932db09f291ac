#include "networks.h"

#include <ATen/autocast_mode.h>

#include <cmath>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "small_attention.h"

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

namespace {

// Draws the last linear layer of `net` near zero: the untrained policy starts near the middle
// of the action range with unit noise, instead of saturating tanh with large means.
void ShrinkOutputLayer(torch::nn::Sequential& net) {
  torch::NoGradGuard no_grad;
  auto out = net->ptr<torch::nn::LinearImpl>(net->size() - 1);
  out->weight.uniform_(-1e-3, 1e-3);
  out->bias.zero_();
}

// c10 messages can span lines; a user sees one sentence.
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

std::pair<torch::Tensor, torch::Tensor> MeanAndLogStd(const torch::Tensor& out) {
  auto parts = out.to(torch::kFloat32).chunk(2, /*dim=*/1);
  return {parts[0], torch::clamp(parts[1], kLogStdMin, kLogStdMax)};
}

// What TransformerEncoderLayerImpl::forward computes for this actor's layers (post-norm, ReLU,
// no dropout, no masks; its parameters), on [rows, tokens, dim] and with SmallAttention in place
// of LibTorch's per-sequence bmm. The same arithmetic up to the order of float additions.
torch::Tensor EncoderLayerForward(torch::nn::TransformerEncoderLayerImpl& layer,
                                  const torch::Tensor& x) {
  torch::nn::MultiheadAttentionImpl& attention = *layer.self_attn;
  const std::int64_t rows = x.size(0), tokens = x.size(1), dim = x.size(2);
  const std::int64_t heads = attention.options.num_heads(), head_dim = attention.head_dim;
  // [rows, tokens, 3 * dim] -> [3, rows, heads, tokens, head_dim]
  const torch::Tensor qkv =
      torch::nn::functional::linear(x, attention.in_proj_weight, attention.in_proj_bias)
          .view({rows, tokens, 3, heads, head_dim})
          .permute({2, 0, 3, 1, 4});
  const auto sequences = [&](const torch::Tensor& t) {
    return t.reshape({rows * heads, tokens, head_dim});
  };
  const torch::Tensor attended =
      SmallAttention(sequences(qkv[0] * std::pow(static_cast<double>(head_dim), -0.5)),
                     sequences(qkv[1]), sequences(qkv[2]))
          .view({rows, heads, tokens, head_dim})
          .permute({0, 2, 1, 3})
          .reshape({rows, tokens, dim});
  const torch::Tensor h = layer.norm1(x + attention.out_proj(attended));
  return layer.norm2(h + layer.linear2(torch::relu(layer.linear1(h))));
}

}  // namespace

ActorImpl::ActorImpl(int obs_dim, int action_dim_in, const std::vector<int>& hidden)
    : action_dim(action_dim_in) {
  net = register_module("net", MakeMlp(obs_dim, hidden, 2 * action_dim));
  ShrinkOutputLayer(net);
}

std::pair<torch::Tensor, torch::Tensor> ActorImpl::forward(const torch::Tensor& obs) {
  return MeanAndLogStd(net->forward(obs));
}

TransformerActorImpl::TransformerActorImpl(int action_dim_in,
                                           const std::vector<envs::TokenGroup>& tokens_in,
                                           const TransformerShape& shape)
    : tokens(tokens_in), action_dim(action_dim_in) {
  embed = register_module("embed", torch::nn::ModuleList());
  int total = 0;
  for (const envs::TokenGroup& g : tokens) {
    embed->push_back(torch::nn::Linear(g.size, shape.dim));
    total += g.count;
  }
  position = register_parameter("position", torch::randn({total, shape.dim}) * 0.02);
  encoder = register_module("encoder", torch::nn::ModuleList());
  for (int l = 0; l < shape.layers; ++l) {
    encoder->push_back(torch::nn::TransformerEncoderLayer(
        torch::nn::TransformerEncoderLayerOptions(shape.dim, shape.heads)
            .dim_feedforward(2 * shape.dim)
            .dropout(0.0)));
  }
  head = register_module("head", MakeMlp(2 * shape.dim, shape.hidden, 2 * action_dim));
  ShrinkOutputLayer(head);
}

std::pair<torch::Tensor, torch::Tensor> TransformerActorImpl::forward(const torch::Tensor& obs) {
  const std::int64_t rows = obs.size(0);
  std::vector<torch::Tensor> parts;
  std::int64_t offset = 0;
  for (std::size_t g = 0; g < tokens.size(); ++g) {
    const envs::TokenGroup& group = tokens[g];
    auto x = obs.narrow(1, offset, static_cast<std::int64_t>(group.count) * group.size)
                 .reshape({rows, group.count, group.size});
    parts.push_back(embed[g]->as<torch::nn::Linear>()->forward(x));
    offset += static_cast<std::int64_t>(group.count) * group.size;
  }
  auto x = torch::cat(parts, /*dim=*/1) + position;  // [rows, tokens, dim]
  for (const auto& layer : *encoder) {
    x = EncoderLayerForward(*layer->as<torch::nn::TransformerEncoderLayer>(), x);
  }
  auto pooled = torch::cat({x.select(1, 0), x.mean(1)}, /*dim=*/1);
  return MeanAndLogStd(head->forward(pooled));
}

absl::StatusOr<torch::jit::Module> LoadPolicyModule(std::istream& bytes, const std::string& what,
                                                    int obs_dim, int action_dim) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(bytes, torch::kCPU);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not a TorchScript module: ", FirstLine(e.what())));
  }
  module.eval();
  if (!module.find_method("forward")) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has no forward method"));
  }
  // One all-zero observation: the shapes and values forward gives back.
  c10::IValue out;
  try {
    c10::InferenceMode guard;
    out = module.forward({torch::zeros({1, obs_dim}, torch::kFloat32)});
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": its forward failed on an observation: ", FirstLine(e.what())));
  }
  if (!out.isTuple() || out.toTupleRef().elements().size() != 2 ||
      !out.toTupleRef().elements()[0].isTensor() || !out.toTupleRef().elements()[1].isTensor()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": forward(obs) must return a tuple (mean, log_std) of two tensors"));
  }
  const torch::Tensor mean = out.toTupleRef().elements()[0].toTensor();
  const torch::Tensor log_std = out.toTupleRef().elements()[1].toTensor();
  const std::vector<std::int64_t> expected = {1, action_dim};
  if (mean.sizes().vec() != expected || log_std.sizes().vec() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": forward(obs) of one observation of ", obs_dim,
                     " floats must give mean and log_std of shape (1, ", action_dim, "), not (",
                     absl::StrJoin(mean.sizes().vec(), ", "), ") and (",
                     absl::StrJoin(log_std.sizes().vec(), ", "), ")"));
  }
  if (!torch::isfinite(mean).all().item<bool>()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": forward(obs) gives a mean that is not finite"));
  }
  return module;
}

ScriptedActorImpl::ScriptedActorImpl(torch::jit::Module module_in) : module(std::move(module_in)) {
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    register_parameter(absl::StrReplaceAll(p.name, {{".", "_"}}), p.value);
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    register_buffer(absl::StrReplaceAll(b.name, {{".", "_"}}), b.value);
  }
  module.train(true);
}

std::pair<torch::Tensor, torch::Tensor> ScriptedActorImpl::forward(const torch::Tensor& obs) {
  const c10::IValue out = module.forward({obs});
  return MeanAndLogStd(torch::cat(
      {out.toTupleRef().elements()[0].toTensor(), out.toTupleRef().elements()[1].toTensor()},
      /*dim=*/1));
}

std::string ScriptedActorImpl::Serialize() const {
  std::ostringstream bytes;
  module.save(bytes);
  return std::move(bytes).str();
}

void ScriptedActorImpl::train(bool on) {
  ActorNet::train(on);
  module.train(on);
}

absl::StatusOr<std::vector<envs::TokenGroup>> ActorTokens(
    const std::vector<envs::TokenGroup>& tokens, int obs_dim) {
  if (tokens.empty()) return std::vector<envs::TokenGroup>{{"observation", 1, obs_dim}};
  int covered = 0;
  for (const envs::TokenGroup& g : tokens) {
    if (g.count <= 0 || g.size <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the env's token group '", g.name, "' has no tokens or empty ones"));
    }
    covered += g.count * g.size;
  }
  if (covered != obs_dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("the env's token groups cover ", covered, " of its ", obs_dim,
                     " observation floats; a transformer actor needs them to cover all"));
  }
  return tokens;
}

absl::StatusOr<std::shared_ptr<ActorNet>> MakeActor(const SacOptions& options,
                                                    const BatchShape& shape,
                                                    const std::string& module_bytes) {
  if (!options.model.empty()) {
    std::istringstream in(module_bytes);
    auto module = LoadPolicyModule(in, options.model, shape.obs_dim, shape.action_dim);
    if (!module.ok()) return module.status();
    return std::shared_ptr<ActorNet>(std::make_shared<ScriptedActorImpl>(*std::move(module)));
  }
  if (options.arch == ActorArch::kMlp) {
    return std::shared_ptr<ActorNet>(
        std::make_shared<ActorImpl>(shape.obs_dim, shape.action_dim, options.hidden_sizes));
  }
  auto tokens = ActorTokens(shape.tokens, shape.obs_dim);
  if (!tokens.ok()) return tokens.status();
  const TransformerShape t{options.transformer_dim, options.transformer_layers,
                           options.transformer_heads, options.hidden_sizes};
  return std::shared_ptr<ActorNet>(
      std::make_shared<TransformerActorImpl>(shape.action_dim, *tokens, t));
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
