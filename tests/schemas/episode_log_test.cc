#include "tarmac/schemas/episode_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tarmac::schemas {
namespace {

using ::testing::HasSubstr;

EpisodeLog SmallLog() {
  EpisodeLog log;
  log.env_name = "eval";
  log.scenario = "cut_in";
  log.seed = 99;
  log.env_config = {{"env.scenario.cut_in_gap", {"8", "20.5"}}, {"env.obs.lanes", {"3"}}};
  log.parameters = {{"cut_in_gap", 12.25}, {"ego_speed", 24.0}};
  log.policy = "ckpt-400";
  log.policy_version = 400;
  log.dt = 0.1;
  log.speed_limit = 27.5;
  log.reward_terms = {"progress", "collision"};
  for (int i = 0; i < 30; ++i) {
    LoggedStep step;
    step.ego = {i * 2.0, 0.5, 0.01, 20.0 - i * 0.1, -1.0, 0.02, 0.3, 0.01, i * 2.0, 0.5, 1};
    if (i > 0) step.action = {-0.5F, 0.01F};
    step.reward = 0.25F;
    step.reward_terms = {0.3F, -0.05F};
    step.events = i == 7 ? EventBit(Event::kCutIn) : 0;
    step.leader_id = 3;
    step.leader_gap = 14.0F - static_cast<float>(i) * 0.1F;
    step.leader_speed = 19.0F;
    step.vehicles = {{3, 40.0F, 3.5F, 0.0F, 19.0F, 40.0F, 3.5F, 1, 4.8F, 1.9F},
                     {8, 10.0F, -3.5F, 0.0F, 22.0F, 10.0F, -3.5F, -1, 12.0F, 2.5F}};
    step.road_curvature = 0.002F;
    log.steps.push_back(step);
  }
  log.summary.scenario = "cut_in";
  log.summary.seed = 99;
  log.summary.steps = 29;
  log.summary.metrics = {{"score", 0.75}};
  return log;
}

TEST(EpisodeLogTest, RoundTripsEveryField) {
  const EpisodeLog log = SmallLog();
  const std::string bytes = EncodeEpisodeLog(log);
  auto back = DecodeEpisodeLog(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(EncodeEpisodeLog(*back), bytes);
  EXPECT_EQ(back->scenario, "cut_in");
  EXPECT_EQ(back->seed, 99U);
  EXPECT_EQ(back->policy_version, 400U);
  EXPECT_EQ(back->env_config[0].values, (std::vector<std::string>{"8", "20.5"}));
  EXPECT_DOUBLE_EQ(ParameterOr(*back, "cut_in_gap"), 12.25);
  EXPECT_DOUBLE_EQ(ParameterOr(*back, "absent", -3.0), -3.0);
  ASSERT_EQ(back->steps.size(), 30U);
  const LoggedStep& s = back->steps[7];
  EXPECT_EQ(s.ego.x, 14.0);
  EXPECT_EQ(s.ego.lane, 1);
  EXPECT_EQ(s.events, EventBit(Event::kCutIn));
  EXPECT_THAT(s.action, ::testing::ElementsAre(-0.5F, 0.01F));
  ASSERT_EQ(s.vehicles.size(), 2U);
  EXPECT_EQ(s.vehicles[1].id, 8);
  EXPECT_EQ(s.vehicles[1].lane, -1);
  EXPECT_EQ(s.vehicles[1].length, 12.0F);
  EXPECT_TRUE(back->steps[0].action.empty());
  EXPECT_DOUBLE_EQ(MetricOr(back->summary, "score"), 0.75);
  // A repeated, compressible layout: the file is much smaller than the message.
  EXPECT_LT(bytes.size(), 30U * 100U);
}

TEST(EpisodeLogTest, TruncatedCorruptOversizedAndForeignBytesAreRefused) {
  const std::string bytes = EncodeEpisodeLog(SmallLog());
  for (std::size_t cut : {std::size_t{0}, std::size_t{4}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = DecodeEpisodeLog(bytes.substr(0, cut));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << cut;
  }
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] ^= 0x5A;
  EXPECT_FALSE(DecodeEpisodeLog(corrupt).ok());
  auto oversized = DecodeEpisodeLog(bytes, 64);
  ASSERT_FALSE(oversized.ok());
  EXPECT_FALSE(DecodeEpisodeLog("not a zstd frame at all").ok());
  EXPECT_FALSE(DecodeEpisodeLog(bytes + bytes).ok());  // two frames: not one log
}

TEST(EpisodeLogTest, FilesAreWrittenAtomicallyAndMissingOrTruncatedFilesNameThemselves) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "episode_log_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "a.episode.zst").string();
  ASSERT_TRUE(WriteEpisodeLogFile(SmallLog(), path).ok());
  auto read = ReadEpisodeLogFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->steps.size(), 30U);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "a.episode.zst");  // no temporary left behind
  }
  auto missing = ReadEpisodeLogFile((dir / "b.episode.zst").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const std::string bytes = EncodeEpisodeLog(SmallLog());
  const std::string truncated = (dir / "t.episode.zst").string();
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 3);
  auto bad = ReadEpisodeLogFile(truncated);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr(truncated));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tarmac::schemas
