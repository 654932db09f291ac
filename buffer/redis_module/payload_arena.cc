#include "payload_arena.h"

#include <algorithm>
#include <cstring>

namespace tarmac::replay {
namespace {

constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

}  // namespace

PayloadArena::~PayloadArena() {
  for (auto& [address, block] : blocks_) ModuleFree(block.data);
}

PayloadArena::Blocks::iterator PayloadArena::BlockOf(const char* p) {
  auto it = blocks_.upper_bound(reinterpret_cast<std::uintptr_t>(p));
  return std::prev(it);
}

PayloadArena::Blocks::const_iterator PayloadArena::BlockOf(const char* p) const {
  auto it = blocks_.upper_bound(reinterpret_cast<std::uintptr_t>(p));
  return std::prev(it);
}

const char* PayloadArena::Store(std::string_view bytes) {
  if (head_ == nullptr || head_->capacity - head_->used < bytes.size()) {
    Block block;
    block.capacity = std::max(kBlockBytes, bytes.size());
    block.data = static_cast<char*>(ModuleAlloc(block.capacity));
    allocated_ += block.capacity;
    head_ = &blocks_.emplace(reinterpret_cast<std::uintptr_t>(block.data), block).first->second;
  }
  char* p = head_->data + head_->used;
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  head_->used += bytes.size();
  head_->live += bytes.size();
  live_ += bytes.size();
  return p;
}

void PayloadArena::Release(const char* p, std::size_t size) {
  if (blocks_.empty()) return;
  auto it = BlockOf(p);
  Block& block = it->second;
  block.live -= size;
  live_ -= size;
  if (block.live == 0 && &block != head_) {
    allocated_ -= block.capacity;
    ModuleFree(block.data);
    blocks_.erase(it);
  } else if (block.live == 0) {
    block.used = 0;  // the head block empties: reuse it from the start
  }
}

bool PayloadArena::WantsCompaction() const {
  return blocks_.size() > 1 && (allocated_ - live_) * 4 > allocated_;
}

bool PayloadArena::InSparseBlock(const char* p) const {
  const Block& block = BlockOf(p)->second;
  return &block != head_ && block.live * 2 < block.capacity;
}

void PayloadArena::SealHead() { head_ = nullptr; }

}  // namespace tarmac::replay
