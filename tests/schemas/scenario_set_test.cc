#include "tarmac/schemas/scenario_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tarmac/schemas/episode_summary.h"

namespace tarmac::schemas {
namespace {

using ::testing::HasSubstr;

ScenarioRecord Sample() {
  ScenarioRecord r;
  r.name = "late_cut_in";
  r.family = "cut_in";
  r.seed = 0xFFFFFFFFFFFFULL;
  r.steps = 150;
  r.parameters = {{"cut_in_gap", 9.25}};
  r.segments = {{150.0, 0.0}, {300.0, 1.0 / 300.0}};
  r.lanes = {{0, 0.0, 450.0}, {1, 20.0, 400.0}};
  r.ego_x = 60.0;
  r.ego_speed = 25.123456789;
  r.entry_lanes = {0, 1};
  ScenarioAgent a;
  a.s = 100.0 / 3.0;
  a.reaction = 0.7;
  a.has_constant_accel = true;
  a.constant_accel = -0.5;
  r.agents = {a};
  ScenarioAgent logged;
  logged.track = 0;
  r.logged = {logged};
  r.manoeuvres = {{1, 0, 0.0, 0.0, 12.5, 1}};
  r.tracks = {{true, {0.0, 0.1}, {10.0, 12.5}, {3.6, 3.5}, {25.0, 24.9}}};
  return r;
}

TEST(ScenarioSetTest, RoundTripsEveryFieldExactly) {
  const std::vector<ScenarioRecord> set = {Sample(), Sample()};
  absl::StatusOr<std::vector<ScenarioRecord>> back = DecodeScenarioSet(EncodeScenarioSet(set));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  const ScenarioRecord& r = (*back)[1];
  EXPECT_EQ(r.name, "late_cut_in");
  EXPECT_EQ(r.seed, 0xFFFFFFFFFFFFULL);
  EXPECT_EQ(r.ego_speed, 25.123456789);
  EXPECT_EQ(r.segments[1][1], 1.0 / 300.0);
  EXPECT_EQ(r.lanes[1].from, 20.0);
  EXPECT_EQ(r.agents[0].s, 100.0 / 3.0);
  EXPECT_EQ(r.agents[0].reaction, 0.7);
  EXPECT_TRUE(r.agents[0].has_constant_accel);
  EXPECT_EQ(r.logged[0].track, 0);
  EXPECT_EQ(r.manoeuvres[0].trigger_gap, 12.5);
  EXPECT_TRUE(r.tracks[0].reactive);
  EXPECT_EQ(r.tracks[0].speed[1], 24.9);
  EXPECT_EQ(r.parameters[0].name, "cut_in_gap");
}

TEST(ScenarioSetTest, RefusesTruncatedCorruptAndOtherMessagesInOneSentence) {
  const std::string bytes = EncodeScenarioSet({Sample()});
  for (std::size_t cut : {std::size_t{0}, std::size_t{8}, bytes.size() / 2, bytes.size() - 8}) {
    absl::StatusOr<std::vector<ScenarioRecord>> r = DecodeScenarioSet(bytes.substr(0, cut));
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(r.status().message()).find('\n'), std::string::npos);
  }
  EpisodeSummary summary;
  absl::StatusOr<std::vector<ScenarioRecord>> other =
      DecodeScenarioSet(EncodeEpisodeSummary(summary));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(std::string(other.status().message()),
              HasSubstr("expected a message of type ScenarioSet but the bytes hold type "
                        "EpisodeSummary"));
  // A track whose columns differ in length.
  ScenarioRecord ragged = Sample();
  ragged.tracks[0].speed.pop_back();
  absl::StatusOr<std::vector<ScenarioRecord>> r = DecodeScenarioSet(EncodeScenarioSet({ragged}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("scenario 0 (late_cut_in) has a track whose t, s, d and speed columns "
                        "differ in length"));
}

}  // namespace
}  // namespace tarmac::schemas
