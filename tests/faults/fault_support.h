#ifndef TARMAC_TESTS_FAULTS_FAULT_SUPPORT_H_
#define TARMAC_TESTS_FAULTS_FAULT_SUPPORT_H_

// What the fault tests share: a real redis-server with the module, a SequencedWriter (the
// rollout side's exactly-once writer) that records its failures by reason, and reads of the
// table's counters.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.h"
#include "tarmac/buffer/sequenced_writer.h"

namespace tarmac::faults {

using testing::RedisServer;
using Clock = std::chrono::steady_clock;

inline std::unique_ptr<RedisServer> StartServer(RedisServer::Options options = {}) {
  auto server = RedisServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// A REPLAY.INFO integer field of table `rl`; ~0 when the table or field is missing.
inline std::uint64_t InfoField(RedisServer& server, const std::string& name) {
  RedisServer::Reply info = server.Run({"REPLAY.INFO", "rl"});
  for (std::size_t i = 0; info && info->type == REDIS_REPLY_ARRAY && i + 1 < info->elements;
       i += 2) {
    if (std::string(info->element[i]->str) == name) {
      return static_cast<std::uint64_t>(info->element[i + 1]->integer);
    }
  }
  return ~0ULL;
}

// The producer's sequence on table `rl` (items it got in); ~0 when unknown.
inline std::uint64_t Produced(RedisServer& server, const std::string& producer) {
  RedisServer::Reply r = server.Run({"REPLAY.PRODUCER", "rl", producer});
  return r && r->type == REDIS_REPLY_INTEGER ? static_cast<std::uint64_t>(r->integer) : ~0ULL;
}

// A writer to one server's table `rl` with short backoffs, counting its failures by
// buffer::WriteErrorReason (what tarmac_replay_write_errors_total counts in the writer actor).
struct CountingWriter {
  CountingWriter(const std::string& url, const std::string& producer_id, int ack_replicas = 0)
      : producer(producer_id) {
    buffer::SequencedWriterOptions o;
    o.ack_replicas = ack_replicas;
    o.shards.push_back(*buffer::ShardEndpoint::Parse(url));
    o.table = "rl";
    o.producer = producer;
    o.insert_batch = 16;
    o.batches_per_round = 4;
    o.backoff_initial = std::chrono::milliseconds(10);
    o.backoff_max = std::chrono::milliseconds(400);
    o.timeout = std::chrono::milliseconds(1000);
    writer = std::make_unique<buffer::SequencedWriter>(std::move(o));
    writer->set_progress([this](std::uint64_t items, std::optional<double>) {
      if (items > 0) acknowledged_at.push_back(Clock::now());
    });
    writer->set_failure([this](const absl::Status& status) {
      ++failures[buffer::WriteErrorReason(status)];
      last_error = status;
    });
  }

  // Drains (every item) until the queue is empty or `done` holds, at most `limit`.
  void DrainUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (writer->queued() > 0 && !done() && Clock::now() < end) {
      writer->Drain(std::min(end, Clock::now() + std::chrono::milliseconds(100)),
                    /*until_empty=*/true);
    }
  }

  std::string producer;
  std::unique_ptr<buffer::SequencedWriter> writer;
  std::map<std::string, int> failures;
  std::vector<Clock::time_point> acknowledged_at;  // when each acknowledging round returned
  absl::Status last_error;
};

// Unique payloads of `bytes` bytes: "<producer>:<i>:" padded with 'x'.
inline std::string Payload(const std::string& producer, int i, std::size_t bytes) {
  std::string p = producer + ":" + std::to_string(i) + ":";
  if (p.size() < bytes) p.resize(bytes, 'x');
  return p;
}

// Every payload in table `rl`, drawn by repeated sampling on the server directly (about n ln n
// uniform draws find all n items); stops when `expected` distinct payloads are seen. The table
// should have ALPHA 0 so that draws are uniform.
inline std::set<std::string> Payloads(RedisServer& server, std::size_t expected) {
  std::set<std::string> seen;
  for (int round = 0; round < 80 && seen.size() < expected; ++round) {
    RedisServer::Reply r =
        server.Run({"REPLAY.SAMPLE", "rl", "4096", "BETA", "0", "SEED", std::to_string(round)});
    if (!r || r->type != REDIS_REPLY_ARRAY) break;
    for (std::size_t i = 2; i < r->elements; ++i) {
      const redisReply* payload = r->element[i]->element[4];
      seen.emplace(payload->str, payload->len);
    }
  }
  return seen;
}

}  // namespace tarmac::faults

#endif  // TARMAC_TESTS_FAULTS_FAULT_SUPPORT_H_
