#ifndef TARMAC_BUFFER_REDIS_MODULE_REPLAY_TABLE_H_
#define TARMAC_BUFFER_REDIS_MODULE_REPLAY_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "module_allocator.h"
#include "payload_arena.h"
#include "sum_tree.h"
#include "tarmac/buffer/replay_protocol.h"

namespace tarmac::replay {

enum class Eviction : std::uint8_t { kFifo = 0, kMinPriority = 1 };

// Settings of one table, fixed at REPLAY.CREATE.
struct TableOptions {
  std::uint64_t capacity = 0;
  double alpha = 0.6;
  Eviction eviction = Eviction::kFifo;
  std::uint32_t max_times_sampled = 0;  // 0: unlimited
  // Samples-per-insert rate limiting (Reverb's SampleToInsertRatio); off when spi == 0.
  double samples_per_insert = 0.0;
  std::uint64_t min_size = 0;
  double tolerance = 0.0;

  bool operator==(const TableOptions& other) const;
  // "capacity 1000, alpha 0.6, eviction fifo, ..." for error messages.
  std::string Describe() const;
  // An error sentence, or empty when valid.
  std::string Validate() const;
};

// One item to insert; `priority` empty means the table's running maximum.
struct NewItem {
  std::optional<double> priority;
  std::uint32_t tags = 0;  // 32 tag bits (one per driving event)
  std::string_view payload;
};

inline constexpr std::uint64_t kMaxTags = 0xffffffffULL;
inline constexpr std::uint64_t kMaxPolicyVersion = 0xffffffffULL;

// One drawn item and the numbers a learner needs for it.
struct SampledItem {
  std::uint64_t id = 0;
  double priority = 0.0;
  double probability = 0.0;  // P(i) under the (mixture) distribution that drew it
  double weight = 0.0;       // importance weight, normalised so that no weight exceeds 1
  std::string_view payload;  // valid until the table next changes
  std::uint64_t policy_version = 0;
  std::uint32_t times_sampled = 0;  // before this draw
  std::uint64_t tags = 0;
};

// One component of a tag mixture: with probability weight/sum(weights), draw from the items
// whose tags intersect `mask` (mask 0: every item), in proportion to p^alpha.
struct TagComponent {
  std::uint64_t mask = 0;
  double weight = 0.0;
};

// Rate-limiter verdict.
struct Admission {
  bool admitted = true;
  std::int64_t retry_after_ms = 0;
};

// A prioritized replay table: items in slots, a sum tree over p^alpha, FIFO or min-priority
// eviction, MAX_TIMES_SAMPLED removal, samples-per-insert accounting, and a byte-exact
// serialization (RDB and AOF). Item ids are monotonic and carry their slot in the low bits, so
// lookups need no hash map and an id whose slot was reused is recognised as stale.
// Memory per item: 36 bytes of metadata, 8 of tree (12 with min-priority eviction), the payload
// and its length (2 bytes up to 16 KiB) packed in an arena, and 8 for the FIFO queue only when
// MAX_TIMES_SAMPLED removes items. Slots are allocated as items arrive (kInitialSlots, then
// doubling up to the capacity), so memory grows with the items, not with the capacity. Callers
// validate arguments before calling a mutating method; methods never partially apply. Not
// thread-safe (Redis runs commands on one thread).
class ReplayTable : private LeafSource {
 public:
  explicit ReplayTable(const TableOptions& options);
  ~ReplayTable();
  ReplayTable(const ReplayTable&) = delete;
  ReplayTable& operator=(const ReplayTable&) = delete;

  static void* operator new(std::size_t bytes) { return ModuleAlloc(bytes); }
  static void operator delete(void* p) { ModuleFree(p); }

  const TableOptions& options() const { return options_; }
  std::size_t size() const { return size_; }
  double total_mass() const { return tree_.Total(); }
  double running_max_priority() const { return running_max_; }
  // Smallest positive p^alpha; +inf when no item has positive mass.
  double min_positive_mass() const { return tree_.MinPositiveMass(); }
  // Sum of p^alpha over items whose tags intersect `mask` (mask 0: all). O(distinct tag sets).
  double MaskMass(std::uint64_t mask) const;

