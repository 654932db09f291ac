// Decoder fuzz target: any bytes either decode or are refused with a status; whatever decodes
// re-encodes to a message that decodes to the same encoding (a fixed point).
#include "fuzz_targets.h"
#include "tarmac/schemas/transition.h"

using tarmac::schemas::DecodeLimits;
using tarmac::schemas::DecodeTransition;
using tarmac::schemas::EncodeTransition;
using tarmac::schemas::TransitionView;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tarmac::schemas::Transition> decoded = DecodeTransition(bytes);
  if (decoded.ok()) {
    const std::string again = EncodeTransition(*decoded);
    absl::StatusOr<tarmac::schemas::Transition> redecoded =
        DecodeTransition(again, DecodeLimits::ForMaxBytes(again.size()));
    TARMAC_FUZZ_CHECK(redecoded.ok());
    TARMAC_FUZZ_CHECK(EncodeTransition(*redecoded) == again);
  } else {
    TARMAC_FUZZ_CHECK(!decoded.status().message().empty());
  }

  absl::StatusOr<TransitionView> view = TransitionView::Parse(bytes);
  TARMAC_FUZZ_CHECK(view.ok() == decoded.ok());
  if (view.ok()) {
    std::vector<float> obs(view->obs_size());
    TARMAC_FUZZ_CHECK(view->CopyObs(absl::MakeSpan(obs)).ok());
    TARMAC_FUZZ_CHECK(EncodeTransition(view->ToTransition()) == EncodeTransition(*decoded));
  }
  return 0;
}
