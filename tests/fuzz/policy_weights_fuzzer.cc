// Decoder fuzz target for PolicyWeights: refused with a status, or consistent tensors whose
// checksum verifies and which re-encode to a fixed point.
#include "fuzz_targets.h"
#include "tarmac/schemas/policy_weights.h"

using tarmac::schemas::DecodeLimits;
using tarmac::schemas::DecodePolicyWeights;
using tarmac::schemas::EncodePolicyWeights;
using tarmac::schemas::PolicyWeights;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<PolicyWeights> decoded = DecodePolicyWeights(bytes);
  if (!decoded.ok()) {
    TARMAC_FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  for (const auto& tensor : decoded->tensors) {
    TARMAC_FUZZ_CHECK(tensor.data.size() == static_cast<std::size_t>(tensor.NumElements()) *
                                                tarmac::schemas::DTypeSize(tensor.dtype));
  }
  absl::StatusOr<std::string> again = EncodePolicyWeights(*decoded);
  TARMAC_FUZZ_CHECK(again.ok());
  absl::StatusOr<PolicyWeights> redecoded =
      DecodePolicyWeights(*again, DecodeLimits::ForMaxBytes(again->size()));
  TARMAC_FUZZ_CHECK(redecoded.ok());
  TARMAC_FUZZ_CHECK(*EncodePolicyWeights(*redecoded) == *again);
  return 0;
}
