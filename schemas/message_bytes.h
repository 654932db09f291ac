#ifndef TARMAC_SCHEMAS_MESSAGE_BYTES_H_
#define TARMAC_SCHEMAS_MESSAGE_BYTES_H_

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tarmac/schemas/decode_limits.h"

namespace tarmac::schemas {

// The one place that turns bytes into a Cap'n Proto reader. Open() refuses empty, oversized,
// truncated and trailing input, copies unaligned input into aligned words, applies the traversal
// and nesting limits, and walks the whole pointer tree once so that bounds and depth are
// checked before any typed read. Not thread-safe; non-copyable.
class MessageBytes {
 public:
  static absl::StatusOr<std::unique_ptr<MessageBytes>> Open(absl::string_view bytes,
                                                            const DecodeLimits& limits,
                                                            absl::string_view type_name);

  MessageBytes(const MessageBytes&) = delete;
  MessageBytes& operator=(const MessageBytes&) = delete;

  capnp::MessageReader& reader() { return *reader_; }

  // After the caller has read every field once under the limits (proving the message does not
  // amplify), lets later reads go on without a traversal budget, so accessors of a validated
  // message never throw. Invalidates readers obtained before.
  void LiftTraversalLimit();

 private:
  MessageBytes() = default;

  kj::Array<capnp::word> aligned_copy_;    // only when the input was not word-aligned
  kj::ArrayPtr<const capnp::word> words_;  // the message: the caller's bytes or aligned_copy_
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

// Serializes a built message to bytes (unpacked, word-aligned length).
std::string MessageToBytes(capnp::MessageBuilder& builder);

// InvalidArgument "<type_name> message is malformed: <reason>" from a Cap'n Proto exception.
absl::Status MalformedError(absl::string_view type_name, const kj::Exception& exception);

// OK when `schema_id` is `expected_id`; otherwise InvalidArgument that names the tarmac message
// type the bytes hold, if they hold one.
absl::Status CheckSchemaId(std::uint64_t schema_id, std::uint64_t expected_id,
                           absl::string_view type_name);

// Runs `read` (which returns absl::Status or absl::StatusOr<T>) and turns any Cap'n Proto
// exception it throws into MalformedError.
template <typename Fn>
auto GuardedRead(absl::string_view type_name, Fn&& read) -> decltype(read()) {
  try {
    return std::forward<Fn>(read)();
  } catch (const kj::Exception& exception) {
    return MalformedError(type_name, exception);
  }
}

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_MESSAGE_BYTES_H_
