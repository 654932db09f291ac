// The tarmac_replay module inside a real redis-server: sampling statistics, importance weights,
// eviction, rate limiting, persistence (RDB, AOF, DEBUG RELOAD), replication, bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "chi_square.h"
#include "redis_server.h"

namespace tarmac::replay {
namespace {

using ::testing::HasSubstr;
using testing::RedisServer;
using ::testing::StartsWith;

struct Drawn {
  std::uint64_t id;
  double priority, probability, weight;
  std::string payload;
  std::uint64_t tags;
};

double D(const redisReply* r) { return std::strtod(std::string(r->str, r->len).c_str(), nullptr); }

std::vector<Drawn> Sample(RedisServer& server, std::vector<std::string> args) {
  RedisServer::Reply reply = server.Run(args);
  EXPECT_TRUE(reply && reply->type == REDIS_REPLY_ARRAY) << testing::ReplyText(reply.get());
  std::vector<Drawn> out;
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 2; i < reply->elements; ++i) {
    const redisReply* e = reply->element[i];
    out.push_back({static_cast<std::uint64_t>(e->element[0]->integer), D(e->element[1]),
                   D(e->element[2]), D(e->element[3]),
                   std::string(e->element[4]->str, e->element[4]->len),
                   static_cast<std::uint64_t>(e->element[7]->integer)});
  }
  return out;
}

std::unique_ptr<RedisServer> StartServer(RedisServer::Options options = {}) {
  auto server = RedisServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Inserts items with the given priorities and tags; their ids.
std::vector<std::uint64_t> Insert(RedisServer& server, const std::string& table,
                                  const std::vector<double>& priorities,
                                  const std::vector<std::uint64_t>& tags = {}) {
  std::vector<std::string> args = {"REPLAY.INSERT", table, "VERSION", "3",
                                   std::to_string(priorities.size())};
  for (std::size_t i = 0; i < priorities.size(); ++i) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", priorities[i]);
    args.push_back(buffer);
    args.push_back(std::to_string(tags.empty() ? 0 : tags[i]));
    args.push_back("payload-" + std::to_string(i));
  }
  RedisServer::Reply reply = server.Run(args);
  std::vector<std::uint64_t> ids;
  EXPECT_EQ(reply->type, REDIS_REPLY_ARRAY) << testing::ReplyText(reply.get());
  for (std::size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; ++i) {
    ids.push_back(static_cast<std::uint64_t>(reply->element[i]->integer));
  }
  return ids;
}

std::vector<double> TestPriorities(std::size_t n) {
  std::vector<double> p;
  for (std::size_t i = 0; i < n; ++i) p.push_back(0.05 + static_cast<double>((i * 37) % 23) / 4);
  return p;
}

// Draws `total` items in batches and tests the counts against `expected_probability` by id.
void ExpectDistribution(RedisServer& server, std::vector<std::string> sample_args,
                        const std::map<std::uint64_t, double>& expected_probability, int total) {
  std::map<std::uint64_t, double> counts;
  const int batch = 10000;
  sample_args.insert(sample_args.begin() + 2, std::to_string(batch));
  for (int drawn = 0; drawn < total; drawn += batch) {
    for (const Drawn& d : Sample(server, sample_args)) counts[d.id] += 1;
  }
  std::vector<double> observed, expected;
  for (const auto& [id, p] : expected_probability) {
    if (p == 0) {
      EXPECT_EQ(counts[id], 0) << "an item with probability 0 was drawn";
      continue;
    }
    observed.push_back(counts[id]);
    expected.push_back(p * total);
  }
  const testing::ChiSquare chi = testing::PearsonChiSquare(observed, expected);
  EXPECT_GT(chi.p_value, 1e-3) << "chi2 " << chi.statistic << " with " << chi.dof << " dof";
}

class SamplingDistributionTest : public ::testing::TestWithParam<double> {};

TEST_P(SamplingDistributionTest, MillionDrawsMatchExactProbabilities) {
  const double alpha = GetParam();
  auto server = StartServer();
  ASSERT_TRUE(server);
  char alpha_text[32];
  std::snprintf(alpha_text, sizeof(alpha_text), "%g", alpha);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100", "ALPHA", alpha_text}), "OK");
  const std::vector<double> priorities = TestPriorities(40);
  const std::vector<std::uint64_t> ids = Insert(*server, "rl", priorities);
  double total = 0;
  for (double p : priorities) total += std::pow(p, alpha);
  std::map<std::uint64_t, double> expected;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    expected[ids[i]] = std::pow(priorities[i], alpha) / total;
  }
  ExpectDistribution(*server, {"REPLAY.SAMPLE", "rl", "BETA", "0.4", "SEED", "11"}, expected,
                     1'000'000);
}

INSTANTIATE_TEST_SUITE_P(Alphas, SamplingDistributionTest, ::testing::Values(0.0, 0.6, 1.0),
                         [](const ::testing::TestParamInfo<double>& info) {
                           return "Alpha" + std::to_string(static_cast<int>(info.param * 10));
                         });

