#include "tarmac/buffer/replay_client.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <thread>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "redis_connection.h"
#include "tarmac/buffer/packed_sample.h"
#include "tarmac/buffer/replay_protocol.h"

namespace tarmac::buffer {
namespace {

using Clock = std::chrono::steady_clock;

std::string Text(const redisReply* r) { return std::string(r->str, r->len); }

std::string FormatDouble(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

// A number from an integer or bulk/status-string reply (doubles arrive as strings in RESP2).
bool Number(const redisReply* r, double* out) {
  if (r->type == REDIS_REPLY_INTEGER) {
    *out = static_cast<double>(r->integer);
    return true;
  }
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) return false;
  const std::string s = Text(r);
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool Unsigned(const redisReply* r, std::uint64_t* out) {
  if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) return false;
  *out = static_cast<std::uint64_t>(r->integer);
  return true;
}

// The code of an error reply (replay_protocol.h); kUnknown for anything else.
ReplayErrorCode CodeOf(const redisReply* r) {
  return ParseReplayErrorCode(std::string_view(r->str, r->len));
}

// The number after the code of a "RATELIMITED <ms>" or "SEQ <current>" reply.
std::optional<std::uint64_t> CodeArgument(const redisReply* r) {
  // "<CODE> <number> <sentence...>": the second word.
  const std::vector<absl::string_view> words =
      absl::StrSplit(absl::string_view(r->str, r->len), absl::MaxSplits(' ', 2));
  std::uint64_t value = 0;
  if (words.size() < 2 || !absl::SimpleAtoi(words[1], &value)) return std::nullopt;
  return value;
}

// RATELIMITED replies carry the server's retry-after in milliseconds.
std::optional<std::int64_t> RetryAfter(const redisReply* r) {
  if (r->type != REDIS_REPLY_ERROR || CodeOf(r) != ReplayErrorCode::kRateLimited) {
    return std::nullopt;
  }
  return std::max<std::int64_t>(static_cast<std::int64_t>(CodeArgument(r).value_or(10)), 1);
}

constexpr char kUnservableMixture[] = "tarmac.replay/unservable-tag-mixture";

// Marks a sampling error as caused by the tag mixture (see IsUnservableTagMixture).
absl::Status UnservableMixture(absl::Status status) {
  status.SetPayload(kUnservableMixture, absl::Cord("1"));
  return status;
}

// The one place that maps the module's error codes to statuses.
absl::Status ErrorStatus(const RedisConnection& shard, const redisReply* r) {
  const std::string s = Text(r);
  const std::string message = absl::StrCat(s, " (shard ", shard.endpoint().ToString(), ")");
  switch (CodeOf(r)) {
    case ReplayErrorCode::kNoTable:
      return absl::NotFoundError(message);
    case ReplayErrorCode::kMismatch:
    case ReplayErrorCode::kWrongType:
    case ReplayErrorCode::kEmpty:
      return absl::FailedPreconditionError(message);
    case ReplayErrorCode::kNoMatch:
      return UnservableMixture(absl::FailedPreconditionError(message));
    case ReplayErrorCode::kRateLimited:
    case ReplayErrorCode::kTooBig:
      return absl::ResourceExhaustedError(message);
    case ReplayErrorCode::kSequence:
      return absl::AbortedError(message);
    case ReplayErrorCode::kArgument:
      if (absl::StartsWith(s, "ERR unknown command")) {
        return absl::FailedPreconditionError(absl::StrCat(
            "shard ", shard.endpoint().ToString(),
            " has no tarmac_replay module loaded; start it with `tarmac replay-server`"));
      }
      return absl::InvalidArgumentError(message);
    case ReplayErrorCode::kUnknown:
      break;
  }
  return absl::UnknownError(message);
}

absl::Status Malformed(const RedisConnection& shard, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("replay shard ", shard.endpoint().ToString(), " sent a malformed ", what));
}

// The owned arguments (numbers) of CommandViews whose payloads are the callers'; a deque, so a
// view stays valid as more are added.
class OwnedArgs {
 public:
  absl::string_view Own(std::string text) { return args_.emplace_back(std::move(text)); }

