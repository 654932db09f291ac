// The REPLAY.* commands: argument parsing (everything validated before anything changes),
// replies, and replication of effects.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "module.h"
#include "replay_table.h"
#include "tarmac/buffer/packed_sample.h"
#include "tarmac/buffer/replay_protocol.h"

namespace tarmac::replay {
namespace {

using buffer::PackedSampleRecord;

constexpr std::size_t kMaxBatch = 1 << 20;

std::string_view Arg(RedisModuleString* s) {
  std::size_t len = 0;
  const char* p = api.StringPtrLen(s, &len);
  return {p, len};
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ParseU64(std::string_view s, std::uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseI64(std::string_view s, std::int64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Any double, including nan/inf (callers decide what is allowed).
bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || s.size() > 64) return false;
  char buffer[65];
  std::memcpy(buffer, s.data(), s.size());
  buffer[s.size()] = '\0';
  char* end = nullptr;
  *out = std::strtod(buffer, &end);
  return end == buffer + s.size();
}

std::string Quote(std::string_view s) {
  std::string out(s.substr(0, 40));
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return "'" + out + (s.size() > 40 ? "...'" : "'");
}

int Error(RedisModuleCtx* ctx, const std::string& message) {
  return api.ReplyWithError(ctx, message.c_str());
}

// Replies with the error and returns false: for parsers that report failure as a bool.
bool Refuse(RedisModuleCtx* ctx, const std::string& message) {
  Error(ctx, message);
  return false;
}

// An error reply that starts with its stable code (replay_protocol.h), then the sentence.
int Error(RedisModuleCtx* ctx, buffer::ReplayErrorCode code, const std::string& sentence) {
  return Error(ctx, std::string(buffer::ReplayErrorWord(code)) + " " + sentence);
}

// A replay table's key, opened for one command and closed with it. A missing key (unless
// `may_be_empty`) or a key of another type is answered with the error at once; table() is then
// null and failed() true.
class TableKey {
 public:
  TableKey(RedisModuleCtx* ctx, RedisModuleString* name, int mode, bool may_be_empty = false)
      : key_(static_cast<RedisModuleKey*>(api.OpenKey(ctx, name, mode))) {
    const int type = api.KeyType(key_);
    if (type == kKeyTypeEmpty) {
      if (!may_be_empty) {
        Error(ctx, buffer::ReplayErrorCode::kNoTable,
              "no replay table " + Quote(Arg(name)) + "; create it with REPLAY.CREATE");
        failed_ = true;
      }
    } else if (type != kKeyTypeModule || api.ModuleTypeGetType(key_) != g_table_type) {
      Error(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
      failed_ = true;
    } else {
      table_ = static_cast<ReplayTable*>(api.ModuleTypeGetValue(key_));
    }
  }
  ~TableKey() { api.CloseKey(key_); }
  TableKey(const TableKey&) = delete;
  TableKey& operator=(const TableKey&) = delete;

  ReplayTable* table() const { return table_; }
  bool failed() const { return failed_; }
  // Stores a new table under the (empty) key; the key owns it from now on.
  void Set(ReplayTable* table) {
    api.ModuleTypeSetValue(key_, g_table_type, table);
    table_ = table;
  }

 private:
  RedisModuleKey* key_;
  ReplayTable* table_ = nullptr;
  bool failed_ = false;
};

std::mt19937_64& ModuleRng() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// Why a table of these options cannot fit this server's memory (maxmemory, or the machine's
// memory when none is set), counting only its metadata when full; empty when it can. A replica
// or a server loading its AOF applies what the primary admitted: never refused there.
std::string TooBigForMemory(RedisModuleCtx* ctx, const TableOptions& options) {
  if ((api.GetContextFlags(ctx) & (kCtxFlagsReplicated | kCtxFlagsLoading)) != 0) return "";
  RedisModuleServerInfoData* info = api.GetServerInfo(ctx, "memory");
  if (info == nullptr) return "";
  int error = 0;
  const unsigned long long used = api.ServerInfoGetFieldUnsigned(info, "used_memory", &error);
  const unsigned long long maxmemory = api.ServerInfoGetFieldUnsigned(info, "maxmemory", &error);
  const unsigned long long system =
      api.ServerInfoGetFieldUnsigned(info, "total_system_memory", &error);
  api.FreeServerInfo(ctx, info);
  const unsigned long long limit = maxmemory > 0 ? maxmemory : system;
  if (limit == 0) return "";
  const unsigned long long left = limit > used ? limit - used : 0;
  const std::uint64_t needed = ReplayTable::FullMetadataBytes(options);
  if (needed <= left) return "";
  constexpr double kMiB = 1024.0 * 1024.0;
  char sentence[320];
  std::snprintf(sentence, sizeof(sentence),
                "a table of CAPACITY %llu needs %.0f MiB for its item metadata alone when full, "
                "but this server has %.0f MiB left under %s; lower CAPACITY%s",
                static_cast<unsigned long long>(options.capacity), needed / kMiB, left / kMiB,
                maxmemory > 0 ? "maxmemory" : "the machine's memory",
                maxmemory > 0 ? " or raise maxmemory" : " or add shards");
  return sentence;
}

// REPLAY.CREATE table CAPACITY n [ALPHA a] [EVICT fifo|minprio] [MAX_TIMES_SAMPLED k]
//               [SPI r MIN_SIZE m TOLERANCE t]
// Parses REPLAY.CREATE's options into *options; replies with the error and returns false.
bool ParseCreateOptions(RedisModuleCtx* ctx, RedisModuleString** argv, int argc,
                        TableOptions* out) {
  TableOptions options;
  bool has_capacity = false, has_spi = false, has_min_size = false, has_tolerance = false;
  for (int i = 2; i < argc; i += 2) {
    const std::string_view option = Arg(argv[i]);
    if (i + 1 >= argc) return Refuse(ctx, "ERR option " + Quote(option) + " needs a value");
    const std::string_view value = Arg(argv[i + 1]);
    std::uint64_t u = 0;
    double d = 0;
    if (EqualsIgnoreCase(option, "CAPACITY")) {
      if (!ParseU64(value, &u) || u == 0 || u > (std::uint64_t{1} << 32)) {
        return Refuse(
            ctx, "ERR CAPACITY must be an integer between 1 and 4294967296, not " + Quote(value));
      }
      options.capacity = u;
      has_capacity = true;
    } else if (EqualsIgnoreCase(option, "ALPHA")) {
      if (!ParseDouble(value, &d) || !std::isfinite(d) || d < 0 || d > 10) {
        return Refuse(ctx, "ERR ALPHA must be a number in [0, 10], not " + Quote(value));
      }
      options.alpha = d;
    } else if (EqualsIgnoreCase(option, "EVICT")) {
      if (EqualsIgnoreCase(value, "fifo")) {
        options.eviction = Eviction::kFifo;
      } else if (EqualsIgnoreCase(value, "minprio")) {
        options.eviction = Eviction::kMinPriority;
      } else {
        return Refuse(ctx, "ERR EVICT must be fifo or minprio, not " + Quote(value));
      }
    } else if (EqualsIgnoreCase(option, "MAX_TIMES_SAMPLED")) {
      if (!ParseU64(value, &u) || u > 0xffffffffULL) {
        return Refuse(ctx, "ERR MAX_TIMES_SAMPLED must be an integer >= 0 (0: unlimited), not " +
                               Quote(value));
      }
      options.max_times_sampled = static_cast<std::uint32_t>(u);
    } else if (EqualsIgnoreCase(option, "SPI")) {
      if (!ParseDouble(value, &d) || !std::isfinite(d) || d <= 0) {
        return Refuse(ctx, "ERR SPI must be a number > 0, not " + Quote(value));
      }
      options.samples_per_insert = d;
      has_spi = true;
    } else if (EqualsIgnoreCase(option, "MIN_SIZE")) {
      if (!ParseU64(value, &u)) {
        return Refuse(ctx, "ERR MIN_SIZE must be an integer >= 0, not " + Quote(value));
      }
      options.min_size = u;
      has_min_size = true;
    } else if (EqualsIgnoreCase(option, "TOLERANCE")) {
      if (!ParseDouble(value, &d) || !std::isfinite(d) || d < 0) {
        return Refuse(ctx, "ERR TOLERANCE must be a number >= 0, not " + Quote(value));
      }
      options.tolerance = d;
      has_tolerance = true;
    } else {
      return Refuse(ctx, "ERR unknown option " + Quote(option) +
                             "; REPLAY.CREATE takes CAPACITY, ALPHA, EVICT, MAX_TIMES_SAMPLED, "
                             "SPI, MIN_SIZE, TOLERANCE");
    }
  }
  if (!has_capacity) return Refuse(ctx, "ERR REPLAY.CREATE needs CAPACITY n");
  if ((has_spi || has_min_size || has_tolerance) && !(has_spi && has_min_size && has_tolerance)) {
    return Refuse(ctx, "ERR rate limiting needs all of SPI, MIN_SIZE and TOLERANCE");
  }
  if (std::string invalid = options.Validate(); !invalid.empty()) {
    return Refuse(ctx, "ERR " + invalid);
  }
  *out = options;
  return true;
}

int CreateCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 4) return api.WrongArity(ctx);
  TableOptions options;
  if (!ParseCreateOptions(ctx, argv, argc, &options)) return kRedisOk;
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite, /*may_be_empty=*/true);
  if (key.failed()) return kRedisOk;
  if (ReplayTable* existing = key.table(); existing != nullptr) {
    if (existing->options() == options) return api.ReplyWithSimpleString(ctx, "OK");
    return Error(ctx, buffer::ReplayErrorCode::kMismatch,
                 "replay table " + Quote(Arg(argv[1])) + " exists with other settings (" +
                     existing->options().Describe() + ")");
  }
  if (std::string too_big = TooBigForMemory(ctx, options); !too_big.empty()) {
    return Error(ctx, buffer::ReplayErrorCode::kTooBig, too_big);
  }
  key.Set(new ReplayTable(options));
  api.ReplicateVerbatim(ctx);
  return api.ReplyWithSimpleString(ctx, "OK");
}

// REPLAY.CONFIG table [SPI r] [MIN_SIZE m] [TOLERANCE t]: new rate limits for a table that
// exists (SPI 0: none); options not given keep their values. The limiter starts over (see
// ReplayTable::Reconfigure). Replicated and logged verbatim, persisted in the table's header.
int ConfigCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 4 || argc % 2 != 0) return api.WrongArity(ctx);
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  const TableOptions& now = table->options();
  double spi = now.samples_per_insert, tolerance = now.tolerance;
  std::uint64_t min_size = now.min_size;
  for (int i = 2; i < argc; i += 2) {
    const std::string_view option = Arg(argv[i]);
    const std::string_view value = Arg(argv[i + 1]);
    if (EqualsIgnoreCase(option, "SPI")) {
      if (!ParseDouble(value, &spi) || !std::isfinite(spi) || spi < 0) {
        return Error(ctx, "ERR SPI must be a number >= 0 (0: no limit), not " + Quote(value));
      }
    } else if (EqualsIgnoreCase(option, "MIN_SIZE")) {
      if (!ParseU64(value, &min_size)) {
        return Error(ctx, "ERR MIN_SIZE must be an integer >= 0, not " + Quote(value));
      }
    } else if (EqualsIgnoreCase(option, "TOLERANCE")) {
      if (!ParseDouble(value, &tolerance) || !std::isfinite(tolerance) || tolerance < 0) {
        return Error(ctx, "ERR TOLERANCE must be a number >= 0, not " + Quote(value));
      }
    } else {
      return Error(ctx, "ERR unknown option " + Quote(option) +
                            "; REPLAY.CONFIG takes SPI, MIN_SIZE, TOLERANCE");
    }
  }
  if (std::string invalid = table->Reconfigure(spi, min_size, tolerance); !invalid.empty()) {
    return Error(ctx, "ERR " + invalid + "; table " + Quote(Arg(argv[1])) + " is unchanged");
  }
  api.ReplicateVerbatim(ctx);
  return api.ReplyWithSimpleString(ctx, "OK");
}