TEST(ReplayModuleTest, TagMixtureMatchesExactProbabilities) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100", "ALPHA", "1"}), "OK");
  const std::vector<double> priorities = TestPriorities(30);
  std::vector<std::uint64_t> tags;
  for (std::size_t i = 0; i < priorities.size(); ++i) tags.push_back(i % 5 == 0 ? 4 : i % 3);
  const std::vector<std::uint64_t> ids = Insert(*server, "rl", priorities, tags);
  // 25 % from items tagged bit 2 ("cut_in"), 75 % from all items.
  double all = 0, tagged = 0;
  for (std::size_t i = 0; i < priorities.size(); ++i) {
    all += priorities[i];
    if (tags[i] & 4) tagged += priorities[i];
  }
  std::map<std::uint64_t, double> expected;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    expected[ids[i]] =
        0.75 * priorities[i] / all + ((tags[i] & 4) ? 0.25 * priorities[i] / tagged : 0.0);
  }
  ExpectDistribution(*server, {"REPLAY.SAMPLE", "rl", "TAGS", "4", "0.25", "0", "0.75"}, expected,
                     1'000'000);
  // The reported probabilities are the mixture's exact ones.
  for (const Drawn& d :
       Sample(*server, {"REPLAY.SAMPLE", "rl", "50", "TAGS", "4", "1", "0", "3"})) {
    EXPECT_NEAR(d.probability, expected.at(d.id), 1e-12);
    EXPECT_LE(d.weight, 1.0);
  }
}

TEST(ReplayModuleTest, ImportanceWeightsEqualTheFormula) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "64", "ALPHA", "0.6"}), "OK");
  const std::vector<double> priorities = TestPriorities(25);
  Insert(*server, "rl", priorities);
  double total = 0, min_mass = 1e300;
  for (double p : priorities) {
    total += std::pow(p, 0.6);
    min_mass = std::min(min_mass, std::pow(p, 0.6));
  }
  const double n = 25, beta = 0.7;
  const double max_weight = std::pow(n * min_mass / total, -beta);
  for (const Drawn& d : Sample(*server, {"REPLAY.SAMPLE", "rl", "500", "BETA", "0.7"})) {
    const double p = std::pow(d.priority, 0.6) / total;
    EXPECT_NEAR(d.probability, p, 1e-12);
    EXPECT_NEAR(d.weight, std::pow(n * p, -beta) / max_weight, 1e-9);
  }
}

TEST(ReplayModuleTest, StaleUpdatesAreSkippedAndCounted) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "2", "ALPHA", "1"}), "OK");
  const std::vector<std::uint64_t> old_ids = Insert(*server, "rl", {1, 1});
  const std::vector<std::uint64_t> new_ids = Insert(*server, "rl", {2, 3});  // evicts both
  EXPECT_EQ(server->RunText({"REPLAY.UPDATE", "rl", "3", std::to_string(old_ids[0]), "50",
                             std::to_string(old_ids[1]), "50", std::to_string(new_ids[0]), "4"}),
            "[1, 2]");
  const std::string info = server->RunText({"REPLAY.INFO", "rl"});
  EXPECT_THAT(info, HasSubstr("total_mass, 7"));
  EXPECT_THAT(info, HasSubstr("stale_updates, 2"));
  EXPECT_THAT(info, HasSubstr("evictions, 2"));
}

TEST(ReplayModuleTest, EvictionOrderFollowsThePolicy) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "fifo", "CAPACITY", "3", "ALPHA", "1"}), "OK");
  ASSERT_EQ(
      server->RunText({"REPLAY.CREATE", "minp", "CAPACITY", "3", "ALPHA", "1", "EVICT", "minprio"}),
      "OK");
  for (const char* table : {"fifo", "minp"}) {
    const bool fifo = std::string(table) == "fifo";
    const std::vector<std::uint64_t> ids = Insert(*server, table, {5, 1, 3});
    Insert(*server, table, {4});
    // One of the three is gone: FIFO evicted the first item (priority 5), min-priority the item
    // of priority 1. UPDATE says which ids are still there: [applied, stale].
    EXPECT_EQ(server->RunText({"REPLAY.UPDATE", table, "1", std::to_string(ids[0]), "5"}),
              fifo ? "[0, 1]" : "[1, 0]");
    EXPECT_EQ(server->RunText({"REPLAY.UPDATE", table, "1", std::to_string(ids[1]), "1"}),
              fifo ? "[1, 0]" : "[0, 1]");
    EXPECT_EQ(server->RunText({"REPLAY.UPDATE", table, "1", std::to_string(ids[2]), "3"}),
              "[1, 0]");
    EXPECT_THAT(server->RunText({"REPLAY.MASS", table}), StartsWith(fifo ? "[3, 8" : "[3, 12"));
  }
}

TEST(ReplayModuleTest, MaxTimesSampledRemovesItems) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "10", "MAX_TIMES_SAMPLED", "1"}),
            "OK");
  Insert(*server, "rl", {1, 1, 1, 1});
  std::size_t drawn = 0;
  for (int i = 0; i < 10 && drawn < 100; ++i) {
    RedisServer::Reply r = server->Run({"REPLAY.SAMPLE", "rl", "1"});
    if (r->type == REDIS_REPLY_ERROR) break;
    ++drawn;
  }
  EXPECT_EQ(drawn, 4U) << "each item can be drawn once";
  EXPECT_THAT(server->RunText({"REPLAY.INFO", "rl"}), HasSubstr("removals, 4"));
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "rl", "1"}), HasSubstr("the table is empty"));
}

