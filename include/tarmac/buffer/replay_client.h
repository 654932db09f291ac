#ifndef TARMAC_BUFFER_REPLAY_CLIENT_H_
#define TARMAC_BUFFER_REPLAY_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tarmac/buffer/shard_endpoint.h"

namespace tarmac::buffer {

class RedisConnection;

struct ReplayClientOptions {
  std::vector<ShardEndpoint> shards;
  std::chrono::milliseconds timeout{2000};           // per reply
  int connect_attempts = 5;                          // with exponential backoff from 50 ms
  std::chrono::milliseconds rate_limit_wait{30000};  // longest back-off on RATELIMITED

  absl::Status Validate() const;
};

// A table as REPLAY.CREATE makes it on every shard; capacity is the total over shards.
struct TableSpec {
  std::string name;
  std::uint64_t capacity = 1'000'000;
  double alpha = 0.6;
  std::string eviction = "fifo";  // or "minprio"
  std::uint32_t max_times_sampled = 0;
  double samples_per_insert = 0.0;  // 0: no rate limiting
  std::uint64_t min_size = 0;
  double tolerance = 0.0;
};

// An item's address: the shard that holds it and its id there.
struct ItemKey {
  std::uint32_t shard = 0;
  std::uint64_t id = 0;
  bool operator==(const ItemKey& o) const { return shard == o.shard && id == o.id; }
};

struct InsertItem {
  std::optional<double> priority;  // empty: the table's running maximum
  std::uint64_t tags = 0;
  absl::string_view payload;
};

// One REPLAY.INSERT of a sequenced producer: items of one behaviour-policy version.
struct SequencedBatch {
  std::uint64_t version = 0;
  absl::Span<const InsertItem> items;
};

// What InsertSequenced did: the first `applied_batches` batches are in the table (always a
// prefix), and the producer's counter on the shard is now `counter`. `status` is OK when every
// batch was applied; ResourceExhausted with retry_after_ms when the rate limiter refused one;
// Aborted when the shard's sequence was not the expected one (`counter` is then the shard's);
// Unavailable when the connection was lost (ask ProducedCount how far it got).
struct SequencedResult {
  absl::Status status;
  std::size_t applied_batches = 0;
  std::uint64_t counter = 0;
  std::int64_t retry_after_ms = 0;
  int replicas = -1;  // replicas that acknowledged the applied batches (WAIT); -1: not asked
};

struct SampledItem {
  ItemKey key;
  double priority = 0.0;
  double probability = 0.0;  // global P(i) over all shards
  double weight = 0.0;       // global importance weight, <= 1
  std::string payload;
  std::uint64_t policy_version = 0;
  std::uint32_t times_sampled = 0;
  std::uint64_t tags = 0;
};

struct SampleOptions {
  double beta = 0.4;
  // Tag mixture: with probability weight/sum, draw from items whose tags intersect mask (0: all).
  std::vector<std::pair<std::uint64_t, double>> tag_mixture;
  std::optional<std::uint64_t> seed;  // for reproducible draws
};

struct SampleBatch {
  std::vector<SampledItem> items;
  std::uint64_t table_size = 0;  // items over all shards
  double total_mass = 0.0;
};

struct UpdateResult {
  std::uint64_t applied = 0;
  std::uint64_t stale = 0;  // ids already evicted: skipped, never applied to another item
};

// Client of a replay table spread over shards (one Redis primary each, with the tarmac_replay
// module). Inserts go to one shard per call, round robin; a sample splits its batch across
// shards in proportion to their priority mass, so probabilities and importance weights are those
// of one global table; priority updates go to the shard that holds each item.
// Every call blocks for at most the timeout per round trip; RATELIMITED replies are retried after
// the server's retry-after, up to rate_limit_wait. Not thread-safe: one client per thread.
class ReplayClient {
 public:
  // Connects to every shard; Unavailable naming the first shard that cannot be reached.
  static absl::StatusOr<std::unique_ptr<ReplayClient>> Connect(ReplayClientOptions options);
  ~ReplayClient();
  ReplayClient(const ReplayClient&) = delete;
  ReplayClient& operator=(const ReplayClient&) = delete;

  std::size_t shard_count() const { return shards_.size(); }

  // Creates the table on every shard (per-shard capacity = ceil(capacity / shards)); OK when it
  // exists with the same settings, FailedPrecondition when it exists with others.
  absl::Status CreateTable(const TableSpec& spec);
  // REPLAY.CONFIG on every shard: the table's samples-per-insert limits become spec's (SPI 0:
  // none; the other fields of spec are ignored), and each shard's limiter starts over.
  // InvalidArgument (the module's sentence) on bad limits, with that shard unchanged.
  absl::Status ConfigureRateLimit(const TableSpec& spec);

