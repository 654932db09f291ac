#include "replay_table.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace tarmac::replay {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// 2 added the producers' sequences after the FIFO ids; 1 is still read (no producers).
// 3: the rate limiter's own counts; 4: items without their insertion time (never read).
constexpr std::uint32_t kFormatVersion = 4;
// A tag-mixture component holding less than this share of the mass is refused: drawing from it
// by rejection would take too long.
constexpr double kMinComponentShare = 1e-4;
constexpr int kMaxRejections = 1 << 20;

unsigned BitsFor(std::uint64_t capacity) {
  unsigned bits = 1;
  while ((std::uint64_t{1} << bits) < capacity) ++bits;
  return bits;
}

// Little-endian byte writer/reader for the serialized form.
class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(std::uint32_t v) { Raw(&v, 4); }
  void U64(std::uint64_t v) { Raw(&v, 8); }
  void I64(std::int64_t v) { Raw(&v, 8); }
  void F64(double v) { Raw(&v, 8); }
  void Bytes(std::string_view b) {
    U32(static_cast<std::uint32_t>(b.size()));
    out_.append(b.data(), b.size());
  }
  std::string Take() { return std::move(out_); }

 private:
  void Raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(std::uint8_t* v) { return Raw(v, 1); }
  bool U32(std::uint32_t* v) { return Raw(v, 4); }
  bool U64(std::uint64_t* v) { return Raw(v, 8); }
  bool I64(std::int64_t* v) { return Raw(v, 8); }
  bool F64(double* v) { return Raw(v, 8); }
  bool Bytes(std::string_view* b) {
    std::uint32_t n = 0;
    if (!U32(&n) || in_.size() < n) return false;
    *b = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  bool Raw(void* p, std::size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

std::string FormatDouble(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

bool TableOptions::operator==(const TableOptions& o) const {
  return capacity == o.capacity && alpha == o.alpha && eviction == o.eviction &&
         max_times_sampled == o.max_times_sampled && samples_per_insert == o.samples_per_insert &&
         min_size == o.min_size && tolerance == o.tolerance;
}

std::string TableOptions::Describe() const {
  std::string s = "CAPACITY " + std::to_string(capacity) + " ALPHA " + FormatDouble(alpha) +
                  " EVICT " + (eviction == Eviction::kFifo ? "fifo" : "minprio") +
                  " MAX_TIMES_SAMPLED " + std::to_string(max_times_sampled);
  if (samples_per_insert > 0) {
    s += " SPI " + FormatDouble(samples_per_insert) + " MIN_SIZE " + std::to_string(min_size) +
         " TOLERANCE " + FormatDouble(tolerance);
  }
  return s;
}

std::string TableOptions::Validate() const {
  if (capacity == 0 || capacity > (std::uint64_t{1} << 32)) {
    return "CAPACITY must be between 1 and 4294967296";
  }
  if (!std::isfinite(alpha) || alpha < 0 || alpha > 10) return "ALPHA must be in [0, 10]";
  if (samples_per_insert < 0 || !std::isfinite(samples_per_insert)) {
    return "SPI must be a finite number >= 0 (0: no limit)";
  }
  if (!std::isfinite(tolerance) || tolerance < 0) return "TOLERANCE must be finite and >= 0";
  if (samples_per_insert > 0 && tolerance < samples_per_insert) {
    return "TOLERANCE must be at least SPI, or no insert could ever be admitted";
  }
  return "";
}

ReplayTable::ReplayTable(const TableOptions& options)
    : options_(options),
      restore_version_(kFormatVersion),
      slot_bits_(BitsFor(options.capacity)),
      slot_mask_((std::uint64_t{1} << slot_bits_) - 1),
      items_(SlotsFor(options.capacity, 0)),
      tree_(items_.size(), options.eviction == Eviction::kMinPriority, this) {}

std::size_t ReplayTable::SlotsFor(std::uint64_t capacity, std::size_t used) {
  std::size_t slots = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, kInitialSlots));
  while (slots < used)
    slots = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, 2 * slots));
  return slots;
}