TEST(ReplayModuleTest, RateLimiterRepliesWithRetryAfter) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "1000", "SPI", "2", "MIN_SIZE", "5",
                             "TOLERANCE", "4"}),
            "OK");
  Insert(*server, "rl", {1, 1, 1});
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "rl", "1"}), StartsWith("RATELIMITED "));
  Insert(*server, "rl", {1, 1});
  // diff = 5 inserts * 2 = 10; min_diff = 5*2 - 4 = 6: four samples pass, the fifth waits.
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "rl", "1"}), StartsWith("[5, ")) << i;
  }
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "rl", "1"}), StartsWith("RATELIMITED "));
  // max_diff = 14: inserts may run ahead by 4 items (diff 6 -> 14), then wait for samples.
  Insert(*server, "rl", {1, 1, 1, 1});
  EXPECT_THAT(server->RunText({"REPLAY.INSERT", "rl", "VERSION", "1", "1", "1", "0", "x"}),
              StartsWith("RATELIMITED "));
}

// The field `name` of REPLAY.INFO's reply, as text.
std::string InfoField(RedisServer& server, const std::string& table, const std::string& name) {
  auto reply = server.Run({"REPLAY.INFO", table});
  for (std::size_t i = 0; reply && i + 1 < reply->elements; i += 2) {
    if (reply->element[i]->str != name) continue;
    const redisReply* v = reply->element[i + 1];
    return v->type == REDIS_REPLY_INTEGER ? std::to_string(v->integer)
                                          : std::string(v->str, v->len);
  }
  return "";
}

TEST(ReplayModuleTest, RateLimitsChangeWhileTheTableRunsAndBadValuesChangeNothing) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "demos", "CAPACITY", "1000"}), "OK");
  Insert(*server, "demos", std::vector<double>(10, 1.0));  // a preload, sampled freely
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "demos", "20"}), StartsWith("[10, "));
  ASSERT_EQ(
      server->RunText({"REPLAY.CONFIG", "demos", "SPI", "2", "MIN_SIZE", "0", "TOLERANCE", "4"}),
      "OK");
  EXPECT_EQ(InfoField(*server, "demos", "rate_limited"), "1");
  EXPECT_EQ(InfoField(*server, "demos", "rate_diff"), "0") << "the preload is not held against it";
  // diff 0, min_diff 0 * 2 - 4: four samples pass, the fifth waits for inserts.
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "demos", "1"}), StartsWith("[10, ")) << i;
  }
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "demos", "1"}), StartsWith("RATELIMITED "));
  Insert(*server, "demos", {1.0});  // diff -4 -> -2: two more samples
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "demos", "2"}), StartsWith("[11, "));
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "demos", "1"}), StartsWith("RATELIMITED "));

  // Bad input: one error each, and the table's limits and counts as they were.
  const std::string before = server->RunText({"REPLAY.INFO", "demos"});
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"REPLAY.CONFIG", "demos", "SPI", "-1"}, "ERR SPI must be a number >= 0 (0: no limit)"},
      {{"REPLAY.CONFIG", "demos", "SPI", "nan"}, "ERR SPI must be a number >= 0 (0: no limit)"},
      {{"REPLAY.CONFIG", "demos", "MIN_SIZE", "-3"}, "ERR MIN_SIZE must be an integer >= 0"},
      {{"REPLAY.CONFIG", "demos", "TOLERANCE", "inf"}, "ERR TOLERANCE must be a number >= 0"},
      {{"REPLAY.CONFIG", "demos", "SPI", "8"},
       "ERR TOLERANCE must be at least SPI, or no insert could ever be admitted; table 'demos' "
       "is unchanged"},
      {{"REPLAY.CONFIG", "demos", "ALPHA", "1"},
       "ERR unknown option 'ALPHA'; REPLAY.CONFIG takes SPI, MIN_SIZE, TOLERANCE"},
      {{"REPLAY.CONFIG", "nosuch", "SPI", "1"}, "no replay table 'nosuch'"},
      {{"REPLAY.CONFIG", "demos", "SPI"}, "wrong number of arguments"},
  };
  for (const auto& [command, error] : refused) {
    EXPECT_THAT(server->RunText(command), HasSubstr(error)) << command[2];
    EXPECT_EQ(server->RunText({"REPLAY.INFO", "demos"}), before) << command[2];
  }

  // SPI 0 switches limiting off.
  ASSERT_EQ(server->RunText({"REPLAY.CONFIG", "demos", "SPI", "0"}), "OK");
  EXPECT_EQ(InfoField(*server, "demos", "rate_limited"), "0");
  EXPECT_THAT(server->RunText({"REPLAY.SAMPLE", "demos", "50"}), StartsWith("[11, "));
}

// INFO and a seeded draw: what must survive reloads, restarts and replication.
struct Snapshot {
  std::string info;
  std::string mass;
  std::vector<std::uint64_t> draw_ids;
  std::vector<std::string> draw_payloads;
  bool operator==(const Snapshot& o) const {
    return info == o.info && mass == o.mass && draw_ids == o.draw_ids &&
           draw_payloads == o.draw_payloads;
  }
};

