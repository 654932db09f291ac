#include "tarmac/learner/sac_trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "networks.h"
#include "tarmac/util/atomic_file.h"
#include "tarmac/util/splitmix.h"

namespace tarmac::learner {
namespace {

// c10 messages can span lines; a user sees one sentence.
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

constexpr char kCheckpointFormat[] = "tarmac-sac-checkpoint-v1";

// The update noise's seed at `step`: the splitmix64 generator seeded with `seed`, step times on.
std::uint64_t MixSeed(std::uint64_t seed, std::uint64_t step) {
  return util::SplitMix64(seed + 0x9E3779B97F4A7C15ULL * step);
}

// Names the networks' sizes; a checkpoint loads only into a learner with the same key. The MLP
// actor's key has no arch part (checkpoints from before the transformer keep loading).
std::string ShapeKey(const BatchShape& shape, const SacOptions& options) {
  std::string key = absl::StrCat("obs=", shape.obs_dim, " action=", shape.action_dim,
                                 " hidden=", absl::StrJoin(options.hidden_sizes, "x"));
  if (!options.model.empty()) {
    absl::StrAppend(&key, " arch=torchscript");
  } else if (options.arch == ActorArch::kTransformer) {
    auto tokens = ActorTokens(shape.tokens, shape.obs_dim);
    absl::StrAppend(&key, " arch=transformer dim=", options.transformer_dim,
                    " layers=", options.transformer_layers, " heads=", options.transformer_heads,
                    " tokens=");
    if (tokens.ok()) {
      absl::StrAppend(&key, absl::StrJoin(*tokens, ",", [](std::string* out, const auto& g) {
        absl::StrAppend(out, g.count, "x", g.size);
      }));
    }
  }
  return key;
}

// The transformer actor's tokens as (count, size) pairs, flattened: what published weights and
// checkpoints carry for the actors and `tarmac eval` to rebuild it.
std::vector<std::int64_t> TokenLayout(const BatchShape& shape) {
  std::vector<std::int64_t> layout;
  auto tokens = ActorTokens(shape.tokens, shape.obs_dim);
  if (!tokens.ok()) return layout;  // Create refused such a shape
  for (const envs::TokenGroup& g : *tokens) {
    layout.push_back(g.count);
    layout.push_back(g.size);
  }
  return layout;
}

// The TorchScript actor's .pt bytes: options.model_bytes, else the file options.model names,
// else none. InvalidArgument naming the file when it cannot be read.
absl::StatusOr<std::string> ModelBytes(const SacOptions& options) {
  if (!options.model_bytes.empty() || options.model.empty()) return options.model_bytes;
  std::ifstream in(options.model, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("learner.model ", options.model,
                                                   " cannot be read; give the path of a .pt file"));
  }
  return std::move(bytes).str();
}

torch::Tensor Rows(const std::vector<float>& data, int rows, int cols) {
  return torch::from_blob(const_cast<float*>(data.data()), {rows, cols}, torch::kFloat32);
}

torch::Tensor Column(const std::vector<float>& data, int rows) {
  return torch::from_blob(const_cast<float*>(data.data()), {rows}, torch::kFloat32);
}

absl::Status CheckBatch(const TrainingBatch& batch, const BatchShape& shape, const char* what) {
  const auto n = static_cast<std::size_t>(batch.size);
  if (batch.size <= 0)
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " batch is empty"));
  if (batch.obs.size() != n * shape.obs_dim || batch.next_obs.size() != n * shape.obs_dim ||
      batch.action.size() != n * shape.action_dim || batch.reward.size() != n ||
      batch.discount.size() != n || batch.is_weight.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " batch of ", n, " rows does not match observations of ",
                     shape.obs_dim, " and actions of ", shape.action_dim, " floats"));
  }
  return absl::OkStatus();
}

}  // namespace

struct SacTrainer::State {
  SacOptions options;
  BatchShape shape;
  torch::Device device{torch::kCPU};
  std::shared_ptr<ActorNet> actor;
  TwinCritic critic{nullptr}, critic_target{nullptr};
  torch::Tensor log_alpha;
  torch::Tensor fixed_alpha;  // options.initial_alpha on the device, made once in Build
  std::unique_ptr<torch::optim::Adam> actor_opt, critic_opt, alpha_opt;
  std::unique_ptr<ObsNormalizer> normalizer;
  double target_entropy = 0.0;
  std::uint64_t step = 0;
  bool critics_trained = false;  // critics_trained(): the loaded checkpoint was SAC's
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(0);

