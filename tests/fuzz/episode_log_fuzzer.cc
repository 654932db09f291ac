// Decoder fuzz target for EpisodeLog files: zstd framing and the message inside are untrusted.
// Refused with a status, or a fixed point on re-encode.
#include "fuzz_targets.h"
#include "tarmac/schemas/episode_log.h"

using tarmac::schemas::DecodeEpisodeLog;
using tarmac::schemas::EncodeEpisodeLog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A small decompressed cap keeps every input fast; the cap itself is what is under test.
  constexpr std::size_t kMaxBytes = std::size_t{1} << 20;
  auto decoded = DecodeEpisodeLog(bytes, kMaxBytes);
  if (!decoded.ok()) {
    TARMAC_FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  const std::string again = EncodeEpisodeLog(*decoded);
  auto redecoded = DecodeEpisodeLog(again);
  TARMAC_FUZZ_CHECK(redecoded.ok());
  TARMAC_FUZZ_CHECK(EncodeEpisodeLog(*redecoded) == again);
  return 0;
}