// Parses n [priority tags payload] triples starting at argv[first]; replies on error.
bool ParseItems(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, int count_index,
                std::vector<NewItem>* items) {
  std::uint64_t n = 0;
  const std::string_view count = Arg(argv[count_index]);
  if (!ParseU64(count, &n) || n == 0 || n > kMaxBatch) {
    Error(ctx, "ERR item count must be an integer between 1 and " + std::to_string(kMaxBatch) +
                   ", not " + Quote(count));
    return false;
  }
  const std::uint64_t given = static_cast<std::uint64_t>(argc - count_index - 1);
  if (given != 3 * n) {
    Error(ctx, "ERR expected " + std::to_string(n) + " items of [priority tags payload] (" +
                   std::to_string(3 * n) + " arguments) but got " + std::to_string(given) +
                   " arguments");
    return false;
  }
  items->resize(n);
  for (std::uint64_t k = 0; k < n; ++k) {
    const int base = count_index + 1 + static_cast<int>(3 * k);
    const std::string_view priority = Arg(argv[base]);
    NewItem& item = (*items)[k];
    if (priority != "*") {
      double p = 0;
      if (!ParseDouble(priority, &p) || !std::isfinite(p) || p < 0) {
        Error(ctx, "ERR priority of item " + std::to_string(k) + " is " + Quote(priority) +
                       "; priorities must be finite numbers >= 0 or *");
        return false;
      }
      item.priority = p;
    }
    const std::string_view tags = Arg(argv[base + 1]);
    std::uint64_t tag_bits = 0;
    if (!ParseU64(tags, &tag_bits) || tag_bits > kMaxTags) {
      Error(ctx, "ERR tags of item " + std::to_string(k) +
                     " must be an unsigned 32-bit mask, not " + Quote(tags));
      return false;
    }
    item.tags = static_cast<std::uint32_t>(tag_bits);
    item.payload = Arg(argv[base + 2]);
    if (item.payload.size() > g_max_payload_bytes) {
      Error(ctx, "ERR payload of item " + std::to_string(k) + " is " +
                     std::to_string(item.payload.size()) +
                     " bytes, over the module's MAX_PAYLOAD of " +
                     std::to_string(g_max_payload_bytes));
      return false;
    }
  }
  return true;
}