  // Rate limiter: may `n` items be inserted / sampled now? `now_ms` estimates retry-after.
  Admission CanInsert(std::size_t n, std::int64_t now_ms) const;
  Admission CanSample(std::size_t n, std::int64_t now_ms) const;

  // Appends items (evicting when full); returns their ids. O(n log capacity).
  std::vector<std::uint64_t> Insert(const std::vector<NewItem>& items, std::uint32_t policy_version,
                                    std::int64_t now_ms);

  // Draws n items with P(i) = p_i^a / sum p^a, stratified (one draw per equal slice of the
  // mass), or from a tag mixture. Changes nothing: MarkSampled applies the draw's effects.
  // Returns an error sentence instead when the table (or a mixture component) has no mass.
  struct SampleResult {
    std::vector<SampledItem> items;
    std::string error;                                               // empty on success
    buffer::ReplayErrorCode code = buffer::ReplayErrorCode::kEmpty;  // of a non-empty error
  };
  SampleResult Sample(std::size_t n, double beta, const std::vector<TagComponent>& mixture,
                      std::mt19937_64& rng) const;

  // Counts a draw of these ids: times sampled, MAX_TIMES_SAMPLED removal, the samples counter.
  void MarkSampled(const std::vector<std::uint64_t>& ids, std::int64_t now_ms);

  // Sets a new priority; false (and counted as stale) when the id is no longer in the table.
  bool Update(std::uint64_t id, double priority);

  // Counters for REPLAY.INFO.
  std::uint64_t inserts() const { return inserts_; }
  std::uint64_t samples() const { return samples_; }
  std::uint64_t updates() const { return updates_; }
  std::uint64_t stale_updates() const { return stale_updates_; }
  std::uint64_t evictions() const { return evictions_; }
  std::uint64_t removals() const { return removals_; }
  std::uint64_t next_id() const;
  double insert_rate_per_s() const { return insert_rate_; }
  double sample_rate_per_s() const { return sample_rate_; }
  // inserts * SPI - samples since the limiter was last configured (REPLAY.CREATE or
  // REPLAY.CONFIG): the quantity the rate limiter keeps within bounds.
  double rate_diff() const;

  // REPLAY.CONFIG: new samples-per-insert limits (SPI 0 turns limiting off). The limiter starts
  // over: its insert and sample counts restart at 0, so the new ratio holds from now on and the
  // table's history (a preload of demos or old data) is not held against it. An error sentence
  // and nothing changed when the limits are invalid; else empty.
  std::string Reconfigure(double samples_per_insert, std::uint64_t min_size, double tolerance);

  // Exactly-once producers. A producer's sequence is the number of items its sequenced inserts
  // got into this table (0 for a producer never seen). Producers idle for kProducerIdleMs are
  // forgotten on the next advance (deterministically: the time is replicated). O(log producers).
  static constexpr std::int64_t kProducerIdleMs = 7LL * 24 * 3600 * 1000;
  static constexpr std::size_t kMaxProducerIdBytes = 256;
  std::uint64_t ProducerSequence(std::string_view producer) const;
  // Sets the producer's sequence to `sequence`, seen at `now_ms`. O(producers).
  void AdvanceProducer(std::string_view producer, std::uint64_t sequence, std::int64_t now_ms);
  struct Producer {
    std::string id;
    std::uint64_t sequence = 0;
    std::int64_t last_ms = 0;
  };
  // Sorted by id.
  const std::vector<Producer, ModuleAllocator<Producer>>& producers() const { return producers_; }

  // Slots allocated at first, and the slots allocated once `used` have been taken: the
  // allocation is a function of the slots used, so a restored table allocates the same.
  static constexpr std::size_t kInitialSlots = 1024;
  static std::size_t SlotsFor(std::uint64_t capacity, std::size_t used);
  // The metadata (items and tree, no payloads) a full table of these options holds: what
  // REPLAY.CREATE checks against the server's memory.
  static std::uint64_t FullMetadataBytes(const TableOptions& options);

  // Bytes this table holds (structures and payloads), for MEMORY USAGE.
  std::size_t MemoryBytes() const;