Snapshot Take(RedisServer& server) {
  Snapshot s;
  s.info = server.RunText({"REPLAY.INFO", "rl"});
  s.mass = server.RunText({"REPLAY.MASS", "rl", "1", "2"});
  // The draw changes times_sampled and counters: compare snapshots taken at the same point of
  // the same history.
  for (const Drawn& d :
       Sample(server, {"REPLAY.SAMPLE", "rl", "64", "SEED", "2024", "TAGS", "1", "1", "0", "1"})) {
    s.draw_ids.push_back(d.id);
    s.draw_payloads.push_back(d.payload);
  }
  return s;
}

// A history with every kind of write: inserts with and without priority, updates (one stale),
// samples (with removals), evictions.
void WriteHistory(RedisServer& server) {
  ASSERT_EQ(server.RunText({"REPLAY.CREATE", "rl", "CAPACITY", "40", "ALPHA", "0.6",
                            "MAX_TIMES_SAMPLED", "5"}),
            "OK");
  std::vector<std::uint64_t> tags;
  for (int i = 0; i < 30; ++i) tags.push_back(i % 3);
  const std::vector<std::uint64_t> ids = Insert(server, "rl", TestPriorities(30), tags);
  // Pacing switched on while it runs: the limiter counts from here (INFO's rate_diff shows it).
  ASSERT_EQ(
      server.RunText({"REPLAY.CONFIG", "rl", "SPI", "2", "MIN_SIZE", "0", "TOLERANCE", "1000000"}),
      "OK");
  Insert(server, "rl", TestPriorities(20), std::vector<std::uint64_t>(20, 1));
  ASSERT_EQ(server
                .RunText({"REPLAY.INSERT", "rl", "VERSION", "9", "2", "*", "2", "star-a", "*", "0",
                          "star-b"})
                .front(),
            '[');
  // Two sequenced producers (exactly-once inserts), one of them twice.
  for (const auto& [producer, seq] : std::vector<std::pair<std::string, std::string>>{
           {"actor-a", "0"}, {"actor-b", "0"}, {"actor-a", "2"}}) {
    ASSERT_EQ(server
                  .RunText({"REPLAY.INSERT", "rl", "PRODUCER", producer, "SEQ", seq, "VERSION", "4",
                            "2", "1.5", "0", producer + "-x", "*", "1", producer + "-y"})
                  .front(),
              '[');
  }
  server.RunText(
      {"REPLAY.UPDATE", "rl", "2", std::to_string(ids[0]), "9", std::to_string(ids[15]), "0.01"});
  for (int i = 0; i < 5; ++i)
    server.RunText({"REPLAY.SAMPLE", "rl", "30", "SEED", std::to_string(i)});
}

// Every producer's sequence, as REPLAY.PRODUCER lists them.
std::string Producers(RedisServer& server) { return server.RunText({"REPLAY.PRODUCER", "rl"}); }

TEST(ReplayPersistenceTest, DebugReloadKeepsEverything) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  WriteHistory(*server);
  const std::string before = server->RunText({"REPLAY.INFO", "rl"});
  ASSERT_EQ(Producers(*server), "[actor-a, 4, actor-b, 2]");
  ASSERT_EQ(server->RunText({"DEBUG", "RELOAD"}), "OK");
  EXPECT_EQ(server->RunText({"REPLAY.INFO", "rl"}), before);
  EXPECT_EQ(Producers(*server), "[actor-a, 4, actor-b, 2]");
  const Snapshot after_reload = Take(*server);
  // A second server fed the same history and not reloaded draws the same stream.
  auto twin = StartServer();
  ASSERT_TRUE(twin);
  WriteHistory(*twin);
  EXPECT_TRUE(Take(*twin) == after_reload);
}

TEST(ReplayPersistenceTest, RestartFromRdbKeepsEverything) {
  testing::TempDir dir;
  RedisServer::Options options;
  options.dir = dir.path();
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  WriteHistory(*server);
  const std::string info = server->RunText({"REPLAY.INFO", "rl"});
  ASSERT_EQ(server->RunText({"SAVE"}), "OK");
  server->Kill(SIGKILL);
  auto restarted = StartServer(options);
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->RunText({"REPLAY.INFO", "rl"}), info);
  EXPECT_EQ(Producers(*restarted), "[actor-a, 4, actor-b, 2]");
  auto twin = StartServer();
  ASSERT_TRUE(twin);
  WriteHistory(*twin);
  EXPECT_TRUE(Take(*restarted) == Take(*twin));
}

