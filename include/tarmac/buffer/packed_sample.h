#ifndef TARMAC_BUFFER_PACKED_SAMPLE_H_
#define TARMAC_BUFFER_PACKED_SAMPLE_H_

#include <cstdint>

namespace tarmac::buffer {

// One record of a `REPLAY.SAMPLE ... PACKED` reply (the blob after size and total mass):
// little-endian, 56 bytes, one per sampled item, in draw order. Shared by the module that writes
// it and the client that reads it; fields are only ever appended.
struct PackedSampleRecord {
  std::uint64_t id;
  double priority;
  double probability;
  double weight;
  std::uint64_t policy_version;
  std::uint64_t tags;
  std::uint32_t times_sampled;
  std::uint32_t reserved;
};
static_assert(sizeof(PackedSampleRecord) == 56, "the packed layout is part of the wire format");

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_PACKED_SAMPLE_H_