int ReplyIds(RedisModuleCtx* ctx, const std::vector<std::uint64_t>& ids) {
  api.ReplyWithArray(ctx, static_cast<long>(ids.size()));
  for (std::uint64_t id : ids) api.ReplyWithLongLong(ctx, static_cast<long long>(id));
  return kRedisOk;
}

// A sequenced producer's "PRODUCER id SEQ n" options of REPLAY.INSERT.
struct ProducerOption {
  std::string_view id;  // empty: not a sequenced insert
  std::uint64_t sequence = 0;
};

// Parses "[PRODUCER id SEQ n]" at argv[*at], advancing *at past it; replies on error.
bool ParseProducer(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, int* at,
                   ProducerOption* producer) {
  if (*at >= argc || !EqualsIgnoreCase(Arg(argv[*at]), "PRODUCER")) return true;
  if (*at + 3 >= argc || !EqualsIgnoreCase(Arg(argv[*at + 2]), "SEQ")) {
    Error(ctx, "ERR PRODUCER id needs SEQ n after it");
    return false;
  }
  producer->id = Arg(argv[*at + 1]);
  if (producer->id.empty() || producer->id.size() > ReplayTable::kMaxProducerIdBytes) {
    Error(ctx, "ERR PRODUCER id must be 1 to " + std::to_string(ReplayTable::kMaxProducerIdBytes) +
                   " bytes, not " + std::to_string(producer->id.size()));
    return false;
  }
  if (!ParseU64(Arg(argv[*at + 3]), &producer->sequence)) {
    Error(ctx, "ERR SEQ must be an unsigned integer, not " + Quote(Arg(argv[*at + 3])));
    return false;
  }
  *at += 4;
  return true;
}

