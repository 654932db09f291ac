#include "tarmac/analysis/mining.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tarmac/analysis/behaviours.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

namespace tarmac::analysis {
namespace {

// Logged episodes of an expert reacting 0.3 s late (so behaviours occur) on three families.
std::vector<schemas::EpisodeLog> DelayedExpertLogs() {
  std::vector<schemas::EpisodeLog> logs;
  for (envs::ScenarioFamily family :
       {envs::ScenarioFamily::kCutIn, envs::ScenarioFamily::kLeadBrake,
        envs::ScenarioFamily::kDense}) {
    for (std::uint64_t seed = 100; seed < 116; ++seed) {
      envs::DelayedPolicy policy(std::make_unique<envs::EnvExpert>(), 3);
      envs::EpisodeRecording recording{"expert+delay", 7, {}};
      envs::RunEpisode(policy, family, envs::ScenarioConfig{}, seed, {}, &recording);
      logs.push_back(std::move(recording.log));
    }
  }
  return logs;
}

std::vector<Behaviour> BuiltIn() {
  auto behaviours = LoadBehaviours(TARMAC_SOURCE_DIR "/configs/behaviours.yaml");
  EXPECT_TRUE(behaviours.ok()) << behaviours.status();
  return behaviours.ok() ? *behaviours : std::vector<Behaviour>{};
}

std::size_t IndexOf(const std::vector<Behaviour>& behaviours, const std::string& name) {
  for (std::size_t i = 0; i < behaviours.size(); ++i) {
    if (behaviours[i].name == name) return i;
  }
  ADD_FAILURE() << name << " is not built in";
  return 0;
}

// The windows after each onset of the cut_in event, found from the event bits directly, where
// the ego braked later than 0.8 s or closed in below 1.2 s TTC: late_brake_after_cut_in
// counted by hand, without the predicate engine or FindOccurrences.
std::size_t BruteForceLateBrakes(const schemas::EpisodeLog& log) {
  const schemas::EventMask bit = schemas::EventBit(schemas::Event::kCutIn);
  const auto window = static_cast<std::size_t>(std::lround(3.0 / log.dt));
  std::size_t count = 0;
  for (std::size_t i = 0; i < log.steps.size(); ++i) {
    const bool onset =
        (log.steps[i].events & bit) != 0 && (i == 0 || (log.steps[i - 1].events & bit) == 0);
    if (!onset) continue;
    const MetricValues m = ComputeMetrics(log, i, std::min(log.steps.size(), i + window + 1));
    if (m[Metric::kBrakeOnsetS] > 0.8 || m[Metric::kMinTtcS] < 1.2) ++count;
  }
  return count;
}

TEST(MiningTest, TheMinedRateOfABehaviourEqualsABruteForceCountOverTheLogs) {
  const std::vector<schemas::EpisodeLog> logs = DelayedExpertLogs();
  const std::vector<Behaviour> behaviours = BuiltIn();
  std::vector<MinedEpisode> mined;
  for (const schemas::EpisodeLog& log : logs) mined.push_back(MineEpisode(log, behaviours, "x"));
  const MineResult result = Summarise(std::move(mined), behaviours);

  const std::size_t late = IndexOf(behaviours, "late_brake_after_cut_in");
  std::uint64_t occurrences = 0, episodes_with = 0;
  std::map<std::string, std::uint64_t> with_by_family;
  double km = 0.0;
  for (const schemas::EpisodeLog& log : logs) {
    const std::size_t n = BruteForceLateBrakes(log);
    occurrences += n;
    episodes_with += n > 0 ? 1 : 0;
    with_by_family[log.scenario] += n > 0 ? 1 : 0;
    km += log.summary.distance_m / 1000.0;
  }
  const RateCell& overall = result.findings[late].overall;
  ASSERT_GT(occurrences, 2U) << "the delayed expert should brake late after some cut-ins";
  EXPECT_EQ(overall.occurrences, occurrences);
  EXPECT_EQ(overall.episodes_with, episodes_with);
  EXPECT_EQ(overall.episodes, logs.size());
  EXPECT_DOUBLE_EQ(overall.per_episode.estimate,
                   static_cast<double>(episodes_with) / static_cast<double>(logs.size()));
  EXPECT_NEAR(overall.per_1000km.estimate, 1000.0 * static_cast<double>(occurrences) / km, 1e-9);
  for (const RateCell& family : result.findings[late].by_family) {
    EXPECT_EQ(family.episodes, 16U) << family.group;
    EXPECT_EQ(family.episodes_with, with_by_family[family.group]) << family.group;
  }
  ASSERT_EQ(result.findings[late].by_policy.size(), 1U);
  EXPECT_EQ(result.findings[late].by_policy[0].group, "expert+delay v7");
}

TEST(MiningTest, ParameterBinsPartitionTheFamilysEpisodes) {
  const std::vector<schemas::EpisodeLog> logs = DelayedExpertLogs();
  const std::vector<Behaviour> behaviours = BuiltIn();
  std::vector<MinedEpisode> mined;
  for (const schemas::EpisodeLog& log : logs) mined.push_back(MineEpisode(log, behaviours, "x"));
  const MineResult result = Summarise(std::move(mined), behaviours, 10, 4);
  const BehaviourFindings& f = result.findings[IndexOf(behaviours, "late_brake_after_cut_in")];
  bool saw_gap = false;
  for (const ParameterBreakdown& p : f.by_parameter) {
    ASSERT_EQ(p.bins.size(), 4U);
    ASSERT_EQ(p.edges.size(), 5U);
    std::uint64_t episodes = 0, with = 0;
    for (const RateCell& c : p.bins) {
      episodes += c.episodes;
      with += c.episodes_with;
    }
    EXPECT_EQ(episodes, 16U) << p.family << " " << p.parameter;
    for (const RateCell& family : f.by_family) {
      if (family.group == p.family) {
        EXPECT_EQ(with, family.episodes_with) << p.parameter;
      }
    }
    saw_gap = saw_gap || (p.family == "cut_in" && p.parameter == "cut_in_gap");
  }
  EXPECT_TRUE(saw_gap) << "cut-in episodes are broken down by their drawn gap";
}

TEST(MiningTest, WorstCasesAreTheMostSevereAndExportedEpisodesAreExactlyThoseWithCases) {
  const std::vector<schemas::EpisodeLog> logs = DelayedExpertLogs();
  const std::vector<Behaviour> behaviours = BuiltIn();
  std::vector<MinedEpisode> mined;
  for (const schemas::EpisodeLog& log : logs) mined.push_back(MineEpisode(log, behaviours, "x"));
  const MineResult result = Summarise(std::move(mined), behaviours, 3);
  for (std::size_t b = 0; b < behaviours.size(); ++b) {
    const BehaviourFindings& f = result.findings[b];
    EXPECT_EQ(f.worst.size(), std::min<std::uint64_t>(3, f.overall.occurrences)) << f.name;
    double others_max = -1e300;
    for (const MinedEpisode& e : result.episodes) {
      for (const Occurrence& o : e.occurrences[b]) {
        others_max = std::max(others_max, o.severity);
      }
    }
    for (std::size_t k = 1; k < f.worst.size(); ++k) {
      EXPECT_GE(f.worst[k - 1].occurrence.severity, f.worst[k].occurrence.severity) << f.name;
    }
    if (!f.worst.empty()) {
      EXPECT_EQ(f.worst[0].occurrence.severity, others_max) << f.name;
    }
  }
  const std::vector<std::size_t> exported = EpisodesWithCases(result);
  for (std::size_t i = 0; i < result.episodes.size(); ++i) {
    bool any = false;
    for (const auto& found : result.episodes[i].occurrences) any = any || !found.empty();
    EXPECT_EQ(any, std::count(exported.begin(), exported.end(), i) == 1) << i;
  }
}

TEST(MiningTest, FindBehaviourAgreesWithFindOccurrencesAndExposures) {
  const std::vector<Behaviour> behaviours = BuiltIn();
  for (const schemas::EpisodeLog& log : DelayedExpertLogs()) {
    const MetricValues episode = ComputeEpisodeMetrics(log);
    for (const Behaviour& b : behaviours) {
      const BehaviourMatch match = FindBehaviour(b, log, episode);
      const std::vector<Occurrence> alone = FindOccurrences(b, log);
      EXPECT_EQ(match.exposures, Exposures(b, log)) << b.name;
      ASSERT_EQ(match.occurrences.size(), alone.size()) << b.name;
      for (std::size_t k = 0; k < alone.size(); ++k) {
        EXPECT_EQ(match.occurrences[k].trigger_step, alone[k].trigger_step) << b.name;
        EXPECT_EQ(match.occurrences[k].severity, alone[k].severity) << b.name;
      }
    }
  }
}

}  // namespace
}  // namespace tarmac::analysis
