#include "tarmac/buffer/sequenced_writer.h"

#include <algorithm>
#include <thread>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tarmac::buffer {
namespace {

// Marks a status as "applied on the primary, not yet on enough replicas".
constexpr char kReplicaShortfall[] = "tarmac.replay/replica-shortfall";

}  // namespace

std::string WriteErrorReason(const absl::Status& status) {
  if (status.GetPayload(kReplicaShortfall).has_value()) return "replication";
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    return "unreachable";
  }
  const absl::string_view message = status.message();
  if (absl::StartsWith(message, "OOM")) return "oom";
  if (absl::StartsWith(message, "MISCONF")) return "disk";
  if (absl::StartsWith(message, "READONLY")) return "readonly";
  if (absl::StartsWith(message, "NOAUTH") || absl::StartsWith(message, "NOPERM") ||
      absl::StartsWith(message, "WRONGPASS")) {
    return "auth";
  }
  return "other";
}

absl::Status SequencedWriterOptions::Validate() const {
  if (shards.empty()) return absl::InvalidArgumentError("the writer needs at least one shard");
  if (table.empty()) return absl::InvalidArgumentError("the writer needs a table name");
  if (producer.empty()) return absl::InvalidArgumentError("the writer needs a producer id");
  if (insert_batch < 1 || batches_per_round < 1) {
    return absl::InvalidArgumentError("insert_batch and batches_per_round must be >= 1");
  }
  if (ack_replicas < 0) return absl::InvalidArgumentError("ack_replicas must be >= 0");
  return absl::OkStatus();
}

SequencedWriter::SequencedWriter(SequencedWriterOptions options)
    : options_(std::move(options)), backoff_(options_.backoff_initial, options_.backoff_max) {}

SequencedWriter::~SequencedWriter() = default;

std::size_t SequencedWriter::round_items() const {
  return static_cast<std::size_t>(options_.insert_batch) *
         static_cast<std::size_t>(options_.batches_per_round);
}

void SequencedWriter::Push(std::string payload, std::uint64_t tags, std::uint64_t version) {
  queue_.push_back({std::move(payload), tags, version});
}

SequencedWriter::DrainResult SequencedWriter::Drain(Clock::time_point deadline, bool until_empty) {
  DrainResult result;
  while (!queue_.empty() && (until_empty || queue_.size() >= round_items())) {
    if (Clock::now() > deadline) {
      result.deadline_passed = true;
      break;
    }
    result.written += Step(&result.last_error);
  }
  return result;
}

absl::Status SequencedWriter::ReplicaShortfall(int replicas) const {
  absl::Status status = absl::UnavailableError(
      absl::StrCat("only ", std::max(replicas, 0), " of ", options_.ack_replicas,
                   " replicas acknowledged within ", options_.ack_timeout.count(),
                   " ms; the items stay queued until they do (replay.ack_replicas)"));
  status.SetPayload(kReplicaShortfall, absl::Cord("1"));
  return status;
}

void SequencedWriter::Fail(const absl::Status& status, absl::Status* error) {
  *error = status;
  if (failure_) failure_(status);
  backoff_.Wait();
}

void SequencedWriter::Acknowledge(std::uint64_t items) {
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(items));
  written_ += items;
  if (in_doubt_ && written_ >= in_doubt_->second) in_doubt_.reset();
}

std::uint64_t SequencedWriter::Step(absl::Status* error) {
  if (client_ == nullptr) {
    ReplayClientOptions c;
    c.shards = options_.shards;
    c.timeout = options_.timeout;
    c.connect_attempts = 1;
    auto client = ReplayClient::Connect(std::move(c));
    if (!client.ok()) {
      Fail(client.status(), error);
      return 0;
    }
    client_ = std::move(*client);
    sequences_.assign(options_.shards.size(), std::nullopt);
  }
  if (replicating_) return AwaitReplicas(error);
  if (unknown_) {
    const auto [shard, before] = *unknown_;
    auto sequence = client_->ProducedCount(shard, options_.table, options_.producer);
    if (!sequence.ok()) {
      Fail(sequence.status(), error);
      return 0;
    }
    // Sequencing makes what got in a prefix of the queue.
    const std::uint64_t applied = *sequence >= before ? *sequence - before : 0;
    Acknowledge(std::min<std::uint64_t>(applied, queue_.size()));
    sequences_[shard] = *sequence;
    unknown_.reset();
    if (progress_) progress_(applied, std::nullopt);
    return applied;
  }
  return SendRound(error);
}