// REPLAY.INSERT table [PRODUCER id SEQ n] VERSION v n [priority tags payload]...
// With PRODUCER, the batch is applied only when the producer's sequence on the table is n, and
// the sequence then advances by the batch's items; otherwise "SEQ <current> ..." and nothing
// changes. Without it, a plain insert.
int InsertCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 8) return api.WrongArity(ctx);
  int at = 2;
  ProducerOption producer;
  if (!ParseProducer(ctx, argv, argc, &at, &producer)) return kRedisOk;
  if (argc - at < 6) return api.WrongArity(ctx);
  if (!EqualsIgnoreCase(Arg(argv[at]), "VERSION")) {
    return Error(ctx, "ERR expected [PRODUCER id SEQ n] VERSION v after the table name, not " +
                          Quote(Arg(argv[at])));
  }
  std::uint64_t version = 0;
  if (!ParseU64(Arg(argv[at + 1]), &version) || version > kMaxPolicyVersion) {
    return Error(ctx,
                 "ERR VERSION must be an unsigned 32-bit integer, not " + Quote(Arg(argv[at + 1])));
  }
  const int count_index = at + 2;
  std::vector<NewItem> items;
  if (!ParseItems(ctx, argv, argc, count_index, &items)) return kRedisOk;

  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  if (!producer.id.empty()) {
    const std::uint64_t current = table->ProducerSequence(producer.id);
    if (current != producer.sequence) {
      return Error(ctx, buffer::ReplayErrorCode::kSequence,
                   std::to_string(current) + " producer " + Quote(producer.id) + " of table " +
                       Quote(Arg(argv[1])) + " is at sequence " + std::to_string(current) +
                       ", not " + std::to_string(producer.sequence) +
                       "; read it with REPLAY.PRODUCER");
    }
  }
  const std::int64_t now = api.Milliseconds();
  if (Admission a = table->CanInsert(items.size(), now); !a.admitted) {
    return Error(ctx, buffer::ReplayErrorCode::kRateLimited, std::to_string(a.retry_after_ms));
  }
  const std::vector<std::uint64_t> ids =
      table->Insert(items, static_cast<std::uint32_t>(version), now);
  // Replicas and the AOF get the insert with its time fixed; '*' priorities resolve to the same
  // running maximum there because the state is the same.
  if (producer.id.empty()) {
    api.Replicate(ctx, "REPLAY._INSERT", "sllv", argv[1], static_cast<long long>(now),
                  static_cast<long long>(version), argv + count_index,
                  static_cast<std::size_t>(argc - count_index));
  } else {
    table->AdvanceProducer(producer.id, producer.sequence + items.size(), now);
    api.Replicate(ctx, "REPLAY._INSERT", "sllcslv", argv[1], static_cast<long long>(now),
                  static_cast<long long>(version), "PRODUCER", argv[at - 3],
                  static_cast<long long>(producer.sequence), argv + count_index,
                  static_cast<std::size_t>(argc - count_index));
  }
  return ReplyIds(ctx, ids);
}

