#include "tarmac/envs/population.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "chi_square.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::envs {
namespace {

std::vector<PopulationShare> Mix(std::vector<std::pair<const char*, double>> shares) {
  std::vector<PopulationShare> population;
  for (const auto& [name, weight] : shares) population.push_back({*FindProfile(name), weight});
  return population;
}

TEST(PopulationTest, ProfilesAreDrawnInTheConfiguredProportions) {
  // Chi-square of the profile counts over 300 highway episodes (~13 k vehicles) against the
  // weights 0.5 / 0.3 / 0.2; seeded, so the p-value is fixed: it must not be below 0.001.
  ScenarioConfig config;
  config.population = Mix({{"normal", 0.5}, {"aggressive", 0.3}, {"distracted", 0.2}});
  std::vector<double> counts(3, 0.0);
  double total = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    for (const TrafficVehicle& v :
         GenerateScenario(ScenarioFamily::kHighway, config, seed).traffic) {
      ++counts.at(static_cast<std::size_t>(v.profile));
      ++total;
    }
  }
  ASSERT_GT(total, 5000);
  const testing::ChiSquare chi =
      testing::PearsonChiSquare(counts, {0.5 * total, 0.3 * total, 0.2 * total});
  EXPECT_GT(chi.p_value, 1e-3) << counts[0] << " " << counts[1] << " " << counts[2];
  // And the draws follow each profile's ranges.
  for (const TrafficVehicle& v : GenerateScenario(ScenarioFamily::kDense, config, 9).traffic) {
    if (v.profile == 1) {
      EXPECT_GE(v.idm.time_headway, 0.6);
      EXPECT_LE(v.idm.time_headway, 1.0);
      EXPECT_GE(v.mobil.max_safe_decel, 6.0);
      EXPECT_LE(v.mobil.politeness, 0.1);
    } else if (v.profile == 2) {
      EXPECT_GE(v.reaction, 0.6);
      EXPECT_LE(v.reaction, 1.2);
    } else {
      EXPECT_EQ(v.reaction, 0.0);
      EXPECT_EQ(v.mobil.politeness, 0.2);
    }
  }
}

TEST(PopulationTest, AllNormalDriversGiveTheEpisodesOfNoPopulationBitForBit) {
  ScenarioConfig normal;
  normal.population = Mix({{"normal", 1.0}});
  EnvExpert expert;
  for (ScenarioFamily family : kAllFamilies) {
    for (std::uint64_t seed : {1ULL, 2ULL}) {
      const EpisodeResult a = RunEpisode(expert, family, {}, seed);
      const EpisodeResult b = RunEpisode(expert, family, normal, seed);
      ASSERT_EQ(a.trajectory.size(), b.trajectory.size()) << FamilyName(family);
      for (std::size_t k = 0; k < a.trajectory.size(); ++k) {
        ASSERT_EQ(a.trajectory[k].x, b.trajectory[k].x) << FamilyName(family) << " " << k;
        ASSERT_EQ(a.trajectory[k].speed, b.trajectory[k].speed) << FamilyName(family) << " " << k;
      }
      EXPECT_EQ(a.summary.episode_return, b.summary.episode_return);
    }
  }
}

TEST(PopulationTest, ADistractedDriverBrakesLaterBehindABrakingLeader) {
  // A leader brakes hard at t = 0; a follower 30 m behind at the same speed reacts at once, or
  // with a 1 s lag: after 0.5 s the lagging one has shed less speed.
  const Road road = Road::Straight(1000.0, 1);
  double speed_after[2] = {0, 0};
  for (int distracted = 0; distracted < 2; ++distracted) {
    Traffic traffic(&road);
    TrafficVehicle leader;
    leader.s = 100;
    leader.speed = 25;
    leader.forced_accel = -6.0;
    TrafficVehicle follower;
    follower.s = 70;
    follower.speed = 25;
    follower.idm.desired_speed = 25;
    follower.reaction = distracted ? 1.0 : 0.0;
    traffic.Add(leader);
    traffic.Add(follower);
    for (int k = 0; k < 5; ++k) traffic.Step(0.1, std::nullopt);
    speed_after[distracted] = traffic.vehicles()[1].speed;
  }
  EXPECT_GT(speed_after[1], speed_after[0] + 0.3);
}

TEST(PopulationTest, ThePopulationIsAConfigKeyAndLoggedEpisodesReplayWithIt) {
  absl::StatusOr<EnvConfig> config =
      EnvConfigFromEntries({{"env.scenario.population", {"normal=0.5", "distracted=0.5"}}});
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->scenario.population.size(), 2u);
  EXPECT_EQ(config->scenario.population[1].profile.name, "distracted");
  EnvExpert expert;
  EpisodeRecording recording{"expert", 0, {}};
  RunEpisode(expert, ScenarioFamily::kDense, config->scenario, 3, *config, &recording);
  // The log records the population, so its replay regenerates the same drivers.
  EXPECT_TRUE(ReplayEpisodeLog(recording.log).ok()) << ReplayEpisodeLog(recording.log);
  EXPECT_FALSE(EnvConfigFromEntries({{"env.scenario.population", {"reckless=1"}}}).ok());
}

TEST(PopulationTest, BadPopulationsAreOneSentenceNamingTheProfile) {
  EXPECT_THAT(std::string(FindProfile("reckless").status().message()),
              ::testing::HasSubstr("unknown driver profile 'reckless'; the built-in profiles are "
                                   "normal, calm, aggressive, distracted"));
  std::vector<PopulationShare> bad = Mix({{"calm", 1.0}});
  bad[0].profile.time_headway = {2.0, 1.0};
  EXPECT_THAT(std::string(ValidatePopulation(bad).message()),
              ::testing::HasSubstr("driver profile calm: T [2, 1] must satisfy"));
  bad = Mix({{"calm", 0.0}});
  EXPECT_FALSE(ValidatePopulation(bad).ok());
}

}  // namespace
}  // namespace tarmac::envs
