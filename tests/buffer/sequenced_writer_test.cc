// SequencedWriter against real redis-servers: every item once across shards, exactly once
// through a server killed mid-drain and restarted from its AOF, back-off while Redis is down,
// deadlines, and one policy version per batch.
#include "tarmac/buffer/sequenced_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fault_proxy.h"
#include "redis_server.h"
#include "tarmac/buffer/replay_client.h"

namespace tarmac::buffer {
namespace {

using testing::RedisServer;
using Clock = SequencedWriter::Clock;

std::unique_ptr<RedisServer> StartServer(RedisServer::Options options = {}) {
  auto server = RedisServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

SequencedWriterOptions WriterOptions(const std::vector<RedisServer*>& servers) {
  SequencedWriterOptions o;
  for (RedisServer* s : servers) o.shards.push_back(*ShardEndpoint::Parse(s->url()));
  o.table = "rl";
  o.producer = "writer-1";
  o.insert_batch = 16;
  o.batches_per_round = 4;
  o.backoff_initial = std::chrono::milliseconds(10);
  o.backoff_max = std::chrono::milliseconds(100);
  o.timeout = std::chrono::milliseconds(500);
  return o;
}

void CreateTable(const std::vector<RedisServer*>& servers) {
  for (RedisServer* s : servers) {
    ASSERT_EQ(s->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000"}), "OK");
  }
}

std::uint64_t Field(RedisServer& server, const std::string& name) {
  RedisServer::Reply info = server.Run({"REPLAY.INFO", "rl"});
  for (std::size_t i = 0; info && i + 1 < info->elements; i += 2) {
    if (std::string(info->element[i]->str) == name) {
      return static_cast<std::uint64_t>(info->element[i + 1]->integer);
    }
  }
  return ~0ULL;
}

// Every payload the shards hold, with how many distinct items carry it.
std::map<std::string, int> Payloads(const std::vector<RedisServer*>& servers) {
  std::map<std::string, int> seen;
  for (RedisServer* s : servers) {
    const std::uint64_t size = Field(*s, "size");
    if (size == 0) continue;
    // Twenty draws per item (equal priorities): every item is drawn with near certainty.
    RedisServer::Reply all =
        s->Run({"REPLAY.SAMPLE", "rl", std::to_string(size * 20), "SEED", "1"});
    std::set<std::uint64_t> ids;
    for (std::size_t i = 2; all && i < all->elements; ++i) {
      const redisReply* e = all->element[i];
      if (ids.insert(static_cast<std::uint64_t>(e->element[0]->integer)).second) {
        ++seen[std::string(e->element[4]->str, e->element[4]->len)];
      }
    }
  }
  return seen;
}

TEST(SequencedWriterTest, WritesEveryItemOnceAcrossShards) {
  auto a = StartServer(), b = StartServer();
  ASSERT_TRUE(a && b);
  const std::vector<RedisServer*> servers = {a.get(), b.get()};
  CreateTable(servers);
  SequencedWriter writer(WriterOptions(servers));
  std::uint64_t reported = 0;
  writer.set_progress([&](std::uint64_t items, std::optional<double> seconds) {
    reported += items;
    EXPECT_TRUE(seconds.has_value());
  });
  for (int i = 0; i < 1000; ++i) writer.Push("item-" + std::to_string(i), i % 3, 1 + i / 300);
  // Without until_empty only whole rounds go out.
  auto partial = writer.Drain(Clock::now() + std::chrono::seconds(20), false);
  EXPECT_TRUE(partial.last_error.ok()) << partial.last_error;
  EXPECT_LT(writer.queued(), writer.round_items());
  auto rest = writer.Drain(Clock::now() + std::chrono::seconds(20), true);
  EXPECT_EQ(writer.queued(), 0U);
  EXPECT_EQ(partial.written + rest.written, 1000U);
  EXPECT_EQ(writer.written(), 1000U);
  EXPECT_EQ(reported, 1000U);
  const std::uint64_t on_a = Field(*a, "inserts"), on_b = Field(*b, "inserts");
  EXPECT_EQ(on_a + on_b, 1000U);
  EXPECT_GT(on_a, 0U);
  EXPECT_GT(on_b, 0U);
  EXPECT_EQ(a->RunText({"REPLAY.PRODUCER", "rl", "writer-1"}), std::to_string(on_a));
  EXPECT_EQ(b->RunText({"REPLAY.PRODUCER", "rl", "writer-1"}), std::to_string(on_b));
  const std::map<std::string, int> seen = Payloads(servers);
  EXPECT_EQ(seen.size(), 1000U);
  for (const auto& [payload, count] : seen) EXPECT_EQ(count, 1) << payload;
}

TEST(SequencedWriterTest, IsExactlyOnceThroughAServerKilledMidDrain) {
  // Killed at a different point of the drain each time; every item ends up in the table once.
  for (int trial = 0; trial < 3; ++trial) {
    testing::TempDir dir;
    RedisServer::Options options;
    options.dir = dir.path();
    options.port = testing::FreeLoopbackPort();
    options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
    auto server = StartServer(options);
    ASSERT_TRUE(server);
    CreateTable({server.get()});
    SequencedWriter writer(WriterOptions({server.get()}));
    constexpr int kItems = 6000;
    for (int i = 0; i < kItems; ++i) writer.Push("item-" + std::to_string(i), 0, 1);
    std::atomic<bool> done{false};
    SequencedWriter::DrainResult result;
    std::thread drain([&] {
      result = writer.Drain(Clock::now() + std::chrono::seconds(60), true);
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 40 * trial));
    const bool killed_mid_drain = !done.load();
    server->Kill(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the writer backs off
    server = StartServer(options);
    ASSERT_TRUE(server);
    drain.join();
    EXPECT_EQ(writer.queued(), 0U);
    EXPECT_FALSE(result.deadline_passed);
    EXPECT_EQ(writer.written(), static_cast<std::uint64_t>(kItems));
    EXPECT_EQ(Field(*server, "inserts"), static_cast<std::uint64_t>(kItems))
        << "trial " << trial << (killed_mid_drain ? " (killed mid-drain)" : " (after the drain)");
    EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "writer-1"}), std::to_string(kItems));
    if (killed_mid_drain) {
      EXPECT_FALSE(result.last_error.ok()) << "the outage was seen";
    }
  }
}

TEST(SequencedWriterTest, ALeadItDidNotCauseIsNotTakenForItsOwnItems) {
  // `tarmac train --resume` writes under the producer id of the process it replaces; a late
  // copy of that process's last round can move the sequence after this writer read it. With no
  // round of its own lost, the lead is not this writer's items: they all go in, once. (A lead
  // of a whole number of batches is not handled: the round's later batches then land in
  // sequence after its first is refused, and they are sent again.)
  auto server = StartServer();
  ASSERT_TRUE(server);
  CreateTable({server.get()});
  SequencedWriter writer(WriterOptions({server.get()}));
  for (int i = 0; i < 64; ++i) writer.Push("item-" + std::to_string(i), 0, 1);
  writer.Drain(Clock::now() + std::chrono::seconds(10), true);
  ASSERT_EQ(writer.written(), 64U);
  for (int i = 64; i < 192; ++i) writer.Push("item-" + std::to_string(i), 0, 1);
  std::vector<std::string> late = {"REPLAY.INSERT", "rl", "PRODUCER", "writer-1", "SEQ", "64",
                                   "VERSION",       "1",  "5"};
  for (int i = 0; i < 5; ++i) {
    for (std::string field : {std::string("*"), std::string("0"), "earlier-" + std::to_string(i)}) {
      late.push_back(std::move(field));
    }
  }
  RedisServer::Reply applied = server->Run(late);
  ASSERT_TRUE(applied && applied->type == REDIS_REPLY_ARRAY && applied->elements == 5U);

  writer.Drain(Clock::now() + std::chrono::seconds(10), true);
  EXPECT_EQ(writer.queued(), 0U);
  EXPECT_EQ(writer.written(), 192U);
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "writer-1"}), "197");
  EXPECT_EQ(Field(*server, "inserts"), 197U);
  const std::map<std::string, int> seen = Payloads({server.get()});
  EXPECT_EQ(seen.size(), 197U);
  for (int i = 0; i < 192; ++i) EXPECT_EQ(seen.count("item-" + std::to_string(i)), 1U) << i;
  for (const auto& [payload, count] : seen) EXPECT_EQ(count, 1) << payload;
}