TEST(ReplayPersistenceTest, RestartFromAofLosesNothingAcknowledged) {
  testing::TempDir dir;
  RedisServer::Options options;
  options.dir = dir.path();
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  WriteHistory(*server);
  const std::string info = server->RunText({"REPLAY.INFO", "rl"});
  server->Kill(SIGKILL);  // no shutdown save: only the AOF remains
  auto restarted = StartServer(options);
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->RunText({"REPLAY.INFO", "rl"}), info);
  EXPECT_EQ(Producers(*restarted), "[actor-a, 4, actor-b, 2]");

  // Rewrite the AOF (REPLAY._RESTORE records), keep writing, crash, restart.
  ASSERT_THAT(restarted->RunText({"BGREWRITEAOF"}), HasSubstr("rewriting"));
  for (int i = 0; i < 200; ++i) {
    if (absl::StrContains(restarted->RunText({"INFO", "persistence"}),
                          "aof_rewrite_in_progress:0")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  Insert(*restarted, "rl", {2.5, 0.5}, {1, 2});
  ASSERT_EQ(restarted
                ->RunText({"REPLAY.INSERT", "rl", "PRODUCER", "actor-b", "SEQ", "2", "VERSION", "4",
                           "1", "2", "0", "after-rewrite"})
                .front(),
            '[');
  const Snapshot expected = Take(*restarted);
  restarted->Kill(SIGKILL);
  auto again = StartServer(options);
  ASSERT_TRUE(again);
  // The header of the rewritten AOF and the sequenced insert after it both survive.
  EXPECT_EQ(Producers(*again), "[actor-a, 4, actor-b, 3]");
  // Take() drew once more before the crash; that draw was acknowledged and must be in the AOF.
  Snapshot after = Take(*again);
  EXPECT_NE(after.info, expected.info) << "the draw taken before the crash was persisted";
  auto twin = StartServer();
  ASSERT_TRUE(twin);
  WriteHistory(*twin);
  Insert(*twin, "rl", {2.5, 0.5}, {1, 2});
  twin->RunText({"REPLAY.INSERT", "rl", "PRODUCER", "actor-b", "SEQ", "2", "VERSION", "4", "1", "2",
                 "0", "after-rewrite"});
  Take(*twin);
  EXPECT_TRUE(Take(*twin) == after);
}

// A primary and a replica of it whose link is up.
void StartPrimaryAndReplica(bool replica_read_only, std::unique_ptr<RedisServer>* primary,
                            std::unique_ptr<RedisServer>* replica) {
  RedisServer::Options primary_options;
  primary_options.extra_args = {"--repl-diskless-sync-delay", "0"};
  *primary = StartServer(primary_options);
  if (!*primary) return;
  RedisServer::Options replica_options;
  replica_options.extra_args = {"--replicaof", "127.0.0.1", std::to_string((*primary)->port()),
                                "--replica-read-only", replica_read_only ? "yes" : "no"};
  *replica = StartServer(replica_options);
  for (int i = 0; *replica && i < 200; ++i) {
    if (absl::StrContains((*replica)->RunText({"INFO", "replication"}), "master_link_status:up")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

TEST(ReplayReplicationTest, ReplicaHoldsIdenticalContents) {
  std::unique_ptr<RedisServer> primary, replica;
  StartPrimaryAndReplica(/*replica_read_only=*/false, &primary, &replica);
  ASSERT_TRUE(primary && replica);
  WriteHistory(*primary);
  EXPECT_EQ(primary->RunText({"WAIT", "1", "5000"}), "1");
  EXPECT_EQ(replica->RunText({"REPLAY.INFO", "rl"}), primary->RunText({"REPLAY.INFO", "rl"}));
  EXPECT_EQ(Producers(*replica), "[actor-a, 4, actor-b, 2]");
  EXPECT_EQ(Producers(*primary), Producers(*replica));
  // Sampling on each (the replica accepts writes here only to compare draws); the replica first,
  // before the primary's draw reaches it.
  const Snapshot on_replica = Take(*replica);
  EXPECT_TRUE(Take(*primary) == on_replica);
}

// SAMPLE and UPDATE are "may-replicate" rather than "write" (so a primary that cannot persist
// still serves the learner); on a read-only replica they refuse themselves as writes are
// refused, and what the primary sends them still applies.
TEST(ReplayReplicationTest, AReadOnlyReplicaRefusesSampleAndUpdateButFollowsThePrimary) {
  std::unique_ptr<RedisServer> primary, replica;
  StartPrimaryAndReplica(/*replica_read_only=*/true, &primary, &replica);
  ASSERT_TRUE(primary && replica);
  WriteHistory(*primary);
  ASSERT_EQ(primary->RunText({"WAIT", "1", "5000"}), "1");
  const std::string info = replica->RunText({"REPLAY.INFO", "rl"});
  EXPECT_EQ(replica->RunText({"REPLAY.SAMPLE", "rl", "4"}),
            "READONLY REPLAY.SAMPLE changes the table; run it on the primary, not on a read-only "
            "replica");
  EXPECT_THAT(replica->RunText({"REPLAY.UPDATE", "rl", "1", "0", "3"}),
              StartsWith("READONLY REPLAY.UPDATE"));
  EXPECT_EQ(replica->RunText({"REPLAY.INFO", "rl"}), info);
  // The primary's sample and update reach the replica.
  ASSERT_EQ(primary->Run({"REPLAY.SAMPLE", "rl", "4"})->type, REDIS_REPLY_ARRAY);
  ASSERT_THAT(primary->RunText({"REPLAY.UPDATE", "rl", "1", "0", "3"}), StartsWith("["));
  ASSERT_EQ(primary->RunText({"WAIT", "1", "5000"}), "1");
  EXPECT_EQ(replica->RunText({"REPLAY.INFO", "rl"}), primary->RunText({"REPLAY.INFO", "rl"}));
  EXPECT_NE(replica->RunText({"REPLAY.INFO", "rl"}), info);
}

struct BadInput {
  std::vector<std::string> args;
  std::string error;
};

TEST(ReplayModuleTest, BadInputIsOneErrorAndChangesNothing) {
  RedisServer::Options options;
  options.module_args = "MAX_PAYLOAD 16";
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "10"}), "OK");
  Insert(*server, "rl", {1, 2});
  ASSERT_EQ(server->RunText({"SET", "plain", "x"}), "OK");
  const std::vector<BadInput> cases = {
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "1", "nan", "0", "x"},
       "ERR priority of item 0 is 'nan'; priorities must be finite numbers >= 0 or *"},
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "2", "1", "0", "x", "inf", "0", "y"},
       "ERR priority of item 1 is 'inf'; priorities must be finite numbers >= 0 or *"},
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "1", "-1", "0", "x"},
       "ERR priority of item 0 is '-1'; priorities must be finite numbers >= 0 or *"},
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "2", "1", "0", "x"},
       "ERR expected 2 items of [priority tags payload] (6 arguments) but got 3 arguments"},
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "1", "1", "0", std::string(17, 'p')},
       "ERR payload of item 0 is 17 bytes, over the module's MAX_PAYLOAD of 16"},
      {{"REPLAY.INSERT", "rl", "VERSION", "x", "1", "1", "0", "p"},
       "ERR VERSION must be an unsigned 32-bit integer, not 'x'"},
      {{"REPLAY.INSERT", "rl", "VERSON", "1", "1", "1", "0", "p"},
       "ERR expected [PRODUCER id SEQ n] VERSION v after the table name, not 'VERSON'"},
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "1", "1", "-3", "p"},
       "ERR tags of item 0 must be an unsigned 32-bit mask, not '-3'"},
      {{"REPLAY.INSERT", "rl", "VERSION", "1", "1", "1", "4294967296", "p"},
       "ERR tags of item 0 must be an unsigned 32-bit mask, not '4294967296'"},
      {{"REPLAY.INSERT", "nope", "VERSION", "1", "1", "1", "0", "p"},
       "NOTABLE no replay table 'nope'; create it with REPLAY.CREATE"},
      {{"REPLAY.INSERT", "plain", "VERSION", "1", "1", "1", "0", "p"},
       "WRONGTYPE Operation against a key holding the wrong kind of value"},
      {{"REPLAY.INSERT", "rl"}, "ERR wrong number of arguments for 'replay.insert' command"},
      {{"REPLAY.SAMPLE", "rl", "0"},
       "ERR sample count must be an integer between 1 and 1048576, not '0'"},
      {{"REPLAY.SAMPLE", "rl", "1", "BETA", "2"}, "ERR BETA must be a number in [0, 1], not '2'"},
      {{"REPLAY.SAMPLE", "rl", "1", "GAMMA", "2"},
       "ERR unknown or incomplete option 'GAMMA'; REPLAY.SAMPLE takes BETA b, SEED s, TAGS mask "
       "weight ..., PACKED"},
      {{"REPLAY.SAMPLE", "rl", "1", "TAGS", "1", "nan"},
       "ERR TAGS weight must be a finite number >= 0, not 'nan'"},
      {{"REPLAY.SAMPLE", "rl", "1", "TAGS", "8", "1"},
       "NOMATCH cannot sample: no items with tags in mask 8 carry enough priority mass to sample "
       "from"},
      {{"REPLAY.UPDATE", "rl", "1", "1", "nan"},
       "ERR priority of update 0 is 'nan'; priorities must be finite numbers >= 0"},
      {{"REPLAY.UPDATE", "rl", "2", "1", "1"},
       "ERR expected 2 [id priority] pairs (4 arguments) but got 2 arguments"},
      {{"REPLAY.UPDATE", "rl", "1", "abc", "1"},
       "ERR id of update 0 must be an unsigned integer, not 'abc'"},
      {{"REPLAY.CREATE", "rl", "CAPACITY", "11"},
       "MISMATCH replay table 'rl' exists with other settings (CAPACITY 10 ALPHA 0.6 EVICT fifo "
       "MAX_TIMES_SAMPLED 0)"},
      {{"REPLAY.CREATE", "t2", "CAPACITY", "0"},
       "ERR CAPACITY must be an integer between 1 and 4294967296, not '0'"},
      {{"REPLAY.CREATE", "t2", "CAPACITY", "5", "EVICT", "lifo"},
       "ERR EVICT must be fifo or minprio, not 'lifo'"},
      {{"REPLAY.CREATE", "t2", "CAPACITY", "5", "SPI", "2"},
       "ERR rate limiting needs all of SPI, MIN_SIZE and TOLERANCE"},
      {{"REPLAY.CREATE", "t2", "CAPACITY", "5", "COLOUR", "red"},
       "ERR unknown option 'COLOUR'; REPLAY.CREATE takes CAPACITY, ALPHA, EVICT, "
       "MAX_TIMES_SAMPLED, SPI, MIN_SIZE, TOLERANCE"},
      {{"REPLAY.CREATE", "plain", "CAPACITY", "5"},
       "WRONGTYPE Operation against a key holding the wrong kind of value"},
      {{"REPLAY.INFO", "nope"}, "NOTABLE no replay table 'nope'; create it with REPLAY.CREATE"},
      {{"REPLAY.INSERT", "rl", "PRODUCER", "p", "VERSION", "1", "1", "1", "0", "x"},
       "ERR PRODUCER id needs SEQ n after it"},
      {{"REPLAY.INSERT", "rl", "PRODUCER", "p", "SEQ", "-1", "VERSION", "1", "1", "1", "0", "x"},
       "ERR SEQ must be an unsigned integer, not '-1'"},
      {{"REPLAY.INSERT", "rl", "PRODUCER", std::string(300, 'p'), "SEQ", "0", "VERSION", "1", "1",
        "1", "0", "x"},
       "ERR PRODUCER id must be 1 to 256 bytes, not 300"},
      {{"REPLAY.INSERT", "rl", "PRODUCER", "p", "SEQ", "5", "VERSION", "1", "1", "1", "0", "x"},
       "SEQ 0 producer 'p' of table 'rl' is at sequence 0, not 5; read it with REPLAY.PRODUCER"},
      {{"REPLAY.INSERT", "rl", "PRODUCER", "p", "SEQ", "0", "VERSION", "1", "1", "nan", "0", "x"},
       "ERR priority of item 0 is 'nan'; priorities must be finite numbers >= 0 or *"},
      {{"REPLAY.PRODUCER", "nope", "p"},
       "NOTABLE no replay table 'nope'; create it with REPLAY.CREATE"},
      {{"REPLAY._RESTORE", "rl", "ITEMS", "garbage"},
       "ERR replay item data is truncated or corrupt"},
      {{"REPLAY._RESTORE", "t3", "HEADER", "garbage!"},
       "ERR replay table data has an unknown format version"},
  };
  const std::string info_before = server->RunText({"REPLAY.INFO", "rl"});
  const std::string keys_before = server->RunText({"DBSIZE"});
  for (const BadInput& c : cases) {
    RedisServer::Reply reply = server->Run(c.args);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->type, REDIS_REPLY_ERROR) << c.args[0];
    EXPECT_EQ(testing::ReplyText(reply.get()), c.error);
    EXPECT_EQ(server->RunText({"REPLAY.INFO", "rl"}), info_before) << c.error;
    EXPECT_EQ(server->RunText({"DBSIZE"}), keys_before) << c.error;
  }
}

