#include "replay_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace tarmac::replay {
namespace {

std::vector<NewItem> Items(const std::vector<double>& priorities, std::uint32_t tags = 0) {
  static std::vector<std::string> payloads;
  std::vector<NewItem> items;
  for (double p : priorities) {
    payloads.push_back("payload-" + std::to_string(p));
    items.push_back({p, tags, payloads.back()});
  }
  return items;
}

TableOptions Options(std::uint64_t capacity, double alpha = 0.6) {
  TableOptions o;
  o.capacity = capacity;
  o.alpha = alpha;
  return o;
}

TEST(ReplayTableTest, IdsAreMonotonicAndCarryTheirSlot) {
  ReplayTable table(Options(3));
  std::vector<std::uint64_t> ids = table.Insert(Items({1, 2, 3, 4, 5}), 1, 100);
  ASSERT_EQ(ids.size(), 5U);
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);
  EXPECT_EQ(table.size(), 3U);
  EXPECT_EQ(table.evictions(), 2U);
}

TEST(ReplayTableTest, FifoEvictsOldestFirst) {
  ReplayTable table(Options(3, 1.0));
  std::vector<std::uint64_t> ids = table.Insert(Items({1, 2, 3}), 1, 100);
  table.Insert(Items({4}), 1, 101);
  EXPECT_FALSE(table.Update(ids[0], 1.0)) << "the oldest item was evicted";
  EXPECT_TRUE(table.Update(ids[1], 1.0));
  EXPECT_EQ(table.stale_updates(), 1U);
  EXPECT_DOUBLE_EQ(table.total_mass(), 1.0 + 3.0 + 4.0);
}

TEST(ReplayTableTest, MinPriorityEvictsTheLowestPriority) {
  TableOptions o = Options(3, 1.0);
  o.eviction = Eviction::kMinPriority;
  ReplayTable table(o);
  std::vector<std::uint64_t> ids = table.Insert(Items({5, 0.5, 3}), 1, 100);
  table.Insert(Items({4}), 1, 101);
  EXPECT_FALSE(table.Update(ids[1], 1.0)) << "priority 0.5 was the minimum";
  EXPECT_TRUE(table.Update(ids[0], 5.0));
  EXPECT_TRUE(table.Update(ids[2], 3.0));
}

TEST(ReplayTableTest, StaleUpdateNeverTouchesTheItemThatReusedTheSlot) {
  ReplayTable table(Options(2, 1.0));
  std::vector<std::uint64_t> old_ids = table.Insert(Items({1, 1}), 1, 100);
  std::vector<std::uint64_t> new_ids = table.Insert(Items({2, 2}), 1, 101);  // same slots
  EXPECT_FALSE(table.Update(old_ids[0], 100.0));
  EXPECT_FALSE(table.Update(old_ids[1], 100.0));
  EXPECT_DOUBLE_EQ(table.total_mass(), 4.0) << "the new items keep their priorities";
  EXPECT_EQ(table.stale_updates(), 2U);
}

TEST(ReplayTableTest, MissingPriorityTakesTheRunningMaximum) {
  ReplayTable table(Options(10, 1.0));
  table.Insert(Items({0.5, 7.0}), 1, 100);
  std::vector<NewItem> no_priority = {{std::nullopt, 0, "x"}};
  table.Insert(no_priority, 1, 101);
  EXPECT_DOUBLE_EQ(table.total_mass(), 0.5 + 7.0 + 7.0);
  EXPECT_DOUBLE_EQ(table.running_max_priority(), 7.0);
}

TEST(ReplayTableTest, ImportanceWeightsFollowSchaul) {
  const std::vector<double> priorities = {0.2, 1.0, 3.0, 0.7, 5.0};
  const double alpha = 0.6, beta = 0.4;
  ReplayTable table(Options(8, alpha));
  table.Insert(Items(priorities), 1, 100);
  double total = 0, min_mass = 1e300;
  for (double p : priorities) {
    total += std::pow(p, alpha);
    min_mass = std::min(min_mass, std::pow(p, alpha));
  }
  const double n = static_cast<double>(priorities.size());
  const double max_weight = std::pow(n * min_mass / total, -beta);
  std::mt19937_64 rng(1);
  ReplayTable::SampleResult result = table.Sample(64, beta, {}, rng);
  ASSERT_TRUE(result.error.empty()) << result.error;
  for (const SampledItem& item : result.items) {
    const double p = std::pow(item.priority, alpha) / total;
    EXPECT_NEAR(item.probability, p, 1e-12);
    EXPECT_NEAR(item.weight, std::pow(n * p, -beta) / max_weight, 1e-9);
    EXPECT_LE(item.weight, 1.0 + 1e-12);
  }
}

