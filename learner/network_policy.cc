#include "tarmac/learner/network_policy.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "inference_net.h"
#include "networks.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"

namespace tarmac::learner {
namespace {

// c10 messages can span lines; a user sees one sentence.
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

InferencePolicy::InferencePolicy(std::unique_ptr<Net> net) : net_(std::move(net)) {}
InferencePolicy::~InferencePolicy() = default;

const schemas::Architecture& InferencePolicy::architecture() const { return net_->architecture; }
std::uint64_t InferencePolicy::version() const { return net_->version; }
const char* InferencePolicy::backend() const {
  if (!net_->eigen_layers.empty()) return "eigen";
  if (net_->xnnpack_first != nullptr) return "xnnpack";
  return net_->mkldnn_layers.empty() ? "libtorch" : "onednn";
}

absl::StatusOr<std::unique_ptr<InferencePolicy>> InferencePolicy::FromWeights(
    const schemas::PolicyWeights& weights, absl::string_view backend) {
  if (!backend.empty() && backend != "eigen" && backend != "xnnpack" && backend != "onednn" &&
      backend != "libtorch") {
    return absl::InvalidArgumentError(absl::StrCat("unknown inference backend '", backend,
                                                   "' (eigen, xnnpack, onednn or libtorch)"));
  }
  const schemas::Architecture& arch = weights.architecture;
  const bool transformer = arch.kind == "sac_transformer";
  const bool scripted = arch.kind == "torchscript";
  if (!scripted && ((arch.kind != "sac_mlp" && !transformer) || arch.activation != "relu")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy weights of kind '", arch.kind, "' (", arch.activation,
        ") cannot be run; tarmac runs sac_mlp and sac_transformer (relu), and torchscript"));
  }
  if (arch.obs_dim == 0 || arch.action_dim == 0 || arch.action_dim > 8 ||
      (!scripted && arch.hidden_sizes.empty())) {
    return absl::InvalidArgumentError("policy weights describe an empty network");
  }
  for (auto h : arch.hidden_sizes) {
    if (h == 0 || h > 65536) {
      return absl::InvalidArgumentError("policy weights have a layer of 0 or > 65536 units");
    }
  }
  std::map<std::string, const schemas::Tensor*> by_name;
  std::vector<envs::TokenGroup> tokens;           // a transformer's (arch.tokens)
  const schemas::Tensor* module_bytes = nullptr;  // a TorchScript actor's .pt (actor.module)
  for (const auto& t : weights.tensors) {
    if (scripted && t.name == "actor.module") {
      if (t.dtype != schemas::DType::kUInt8) {
        return absl::InvalidArgumentError("policy tensor actor.module is not uint8 bytes");
      }
      module_bytes = &t;
      continue;
    }
    if (transformer && t.name == "arch.tokens") {
      if (t.dtype != schemas::DType::kInt64 || t.shape.size() != 2 || t.shape[1] != 2 ||
          t.data.size() != static_cast<std::size_t>(t.shape[0]) * 2 * sizeof(std::int64_t)) {
        return absl::InvalidArgumentError("policy tensor arch.tokens is not [groups, 2] int64");
      }
      std::vector<std::int64_t> layout(static_cast<std::size_t>(t.shape[0]) * 2);
      std::memcpy(layout.data(), t.data.data(), layout.size() * sizeof(std::int64_t));
      for (std::size_t g = 0; g < layout.size(); g += 2) {
        if (layout[g] <= 0 || layout[g + 1] <= 0 || layout[g] > 4096 || layout[g + 1] > 65536) {
          return absl::InvalidArgumentError("policy tensor arch.tokens holds an empty group");
        }
        tokens.push_back({"", static_cast<int>(layout[g]), static_cast<int>(layout[g + 1])});
      }
      continue;
    }
    if (t.dtype != schemas::DType::kFloat32) {
      return absl::InvalidArgumentError(absl::StrCat("policy tensor ", t.name, " is not float32"));
    }
    by_name[t.name] = &t;
  }
  auto net = std::make_unique<Net>();
  net->architecture = arch;
  net->version = weights.version;
  const auto load = [&](const std::string& name,
                        const std::vector<std::int64_t>& shape) -> absl::StatusOr<torch::Tensor> {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrCat("policy weights lack the tensor ", name));
    }
    if (it->second->shape != shape) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy tensor ", name, " has the wrong shape for the architecture"));
    }
    auto t = torch::empty(shape, torch::kFloat32);
    std::memcpy(t.data_ptr<float>(), it->second->data.data(), it->second->data.size());
    if (!torch::isfinite(t).all().item<bool>()) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy tensor ", name, " holds NaN or infinite values"));
    }
    by_name.erase(it);
    return t;
  };
  const auto obs = static_cast<std::int64_t>(arch.obs_dim);
  const auto act = static_cast<std::int64_t>(arch.action_dim);
  try {
    torch::NoGradGuard no_grad;
    if (transformer) {
      if (arch.hidden_sizes.size() < 3 || arch.hidden_sizes[0] > 4096 ||
          arch.hidden_sizes[1] > 32 || arch.hidden_sizes[2] > 64 ||
          arch.hidden_sizes[0] % arch.hidden_sizes[2] != 0) {
        return absl::InvalidArgumentError(
            "sac_transformer weights need hidden sizes (dim, layers, heads, head layers...) with "
            "dim a multiple of heads");
      }
      auto covered = ActorTokens(tokens, static_cast<int>(obs));
      if (tokens.empty() || !covered.ok()) {
        return absl::InvalidArgumentError(
            "sac_transformer weights lack arch.tokens covering the observation");
      }
      TransformerShape t;
      t.dim = static_cast<int>(arch.hidden_sizes[0]);
      t.layers = static_cast<int>(arch.hidden_sizes[1]);
      t.heads = static_cast<int>(arch.hidden_sizes[2]);
      t.hidden.assign(arch.hidden_sizes.begin() + 3, arch.hidden_sizes.end());
      auto module = std::make_shared<TransformerActorImpl>(static_cast<int>(act), tokens, t);
      for (auto& p : module->named_parameters()) {
        auto loaded = load("actor." + p.key(), p.value().sizes().vec());
        if (!loaded.ok()) return loaded.status();
        p.value().copy_(*loaded);
      }
      module->eval();
      net->module = std::move(module);
    }
    if (scripted) {
      if (module_bytes == nullptr) {
        return absl::InvalidArgumentError("torchscript policy weights lack actor.module");
      }
      std::istringstream in(module_bytes->data);
      auto module = LoadPolicyModule(in, "the published TorchScript actor", static_cast<int>(obs),
                                     static_cast<int>(act));
      if (!module.ok()) return module.status();
      auto actor = std::make_shared<ScriptedActorImpl>(*std::move(module));
      actor->eval();
      net->module = std::move(actor);
    }
    std::int64_t width = obs;
    for (std::size_t l = 0; !transformer && !scripted && l <= arch.hidden_sizes.size(); ++l) {
      const std::int64_t out =
          l < arch.hidden_sizes.size() ? static_cast<std::int64_t>(arch.hidden_sizes[l]) : 2 * act;
      const std::string name = absl::StrCat("actor.net.", 2 * l);  // Linear, ReLU, Linear, ...
      auto weight = load(name + ".weight", {out, width});
      if (!weight.ok()) return weight.status();
      auto bias = load(name + ".bias", {out});
      if (!bias.ok()) return bias.status();
      net->layers.emplace_back(*std::move(weight), *std::move(bias));
      width = out;
    }
    auto mean = load("obs_norm.mean", {obs});
    auto std = load("obs_norm.std", {obs});
    auto clip = load("obs_norm.clip", {});
    auto low = load("action.low", {act});
    auto high = load("action.high", {act});
    for (const auto* s : {&mean, &std, &clip, &low, &high}) {
      if (!s->ok()) return s->status();
    }
    if (!(std->min().item<float>() > 0.0F) || !(clip->item<float>() > 0.0F) ||
        !(*high > *low).all().item<bool>()) {
      return absl::InvalidArgumentError(
          "policy weights have a non-positive normaliser scale or an empty action range");
    }
    if (!by_name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy weights hold an unexpected tensor ", by_name.begin()->first));
    }
    const auto values = [](const torch::Tensor& t) {
      const float* p = t.data_ptr<float>();
      return std::vector<float>(p, p + t.numel());
    };
    net->mean = values(*mean);
    net->std = values(*std);
    net->clip = clip->item<float>();
    net->low = values(*low);
    net->high = values(*high);
    if (!net->PrepareKernels(backend)) {
      return absl::UnavailableError(
          absl::StrCat("this build or CPU cannot run the inference backend '", backend, "'"));
    }
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("policy weights could not be loaded: ",
                                                   FirstLine(e.what_without_backtrace())));
  }
  return std::unique_ptr<InferencePolicy>(new InferencePolicy(std::move(net)));
}