  struct Device {
    torch::Tensor obs, action, reward, discount, next_obs, weight;
  };
  // Copies a batch to the device: on the CPU a plain copy (from_blob does not own), on CUDA via
  // pinned host memory and an asynchronous transfer.
  torch::Tensor Upload(const torch::Tensor& host) const {
    if (device.is_cuda()) return host.pin_memory().to(device, /*non_blocking=*/true);
    return host.clone();
  }
  Device ToDevice(const TrainingBatch& b) const {
    const int n = b.size;
    Device d;
    d.obs = Upload(Rows(b.obs, n, shape.obs_dim));
    d.next_obs = Upload(Rows(b.next_obs, n, shape.obs_dim));
    d.action = Upload(Rows(b.action, n, shape.action_dim));
    d.reward = Upload(Column(b.reward, n));
    d.discount = Upload(Column(b.discount, n));
    d.weight = Upload(Column(b.is_weight, n));
    return d;
  }

  torch::Tensor Noise(int rows) {
    // at::randn takes the generator's mutex itself.
    return at::randn({rows, shape.action_dim}, generator, torch::kFloat32).to(device);
  }

  // A tanh(u) action with u ~ N(mean, std), its log probability and the Gaussian it came from.
  struct Sample {
    torch::Tensor action, logp, mean, log_std;
  };
  Sample SampleWithDistribution(const torch::Tensor& obs_norm) {
    auto [mean, log_std] = actor->forward(obs_norm);
    auto u = mean + torch::exp(log_std) * Noise(static_cast<int>(obs_norm.size(0)));
    return {torch::tanh(u), TanhGaussianLogProb(mean, log_std, u), mean, log_std};
  }
  // Samples tanh(u) with u ~ N(mean, std); returns (action, log prob).
  std::pair<torch::Tensor, torch::Tensor> SampleAction(const torch::Tensor& obs_norm) {
    Sample sample = SampleWithDistribution(obs_norm);
    return {sample.action, sample.logp};
  }

  // The KL anchor's frozen reference (SetAnchor): a whole state read from a checkpoint, of
  // which only the actor and the normaliser are used. Null: no anchor.
  std::unique_ptr<State> reference;

  // KL(pi(.|s) || pi_ref(.|s)) per row for raw observations `raw_obs` and the current policy's
  // Gaussian (mean, log_std) on them. Both are diagonal Gaussians before the tanh, which is a
  // bijection and leaves the divergence unchanged, so it is exact:
  // sum_d log(s_ref / s) + (s^2 + (m - m_ref)^2) / (2 s_ref^2) - 1/2.
  torch::Tensor AnchorKl(const torch::Tensor& raw_obs, const torch::Tensor& mean,
                         const torch::Tensor& log_std) const {
    torch::Tensor ref_mean, ref_log_std;
    {
      torch::NoGradGuard no_grad;
      std::tie(ref_mean, ref_log_std) =
          reference->actor->forward(reference->normalizer->Apply(raw_obs));
    }
    auto variance_ratio = torch::exp(2.0 * (log_std - ref_log_std));
    auto scaled_gap = (mean - ref_mean) * torch::exp(-ref_log_std);
    return (ref_log_std - log_std + 0.5 * (variance_ratio + scaled_gap.pow(2)) - 0.5).sum(1);
  }

  torch::Tensor Target(const Device& d) {
    torch::NoGradGuard no_grad;
    auto next = normalizer->Apply(d.next_obs);
    auto [next_action, next_logp] = SampleAction(next);
    auto [t1, t2] = critic_target->forward(next, next_action);
    auto next_value = torch::min(t1, t2);
    if (options.entropy_backup) next_value = next_value - Alpha() * next_logp;
    return d.reward + d.discount * next_value;
  }

  // -likelihood_weight log pi(a|s) + bc_mse_weight |tanh(mean) - a|^2 on demonstrations.
  torch::Tensor BcLoss(const Device& demos, double likelihood_weight) {
    auto obs = normalizer->Apply(demos.obs);
    auto [mean, log_std] = actor->forward(obs);
    auto u = torch::atanh(
        torch::clamp(demos.action, -kActionClampForLikelihood, kActionClampForLikelihood));
    // The likelihood alone lets the network widen its Gaussian on the rare, hard states (hard
    // braking) instead of fitting them; the squared error of the mean action does not.
    auto mse = (torch::tanh(mean) - demos.action).pow(2).sum(1).mean();
    if (likelihood_weight == 0.0) return options.bc_mse_weight * mse;
    return -likelihood_weight * TanhGaussianLogProb(mean, log_std, u).mean() +
           options.bc_mse_weight * mse;
  }

