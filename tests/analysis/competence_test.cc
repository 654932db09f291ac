#include "tarmac/analysis/competence.h"

#include <gtest/gtest.h>

#include <random>

namespace tarmac::analysis {
namespace {

// K runs of learned, sft, expert on `families` x `seeds` episodes, scores from `score(run,
// family, seed, policy)`; at fault when the policy's score is below 0.2.
template <class F>
std::vector<RunEvaluation> SyntheticRuns(int runs, int families, int seeds, F score) {
  std::vector<RunEvaluation> out;
  for (int r = 0; r < runs; ++r) {
    RunEvaluation run;
    run.name = "runs/seed" + std::to_string(r + 1);
    run.policies = {"learned", "sft", "expert"};
    for (int f = 0; f < families; ++f) {
      for (int s = 0; s < seeds; ++s) {
        RunEvaluation::Episode e;
        e.family = "family" + std::to_string(f);
        e.seed = 1000 + static_cast<std::uint64_t>(s);
        for (int p = 0; p < 3; ++p) {
          e.score.push_back(score(r, f, s, p));
          e.at_fault.push_back(e.score.back() < 0.2);
        }
        run.episodes.push_back(e);
      }
    }
    out.push_back(std::move(run));
  }
  return out;
}

TEST(CompetenceTest, MeansAndDifferencesEqualTheHandComputedValues) {
  // learned = sft + 0.05 everywhere; the expert scores 0.9 except one at-fault crash (0.1) in
  // family1 of run 2. Scores differ by run and family so the means are not trivially equal.
  const auto runs = SyntheticRuns(3, 2, 10, [](int r, int f, int s, int p) {
    const double sft = 0.5 + 0.1 * r + 0.02 * f + 0.001 * s;
    if (p == 0) return sft + 0.05;
    if (p == 1) return sft;
    return r == 2 && f == 1 && s == 3 ? 0.1 : 0.9;
  });
  auto report = AggregateRuns(runs, 500, 7);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows.size(), 3U);  // family0, family1, overall
  EXPECT_EQ(report->rows[0].family, "family0");
  const CompetenceRow& overall = report->rows.back();
  EXPECT_EQ(overall.family, "overall");
  EXPECT_EQ(overall.episodes_per_run, 20U);
  // sft's mean: runs 0.5, 0.6, 0.7 (+ 0.01 family mean + 0.0045 seed mean) -> 0.6145.
  EXPECT_NEAR(overall.score[1].estimate, 0.6145, 1e-12);
  EXPECT_NEAR(overall.score[0].estimate, 0.6645, 1e-12);
  // A constant paired difference has a degenerate interval, whatever is resampled.
  EXPECT_NEAR(overall.score_difference[1].estimate, 0.05, 1e-12);
  EXPECT_NEAR(overall.score_difference[1].low, 0.05, 1e-12);
  EXPECT_NEAR(overall.score_difference[1].high, 0.05, 1e-12);
  // The expert's one crash in 60 episodes: rate 1/60 overall, 1/30 in family1 (1/10 of run 2).
  EXPECT_NEAR(overall.at_fault_rate[2].estimate, 1.0 / 60.0, 1e-12);
  EXPECT_NEAR(report->rows[1].at_fault_rate[2].estimate, 1.0 / 30.0, 1e-12);
  EXPECT_EQ(report->rows[0].at_fault_rate[2].high, 0.0);
  EXPECT_GT(report->rows[1].at_fault_rate[2].high, 0.0);
  EXPECT_NEAR(overall.at_fault_difference[2].estimate, -1.0 / 60.0, 1e-12);
  // Per-run means, in run order.
  ASSERT_EQ(overall.run_score.size(), 3U);
  EXPECT_NEAR(overall.run_score[0][1], 0.5145, 1e-12);
  EXPECT_NEAR(overall.run_score[2][1], 0.7145, 1e-12);
  // The between-run spread of sft's score (0.5 .. 0.7) is in its interval's width.
  EXPECT_LT(overall.score[1].low, 0.56);
  EXPECT_GT(overall.score[1].high, 0.67);
}

TEST(CompetenceTest, TheTwoLevelIntervalCoversTheTrueDifferenceAtAboutItsLevel) {
  // A hierarchical model: each run's true advantage is 0.02 + N(0, 0.02) (training seed), each
  // episode adds N(0, 0.1) (evaluation seed). 200 seeded replications of 10 runs x 40 episodes.
  // Tolerance: the percentile bootstrap over 10 runs undercovers a little; coverage of the true
  // 0.02 in [0.85, 0.99] (a 95 % binomial band around 0.92 at n = 200 is +-0.04).
  std::mt19937_64 rng(2026);
  std::normal_distribution<double> run_effect(0.0, 0.02), noise(0.0, 0.1);
  int covered = 0;
  constexpr int kReplications = 200;
  for (int i = 0; i < kReplications; ++i) {
    std::vector<double> advantage(10);
    std::vector<std::vector<double>> base(10, std::vector<double>(40)), own(base);
    for (int r = 0; r < 10; ++r) {
      advantage[r] = 0.02 + run_effect(rng);
      for (int s = 0; s < 40; ++s) {
        base[r][s] = 0.7 + noise(rng);  // the episode's difficulty, shared by the policies
        own[r][s] = noise(rng);         // the learned policy's own luck on it
      }
    }
    const auto runs = SyntheticRuns(10, 1, 40, [&](int r, int, int s, int p) {
      return p == 0 ? base[r][s] + advantage[r] + own[r][s] : base[r][s];
    });
    auto report = AggregateRuns(runs, 400, 100 + i);
    ASSERT_TRUE(report.ok());
    covered += report->rows.back().score_difference[1].Contains(0.02) ? 1 : 0;
  }
  const double coverage = static_cast<double>(covered) / kReplications;
  EXPECT_GE(coverage, 0.85);
  EXPECT_LE(coverage, 0.99);
}

TEST(CompetenceTest, RefusesRunsThatCannotBePaired) {
  const auto score = [](int, int, int, int) { return 0.5; };
  EXPECT_FALSE(AggregateRuns({}).ok());
  auto runs = SyntheticRuns(2, 2, 5, score);
  runs[1].episodes.pop_back();  // one seed short: another suite
  auto refused = AggregateRuns(runs);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("runs/seed2"), std::string::npos) << refused.status();
  runs = SyntheticRuns(2, 2, 5, score);
  runs[1].policies = {"learned", "expert", "sft"};
  refused = AggregateRuns(runs);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("policies"), std::string::npos) << refused.status();
  runs = SyntheticRuns(2, 2, 5, score);
  runs[0].episodes.clear();
  EXPECT_FALSE(AggregateRuns(runs).ok());
}

}  // namespace
}  // namespace tarmac::analysis