absl::StatusOr<std::string> InferencePolicy::PinnedBackend(absl::string_view setting) {
  if (setting == "auto") return std::string();
  if (!BackendRuns(setting)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "actor.inference_backend ", setting,
        " cannot run in this build on this CPU (eigen needs AVX2 and FMA); use auto or another"));
  }
  return std::string(setting);
}

bool InferencePolicy::BackendRuns(absl::string_view backend) {
  if (backend == "eigen") return EigenKernelsRun();
  if (backend == "libtorch") return true;
  if (backend == "onednn") return at::hasMKLDNN();
  if (backend != "xnnpack") return false;
  // XNNPACK: its operators registered, and a one-unit layer packs on this CPU.
  Net net;
  net.layers.emplace_back(torch::ones({1, 1}), torch::zeros({1}));
  try {
    return net.PrepareKernels("xnnpack");
  } catch (const c10::Error&) {
    return false;
  }
}

absl::StatusOr<std::unique_ptr<InferencePolicy>> InferencePolicy::Random(
    int obs_dim, const std::vector<float>& action_low, const std::vector<float>& action_high,
    const std::vector<int>& hidden_sizes, std::uint64_t seed, absl::string_view backend) {
  SacOptions options;
  options.hidden_sizes = hidden_sizes;
  options.seed = seed;
  options.device = "cpu";
  options.threads = 1;
  BatchShape shape{obs_dim, static_cast<int>(action_low.size()), action_low, action_high, {}};
  auto trainer = SacTrainer::Create(options, shape);
  if (!trainer.ok()) return trainer.status();
  return FromWeights((*trainer)->ExportPolicy(0), backend);
}