  // Whether the temperature follows the target entropy; auto decides by the options, not by
  // the batch, so the critics' pre-training (no demos passed) uses the RL phase's temperature.
  bool learns_alpha() const {
    return options.temperature == Temperature::kLearned ||
           (options.temperature == Temperature::kAuto &&
            (options.bc_weight == 0.0 || options.bc_likelihood_weight == 0.0));
  }
  // The temperature the losses use: the learned one, or initial_alpha when it is fixed (also
  // after loading a checkpoint whose learned value differs).
  torch::Tensor Alpha() const { return learns_alpha() ? log_alpha.exp().detach() : fixed_alpha; }

  // bfloat16 products for the forward passes that follow, while the scope lives (CPU only).
  bool bf16() const {
    if (device.is_cuda()) return false;
    return options.precision == Precision::kBfloat16 ||
           (options.precision == Precision::kAuto && CpuHasBf16());
  }

  void Clip(torch::nn::Module& module) {
    if (options.max_grad_norm > 0.0) {
      torch::nn::utils::clip_grad_norm_(module.parameters(), options.max_grad_norm);
    }
  }

  // The TorchScript actor's .pt bytes (options.model), else empty.
  std::string module_bytes;

  // InvalidArgument when the actor cannot be made (its tokens, its TorchScript module).
  absl::Status Build() {
    auto made = MakeActor(options, shape, module_bytes);
    if (!made.ok()) return made.status();
    actor = *std::move(made);
    critic =
        TwinCritic(shape.obs_dim, shape.action_dim, options.hidden_sizes, options.fused_critic);
    critic_target =
        TwinCritic(shape.obs_dim, shape.action_dim, options.hidden_sizes, options.fused_critic);
    actor->to(device);
    critic->to(device);
    critic_target->to(device);
    CopyParameters(*critic, *critic_target);
    for (auto& p : critic_target->parameters()) p.set_requires_grad(false);
    fixed_alpha = torch::full({}, options.initial_alpha,
                              torch::TensorOptions().dtype(torch::kFloat32).device(device));
    log_alpha = torch::full({}, std::log(options.initial_alpha),
                            torch::TensorOptions().dtype(torch::kFloat32).device(device))
                    .set_requires_grad(true);
    actor_opt = std::make_unique<torch::optim::Adam>(actor->parameters(),
                                                     torch::optim::AdamOptions(options.actor_lr));
    critic_opt = std::make_unique<torch::optim::Adam>(critic->parameters(),
                                                      torch::optim::AdamOptions(options.critic_lr));
    alpha_opt = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{log_alpha},
                                                     torch::optim::AdamOptions(options.alpha_lr));
    normalizer = std::make_unique<ObsNormalizer>(shape.obs_dim, options.obs_clip, device);
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<SacTrainer>> SacTrainer::Create(const SacOptions& options,
                                                               const BatchShape& shape) {
  if (auto status = options.Validate(); !status.ok()) return status;
  if (shape.obs_dim <= 0 || shape.action_dim <= 0 ||
      shape.action_low.size() != static_cast<std::size_t>(shape.action_dim) ||
      shape.action_high.size() != static_cast<std::size_t>(shape.action_dim)) {
    return absl::InvalidArgumentError(
        "the learner needs positive observation and action sizes and bounds for every action");
  }
  for (int d = 0; d < shape.action_dim; ++d) {
    if (!(shape.action_high[d] > shape.action_low[d])) {
      return absl::InvalidArgumentError(
          absl::StrCat("action dimension ", d, " has an empty range"));
    }
  }
  auto state = std::make_unique<State>();
  state->options = options;
  state->shape = shape;
  const bool cuda = torch::cuda::is_available();
  if (options.device == "cuda" && !cuda) {
    return absl::UnavailableError(
        "--device cuda was asked for, but this LibTorch build sees no CUDA device; use --device "
        "cpu or auto");
  }
  state->device =
      (options.device != "cpu" && cuda) ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  torch::set_num_threads(options.threads > 0
                             ? options.threads
                             : static_cast<int>(std::max(1U, std::thread::hardware_concurrency())));
  auto module_bytes = ModelBytes(options);
  if (!module_bytes.ok()) return module_bytes.status();
  state->module_bytes = *std::move(module_bytes);
  state->target_entropy = options.target_entropy.value_or(-static_cast<double>(shape.action_dim));
  try {
    torch::manual_seed(options.seed);
    if (absl::Status built = state->Build(); !built.ok()) return built;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("could not build the networks: ", FirstLine(e.what_without_backtrace())));
  }
  return std::unique_ptr<SacTrainer>(new SacTrainer(std::move(state)));
}

