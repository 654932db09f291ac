#include "payload_arena.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tarmac::replay {
namespace {

TEST(PayloadArenaTest, EveryLengthReadsBackWithItsOwnPrefix) {
  // Lengths at each boundary of the LEB128 prefix, empty and larger than a block included.
  PayloadArena arena;
  std::vector<std::string> payloads;
  for (std::size_t n :
       {0UL, 1UL, 127UL, 128UL, 600UL, 16383UL, 16384UL, 2'097'151UL, 2'097'152UL}) {
    std::string p(n, '\0');
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(i * 31 + n);
    payloads.push_back(std::move(p));
  }
  std::vector<const char*> handles;
  for (const std::string& p : payloads) handles.push_back(arena.Store(p));
  std::size_t expected_live = 0;
  for (std::size_t k = 0; k < payloads.size(); ++k) {
    EXPECT_EQ(PayloadArena::Read(handles[k]), payloads[k]) << payloads[k].size();
    const std::size_t n = payloads[k].size();
    expected_live += n + (n < 128 ? 1 : n < 16384 ? 2 : n < 2'097'152 ? 3 : 4);
  }
  EXPECT_EQ(arena.live_bytes(), expected_live);
  for (const char* h : handles) arena.Release(h);
  EXPECT_EQ(arena.live_bytes(), 0U);
}

TEST(PayloadArenaTest, ASixHundredBytePayloadCostsTwoBytesMore) {
  PayloadArena arena;
  const std::string payload(600, 'x');
  for (int i = 0; i < 1000; ++i) arena.Store(payload);
  EXPECT_EQ(arena.live_bytes(), 1000U * 602U);
}

}  // namespace
}  // namespace tarmac::replay
