#include "tarmac/learner/verified_policy.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::learner {
namespace {

constexpr char kRejected[] = "tarmac.learner/rejected-weights";

absl::Status Rejected(absl::Status status) {
  status.SetPayload(kRejected, absl::Cord("1"));
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<InferencePolicy>> LoadVerifiedPolicy(buffer::ControlClient& control,
                                                                    std::uint64_t version,
                                                                    const envs::EnvSpec& spec,
                                                                    absl::string_view key,
                                                                    absl::string_view backend) {
  absl::StatusOr<std::string> blob = control.FetchWeights(version);
  if (!blob.ok()) return blob.status();
  absl::StatusOr<schemas::PolicyWeights> weights = schemas::DecodePolicyWeights(*blob);
  if (!weights.ok()) return Rejected(weights.status());
  if (absl::Status s = schemas::VerifyPolicyWeights(*weights, key); !s.ok()) return Rejected(s);
  if (weights->version != version) {
    return Rejected(absl::InvalidArgumentError(
        absl::StrCat("tarmac:weights:", version, " holds weights of version ", weights->version)));
  }
  const schemas::Architecture& a = weights->architecture;
  if (a.obs_dim != static_cast<std::uint32_t>(spec.observation_size) ||
      a.action_dim != static_cast<std::uint32_t>(spec.action_size)) {
    return Rejected(absl::InvalidArgumentError(absl::StrCat(
        "they are for observations of ", a.obs_dim, " and actions of ", a.action_dim,
        " floats, but ", spec.name, " has ", spec.observation_size, " and ", spec.action_size)));
  }
  absl::StatusOr<std::unique_ptr<InferencePolicy>> policy =
      InferencePolicy::FromWeights(*weights, backend);
  if (!policy.ok()) return Rejected(policy.status());
  return policy;
}

bool IsRejectedWeights(const absl::Status& status) {
  return status.GetPayload(kRejected).has_value();
}

}  // namespace tarmac::learner
