// A full disk under the replay's AOF: the data dir is a small tmpfs in a mount namespace (the
// test reaches it through /proc/<pid>/root). Redis refuses writes it cannot persist (MISCONF);
// writers hold their items and back off; the learner keeps sampling and updating what is there;
// once space is freed, everything queued gets in and the AOF on disk holds every acknowledged
// transition (DEBUG LOADAOF reloads the table from it).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "fault_support.h"

namespace tarmac::faults {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

constexpr std::size_t kTmpfsBytes = std::size_t{4} << 20;
constexpr std::size_t kPayloadBytes = 2048;

// Fills the file system of `dir` with a file `filler`, leaving about `leave` bytes free.
void Fill(const std::string& dir, std::size_t leave) {
  struct statvfs st {};
  ASSERT_EQ(statvfs(dir.c_str(), &st), 0) << dir;
  const std::size_t free_bytes = static_cast<std::size_t>(st.f_bavail) * st.f_frsize;
  ASSERT_GT(free_bytes, leave);
  std::ofstream out(dir + "/filler", std::ios::binary);
  const std::string block(64 << 10, 'f');
  for (std::size_t written = 0; written + leave < free_bytes; written += block.size()) {
    out.write(block.data(),
              static_cast<std::streamsize>(std::min(block.size(), free_bytes - leave - written)));
  }
  out.close();
  ASSERT_TRUE(fs::exists(dir + "/filler"));
}

TEST(FullDiskTest, WritersHoldTheLearnerSamplesAndNothingAcknowledgedIsLost) {
  testing::TempDir dir;
  RedisServer::Options options;
  options.dir = dir.path();
  options.launcher = testing::TmpfsLauncher(dir.path(), kTmpfsBytes);
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "everysec"};
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  const std::string mounted = "/proc/" + std::to_string(server->pid()) + "/root" + dir.path();
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000"}), "OK");

  CountingWriter actor(server->url(), "actor-a");
  constexpr int kFirst = 64;
  for (int i = 0; i < kFirst; ++i) actor.writer->Push(Payload("actor-a", i, kPayloadBytes), 1, 1);
  actor.DrainUntil([] { return false; }, std::chrono::seconds(10));
  ASSERT_EQ(actor.writer->written(), kFirst);

  // The disk fills: more than the free space is queued.
  Fill(mounted, 256 << 10);
  constexpr int kTotal = 600;
  for (int i = kFirst; i < kTotal; ++i) {
    actor.writer->Push(Payload("actor-a", i, kPayloadBytes), 1, 1);
  }
  actor.DrainUntil([&] { return actor.failures["disk"] > 0; }, std::chrono::seconds(20));
  ASSERT_GT(actor.failures["disk"], 0) << "the disk never filled; last error: " << actor.last_error;
  EXPECT_THAT(std::string(actor.last_error.message()), StartsWith("MISCONF"));
  EXPECT_GT(actor.writer->queued(), 0U) << "the writer holds what Redis refused";

  // While writes are refused, what was acknowledged is in the table, exactly once ...
  const std::uint64_t acknowledged = actor.writer->written();
  EXPECT_EQ(Produced(*server, "actor-a"), acknowledged);
  EXPECT_EQ(InfoField(*server, "size"), acknowledged);
  // ... and the learner keeps training on it: sampling and priority updates still work.
  RedisServer::Reply batch = server->Run({"REPLAY.SAMPLE", "rl", "32"});
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->type, REDIS_REPLY_ARRAY) << testing::ReplyText(batch.get());
  const std::string id = std::to_string(batch->element[2]->element[0]->integer);
  EXPECT_EQ(server->RunText({"REPLAY.UPDATE", "rl", "1", id, "2.5"}), "[1, 0]");
  EXPECT_GE(InfoField(*server, "samples"), 32U);
  // A direct insert says why.
  EXPECT_THAT(server->RunText({"REPLAY.INSERT", "rl", "VERSION", "1", "1", "1", "0", "x"}),
              HasSubstr("MISCONF"));

  // Writers back off rather than hammer a server that refuses them: in 2 s with backoff from
  // 10 ms doubling to 400 ms, at most ~9 attempts (hundreds without backoff).
  const int before = actor.failures["disk"];
  actor.DrainUntil([] { return false; }, std::chrono::seconds(2));
  EXPECT_LE(actor.failures["disk"] - before, 12);
  EXPECT_GE(actor.failures["disk"] - before, 2) << "still refused while the disk is full";

  // Space is freed: Redis retries its AOF write, writes resume, the queue drains.
  const auto freed = Clock::now();
  ASSERT_TRUE(fs::remove(mounted + "/filler"));
  actor.DrainUntil([] { return false; }, std::chrono::seconds(30));
  std::printf(
      "full disk: %d refused rounds, %llu items acknowledged before, queue drained %.2f s "
      "after space was freed\n",
      actor.failures["disk"], static_cast<unsigned long long>(acknowledged),
      std::chrono::duration<double>(Clock::now() - freed).count());
  EXPECT_EQ(actor.writer->queued(), 0U) << actor.last_error;
  EXPECT_EQ(actor.writer->written(), kTotal);
  EXPECT_EQ(Produced(*server, "actor-a"), kTotal);
  EXPECT_EQ(InfoField(*server, "size"), kTotal);

  // The AOF on the (no longer full) disk holds all of it: reloaded from the file alone, the
  // table is the same.
  const std::string info = server->RunText({"REPLAY.INFO", "rl"});
  ASSERT_EQ(server->RunText({"DEBUG", "LOADAOF"}), "OK");
  EXPECT_EQ(server->RunText({"REPLAY.INFO", "rl"}), info);
  EXPECT_EQ(Produced(*server, "actor-a"), kTotal);
  std::ifstream log(dir.path() + "/redis.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("Short write while writing to the AOF file"));
  EXPECT_THAT(text, HasSubstr("Redis can write again"));
}

}  // namespace
}  // namespace tarmac::faults
