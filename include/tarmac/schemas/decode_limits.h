#ifndef TARMAC_SCHEMAS_DECODE_LIMITS_H_
#define TARMAC_SCHEMAS_DECODE_LIMITS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace tarmac::schemas {

// Bounds applied when decoding bytes that came from outside the process (Redis, files, the
// network). Every decoder takes one; the defaults of each message type are below.
struct DecodeLimits {
  // Larger inputs are refused before any parsing.
  std::size_t max_message_bytes = std::size_t{1} << 20;
  // Words the reader may visit while validating, counting repeated visits of shared objects
  // (amplification). Also capped at four times the input's words, so small inputs cannot amplify.
  std::uint64_t traversal_limit_words = (std::uint64_t{1} << 20) / 8 * 8;
  // Pointer depth; tarmac's schemas need fewer than 8 levels.
  int nesting_limit = 16;

  // InvalidArgument when a bound is zero or negative.
  absl::Status Validate() const;

  // Limits scaled to a maximum message size: traversal limit eight times its words.
  static DecodeLimits ForMaxBytes(std::size_t max_message_bytes);
};

inline constexpr std::size_t kMaxTransitionBytes = std::size_t{1} << 20;         // 1 MiB
inline constexpr std::size_t kMaxTransitionBatchBytes = std::size_t{256} << 20;  // 256 MiB
inline constexpr std::size_t kMaxPolicyWeightsBytes = std::size_t{1} << 30;      // 1 GiB
inline constexpr std::size_t kMaxEpisodeSummaryBytes = std::size_t{4} << 20;     // 4 MiB

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_DECODE_LIMITS_H_
