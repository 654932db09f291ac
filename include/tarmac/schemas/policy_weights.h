#ifndef TARMAC_SCHEMAS_POLICY_WEIGHTS_H_
#define TARMAC_SCHEMAS_POLICY_WEIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/schemas/decode_limits.h"

namespace tarmac::schemas {

// Element types of a weight tensor; ordinals equal tarmac::wire::DType.
enum class DType : std::uint8_t {
  kFloat32 = 0,
  kFloat64 = 1,
  kFloat16 = 2,
  kBFloat16 = 3,
  kInt64 = 4,
  kInt32 = 5,
  kUInt8 = 6,
};

// Bytes per element.
std::size_t DTypeSize(DType dtype);
absl::string_view DTypeName(DType dtype);

// The network the tensors belong to; actors refuse weights for another architecture.
struct Architecture {
  std::string kind;  // e.g. "sac_mlp"
  std::uint32_t obs_dim = 0;
  std::uint32_t action_dim = 0;
  std::vector<std::uint32_t> hidden_sizes;
  std::string activation;

  bool operator==(const Architecture& other) const;
  bool operator!=(const Architecture& other) const { return !(*this == other); }
};

// One named tensor: row-major, little-endian bytes.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  DType dtype = DType::kFloat32;
  std::string data;  // product(shape) * DTypeSize(dtype) bytes

  // Elements implied by the shape (1 for a scalar).
  std::int64_t NumElements() const;
};

// Versioned policy weights as published to tarmac:weights:<version>. Plain data.
struct PolicyWeights {
  std::uint64_t version = 0;
  std::uint64_t learner_step = 0;
  Architecture architecture;
  std::vector<Tensor> tensors;
  std::int64_t created_unix_ms = 0;
  // HMAC-SHA-256 (32 bytes) as decoded; empty when unsigned. EncodePolicyWeights ignores it
  // and signs with the key it is given.
  std::string signature;
};

// The environment variable holding the key the learner signs weights with and actors check
// them against. Whoever can write tarmac:weights:* decides how every car drives; the key makes
// a blob count only when the learner made it.
inline constexpr char kWeightsKeyVariable[] = "TARMAC_WEIGHTS_KEY";
inline constexpr std::size_t kMinWeightsKeyBytes = 16;

// $TARMAC_WEIGHTS_KEY; empty when unset (weights then go unsigned and unchecked).
// InvalidArgument when it is set but shorter than kMinWeightsKeyBytes.
absl::StatusOr<std::string> WeightsKeyFromEnvironment();

inline DecodeLimits PolicyWeightsLimits() {
  return DecodeLimits::ForMaxBytes(kMaxPolicyWeightsBytes);
}

// XXH3-64 over version, learner step, architecture and every tensor (name, shape, dtype,
// bytes), each length-prefixed; created_unix_ms is not covered. O(total tensor bytes).
std::uint64_t PolicyWeightsChecksum(const PolicyWeights& weights);

// Serializes with the checksum filled in, and the signature when `key` is not empty.
// InvalidArgument when a tensor's data size does not match its shape and dtype, a name is
// empty or repeated, or a dimension is negative.
absl::StatusOr<std::string> EncodePolicyWeights(const PolicyWeights& weights,
                                                absl::string_view key = {});

// HMAC-SHA-256 under `key` of what PolicyWeightsChecksum covers.
std::string PolicyWeightsSignature(const PolicyWeights& weights, absl::string_view key);

// OK when `key` is empty or the signature is the one `key` gives (compared in constant time).
// PermissionDenied naming the version when the weights are unsigned or signed with another key.
absl::Status VerifyPolicyWeights(const PolicyWeights& weights, absl::string_view key);

// Parses untrusted bytes. InvalidArgument for malformed, oversized or foreign messages and
// inconsistent tensors; DataLoss when the stored checksum does not match the content.
absl::StatusOr<PolicyWeights> DecodePolicyWeights(
    absl::string_view bytes, const DecodeLimits& limits = PolicyWeightsLimits());

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_POLICY_WEIGHTS_H_