TEST(ReplayProducerTest, SequencedInsertIsAppliedOnceAndRefusedOutOfOrder) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100"}), "OK");
  auto insert = [&](const std::string& seq, int n) {
    std::vector<std::string> args = {"REPLAY.INSERT", "rl", "PRODUCER",       "w1", "SEQ", seq,
                                     "VERSION",       "7",  std::to_string(n)};
    for (int i = 0; i < n; ++i) args.insert(args.end(), {"*", "0", "item-" + std::to_string(i)});
    return server->RunText(args);
  };
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "w1"}), "0");
  EXPECT_EQ(insert("0", 3).front(), '[');
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "w1"}), "3");
  // The same batch again (a retry after a lost reply): refused, carrying the current sequence.
  const std::string info = server->RunText({"REPLAY.INFO", "rl"});
  EXPECT_THAT(insert("0", 3), StartsWith("SEQ 3 "));
  // Ahead of the sequence (a batch lost in between): refused too.
  EXPECT_THAT(insert("5", 1), StartsWith("SEQ 3 "));
  EXPECT_EQ(server->RunText({"REPLAY.INFO", "rl"}), info) << "a refused batch changed the table";
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "w1"}), "3");
  EXPECT_EQ(insert("3", 2).front(), '[');
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "w1"}), "5");
  // Plain inserts neither need nor move a sequence; other producers are independent.
  Insert(*server, "rl", {1.0});
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "w1"}), "5");
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "rl", "w2"}), "0");
  EXPECT_EQ(Producers(*server), "[w1, 5]");
  EXPECT_THAT(server->RunText({"REPLAY.INFO", "rl"}), HasSubstr("size, 6,"));
  // A refused batch under the rate limiter leaves the sequence where it was.
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "lim", "CAPACITY", "100", "SPI", "1", "MIN_SIZE", "1",
                             "TOLERANCE", "1"}),
            "OK");
  auto limited = [&](const std::string& seq) {
    return server->RunText(
        {"REPLAY.INSERT", "lim", "PRODUCER", "w1", "SEQ", seq, "VERSION", "1", "1", "*", "0", "x"});
  };
  EXPECT_EQ(limited("0").front(), '[');
  EXPECT_EQ(limited("1").front(), '[');
  EXPECT_THAT(limited("2"), StartsWith("RATELIMITED "));
  EXPECT_EQ(server->RunText({"REPLAY.PRODUCER", "lim", "w1"}), "2");
}

