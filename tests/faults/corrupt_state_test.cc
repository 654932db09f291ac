// Corrupt state on disk: an RDB cut at every tenth of its length, an AOF cut at every tenth,
// and a replay table saved by a module of another encoding version. Redis refuses what it
// cannot load with a sentence in its log and exits by itself, or loads a consistent prefix (a
// cut AOF tail: aof-load-truncated); never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "fault_support.h"

namespace tarmac::faults {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// How a redis-server started on `dir` ended up: ready (answering PING) or exited with a code.
struct Boot {
  bool ready = false;
  int exit_code = -1;  // 128 + signal when killed by one
  std::string log;
};

Boot BootOn(RedisServer::Options options, const std::string& dir) {
  const int port = testing::FreeLoopbackPort();
  auto process =
      testing::Subprocess::Start(RedisServer::CommandLine(options, port, dir), dir + "/redis.log");
  Boot boot;
  if (!process.ok()) return boot;
  const auto end = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < end && !boot.ready) {
    if (absl::StatusOr<int> code = process->Wait(std::chrono::milliseconds(50)); code.ok()) {
      boot.exit_code = *code;
      break;
    }
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 200000});
    if (c != nullptr && c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
      boot.ready = r != nullptr && r->type == REDIS_REPLY_STATUS;
      if (r != nullptr) freeReplyObject(r);
    }
    if (c != nullptr) redisFree(c);
  }
  if (boot.ready) process->Stop(SIGKILL);
  boot.log = ReadFile(dir + "/redis.log");
  return boot;
}

// Redis refused to start and exited by itself: not killed by a signal (a crash) and not still
// loading when BootOn gave up. (Redis runs its RDB checker after a load error and exits with
// its verdict, 0 or 1, so the code alone does not say which.)
bool ExitedBySelf(const Boot& boot) {
  return !boot.ready && boot.exit_code >= 0 && boot.exit_code < 128;
}

// The last warning line ("#") of a Redis log, for failure messages.
std::string LastWarning(const std::string& log) {
  std::string last;
  std::size_t at = 0;
  while ((at = log.find(" # ", at)) != std::string::npos) {
    const std::size_t end = log.find('\n', at);
    last = log.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
    at += 3;
  }
  return last;
}

// A server on `dir` whose table `rl` holds `items` items of one producer, then stopped by
// SIGKILL (nothing saved at exit).
void WriteTable(RedisServer::Options options, int items, bool save_rdb) {
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000"}), "OK");
  CountingWriter actor(server->url(), "actor-a");
  for (int i = 0; i < items; ++i) actor.writer->Push(Payload("actor-a", i, 200), 1, 1);
  actor.DrainUntil([] { return false; }, std::chrono::seconds(20));
  ASSERT_EQ(actor.writer->written(), static_cast<std::uint64_t>(items));
  RedisServer::Reply batch = server->Run({"REPLAY.SAMPLE", "rl", "16"});
  ASSERT_EQ(batch->type, REDIS_REPLY_ARRAY);
  const std::string id = std::to_string(batch->element[2]->element[0]->integer);
  ASSERT_EQ(server->RunText({"REPLAY.UPDATE", "rl", "2", id, "4.5", "999999999999", "0.25"}),
            "[1, 1]");
  if (save_rdb) {
    ASSERT_EQ(server->RunText({"SAVE"}), "OK");
  }
  server->Kill(SIGKILL);
}

TEST(CorruptStateTest, AnRdbCutAtEveryTenthIsRefusedWithASentence) {
  testing::TempDir source;
  RedisServer::Options options;
  options.dir = source.path();
  WriteTable(options, 2000, /*save_rdb=*/true);
  const std::string rdb = ReadFile(source.path() + "/dump.rdb");
  ASSERT_GT(rdb.size(), 10000U);  // LZF-compressed payloads
  for (int tenth = 1; tenth <= 9; ++tenth) {
    testing::TempDir dir;
    WriteFile(dir.path() + "/dump.rdb", rdb.substr(0, rdb.size() * tenth / 10));
    const Boot boot = BootOn(options, dir.path());
    std::printf("RDB cut at %d/10: exit %d, %s\n", tenth, boot.exit_code,
                LastWarning(boot.log).c_str());
    EXPECT_FALSE(boot.ready) << "cut at " << tenth << "/10 loaded";
    EXPECT_TRUE(ExitedBySelf(boot))
        << "cut at " << tenth << "/10: exit " << boot.exit_code << ", " << LastWarning(boot.log);
    EXPECT_THAT(boot.log, AnyOf(HasSubstr("tarmac_replay: the replay table ends early"),
                                HasSubstr("Short read")))
        << "cut at " << tenth << "/10";
  }
}

