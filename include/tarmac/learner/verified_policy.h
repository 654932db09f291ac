#ifndef TARMAC_LEARNER_VERIFIED_POLICY_H_
#define TARMAC_LEARNER_VERIFIED_POLICY_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/envs/env.h"
#include "tarmac/learner/network_policy.h"

namespace tarmac::learner {

// The one way a rollout gets a published policy, at start-up and on every swap: fetches
// tarmac:weights:<version>, decodes it (checksum verified), checks its signature under `key`
// (schemas::VerifyPolicyWeights; an empty key checks none), that it holds `version` and fits
// `spec`'s observation and action sizes, and loads it for inference on the kernels `backend`
// names (InferencePolicy::FromWeights; empty: this CPU's fastest). Errors: the fetch's
// own (NotFound when no such version is stored, Unavailable when Redis is lost), or a refusal of
// the weights themselves in one sentence, which IsRejectedWeights() tells apart. Blocks on one
// Redis round trip; loading costs a few ms for the default network.
absl::StatusOr<std::unique_ptr<InferencePolicy>> LoadVerifiedPolicy(buffer::ControlClient& control,
                                                                    std::uint64_t version,
                                                                    const envs::EnvSpec& spec,
                                                                    absl::string_view key = {},
                                                                    absl::string_view backend = {});

// True when LoadVerifiedPolicy fetched the weights but refused them (corrupt, of another
// version or another env's sizes, unsigned or signed with another key, not loadable): retrying the
// same version will not help.
bool IsRejectedWeights(const absl::Status& status);

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_VERIFIED_POLICY_H_