std::uint64_t ReplayTable::FullMetadataBytes(const TableOptions& options) {
  return options.capacity * sizeof(Item) +
         SumTree::BytesFor(static_cast<std::size_t>(options.capacity),
                           options.eviction == Eviction::kMinPriority);
}

void ReplayTable::GrowTo(std::size_t slots) {
  if (slots <= items_.size()) return;
  // Exactly `slots`, so that a restored table holds what the original did.
  std::vector<Item, ModuleAllocator<Item>> bigger;
  bigger.reserve(slots);
  bigger.assign(items_.begin(), items_.end());
  bigger.resize(slots);
  items_.swap(bigger);
  tree_ = SumTree(slots, options_.eviction == Eviction::kMinPriority, this);
  tree_.Rebuild();
}

ReplayTable::~ReplayTable() = default;

double ReplayTable::LeafMass(std::size_t slot) const {
  return slot < items_.size() && items_[slot].id != 0 ? Mass(items_[slot].priority) : 0.0;
}

double ReplayTable::LeafPriority(std::size_t slot) const {
  return slot < items_.size() && items_[slot].id != 0 ? items_[slot].priority : kInf;
}

double ReplayTable::Mass(double priority) const {
  if (options_.alpha == 0.0) return 1.0;
  if (options_.alpha == 1.0) return priority;
  return std::pow(priority, options_.alpha);
}

void ReplayTable::AddTagMass(std::uint32_t tags, double mass, int count_delta) {
  auto it = std::lower_bound(tag_stats_.begin(), tag_stats_.end(), tags,
                             [](const auto& e, std::uint32_t t) { return e.first < t; });
  if (it == tag_stats_.end() || it->first != tags) it = tag_stats_.insert(it, {tags, TagStats{}});
  it->second.count =
      static_cast<std::uint64_t>(static_cast<std::int64_t>(it->second.count) + count_delta);
  it->second.mass += static_cast<long double>(mass);
  if (it->second.count == 0) tag_stats_.erase(it);  // exact zero, no drift left behind
}

const ReplayTable::Item* ReplayTable::Find(std::uint64_t id) const {
  if (id == 0) return nullptr;
  const std::size_t slot = SlotOf(id);
  if (slot >= items_.size() || items_[slot].id != id) return nullptr;
  return &items_[slot];
}

std::uint64_t ReplayTable::next_id() const { return (next_seq_ << slot_bits_); }

double ReplayTable::rate_diff() const {
  return static_cast<double>(limiter_inserts_) * options_.samples_per_insert -
         static_cast<double>(limiter_samples_);
}

std::string ReplayTable::Reconfigure(double samples_per_insert, std::uint64_t min_size,
                                     double tolerance) {
  TableOptions next = options_;
  next.samples_per_insert = samples_per_insert;
  next.min_size = min_size;
  next.tolerance = tolerance;
  if (std::string invalid = next.Validate(); !invalid.empty()) return invalid;
  options_ = next;
  limiter_inserts_ = 0;
  limiter_samples_ = 0;
  return "";
}

Admission ReplayTable::CanInsert(std::size_t n, std::int64_t /*now_ms*/) const {
  if (options_.samples_per_insert <= 0) return {};
  // Reverb's SampleToInsertRatio: below MIN_SIZE inserts are free; after, inserts may run ahead
  // of samples by at most TOLERANCE (in sample units) around MIN_SIZE * SPI.
  if (limiter_inserts_ + n <= options_.min_size) return {};
  const double max_diff =
      static_cast<double>(options_.min_size) * options_.samples_per_insert + options_.tolerance;
  const double after = rate_diff() + static_cast<double>(n) * options_.samples_per_insert;
  if (after <= max_diff) return {};
  const double samples_needed = after - max_diff;
  const double rate = sample_rate_ > 0 ? sample_rate_ : 1000.0;
  return {false,
          std::clamp<std::int64_t>(
              static_cast<std::int64_t>(std::ceil(1000.0 * samples_needed / rate)), 1, 5000)};
}

