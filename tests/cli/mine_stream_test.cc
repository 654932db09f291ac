// `tarmac mine --redis URL`: the rates of the behaviours the actors counted in the summaries of
// tarmac:episodes, through the real binary against a real Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/buffer/shard_endpoint.h"
#include "tarmac/schemas/episode_summary.h"

namespace tarmac::cli {
namespace {

using ::testing::HasSubstr;

// What an actor publishes: a summary with counts of every built-in behaviour.
std::string Summary(const std::string& family, std::uint64_t seed, double late_brakes) {
  schemas::EpisodeSummary s;
  s.scenario = family;
  s.seed = seed;
  s.actor_id = "train-rl";
  s.policy_version = 7;
  s.distance_m = 500;
  s.steps = 300;
  for (const char* name :
       {"late_brake_after_cut_in", "late_brake_for_lead", "tailgating", "weaving", "jerky",
        "hesitant_merge", "curve_overspeed", "at_fault_collision"}) {
    const bool late = std::string(name) == "late_brake_after_cut_in";
    s.metrics.push_back({std::string("behaviour.") + name, late ? late_brakes : 0.0});
    s.metrics.push_back({std::string("exposure.") + name, late ? 2.0 : 1.0});
  }
  return schemas::EncodeEpisodeSummary(s);
}

TEST(MineStreamTest, RatesComeFromTheCountsInTheStreamsSummaries) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto control = buffer::ControlClient::Connect(*buffer::ShardEndpoint::Parse((*server)->url()));
  ASSERT_TRUE(control.ok()) << control.status();
  // 30 cut_in episodes, every third with one late brake; 10 highway episodes with none; and
  // one the actor did not record (no counts), which is left out.
  std::vector<std::string> entries;
  for (int i = 0; i < 30; ++i) entries.push_back(Summary("cut_in", i, i % 3 == 0 ? 1 : 0));
  for (int i = 0; i < 10; ++i) entries.push_back(Summary("highway", 100 + i, 0));
  schemas::EpisodeSummary unrecorded;
  unrecorded.scenario = "cut_in";
  entries.push_back(schemas::EncodeEpisodeSummary(unrecorded));
  ASSERT_TRUE((*control)->PublishEpisodes(entries, 1000).ok());

  testing::TempDir dir;
  auto r = testing::RunCommand(
      {TARMAC_BINARY, "mine", "--redis", (*server)->url(), "--out", dir.path() + "/mine"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_THAT(r->out, HasSubstr("40 analysed episodes"));
  std::ifstream in(dir.path() + "/mine/mine.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  for (const auto& b : report["behaviours"]) {
    if (b["name"] != "late_brake_after_cut_in") continue;
    EXPECT_EQ(b["overall"]["occurrences"], 10);
    EXPECT_EQ(b["overall"]["episodes_with"], 10);
    EXPECT_EQ(b["overall"]["exposures"], 80);
    EXPECT_DOUBLE_EQ(b["overall"]["per_episode"]["estimate"].get<double>(), 0.25);
    EXPECT_NEAR(b["overall"]["per_1000km"]["estimate"].get<double>(), 10 / 20.0 * 1000, 1e-9);
    EXPECT_EQ(b["by_family"][0]["group"], "cut_in");
    EXPECT_EQ(b["by_family"][0]["episodes_with"], 10);
    EXPECT_TRUE(b["worst"].empty());
  }

  auto export_refused = testing::RunCommand({TARMAC_BINARY, "mine", "--redis", (*server)->url(),
                                             "--export-suite", dir.path() + "/s.yaml"});
  ASSERT_TRUE(export_refused.ok());
  EXPECT_EQ(export_refused->exit_code, 2);
  EXPECT_THAT(export_refused->err, HasSubstr("--export-suite needs episode logs"));

  ASSERT_TRUE((*control)->PublishEpisodes({"not a summary"}, 1000).ok());
  auto corrupt = testing::RunCommand(
      {TARMAC_BINARY, "mine", "--redis", (*server)->url(), "--out", dir.path() + "/never"});
  ASSERT_TRUE(corrupt.ok());
  EXPECT_EQ(corrupt->exit_code, 2);
  EXPECT_THAT(corrupt->err, HasSubstr("tarmac:episodes"));
  std::ifstream never(dir.path() + "/never/mine.json");
  EXPECT_FALSE(never.good());
}

}  // namespace
}  // namespace tarmac::cli