namespace {

// The actor of one checkpoint file; InvalidArgument naming the file when it cannot be read.
absl::StatusOr<std::unique_ptr<InferencePolicy>> LoadCheckpointFile(const std::string& path,
                                                                    absl::string_view backend) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, torch::kCPU);
    c10::IValue algorithm;
    torch::Tensor low, high, mean;
    if (!archive.try_read("algorithm", algorithm) || !algorithm.isString()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " is not a tarmac learner checkpoint"));
    }
    archive.read("action_low", low);
    archive.read("action_high", high);
    archive.read("obs_norm.mean", mean);
    torch::Tensor hidden_sizes;
    archive.read("hidden_sizes", hidden_sizes);
    hidden_sizes = hidden_sizes.to(torch::kInt64).contiguous();
    const std::vector<int> hidden(hidden_sizes.data_ptr<std::int64_t>(),
                                  hidden_sizes.data_ptr<std::int64_t>() + hidden_sizes.numel());
    SacOptions options;
    options.hidden_sizes = hidden;
    options.device = "cpu";
    options.threads = 1;
    BatchShape shape;
    c10::IValue arch;
    const bool has_arch = archive.try_read("arch", arch) && arch.isString();
    if (has_arch && arch.toStringRef() == "torchscript") {
      torch::Tensor module;
      archive.read("module", module);
      module = module.contiguous();
      options.model = path;
      options.model_bytes.assign(static_cast<const char*>(module.data_ptr()),
                                 static_cast<std::size_t>(module.numel()));
    }
    if (has_arch && arch.toStringRef() == "transformer") {
      torch::Tensor sizes, layout;
      archive.read("transformer", sizes);
      archive.read("tokens", layout);
      sizes = sizes.to(torch::kInt64).contiguous();
      layout = layout.to(torch::kInt64).contiguous();
      if (sizes.numel() != 3 || layout.dim() != 2 || layout.size(1) != 2) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, " describes a transformer actor without its sizes or tokens"));
      }
      options.arch = ActorArch::kTransformer;
      options.transformer_dim = static_cast<int>(sizes[0].item<std::int64_t>());
      options.transformer_layers = static_cast<int>(sizes[1].item<std::int64_t>());
      options.transformer_heads = static_cast<int>(sizes[2].item<std::int64_t>());
      for (std::int64_t g = 0; g < layout.size(0); ++g) {
        shape.tokens.push_back({"", static_cast<int>(layout[g][0].item<std::int64_t>()),
                                static_cast<int>(layout[g][1].item<std::int64_t>())});
      }
    }
    shape.obs_dim = static_cast<int>(mean.numel());
    shape.action_dim = static_cast<int>(low.numel());
    shape.action_low.assign(low.data_ptr<float>(), low.data_ptr<float>() + low.numel());
    shape.action_high.assign(high.data_ptr<float>(), high.data_ptr<float>() + high.numel());
    auto trainer = SacTrainer::Create(options, shape);
    if (!trainer.ok()) return trainer.status();
    if (auto status = (*trainer)->LoadCheckpoint(path); !status.ok()) return status;
    return InferencePolicy::FromWeights((*trainer)->ExportPolicy((*trainer)->step()), backend);
  } catch (const c10::Error&) {
    // LibTorch's own words ("PytorchStreamReader failed reading zip archive") mean nothing to
    // the user; what they can act on is that the file is damaged.
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is truncated or corrupt (it is not a readable tarmac learner checkpoint)"));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<InferencePolicy>> InferencePolicy::FromCheckpoint(
    const std::string& dir, CheckpointChoice* choice, absl::string_view backend) {
  if (!backend.empty() && !BackendRuns(backend)) {
    // Said before any file is read: no checkpoint is at fault, so none may be skipped.
    return absl::UnavailableError(
        absl::StrCat("the inference backend '", backend, "' cannot run in this build on this CPU"));
  }
  std::error_code error;
  if (!std::filesystem::exists(dir, error)) {
    return absl::NotFoundError(absl::StrCat("no checkpoint at ", dir));
  }
  std::vector<std::string> candidates = {dir};
  if (std::filesystem::is_directory(dir, error)) {
    auto all = ListCheckpoints(dir);
    if (!all.ok()) return all.status();
    candidates = *std::move(all);
  }
  CheckpointChoice local;
  CheckpointChoice& c = choice != nullptr ? *choice : local;
  c = CheckpointChoice();
  absl::Status first_error;
  for (const std::string& path : candidates) {
    auto policy = LoadCheckpointFile(path, backend);
    if (policy.ok()) {
      c.loaded = path;
      return policy;
    }
    if (first_error.ok()) first_error = policy.status();
    c.skipped.emplace_back(path, std::string(policy.status().message()));
  }
  if (candidates.size() == 1) return first_error;
  return absl::InvalidArgumentError(
      absl::StrCat("none of the ", candidates.size(), " checkpoints in ", dir,
                   " can be read; the newest: ", first_error.message()));
}

