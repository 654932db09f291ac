#include "message_bytes.h"

#include <capnp/any.h>
#include <kj/io.h>

#include <algorithm>
#include <cstring>

#include "tarmac/wire/episode_summary.capnp.h"
#include "tarmac/wire/policy_weights.capnp.h"
#include "tarmac/wire/scenario_set.capnp.h"
#include "tarmac/wire/transition.capnp.h"

namespace tarmac::schemas {

absl::StatusOr<std::unique_ptr<MessageBytes>> MessageBytes::Open(absl::string_view bytes,
                                                                 const DecodeLimits& limits,
                                                                 absl::string_view type_name) {
  if (absl::Status status = limits.Validate(); !status.ok()) return status;
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(type_name, " message is empty"));
  }
  if (bytes.size() > limits.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(type_name, " message is ", bytes.size(),
                                                   " bytes, over the limit of ",
                                                   limits.max_message_bytes, " bytes"));
  }
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(type_name, " message is truncated or corrupt: ", bytes.size(),
                     " bytes is not a whole number of 8-byte words"));
  }

  std::unique_ptr<MessageBytes> message(new MessageBytes());
  const std::size_t word_count = bytes.size() / sizeof(capnp::word);
  const auto* words = reinterpret_cast<const capnp::word*>(bytes.data());
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(capnp::word) != 0) {
    message->aligned_copy_ = kj::heapArray<capnp::word>(word_count);
    std::memcpy(message->aligned_copy_.begin(), bytes.data(), bytes.size());
    words = message->aligned_copy_.begin();
  }

  capnp::ReaderOptions options;
  // Bounded by the input too: validating reads every object once, so a message that needs far
  // more is amplifying (lists of zero-sized elements, pointers shared between fields) and is
  // refused before it can make the reader visit gigabytes.
  options.traversalLimitInWords =
      std::min<std::uint64_t>(limits.traversal_limit_words, word_count * 4 + 64);
  options.nestingLimit = limits.nesting_limit;
  absl::Status opened = GuardedRead(type_name, [&]() -> absl::Status {
    message->words_ = kj::arrayPtr(words, word_count);
    message->reader_ = std::make_unique<capnp::FlatArrayMessageReader>(message->words_, options);
    const capnp::word* end = message->reader_->getEnd();
    if (end != words + word_count) {
      return absl::InvalidArgumentError(
          absl::StrCat(type_name, " message is followed by ",
                       (words + word_count - end) * sizeof(capnp::word), " trailing bytes"));
    }
    capnp::AnyPointer::Reader root = message->reader_->getRoot<capnp::AnyPointer>();
    if (!root.isStruct()) {
      return absl::InvalidArgumentError(
          absl::StrCat(type_name, " message is malformed: its root is not a struct"));
    }
    // Walks every pointer: bounds and nesting depth are checked here, before any typed read.
    (void)root.targetSize();
    return absl::OkStatus();
  });
  if (!opened.ok()) return opened;
  return message;
}

void MessageBytes::LiftTraversalLimit() {
  capnp::ReaderOptions options = reader_->getOptions();
  options.traversalLimitInWords = kj::maxValue;
  const kj::ArrayPtr<const capnp::word> words = words_;
  reader_ = std::make_unique<capnp::FlatArrayMessageReader>(words, options);
}

std::string MessageToBytes(capnp::MessageBuilder& builder) {
  const std::size_t size = capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word);
  std::string bytes(size, '\0');
  kj::ArrayOutputStream stream(
      kj::arrayPtr(reinterpret_cast<kj::byte*>(bytes.data()), bytes.size()));
  capnp::writeMessage(stream, builder);
  return bytes;
}

absl::Status MalformedError(absl::string_view type_name, const kj::Exception& exception) {
  return absl::InvalidArgumentError(
      absl::StrCat(type_name, " message is malformed: ", exception.getDescription().cStr()));
}

absl::Status CheckSchemaId(std::uint64_t schema_id, std::uint64_t expected_id,
                           absl::string_view type_name) {
  if (schema_id == expected_id) return absl::OkStatus();
  struct Known {
    std::uint64_t id;
    absl::string_view name;
  };
  const Known known[] = {
      {capnp::typeId<wire::Transition>(), "Transition"},
      {capnp::typeId<wire::TransitionBatch>(), "TransitionBatch"},
      {capnp::typeId<wire::PolicyWeights>(), "PolicyWeights"},
      {capnp::typeId<wire::EpisodeSummary>(), "EpisodeSummary"},
  };
  for (const Known& other : known) {
    if (schema_id == other.id) {
      return absl::InvalidArgumentError(absl::StrCat("expected a message of type ", type_name,
                                                     " but the bytes hold type ", other.name));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "expected a message of type ", type_name,
      " but the bytes are not a tarmac message (unknown schema id ", absl::Hex(schema_id), ")"));
}

}  // namespace tarmac::schemas