SacTrainer::SacTrainer(std::unique_ptr<State> state) : state_(std::move(state)) {}
SacTrainer::~SacTrainer() = default;

std::uint64_t SacTrainer::step() const { return state_->step; }
bool SacTrainer::critics_trained() const { return state_->critics_trained; }
double SacTrainer::alpha() const { return state_->Alpha().item<double>(); }
std::string SacTrainer::device() const {
  if (state_->device.is_cuda()) return "cuda";
  return state_->bf16() ? "cpu (bfloat16 products)" : "cpu";
}
const SacOptions& SacTrainer::options() const { return state_->options; }
const BatchShape& SacTrainer::shape() const { return state_->shape; }

absl::StatusOr<CriticEvaluation> SacTrainer::EvaluateCritic(const TrainingBatch& batch) {
  if (auto status = CheckBatch(batch, state_->shape, "evaluated"); !status.ok()) return status;
  State& s = *state_;
  torch::NoGradGuard no_grad;
  {
    std::lock_guard<std::mutex> lock(s.generator.mutex());
    s.generator.set_current_seed(MixSeed(s.options.seed, s.step));
  }
  auto d = s.ToDevice(batch);
  auto y = s.Target(d);
  auto [q1, q2] = s.critic->forward(s.normalizer->Apply(d.obs), d.action);
  const auto to_vector = [](const torch::Tensor& t) {
    auto c = t.to(torch::kCPU).to(torch::kFloat64).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  };
  return CriticEvaluation{to_vector(q1), to_vector(q2), to_vector(y)};
}

