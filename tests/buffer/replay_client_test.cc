// ReplayClient against real redis-servers: three shards sampled as one table, updates routed to
// the owning shard, AUTH, rate-limit back-off, unreachable shards, reconnect after a restart.
#include "tarmac/buffer/replay_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "chi_square.h"
#include "redis_server.h"

namespace tarmac::buffer {
namespace {

using ::testing::HasSubstr;
using testing::RedisServer;

struct Cluster {
  std::vector<std::unique_ptr<RedisServer>> servers;
  std::unique_ptr<ReplayClient> client;
};

Cluster StartCluster(int shards, RedisServer::Options options = {},
                     const std::string& password = "") {
  Cluster c;
  ReplayClientOptions client_options;
  for (int i = 0; i < shards; ++i) {
    auto server = RedisServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return c;
    ShardEndpoint endpoint = *ShardEndpoint::Parse((*server)->url());
    endpoint.password = password;
    client_options.shards.push_back(endpoint);
    c.servers.push_back(*std::move(server));
  }
  client_options.rate_limit_wait = std::chrono::milliseconds(400);
  auto client = ReplayClient::Connect(client_options);
  EXPECT_TRUE(client.ok()) << client.status();
  if (client.ok()) c.client = *std::move(client);
  return c;
}

struct Key {
  std::uint32_t shard;
  std::uint64_t id;
  bool operator<(const Key& o) const { return shard != o.shard ? shard < o.shard : id < o.id; }
};

TEST(ReplayClientTest, ThreeShardsSampleAsOneTable) {
  Cluster c = StartCluster(3);
  ASSERT_TRUE(c.client);
  TableSpec spec;
  spec.name = "rl";
  spec.capacity = 300;
  spec.alpha = 0.6;
  ASSERT_TRUE(c.client->CreateTable(spec).ok());

  // Different numbers of items and priorities per shard, so shard masses differ.
  std::map<Key, double> mass;
  double total = 0, min_mass = 1e300;
  std::vector<std::string> payloads(60);
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<InsertItem> items;
    const int count = 4 + 3 * batch;
    for (int i = 0; i < count; ++i) {
      const double p = 0.1 + batch + 0.37 * i;
      items.push_back({p, static_cast<std::uint64_t>(i % 2), "x"});
    }
    absl::StatusOr<std::vector<ItemKey>> keys = c.client->Insert("rl", 7, items);
    ASSERT_TRUE(keys.ok()) << keys.status();
    for (int i = 0; i < count; ++i) {
      const double m = std::pow(*items[i].priority, 0.6);
      mass[{(*keys)[i].shard, (*keys)[i].id}] = m;
      total += m;
      min_mass = std::min(min_mass, m);
    }
  }
  const double n = static_cast<double>(mass.size());