TEST(ReplayTableTest, MaxTimesSampledRemovesItems) {
  TableOptions o = Options(10, 1.0);
  o.max_times_sampled = 2;
  ReplayTable table(o);
  std::vector<std::uint64_t> ids = table.Insert(Items({1, 1, 1}), 1, 100);
  table.MarkSampled({ids[0], ids[1]}, 200);
  EXPECT_EQ(table.size(), 3U);
  table.MarkSampled({ids[0]}, 201);
  EXPECT_EQ(table.size(), 2U);
  EXPECT_EQ(table.removals(), 1U);
  EXPECT_FALSE(table.Update(ids[0], 1.0));
  EXPECT_EQ(table.samples(), 3U);
}

TEST(ReplayTableTest, RateLimiterAdmitsTheConfiguredRatio) {
  TableOptions o = Options(100000, 1.0);
  o.samples_per_insert = 4.0;
  o.min_size = 10;
  o.tolerance = 8.0;
  ReplayTable table(o);
  // Below MIN_SIZE inserts are free and samples refused.
  EXPECT_FALSE(table.CanSample(1, 0).admitted);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(table.CanInsert(1, i).admitted);
    table.Insert(Items({1}), 1, i);
  }
  // A greedy producer and consumer: each inserts or samples one item whenever admitted.
  std::uint64_t inserted = 0, sampled = 0;
  std::vector<std::uint64_t> any_id = table.Insert(Items({1}), 1, 20);
  ++inserted;
  for (int round = 0; round < 20000; ++round) {
    if (table.CanInsert(1, 1000 + round).admitted) {
      table.Insert(Items({1}), 1, 1000 + round);
      ++inserted;
    }
    while (table.CanSample(1, 1000 + round).admitted) {
      table.MarkSampled({any_id[0]}, 1000 + round);
      ++sampled;
    }
  }
  // Exactly the ratio, up to the tolerance band.
  EXPECT_NEAR(static_cast<double>(sampled), 4.0 * static_cast<double>(inserted + 10) - 40.0,
              o.tolerance + 4.0);
  EXPECT_GT(inserted, 1000U);
  const Admission refused = table.CanInsert(1000, 5000);
  EXPECT_FALSE(refused.admitted);
  EXPECT_GE(refused.retry_after_ms, 1);
}

TEST(ReplayTableTest, TagMixtureProbabilitiesAreExact) {
  ReplayTable table(Options(16, 1.0));
  table.Insert(Items({1, 2}, /*tags=*/1), 1, 100);  // mass 3 with tag bit 0
  table.Insert(Items({4, 1}, /*tags=*/2), 1, 100);  // mass 5 with tag bit 1
  table.Insert(Items({2}, /*tags=*/3), 1, 100);     // mass 2 with both
  std::mt19937_64 rng(5);
  // 25 % from tag bit 0 (mass 5), 75 % from everything (mass 10).
  ReplayTable::SampleResult result = table.Sample(200, 0.4, {{1, 0.25}, {0, 0.75}}, rng);
  ASSERT_TRUE(result.error.empty()) << result.error;
  double max_weight_seen = 0;
  for (const SampledItem& item : result.items) {
    const double in_tag = (item.tags & 1) ? 0.25 * item.priority / 5.0 : 0.0;
    EXPECT_NEAR(item.probability, in_tag + 0.75 * item.priority / 10.0, 1e-12);
    max_weight_seen = std::max(max_weight_seen, item.weight);
  }
  EXPECT_LE(max_weight_seen, 1.0 + 1e-12);
}

TEST(ReplayTableTest, EmptyOrMasslessTablesRefuseToSample) {
  ReplayTable table(Options(4, 1.0));
  std::mt19937_64 rng(1);
  EXPECT_EQ(table.Sample(1, 0.4, {}, rng).error, "the table is empty");
  table.Insert(Items({0.0}), 1, 1);
  EXPECT_EQ(table.Sample(1, 0.4, {}, rng).error, "the table holds no priority mass");
  table.Insert(Items({1.0}, 1), 1, 1);
  EXPECT_THAT(table.Sample(1, 0.4, {{4, 1.0}}, rng).error, ::testing::HasSubstr("mask 4"));
}