absl::Status SacTrainer::BareForwardBackward(const TrainingBatch& batch) {
  State& s = *state_;
  if (auto status = CheckBatch(batch, s.shape, "benchmark"); !status.ok()) return status;
  try {
    auto d = s.ToDevice(batch);
    auto [q1, q2] = s.critic->forward(d.obs, d.action);
    auto critic_loss = 0.5 * ((q1 - d.reward).pow(2) + (q2 - d.reward).pow(2)).mean();
    critic_loss.backward();
    auto [action, logp] = s.SampleAction(d.obs);
    auto [qa1, qa2] = s.critic->forward(d.obs, action);
    auto actor_loss = (0.1 * logp - torch::min(qa1, qa2)).mean();
    actor_loss.backward();
    for (auto* module : {static_cast<torch::nn::Module*>(s.actor.get()),
                         static_cast<torch::nn::Module*>(s.critic.get())}) {
      for (auto& p : module->parameters()) p.mutable_grad() = torch::Tensor();
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(FirstLine(e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<UpdateStats> SacTrainer::Update(const TrainingBatch& rl, const TrainingBatch* demos,
                                               bool train_actor) {
  State& s = *state_;
  if (s.options.algorithm == Algorithm::kBc) {
    return absl::FailedPreconditionError("this trainer does behaviour cloning; call BcUpdate");
  }
  if (auto status = CheckBatch(rl, s.shape, "RL"); !status.ok()) return status;
  const bool use_bc = demos != nullptr && s.options.bc_weight > 0.0;
  if (use_bc) {
    if (auto status = CheckBatch(*demos, s.shape, "demonstration"); !status.ok()) return status;
  }
  UpdateStats stats;
  try {
    {
      std::lock_guard<std::mutex> lock(s.generator.mutex());
      s.generator.set_current_seed(MixSeed(s.options.seed, s.step));
    }
    auto d = s.ToDevice(rl);
    auto obs = s.normalizer->Apply(d.obs);
    torch::Tensor y, q1, q2;
    {
      CpuBf16Scope bf16(s.bf16());
      y = s.Target(d);
      std::tie(q1, q2) = s.critic->forward(obs, d.action);
    }

    // Critic: importance-weighted squared TD errors of both heads.
    auto d1 = q1 - y;
    auto d2 = q2 - y;
    auto critic_loss = 0.5 * (d.weight * (d1.pow(2) + d2.pow(2))).mean();
    s.critic_opt->zero_grad();
    critic_loss.backward();
    s.Clip(*s.critic);
    s.critic_opt->step();

    // Actor: maximise min Q - alpha log pi (+ BC likelihood on demonstrations). With the BC
    // term the Q part is divided by mean |Q| (as TD3+BC does), so bc_weight means the same
    // whatever the scale of the returns.
    torch::Tensor actor_loss, total, bc_loss, anchor_kl, alpha_loss, q_min, logp;
    const bool use_anchor = s.reference != nullptr && s.options.anchor_weight > 0.0;
    if (train_actor) {
      {
        CpuBf16Scope bf16(s.bf16());
        State::Sample sampled = s.SampleWithDistribution(obs);
        logp = sampled.logp;
        auto [qa1, qa2] = s.critic->forward(obs, sampled.action);
        q_min = torch::min(qa1, qa2);
        if (use_bc) bc_loss = s.BcLoss(s.ToDevice(*demos), s.options.bc_likelihood_weight);
        if (use_anchor) {
          auto kl = s.AnchorKl(d.obs, sampled.mean, sampled.log_std);
          anchor_kl = kl.mean();
          if (s.options.anchor_exempt_tags != 0 &&
              rl.tags.size() == static_cast<std::size_t>(rl.size)) {
            std::vector<float> kept(rl.tags.size());
            for (std::size_t i = 0; i < kept.size(); ++i) {
              kept[i] = (rl.tags[i] & s.options.anchor_exempt_tags) != 0 ? 0.0F : 1.0F;
            }
            auto mask = s.Upload(Column(kept, rl.size));
            anchor_kl = (kl * mask).sum() / mask.sum().clamp_min(1.0);
          }
        }
      }
      auto alpha = s.Alpha();
      actor_loss = (alpha * logp - q_min).mean();
      total = actor_loss;
      if (use_bc || use_anchor) {
        const auto q_scale = q_min.abs().mean().detach().clamp_min(1e-3);
        total = actor_loss / q_scale;
        if (use_bc) total = total + s.options.bc_weight * bc_loss;
        if (use_anchor) total = total + s.options.anchor_weight * anchor_kl;
      }
      s.actor_opt->zero_grad();
      total.backward();
      s.Clip(*s.actor);
      s.actor_opt->step();

      // Temperature: toward the target entropy, unless it is fixed.
      alpha_loss = -(s.log_alpha * (logp.detach() + s.target_entropy)).mean();
      if (s.learns_alpha()) {
        s.alpha_opt->zero_grad();
        alpha_loss.backward();
        s.alpha_opt->step();
      }
    } else {
      torch::NoGradGuard no_grad;
      q_min = torch::min(q1, q2);
    }

    {
      torch::NoGradGuard no_grad;
      auto online = s.critic->parameters();
      auto target = s.critic_target->parameters();
      for (std::size_t i = 0; i < online.size(); ++i) {
        target[i].mul_(1.0 - s.options.tau).add_(online[i], s.options.tau);
      }
    }
    s.normalizer->Update(d.obs);

    auto td = (0.5 * (d1.abs() + d2.abs())).detach().to(torch::kCPU).to(torch::kFloat64);
    stats.priorities.assign(td.data_ptr<double>(), td.data_ptr<double>() + td.numel());
    for (double& p : stats.priorities) p += s.options.priority_epsilon;
    stats.critic_loss = critic_loss.item<double>();
    stats.actor_loss = train_actor ? total.item<double>() : 0.0;
    stats.alpha_loss = train_actor ? alpha_loss.item<double>() : 0.0;
    stats.bc_loss = train_actor && use_bc ? bc_loss.item<double>() : 0.0;
    stats.anchor_kl = train_actor && use_anchor ? anchor_kl.item<double>() : 0.0;
    stats.q_mean = q_min.mean().item<double>();
    stats.entropy = train_actor ? -logp.mean().item<double>() : 0.0;
    stats.alpha = s.Alpha().item<double>();
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("the SAC update failed: ", FirstLine(e.what_without_backtrace())));
  }
  ++s.step;
  return stats;
}

absl::StatusOr<UpdateStats> SacTrainer::BcUpdate(const TrainingBatch& demos) {
  State& s = *state_;
  if (auto status = CheckBatch(demos, s.shape, "demonstration"); !status.ok()) return status;
  UpdateStats stats;
  try {
    auto d = s.ToDevice(demos);
    torch::Tensor loss;
    {
      CpuBf16Scope bf16(s.bf16());
      loss = s.BcLoss(d, 1.0);
    }
    s.actor_opt->zero_grad();
    loss.backward();
    s.Clip(*s.actor);
    s.actor_opt->step();
    s.normalizer->Update(d.obs);
    stats.bc_loss = loss.item<double>();
    stats.actor_loss = stats.bc_loss;
    stats.alpha = s.Alpha().item<double>();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("the behaviour-cloning update failed: ",
                                            FirstLine(e.what_without_backtrace())));
  }
  ++s.step;
  return stats;
}

schemas::PolicyWeights SacTrainer::ExportPolicy(std::uint64_t version) const {
  const State& s = *state_;
  schemas::PolicyWeights weights;
  weights.version = version;
  weights.learner_step = s.step;
  const auto* scripted = dynamic_cast<const ScriptedActorImpl*>(s.actor.get());
  weights.architecture.kind = scripted != nullptr                         ? "torchscript"
                              : s.options.arch == ActorArch::kTransformer ? "sac_transformer"
                                                                          : "sac_mlp";
  weights.architecture.obs_dim = static_cast<std::uint32_t>(s.shape.obs_dim);
  weights.architecture.action_dim = static_cast<std::uint32_t>(s.shape.action_dim);
  if (s.options.arch == ActorArch::kTransformer) {
    for (int v :
         {s.options.transformer_dim, s.options.transformer_layers, s.options.transformer_heads}) {
      weights.architecture.hidden_sizes.push_back(static_cast<std::uint32_t>(v));
    }
  }
  if (scripted == nullptr) {  // a TorchScript module describes itself
    for (int h : s.options.hidden_sizes) {
      weights.architecture.hidden_sizes.push_back(static_cast<std::uint32_t>(h));
    }
  }
  weights.architecture.activation = scripted != nullptr ? "" : "relu";
  weights.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  const auto add = [&](const std::string& name, const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
    schemas::Tensor out;
    out.name = name;
    for (auto dim : c.sizes()) out.shape.push_back(dim);
    out.dtype = schemas::DType::kFloat32;
    out.data.assign(static_cast<const char*>(c.data_ptr()), c.numel() * sizeof(float));
    weights.tensors.push_back(std::move(out));
  };
  if (scripted != nullptr) {
    // The whole module, its parameters included, as the bytes of a .pt file.
    schemas::Tensor module;
    module.name = "actor.module";
    module.data = scripted->Serialize();
    module.shape = {static_cast<std::int64_t>(module.data.size())};
    module.dtype = schemas::DType::kUInt8;
    weights.tensors.push_back(std::move(module));
  } else {
    for (const auto& p : s.actor->named_parameters()) add("actor." + p.key(), p.value());
  }
  add("obs_norm.mean", s.normalizer->mean);
  add("obs_norm.std", s.normalizer->Std());
  add("obs_norm.clip", torch::full({}, s.options.obs_clip));
  add("action.low", torch::tensor(s.shape.action_low));
  add("action.high", torch::tensor(s.shape.action_high));
  if (s.options.arch == ActorArch::kTransformer) {
    // The token layout the actors rebuild the network with: [groups, 2] (count, size), int64.
    const std::vector<std::int64_t> layout = TokenLayout(s.shape);
    schemas::Tensor out;
    out.name = "arch.tokens";
    out.shape = {static_cast<std::int64_t>(layout.size() / 2), 2};
    out.dtype = schemas::DType::kInt64;
    out.data.assign(reinterpret_cast<const char*>(layout.data()),
                    layout.size() * sizeof(std::int64_t));
    weights.tensors.push_back(std::move(out));
  }
  return weights;
}

std::vector<float> SacTrainer::Parameters(const std::string& network) const {
  if (network == "actor") return Flatten(*state_->actor);
  if (network == "critic") return Flatten(*state_->critic);
  if (network == "critic_target") return Flatten(*state_->critic_target);
  return {};
}

absl::StatusOr<std::string> SacTrainer::SerializeCheckpoint() const {
  const State& s = *state_;
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string(kCheckpointFormat)));
    archive.write("shape", c10::IValue(ShapeKey(s.shape, s.options)));
    archive.write("step", torch::tensor(static_cast<std::int64_t>(s.step)));
    archive.write("algorithm",
                  c10::IValue(std::string(s.options.algorithm == Algorithm::kBc ? "bc" : "sac")));
    archive.write("hidden_sizes",
                  torch::tensor(std::vector<std::int64_t>(s.options.hidden_sizes.begin(),
                                                          s.options.hidden_sizes.end())));
    archive.write("action_low", torch::tensor(s.shape.action_low));
    archive.write("action_high", torch::tensor(s.shape.action_high));
    if (const auto* scripted = dynamic_cast<const ScriptedActorImpl*>(s.actor.get())) {
      // The checkpoint keeps the module (with these parameters): tarmac eval runs it from here.
      archive.write("arch", c10::IValue(std::string("torchscript")));
      const std::string module = scripted->Serialize();
      archive.write("module",
                    torch::from_blob(const_cast<char*>(module.data()),
                                     {static_cast<std::int64_t>(module.size())}, torch::kUInt8)
                        .clone());
    } else if (s.options.arch == ActorArch::kTransformer) {
      // What LoadCheckpointFile (tarmac eval) rebuilds the actor from.
      archive.write("arch", c10::IValue(std::string("transformer")));
      archive.write("transformer", torch::tensor(std::vector<std::int64_t>{
                                       s.options.transformer_dim, s.options.transformer_layers,
                                       s.options.transformer_heads}));
      archive.write("tokens", torch::tensor(TokenLayout(s.shape)).view({-1, 2}));
    }
    const auto sub = [&](const char* key, const auto& save) {
      torch::serialize::OutputArchive part;
      save(part);
      archive.write(key, part);
    };
    sub("actor", [&](auto& a) { s.actor->save(a); });
    sub("critic", [&](auto& a) { s.critic->save(a); });
    sub("critic_target", [&](auto& a) { s.critic_target->save(a); });
    sub("actor_opt", [&](auto& a) { s.actor_opt->save(a); });
    sub("critic_opt", [&](auto& a) { s.critic_opt->save(a); });
    sub("alpha_opt", [&](auto& a) { s.alpha_opt->save(a); });
    archive.write("log_alpha", s.log_alpha.detach());
    archive.write("obs_norm.mean", s.normalizer->mean);
    archive.write("obs_norm.var", s.normalizer->var);
    archive.write("obs_norm.count", s.normalizer->count);
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("could not serialize the checkpoint: ",
                                            FirstLine(e.what_without_backtrace())));
  }
  return std::move(bytes).str();
}