 private:
  std::deque<std::string> args_;
};

// Runs `command` on every shard in turn; the first error reply, or OK.
absl::Status OnEveryShard(const std::vector<std::unique_ptr<RedisConnection>>& shards,
                          const Command& command) {
  for (const auto& shard : shards) {
    absl::StatusOr<std::vector<Reply>> replies = shard->Pipeline({command});
    if (!replies.ok()) return replies.status();
    const redisReply* r = (*replies)[0].get();
    if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(*shard, r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReplayClientOptions::Validate() const {
  if (shards.empty()) return absl::InvalidArgumentError("no replay shard given");
  if (timeout.count() <= 0) return absl::InvalidArgumentError("replay timeout must be positive");
  if (connect_attempts <= 0) {
    return absl::InvalidArgumentError("replay connect_attempts must be positive");
  }
  return absl::OkStatus();
}

ReplayClient::ReplayClient(ReplayClientOptions options)
    : options_(std::move(options)), rng_(std::random_device{}()) {}

ReplayClient::~ReplayClient() = default;

absl::StatusOr<std::unique_ptr<ReplayClient>> ReplayClient::Connect(ReplayClientOptions options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  std::unique_ptr<ReplayClient> client(new ReplayClient(std::move(options)));
  RedisConnection::Options connection;
  connection.timeout = client->options_.timeout;
  connection.connect_attempts = client->options_.connect_attempts;
  for (const ShardEndpoint& endpoint : client->options_.shards) {
    auto shard = std::make_unique<RedisConnection>(endpoint, connection);
    absl::StatusOr<std::vector<Reply>> pong = shard->Pipeline({{"PING"}});
    if (!pong.ok()) return pong.status();
    client->shards_.push_back(std::move(shard));
  }
  return client;
}

absl::Status ReplayClient::ConfigureRateLimit(const TableSpec& spec) {
  const Command config = {"REPLAY.CONFIG", spec.name,
                          "SPI",           FormatDouble(spec.samples_per_insert),
                          "MIN_SIZE",      std::to_string(spec.min_size),
                          "TOLERANCE",     FormatDouble(spec.tolerance)};
  return OnEveryShard(shards_, config);
}

absl::Status ReplayClient::CreateTable(const TableSpec& spec) {
  const std::uint64_t per_shard = (spec.capacity + shards_.size() - 1) / shards_.size();
  Command create = {"REPLAY.CREATE",
                    spec.name,
                    "CAPACITY",
                    std::to_string(per_shard),
                    "ALPHA",
                    FormatDouble(spec.alpha),
                    "EVICT",
                    spec.eviction,
                    "MAX_TIMES_SAMPLED",
                    std::to_string(spec.max_times_sampled)};
  if (spec.samples_per_insert > 0) {
    for (std::string arg :
         {std::string("SPI"), FormatDouble(spec.samples_per_insert), std::string("MIN_SIZE"),
          std::to_string(spec.min_size), std::string("TOLERANCE"), FormatDouble(spec.tolerance)}) {
      create.push_back(std::move(arg));
    }
  }
  return OnEveryShard(shards_, create);
}

absl::StatusOr<std::vector<ItemKey>> ReplayClient::Insert(absl::string_view table,
                                                          std::uint64_t version,
                                                          absl::Span<const InsertItem> items) {
  if (items.empty()) return std::vector<ItemKey>{};
  const std::vector<absl::Span<const InsertItem>> batches = {items};
  absl::StatusOr<std::vector<std::vector<ItemKey>>> keys = InsertBatches(table, version, batches);
  if (!keys.ok()) return keys.status();
  return std::move(keys->front());
}

absl::StatusOr<std::vector<std::vector<ItemKey>>> ReplayClient::InsertBatches(
    absl::string_view table, std::uint64_t version,
    absl::Span<const absl::Span<const InsertItem>> batches) {
  if (version > 0xffffffffULL) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy version ", version, " does not fit the replay's 32 bits"));
  }
  // Everything is validated before anything is sent: a bad item sends nothing. The commands
  // point at the callers' payloads (no copy).
  OwnedArgs owned;
  std::vector<CommandView> commands;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    absl::Span<const InsertItem> items = batches[b];
    if (items.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("insert batch ", b, " is empty"));
    }
    CommandView insert = {"REPLAY.INSERT", table, "VERSION", owned.Own(std::to_string(version)),
                          owned.Own(std::to_string(items.size()))};
    insert.reserve(insert.size() + 3 * items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const InsertItem& item = items[i];
      if (item.priority && !(std::isfinite(*item.priority) && *item.priority >= 0)) {
        return absl::InvalidArgumentError(absl::StrCat("priority of item ", i, " of batch ", b,
                                                       " is ", *item.priority,
                                                       "; priorities must be finite and >= 0"));
      }
      if (item.tags > 0xffffffffULL) {
        return absl::InvalidArgumentError(absl::StrCat("tags of item ", i, " of batch ", b,
                                                       " do not fit the replay's 32 tag bits"));
      }
      insert.push_back(item.priority ? owned.Own(FormatDouble(*item.priority)) : "*");
      insert.push_back(owned.Own(std::to_string(item.tags)));
      insert.push_back(item.payload);
    }
    commands.push_back(std::move(insert));
  }

  const std::uint32_t index = static_cast<std::uint32_t>(next_insert_shard_++ % shards_.size());
  RedisConnection& shard = *shards_[index];
  std::vector<std::vector<ItemKey>> keys(batches.size());
  std::vector<std::size_t> pending(batches.size());
  for (std::size_t b = 0; b < batches.size(); ++b) pending[b] = b;
  const auto deadline = Clock::now() + options_.rate_limit_wait;
  while (true) {
    std::vector<CommandView> round;
    for (std::size_t b : pending) round.push_back(commands[b]);
    absl::StatusOr<std::vector<Reply>> replies = shard.PipelineViews(round);
    if (!replies.ok()) return replies.status();
    std::vector<std::size_t> limited;
    std::int64_t wait_ms = 0;
    for (std::size_t j = 0; j < pending.size(); ++j) {
      const std::size_t b = pending[j];
      const redisReply* r = (*replies)[j].get();
      if (std::optional<std::int64_t> wait = RetryAfter(r)) {
        limited.push_back(b);
        wait_ms = std::max(wait_ms, *wait);
        continue;
      }
      if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(shard, r);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != batches[b].size()) {
        return Malformed(shard, "INSERT reply");
      }
      keys[b].resize(batches[b].size());
      for (std::size_t i = 0; i < batches[b].size(); ++i) {
        keys[b][i].shard = index;
        if (!Unsigned(r->element[i], &keys[b][i].id)) return Malformed(shard, "item id");
      }
    }
    if (limited.empty()) return keys;
    if (Clock::now() + std::chrono::milliseconds(wait_ms) > deadline) {
      return absl::ResourceExhaustedError(
          absl::StrCat("replay table '", table, "' on ", shard.endpoint().ToString(),
                       " still refuses inserts after waiting; the learner samples slower than the "
                       "configured samples-per-insert ratio allows"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    pending = std::move(limited);
  }
}

SequencedResult ReplayClient::InsertSequenced(std::uint32_t shard_index, absl::string_view table,
                                              absl::string_view producer, std::uint64_t counter,
                                              absl::Span<const SequencedBatch> batches,
                                              int ack_replicas,
                                              std::chrono::milliseconds ack_timeout) {
  SequencedResult result;
  result.counter = counter;
  if (shard_index >= shards_.size()) {
    result.status = absl::InvalidArgumentError(absl::StrCat("no shard ", shard_index));
    return result;
  }
  OwnedArgs owned;  // the commands point at the callers' payloads (no copy)
  const auto number = [&](std::string text) { return owned.Own(std::move(text)); };
  std::vector<CommandView> commands;
  std::uint64_t expected = counter;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const SequencedBatch& batch = batches[b];
    if (batch.items.empty() || batch.version > 0xffffffffULL) {
      result.status = absl::InvalidArgumentError(
          absl::StrCat("sequenced batch ", b, " is empty or its version exceeds 32 bits"));
      return result;
    }
    CommandView insert = {"REPLAY.INSERT",
                          table,
                          "PRODUCER",
                          producer,
                          "SEQ",
                          number(std::to_string(expected)),
                          "VERSION",
                          number(std::to_string(batch.version)),
                          number(std::to_string(batch.items.size()))};
    insert.reserve(insert.size() + 3 * batch.items.size());
    for (const InsertItem& item : batch.items) {
      if ((item.priority && !(std::isfinite(*item.priority) && *item.priority >= 0)) ||
          item.tags > 0xffffffffULL) {
        result.status = absl::InvalidArgumentError(absl::StrCat(
            "sequenced batch ", b, " holds an item with a bad priority or tags beyond 32 bits"));
        return result;
      }
      insert.push_back(item.priority ? number(FormatDouble(*item.priority)) : "*");
      insert.push_back(number(std::to_string(item.tags)));
      insert.push_back(item.payload);
    }
    expected += batch.items.size();
    commands.push_back(std::move(insert));
  }
  if (ack_replicas > 0) {
    commands.push_back({"WAIT", number(std::to_string(ack_replicas)),
                        number(std::to_string(ack_timeout.count()))});
  }
  RedisConnection& shard = *shards_[shard_index];
  absl::StatusOr<std::vector<Reply>> replies = shard.PipelineViews(commands);
  if (!replies.ok()) {
    result.status = replies.status();
    return result;
  }
  if (ack_replicas > 0) {
    const redisReply* wait = replies->back().get();
    result.replicas = wait->type == REDIS_REPLY_INTEGER ? static_cast<int>(wait->integer) : 0;
  }
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const redisReply* r = (*replies)[b].get();
    if (std::optional<std::int64_t> wait = RetryAfter(r)) {
      result.status = absl::ResourceExhaustedError(
          absl::StrCat("replay table '", table, "' rate-limits inserts"));
      result.retry_after_ms = *wait;
      return result;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      result.status = ErrorStatus(shard, r);
      if (CodeOf(r) == ReplayErrorCode::kSequence) {
        const std::optional<std::uint64_t> current = CodeArgument(r);
        if (!current) result.status = Malformed(shard, "SEQ error");
        result.counter = current.value_or(result.counter);
      }
      return result;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != batches[b].items.size()) {
      result.status = Malformed(shard, "sequenced INSERT reply");
      return result;
    }
    ++result.applied_batches;
    result.counter += batches[b].items.size();
  }
  return result;
}

absl::StatusOr<int> ReplayClient::WaitForReplicas(std::uint32_t shard_index, int replicas,
                                                  std::chrono::milliseconds timeout) {
  if (shard_index >= shards_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no shard ", shard_index));
  }
  RedisConnection& shard = *shards_[shard_index];
  auto replies =
      shard.Pipeline({{"WAIT", std::to_string(replicas), std::to_string(timeout.count())}});
  if (!replies.ok()) return replies.status();
  const redisReply* r = (*replies)[0].get();
  if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(shard, r);
  if (r->type != REDIS_REPLY_INTEGER) return Malformed(shard, "WAIT reply");
  return static_cast<int>(r->integer);
}

absl::StatusOr<std::uint64_t> ReplayClient::ProducedCount(std::uint32_t shard_index,
                                                          absl::string_view table,
                                                          absl::string_view producer) {
  if (shard_index >= shards_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no shard ", shard_index));
  }
  RedisConnection& shard = *shards_[shard_index];
  auto replies = shard.Pipeline({{"REPLAY.PRODUCER", std::string(table), std::string(producer)}});
  if (!replies.ok()) return replies.status();
  const redisReply* r = (*replies)[0].get();
  if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(shard, r);
  std::uint64_t count = 0;
  if (!Unsigned(r, &count)) return Malformed(shard, "producer sequence");
  return count;
}

namespace {

using Shards = std::vector<std::unique_ptr<RedisConnection>>;
using Mixture = std::vector<std::pair<std::uint64_t, double>>;

// One shard's REPLAY.MASS reply.
struct ShardMass {
  std::uint64_t size = 0;
  double total = 0, min_positive = 0;
  std::vector<double> component;  // mass of each mixture component's mask
};

// The masses of every shard and their sums: what one logical table's P(i) is made of.
struct TableMass {
  std::vector<ShardMass> shards;
  std::uint64_t size = 0;
  double total = 0, min_positive = std::numeric_limits<double>::infinity();
  std::vector<double> component_total;
};

// Round trip 1: REPLAY.MASS on every shard, pipelined.
absl::StatusOr<TableMass> FetchMasses(const Shards& shards, absl::string_view table,
                                      const Mixture& mixture) {
  Command mass_command = {"REPLAY.MASS", std::string(table)};
  for (const auto& component : mixture) mass_command.push_back(std::to_string(component.first));
  for (const auto& shard : shards) {
    if (absl::Status s = shard->Send({mass_command}); !s.ok()) return s;
  }
  TableMass mass;
  mass.shards.resize(shards.size());
  mass.component_total.assign(mixture.size(), 0.0);
  for (std::size_t s = 0; s < shards.size(); ++s) {
    absl::StatusOr<std::vector<Reply>> replies = shards[s]->Receive(1);
    if (!replies.ok()) return replies.status();
    const redisReply* r = (*replies)[0].get();
    if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(*shards[s], r);
    ShardMass& m = mass.shards[s];
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 + mixture.size() ||
        !Unsigned(r->element[0], &m.size) || !Number(r->element[1], &m.total) ||
        !Number(r->element[2], &m.min_positive)) {
      return Malformed(*shards[s], "MASS reply");
    }
    m.component.resize(mixture.size());
    for (std::size_t k = 0; k < mixture.size(); ++k) {
      if (!Number(r->element[3 + k], &m.component[k])) return Malformed(*shards[s], "MASS reply");
      mass.component_total[k] += m.component[k];
    }
    mass.size += m.size;
    mass.total += m.total;
    if (m.size > 0 && m.total > 0) mass.min_positive = std::min(mass.min_positive, m.min_positive);
  }
  return mass;
}

// How the n draws split: counts[s][k] from shard s and component k (k = 0 without a mixture),
// drawn with the client's rng; `share` receives each component's share of the batch.
absl::StatusOr<std::vector<std::vector<std::size_t>>> AllocateDraws(
    const TableMass& mass, const Mixture& mixture, double share_sum, std::size_t n,
    absl::string_view table, std::mt19937_64& rng, std::vector<double>* share) {
  const std::size_t shard_count = mass.shards.size();
  const std::size_t components = mixture.empty() ? 1 : mixture.size();
  std::vector<std::vector<std::size_t>> counts(shard_count, std::vector<std::size_t>(components));
  share->assign(components, 1.0);
  if (mixture.empty()) {
    std::vector<double> weights(shard_count);
    for (std::size_t s = 0; s < shard_count; ++s) weights[s] = mass.shards[s].total;
    std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
    for (std::size_t i = 0; i < n; ++i) ++counts[pick(rng)][0];
    return counts;
  }
  for (std::size_t k = 0; k < components; ++k) (*share)[k] = mixture[k].second / share_sum;
  std::discrete_distribution<std::size_t> pick_component(share->begin(), share->end());
  std::vector<std::discrete_distribution<std::size_t>> pick_shard;
  for (std::size_t k = 0; k < components; ++k) {
    if ((*share)[k] > 0 && !(mass.component_total[k] > 0)) {
      return UnservableMixture(absl::FailedPreconditionError(absl::StrCat(
          "no items of replay table '", table, "' match tag mask ", mixture[k].first)));
    }
    std::vector<double> weights(shard_count);
    for (std::size_t s = 0; s < shard_count; ++s) {
      // A shard where the component is a sliver of the mass cannot be drawn from by rejection
      // (the module refuses below 1e-4 of its mass); its share goes to the other shards.
      const double m = mass.shards[s].component[k];
      weights[s] = m > 1e-4 * mass.shards[s].total ? m : 0.0;
    }
    pick_shard.emplace_back(weights.begin(), weights.end());
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = pick_component(rng);
    ++counts[pick_shard[k](rng)][k];
  }
  return counts;
}

// What turns one shard's local draw into the global table's probability and weight.
struct GlobalWeights {
  const TableMass* mass;
  const Mixture* mixture;
  std::vector<double> share;
  std::vector<std::uint64_t> masks;
  double beta = 0.4;
  double max_weight = 1.0;

