#ifndef TARMAC_TESTS_FUZZ_FUZZ_TARGETS_H_
#define TARMAC_TESTS_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

// A fuzz property failed: report and abort so libFuzzer (or the replay driver) records the input.
#define TARMAC_FUZZ_CHECK(condition)                                                              \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#endif  // TARMAC_TESTS_FUZZ_FUZZ_TARGETS_H_