absl::Status SacTrainer::SaveCheckpoint(const std::string& path) const {
  auto bytes = SerializeCheckpoint();
  if (!bytes.ok()) return bytes.status();
  return util::WriteFileAtomically(path, *bytes);
}

void SacTrainer::set_bc_weight(double weight) { state_->options.bc_weight = weight; }

namespace {

// Everything SaveCheckpoint wrote, read into a new state built like `s` (options, shape,
// device); LoadCheckpoint's refusals.
absl::StatusOr<std::unique_ptr<SacTrainer::State>> ReadCheckpoint(const SacTrainer::State& s,
                                                                  const std::string& path) {
  auto fresh = std::make_unique<SacTrainer::State>();
  fresh->options = s.options;
  fresh->shape = s.shape;
  fresh->device = s.device;
  fresh->target_entropy = s.target_entropy;
  fresh->module_bytes = s.module_bytes;
  try {
    if (absl::Status built = fresh->Build(); !built.ok()) return built;
    torch::serialize::InputArchive archive;
    archive.load_from(path, s.device);
    c10::IValue format, shape;
    if (!archive.try_read("format", format) || !format.isString() ||
        format.toStringRef() != kCheckpointFormat) {
      return absl::InvalidArgumentError(absl::StrCat(path, " is not a tarmac learner checkpoint"));
    }
    archive.read("shape", shape);
    const std::string expected = ShapeKey(s.shape, s.options);
    if (!shape.isString() || shape.toStringRef() != expected) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " was written for networks with ",
                       shape.isString() ? shape.toStringRef() : std::string("?"),
                       ", but this learner has ", expected));
    }
    torch::Tensor step;
    archive.read("step", step);
    c10::IValue algorithm;
    fresh->critics_trained = archive.try_read("algorithm", algorithm) && algorithm.isString() &&
                             algorithm.toStringRef() == "sac";
    const auto sub = [&](const char* key, const auto& load) {
      torch::serialize::InputArchive part;
      archive.read(key, part);
      load(part);
    };
    sub("actor", [&](auto& a) { fresh->actor->load(a); });
    sub("critic", [&](auto& a) { fresh->critic->load(a); });
    sub("critic_target", [&](auto& a) { fresh->critic_target->load(a); });
    sub("actor_opt", [&](auto& a) { fresh->actor_opt->load(a); });
    sub("critic_opt", [&](auto& a) { fresh->critic_opt->load(a); });
    sub("alpha_opt", [&](auto& a) { fresh->alpha_opt->load(a); });
    torch::Tensor log_alpha;
    archive.read("log_alpha", log_alpha);
    {
      torch::NoGradGuard no_grad;
      fresh->log_alpha.copy_(log_alpha);
    }
    archive.read("obs_norm.mean", fresh->normalizer->mean);
    archive.read("obs_norm.var", fresh->normalizer->var);
    archive.read("obs_norm.count", fresh->normalizer->count);
    fresh->step = static_cast<std::uint64_t>(step.item<std::int64_t>());
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a readable tarmac learner checkpoint (truncated or corrupt?): ",
                     FirstLine(e.what_without_backtrace())));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a readable tarmac learner checkpoint: ", e.what()));
  }
  return fresh;
}

}  // namespace