  GlobalWeights(const TableMass& m, const Mixture& mix, std::vector<double> shares, double b)
      : mass(&m), mixture(&mix), share(std::move(shares)), beta(b) {
    double min_factor = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < share.size(); ++k) {
      if (share[k] > 0) {
        min_factor =
            std::min(min_factor, mix.empty() ? 1.0 / m.total : share[k] / m.component_total[k]);
      }
    }
    max_weight = MaxImportanceWeight(static_cast<double>(m.size), m.min_positive, min_factor, beta);
    for (const auto& component : mix) masks.push_back(component.first);
  }

  // P(i) and w_i of an item drawn from shard s's component k with local probability `local`.
  void Apply(std::size_t s, std::size_t k, double local, SampledItem* item) const {
    if (mixture->empty()) {
      // P_s(i) = m_i / M_s, and shard s is chosen with probability M_s / M.
      item->probability = local * mass->shards[s].total / mass->total;
    } else {
      // P_s(i) = m_i / M_{k,s}; P(i) sums the components whose mask the item matches.
      const double item_mass = local * mass->shards[s].component[k];
      const auto mask_of = [this](std::size_t j) { return masks[j]; };
      item->probability = item_mass * MixtureFactor(item->tags, share.size(), mask_of, share.data(),
                                                    mass->component_total.data());
    }
    item->weight =
        ImportanceWeight(static_cast<double>(mass->size), item->probability, beta, max_weight);
  }
};