// REPLAY._INSERT table at_ms version [PRODUCER id seq] n [priority tags payload]...: replicated
// INSERT, not rate limited or sequence-checked (the primary admitted it).
int InternalInsertCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 8) return api.WrongArity(ctx);
  std::int64_t at = 0;
  std::uint64_t version = 0;
  if (!ParseI64(Arg(argv[2]), &at) || !ParseU64(Arg(argv[3]), &version) ||
      version > kMaxPolicyVersion) {
    return Error(ctx, "ERR REPLAY._INSERT needs table at_ms version n items...");
  }
  int count_index = 4;
  ProducerOption producer;
  if (EqualsIgnoreCase(Arg(argv[4]), "PRODUCER")) {
    producer.id = Arg(argv[5]);
    if (argc < 11 || producer.id.empty() || producer.id.size() > ReplayTable::kMaxProducerIdBytes ||
        !ParseU64(Arg(argv[6]), &producer.sequence)) {
      return Error(ctx, "ERR REPLAY._INSERT needs PRODUCER id seq before the items");
    }
    count_index = 7;
  }
  std::vector<NewItem> items;
  if (!ParseItems(ctx, argv, argc, count_index, &items)) return kRedisOk;
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  const std::vector<std::uint64_t> ids =
      table->Insert(items, static_cast<std::uint32_t>(version), at);
  if (!producer.id.empty()) {
    table->AdvanceProducer(producer.id, producer.sequence + items.size(), at);
  }
  api.ReplicateVerbatim(ctx);
  return ReplyIds(ctx, ids);
}

// REPLAY.PRODUCER table id: the producer's sequence (0 when it never inserted).
// REPLAY.PRODUCER table: every producer's [id, sequence], flat, sorted by id.
int ProducerCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2 && argc != 3) return api.WrongArity(ctx);
  TableKey key(ctx, argv[1], kRedisRead);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  if (argc == 3) {
    return api.ReplyWithLongLong(ctx,
                                 static_cast<long long>(table->ProducerSequence(Arg(argv[2]))));
  }
  api.ReplyWithArray(ctx, static_cast<long>(2 * table->producers().size()));
  for (const ReplayTable::Producer& p : table->producers()) {
    api.ReplyWithStringBuffer(ctx, p.id.data(), p.id.size());
    api.ReplyWithLongLong(ctx, static_cast<long long>(p.sequence));
  }
  return kRedisOk;
}

// REPLAY.SAMPLE table n [BETA b] [SEED s] [TAGS mask weight [mask weight ...]] [PACKED]
// Reply: size, total mass, then per item [id, priority, probability, weight, payload, version,
// times sampled, tags]; with PACKED: size, total mass, one blob of n PackedSampleRecord records,
// then the n payloads (no number formatting: what clients use).
// REPLAY.SAMPLE's options after the count.
struct SampleRequest {
  double beta = 0.4;
  std::uint64_t seed = 0;
  bool seeded = false;
  std::vector<TagComponent> mixture;
  bool packed = false;
};

// Parses argv[3...] into *out; replies with the error and returns false.
bool ParseSampleOptions(RedisModuleCtx* ctx, RedisModuleString** argv, int argc,
                        SampleRequest* out) {
  double& beta = out->beta;
  std::uint64_t& seed = out->seed;
  bool& seeded = out->seeded;
  std::vector<TagComponent>& mixture = out->mixture;
  bool& packed = out->packed;
  for (int i = 3; i < argc;) {
    const std::string_view option = Arg(argv[i]);
    if (EqualsIgnoreCase(option, "PACKED")) {
      packed = true;
      ++i;
    } else if (EqualsIgnoreCase(option, "BETA") && i + 1 < argc) {
      if (!ParseDouble(Arg(argv[i + 1]), &beta) || !std::isfinite(beta) || beta < 0 || beta > 1) {
        return Refuse(ctx, "ERR BETA must be a number in [0, 1], not " + Quote(Arg(argv[i + 1])));
      }
      i += 2;
    } else if (EqualsIgnoreCase(option, "SEED") && i + 1 < argc) {
      if (!ParseU64(Arg(argv[i + 1]), &seed)) {
        return Refuse(ctx, "ERR SEED must be an unsigned integer, not " + Quote(Arg(argv[i + 1])));
      }
      seeded = true;
      i += 2;
    } else if (EqualsIgnoreCase(option, "TAGS")) {
      ++i;
      while (i + 1 < argc && !EqualsIgnoreCase(Arg(argv[i]), "BETA") &&
             !EqualsIgnoreCase(Arg(argv[i]), "SEED") && !EqualsIgnoreCase(Arg(argv[i]), "PACKED")) {
        TagComponent c;
        if (!ParseU64(Arg(argv[i]), &c.mask)) {
          return Refuse(
              ctx, "ERR TAGS mask must be an unsigned 64-bit integer, not " + Quote(Arg(argv[i])));
        }
        if (!ParseDouble(Arg(argv[i + 1]), &c.weight) || !std::isfinite(c.weight) || c.weight < 0) {
          return Refuse(
              ctx, "ERR TAGS weight must be a finite number >= 0, not " + Quote(Arg(argv[i + 1])));
        }
        mixture.push_back(c);
        i += 2;
      }
      double total = 0;
      for (const TagComponent& c : mixture) total += c.weight;
      if (mixture.empty() || !(total > 0)) {
        return Refuse(ctx, "ERR TAGS needs mask weight pairs with a positive total weight");
      }
    } else {
      return Refuse(ctx, "ERR unknown or incomplete option " + Quote(option) +
                             "; REPLAY.SAMPLE takes BETA b, SEED s, TAGS mask weight ..., PACKED");
    }
  }
  return true;
}

