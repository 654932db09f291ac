#include "tarmac/schemas/decode_limits.h"

#include <capnp/common.h>

namespace tarmac::schemas {

absl::Status DecodeLimits::Validate() const {
  if (max_message_bytes == 0) {
    return absl::InvalidArgumentError("decode limit max_message_bytes must be positive");
  }
  if (traversal_limit_words == 0) {
    return absl::InvalidArgumentError("decode limit traversal_limit_words must be positive");
  }
  if (nesting_limit <= 0) {
    return absl::InvalidArgumentError("decode limit nesting_limit must be positive");
  }
  return absl::OkStatus();
}

DecodeLimits DecodeLimits::ForMaxBytes(std::size_t max_message_bytes) {
  DecodeLimits limits;
  limits.max_message_bytes = max_message_bytes;
  limits.traversal_limit_words = (max_message_bytes / sizeof(capnp::word) + 1) * 8;
  return limits;
}

}  // namespace tarmac::schemas