std::uint64_t SequencedWriter::AwaitReplicas(absl::Status* error) {
  const Replicating r = *replicating_;
  absl::StatusOr<int> replicas =
      client_->WaitForReplicas(r.shard, options_.ack_replicas, options_.ack_timeout);
  if (!replicas.ok()) {
    // The primary is gone or unreachable: whoever is primary next says what it holds.
    replicating_.reset();
    unknown_ = std::make_pair(r.shard, r.before);
    sequences_[r.shard].reset();
    Fail(replicas.status(), error);
    return 0;
  }
  if (*replicas < options_.ack_replicas) {
    Fail(ReplicaShortfall(*replicas), error);
    return 0;
  }
  replicating_.reset();
  Acknowledge(r.items);
  if (progress_) progress_(r.items, std::nullopt);
  return r.items;
}

std::uint64_t SequencedWriter::SendRound(absl::Status* error) {
  // Items a lost round carried may still reach its shard late, so they go nowhere else.
  const std::uint32_t shard =
      in_doubt_ ? in_doubt_->first
                : next_shard_ % static_cast<std::uint32_t>(options_.shards.size());
  if (!sequences_[shard]) {
    auto sequence = client_->ProducedCount(shard, options_.table, options_.producer);
    if (!sequence.ok()) {
      if (!in_doubt_) ++next_shard_;  // try another shard meanwhile
      Fail(sequence.status(), error);
      return 0;
    }
    sequences_[shard] = *sequence;
  }
  // Batches of one policy version each, from the head of the queue.
  std::vector<std::vector<InsertItem>> items;
  std::vector<std::uint64_t> versions;
  const std::size_t take = std::min(round_items(), queue_.size());
  for (std::size_t i = 0; i < take; ++i) {
    const Item& q = queue_[i];
    if (items.empty() || versions.back() != q.version ||
        items.back().size() >= static_cast<std::size_t>(options_.insert_batch)) {
      items.emplace_back();
      versions.push_back(q.version);
    }
    items.back().push_back({std::nullopt, q.tags, q.payload});
  }
  std::vector<SequencedBatch> batches;
  batches.reserve(items.size());
  for (std::size_t b = 0; b < items.size(); ++b) batches.push_back({versions[b], items[b]});
  const auto start = Clock::now();
  const std::uint64_t before = *sequences_[shard];
  const SequencedResult result =
      client_->InsertSequenced(shard, options_.table, options_.producer, before, batches,
                               options_.ack_replicas, options_.ack_timeout);
  if (result.status.code() == absl::StatusCode::kUnavailable) {
    // Unknown how far it got: ask the sequence on reconnect before sending anything else.
    unknown_ = std::make_pair(shard, *sequences_[shard]);
    sequences_[shard].reset();
    const std::uint64_t sent_through = written_ + take;
    if (!in_doubt_ || in_doubt_->second < sent_through)
      in_doubt_ = std::make_pair(shard, sent_through);
    Fail(result.status, error);
    return 0;
  }
  sequences_[shard] = result.counter;
  std::uint64_t applied = 0;
  for (std::size_t b = 0; b < result.applied_batches; ++b) applied += batches[b].items.size();
  if (options_.ack_replicas > 0 && applied > 0 && result.replicas < options_.ack_replicas) {
    // Applied on the primary only: held until enough replicas have it too.
    replicating_ = Replicating{shard, before, applied};
    Fail(ReplicaShortfall(result.replicas), error);
    return 0;
  }
  Acknowledge(applied);
  if (progress_) {
    progress_(applied, std::chrono::duration<double>(Clock::now() - start).count());
  }
  if (!in_doubt_) ++next_shard_;
  if (result.status.ok()) {
    backoff_.Reset();
  } else if (result.status.code() == absl::StatusCode::kResourceExhausted) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::clamp<std::int64_t>(result.retry_after_ms, 1, 1000)));
  } else {
    // An error reply (maxmemory, out of sequence, the table was dropped): read the sequence
    // again and retry later. While a lost round's copy may still land, read it as after a lost
    // round: a copy that landed (before this round, refused as out of sequence, or after it)
    // moved the sequence by the queue's next items, which must not go in again. Otherwise no
    // copy of this writer's is travelling: a lead is someone else's (an earlier process with
    // this producer id), the round is sent again at the new sequence, and the next shard may
    // take it.
    if (in_doubt_) unknown_ = std::make_pair(shard, before + applied);
    sequences_[shard].reset();
    Fail(result.status, error);
  }
  return applied;
}

}  // namespace tarmac::buffer
