#include "payload_arena.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tarmac::replay {
namespace {

constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

// Writes `n` as LEB128 at `out`; returns the bytes written.
std::size_t PutLength(std::size_t n, char* out) {
  std::size_t i = 0;
  for (; n >= 0x80; n >>= 7) out[i++] = static_cast<char>((n & 0x7f) | 0x80);
  out[i++] = static_cast<char>(n);
  return i;
}

// The length at `in` and the bytes it took.
std::pair<std::size_t, std::size_t> GetLength(const char* in) {
  std::size_t n = 0;
  std::size_t i = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(in[i++]);
    n |= static_cast<std::size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return {n, i};
  }
}

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
  char length[10];  // LEB128 of a std::size_t
  const std::size_t prefix = PutLength(bytes.size(), length);
  const std::size_t stored = prefix + bytes.size();
  if (head_ == nullptr || head_->capacity - head_->used < stored) {
    Block block;
    block.capacity = std::max(kBlockBytes, stored);
    block.data = static_cast<char*>(ModuleAlloc(block.capacity));
    allocated_ += block.capacity;
    head_ = &blocks_.emplace(reinterpret_cast<std::uintptr_t>(block.data), block).first->second;
  }
  char* p = head_->data + head_->used;
  std::memcpy(p, length, prefix);
  if (!bytes.empty()) std::memcpy(p + prefix, bytes.data(), bytes.size());
  head_->used += stored;
  head_->live += stored;
  live_ += stored;
  return p;
}

std::string_view PayloadArena::Read(const char* handle) {
  const auto [size, prefix] = GetLength(handle);
  return {handle + prefix, size};
}

void PayloadArena::Release(const char* handle) {
  if (blocks_.empty() || handle == nullptr) return;
  const auto [length, prefix] = GetLength(handle);
  const std::size_t size = prefix + length;
  auto it = BlockOf(handle);
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

bool PayloadArena::InSparseBlock(const char* handle) const {
  const Block& block = BlockOf(handle)->second;
  return &block != head_ && block.live * 2 < block.capacity;
}

void PayloadArena::SealHead() { head_ = nullptr; }

}  // namespace tarmac::replay