TEST(ReplayModuleTest, PlainDelRemovesTheTableAndItsMemory) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "10000"}), "OK");
  std::vector<std::string> insert = {"REPLAY.INSERT", "rl", "VERSION", "1", "2000"};
  for (int i = 0; i < 2000; ++i) {
    insert.insert(insert.end(), {"1", "0", std::string(1000, 'z')});
  }
  ASSERT_EQ(server->Run(insert)->type, REDIS_REPLY_ARRAY);
  auto used = [&] {
    const std::string info = server->RunText({"INFO", "memory"});
    const std::size_t at = info.find("used_memory:") + 12;
    return std::stoll(info.substr(at, info.find('\r', at) - at));
  };
  const long long full = used();
  EXPECT_EQ(server->RunText({"DEL", "rl"}), "1");
  EXPECT_LT(used(), full - 1'500'000) << "the payloads were freed";
  EXPECT_EQ(server->RunText({"REPLAY.INFO", "rl"}),
            "NOTABLE no replay table 'rl'; create it with REPLAY.CREATE");
  EXPECT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "5"}), "OK");
}

TEST(ReplayModuleTest, ACapacityThatCannotFitIsRefusedWithNothingAllocated) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  const std::string dbsize = server->RunText({"DBSIZE"});
  // No maxmemory: measured against the machine's memory (2^32 slots need 176 GiB of metadata).
  EXPECT_THAT(server->RunText({"REPLAY.CREATE", "big", "CAPACITY", "4294967296"}),
              StartsWith("TOOBIG a table of CAPACITY 4294967296 needs 180224 MiB for its item "
                         "metadata alone when full, but this server has "));
  // Under maxmemory 100mb, ten million slots (440 MB) cannot fit either.
  ASSERT_EQ(server->RunText({"CONFIG", "SET", "maxmemory", "100mb"}), "OK");
  EXPECT_THAT(
      server->RunText({"REPLAY.CREATE", "big", "CAPACITY", "10000000"}),
      ::testing::AllOf(StartsWith("TOOBIG a table of CAPACITY 10000000 needs 420 MiB"),
                       HasSubstr("left under maxmemory; lower CAPACITY or raise maxmemory")));
  EXPECT_EQ(server->RunText({"DBSIZE"}), dbsize) << "a refused table was created";
  EXPECT_EQ(server->RunText({"EXISTS", "big"}), "0");
  // One that fits is created.
  EXPECT_EQ(server->RunText({"REPLAY.CREATE", "big", "CAPACITY", "100000"}), "OK");
}

