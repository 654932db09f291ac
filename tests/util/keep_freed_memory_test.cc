// util::KeepFreedMemory: a block freed and allocated again comes back without page faults.
// Each case runs in a process of its own (ctest), so glibc's settings start at their defaults.

#include "tarmac/util/keep_freed_memory.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace tarmac::util {
namespace {

constexpr std::size_t kBytes = std::size_t{8} << 20;  // a few LibTorch tensors' worth
constexpr long kPages = kBytes / 4096;

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Page faults of allocating kBytes, writing every byte and freeing them.
long FaultsOfOneRound() {
  const long before = MinorFaults();
  void* block = std::malloc(kBytes);
  if (block == nullptr) return -1;
  std::memset(block, 1, kBytes);
  asm volatile("" : : "r"(block) : "memory");  // the writes happen: the block is not elided
  std::free(block);
  return MinorFaults() - before;
}

TEST(KeepFreedMemoryTest, ABlockFreedAndAllocatedAgainTakesNoPageFaults) {
  KeepFreedMemory();
  KeepFreedMemory();  // idempotent
  const long first = FaultsOfOneRound();
  ASSERT_GE(first, kPages / 2) << "the first round touches new memory";
  for (int round = 0; round < 3; ++round) {
    // Stated tolerance: under 2 % of the block's pages (other allocations of the process).
    EXPECT_LT(FaultsOfOneRound(), kPages / 50) << "round " << round + 2;
  }
}

// What it changes: by default glibc maps such a block afresh, or trims it away, and the next
// round faults again.
TEST(KeepFreedMemoryTest, WithoutItTheSecondRoundFaultsAgain) {
  (void)FaultsOfOneRound();
  EXPECT_GE(FaultsOfOneRound(), kPages / 2);
}

}  // namespace
}  // namespace tarmac::util
