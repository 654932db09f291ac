// Primary failover: a shard primary with two replicas and three redis-sentinels; the primary is
// killed with SIGKILL while two writers insert through sentinel:// URLs. Sentinel promotes a
// replica, the writers follow it (they ask the Sentinels on every reconnect and write only to a
// server whose ROLE is master), and the ledger on the new primary is checked. Replication is
// cut 0.6 s before the kill (the replicas follow through proxies that go silent), so the primary
// acknowledges writes no replica has. With replay.ack_replicas 1 (WAIT) the writers hold those
// and nothing they counted as written is lost; without it they are lost, and counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fault_proxy.h"
#include "fault_support.h"
#include "tarmac/buffer/replay_client.h"

namespace tarmac::faults {
namespace {

constexpr int kItemsPerWriter = 2000;
constexpr char kMaster[] = "tarmac-0";

// One redis-sentinel watching `primary_port`, on a free port, config in its own directory.
struct Sentinel {
  explicit Sentinel(int primary_port) : port(testing::FreeLoopbackPort()) {
    const std::string conf = dir.path() + "/sentinel.conf";
    std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\ndir " << dir.path()
                        << "\nsentinel monitor " << kMaster << " 127.0.0.1 " << primary_port
                        << " 2\nsentinel down-after-milliseconds " << kMaster
                        << " 1000\nsentinel failover-timeout " << kMaster
                        << " 10000\nsentinel parallel-syncs " << kMaster << " 2\n";
    auto started = testing::Subprocess::Start({testing::RedisServerBinary(), conf, "--sentinel"},
                                              dir.path() + "/sentinel.log");
    EXPECT_TRUE(started.ok()) << started.status();
    if (started.ok()) process = *std::move(started);
  }

  // The fields of SENTINEL MASTER, or empty when it does not answer.
  std::map<std::string, std::string> Master() const {
    std::map<std::string, std::string> fields;
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{1, 0});
    if (c != nullptr && c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "SENTINEL MASTER %s", kMaster));
      for (std::size_t i = 0; r != nullptr && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
           i += 2) {
        fields[r->element[i]->str] = r->element[i + 1]->str;
      }
      if (r != nullptr) freeReplyObject(r);
    }
    if (c != nullptr) redisFree(c);
    return fields;
  }

  testing::TempDir dir;
  int port;
  testing::Subprocess process;
};

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

struct FailoverResult {
  std::uint64_t written = 0;  // what the writers counted as written
  std::uint64_t held = 0;     // what the new primary holds, by producer sequence
  double promoted_after = 0;  // seconds from the kill to a replica answering ROLE master
  double writes_after = 0;    // seconds from the kill to the first write on the new primary
  double learner_after = -1;  // seconds from the kill to the learner's first sample + update
                              // on the new primary (-1: none)
};

