// Decoder fuzz target for TransitionBatch: refused with a status or a fixed point on re-encode.
#include "fuzz_targets.h"
#include "tarmac/schemas/transition.h"

using tarmac::schemas::DecodeLimits;
using tarmac::schemas::DecodeTransitionBatch;
using tarmac::schemas::EncodeTransitionBatch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeTransitionBatch(bytes);
  if (!decoded.ok()) {
    TARMAC_FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  const std::string again = EncodeTransitionBatch(*decoded);
  auto redecoded = DecodeTransitionBatch(again, DecodeLimits::ForMaxBytes(again.size()));
  TARMAC_FUZZ_CHECK(redecoded.ok());
  TARMAC_FUZZ_CHECK(redecoded->size() == decoded->size());
  TARMAC_FUZZ_CHECK(EncodeTransitionBatch(*redecoded) == again);
  return 0;
}