  // Serialization: one header blob, then the items in slot order as blobs of at most
  // `max_items` items. Restore validates everything and reports one sentence on error.
  std::string SerializeHeader() const;
  // Calls `emit` with consecutive blobs of at most `max_items` items (never all at once: a
  // table may hold gigabytes).
  void SerializeItems(std::size_t max_items,
                      const std::function<void(std::string_view blob)>& emit) const;
  static std::unique_ptr<ReplayTable> RestoreHeader(std::string_view blob, std::string* error);
  bool RestoreItems(std::string_view blob, std::string* error);

  // Does the table hold exactly the same state (items, counters, tree)? For tests and DEBUG.
  bool SameContents(const ReplayTable& other) const;

 private:
#pragma pack(push, 4)
  struct Item {
    std::uint64_t id = 0;  // 0: empty slot
    double priority = 0.0;
    const char* payload = nullptr;  // a handle in arena_
    std::uint32_t times_sampled = 0;
    std::uint32_t tags = 0;
    std::uint32_t policy_version = 0;
  };
#pragma pack(pop)
  static_assert(sizeof(Item) == 36, "item metadata is part of the memory budget");

  double LeafMass(std::size_t slot) const override;
  double LeafPriority(std::size_t slot) const override;
  void MaybeCompact();
  bool ring_fifo() const {
    return options_.eviction == Eviction::kFifo && options_.max_times_sampled == 0;
  }

  // Items and p^alpha mass per distinct tag set, for tag mixtures without a scan.
  struct TagStats {
    std::uint64_t count = 0;
    long double mass = 0.0L;
  };

  double Mass(double priority) const;
  void AddTagMass(std::uint32_t tags, double mass, int count_delta);
  std::size_t SlotOf(std::uint64_t id) const { return static_cast<std::size_t>(id & slot_mask_); }
  const Item* Find(std::uint64_t id) const;
  std::size_t TakeSlot();          // a free slot, allocating more or evicting when full
  void GrowTo(std::size_t slots);  // allocates slots up to `slots`; O(slots)
  // Frees the slot and its payload; `update_tree` false when the caller refills the slot at once.
  void Remove(std::size_t slot, bool update_tree = true);
  void Place(std::size_t slot, Item item);

  TableOptions options_;
  // The format version of the data being restored (item blobs do not repeat it).
  std::uint32_t restore_version_;
  unsigned slot_bits_;
  std::uint64_t slot_mask_;
  std::vector<Item, ModuleAllocator<Item>> items_;
  SumTree tree_;
  PayloadArena arena_;
  // FIFO order: without removals the slots fill and empty as a ring (ring_next_ is the oldest);
  // with MAX_TIMES_SAMPLED removals, ids in insertion order.
  std::size_t ring_next_ = 0;
  std::deque<std::uint64_t, ModuleAllocator<std::uint64_t>> fifo_;
  std::vector<std::uint32_t, ModuleAllocator<std::uint32_t>> free_slots_;
  std::size_t next_unused_slot_ = 0;
  std::size_t size_ = 0;
  std::uint64_t next_seq_ = 1;
  double running_max_ = 1.0;

  std::uint64_t inserts_ = 0;
  std::uint64_t samples_ = 0;
  // The rate limiter's counts: inserts_ and samples_ since it was last configured.
  std::uint64_t limiter_inserts_ = 0;
  std::uint64_t limiter_samples_ = 0;
  std::uint64_t updates_ = 0;
  std::uint64_t stale_updates_ = 0;
  std::uint64_t evictions_ = 0;
  std::uint64_t removals_ = 0;
  // Observed rates for the rate limiter's retry-after (not persisted: they re-learn quickly).
  double insert_rate_ = 0.0;
  double sample_rate_ = 0.0;
  std::int64_t last_insert_ms_ = 0;
  std::int64_t last_sample_ms_ = 0;
  std::vector<Producer, ModuleAllocator<Producer>> producers_;
  std::vector<std::pair<std::uint32_t, TagStats>,
              ModuleAllocator<std::pair<std::uint32_t, TagStats>>>
      tag_stats_;  // sorted by tag set; few entries in practice (combinations of events)
};

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_REPLAY_TABLE_H_