  std::map<Key, double> counts;
  const int draws = 1'000'000, batch = 10000;
  SampleOptions options;
  options.beta = 0.5;
  options.seed = 99;
  for (int drawn = 0; drawn < draws; drawn += batch) {
    absl::StatusOr<SampleBatch> sampled = c.client->Sample("rl", batch, options);
    ASSERT_TRUE(sampled.ok()) << sampled.status();
    options.seed.reset();
    ASSERT_EQ(sampled->items.size(), static_cast<std::size_t>(batch));
    EXPECT_EQ(sampled->table_size, mass.size());
    for (const SampledItem& item : sampled->items) {
      const double m = mass.at({item.key.shard, item.key.id});
      counts[{item.key.shard, item.key.id}] += 1;
      if (drawn == 0) {
        // Global probability and weight, to the formula.
        EXPECT_NEAR(item.probability, m / total, 1e-12);
        EXPECT_NEAR(item.weight,
                    std::pow(n * m / total, -0.5) / std::pow(n * min_mass / total, -0.5), 1e-9);
      }
    }
  }
  std::vector<double> observed, expected;
  for (const auto& [key, m] : mass) {
    observed.push_back(counts[key]);
    expected.push_back(draws * m / total);
  }
  const testing::ChiSquare chi = testing::PearsonChiSquare(observed, expected);
  EXPECT_GT(chi.p_value, 1e-3) << "chi2 " << chi.statistic << " dof " << chi.dof;
}

TEST(ReplayClientTest, TagMixtureAcrossShardsMatchesExactProbabilities) {
  Cluster c = StartCluster(3);
  ASSERT_TRUE(c.client);
  ASSERT_TRUE(c.client->CreateTable({"rl", 300, 1.0}).ok());
  std::map<Key, std::pair<double, std::uint64_t>> items_by_key;  // priority, tags
  double all = 0, tagged = 0;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<InsertItem> items;
    for (int i = 0; i < 10; ++i) {
      items.push_back({0.5 + i + batch, (i % 4 == 0) ? 8u : 1u, "x"});
    }
    auto keys = c.client->Insert("rl", 1, items);
    ASSERT_TRUE(keys.ok()) << keys.status();
    for (int i = 0; i < 10; ++i) {
      items_by_key[{(*keys)[i].shard, (*keys)[i].id}] = {*items[i].priority, items[i].tags};
      all += *items[i].priority;
      if (items[i].tags & 8) tagged += *items[i].priority;
    }
  }
  auto probability = [&](double p, std::uint64_t tags) {
    return 0.7 * p / all + ((tags & 8) ? 0.3 * p / tagged : 0.0);
  };
  SampleOptions options;
  options.tag_mixture = {{8, 0.3}, {0, 0.7}};
  options.seed = 5;
  std::map<Key, double> counts;
  const int draws = 300000, batch = 10000;
  for (int drawn = 0; drawn < draws; drawn += batch) {
    auto sampled = c.client->Sample("rl", batch, options);
    ASSERT_TRUE(sampled.ok()) << sampled.status();
    options.seed.reset();
    for (const SampledItem& item : sampled->items) {
      const auto& [p, tags] = items_by_key.at({item.key.shard, item.key.id});
      EXPECT_NEAR(item.probability, probability(p, tags), 1e-12);
      EXPECT_LE(item.weight, 1.0 + 1e-12);
      counts[{item.key.shard, item.key.id}] += 1;
    }
  }
  std::vector<double> observed, expected;
  for (const auto& [key, pt] : items_by_key) {
    observed.push_back(counts[key]);
    expected.push_back(draws * probability(pt.first, pt.second));
  }
  const testing::ChiSquare chi = testing::PearsonChiSquare(observed, expected);
  EXPECT_GT(chi.p_value, 1e-3) << "chi2 " << chi.statistic << " dof " << chi.dof;

  // A mixture asking for a tag no item carries is told apart from a table that cannot be
  // sampled at all.
  options.tag_mixture = {{64, 0.5}, {0, 0.5}};
  auto unservable = c.client->Sample("rl", 10, options);
  EXPECT_EQ(unservable.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsUnservableTagMixture(unservable.status())) << unservable.status();
  ASSERT_TRUE(c.client->CreateTable({"empty", 100, 0.6}).ok());
  auto empty = c.client->Sample("empty", 10, {});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(IsUnservableTagMixture(empty.status())) << empty.status();
}

TEST(ReplayClientTest, UpdatesGoToTheOwningShardAndStaleOnesAreCounted) {
  Cluster c = StartCluster(2);
  ASSERT_TRUE(c.client);
  ASSERT_TRUE(c.client->CreateTable({"rl", 4, 1.0}).ok());  // 2 per shard
  std::vector<InsertItem> two = {{1.0, 0, "a"}, {1.0, 0, "b"}};
  auto first = c.client->Insert("rl", 1, two);   // shard 0
  auto second = c.client->Insert("rl", 1, two);  // shard 1
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)[0].shard, 0U);
  EXPECT_EQ((*second)[0].shard, 1U);
  auto third = c.client->Insert("rl", 1, two);  // shard 0 again: evicts `first`
  ASSERT_TRUE(third.ok());
  std::vector<std::pair<ItemKey, double>> updates = {
      {(*first)[0], 5.0}, {(*second)[1], 5.0}, {(*third)[0], 2.0}};
  absl::StatusOr<UpdateResult> result = c.client->Update("rl", updates);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->applied, 2U);
  EXPECT_EQ(result->stale, 1U);
  auto info = c.client->Info("rl");
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(c.servers[1]->RunText({"REPLAY.MASS", "rl"}), HasSubstr("[2, 6"));
  EXPECT_THAT(c.servers[0]->RunText({"REPLAY.MASS", "rl"}), HasSubstr("[2, 3"));
}