TEST(ReplayModuleTest, MemoryGrowsWithTheItemsNotWithTheCapacity) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "1000000"}), "OK");
  auto usage = [&] { return server->Run({"MEMORY", "USAGE", "rl"})->integer; };
  const long long empty = usage();
  // A million slots of metadata would be 44 MB; an empty table holds a few thousand.
  EXPECT_LT(empty, 1'000'000);
  std::vector<std::string> insert = {"REPLAY.INSERT", "rl", "VERSION", "1", "1000"};
  for (int i = 0; i < 1000; ++i) insert.insert(insert.end(), {"1", "0", std::string(100, 'x')});
  for (int round = 0; round < 20; ++round) ASSERT_EQ(server->Run(insert)->type, REDIS_REPLY_ARRAY);
  const long long filled = usage();
  // 20000 items of 100 bytes: payload plus ~60 bytes of metadata each, and at most one doubling
  // of slack (the allocation doubles as items arrive).
  EXPECT_GT(filled, 20000LL * 100);
  EXPECT_LT(filled, 20000LL * 100 + 2 * 32768LL * 60 + 1'000'000);
  // Sampling still follows the priorities after the table grew (all equal here: every item).
  RedisServer::Reply drawn = server->Run({"REPLAY.SAMPLE", "rl", "5", "SEED", "1"});
  ASSERT_EQ(drawn->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(drawn->element[0]->integer, 20000);
}

TEST(ReplayModuleTest, MemoryIsAccountedAndMaxmemoryApplies) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText({"REPLAY.CREATE", "rl", "CAPACITY", "100000"}), "OK");
  const std::string payload(600, 'x');
  std::vector<std::string> insert = {"REPLAY.INSERT", "rl", "VERSION", "1", "1000"};
  for (int i = 0; i < 1000; ++i) {
    insert.push_back("1");
    insert.push_back("0");
    insert.push_back(payload);
  }
  ASSERT_EQ(server->Run(insert)->type, REDIS_REPLY_ARRAY);
  RedisServer::Reply usage = server->Run({"MEMORY", "USAGE", "rl"});
  ASSERT_EQ(usage->type, REDIS_REPLY_INTEGER);
  EXPECT_GT(usage->integer, 1000 * 600);
  // Once Redis is over maxmemory, inserts (deny-oom) are refused and the table is unchanged.
  ASSERT_EQ(server->RunText({"CONFIG", "SET", "maxmemory", "1mb"}), "OK");
  const std::string info = server->RunText({"REPLAY.INFO", "rl"});
  EXPECT_THAT(server->RunText(insert), StartsWith("OOM"));
  EXPECT_EQ(server->RunText({"REPLAY.INFO", "rl"}), info);
}

}  // namespace
}  // namespace tarmac::replay