// SAMPLE and UPDATE change the table but are not flagged "write" (see RegisterCommands), so
// Redis does not refuse them on a read-only replica; they refuse themselves there, as Redis
// refuses writes, unless the primary sent them.
bool RefusedOnReadOnlyReplica(RedisModuleCtx* ctx, const char* command) {
  const int flags = api.GetContextFlags(ctx);
  if ((flags & kCtxFlagsReadonly) == 0 || (flags & (kCtxFlagsReplicated | kCtxFlagsLoading)) != 0) {
    return false;
  }
  Error(ctx, std::string("READONLY ") + command +
                 " changes the table; run it on the primary, not on a read-only replica");
  return true;
}

int SampleCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 3) return api.WrongArity(ctx);
  if (RefusedOnReadOnlyReplica(ctx, "REPLAY.SAMPLE")) return kRedisOk;
  std::uint64_t n = 0;
  if (!ParseU64(Arg(argv[2]), &n) || n == 0 || n > kMaxBatch) {
    return Error(ctx, "ERR sample count must be an integer between 1 and " +
                          std::to_string(kMaxBatch) + ", not " + Quote(Arg(argv[2])));
  }
  SampleRequest request;
  if (!ParseSampleOptions(ctx, argv, argc, &request)) return kRedisOk;
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  const std::int64_t now = api.Milliseconds();
  if (Admission a = table->CanSample(n, now); !a.admitted) {
    return Error(ctx, buffer::ReplayErrorCode::kRateLimited, std::to_string(a.retry_after_ms));
  }
  std::mt19937_64 seeded_rng(request.seed);
  ReplayTable::SampleResult result =
      table->Sample(n, request.beta, request.mixture, request.seeded ? seeded_rng : ModuleRng());
  if (!result.error.empty()) return Error(ctx, result.code, "cannot sample: " + result.error);

  std::vector<std::uint64_t> ids;
  ids.reserve(result.items.size());
  for (const SampledItem& item : result.items) ids.push_back(item.id);
  api.ReplyWithArray(ctx, static_cast<long>((request.packed ? 3 : 2) + result.items.size()));
  api.ReplyWithLongLong(ctx, static_cast<long long>(table->size()));
  api.ReplyWithDouble(ctx, table->total_mass());
  if (request.packed) {
    std::vector<PackedSampleRecord> records;
    records.reserve(result.items.size());
    for (const SampledItem& item : result.items) {
      records.push_back({item.id, item.priority, item.probability, item.weight, item.policy_version,
                         item.tags, item.times_sampled, 0});
    }
    api.ReplyWithStringBuffer(ctx, reinterpret_cast<const char*>(records.data()),
                              records.size() * sizeof(PackedSampleRecord));
    for (const SampledItem& item : result.items) {
      api.ReplyWithStringBuffer(ctx, item.payload.data(), item.payload.size());
    }
  } else {
    for (const SampledItem& item : result.items) {
      api.ReplyWithArray(ctx, 8);
      api.ReplyWithLongLong(ctx, static_cast<long long>(item.id));
      api.ReplyWithDouble(ctx, item.priority);
      api.ReplyWithDouble(ctx, item.probability);
      api.ReplyWithDouble(ctx, item.weight);
      api.ReplyWithStringBuffer(ctx, item.payload.data(), item.payload.size());
      api.ReplyWithLongLong(ctx, static_cast<long long>(item.policy_version));
      api.ReplyWithLongLong(ctx, item.times_sampled);
      api.ReplyWithLongLong(ctx, static_cast<long long>(item.tags));
    }
  }
  // The reply holds copies of the payloads, so removals may happen now. Replicas get the ids
  // drawn, never the random command itself.
  table->MarkSampled(ids, now);
  api.Replicate(ctx, "REPLAY._SAMPLED", "slb", argv[1], static_cast<long long>(now),
                reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(std::uint64_t));
  return kRedisOk;
}