void InferencePolicy::Act(absl::Span<const float> observations, int rows,
                          absl::Span<const float> noise_scale, std::uint64_t seed,
                          absl::Span<float> actions) const {
  const Net& n = *net_;
  const auto obs_dim = static_cast<std::int64_t>(n.architecture.obs_dim);
  const auto act_dim = static_cast<std::int64_t>(n.architecture.action_dim);
  // Normalising and squashing run here rather than as LibTorch ops: on batches of a few dozen
  // rows each op's dispatch costs more than its arithmetic. The layers run in LibTorch.
  const std::size_t in = static_cast<std::size_t>(rows) * obs_dim;
  std::vector<float> z(in);
  const float* mean = n.mean.data();
  const float* std = n.std.data();
  for (std::size_t row = 0; row < in; row += static_cast<std::size_t>(obs_dim)) {
    for (std::int64_t d = 0; d < obs_dim; ++d) {
      z[row + d] = std::clamp((observations[row + d] - mean[d]) / std[d], -n.clip, n.clip);
    }
  }
  torch::Tensor out;
  std::vector<float> eigen_out;
  const float* head = nullptr;  // per row: mean | log-std
  if (!n.eigen_layers.empty()) {
    eigen_out.resize(static_cast<std::size_t>(rows) * 2 * act_dim);
    n.ForwardEigen(z.data(), rows, eigen_out.data());
    head = eigen_out.data();
  } else {
    c10::InferenceMode inference;
    out = n.Forward(torch::from_blob(z.data(), {rows, obs_dim}, torch::kFloat32)).contiguous();
    head = out.data_ptr<float>();
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.0F, 1.0F);
  for (int r = 0; r < rows; ++r) {
    const float* row = head + static_cast<std::ptrdiff_t>(r) * 2 * act_dim;
    const float scale = noise_scale.empty() ? 0.0F : noise_scale[r];
    for (std::int64_t d = 0; d < act_dim; ++d) {
      float u = row[d];
      if (scale > 0.0F) {
        const float log_std = std::clamp(row[act_dim + d], static_cast<float>(kLogStdMin),
                                         static_cast<float>(kLogStdMax));
        u += scale * std::exp(log_std) * gauss(rng);
      }
      const float low = n.low[d], high = n.high[d];
      actions[static_cast<std::size_t>(r * act_dim + d)] =
          low + (std::tanh(u) + 1.0F) * 0.5F * (high - low);
    }
  }
}

void SetInferenceThreads(int threads) { torch::set_num_threads(std::max(1, threads)); }

NetworkPolicy::NetworkPolicy(std::shared_ptr<const InferencePolicy> net, float noise_scale)
    : net_(std::move(net)), noise_scale_(noise_scale) {}

std::string NetworkPolicy::Name() const { return absl::StrCat("policy v", net_->version()); }

std::uint64_t NetworkPolicy::Version() const { return net_->version(); }

void NetworkPolicy::Reset(const envs::Env& /*env*/) {}

void NetworkPolicy::Act(const envs::Env& /*env*/, absl::Span<const float> observation,
                        absl::Span<float> action) {
  const float scale = noise_scale_;
  net_->Act(observation, 1,
            noise_scale_ > 0.0F ? absl::MakeConstSpan(&scale, 1) : absl::Span<const float>(),
            ++draws_, action);
}

}  // namespace tarmac::learner