TEST(ReplayClientTest, AuthenticatesWithAPassword) {
  RedisServer::Options options;
  options.password = "s3cret";
  Cluster c = StartCluster(1, options, "s3cret");
  ASSERT_TRUE(c.client);
  EXPECT_TRUE(c.client->CreateTable({"rl", 10}).ok());

  ReplayClientOptions wrong;
  wrong.shards = {
      *ShardEndpoint::Parse("redis://:nope@127.0.0.1:" + std::to_string(c.servers[0]->port()))};
  auto refused = ReplayClient::Connect(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("refused AUTH"));
}

TEST(ReplayClientTest, RateLimitedSamplesBackOffThenGiveUp) {
  Cluster c = StartCluster(1);
  ASSERT_TRUE(c.client);
  TableSpec spec{"rl", 100};
  spec.samples_per_insert = 1;
  spec.min_size = 2;
  spec.tolerance = 1;
  ASSERT_TRUE(c.client->CreateTable(spec).ok());
  std::vector<InsertItem> items = {{1.0, 0, "a"}, {1.0, 0, "b"}};
  ASSERT_TRUE(c.client->Insert("rl", 1, items).ok());
  EXPECT_TRUE(c.client->Sample("rl", 1).ok());
  absl::StatusOr<SampleBatch> limited = c.client->Sample("rl", 2);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(limited.status().message(), HasSubstr("still refuses samples"));
}

