// Network faults between the rollout side and Redis, through a fault-injecting TCP proxy
// (tests/support/fault_proxy.h): latency, connections reset mid-flight, and a partition that
// holds traffic silently and delivers it late when it heals. Two writers (actors) and a sampler
// (the learner's ReplayClient) run through it. Afterwards the ledger is exact: every item of
// every producer is in the table once, nothing acknowledged is lost or doubled, the sampler saw
// the stall and resumed, and nothing was restarted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "fault_proxy.h"
#include "fault_support.h"
#include "tarmac/buffer/replay_client.h"

namespace tarmac::faults {
namespace {

constexpr int kItemsPerWriter = 3000;

TEST(NetworkFaultTest, LatencyResetsAndAPartitionLoseAndDoubleNothing) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  // Uniform priorities (alpha 0), so the ledger draw below finds every item quickly.
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000", "ALPHA", "0"}), "OK");
  auto proxy = testing::FaultProxy::Start(server->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  testing::FaultProxy& link = **proxy;

  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<CountingWriter>> writers;
  for (const char* producer : {"actor-a", "actor-b"}) {
    writers.push_back(std::make_unique<CountingWriter>(link.url(), producer));
  }
  std::vector<std::thread> threads;
  for (auto& w : writers) {
    threads.emplace_back([&stop, w = w.get()] {
      // Items trickle in as env steps would, 16 per 20 ms, for about 4 s: through every fault.
      for (int i = 0; i < kItemsPerWriter && !stop; i += 16) {
        for (int k = i; k < i + 16 && k < kItemsPerWriter; ++k) {
          w->writer->Push(Payload(w->producer, k, 256), 1, 1);
        }
        const auto next = Clock::now() + std::chrono::milliseconds(20);
        w->writer->Drain(next, /*until_empty=*/false);
        std::this_thread::sleep_until(next);
      }
      w->DrainUntil([&stop] { return stop.load(); }, std::chrono::seconds(60));
    });
  }
  // The learner's side: a ReplayClient sampling through the same link; the longest wait for a
  // batch is what tarmac_learner_sample_wait_seconds would show.
  std::atomic<double> longest_wait{0.0};
  std::atomic<int> batches_after_heal{0};
  std::atomic<bool> healed{false};
  threads.emplace_back([&] {
    buffer::ReplayClientOptions o;
    o.shards.push_back(*buffer::ShardEndpoint::Parse(link.url()));
    o.timeout = std::chrono::milliseconds(1000);
    o.connect_attempts = 1;
    std::unique_ptr<buffer::ReplayClient> client;
    auto last = Clock::now();
    while (!stop) {
      if (!client) {
        auto c = buffer::ReplayClient::Connect(o);
        if (c.ok()) client = *std::move(c);
      }
      if (client) {
        absl::StatusOr<buffer::SampleBatch> batch = client->Sample("rl", 32);
        if (batch.ok() || batch.status().code() == absl::StatusCode::kFailedPrecondition) {
          const double waited = std::chrono::duration<double>(Clock::now() - last).count();
          longest_wait = std::max(longest_wait.load(), waited);
          last = Clock::now();
          if (batch.ok() && healed) ++batches_after_heal;
        } else if (batch.status().code() == absl::StatusCode::kUnavailable) {
          client.reset();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  // The faults, one after another, while the writers and the sampler run.
  link.SetLatency(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  link.SetLatency(std::chrono::milliseconds(0));
  for (int i = 0; i < 3; ++i) {
    link.DropAll();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  link.Partition();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  link.Heal();
  healed = true;

  const auto end = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < end &&
         (writers[0]->writer->written() < kItemsPerWriter ||
          writers[1]->writer->written() < kItemsPerWriter || batches_after_heal < 5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (std::thread& t : threads) t.join();

  int unreachable = 0;
  for (auto& w : writers) {
    EXPECT_EQ(w->writer->written(), kItemsPerWriter) << w->last_error;
    EXPECT_EQ(w->writer->queued(), 0U);
    unreachable += w->failures["unreachable"];
  }
  EXPECT_GT(unreachable, 0) << "the faults never reached the writers";
  EXPECT_GT(link.accepted(), 4) << "resets and timeouts make clients reconnect";
  // The ledger: each producer's sequence says everything got in; the table holds exactly that
  // many items and every one of them is a distinct payload that was pushed: none lost, none
  // applied twice (late deliveries after the partition were refused by sequence).
  EXPECT_EQ(Produced(*server, "actor-a"), kItemsPerWriter);
  EXPECT_EQ(Produced(*server, "actor-b"), kItemsPerWriter);
  EXPECT_EQ(InfoField(*server, "size"), 2 * kItemsPerWriter);
  std::set<std::string> expected;
  for (auto& w : writers) {
    for (int i = 0; i < kItemsPerWriter; ++i) expected.insert(Payload(w->producer, i, 256));
  }
  EXPECT_EQ(Payloads(*server, expected.size()), expected);
  std::printf(
      "network faults: longest sample wait %.2f s, %d connections accepted, %d writer "
      "failures (unreachable), %d batches sampled after the heal\n",
      longest_wait.load(), link.accepted(), unreachable, batches_after_heal.load());
  // The learner waited through the partition and resumed without a restart.
  EXPECT_GE(longest_wait.load(), 2.0);
  EXPECT_GE(batches_after_heal.load(), 5);
}

}  // namespace
}  // namespace tarmac::faults