Admission ReplayTable::CanSample(std::size_t n, std::int64_t /*now_ms*/) const {
  if (options_.samples_per_insert <= 0) return {};
  const double rate = insert_rate_ > 0 ? insert_rate_ : 1000.0;
  if (size_ < options_.min_size) {
    const double inserts_needed = static_cast<double>(options_.min_size - size_);
    return {false,
            std::clamp<std::int64_t>(
                static_cast<std::int64_t>(std::ceil(1000.0 * inserts_needed / rate)), 1, 5000)};
  }
  const double min_diff =
      static_cast<double>(options_.min_size) * options_.samples_per_insert - options_.tolerance;
  const double after = rate_diff() - static_cast<double>(n);
  if (after >= min_diff) return {};
  const double inserts_needed = (min_diff - after) / options_.samples_per_insert;
  return {false,
          std::clamp<std::int64_t>(
              static_cast<std::int64_t>(std::ceil(1000.0 * inserts_needed / rate)), 1, 5000)};
}

std::size_t ReplayTable::TakeSlot() {
  if (size_ < options_.capacity) {
    if (!free_slots_.empty()) {
      const std::size_t slot = free_slots_.back();
      free_slots_.pop_back();
      return slot;
    }
    if (next_unused_slot_ == items_.size()) {
      GrowTo(SlotsFor(options_.capacity, next_unused_slot_ + 1));
    }
    return next_unused_slot_++;
  }
  std::size_t victim = 0;
  if (ring_fifo()) {
    victim = ring_next_;
    ring_next_ = (ring_next_ + 1) % options_.capacity;
  } else if (options_.eviction == Eviction::kFifo) {
    // The oldest live id; ids removed by MAX_TIMES_SAMPLED are skipped lazily.
    while (true) {
      const std::uint64_t id = fifo_.front();
      fifo_.pop_front();
      if (Find(id) != nullptr) {
        victim = SlotOf(id);
        break;
      }
    }
  } else {
    victim = tree_.ArgMinPriority();
  }
  ++evictions_;
  Remove(victim, /*update_tree=*/false);  // Place updates the tree for the new item
  free_slots_.pop_back();                 // Remove pushed it; it is taken right away
  return victim;
}

void ReplayTable::Remove(std::size_t slot, bool update_tree) {
  Item& item = items_[slot];
  AddTagMass(item.tags, -Mass(item.priority), -1);
  arena_.Release(item.payload);
  item = Item{};
  if (update_tree) tree_.Update(slot);
  free_slots_.push_back(static_cast<std::uint32_t>(slot));
  --size_;
}

void ReplayTable::Place(std::size_t slot, Item item) {
  AddTagMass(item.tags, Mass(item.priority), +1);
  items_[slot] = item;
  tree_.Update(slot);
  ++size_;
}

void ReplayTable::MaybeCompact() {
  if (!arena_.WantsCompaction()) return;
  // Move payloads out of mostly-dead blocks into fresh ones; emptied blocks are freed.
  arena_.SealHead();
  for (Item& item : items_) {
    if (item.id == 0 || !arena_.InSparseBlock(item.payload)) continue;
    const char* old = item.payload;
    item.payload = arena_.Store(PayloadArena::Read(old));
    arena_.Release(old);
  }
}

std::vector<std::uint64_t> ReplayTable::Insert(const std::vector<NewItem>& items,
                                               std::uint32_t policy_version, std::int64_t now_ms) {
  std::vector<std::uint64_t> ids;
  ids.reserve(items.size());
  for (const NewItem& in : items) {
    const double priority = in.priority.value_or(running_max_);
    running_max_ = std::max(running_max_, priority);
    const std::size_t slot = TakeSlot();
    Item item;
    item.id = (next_seq_++ << slot_bits_) | slot;
    item.priority = priority;
    item.payload = arena_.Store(in.payload);
    item.tags = in.tags;
    item.policy_version = policy_version;
    Place(slot, item);
    if (options_.eviction == Eviction::kFifo && !ring_fifo()) fifo_.push_back(item.id);
    ids.push_back(item.id);
  }
  inserts_ += items.size();
  limiter_inserts_ += items.size();
  MaybeCompact();
  // Ids of items removed by MAX_TIMES_SAMPLED wait in fifo_ until evicted; drop them before the
  // queue outgrows the table.
  if (fifo_.size() > 2 * options_.capacity + 16) {
    fifo_.erase(std::remove_if(fifo_.begin(), fifo_.end(),
                               [this](std::uint64_t id) { return Find(id) == nullptr; }),
                fifo_.end());
  }
  if (last_insert_ms_ > 0 && now_ms > last_insert_ms_) {
    const double rate =
        1000.0 * static_cast<double>(items.size()) / static_cast<double>(now_ms - last_insert_ms_);
    insert_rate_ = insert_rate_ > 0 ? 0.8 * insert_rate_ + 0.2 * rate : rate;
  }
  last_insert_ms_ = now_ms;
  return ids;
}