TEST(CorruptStateTest, AnAofCutAtEveryTenthLoadsAConsistentPrefix) {
  testing::TempDir source;
  RedisServer::Options options;
  options.dir = source.path();
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  constexpr int kItems = 800;
  WriteTable(options, kItems, /*save_rdb=*/false);
  const fs::path aof_dir = fs::path(source.path()) / "appendonlydir";
  fs::path incr;
  for (const auto& entry : fs::directory_iterator(aof_dir)) {
    if (absl::EndsWith(entry.path().string(), ".incr.aof")) incr = entry.path();
  }
  ASSERT_FALSE(incr.empty()) << "no incremental AOF in " << aof_dir;
  const std::string log = ReadFile(incr.string());
  std::uint64_t previous = 0;
  for (int tenth = 1; tenth <= 9; ++tenth) {
    testing::TempDir dir;
    fs::copy(aof_dir, fs::path(dir.path()) / "appendonlydir");
    WriteFile((fs::path(dir.path()) / "appendonlydir" / incr.filename()).string(),
              log.substr(0, log.size() * tenth / 10));
    const Boot boot = BootOn(options, dir.path());
    ASSERT_TRUE(boot.ready || ExitedBySelf(boot))
        << "cut at " << tenth << "/10: exit " << boot.exit_code << ", " << LastWarning(boot.log);
    if (!boot.ready) continue;  // refused with a sentence: allowed, though Redis loads the prefix
    EXPECT_THAT(boot.log, HasSubstr("aof-load-truncated"));
    // What loaded is a prefix of whole sequenced inserts: the table holds exactly what the
    // producer's sequence says, no more than was written, and more the later the cut.
    RedisServer::Options again = options;
    again.dir = dir.path();
    auto server = StartServer(again);
    ASSERT_TRUE(server);
    const std::uint64_t produced = Produced(*server, "actor-a");
    EXPECT_EQ(InfoField(*server, "size"), produced) << "cut at " << tenth << "/10";
    EXPECT_EQ(InfoField(*server, "inserts"), produced);
    EXPECT_LE(produced, static_cast<std::uint64_t>(kItems));
    EXPECT_GE(produced, previous);
    EXPECT_EQ(produced % 16, 0U) << "inserts are atomic batches of 16";
    previous = produced;
  }
  EXPECT_GT(previous, 0U);
}

// The module's type id in an RDB: "tarmac-pr" in Redis's 6-bit charset, then 10 bits of
// encoding version, saved as a 64-bit length (0x81, big-endian).
std::string ModuleTypeId(int encoding_version) {
  constexpr char kCharset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::uint64_t id = 0;
  for (char c : std::string("tarmac-pr")) {
    id = (id << 6) | static_cast<std::uint64_t>(std::string(kCharset).find(c));
  }
  id = (id << 10) | static_cast<std::uint64_t>(encoding_version);
  std::string bytes(1, '\x81');
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(id >> shift));
  return bytes;
}

TEST(CorruptStateTest, ATableFromAnotherModuleVersionIsRefusedWithASentence) {
  testing::TempDir dir;
  RedisServer::Options options;
  options.dir = dir.path();
  options.extra_args = {"--rdbchecksum", "no"};  // so the patched file has no checksum to fix
  WriteTable(options, 100, /*save_rdb=*/true);
  std::string rdb = ReadFile(dir.path() + "/dump.rdb");
  const std::string current = ModuleTypeId(1);
  const std::size_t at = rdb.find(current);
  ASSERT_NE(at, std::string::npos) << "the module type id is not in the RDB";
  ASSERT_EQ(rdb.find(current, at + 1), std::string::npos);
  rdb.replace(at, current.size(), ModuleTypeId(2));
  WriteFile(dir.path() + "/dump.rdb", rdb);
  const Boot boot = BootOn(options, dir.path());
  EXPECT_FALSE(boot.ready);
  EXPECT_TRUE(ExitedBySelf(boot)) << "exit " << boot.exit_code << ", " << LastWarning(boot.log);
  EXPECT_THAT(boot.log, HasSubstr("tarmac_replay: cannot load encoding version 2"));
}

}  // namespace
}  // namespace tarmac::faults
