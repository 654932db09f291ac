#ifndef TARMAC_BUFFER_SEQUENCED_WRITER_H_
#define TARMAC_BUFFER_SEQUENCED_WRITER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/buffer/shard_endpoint.h"
#include "tarmac/util/backoff.h"

namespace tarmac::buffer {

struct SequencedWriterOptions {
  std::vector<ShardEndpoint> shards;
  std::string table;
  std::string producer;       // this writer's id: its sequence on each shard lives in the table
  int insert_batch = 64;      // items per REPLAY.INSERT
  int batches_per_round = 8;  // REPLAY.INSERTs pipelined in one round trip
  std::chrono::milliseconds backoff_initial{50};  // after a failure, doubling up to backoff_max
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds timeout{2000};  // per reply
  // > 0: items count as written only once this many replicas of the shard hold them (WAIT,
  // replay.ack_replicas), so a failover to a replica loses nothing acknowledged.
  int ack_replicas = 0;
  std::chrono::milliseconds ack_timeout{1000};  // per WAIT

  absl::Status Validate() const;
};

// Holds items until Redis acknowledges them, exactly once, across lost connections and server
// restarts: each round of batches goes to one shard (round robin) as sequenced inserts
// (`REPLAY.INSERT ... PRODUCER id SEQ n`), so a batch is applied only in sequence. After a
// lost connection, nothing is sent until the shard's sequence (REPLAY.PRODUCER) says how many
// of the round's items got in; those leave the queue, the rest are sent again, to the same shard
// (a copy held by the network may still arrive there; until the round's items are in, every
// refusal is followed by a read of the sequence, whose lead is such a copy's items, and they
// leave the queue too). Failures are
// retried with exponential backoff; a rate-limited round waits the server's retry-after.
// Batches hold items of one policy version, in queue order.
// Not thread-safe: one owner (the writer actor) calls everything.
class SequencedWriter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SequencedWriter(SequencedWriterOptions options);
  ~SequencedWriter();
  SequencedWriter(const SequencedWriter&) = delete;
  SequencedWriter& operator=(const SequencedWriter&) = delete;

  // Queues one item (its payload is moved in). O(1), never blocks.
  void Push(std::string payload, std::uint64_t tags, std::uint64_t version);

  std::size_t queued() const { return queue_.size(); }
  std::uint64_t written() const { return written_; }  // acknowledged since construction
  std::size_t round_items() const;

  // Called after each round with the items acknowledged (possibly 0) and its round-trip seconds;
  // seconds are empty for items found applied after a lost connection.
  using Progress = std::function<void(std::uint64_t items, std::optional<double> seconds)>;
  void set_progress(Progress progress) { progress_ = std::move(progress); }

  // Called with each failure that is retried (a lost connection, an error reply such as OOM or
  // MISCONF), before the backoff sleep. Rate limiting is not a failure.
  using Failure = std::function<void(const absl::Status& status)>;
  void set_failure(Failure failure) { failure_ = std::move(failure); }

  struct DrainResult {
    std::uint64_t written = 0;  // items acknowledged by this call
    bool deadline_passed = false;
    absl::Status last_error;  // the last failure retried in this call; OK when none
  };
  // Sends whole rounds while at least round_items() are queued (every item with
  // `until_empty`), until the queue is drained or `deadline` passes. Blocks: round trips and
  // backoff sleeps, checking the deadline between them.
  DrainResult Drain(Clock::time_point deadline, bool until_empty);

 private:
  struct Item {
    std::string payload;
    std::uint64_t tags = 0;
    std::uint64_t version = 0;
  };
  // One step of Drain: connect, resolve an unknown outcome, or send one round. Returns the
  // items acknowledged; sets *error on a failure (and has backed off).
  std::uint64_t Step(absl::Status* error);
  std::uint64_t SendRound(absl::Status* error);
  void Acknowledge(std::uint64_t items);
  void Fail(const absl::Status& status, absl::Status* error);

  SequencedWriterOptions options_;
  std::unique_ptr<ReplayClient> client_;
  std::vector<std::optional<std::uint64_t>> sequences_;  // the producer's per shard, once known
  // A round whose outcome is unknown (the connection broke): its shard and the sequence before.
  std::optional<std::pair<std::uint32_t, std::uint64_t>> unknown_;
  // A round applied on the primary but not yet held by ack_replicas replicas.
  struct Replicating {
    std::uint32_t shard = 0;
    std::uint64_t before = 0;  // the producer's sequence before the round
    std::uint64_t items = 0;
  };
  std::optional<Replicating> replicating_;
  // A round's outcome was unknown: a copy may still reach its shard late (a network that held
  // it), so the queue's items up to written() == second are sent only to that shard until then.
  std::optional<std::pair<std::uint32_t, std::uint64_t>> in_doubt_;
  std::uint64_t AwaitReplicas(absl::Status* error);
  absl::Status ReplicaShortfall(int replicas) const;
  std::deque<Item> queue_;
  std::uint32_t next_shard_ = 0;
  std::uint64_t written_ = 0;
  util::Backoff backoff_;
  Progress progress_;
  Failure failure_;
};

// Why a write to Redis failed, as a low-cardinality label: "oom" (maxmemory reached, writes
// refused), "disk" (MISCONF: Redis cannot persist, e.g. a full disk), "readonly" (a replica),
// "auth" (NOAUTH/NOPERM/WRONGPASS), "unreachable" (no connection or no reply), "replication"
// (fewer replicas than ack_replicas acknowledged in time), or "other".
std::string WriteErrorReason(const absl::Status& status);
inline constexpr const char* kWriteErrorReasons[] = {
    "oom", "disk", "readonly", "auth", "unreachable", "replication", "other"};

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_SEQUENCED_WRITER_H_