double ReplayTable::MaskMass(std::uint64_t mask) const {
  if (mask == 0) return tree_.Total();
  long double mass = 0.0L;
  for (const auto& [tags, stats] : tag_stats_) {
    if ((tags & mask) != 0) mass += stats.mass;
  }
  return static_cast<double>(mass);
}

ReplayTable::SampleResult ReplayTable::Sample(std::size_t n, double beta,
                                              const std::vector<TagComponent>& mixture,
                                              std::mt19937_64& rng) const {
  SampleResult result;
  const double total = tree_.Total();
  if (size_ == 0 || !(total > 0.0)) {
    result.error = size_ == 0 ? "the table is empty" : "the table holds no priority mass";
    result.code = buffer::ReplayErrorCode::kEmpty;
    return result;
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double count = static_cast<double>(size_);
  result.items.reserve(n);

  auto fill = [&](std::size_t slot, double probability, double max_weight) {
    const Item& item = items_[slot];
    SampledItem out;
    out.id = item.id;
    out.priority = item.priority;
    out.probability = probability;
    out.weight = buffer::ImportanceWeight(count, probability, beta, max_weight);
    out.payload = PayloadArena::Read(item.payload);
    out.policy_version = item.policy_version;
    out.times_sampled = item.times_sampled;
    out.tags = item.tags;
    result.items.push_back(out);
  };

  if (mixture.empty()) {
    // Stratified: one draw in each of n equal slices of the mass (Schaul et al. 2016).
    const double max_weight =
        buffer::MaxImportanceWeight(count, tree_.MinPositiveMass(), 1.0 / total, beta);
    const double slice = total / static_cast<double>(n);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t slot = tree_.Find((static_cast<double>(k) + uniform(rng)) * slice);
      fill(slot, LeafMass(slot) / total, max_weight);
    }
    return result;
  }

  double weight_sum = 0.0;
  for (const TagComponent& c : mixture) weight_sum += c.weight;
  std::vector<double> share(mixture.size()), mass(mixture.size());
  for (std::size_t k = 0; k < mixture.size(); ++k) {
    share[k] = mixture[k].weight / weight_sum;
    mass[k] = MaskMass(mixture[k].mask);
    if (share[k] > 0 && !(mass[k] > kMinComponentShare * total)) {
      result.error = "no items with tags in mask " + std::to_string(mixture[k].mask) +
                     " carry enough priority mass to sample from";
      result.code = buffer::ReplayErrorCode::kNoMatch;
      return result;
    }
  }
  // P(i) = m_i * MixtureFactor(tags_i); weights normalised by the table-wide bound.
  const auto mask_of = [&](std::size_t k) { return mixture[k].mask; };
  auto factor = [&](std::uint64_t tags) {
    return buffer::MixtureFactor(tags, mixture.size(), mask_of, share.data(), mass.data());
  };
  double min_factor = kInf;
  for (std::size_t k = 0; k < mixture.size(); ++k) {
    if (share[k] > 0) min_factor = std::min(min_factor, share[k] / mass[k]);
  }
  const double max_weight =
      buffer::MaxImportanceWeight(count, tree_.MinPositiveMass(), min_factor, beta);
  std::discrete_distribution<std::size_t> pick(share.begin(), share.end());
  for (std::size_t draw = 0; draw < n; ++draw) {
    const TagComponent& c = mixture[pick(rng)];
    std::size_t slot = 0;
    for (int attempt = 0;; ++attempt) {
      slot = tree_.Find(uniform(rng) * total);
      if (c.mask == 0 || (items_[slot].tags & c.mask) != 0) break;
      if (attempt == kMaxRejections) {
        result.items.clear();
        result.error = "sampling tag mask " + std::to_string(c.mask) + " found no match";
        result.code = buffer::ReplayErrorCode::kNoMatch;
        return result;
      }
    }
    fill(slot, LeafMass(slot) * factor(items_[slot].tags), max_weight);
  }
  return result;
}

