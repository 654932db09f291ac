#ifndef TARMAC_UTIL_SPLITMIX_H_
#define TARMAC_UTIL_SPLITMIX_H_

#include <cstdint>

namespace tarmac::util {

// The splitmix64 finaliser of x + golden gamma: a well-mixed 64-bit value for deriving
// independent seeds and streams from one seed. O(1), stateless.
constexpr std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_SPLITMIX_H_