// Runs the scenario; the new primary is left in *new_primary for ledger checks.
FailoverResult KillThePrimaryUnderLoad(int ack_replicas,
                                       std::unique_ptr<RedisServer>* new_primary) {
  FailoverResult out;
  RedisServer::Options options;
  options.extra_args = {"--repl-diskless-sync-delay", "0"};
  auto primary = StartServer(options);
  EXPECT_TRUE(primary);
  if (!primary) return out;
  std::vector<std::unique_ptr<RedisServer>> replicas;
  // Each replica follows the primary through a proxy, so that the test can cut replication.
  std::vector<std::unique_ptr<testing::FaultProxy>> links;
  for (int i = 0; i < 2; ++i) {
    auto link = testing::FaultProxy::Start(primary->port());
    EXPECT_TRUE(link.ok()) << link.status();
    if (!link.ok()) return out;
    links.push_back(*std::move(link));
    RedisServer::Options r = options;
    r.extra_args.insert(r.extra_args.end(),
                        {"--replicaof", "127.0.0.1", std::to_string(links.back()->port())});
    replicas.push_back(StartServer(r));
    EXPECT_TRUE(replicas.back());
    if (!replicas.back()) return out;
  }
  EXPECT_EQ(primary->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000", "ALPHA", "0"}), "OK");
  EXPECT_EQ(primary->RunText({"WAIT", "2", "5000"}), "2");
  std::vector<std::unique_ptr<Sentinel>> sentinels;
  for (int i = 0; i < 3; ++i) sentinels.push_back(std::make_unique<Sentinel>(primary->port()));
  // Every Sentinel knows both replicas and the two other Sentinels before the fault.
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (auto& s : sentinels) {
          auto m = s->Master();
          if (m["num-slaves"] != "2" || m["num-other-sentinels"] != "2") return false;
        }
        return true;
      },
      std::chrono::seconds(30)))
      << "the Sentinels did not find each other and the replicas";

  std::string url = "sentinel://";
  for (std::size_t i = 0; i < sentinels.size(); ++i) {
    absl::StrAppend(&url, i ? "," : "", "127.0.0.1:", sentinels[i]->port);
  }
  absl::StrAppend(&url, "/", kMaster);
  std::vector<std::unique_ptr<CountingWriter>> writers;
  for (const char* producer : {"actor-a", "actor-b"}) {
    writers.push_back(std::make_unique<CountingWriter>(url, producer, ack_replicas));
  }
  std::vector<std::thread> threads;
  for (auto& w : writers) {
    threads.emplace_back([w = w.get()] {
      for (int i = 0; i < kItemsPerWriter; i += 16) {
        for (int k = i; k < i + 16 && k < kItemsPerWriter; ++k) {
          w->writer->Push(Payload(w->producer, k, 256), 1, 1);
        }
        const auto next = Clock::now() + std::chrono::milliseconds(20);
        w->writer->Drain(next, /*until_empty=*/false);
        std::this_thread::sleep_until(next);
      }
      w->DrainUntil([] { return false; }, std::chrono::seconds(60));
    });
  }
  // The learner's side: samples a batch and writes its priorities back, through the same URL.
  std::atomic<bool> writers_done{false};
  std::atomic<Clock::rep> killed_ticks{0};  // Clock ticks since its epoch
  std::atomic<Clock::rep> learner_resumed_ticks{0};
  std::thread learner([&] {
    buffer::ReplayClientOptions o;
    o.shards.push_back(*buffer::ShardEndpoint::Parse(url));
    o.timeout = std::chrono::milliseconds(1000);
    o.connect_attempts = 1;
    std::unique_ptr<buffer::ReplayClient> client;
    while (!writers_done) {
      if (!client) {
        auto c = buffer::ReplayClient::Connect(o);
        if (c.ok()) client = *std::move(c);
      }
      const Clock::rep started = Clock::now().time_since_epoch().count();
      absl::StatusOr<buffer::SampleBatch> batch =
          client ? client->Sample("rl", 32) : absl::UnavailableError("not connected");
      if (batch.ok()) {
        std::vector<std::pair<buffer::ItemKey, double>> priorities;
        for (const auto& item : batch->items) priorities.emplace_back(item.key, 0.5);
        const auto updated = client->Update("rl", priorities);
        const Clock::rep now = Clock::now().time_since_epoch().count();
        // Begun after the kill: the new primary answered both.
        if (updated.ok() && killed_ticks != 0 && started > killed_ticks &&
            learner_resumed_ticks == 0) {
          learner_resumed_ticks = now;
        }
      } else if (batch.status().code() == absl::StatusCode::kUnavailable) {
        client.reset();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // Replication stalls (the replicas' links go silent), writes go on for 0.6 s, then the
  // primary dies: what it acknowledged in those 0.6 s exists nowhere else.
  for (auto& link : links) link->Partition();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const auto killed = Clock::now();
  primary->Kill(SIGKILL);
  killed_ticks = killed.time_since_epoch().count();
  // A replica is promoted.
  RedisServer* promoted = nullptr;
  WaitUntil(
      [&] {
        // Sentinel kills the clients of the servers it reconfigures (CLIENT KILL TYPE normal),
        // this test's connection too.
        for (auto& r : replicas) {
          if (!absl::StartsWith(r->RunText({"ROLE"}), "[")) (void)r->Reconnect();
          if (absl::StartsWith(r->RunText({"ROLE"}), "[master")) promoted = r.get();
        }
        return promoted != nullptr;
      },
      std::chrono::seconds(30));
  if (promoted == nullptr) {
    std::string logs;
    for (auto& s : sentinels) {
      std::ifstream in(s->dir.path() + "/sentinel.log");
      logs += std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ADD_FAILURE() << "no replica was promoted; the Sentinels' logs:\n" << logs;
    for (std::thread& t : threads) t.join();
    writers_done = true;
    learner.join();
    return out;
  }
  out.promoted_after = std::chrono::duration<double>(Clock::now() - killed).count();
  // The reconfiguration of the other replica may kill this connection again.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (!absl::StartsWith(promoted->RunText({"PING"}), "PONG")) (void)promoted->Reconnect();
  for (std::thread& t : threads) t.join();
  // The writers are done: give the learner until a sample and an update on the new primary.
  WaitUntil([&] { return learner_resumed_ticks != 0; }, std::chrono::seconds(20));
  writers_done = true;
  learner.join();
  if (learner_resumed_ticks != 0) {
    out.learner_after =
        std::chrono::duration<double>(Clock::duration(learner_resumed_ticks - killed_ticks))
            .count();
  }
  // Unavailable: from the kill to the first round a writer got acknowledged afterwards.
  std::optional<Clock::time_point> resumed;
  for (auto& w : writers) {
    for (Clock::time_point at : w->acknowledged_at) {
      if (at > killed && (!resumed || at < *resumed)) resumed = at;
    }
  }
  EXPECT_TRUE(resumed) << "no write after the kill";
  out.writes_after = resumed ? std::chrono::duration<double>(*resumed - killed).count() : -1;
  if (!absl::StartsWith(promoted->RunText({"PING"}), "PONG")) (void)promoted->Reconnect();
  for (auto& w : writers) {
    out.written += w->writer->written();
    out.held += Produced(*promoted, w->producer);
    EXPECT_EQ(w->writer->queued(), 0U) << w->producer << ": " << w->last_error;
  }
  for (auto& r : replicas) {
    if (r.get() == promoted) *new_primary = std::move(r);
  }
  return out;
}

void Report(int ack_replicas, const FailoverResult& r) {
  std::printf(
      "failover (ack_replicas %d): replica promoted %.2f s after the kill, writes resumed "
      "%.2f s after, the learner sampled and updated %.2f s after; %llu written, %llu held by "
      "the new primary (%lld lost)\n",
      ack_replicas, r.promoted_after, r.writes_after, r.learner_after,
      static_cast<unsigned long long>(r.written), static_cast<unsigned long long>(r.held),
      static_cast<long long>(r.written) - static_cast<long long>(r.held));
}

TEST(FailoverTest, WithReplicaAcknowledgementAPromotionLosesNothingWritten) {
  std::unique_ptr<RedisServer> primary;
  const FailoverResult r = KillThePrimaryUnderLoad(/*ack_replicas=*/1, &primary);
  ASSERT_TRUE(primary);
  Report(1, r);
  EXPECT_EQ(r.written, 2U * kItemsPerWriter);
  EXPECT_EQ(r.held, r.written) << "acknowledged transitions lost in the failover";
  EXPECT_EQ(InfoField(*primary, "size"), r.held) << "nothing applied twice";
  std::set<std::string> expected;
  for (const char* producer : {"actor-a", "actor-b"}) {
    for (int i = 0; i < kItemsPerWriter; ++i) expected.insert(Payload(producer, i, 256));
  }
  EXPECT_EQ(Payloads(*primary, expected.size()), expected);
  EXPECT_LT(r.writes_after, 20.0);
  // The learner follows the promotion through the same sentinel:// URL.
  EXPECT_GT(r.learner_after, 0.0) << "the learner never sampled the new primary";
  EXPECT_LT(r.learner_after, 20.0);
}

TEST(FailoverTest, WithoutReplicaAcknowledgementTheLossIsCounted) {
  std::unique_ptr<RedisServer> primary;
  const FailoverResult r = KillThePrimaryUnderLoad(/*ack_replicas=*/0, &primary);
  ASSERT_TRUE(primary);
  Report(0, r);
  // Writers carry on after the failover; what they counted beyond what the new primary holds is
  // the loss asynchronous replication allows: the writes of the stalled 0.6 s.
  EXPECT_EQ(r.written, 2U * kItemsPerWriter);
  EXPECT_LT(r.held, r.written);
  EXPECT_EQ(InfoField(*primary, "size"), r.held);
}

}  // namespace
}  // namespace tarmac::faults