void ReplayTable::MarkSampled(const std::vector<std::uint64_t>& ids, std::int64_t now_ms) {
  for (std::uint64_t id : ids) {
    if (Find(id) == nullptr) continue;  // removed by an earlier draw of the same batch
    Item& item = items_[SlotOf(id)];
    ++item.times_sampled;
    if (options_.max_times_sampled > 0 && item.times_sampled >= options_.max_times_sampled) {
      ++removals_;
      Remove(SlotOf(id));
    }
  }
  samples_ += ids.size();
  limiter_samples_ += ids.size();
  MaybeCompact();
  if (last_sample_ms_ > 0 && now_ms > last_sample_ms_) {
    const double rate =
        1000.0 * static_cast<double>(ids.size()) / static_cast<double>(now_ms - last_sample_ms_);
    sample_rate_ = sample_rate_ > 0 ? 0.8 * sample_rate_ + 0.2 * rate : rate;
  }
  last_sample_ms_ = now_ms;
}

bool ReplayTable::Update(std::uint64_t id, double priority) {
  const Item* found = Find(id);
  if (found == nullptr) {
    ++stale_updates_;
    return false;
  }
  const std::size_t slot = SlotOf(id);
  Item& item = items_[slot];
  const double old_mass = Mass(item.priority);
  item.priority = priority;
  tree_.Update(slot);
  AddTagMass(item.tags, Mass(priority) - old_mass, 0);
  running_max_ = std::max(running_max_, priority);
  ++updates_;
  return true;
}

std::uint64_t ReplayTable::ProducerSequence(std::string_view producer) const {
  auto it = std::lower_bound(producers_.begin(), producers_.end(), producer,
                             [](const Producer& p, std::string_view id) { return p.id < id; });
  return it != producers_.end() && it->id == producer ? it->sequence : 0;
}

void ReplayTable::AdvanceProducer(std::string_view producer, std::uint64_t sequence,
                                  std::int64_t now_ms) {
  producers_.erase(std::remove_if(producers_.begin(), producers_.end(),
                                  [&](const Producer& p) {
                                    return p.id != producer && now_ms - p.last_ms > kProducerIdleMs;
                                  }),
                   producers_.end());
  auto it = std::lower_bound(producers_.begin(), producers_.end(), producer,
                             [](const Producer& p, std::string_view id) { return p.id < id; });
  if (it == producers_.end() || it->id != producer) {
    it = producers_.insert(it, Producer{std::string(producer), 0, 0});
  }
  it->sequence = sequence;
  it->last_ms = now_ms;
}

std::size_t ReplayTable::MemoryBytes() const {
  // By size, not capacity, so that a restored table reports what the original did.
  std::size_t producer_bytes = producers_.size() * sizeof(Producer);
  for (const Producer& p : producers_) producer_bytes += p.id.size();
  return sizeof(*this) + producer_bytes + items_.capacity() * sizeof(Item) + tree_.MemoryBytes() +
         fifo_.size() * sizeof(std::uint64_t) + free_slots_.capacity() * sizeof(std::uint32_t) +
         tag_stats_.capacity() * sizeof(tag_stats_[0]) + arena_.allocated_bytes();
}

