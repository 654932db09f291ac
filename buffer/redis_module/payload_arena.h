#ifndef TARMAC_BUFFER_REDIS_MODULE_PAYLOAD_ARENA_H_
#define TARMAC_BUFFER_REDIS_MODULE_PAYLOAD_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "module_allocator.h"

namespace tarmac::replay {

// Payload bytes of one table, packed back to back in large blocks instead of one allocation per
// item: no allocator rounding or headers per item. Each payload is stored after its length (a
// LEB128 varint: 2 bytes up to 16 KiB), so that the owner keeps one pointer per item and no
// size (a 600-byte payload costs 602 bytes). Blocks
// whose payloads are all released are freed; FIFO tables release in insertion order, so their
// blocks empty one after another. Other orders leave holes, which the owner reclaims with
// Compact when WantsCompaction says a quarter of the arena is dead. Not thread-safe.
class PayloadArena {
 public:
  PayloadArena() = default;
  ~PayloadArena();
  PayloadArena(const PayloadArena&) = delete;
  PayloadArena& operator=(const PayloadArena&) = delete;

  // Copies `bytes` (and their length) into the arena; the returned handle stays valid until
  // Release (or a relocation by the owner during compaction). O(1) amortised.
  const char* Store(std::string_view bytes);
  // The payload a handle from Store holds. O(1).
  static std::string_view Read(const char* handle);
  // Marks the payload dead; frees the block when nothing in it is live. O(log blocks).
  void Release(const char* handle);

  // True when at least a quarter of the allocated bytes are dead (and over one block).
  bool WantsCompaction() const;
  // True when `handle` lies in a block that is less than half live: worth moving out.
  bool InSparseBlock(const char* handle) const;
  // Starts a fresh block for relocated payloads, so they never land in a sparse block.
  void SealHead();

  std::size_t allocated_bytes() const { return allocated_; }
  std::size_t live_bytes() const { return live_; }

 private:
  struct Block {
    char* data = nullptr;
    std::size_t capacity = 0;
    std::size_t used = 0;
    std::size_t live = 0;
  };
  using Blocks = std::map<std::uintptr_t, Block, std::less<>,
                          ModuleAllocator<std::pair<const std::uintptr_t, Block>>>;
  Blocks::iterator BlockOf(const char* p);
  Blocks::const_iterator BlockOf(const char* p) const;

  Blocks blocks_;
  Block* head_ = nullptr;  // where Store appends
  std::size_t allocated_ = 0;
  std::size_t live_ = 0;
};

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_PAYLOAD_ARENA_H_
