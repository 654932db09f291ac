#include "tarmac/analysis/reward_agreement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tarmac::analysis {
namespace {

using ::testing::HasSubstr;

const TermAgreement& Find(const std::vector<TermAgreement>& rows, const std::string& term) {
  for (const auto& row : rows) {
    if (row.term == term) return row;
  }
  static const TermAgreement none;
  ADD_FAILURE() << "no row for " << term;
  return none;
}

// Three policies on four scenarios. "aligned" rises with the score, "opposed" falls with it,
// "flat" is the same everywhere, and "offset" agrees within every scenario but is shifted per
// scenario so that across scenarios it ranks episodes against the score.
std::vector<ScoredEpisode> Episodes() {
  std::vector<ScoredEpisode> out;
  for (int s = 0; s < 4; ++s) {
    for (int p = 0; p < 3; ++p) {
      const double score = 0.2 * s + 0.05 * p;
      out.push_back({"cut_in/" + std::to_string(s),
                     score,
                     {{"aligned", 10 * score},
                      {"opposed", -score},
                      {"flat", 1.0},
                      {"offset", 0.01 * p - 10.0 * s}}});
    }
  }
  return out;
}

TEST(RewardAgreementTest, CountsOrderedPairsWithinEachScenario) {
  auto rows = RewardAgreement(Episodes());
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4U);
  // 4 scenarios x 3 pairs, every score gap 0.05 or 0.1.
  const TermAgreement& aligned = Find(*rows, "aligned");
  EXPECT_EQ(aligned.pairs, 12U);
  EXPECT_EQ(aligned.ties, 0U);
  EXPECT_DOUBLE_EQ(aligned.concordance.estimate, 1.0);
  EXPECT_NEAR(aligned.rank_correlation, 1.0, 1e-12);
  EXPECT_GT(aligned.concordance.low, 0.5);  // Wilson, 12 of 12

  const TermAgreement& opposed = Find(*rows, "opposed");
  EXPECT_DOUBLE_EQ(opposed.concordance.estimate, 0.0);
  EXPECT_NEAR(opposed.rank_correlation, -1.0, 1e-12);
  EXPECT_LT(opposed.concordance.high, 0.5);

  const TermAgreement& flat = Find(*rows, "flat");
  EXPECT_EQ(flat.ties, 12U);
  EXPECT_DOUBLE_EQ(flat.concordance.low, 0.0);  // no untied pair: nothing is known
  EXPECT_DOUBLE_EQ(flat.concordance.high, 1.0);
  EXPECT_DOUBLE_EQ(flat.rank_correlation, 0.0);

  // Paired within scenarios it agrees; pooled over scenarios it ranks against the score.
  const TermAgreement& offset = Find(*rows, "offset");
  EXPECT_DOUBLE_EQ(offset.concordance.estimate, 1.0);
  EXPECT_LT(offset.rank_correlation, -0.8);
}

TEST(RewardAgreementTest, PairsWithinTheScoreGapAreNotCounted) {
  auto rows = RewardAgreement(Episodes(), /*min_score_gap=*/0.07);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Find(*rows, "aligned").pairs, 4U);  // only policy 0 against policy 2: gap 0.1
}

TEST(RewardAgreementTest, RefusesTooFewEpisodesAndValuesThatAreNotFinite) {
  auto one = RewardAgreement({{"a", 0.5, {{"return", 1.0}}}});
  ASSERT_FALSE(one.ok());
  EXPECT_THAT(std::string(one.status().message()), HasSubstr("at least two"));
  auto episodes = Episodes();
  episodes[5].returns["aligned"] = std::numeric_limits<double>::quiet_NaN();
  auto bad = RewardAgreement(episodes);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("episode 5 (cut_in/1)"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("aligned"));
  episodes = Episodes();
  episodes[0].score = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(RewardAgreement(episodes).ok());
}

}  // namespace
}  // namespace tarmac::analysis