  // Inserts into the next shard in rotation as one atomic REPLAY.INSERT; the keys in order.
  // InvalidArgument for a bad item (nothing inserted), ResourceExhausted when still rate-limited
  // after rate_limit_wait, Unavailable when the shard is lost mid-call.
  absl::StatusOr<std::vector<ItemKey>> Insert(absl::string_view table, std::uint64_t version,
                                              absl::Span<const InsertItem> items);

  // Several batches to the next shard in one round trip (one REPLAY.INSERT each, pipelined).
  // Each batch is atomic; everything is validated before anything is sent; batches refused by
  // the rate limiter are resent after the server's retry-after. Keys per batch, in order.
  absl::StatusOr<std::vector<std::vector<ItemKey>>> InsertBatches(
      absl::string_view table, std::uint64_t version,
      absl::Span<const absl::Span<const InsertItem>> batches);

  // Exactly-once inserts for one producer (a rollout writer that must retry after failures
  // without duplicating). Each batch is one `REPLAY.INSERT table PRODUCER id SEQ n` on `shard`,
  // which the module applies only when the producer's sequence on the table still equals the
  // count the producer expects, then advances by the batch's items (atomically, persisted and
  // replicated with the table). So the applied batches are always a prefix, and after a lost
  // connection ProducedCount tells exactly how many items got in. `counter` is the producer's
  // count on that shard before the first batch. Pipelined: one round trip.
  // With ack_replicas > 0 the pipeline ends with `WAIT ack_replicas ack_timeout`, and
  // `replicas` says how many replicas hold the applied batches.
  SequencedResult InsertSequenced(std::uint32_t shard, absl::string_view table,
                                  absl::string_view producer, std::uint64_t counter,
                                  absl::Span<const SequencedBatch> batches, int ack_replicas = 0,
                                  std::chrono::milliseconds ack_timeout = {});
  // WAIT on `shard`: how many replicas acknowledged every write this client sent it, waiting
  // up to `timeout` for `replicas` of them. Unavailable when the connection is lost (a new
  // connection has sent nothing to wait for).
  absl::StatusOr<int> WaitForReplicas(std::uint32_t shard, int replicas,
                                      std::chrono::milliseconds timeout);
  // The producer's sequence on `shard` (REPLAY.PRODUCER; 0 when it never inserted); NotFound
  // when the table does not exist there. Reconnects as needed.
  absl::StatusOr<std::uint64_t> ProducedCount(std::uint32_t shard, absl::string_view table,
                                              absl::string_view producer);

  // Draws n items over all shards (two round trips: masses, then draws). FailedPrecondition
  // when the table cannot be sampled (empty, or no priority mass); IsUnservableTagMixture tells
  // when that is because options.tag_mixture asks for tags no item carries.
  absl::StatusOr<SampleBatch> Sample(absl::string_view table, std::size_t n,
                                     const SampleOptions& options = {});

  // Sets new priorities, grouped per shard and pipelined.
  absl::StatusOr<UpdateResult> Update(absl::string_view table,
                                      absl::Span<const std::pair<ItemKey, double>> priorities);

  // REPLAY.INFO of every shard, field -> value (numbers as text).
  absl::StatusOr<std::vector<std::vector<std::pair<std::string, std::string>>>> Info(
      absl::string_view table);

  // REPLAY.INFO's counts summed over the shards: what one logical table holds and did.
  struct TableTotals {
    std::uint64_t size = 0;
    std::uint64_t inserts = 0;
    std::uint64_t samples = 0;
  };
  absl::StatusOr<TableTotals> Totals(absl::string_view table);

  // Memory of each shard's Redis as INFO memory reports it (used_memory, maxmemory; 0 when no
  // maxmemory is set), in shard order. One round trip per shard.
  struct ShardMemory {
    std::uint64_t used_bytes = 0;
    std::uint64_t max_bytes = 0;
  };
  absl::StatusOr<std::vector<ShardMemory>> Memory();

 private:
  explicit ReplayClient(ReplayClientOptions options);

  ReplayClientOptions options_;
  std::vector<std::unique_ptr<RedisConnection>> shards_;
  std::size_t next_insert_shard_ = 0;
  std::mt19937_64 rng_;
};

// True for Sample's error when its tag mixture asks for tags that no item (with priority)
// carries: sampling without the mixture may still succeed.
bool IsUnservableTagMixture(const absl::Status& status);

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_REPLAY_CLIENT_H_
