// maxmemory reached with noeviction (what `tarmac replay-server` sets with replay.maxmemory):
// inserts are refused with OOM, nothing is evicted behind the module's back (the table and the
// other keys stay as they were), the learner still samples, writers back off and hold their
// items, and once memory is raised every queued item gets in exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "fault_support.h"

namespace tarmac::faults {
namespace {

using ::testing::StartsWith;

std::uint64_t UsedMemory(RedisServer& server) {
  for (absl::string_view line : absl::StrSplit(server.RunText({"INFO", "memory"}), "\r\n")) {
    std::uint64_t value = 0;
    if (absl::ConsumePrefix(&line, "used_memory:") && absl::SimpleAtoi(line, &value)) return value;
  }
  return 0;
}

TEST(MemoryPressureTest, AFullRedisRefusesInsertsEvictsNothingAndWritersCatchUp) {
  RedisServer::Options options;
  options.extra_args = {"--maxmemory-policy", "noeviction"};
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000"}), "OK");
  ASSERT_EQ(server->RunText({"SET", "tarmac:weights:7", std::string(4096, 'w')}), "OK");
  // Room for about 1000 of the 4000 items queued below.
  const std::uint64_t limit = UsedMemory(*server) + (std::uint64_t{2} << 20);
  ASSERT_EQ(server->RunText({"CONFIG", "SET", "maxmemory", std::to_string(limit)}), "OK");

  CountingWriter actor(server->url(), "actor-a");
  constexpr int kTotal = 4000;
  for (int i = 0; i < kTotal; ++i) actor.writer->Push(Payload("actor-a", i, 2048), 1, 1);
  actor.DrainUntil([&] { return actor.failures["oom"] > 0; }, std::chrono::seconds(30));
  ASSERT_GT(actor.failures["oom"], 0)
      << "maxmemory was never reached; last error: " << actor.last_error;
  EXPECT_THAT(std::string(actor.last_error.message()), StartsWith("OOM"));
  const std::uint64_t acknowledged = actor.writer->written();
  EXPECT_GT(acknowledged, 0U);
  EXPECT_LT(acknowledged, static_cast<std::uint64_t>(kTotal));

  // Refused, not evicted: the acknowledged items and the other keys all stay while the writer
  // keeps trying (and backs off: at most ~9 attempts in 2 s with 10 ms doubling to 400 ms).
  const int before = actor.failures["oom"];
  actor.DrainUntil([] { return false; }, std::chrono::seconds(2));
  EXPECT_LE(actor.failures["oom"] - before, 12);
  EXPECT_GE(actor.failures["oom"] - before, 2);
  EXPECT_EQ(actor.writer->written(), acknowledged);
  EXPECT_EQ(InfoField(*server, "size"), acknowledged);
  EXPECT_EQ(InfoField(*server, "evictions"), 0U);
  EXPECT_EQ(Produced(*server, "actor-a"), acknowledged);
  EXPECT_EQ(server->RunText({"STRLEN", "tarmac:weights:7"}), "4096");
  EXPECT_THAT(server->RunText({"INFO", "stats"}), ::testing::HasSubstr("evicted_keys:0"));
  // The learner still samples (sampling is not refused when memory is full).
  RedisServer::Reply batch = server->Run({"REPLAY.SAMPLE", "rl", "64"});
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->type, REDIS_REPLY_ARRAY) << testing::ReplyText(batch.get());

  // More memory: everything queued gets in, exactly once.
  const auto raised = Clock::now();
  ASSERT_EQ(server->RunText({"CONFIG", "SET", "maxmemory", "0"}), "OK");
  actor.DrainUntil([] { return false; }, std::chrono::seconds(30));
  std::printf(
      "maxmemory: %d refused rounds, %llu of %d items in when full, queue drained %.2f s "
      "after memory was raised\n",
      actor.failures["oom"], static_cast<unsigned long long>(acknowledged), kTotal,
      std::chrono::duration<double>(Clock::now() - raised).count());
  EXPECT_EQ(actor.writer->queued(), 0U) << actor.last_error;
  EXPECT_EQ(actor.writer->written(), kTotal);
  EXPECT_EQ(Produced(*server, "actor-a"), kTotal);
  EXPECT_EQ(InfoField(*server, "size"), kTotal);
}

}  // namespace
}  // namespace tarmac::faults
