#include "tarmac/learner/sac_options.h"

#include "absl/strings/str_cat.h"

namespace tarmac::learner {
namespace {

using util::OptionType;
using util::OptionValue;

util::OptionTable<SacOptions> BuildTable() {
  util::OptionTable<SacOptions> t;
  t.Enum("learner.algo", &SacOptions::algorithm, {{"sac", Algorithm::kSac}, {"bc", Algorithm::kBc}},
         "sac, or bc (behaviour cloning on demos).");
  t.Choice("learner.device", &SacOptions::device, {"auto", "cuda", "cpu"},
           "Where the networks train (auto: CUDA when this LibTorch has it).");
  t.Int("learner.threads", &SacOptions::threads, 0, 1024,
        "Torch intra-op threads (0: one per core).");
  t.Bool("learner.fused_critic", &SacOptions::fused_critic,
         "Evaluate both critics in one batched pass (same result, fewer operations).");
  t.Enum("learner.precision", &SacOptions::precision,
         {{"float32", Precision::kFloat32},
          {"bfloat16", Precision::kBfloat16},
          {"auto", Precision::kAuto}},
         "Matrix products on the CPU: float32, bfloat16 with float32 weights, or auto (bfloat16 "
         "where the CPU has AVX-512 BF16).");
  AddHiddenSizeKeys(t, "learner", &SacOptions::hidden_sizes, "the actor and each critic");
  t.Enum("learner.arch", &SacOptions::arch,
         {{"mlp", ActorArch::kMlp}, {"transformer", ActorArch::kTransformer}},
         "The actor: mlp, or transformer (the observation's entities as tokens, self-attention, "
         "pooled into an MLP head of learner.hidden_*).");
  t.Int("learner.transformer_dim", &SacOptions::transformer_dim, 4, 4096,
        "Token width of the transformer actor (a multiple of learner.transformer_heads).");
  t.Int("learner.transformer_layers", &SacOptions::transformer_layers, 1, 32,
        "Self-attention layers of the transformer actor.");
  t.Int("learner.transformer_heads", &SacOptions::transformer_heads, 1, 64,
        "Attention heads per layer of the transformer actor.");
  t.String("learner.model", &SacOptions::model,
           "A TorchScript actor (.pt of a torch.jit.script'ed module whose forward(obs) returns "
           "(mean, log_std)) trained instead of learner.arch; empty: the built-in network.");
  t.Number("learner.actor_lr", &SacOptions::actor_lr, 1e-9, 1, "Adam learning rate of the actor.");
  t.Number("learner.critic_lr", &SacOptions::critic_lr, 1e-9, 1,
           "Adam learning rate of the critics.");
  t.Number("learner.alpha_lr", &SacOptions::alpha_lr, 1e-9, 1,
           "Adam learning rate of the temperature.");
  t.Number("learner.tau", &SacOptions::tau, 1e-6, 1, "Polyak factor of the target critics.");
  t.Number("learner.initial_alpha", &SacOptions::initial_alpha, 1e-6, 100,
           "Entropy temperature at the start.");
  t.Enum("learner.temperature", &SacOptions::temperature,
         {{"auto", Temperature::kAuto},
          {"learned", Temperature::kLearned},
          {"fixed", Temperature::kFixed}},
         "learned (toward target_entropy), fixed (initial_alpha), or auto: learned unless the BC "
         "term has its likelihood part, fixed when it does (the BC likelihood keeps the entropy "
         "below any target, so a learned alpha would grow without bound).");
  // The struct's default (none) means -action_dim; the key holds the driving envs' value.
  t.Custom(
      {"learner.target_entropy",
       OptionType::kDouble,
       {},
       -100,
       100,
       {},
       "Target policy entropy (-action_dim: -2 for the driving envs)."},
      [](const SacOptions& o) { return OptionValue(o.target_entropy.value_or(-2.0)); },
      [](SacOptions& o, const OptionValue& v) {
        o.target_entropy = std::get<double>(v);
        return absl::OkStatus();
      });
  t.Number("learner.bc_weight", &SacOptions::bc_weight, 0, 1e6,
           "Weight of the BC term in the SAC actor loss.");
  t.Number("learner.bc_mse_weight", &SacOptions::bc_mse_weight, 0, 1e6,
           "BC loss: -log-likelihood plus this times the squared error of the mean action.");
  t.Number("learner.bc_likelihood_weight", &SacOptions::bc_likelihood_weight, 0, 1e6,
           "Weight of the -log-likelihood in SAC's BC term (0: the term anchors the mean action "
           "only, the entropy term sets the spread and temperature auto learns it); behaviour "
           "cloning itself always fits the likelihood.");
  t.Number("learner.anchor_weight", &SacOptions::anchor_weight, 0, 1e6,
           "Weight of the KL anchor to the frozen reference actor (learner.anchor) in the SAC "
           "actor loss; tarmac finetune keeps the policy near its starting one with it (0: none).");
  t.Bool("learner.entropy_backup", &SacOptions::entropy_backup,
         "The critics' target includes -alpha log pi of the next action (SAC); false: only the "
         "actor's loss has the entropy term, so the temperature does not change the values.");
  t.Number("learner.priority_epsilon", &SacOptions::priority_epsilon, 1e-12, 1e6,
           "Added to |TD| for new priorities.");
  t.Number("learner.max_grad_norm", &SacOptions::max_grad_norm, 0, 1e9,
           "Gradient norm clip (0: none).");
  t.Number("learner.obs_clip", &SacOptions::obs_clip, 1e-3, 1e6,
           "Normalised observations are clipped to +-this.");
  t.Int("learner.seed", &SacOptions::seed, 0, 1e15, "Seed of initialisation and update noise.");
  return t;
}

}  // namespace

bool CpuHasBf16() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool has = __builtin_cpu_supports("avx512bf16") != 0;
  return has;
#else
  return false;
#endif
}

const util::OptionTable<SacOptions>& SacOptionTable() {
  static const auto* const table = new util::OptionTable<SacOptions>(BuildTable());
  return *table;
}

absl::Status SacOptions::Validate() const {
  if (absl::Status s = SacOptionTable().Check(*this); !s.ok()) return s;
  if (!model.empty() && arch != ActorArch::kMlp) {
    return absl::InvalidArgumentError(
        "learner.model and learner.arch: transformer both name the actor; set one of them");
  }
  if (transformer_dim % transformer_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("learner.transformer_dim (", transformer_dim, ") is not a multiple of ",
                     "learner.transformer_heads (", transformer_heads, "); make it one"));
  }
  for (int h : hidden_sizes) {
    if (h <= 0 || h > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("learner.hidden_sizes has a layer of ", h, " units; use 1 to 65536"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tarmac::learner
