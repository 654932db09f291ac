#ifndef TARMAC_LEARNER_SAC_OPTIONS_H_
#define TARMAC_LEARNER_SAC_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tarmac::learner {

enum class Algorithm { kSac, kBc };

// Everything one SAC / BC trainer needs; defaults are those of configs/default.yaml
// (section `learner`), which is where users change them.
struct SacOptions {
  Algorithm algorithm = Algorithm::kSac;
  std::vector<int> hidden_sizes{256, 256};  // actor and each critic
  double actor_lr = 3e-4;
  double critic_lr = 3e-4;
  double alpha_lr = 3e-4;
  double tau = 0.005;                    // Polyak factor of the target critics
  double initial_alpha = 0.1;            // entropy temperature
  std::optional<double> target_entropy;  // default: -action_dim
  double bc_weight = 0.0;                // lambda of the BC term in the SAC actor loss
  double bc_mse_weight = 0.0;            // BC loss = -log pi(a|s) + this * |tanh(mean) - a|^2
  double priority_epsilon = 1e-3;        // new priority = |TD| + epsilon
  double max_grad_norm = 10.0;           // 0: no clipping
  double obs_clip = 10.0;                // normalised observations are clipped to +-this
  std::string device = "auto";           // auto (CUDA when present), cuda, cpu
  int threads = 0;                       // torch intra-op threads; 0: hardware threads
  std::uint64_t seed = 1;

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_SAC_OPTIONS_H_