// Appends the `count` items of one PACKED SAMPLE reply from shard s's component k.
absl::Status AppendDraws(const redisReply* r, const RedisConnection& shard, std::size_t s,
                         std::size_t k, std::size_t count, const GlobalWeights& weights,
                         SampleBatch* batch) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 + count ||
      r->element[2]->type != REDIS_REPLY_STRING ||
      r->element[2]->len != count * sizeof(PackedSampleRecord)) {
    return Malformed(shard, "SAMPLE reply");
  }
  const char* records = r->element[2]->str;
  for (std::size_t i = 0; i < count; ++i) {
    PackedSampleRecord record;
    std::memcpy(&record, records + i * sizeof(PackedSampleRecord), sizeof(PackedSampleRecord));
    const redisReply* payload = r->element[3 + i];
    if (payload->type != REDIS_REPLY_STRING) return Malformed(shard, "payload");
    SampledItem item;
    item.key = {static_cast<std::uint32_t>(s), record.id};
    item.priority = record.priority;
    item.policy_version = record.policy_version;
    item.tags = record.tags;
    item.times_sampled = record.times_sampled;
    item.payload = Text(payload);
    weights.Apply(s, k, record.probability, &item);
    batch->items.push_back(std::move(item));
  }
  return absl::OkStatus();
}