std::string ReplayTable::SerializeHeader() const {
  Writer w;
  w.U32(kFormatVersion);
  w.U64(options_.capacity);
  w.F64(options_.alpha);
  w.U8(static_cast<std::uint8_t>(options_.eviction));
  w.U32(options_.max_times_sampled);
  w.F64(options_.samples_per_insert);
  w.U64(options_.min_size);
  w.F64(options_.tolerance);
  w.U64(next_seq_);
  w.F64(running_max_);
  w.U64(next_unused_slot_);
  w.U64(inserts_);
  w.U64(samples_);
  w.U64(updates_);
  w.U64(stale_updates_);
  w.U64(evictions_);
  w.U64(removals_);
  w.U64(ring_next_);
  w.U64(free_slots_.size());
  for (std::uint32_t slot : free_slots_) w.U32(slot);
  w.U64(fifo_.size());
  for (std::uint64_t id : fifo_) w.U64(id);
  w.U64(producers_.size());
  for (const Producer& p : producers_) {
    w.Bytes(p.id);
    w.U64(p.sequence);
    w.I64(p.last_ms);
  }
  w.U64(limiter_inserts_);
  w.U64(limiter_samples_);
  return w.Take();
}

void ReplayTable::SerializeItems(std::size_t max_items,
                                 const std::function<void(std::string_view)>& emit) const {
  Writer w;
  std::size_t in_blob = 0;
  for (const Item& item : items_) {
    if (item.id == 0) continue;
    w.U64(item.id);
    w.F64(item.priority);
    w.U32(item.times_sampled);
    w.U32(item.tags);
    w.U32(item.policy_version);
    w.Bytes(PayloadArena::Read(item.payload));
    if (++in_blob == max_items) {
      emit(w.Take());
      w = Writer();
      in_blob = 0;
    }
  }
  if (in_blob > 0) emit(w.Take());
}

std::unique_ptr<ReplayTable> ReplayTable::RestoreHeader(std::string_view blob, std::string* error) {
  Reader r(blob);
  std::uint32_t version = 0;
  TableOptions o;
  std::uint8_t eviction = 0;
  if (!r.U32(&version) || version < 1 || version > kFormatVersion) {
    *error = "replay table data has an unknown format version";
    return nullptr;
  }
  if (!r.U64(&o.capacity) || !r.F64(&o.alpha) || !r.U8(&eviction) || !r.U32(&o.max_times_sampled) ||
      !r.F64(&o.samples_per_insert) || !r.U64(&o.min_size) || !r.F64(&o.tolerance) ||
      eviction > 1) {
    *error = "replay table header is truncated or corrupt";
    return nullptr;
  }
  o.eviction = static_cast<Eviction>(eviction);
  if (std::string invalid = o.Validate(); !invalid.empty()) {
    *error = "replay table header holds invalid options: " + invalid;
    return nullptr;
  }
  auto table = std::unique_ptr<ReplayTable>(new ReplayTable(o));
  table->restore_version_ = version;
  std::uint64_t next_unused = 0, free_count = 0, fifo_count = 0, ring_next = 0;
  bool ok = r.U64(&table->next_seq_) && r.F64(&table->running_max_) && r.U64(&next_unused) &&
            r.U64(&table->inserts_) && r.U64(&table->samples_) && r.U64(&table->updates_) &&
            r.U64(&table->stale_updates_) && r.U64(&table->evictions_) &&
            r.U64(&table->removals_) && r.U64(&ring_next) && ring_next < o.capacity &&
            r.U64(&free_count) && next_unused <= o.capacity && free_count <= o.capacity;
  table->ring_next_ = static_cast<std::size_t>(ring_next);
  table->next_unused_slot_ = static_cast<std::size_t>(next_unused);
  if (ok) table->GrowTo(SlotsFor(o.capacity, table->next_unused_slot_));
  for (std::uint64_t i = 0; ok && i < free_count; ++i) {
    std::uint32_t slot = 0;
    ok = r.U32(&slot) && slot < next_unused;
    table->free_slots_.push_back(slot);
  }
  ok = ok && r.U64(&fifo_count) && fifo_count <= std::uint64_t{4} * o.capacity + 1024;
  for (std::uint64_t i = 0; ok && i < fifo_count; ++i) {
    std::uint64_t id = 0;
    ok = r.U64(&id);
    table->fifo_.push_back(id);
  }
  std::uint64_t producer_count = 0;
  if (ok && version >= 2) ok = r.U64(&producer_count) && producer_count <= (1U << 24);
  for (std::uint64_t i = 0; ok && i < producer_count; ++i) {
    std::string_view id;
    Producer p;
    ok = r.Bytes(&id) && !id.empty() && id.size() <= kMaxProducerIdBytes && r.U64(&p.sequence) &&
         r.I64(&p.last_ms) && (table->producers_.empty() || table->producers_.back().id < id);
    p.id = std::string(id);
    table->producers_.push_back(std::move(p));
  }
  // Before version 3 the limiter counted the table's whole history.
  table->limiter_inserts_ = table->inserts_;
  table->limiter_samples_ = table->samples_;
  if (ok && version >= 3) {
    ok = r.U64(&table->limiter_inserts_) && r.U64(&table->limiter_samples_) &&
         table->limiter_inserts_ <= table->inserts_ && table->limiter_samples_ <= table->samples_;
  }
  if (!ok || !r.done()) {
    *error = "replay table header is truncated or corrupt";
    return nullptr;
  }
  return table;
}

