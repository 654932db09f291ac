#ifndef TARMAC_LEARNER_SAC_OPTIONS_H_
#define TARMAC_LEARNER_SAC_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tarmac/util/option_table.h"

namespace tarmac::learner {

enum class Algorithm { kSac, kBc };
// The actor's network (the critics are MLPs either way). kMlp: hidden_sizes, ReLU. kTransformer:
// every token of the observation (EnvSpec::tokens: the ego, lane-preview points, each nearby
// vehicle) embedded, a few self-attention layers, the ego token and the mean of all pooled into
// an MLP head of hidden_sizes.
enum class ActorArch { kMlp, kTransformer };
// The arithmetic of the networks' matrix products on the CPU (CUDA always runs float32);
// kAuto is bfloat16 where the CPU has AVX-512 BF16 (CpuHasBf16), float32 elsewhere.
enum class Precision { kFloat32, kBfloat16, kAuto };
// How the entropy temperature alpha moves. kLearned: toward target_entropy (SAC's automatic
// tuning). kFixed: initial_alpha, whatever a loaded checkpoint held. kAuto: learned when
// bc_weight is 0, fixed when the actor loss has a BC term: the BC likelihood holds the policy's
// entropy below any target a driving policy can take, so a learned alpha would climb by about
// alpha_lr in log space every update without bound, until its entropy bonus outweighs both Q and BC
// and the policy's noise wrecks its rollouts.
enum class Temperature { kAuto, kLearned, kFixed };

// Whether this CPU multiplies bfloat16 natively (AVX-512 BF16). O(1).
bool CpuHasBf16();

// Everything one SAC / BC trainer needs. The defaults written here are the `learner` section's
// (SacOptionTable declares the keys; configs/default.yaml is checked against them).
struct SacOptions {
  Algorithm algorithm = Algorithm::kSac;
  std::vector<int> hidden_sizes{256, 256};  // actor (its head, for a transformer) and each critic
  ActorArch arch = ActorArch::kMlp;
  int transformer_dim = 64;    // token width (divisible by transformer_heads)
  int transformer_layers = 2;  // self-attention layers
  int transformer_heads = 4;   // attention heads per layer
  // A TorchScript actor (a torch.jit.script'ed module's .pt file) instead of `arch`: forward(obs)
  // takes normalised observations [rows, obs_dim] and returns (mean, log_std) [rows,
  // action_dim]; its own parameters are trained. Empty: the built-in `arch`.
  std::string model;
  // The module's bytes when they come from elsewhere than the file `model` names (a checkpoint
  // that carries them); not a configuration key.
  std::string model_bytes;
  double actor_lr = 3e-4;
  double critic_lr = 3e-4;
  double alpha_lr = 3e-4;
  double tau = 0.005;          // Polyak factor of the target critics
  double initial_alpha = 0.1;  // entropy temperature
  Temperature temperature = Temperature::kAuto;
  std::optional<double> target_entropy;  // default: -action_dim
  double bc_weight = 0.0;                // lambda of the BC term in the SAC actor loss
  double bc_mse_weight = 20.0;           // BC loss = -log pi(a|s) + this * |tanh(mean) - a|^2
  // The -log pi(a|s) part's weight in the SAC actor's BC term (behaviour cloning itself always
  // fits the likelihood): 0 anchors only the mean action and leaves the spread to the entropy
  // term, so the temperature can be learned.
  double bc_likelihood_weight = 1.0;
  // Weight of the KL anchor in the SAC actor loss: KL(pi(.|s) || pi_ref(.|s)) on the RL batch's
  // states, pi_ref the frozen actor SacTrainer::SetAnchor loaded (tarmac finetune's starting
  // policy). As with the BC term the Q part is then divided by mean |Q|. 0: no anchor.
  double anchor_weight = 0.0;
  // RL rows whose replay tags intersect this mask are exempt from the anchor: the states the
  // policy is meant to move on (tarmac finetune: its focus cases, actors::kFocusTag).
  std::uint64_t anchor_exempt_tags = 0;
  // Whether the critics' target holds the soft value min Q' - alpha log pi' (SAC) or min Q'
  // alone; either way the actor's loss has the entropy term.
  bool entropy_backup = true;
  double priority_epsilon = 1e-3;  // new priority = |TD| + epsilon
  double max_grad_norm = 10.0;     // 0: no clipping
  double obs_clip = 10.0;          // normalised observations are clipped to +-this
  std::string device = "auto";     // auto (CUDA when present), cuda, cpu
  bool fused_critic = true;        // both critics in one pass (TwinCriticImpl)
  // bfloat16 products with float32 parameters and optimiser state (CpuBf16Scope); forced on a
  // CPU without AVX-512 BF16 it is slower than float32, not wrong.
  Precision precision = Precision::kAuto;
  int threads = 0;  // torch intra-op threads; 0: hardware threads
  std::uint64_t seed = 1;

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

// The learner.* keys that set SacOptions.
const util::OptionTable<SacOptions>& SacOptionTable();

// `<section>.hidden_layers` and `<section>.hidden_units`, which together set a network's
// hidden_sizes (every layer as wide).
template <class Options>
void AddHiddenSizeKeys(util::OptionTable<Options>& table, const std::string& section,
                       std::vector<int> Options::*field, const std::string& network) {
  using util::OptionType;
  using util::OptionValue;
  table.Custom(
      {section + ".hidden_layers",
       OptionType::kInt,
       {},
       1,
       16,
       {},
       "Hidden layers of " + network + "."},
      [field](const Options& o) {
        return OptionValue(static_cast<std::int64_t>((o.*field).size()));
      },
      [field](Options& o, const OptionValue& v) {
        const int units = (o.*field).empty() ? 1 : (o.*field).front();
        (o.*field).assign(static_cast<std::size_t>(std::get<std::int64_t>(v)), units);
        return absl::OkStatus();
      });
  table.Custom(
      {section + ".hidden_units",
       OptionType::kInt,
       {},
       1,
       65536,
       {},
       "Units per hidden layer of " + network + "."},
      [field](const Options& o) {
        return OptionValue(static_cast<std::int64_t>((o.*field).empty() ? 0 : (o.*field).front()));
      },
      [field](Options& o, const OptionValue& v) {
        for (int& units : o.*field) units = static_cast<int>(std::get<std::int64_t>(v));
        return absl::OkStatus();
      });
}

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_SAC_OPTIONS_H_
