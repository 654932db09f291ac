#include "tarmac/envs/highd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "highd_recording.h"
#include "subprocess.h"
#include "tarmac/util/number_text.h"

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

using testing::kRate;
using testing::kWidth;
using testing::Planted;
using testing::Vehicles;
using testing::WriteRecording;

class HighdTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteRecording(dir_.path(), Vehicles(), 500, 700.0); }
  testing::TempDir dir_;
};

TEST_F(HighdTest, ARecordingReadsBackToTheSameTrajectoriesInBothDirections) {
  EXPECT_EQ(HighdRecordingIds(dir_.path()), std::vector<std::string>{"01"});
  absl::StatusOr<HighdRecording> rec = ReadHighdRecording(dir_.path(), "01");
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->lanes[0], 3);
  EXPECT_EQ(rec->lanes[1], 3);
  EXPECT_NEAR(rec->lane_width[0], kWidth, 1e-9);
  EXPECT_NEAR(rec->speed_limit, 130 / 3.6, 1e-9);  // speedLimit -1: none
  ASSERT_EQ(rec->tracks.size(), 5u);
  const std::vector<Planted> planted = Vehicles();
  for (const HighdTrack& track : rec->tracks) {
    const Planted& p = planted[static_cast<std::size_t>(track.id - 1)];
    ASSERT_EQ(track.points.size(), 500u);
    EXPECT_EQ(track.direction, p.direction);
    EXPECT_NEAR(track.length, p.length, 1e-9);
    // The upper direction is mirrored about where its road begins, which the importer finds.
    const double offset = p.direction == 1 ? rec->road_length - 700.0 : 0.0;
    for (std::size_t k = 0; k < track.points.size(); ++k) {
      const TrackPoint want = p.at(k / kRate);
      const TrackPoint& got = track.points[k];
      ASSERT_NEAR(got.t, want.t, 1e-9) << track.id << " " << k;
      ASSERT_NEAR(got.s, want.s + offset, 1e-6) << track.id << " " << k;
      ASSERT_NEAR(got.d, want.d, 1e-6) << track.id << " " << k;
      ASSERT_NEAR(got.speed, want.speed, 1e-6) << track.id << " " << k;
      ASSERT_NEAR(track.accel[k], p.accel(want.t), 1e-6) << track.id << " " << k;
      ASSERT_EQ(track.lane[k], RoundToInt(want.d / kWidth) > 2 ? 2 : RoundToInt(want.d / kWidth))
          << track.id << " " << k;
    }
  }
}

TEST_F(HighdTest, FeasibilityFlagsThePlantedJumpAndOnlyIt) {
  absl::StatusOr<HighdRecording> rec = ReadHighdRecording(dir_.path(), "01");
  ASSERT_TRUE(rec.ok()) << rec.status();
  for (const HighdTrack& track : rec->tracks) {
    const TrackFeasibility f = CheckTrackFeasibility(track, 0.1, VehicleParams{});
    if (track.id == 5) {
      EXPECT_FALSE(f.report.feasible);
      ASSERT_FALSE(f.report.violations.empty());
      // Around t = 8 s (step 80 at 0.1 s), nowhere else.
      EXPECT_GE(f.report.violations.front(), 78);
      EXPECT_LE(f.report.violations.back(), 82);
    } else {
      EXPECT_TRUE(f.report.feasible) << track.id << ": " << f.report.reason;
      EXPECT_EQ(f.infeasible_steps, 0) << track.id;
    }
  }
}

