// Decoder fuzz target for EpisodeSummary: refused with a status or a fixed point on re-encode.
#include "fuzz_targets.h"
#include "tarmac/schemas/episode_summary.h"

using tarmac::schemas::DecodeEpisodeSummary;
using tarmac::schemas::DecodeLimits;
using tarmac::schemas::EncodeEpisodeSummary;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeEpisodeSummary(bytes);
  if (!decoded.ok()) {
    TARMAC_FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  const std::string again = EncodeEpisodeSummary(*decoded);
  auto redecoded = DecodeEpisodeSummary(again, DecodeLimits::ForMaxBytes(again.size()));
  TARMAC_FUZZ_CHECK(redecoded.ok());
  TARMAC_FUZZ_CHECK(EncodeEpisodeSummary(*redecoded) == again);
  return 0;
}
