#ifndef TARMAC_SCHEMAS_BULK_FIELDS_H_
#define TARMAC_SCHEMAS_BULK_FIELDS_H_

#include <capnp/any.h>
#include <capnp/list.h>

#include <cstring>
#include <string>

#include "absl/types/span.h"

namespace tarmac::schemas {

// Fields of the hot messages (a Transition per env step, per sampled item) filled and read
// without per-element work.

// Cap'n Proto stores a List(Float32) as consecutive little-endian IEEE 754 floats, which is
// what this host's floats are in memory: such a list is filled and read with one memcpy
// instead of an indexed access per element. The bytes are the same as the element-wise copy's.
inline constexpr bool kFloatsAsOnWire = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// The bytes of a list laid out as four-byte elements; empty for any other layout. Cap'n Proto
// refuses (throws) to lend the bytes of a list of structs with pointers, which a message may
// legally hold where a List(Float32) is read: the layout is asked first.
inline kj::ArrayPtr<const kj::byte> RawFloats(capnp::AnyList::Reader list) {
  if (list.getElementSize() != capnp::ElementSize::FOUR_BYTES) return {};
  return list.getRawBytes();
}

// Fills a freshly initialised list of values.size() floats.
inline void FillFloats(capnp::List<float>::Builder list, absl::Span<const float> values) {
  if constexpr (kFloatsAsOnWire) {
    // A builder's list is in the message's own (writable) segment; Cap'n Proto only lends it
    // out through the reader's byte view.
    const kj::ArrayPtr<const kj::byte> raw = RawFloats(capnp::AnyList::Reader(list.asReader()));
    if (raw.size() == values.size() * sizeof(float)) {
      if (!values.empty()) {
        std::memcpy(const_cast<kj::byte*>(raw.begin()), values.data(), raw.size());
      }
      return;
    }
  }
  for (unsigned i = 0; i < values.size(); ++i) list.set(i, values[i]);
}

// Copies a list of out.size() floats out. A list that another encoder wrote with wider elements
// (Cap'n Proto lets a List(Float32) be read from a list of structs whose first field is one,
// with or without pointers after it) is read element by element.
inline void CopyFloats(capnp::List<float>::Reader list, absl::Span<float> out) {
  if constexpr (kFloatsAsOnWire) {
    const kj::ArrayPtr<const kj::byte> raw = RawFloats(capnp::AnyList::Reader(list));
    if (list.size() == out.size() && raw.size() == out.size() * sizeof(float)) {
      if (!out.empty()) std::memcpy(out.data(), raw.begin(), raw.size());
      return;
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = list[static_cast<unsigned>(i)];
}

// A std::string as Text with the length it knows: Cap'n Proto's own conversion goes through
// c_str() and measures it again (strlen).
inline capnp::Text::Reader AsText(const std::string& s) { return {s.data(), s.size()}; }

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_BULK_FIELDS_H_