TEST(ReplayTableTest, SerializationRestoresTheSameTable) {
  TableOptions o = Options(5, 0.7);
  o.max_times_sampled = 3;
  ReplayTable table(o);
  std::vector<std::uint64_t> ids = table.Insert(Items({1, 2, 3, 4, 5, 6, 7}, 2), 9, 100);
  table.MarkSampled({ids[4], ids[4], ids[4], ids[5]}, 150);  // removes ids[4]
  table.Update(ids[6], 0.25);
  table.Update(ids[0], 1.0);  // stale

  std::string error;
  std::unique_ptr<ReplayTable> copy = ReplayTable::RestoreHeader(table.SerializeHeader(), &error);
  ASSERT_TRUE(copy) << error;
  table.SerializeItems(
      2, [&](std::string_view blob) { ASSERT_TRUE(copy->RestoreItems(blob, &error)) << error; });
  EXPECT_TRUE(table.SameContents(*copy));

  // And the same future: same ids, same draws.
  std::mt19937_64 a(42), b(42);
  auto sa = table.Sample(20, 0.5, {}, a);
  auto sb = copy->Sample(20, 0.5, {}, b);
  ASSERT_EQ(sa.items.size(), sb.items.size());
  for (std::size_t i = 0; i < sa.items.size(); ++i) EXPECT_EQ(sa.items[i].id, sb.items[i].id);
  EXPECT_EQ(table.Insert(Items({1}), 1, 200), copy->Insert(Items({1}), 1, 200));
}

TEST(ReplayTableTest, RestoresVersionThreeDataWithInsertionTimes) {
  // Version 3 wrote each item's insertion time (never read, since dropped); its data still loads.
  ReplayTable table(Options(8, 0.6));
  table.Insert(Items({1.5, 0.25}, 5), 7, 100);
  std::string header = table.SerializeHeader();
  const std::uint32_t three = 3;
  header.replace(0, 4, reinterpret_cast<const char*>(&three), 4);
  std::string items;
  table.SerializeItems(10, [&](std::string_view blob) { items = std::string(blob); });
  // Each item: id 8, priority 8, times 4, tags 4, version 4, then (v3) insert_s 4, payload.
  std::string v3;
  std::string_view rest = items;
  while (!rest.empty()) {
    v3.append(rest.substr(0, 28));
    v3.append("\x10\x27\x00\x00", 4);  // 10000 s
    std::uint32_t size = 0;
    std::memcpy(&size, rest.data() + 28, 4);
    v3.append(rest.substr(28, 4 + size));
    rest.remove_prefix(32 + size);
  }
  std::string error;
  std::unique_ptr<ReplayTable> copy = ReplayTable::RestoreHeader(header, &error);
  ASSERT_TRUE(copy) << error;
  ASSERT_TRUE(copy->RestoreItems(v3, &error)) << error;
  EXPECT_TRUE(table.SameContents(*copy));
  // Read as version 4, the same bytes are corrupt: the version decides the layout.
  std::unique_ptr<ReplayTable> as_v4 = ReplayTable::RestoreHeader(table.SerializeHeader(), &error);
  ASSERT_TRUE(as_v4);
  EXPECT_FALSE(as_v4->RestoreItems(v3, &error));
}

TEST(ReplayTableTest, CorruptSerializationIsRefused) {
  ReplayTable table(Options(4));
  table.Insert(Items({1, 2}), 1, 100);
  std::string header = table.SerializeHeader();
  std::string error;
  EXPECT_FALSE(ReplayTable::RestoreHeader(header.substr(0, header.size() - 3), &error));
  EXPECT_EQ(error, "replay table header is truncated or corrupt");
  header[0] = 9;
  EXPECT_FALSE(ReplayTable::RestoreHeader(header, &error));
  EXPECT_EQ(error, "replay table data has an unknown format version");

  std::unique_ptr<ReplayTable> copy = ReplayTable::RestoreHeader(table.SerializeHeader(), &error);
  ASSERT_TRUE(copy);
  table.SerializeItems(10, [&](std::string_view blob) {
    EXPECT_FALSE(copy->RestoreItems(blob.substr(0, blob.size() - 1), &error));
  });
}

TEST(TableOptionsTest, ValidateNamesTheProblem) {
  TableOptions o = Options(0);
  EXPECT_THAT(o.Validate(), ::testing::HasSubstr("CAPACITY"));
  o = Options(10, -1);
  EXPECT_THAT(o.Validate(), ::testing::HasSubstr("ALPHA"));
  o = Options(10);
  o.samples_per_insert = 4;
  o.tolerance = 1;
  EXPECT_THAT(o.Validate(), ::testing::HasSubstr("TOLERANCE must be at least SPI"));
}

}  // namespace
}  // namespace tarmac::replay