TEST(SequencedWriterTest, ItemsOfALostRoundStayOnItsShardUntilTheyAreIn) {
  // Shard 0 behind a proxy that delays each chunk by 3 s: the round sent there times out, its
  // copy still travelling. Then shard 0 answers at once but refuses writes (maxmemory) while
  // shard 1 is healthy. Sending the round's items to shard 1 would double them when the copy
  // lands on shard 0; they must wait for shard 0, which then says the copy is in.
  auto a = StartServer(), b = StartServer();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->RunText({"CONFIG", "SET", "maxmemory-policy", "noeviction"}), "OK");
  CreateTable({a.get(), b.get()});
  auto proxy = testing::FaultProxy::Start(a->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  SequencedWriterOptions o = WriterOptions({a.get(), b.get()});
  o.shards[0] = *ShardEndpoint::Parse((*proxy)->url());
  o.timeout = std::chrono::milliseconds(300);
  SequencedWriter writer(o);
  // One round to each shard first, connecting to both.
  for (int i = 0; i < 128; ++i) writer.Push("item-" + std::to_string(i), 0, 1);
  writer.Drain(Clock::now() + std::chrono::seconds(10), true);
  ASSERT_EQ(Field(*a, "inserts"), 64U);
  ASSERT_EQ(Field(*b, "inserts"), 64U);
  for (int i = 128; i < 192; ++i) writer.Push("item-" + std::to_string(i), 0, 1);

  (*proxy)->SetLatency(std::chrono::milliseconds(3000));
  const auto sent = Clock::now();
  writer.Drain(sent + std::chrono::milliseconds(200), true);
  ASSERT_EQ(writer.queued(), 64U) << "the round's reply cannot have come back";
  (*proxy)->SetLatency(std::chrono::milliseconds(0));  // new connections only: the copy still waits
  ASSERT_EQ(a->RunText({"CONFIG", "SET", "maxmemory", "1"}), "OK");
  writer.Drain(Clock::now() + std::chrono::milliseconds(600), true);
  ASSERT_LT(Clock::now() - sent, std::chrono::milliseconds(2500)) << "too slow to test the order";
  EXPECT_EQ(Field(*b, "inserts"), 64U) << "the round's items went to another shard";
  ASSERT_EQ(a->RunText({"CONFIG", "SET", "maxmemory", "0"}), "OK");
  // The copy lands on shard 0.
  for (int i = 0; i < 100 && a->RunText({"REPLAY.PRODUCER", "rl", "writer-1"}) != "128"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(a->RunText({"REPLAY.PRODUCER", "rl", "writer-1"}), "128") << "the copy never landed";

  writer.Drain(Clock::now() + std::chrono::seconds(10), true);
  EXPECT_EQ(writer.queued(), 0U);
  EXPECT_EQ(writer.written(), 192U);
  EXPECT_EQ(Field(*a, "inserts") + Field(*b, "inserts"), 192U);
  const std::map<std::string, int> seen = Payloads({a.get(), b.get()});
  EXPECT_EQ(seen.size(), 192U);
  for (const auto& [payload, count] : seen) EXPECT_EQ(count, 1) << payload;
}

TEST(SequencedWriterTest, HoldsItemsWhileRedisIsDownAndStopsAtTheDeadline) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  CreateTable({server.get()});
  SequencedWriterOptions options = WriterOptions({server.get()});
  server->Kill(SIGKILL);
  SequencedWriter writer(options);
  for (int i = 0; i < 10; ++i) writer.Push("x", 0, 1);
  const auto start = Clock::now();
  auto result = writer.Drain(start + std::chrono::milliseconds(300), true);
  EXPECT_TRUE(result.deadline_passed);
  EXPECT_FALSE(result.last_error.ok());
  EXPECT_EQ(result.written, 0U);
  EXPECT_EQ(writer.queued(), 10U) << "nothing is dropped while Redis is unreachable";
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << "the deadline bounds the drain";
}