// Round trip 2 of a sample (more only when a shard is rate-limited): sends the `pending` draws
// per shard and component, waits out RATELIMITED ones until `rate_limit_wait`, and decodes the
// replies into `batch`.
absl::StatusOr<SampleBatch> DrawAll(const Shards& shards, std::mt19937_64& rng,
                                    std::chrono::milliseconds rate_limit_wait,
                                    absl::string_view table, const Mixture& mixture,
                                    std::vector<std::vector<std::size_t>> pending,
                                    const GlobalWeights& weights, SampleBatch batch) {
  const std::size_t components = mixture.empty() ? 1 : mixture.size();
  const auto deadline = Clock::now() + rate_limit_wait;
  while (true) {
    std::vector<std::vector<std::size_t>> sent_components(shards.size());
    for (std::size_t s = 0; s < shards.size(); ++s) {
      std::vector<Command> commands;
      for (std::size_t k = 0; k < components; ++k) {
        if (pending[s][k] == 0) continue;
        Command sample = {"REPLAY.SAMPLE",
                          std::string(table),
                          std::to_string(pending[s][k]),
                          "BETA",
                          "0",
                          "SEED",
                          std::to_string(rng()),
                          "PACKED"};
        if (!mixture.empty()) {
          sample.insert(sample.end(), {"TAGS", std::to_string(mixture[k].first), "1"});
        }
        commands.push_back(std::move(sample));
        sent_components[s].push_back(k);
      }
      if (!commands.empty()) {
        if (absl::Status st = shards[s]->Send(commands); !st.ok()) return st;
      }
    }
    std::int64_t wait_ms = 0;
    for (std::size_t s = 0; s < shards.size(); ++s) {
      if (sent_components[s].empty()) continue;
      absl::StatusOr<std::vector<Reply>> replies = shards[s]->Receive(sent_components[s].size());
      if (!replies.ok()) return replies.status();
      for (std::size_t c = 0; c < replies->size(); ++c) {
        const std::size_t k = sent_components[s][c];
        const redisReply* r = (*replies)[c].get();
        if (std::optional<std::int64_t> retry = RetryAfter(r)) {
          wait_ms = std::max(wait_ms, *retry);
          continue;
        }
        if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(*shards[s], r);
        if (absl::Status st = AppendDraws(r, *shards[s], s, k, pending[s][k], weights, &batch);
            !st.ok()) {
          return st;
        }
        pending[s][k] = 0;
      }
    }
    if (wait_ms == 0) return batch;
    if (Clock::now() + std::chrono::milliseconds(wait_ms) > deadline) {
      return absl::ResourceExhaustedError(
          absl::StrCat("replay table '", table,
                       "' still refuses samples after waiting; the actors insert "
                       "slower than the configured samples-per-insert ratio allows"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  }
}

}  // namespace

absl::StatusOr<SampleBatch> ReplayClient::Sample(absl::string_view table, std::size_t n,
                                                 const SampleOptions& options) {
  if (n == 0) return absl::InvalidArgumentError("sample size must be positive");
  if (!(options.beta >= 0 && options.beta <= 1)) {
    return absl::InvalidArgumentError("beta must be in [0, 1]");
  }
  if (options.seed) rng_.seed(*options.seed);
  const Mixture& mixture = options.tag_mixture;
  double share_sum = 0;
  for (const auto& [mask, weight] : mixture) {
    if (!(std::isfinite(weight) && weight >= 0)) {
      return absl::InvalidArgumentError("tag mixture weights must be finite and >= 0");
    }
    share_sum += weight;
  }
  if (!mixture.empty() && !(share_sum > 0)) {
    return absl::InvalidArgumentError("tag mixture weights must not all be zero");
  }
  absl::StatusOr<TableMass> mass = FetchMasses(shards_, table, mixture);
  if (!mass.ok()) return mass.status();
  if (mass->size == 0 || !(mass->total > 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat("replay table '", table, "' is empty or holds no priority mass"));
  }
  std::vector<double> share;
  auto counts = AllocateDraws(*mass, mixture, share_sum, n, table, rng_, &share);
  if (!counts.ok()) return counts.status();
  const GlobalWeights weights(*mass, mixture, std::move(share), options.beta);
  SampleBatch batch;
  batch.table_size = mass->size;
  batch.total_mass = mass->total;
  batch.items.reserve(n);
  return DrawAll(shards_, rng_, options_.rate_limit_wait, table, mixture, *std::move(counts),
                 weights, std::move(batch));
}

absl::StatusOr<UpdateResult> ReplayClient::Update(
    absl::string_view table, absl::Span<const std::pair<ItemKey, double>> priorities) {
  std::vector<Command> per_shard(shards_.size());
  std::vector<std::size_t> counts(shards_.size(), 0);
  for (const auto& [key, priority] : priorities) {
    if (key.shard >= shards_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("item key names shard ", key.shard, " of ", shards_.size()));
    }
    if (!(std::isfinite(priority) && priority >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("priority ", priority, " must be finite and >= 0"));
    }
    Command& c = per_shard[key.shard];
    if (c.empty()) c = {"REPLAY.UPDATE", std::string(table), ""};
    c.push_back(std::to_string(key.id));
    c.push_back(FormatDouble(priority));
    ++counts[key.shard];
  }
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    if (counts[s] == 0) continue;
    per_shard[s][2] = std::to_string(counts[s]);
    if (absl::Status st = shards_[s]->Send({per_shard[s]}); !st.ok()) return st;
  }
  UpdateResult result;
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    if (counts[s] == 0) continue;
    absl::StatusOr<std::vector<Reply>> replies = shards_[s]->Receive(1);
    if (!replies.ok()) return replies.status();
    const redisReply* r = (*replies)[0].get();
    if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(*shards_[s], r);
    std::uint64_t applied = 0, stale = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !Unsigned(r->element[0], &applied) ||
        !Unsigned(r->element[1], &stale)) {
      return Malformed(*shards_[s], "UPDATE reply");
    }
    result.applied += applied;
    result.stale += stale;
  }
  return result;
}

