#ifndef TARMAC_SCHEMAS_TRANSITION_H_
#define TARMAC_SCHEMAS_TRANSITION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tarmac/schemas/decode_limits.h"
#include "tarmac/schemas/event.h"
#include "tarmac/schemas/named_value.h"
#include "tarmac/wire/transition.capnp.h"

namespace tarmac::schemas {

// One n-step transition, the payload of a replay item (schemas/transition.capnp documents each
// field). Plain data; not thread-safe to mutate concurrently.
struct Transition {
  std::vector<float> obs;
  std::vector<float> action;
  float reward = 0.0F;    // n-step discounted sum of rewards
  float discount = 0.0F;  // gamma^n, 0 when the episode terminated within the n steps
  std::vector<float> next_obs;
  bool done = false;
  bool truncated = false;
  std::vector<NamedValue> reward_terms;
  EventMask events = 0;
  std::uint64_t policy_version = 0;
  std::string actor_id;
  std::uint32_t env_id = 0;
  std::uint64_t episode_id = 0;
  std::uint32_t step = 0;
  std::uint8_t n_steps = 1;
  std::string scenario;
};

inline DecodeLimits TransitionLimits() { return DecodeLimits::ForMaxBytes(kMaxTransitionBytes); }
inline DecodeLimits TransitionBatchLimits() {
  return DecodeLimits::ForMaxBytes(kMaxTransitionBatchBytes);
}

// Serializes to an unpacked Cap'n Proto message (a whole number of 8-byte words).
// Cost: one allocation, the string's (the builder reuses a per-thread first segment), one copy.
std::string EncodeTransition(const Transition& transition);

// Parses untrusted bytes into an owned Transition. Errors (InvalidArgument) say what was wrong:
// truncated, oversized, trailing bytes, too deeply nested, another tarmac message type,
// obs/next_obs of different sizes. Never throws; `bytes` may be unaligned.
absl::StatusOr<Transition> DecodeTransition(absl::string_view bytes,
                                            const DecodeLimits& limits = TransitionLimits());

class MessageBytes;

// Reads a Transition in place, without copying its lists: the learner's decode path copies obs
// straight into tensor memory. The whole message is validated once by Parse, so the accessors
// never throw. When `bytes` is word-aligned the view points into it and `bytes` must outlive
// the view; otherwise the view holds an aligned copy. Movable, not copyable, not thread-safe.
class TransitionView {
 public:
  static absl::StatusOr<TransitionView> Parse(absl::string_view bytes,
                                              const DecodeLimits& limits = TransitionLimits());

  TransitionView(TransitionView&&) noexcept;
  TransitionView& operator=(TransitionView&&) noexcept;
  ~TransitionView();

  wire::Transition::Reader reader() const { return reader_; }
  std::size_t obs_size() const { return reader_.getObs().size(); }
  std::size_t action_size() const { return reader_.getAction().size(); }
  float reward() const { return reader_.getReward(); }
  float discount() const { return reader_.getDiscount(); }
  bool done() const { return reader_.getDone(); }
  EventMask events() const { return reader_.getEvents(); }
  std::uint64_t policy_version() const { return reader_.getPolicyVersion(); }

  // Copy a list into caller memory (e.g. a row of a pinned tensor). InvalidArgument when `out`
  // has another size than the list. O(size).
  absl::Status CopyObs(absl::Span<float> out) const;
  absl::Status CopyNextObs(absl::Span<float> out) const;
  absl::Status CopyAction(absl::Span<float> out) const;

  // An owned copy of everything.
  Transition ToTransition() const;

 private:
  TransitionView(std::unique_ptr<MessageBytes> message, wire::Transition::Reader reader);

  std::unique_ptr<MessageBytes> message_;
  wire::Transition::Reader reader_;
};

// Many transitions in one message (bulk export, tests).
std::string EncodeTransitionBatch(absl::Span<const Transition> transitions);
absl::StatusOr<std::vector<Transition>> DecodeTransitionBatch(
    absl::string_view bytes, const DecodeLimits& limits = TransitionBatchLimits());

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_TRANSITION_H_