absl::Status SacTrainer::LoadCheckpoint(const std::string& path) {
  auto fresh = ReadCheckpoint(*state_, path);
  if (!fresh.ok()) return fresh.status();
  (*fresh)->reference = std::move(state_->reference);  // the anchor is not the checkpoint's
  state_ = std::move(*fresh);
  return absl::OkStatus();
}

namespace {

// Every tensor LoadAverage averages, in a fixed order (shared with `s`: in-place changes to
// them change `s`).
std::vector<torch::Tensor> AveragedTensors(const SacTrainer::State& s) {
  std::vector<torch::Tensor> out;
  for (const torch::nn::Module* m :
       {static_cast<const torch::nn::Module*>(s.actor.get()),
        static_cast<const torch::nn::Module*>(s.critic.get()),
        static_cast<const torch::nn::Module*>(s.critic_target.get())}) {
    for (const torch::Tensor& p : m->parameters()) out.push_back(p);
    for (const torch::Tensor& b : m->buffers()) out.push_back(b);
  }
  out.push_back(s.normalizer->mean);
  out.push_back(s.normalizer->var);
  out.push_back(s.log_alpha);
  return out;
}

}  // namespace

absl::Status SacTrainer::LoadAverage(const std::vector<std::string>& paths) {
  if (paths.empty()) return absl::InvalidArgumentError("LoadAverage needs at least one checkpoint");
  auto first = ReadCheckpoint(*state_, paths[0]);
  if (!first.ok()) return first.status();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> sum = AveragedTensors(**first);
  for (std::size_t i = 1; i < paths.size(); ++i) {
    auto other = ReadCheckpoint(*state_, paths[i]);
    if (!other.ok()) return other.status();
    const std::vector<torch::Tensor> add = AveragedTensors(**other);
    for (std::size_t k = 0; k < sum.size(); ++k) sum[k].add_(add[k]);
  }
  for (torch::Tensor& t : sum) t.div_(static_cast<double>(paths.size()));
  (*first)->reference = std::move(state_->reference);  // the anchor is not the checkpoints'
  state_ = std::move(*first);
  return absl::OkStatus();
}