// REPLAY._SAMPLED table at_ms ids: the effects of a SAMPLE on the primary.
int InternalSampledCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 4) return api.WrongArity(ctx);
  std::int64_t at = 0;
  const std::string_view blob = Arg(argv[3]);
  if (!ParseI64(Arg(argv[2]), &at) || blob.size() % sizeof(std::uint64_t) != 0) {
    return Error(ctx, "ERR REPLAY._SAMPLED needs table at_ms ids-blob");
  }
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  std::vector<std::uint64_t> ids(blob.size() / sizeof(std::uint64_t));
  if (!blob.empty()) std::memcpy(ids.data(), blob.data(), blob.size());
  table->MarkSampled(ids, at);
  api.ReplicateVerbatim(ctx);
  return api.ReplyWithSimpleString(ctx, "OK");
}

// REPLAY.UPDATE table n [id priority]...
int UpdateCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 5) return api.WrongArity(ctx);
  if (RefusedOnReadOnlyReplica(ctx, "REPLAY.UPDATE")) return kRedisOk;
  std::uint64_t n = 0;
  if (!ParseU64(Arg(argv[2]), &n) || n == 0 || n > kMaxBatch) {
    return Error(ctx, "ERR update count must be an integer between 1 and " +
                          std::to_string(kMaxBatch) + ", not " + Quote(Arg(argv[2])));
  }
  if (static_cast<std::uint64_t>(argc - 3) != 2 * n) {
    return Error(ctx, "ERR expected " + std::to_string(n) + " [id priority] pairs (" +
                          std::to_string(2 * n) + " arguments) but got " +
                          std::to_string(argc - 3) + " arguments");
  }
  std::vector<std::pair<std::uint64_t, double>> updates(n);
  for (std::uint64_t k = 0; k < n; ++k) {
    const int base = 3 + static_cast<int>(2 * k);
    if (!ParseU64(Arg(argv[base]), &updates[k].first)) {
      return Error(ctx, "ERR id of update " + std::to_string(k) +
                            " must be an unsigned integer, not " + Quote(Arg(argv[base])));
    }
    double p = 0;
    const std::string_view priority = Arg(argv[base + 1]);
    if (!ParseDouble(priority, &p) || !std::isfinite(p) || p < 0) {
      return Error(ctx, "ERR priority of update " + std::to_string(k) + " is " + Quote(priority) +
                            "; priorities must be finite numbers >= 0");
    }
    updates[k].second = p;
  }
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  long long applied = 0;
  for (const auto& [id, priority] : updates) applied += table->Update(id, priority) ? 1 : 0;
  api.ReplicateVerbatim(ctx);
  api.ReplyWithArray(ctx, 2);
  api.ReplyWithLongLong(ctx, applied);
  return api.ReplyWithLongLong(ctx, static_cast<long long>(n) - applied);
}

// REPLAY.INFO table
int InfoCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 2) return api.WrongArity(ctx);
  TableKey key(ctx, argv[1], kRedisRead);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  const TableOptions& o = table->options();
  const std::int64_t now = api.Milliseconds();
  api.ReplyWithArray(ctx, kPostponedLength);
  long fields = 0;
  auto integer = [&](const char* name, long long v) {
    api.ReplyWithSimpleString(ctx, name);
    api.ReplyWithLongLong(ctx, v);
    fields += 2;
  };
  auto number = [&](const char* name, double v) {
    api.ReplyWithSimpleString(ctx, name);
    api.ReplyWithDouble(ctx, v);
    fields += 2;
  };
  auto text = [&](const char* name, const char* v) {
    api.ReplyWithSimpleString(ctx, name);
    api.ReplyWithSimpleString(ctx, v);
    fields += 2;
  };
  integer("size", static_cast<long long>(table->size()));
  integer("capacity", static_cast<long long>(o.capacity));
  number("total_mass", table->total_mass());
  number("alpha", o.alpha);
  text("eviction", o.eviction == Eviction::kFifo ? "fifo" : "minprio");
  integer("max_times_sampled", o.max_times_sampled);
  number("max_priority", table->running_max_priority());
  integer("inserts", static_cast<long long>(table->inserts()));
  integer("samples", static_cast<long long>(table->samples()));
  integer("updates", static_cast<long long>(table->updates()));
  integer("stale_updates", static_cast<long long>(table->stale_updates()));
  integer("evictions", static_cast<long long>(table->evictions()));
  integer("removals", static_cast<long long>(table->removals()));
  integer("next_id", static_cast<long long>(table->next_id()));
  integer("memory_bytes", static_cast<long long>(table->MemoryBytes()));
  integer("rate_limited", o.samples_per_insert > 0 ? 1 : 0);
  number("samples_per_insert", o.samples_per_insert);
  integer("min_size", static_cast<long long>(o.min_size));
  number("tolerance", o.tolerance);
  number("rate_diff", table->rate_diff());
  integer("can_insert", table->CanInsert(1, now).admitted ? 1 : 0);
  integer("can_sample", table->CanSample(1, now).admitted ? 1 : 0);
  api.ReplySetArrayLength(ctx, fields);
  return kRedisOk;
}

