#include "tarmac/learner/sac_options.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tarmac::learner {

absl::Status SacOptions::Validate() const {
  if (hidden_sizes.empty()) {
    return absl::InvalidArgumentError("learner.hidden_sizes needs at least one layer");
  }
  for (int h : hidden_sizes) {
    if (h <= 0 || h > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("learner.hidden_sizes has a layer of ", h, " units; use 1 to 65536"));
    }
  }
  const auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  if (!positive(actor_lr) || !positive(critic_lr) || !positive(alpha_lr)) {
    return absl::InvalidArgumentError("learner learning rates must be positive and finite");
  }
  if (!(tau > 0.0 && tau <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("learner.tau is ", tau, "; use (0, 1]"));
  }
  if (!positive(initial_alpha)) {
    return absl::InvalidArgumentError("learner.initial_alpha must be positive");
  }
  if (target_entropy.has_value() && !std::isfinite(*target_entropy)) {
    return absl::InvalidArgumentError("learner.target_entropy must be finite");
  }
  if (!(std::isfinite(bc_mse_weight) && bc_mse_weight >= 0.0)) {
    return absl::InvalidArgumentError("learner.bc_mse_weight must be >= 0");
  }
  if (!(std::isfinite(bc_weight) && bc_weight >= 0.0)) {
    return absl::InvalidArgumentError("learner.bc_weight must be >= 0");
  }
  if (!positive(priority_epsilon)) {
    return absl::InvalidArgumentError("learner.priority_epsilon must be positive");
  }
  if (!(std::isfinite(max_grad_norm) && max_grad_norm >= 0.0)) {
    return absl::InvalidArgumentError("learner.max_grad_norm must be >= 0 (0: no clipping)");
  }
  if (!positive(obs_clip)) return absl::InvalidArgumentError("learner.obs_clip must be positive");
  if (device != "auto" && device != "cpu" && device != "cuda") {
    return absl::InvalidArgumentError(
        absl::StrCat("learner device '", device, "' is unknown; use auto, cpu or cuda"));
  }
  if (threads < 0) return absl::InvalidArgumentError("learner.threads must be >= 0");
  return absl::OkStatus();
}

}  // namespace tarmac::learner