absl::Status SacTrainer::SetAnchor(const std::string& path) {
  auto reference = ReadCheckpoint(*state_, path);
  if (!reference.ok()) return reference.status();
  for (auto& p : (*reference)->actor->parameters()) p.set_requires_grad(false);
  state_->reference = std::move(*reference);
  return absl::OkStatus();
}

bool SacTrainer::has_anchor() const { return state_->reference != nullptr; }

absl::StatusOr<double> SacTrainer::AnchorDivergence(const std::vector<float>& obs, int rows) {
  State& s = *state_;
  if (s.reference == nullptr) {
    return absl::FailedPreconditionError("this learner has no anchor; call SetAnchor first");
  }
  if (rows <= 0 || obs.size() != static_cast<std::size_t>(rows) * s.shape.obs_dim) {
    return absl::InvalidArgumentError(absl::StrCat("AnchorDivergence needs ", rows, " rows of ",
                                                   s.shape.obs_dim, " observation floats"));
  }
  torch::NoGradGuard no_grad;
  auto raw = s.Upload(Rows(obs, rows, s.shape.obs_dim));
  auto [mean, log_std] = s.actor->forward(s.normalizer->Apply(raw));
  return s.AnchorKl(raw, mean, log_std).mean().item<double>();
}

absl::Status CheckActor(const SacOptions& options, const BatchShape& shape) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  auto module_bytes = ModelBytes(options);
  if (!module_bytes.ok()) return module_bytes.status();
  try {
    auto actor = MakeActor(options, shape, *module_bytes);  // the actor only, on the CPU
    return actor.ok() ? absl::OkStatus() : actor.status();
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("could not build the actor: ", FirstLine(e.what_without_backtrace())));
  }
}

absl::StatusOr<InitCheckpoint> CheckInitCheckpoint(const std::string& path,
                                                   const SacOptions& options,
                                                   const BatchShape& shape) {
  absl::StatusOr<std::string> resolved = ResolveCheckpoint(path);
  if (!resolved.ok()) return resolved.status();
  SacOptions probe = options;
  probe.device = "cpu";
  auto trainer = SacTrainer::Create(probe, shape);
  if (!trainer.ok()) return trainer.status();
  if (absl::Status s = (*trainer)->LoadCheckpoint(*resolved); !s.ok()) return s;
  return InitCheckpoint{*resolved, (*trainer)->step(), (*trainer)->critics_trained()};
}

}  // namespace tarmac::learner