absl::StatusOr<std::vector<std::vector<std::pair<std::string, std::string>>>> ReplayClient::Info(
    absl::string_view table) {
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  for (auto& shard : shards_) {
    absl::StatusOr<std::vector<Reply>> replies =
        shard->Pipeline({{"REPLAY.INFO", std::string(table)}});
    if (!replies.ok()) return replies.status();
    const redisReply* r = (*replies)[0].get();
    if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(*shard, r);
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) return Malformed(*shard, "INFO");
    std::vector<std::pair<std::string, std::string>> fields;
    for (std::size_t i = 0; i < r->elements; i += 2) {
      const redisReply* value = r->element[i + 1];
      fields.emplace_back(Text(r->element[i]), value->type == REDIS_REPLY_INTEGER
                                                   ? std::to_string(value->integer)
                                                   : Text(value));
    }
    out.push_back(std::move(fields));
  }
  return out;
}

absl::StatusOr<ReplayClient::TableTotals> ReplayClient::Totals(absl::string_view table) {
  auto info = Info(table);
  if (!info.ok()) return info.status();
  TableTotals totals;
  for (const auto& shard : *info) {
    for (const auto& [key, value] : shard) {
      std::uint64_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) continue;
      if (key == "size") totals.size += n;
      if (key == "inserts") totals.inserts += n;
      if (key == "samples") totals.samples += n;
    }
  }
  return totals;
}