TEST(SequencedWriterTest, BatchesHoldOnePolicyVersionEach) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  CreateTable({server.get()});
  SequencedWriter writer(WriterOptions({server.get()}));
  // 5 items of v1, 3 of v2, 4 of v1 again: three batches, in queue order.
  for (int i = 0; i < 12; ++i) writer.Push("p" + std::to_string(i), 0, i >= 5 && i < 8 ? 2 : 1);
  writer.Drain(Clock::now() + std::chrono::seconds(10), true);
  RedisServer::Reply drawn = server->Run({"REPLAY.SAMPLE", "rl", "400", "SEED", "3"});
  ASSERT_TRUE(drawn && drawn->type == REDIS_REPLY_ARRAY);
  std::map<std::string, long long> version;
  for (std::size_t i = 2; i < drawn->elements; ++i) {
    const redisReply* e = drawn->element[i];
    version[std::string(e->element[4]->str, e->element[4]->len)] = e->element[5]->integer;
  }
  ASSERT_EQ(version.size(), 12U);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(version["p" + std::to_string(i)], i >= 5 && i < 8 ? 2 : 1) << i;
  }
}

TEST(SequencedWriterTest, ReportsEachFailureWithItsReason) {
  // Nothing listens: unreachable.
  SequencedWriterOptions down;
  down.shards.push_back(
      *ShardEndpoint::Parse("redis://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort())));
  down.table = "rl";
  down.producer = "writer-1";
  down.backoff_initial = down.backoff_max = std::chrono::milliseconds(1);
  SequencedWriter unreachable(down);
  std::vector<std::string> reasons;
  unreachable.set_failure([&](const absl::Status& s) { reasons.push_back(WriteErrorReason(s)); });
  unreachable.Push("x", 0, 1);
  unreachable.Drain(Clock::now() + std::chrono::milliseconds(50), true);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.front(), "unreachable");

  // A server over maxmemory: oom, and the item stays queued.
  auto server = StartServer();
  ASSERT_TRUE(server);
  CreateTable({server.get()});
  ASSERT_EQ(server->RunText({"CONFIG", "SET", "maxmemory", "1"}), "OK");
  SequencedWriterOptions o = WriterOptions({server.get()});
  o.backoff_initial = o.backoff_max = std::chrono::milliseconds(1);
  SequencedWriter full(o);
  reasons.clear();
  full.set_failure([&](const absl::Status& s) { reasons.push_back(WriteErrorReason(s)); });
  full.Push("x", 0, 1);
  full.Drain(Clock::now() + std::chrono::milliseconds(50), true);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.front(), "oom");
  EXPECT_EQ(full.queued(), 1U);

  // Replica acknowledgement asked of a server without replicas: WAIT says 0, the item is
  // applied on the primary but stays queued.
  ASSERT_EQ(server->RunText({"CONFIG", "SET", "maxmemory", "0"}), "OK");
  o.ack_replicas = 1;
  o.ack_timeout = std::chrono::milliseconds(10);
  SequencedWriter unreplicated(o);
  reasons.clear();
  unreplicated.set_failure([&](const absl::Status& s) { reasons.push_back(WriteErrorReason(s)); });
  unreplicated.Push("y", 0, 1);
  unreplicated.Drain(Clock::now() + std::chrono::milliseconds(100), true);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.front(), "replication");
  EXPECT_EQ(unreplicated.queued(), 1U);
  EXPECT_EQ(unreplicated.written(), 0U);

  // The other replies Redis refuses writes with (a full disk is tests/faults/full_disk_test).
  EXPECT_EQ(WriteErrorReason(absl::UnknownError("MISCONF Errors writing to the AOF file")), "disk");
  EXPECT_EQ(WriteErrorReason(absl::UnknownError("READONLY You can't write against a read only "
                                                "replica.")),
            "readonly");
  EXPECT_EQ(WriteErrorReason(absl::UnknownError("NOPERM this user has no permissions")), "auth");
  EXPECT_EQ(WriteErrorReason(absl::NotFoundError("NOTABLE no table rl")), "other");
  EXPECT_EQ(WriteErrorReason(absl::DeadlineExceededError("no reply in 2 s")), "unreachable");
}

TEST(SequencedWriterTest, BadOptionsAreOneSentence) {
  SequencedWriterOptions o;
  EXPECT_EQ(o.Validate().message(), "the writer needs at least one shard");
  o.shards.push_back(*ShardEndpoint::Parse("redis://127.0.0.1:1"));
  EXPECT_EQ(o.Validate().message(), "the writer needs a table name");
  o.table = "rl";
  EXPECT_EQ(o.Validate().message(), "the writer needs a producer id");
  o.producer = "w";
  o.insert_batch = 0;
  EXPECT_EQ(o.Validate().message(), "insert_batch and batches_per_round must be >= 1");
}

}  // namespace
}  // namespace tarmac::buffer
