// Decoder fuzz target for scenario sets (`*.scenarios` files come from users and other
// machines): refused with a status, or a fixed point on re-encode.
#include "fuzz_targets.h"
#include "tarmac/schemas/scenario_set.h"

using tarmac::schemas::DecodeScenarioSet;
using tarmac::schemas::EncodeScenarioSet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kMaxBytes = std::size_t{1} << 20;
  auto decoded = DecodeScenarioSet(bytes, kMaxBytes);
  if (!decoded.ok()) {
    TARMAC_FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  const std::string again = EncodeScenarioSet(*decoded);
  auto redecoded = DecodeScenarioSet(again);
  TARMAC_FUZZ_CHECK(redecoded.ok());
  TARMAC_FUZZ_CHECK(EncodeScenarioSet(*redecoded) == again);
  return 0;
}