bool ReplayTable::RestoreItems(std::string_view blob, std::string* error) {
  // Parse and check every item first: a bad blob changes nothing.
  Reader r(blob);
  std::vector<std::pair<Item, std::string_view>> parsed;
  std::vector<bool> taken(items_.size(), false);
  while (!r.done()) {
    Item item;
    std::string_view payload;
    std::uint32_t insert_s = 0;  // before version 4; dropped
    if (!r.U64(&item.id) || !r.F64(&item.priority) || !r.U32(&item.times_sampled) ||
        !r.U32(&item.tags) || !r.U32(&item.policy_version) ||
        (restore_version_ < 4 && !r.U32(&insert_s)) || !r.Bytes(&payload)) {
      *error = "replay item data is truncated or corrupt";
      return false;
    }
    const std::size_t slot = SlotOf(item.id);
    if (item.id == 0 || slot >= items_.size() || items_[slot].id != 0 || taken[slot] ||
        !std::isfinite(item.priority) || item.priority < 0) {
      *error = "replay item data holds an invalid or duplicate item";
      return false;
    }
    taken[slot] = true;
    parsed.emplace_back(item, payload);
  }
  for (auto& [item, payload] : parsed) {
    item.payload = arena_.Store(payload);
    Place(SlotOf(item.id), item);
  }
  return true;
}

bool ReplayTable::SameContents(const ReplayTable& o) const {
  if (!(options_ == o.options_) || size_ != o.size_ || next_seq_ != o.next_seq_ ||
      running_max_ != o.running_max_ || inserts_ != o.inserts_ || samples_ != o.samples_ ||
      limiter_inserts_ != o.limiter_inserts_ || limiter_samples_ != o.limiter_samples_ ||
      updates_ != o.updates_ || stale_updates_ != o.stale_updates_ || evictions_ != o.evictions_ ||
      removals_ != o.removals_ || next_unused_slot_ != o.next_unused_slot_ ||
      free_slots_ != o.free_slots_ || fifo_ != o.fifo_ || ring_next_ != o.ring_next_ ||
      producers_.size() != o.producers_.size() || tree_.Total() != o.tree_.Total()) {
    return false;
  }
  for (std::size_t i = 0; i < producers_.size(); ++i) {
    const Producer& a = producers_[i];
    const Producer& b = o.producers_[i];
    if (a.id != b.id || a.sequence != b.sequence || a.last_ms != b.last_ms) return false;
  }
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const Item& a = items_[i];
    const Item& b = o.items_[i];
    if (a.id != b.id || a.priority != b.priority || a.times_sampled != b.times_sampled ||
        a.tags != b.tags || a.policy_version != b.policy_version ||
        (a.id != 0 && PayloadArena::Read(a.payload) != PayloadArena::Read(b.payload))) {
      return false;
    }
  }
  return true;
}

}  // namespace tarmac::replay