absl::StatusOr<std::vector<ReplayClient::ShardMemory>> ReplayClient::Memory() {
  std::vector<ShardMemory> out;
  for (auto& shard : shards_) {
    absl::StatusOr<std::vector<Reply>> replies = shard->Pipeline({{"INFO", "memory"}});
    if (!replies.ok()) return replies.status();
    const redisReply* r = (*replies)[0].get();
    if (r->type == REDIS_REPLY_ERROR) return ErrorStatus(*shard, r);
    if (r->type != REDIS_REPLY_STRING) {
      return Malformed(*shard, "INFO memory");
    }
    ShardMemory memory;
    for (absl::string_view line : absl::StrSplit(Text(r), "\r\n")) {
      std::uint64_t value = 0;
      if (absl::ConsumePrefix(&line, "used_memory:") && absl::SimpleAtoi(line, &value)) {
        memory.used_bytes = value;
      } else if (absl::ConsumePrefix(&line, "maxmemory:") && absl::SimpleAtoi(line, &value)) {
        memory.max_bytes = value;
      }
    }
    out.push_back(memory);
  }
  return out;
}

bool IsUnservableTagMixture(const absl::Status& status) {
  return status.GetPayload(kUnservableMixture).has_value();
}

}  // namespace tarmac::buffer