// REPLAY.MASS table [mask ...]: size, total mass, smallest positive mass, then the mass of each
// mask. The sharded client calls it to split a batch across shards with global probabilities.
int MassCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 2) return api.WrongArity(ctx);
  std::vector<std::uint64_t> masks(static_cast<std::size_t>(argc - 2));
  for (int i = 2; i < argc; ++i) {
    if (!ParseU64(Arg(argv[i]), &masks[static_cast<std::size_t>(i - 2)])) {
      return Error(ctx, "ERR mask must be an unsigned 64-bit integer, not " + Quote(Arg(argv[i])));
    }
  }
  TableKey key(ctx, argv[1], kRedisRead);
  ReplayTable* table = key.table();
  if (table == nullptr) return kRedisOk;
  api.ReplyWithArray(ctx, static_cast<long>(3 + masks.size()));
  api.ReplyWithLongLong(ctx, static_cast<long long>(table->size()));
  api.ReplyWithDouble(ctx, table->total_mass());
  api.ReplyWithDouble(ctx, table->size() > 0 ? table->min_positive_mass() : 0.0);
  for (std::uint64_t mask : masks) api.ReplyWithDouble(ctx, table->MaskMass(mask));
  return kRedisOk;
}

// REPLAY._RESTORE table HEADER blob | ITEMS blob: rebuilds a table from an AOF rewrite.
int InternalRestoreCommand(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 4) return api.WrongArity(ctx);
  const std::string_view part = Arg(argv[2]);
  const std::string_view blob = Arg(argv[3]);
  TableKey key(ctx, argv[1], kRedisRead | kRedisWrite, EqualsIgnoreCase(part, "HEADER"));
  if (key.failed()) return kRedisOk;
  ReplayTable* table = key.table();
  std::string error;
  if (EqualsIgnoreCase(part, "HEADER")) {
    if (table != nullptr) return Error(ctx, "ERR replay table already exists");
    std::unique_ptr<ReplayTable> restored = ReplayTable::RestoreHeader(blob, &error);
    if (!restored) return Error(ctx, "ERR " + error);
    key.Set(restored.release());
  } else if (EqualsIgnoreCase(part, "ITEMS")) {
    if (!table->RestoreItems(blob, &error)) return Error(ctx, "ERR " + error);
  } else {
    return Error(ctx, "ERR REPLAY._RESTORE takes HEADER or ITEMS");
  }
  api.ReplicateVerbatim(ctx);
  return api.ReplyWithSimpleString(ctx, "OK");
}

}  // namespace

int RegisterCommands(RedisModuleCtx* ctx) {
  struct Command {
    const char* name;
    RedisModuleCmdFunc function;
    const char* flags;
  };
  const Command commands[] = {
      {"replay.create", CreateCommand, "write deny-oom"},
      {"replay.insert", InsertCommand, "write deny-oom"},
      {"replay.config", ConfigCommand, "write"},
      // Sampling and priority updates change only what the learner reads; "may-replicate"
      // rather than "write" keeps the learner training on what is there while Redis refuses
      // writes because it cannot persist them (MISCONF: a full disk). Their propagation
      // (REPLAY._SAMPLED, the UPDATE) waits in the AOF buffer until the disk has room.
      {"replay.sample", SampleCommand, "may-replicate"},
      {"replay.update", UpdateCommand, "may-replicate"},
      {"replay.info", InfoCommand, "readonly"},
      {"replay.mass", MassCommand, "readonly"},
      {"replay.producer", ProducerCommand, "readonly"},
      {"replay._insert", InternalInsertCommand, "write"},
      {"replay._sampled", InternalSampledCommand, "write"},
      {"replay._restore", InternalRestoreCommand, "write"},
  };
  for (const Command& c : commands) {
    if (api.CreateCommand(ctx, c.name, c.function, c.flags, 1, 1, 1) != kRedisOk) {
      return kRedisErr;
    }
  }
  return kRedisOk;
}

}  // namespace tarmac::replay
