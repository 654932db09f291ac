#include "tarmac/envs/scenario_mix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/env_batch.h"

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

ScenarioSource Generated(const std::string& name, double weight,
                         std::optional<ScenarioFamily> family = std::nullopt) {
  ScenarioSource s;
  s.name = name;
  s.weight = weight;
  s.family = family;
  return s;
}

ScenarioSource Cases(const std::string& name, double weight, double jitter) {
  ScenarioSource s;
  s.name = name;
  s.weight = weight;
  s.jitter = jitter;
  s.cases = {{ScenarioFamily::kLeadBrake, {}, 5007, nullptr},
             {ScenarioFamily::kCutIn, {}, 4012, nullptr}};
  return s;
}

// Pearson's chi-square of the source counts of `draws` episodes against the weights.
double ChiSquare(const ScenarioMix& mix, int draws, std::vector<int>* counts) {
  counts->assign(mix.sources().size(), 0);
  for (int i = 0; i < draws; ++i) ++(*counts)[mix.Draw(0x1234 + 7919ULL * i).source];
  double total = 0, chi = 0;
  for (const ScenarioSource& s : mix.sources()) total += s.weight;
  for (std::size_t k = 0; k < counts->size(); ++k) {
    const double expected = draws * mix.sources()[k].weight / total;
    chi += ((*counts)[k] - expected) * ((*counts)[k] - expected) / expected;
  }
  return chi;
}

TEST(ScenarioMixTest, DrawsSourcesInTheConfiguredProportions) {
  auto mix = ScenarioMix::Create({Generated("all", 0.5),
                                  Generated("braking", 0.3, ScenarioFamily::kLeadBrake),
                                  Cases("focus", 0.2, 0.0)});
  ASSERT_TRUE(mix.ok()) << mix.status();
  std::vector<int> counts;
  // Two degrees of freedom: P(chi2 > 13.82) = 0.001 under the configured proportions.
  EXPECT_LT(ChiSquare(*mix, 20000, &counts), 13.82)
      << counts[0] << " / " << counts[1] << " / " << counts[2];
  // A mix of other proportions is told apart from these counts: the test can fail.
  auto skewed = ScenarioMix::Create(
      {Generated("all", 0.45), Generated("braking", 0.35), Generated("focus", 0.2)});
  ASSERT_TRUE(skewed.ok());
  double chi = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const double expected = 20000 * skewed->sources()[k].weight;
    chi += (counts[k] - expected) * (counts[k] - expected) / expected;
  }
  EXPECT_GT(chi, 13.82);
  // A family source draws that family with a fresh seed each time; a zero weight is never drawn.
  auto braking = ScenarioMix::Create(
      {Generated("braking", 1.0, ScenarioFamily::kLeadBrake), Generated("never", 0.0)});
  ASSERT_TRUE(braking.ok());
  std::set<std::uint64_t> seeds;
  for (int i = 0; i < 100; ++i) {
    const ScenarioDraw d = braking->Draw(i);
    EXPECT_EQ(d.source, 0);
    ASSERT_TRUE(d.family.has_value());
    EXPECT_EQ(*d.family, ScenarioFamily::kLeadBrake);
    seeds.insert(d.seed);
  }
  EXPECT_EQ(seeds.size(), 100U);
}

TEST(ScenarioMixTest, SuiteCasesReplayExactlyOrJitteredWithinTheRadius) {
  auto exact = ScenarioMix::Create({Cases("focus", 1.0, 0.0)});
  ASSERT_TRUE(exact.ok());
  // An env batch driving the mix meets the cases bit for bit: the same first observation as a
  // driving env reset on the case itself.
  auto batch = EnvBatch::Create("driving-v0", 8, 3);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE((*batch)->SetScenarioMix(std::make_shared<const ScenarioMix>(*exact)).ok());
  const int obs = (*batch)->spec().observation_size;
  for (int i = 0; i < (*batch)->size(); ++i) {
    const auto& scenario = static_cast<DrivingEnv&>((*batch)->env(i)).scenario();
    const bool lead = scenario.family == ScenarioFamily::kLeadBrake;
    EXPECT_EQ(scenario.seed, lead ? 5007U : 4012U);
    DrivingEnvOptions options;
    options.family = scenario.family;
    DrivingEnv alone(options);
    std::vector<float> first(obs);
    alone.Reset(scenario.seed, absl::MakeSpan(first));
    EXPECT_EQ(
        std::memcmp(first.data(), (*batch)->observations().data() + i * obs, obs * sizeof(float)),
        0)
        << "env " << i;
  }
  EXPECT_EQ((*batch)->source_episodes(), std::vector<std::uint64_t>{8});
  EXPECT_EQ((*batch)->source_name(0), "focus");

  // Jittered: every parameter the case drew moves by at most 10 %, and the seed is fresh.
  auto jittered = ScenarioMix::Create({Cases("focus", 1.0, 0.1)});
  ASSERT_TRUE(jittered.ok());
  const Scenario lead_case = GenerateScenario(ScenarioFamily::kLeadBrake, {}, 5007);
  int lead_draws = 0, moved = 0;
  for (int i = 0; i < 200; ++i) {
    const ScenarioDraw d = jittered->Draw(i);
    if (*d.family != ScenarioFamily::kLeadBrake) continue;
    ++lead_draws;
    EXPECT_NE(d.seed, 5007U);
    const Scenario s = GenerateScenario(*d.family, d.config, d.seed);
    for (const schemas::NamedValue& p : lead_case.parameters) {
      for (const schemas::NamedValue& q : s.parameters) {
        if (q.name != p.name) continue;
        EXPECT_LE(std::abs(q.value - p.value), 0.1 * std::abs(p.value) + 1e-9) << p.name;
        moved += q.value != p.value ? 1 : 0;
      }
    }
  }
  EXPECT_GT(lead_draws, 60);
  EXPECT_GT(moved, lead_draws) << "the parameters do move";
}

TEST(ScenarioMixTest, RefusesBadMixesWithOneSentence) {
  auto zero = ScenarioMix::Create({Generated("a", 0.0), Generated("b", 0.0)});
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.status().message(), HasSubstr("weights sum to 0"));
  auto negative = ScenarioMix::Create({Generated("a", -1.0)});
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.status().message(), HasSubstr("scenario source 'a' has weight -1"));
  auto jitter = ScenarioMix::Create({Cases("focus", 1.0, 1.5)});
  ASSERT_FALSE(jitter.ok());
  EXPECT_THAT(jitter.status().message(), HasSubstr("jitter is in [0, 1)"));
  EXPECT_FALSE(ScenarioMix::Create({}).ok());
}

TEST(ScenarioMixTest, WithoutAMixTheBatchCountsItsOwnDraw) {
  auto batch = EnvBatch::Create("driving-v0", 4, 9);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)->source_name(0), "env");
  EXPECT_EQ((*batch)->source_episodes(), std::vector<std::uint64_t>{4});
}

}  // namespace
}  // namespace tarmac::envs