TEST_F(HighdTest, InteractionsBecomeEpisodesWithTheReactingDriverAsTheEgo) {
  absl::StatusOr<HighdRecording> rec = ReadHighdRecording(dir_.path(), "01");
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::vector<HighdEpisode> episodes = CutHighdEpisodes(*rec, {});
  std::map<std::string, const HighdEpisode*> by_kind;
  for (const HighdEpisode& e : episodes) by_kind[e.kind] = &e;
  ASSERT_EQ(by_kind.count("cut_in"), 1u);
  ASSERT_EQ(by_kind.count("hard_brake"), 1u);
  const HighdEpisode& cut = *by_kind["cut_in"];
  EXPECT_EQ(cut.ego_id, 1);
  EXPECT_EQ(cut.other_id, 2);
  // Car 2 crosses into lane 0 at 5.5 s; the episode starts 4 s earlier, 10 s long.
  EXPECT_NEAR(cut.start, 5.5 - 4.0, 0.05);
  EXPECT_EQ(cut.scenario.max_steps, 140);
  EXPECT_NEAR(cut.scenario.ego.speed, 30.0, 1e-6);
  EXPECT_EQ(cut.scenario.ego_lane, 0);
  EXPECT_TRUE(CheckScenario(cut.scenario).ok());
  EXPECT_EQ(cut.scenario.logged.size(), 2u);  // cars 2 and 5 drive that way
  const HighdEpisode& brake = *by_kind["hard_brake"];
  EXPECT_EQ(brake.ego_id, 4);
  EXPECT_EQ(brake.other_id, 3);
  EXPECT_EQ(brake.scenario.logged.size(), 1u);

  // Around one chosen vehicle: as long as it is recorded, up to before + after.
  HighdCutOptions around;
  around.around_vehicle = 5;
  const std::vector<HighdEpisode> one = CutHighdEpisodes(*rec, around);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].kind, "vehicle");
  EXPECT_EQ(one[0].scenario.ego_lane, 2);
}

TEST(HighdMergeTest, WithAnAccelerationLaneAChangeOutOfItIsAMergeAndTheLaneEnds) {
  // Car 1 leaves the rightmost lane of the lower direction between 4 and 7 s, 9 m ahead of car
  // 2 in lane 1: a merge with car 2 as the ego when the recording has a ramp, else a cut-in.
  testing::TempDir dir;
  std::vector<Planted> vehicles;
  vehicles.push_back(
      {1, 2, 4.5, 1.9,
       [](double t) {
         const double u = std::clamp((t - 4.0) / 3.0, 0.0, 1.0);
         return TrackPoint{t, 50 + 25 * t, kWidth * 0.5 * (1 - std::cos(M_PI * u)), 25};
       },
       testing::Constant});
  vehicles.push_back({2, 2, 4.5, 1.9,
                      [](double t) {
                        return TrackPoint{t, 30 + 27 * t, kWidth, 27};
                      },
                      testing::Constant});
  WriteRecording(dir.path(), vehicles, 400, 700.0);
  absl::StatusOr<HighdRecording> rec = ReadHighdRecording(dir.path(), "01");
  ASSERT_TRUE(rec.ok()) << rec.status();
  HighdCutOptions ramp;
  ramp.merges = true;
  const std::vector<HighdEpisode> merges = CutHighdEpisodes(*rec, ramp);
  ASSERT_EQ(merges.size(), 1u);
  EXPECT_EQ(merges[0].kind, "merge");
  EXPECT_EQ(merges[0].ego_id, 2);
  EXPECT_EQ(merges[0].other_id, 1);
  // Lane 0 ends 10 m past where car 1 last drove in it (d < 1.9 until 5.5 s: s ~ 187 m).
  const Lane& acceleration = merges[0].scenario.road.lanes().front();
  EXPECT_EQ(acceleration.index, 0);
  EXPECT_NEAR(acceleration.s_end, 50 + 25 * 5.48 + 10, 1.0);
  const std::vector<HighdEpisode> plain = CutHighdEpisodes(*rec, {});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].kind, "cut_in");
  EXPECT_EQ(plain[0].scenario.road.lanes().front().s_end, plain[0].scenario.road.length());
}

TEST(HighdRejectionTest, AMissingColumnOrFramesThatDoNotIncreaseAreOneSentence) {
  testing::TempDir dir;
  WriteRecording(dir.path(), Vehicles(), 20, 700.0, "xVelocity");
  absl::StatusOr<HighdRecording> rec = ReadHighdRecording(dir.path(), "01");
  ASSERT_FALSE(rec.ok());
  EXPECT_THAT(std::string(rec.status().message()),
              HasSubstr("01_tracks.csv lacks the column 'xVelocity' of the highD layout"));

  WriteRecording(dir.path(), Vehicles(), 20, 700.0);
  std::ofstream(dir.path() + "/01_tracks.csv", std::ios::app) << "3,3,1,1,4.8,1.9,1,0,0,0,2\n";
  rec = ReadHighdRecording(dir.path(), "01");
  ASSERT_FALSE(rec.ok());
  EXPECT_THAT(std::string(rec.status().message()),
              HasSubstr("the frames of vehicle 3 do not increase (3 after 20)"));
  EXPECT_EQ(std::string(rec.status().message()).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace tarmac::envs