TEST(ReplayClientTest, UnreachableShardIsOneClearError) {
  ReplayClientOptions options;
  options.shards = {
      *ShardEndpoint::Parse("redis://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()))};
  options.connect_attempts = 2;
  auto client = ReplayClient::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(client.status().message(), HasSubstr("cannot connect to replay shard"));
}

TEST(ReplayClientTest, ReconnectsAfterTheServerRestarts) {
  testing::TempDir dir;
  RedisServer::Options options;
  options.dir = dir.path();
  options.port = testing::FreeLoopbackPort();
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  Cluster c = StartCluster(1, options);
  ASSERT_TRUE(c.client);
  ASSERT_TRUE(c.client->CreateTable({"rl", 10}).ok());
  std::vector<InsertItem> one = {{1.0, 0, "a"}};
  ASSERT_TRUE(c.client->Insert("rl", 1, one).ok());
  c.servers[0]->Kill(SIGKILL);
  EXPECT_EQ(c.client->Insert("rl", 1, one).status().code(), absl::StatusCode::kUnavailable);
  auto restarted = RedisServer::Start(options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  absl::StatusOr<std::vector<ItemKey>> after = c.client->Insert("rl", 1, one);
  ASSERT_TRUE(after.ok()) << after.status();
  auto info = c.client->Info("rl");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ((*info)[0][0], (std::pair<std::string, std::string>("size", "2")));
}

TEST(ReplayClientTest, InsertBatchesPipelinesAtomicBatches) {
  Cluster c = StartCluster(1);
  ASSERT_TRUE(c.client);
  ASSERT_TRUE(c.client->CreateTable({"rl", 100, 1.0}).ok());
  std::vector<InsertItem> a = {{1.0, 1, "a0"}, {2.0, 2, "a1"}};
  std::vector<InsertItem> b = {{std::nullopt, 4, "b0"}};
  const std::vector<absl::Span<const InsertItem>> batches = {a, b};
  auto keys = c.client->InsertBatches("rl", 3, batches);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2U);
  EXPECT_EQ((*keys)[0].size(), 2U);
  EXPECT_EQ((*keys)[1].size(), 1U);
  EXPECT_LT((*keys)[0][1].id, (*keys)[1][0].id);
  EXPECT_THAT(c.servers[0]->RunText({"REPLAY.MASS", "rl"}), HasSubstr("[3, 5"));

  // One bad item anywhere: nothing is sent.
  std::vector<InsertItem> bad = {{std::nan(""), 0, "x"}};
  const std::vector<absl::Span<const InsertItem>> mixed = {a, bad};
  auto refused = c.client->InsertBatches("rl", 3, mixed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("priority of item 0 of batch 1"));
  EXPECT_THAT(c.servers[0]->RunText({"REPLAY.MASS", "rl"}), HasSubstr("[3, 5"));
}

TEST(ReplayClientTest, TableWithOtherSettingsIsFailedPrecondition) {
  Cluster c = StartCluster(1);
  ASSERT_TRUE(c.client);
  ASSERT_TRUE(c.client->CreateTable({"rl", 10}).ok());
  EXPECT_TRUE(c.client->CreateTable({"rl", 10}).ok()) << "same settings: idempotent";
  absl::Status other = c.client->CreateTable({"rl", 20});
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.message(), HasSubstr("exists with other settings"));
}

TEST(ReplayClientTest, ModuleErrorCodesMapToStatusesInOnePlace) {
  Cluster c = StartCluster(1);
  ASSERT_TRUE(c.client);
  // NOTABLE
  auto missing = c.client->Sample("nope", 1);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("create it with REPLAY.CREATE"));
  EXPECT_FALSE(IsUnservableTagMixture(missing.status()));
  EXPECT_EQ(c.client->ProducedCount(0, "nope", "w").status().code(), absl::StatusCode::kNotFound);
  // MISMATCH
  ASSERT_TRUE(c.client->CreateTable({"rl", 10}).ok());
  EXPECT_EQ(c.client->CreateTable({"rl", 11}).code(), absl::StatusCode::kFailedPrecondition);
  // WRONGTYPE
  ASSERT_EQ(c.servers[0]->RunText({"SET", "plain", "x"}), "OK");
  EXPECT_EQ(c.client->Sample("plain", 1).status().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<InsertItem> one = {{1.0, 1, "a"}};
  ASSERT_TRUE(c.client->Insert("rl", 1, one).ok());
  // NOMATCH, sent to the module directly (the client checks masses first): marked unservable.
  SampleOptions mixture;
  mixture.tag_mixture = {{8, 1.0}};
  auto unservable = c.client->Sample("rl", 1, mixture);
  EXPECT_EQ(unservable.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsUnservableTagMixture(unservable.status()));
  // SEQ: the shard's sequence comes back with the refusal, and nothing is applied.
  const std::vector<SequencedBatch> batches = {{1, one}};
  SequencedResult first = c.client->InsertSequenced(0, "rl", "w", 0, batches);
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_EQ(first.counter, 1U);
  SequencedResult again = c.client->InsertSequenced(0, "rl", "w", 0, batches);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(again.applied_batches, 0U);
  EXPECT_EQ(again.counter, 1U);
  EXPECT_EQ(*c.client->ProducedCount(0, "rl", "w"), 1U);
  EXPECT_EQ(*c.client->ProducedCount(0, "rl", "other"), 0U);
  // RATELIMITED
  ASSERT_TRUE(c.client->CreateTable({"lim", 100, 0.6, "fifo", 0, 1.0, 1, 1.0}).ok());
  const std::vector<SequencedBatch> three = {{1, one}, {1, one}, {1, one}};
  SequencedResult limited = c.client->InsertSequenced(0, "lim", "w", 0, three);
  EXPECT_EQ(limited.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(limited.applied_batches, 2U);
  EXPECT_EQ(limited.counter, 2U);
  EXPECT_GT(limited.retry_after_ms, 0);
}

}  // namespace
}  // namespace tarmac::buffer
