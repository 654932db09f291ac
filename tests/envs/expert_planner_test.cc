#include "tarmac/envs/expert_planner.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace tarmac::envs {
namespace {

struct FamilyStats {
  int episodes = 0;
  int at_fault = 0;
  int collisions = 0;
  int off_road = 0;
  double score = 0;
};

FamilyStats RunExpert(ScenarioFamily family, int seeds) {
  DrivingEnvOptions options;
  options.family = family;
  DrivingEnv env(options);
  ExpertPlanner expert;
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  FamilyStats stats;
  for (int seed = 0; seed < seeds; ++seed) {
    env.Reset(static_cast<std::uint64_t>(seed), absl::MakeSpan(obs));
    expert.Reset(env);
    StepResult r;
    while (!r.terminated && !r.truncated) {
      const std::array<float, 2> a = expert.Act(env);
      r = env.Step(a, absl::MakeSpan(obs), absl::MakeSpan(terms));
    }
    const schemas::EpisodeSummary s = env.Summary();
    ++stats.episodes;
    // A missing metric counts as the worst case, so it cannot pass silently.
    stats.at_fault += schemas::MetricOr(s, "at_fault_collision", 1.0) > 0;
    stats.collisions += schemas::MetricOr(s, "collision", 1.0) > 0;
    stats.off_road += schemas::MetricOr(s, "off_road", 1.0) > 0;
    stats.score += schemas::MetricOr(s, "score", 0.0);
  }
  stats.score /= stats.episodes;
  return stats;
}

// The expert drives every family without at-fault collisions in the large majority of seeds
// (the measured rates are printed; the bound is 10 % per family).
TEST(ExpertPlannerTest, DrivesEveryFamilyWithoutAtFaultCollisions) {
  for (ScenarioFamily family : kAllFamilies) {
    const FamilyStats stats = RunExpert(family, 30);
    std::printf("expert %-10s episodes %d at-fault %d collisions %d off-road %d mean score %.3f\n",
                std::string(FamilyName(family)).c_str(), stats.episodes, stats.at_fault,
                stats.collisions, stats.off_road, stats.score);
    EXPECT_LE(stats.at_fault, 3) << FamilyName(family);
    EXPECT_EQ(stats.off_road, 0) << FamilyName(family);
    EXPECT_GT(stats.score, 0.6) << FamilyName(family);
  }
}

}  // namespace
}  // namespace tarmac::envs
