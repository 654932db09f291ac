#include "sum_tree.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

#include "chi_square.h"

namespace tarmac::replay {
namespace {

TEST(SumTreeTest, TotalIsRecomputedFromChildren) {
  SumTree tree(5, false);
  tree.Set(0, 1.0, 1.0);
  tree.Set(3, 2.5, 2.5);
  tree.Set(4, 0.5, 0.5);
  EXPECT_DOUBLE_EQ(tree.Total(), 4.0);
  tree.Set(3, 1.0, 1.0);
  EXPECT_DOUBLE_EQ(tree.Total(), 2.5);
  tree.Clear(0);
  EXPECT_DOUBLE_EQ(tree.Total(), 1.5);
  // A million alternating updates leave no drift: the root is recomputed, not accumulated.
  for (int i = 0; i < 1'000'000; ++i) tree.Set(4, (i % 2) ? 0.1 : 0.7, 0.1);
  EXPECT_EQ(tree.Total(), 1.0 + 0.1);
}

TEST(SumTreeTest, MinPositiveMassIgnoresZerosAndEmptySlots) {
  SumTree tree(8, false);
  EXPECT_EQ(tree.MinPositiveMass(), std::numeric_limits<double>::infinity());
  tree.Set(2, 0.0, 0.0);
  tree.Set(5, 0.25, 0.25);
  tree.Set(6, 3.0, 3.0);
  EXPECT_DOUBLE_EQ(tree.MinPositiveMass(), 0.25);
  tree.Clear(5);
  EXPECT_DOUBLE_EQ(tree.MinPositiveMass(), 3.0);
}

TEST(SumTreeTest, ArgMinPriorityPrefersTheLowestSlotAmongEquals) {
  SumTree tree(6, true);
  tree.Set(0, 1, 4.0);
  tree.Set(1, 1, 2.0);
  tree.Set(4, 1, 2.0);
  tree.Set(5, 1, 0.0);
  EXPECT_EQ(tree.ArgMinPriority(), 5U);
  tree.Clear(5);
  EXPECT_EQ(tree.ArgMinPriority(), 1U);
}

TEST(SumTreeTest, FindNeverReturnsAnEmptySlot) {
  SumTree tree(7, false);
  tree.Set(1, 2.0, 2.0);
  tree.Set(5, 1.0, 1.0);
  for (double u : {0.0, 1.999999, 2.0, 2.9999999, 3.0, 3.5, 1e300}) {
    const std::size_t slot = tree.Find(u);
    EXPECT_TRUE(slot == 1 || slot == 5) << u;
  }
  EXPECT_EQ(tree.Find(0.5), 1U);
  EXPECT_EQ(tree.Find(2.5), 5U);
}

TEST(SumTreeTest, FindSamplesInProportionToMass) {
  const std::vector<double> masses = {0.5, 0.0, 3.0, 1.25, 0.75, 2.0, 0.1, 4.4, 1.0, 0.3};
  SumTree tree(masses.size(), false);
  for (std::size_t i = 0; i < masses.size(); ++i) tree.Set(i, masses[i], masses[i]);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, tree.Total());
  const int draws = 200000;
  std::vector<double> observed(masses.size(), 0.0);
  for (int i = 0; i < draws; ++i) observed[tree.Find(u(rng))] += 1;
  EXPECT_EQ(observed[1], 0.0) << "zero mass is never drawn";
  std::vector<double> obs, expected;
  for (std::size_t i = 0; i < masses.size(); ++i) {
    if (masses[i] == 0) continue;
    obs.push_back(observed[i]);
    expected.push_back(draws * masses[i] / tree.Total());
  }
  const testing::ChiSquare chi = testing::PearsonChiSquare(obs, expected);
  EXPECT_GT(chi.p_value, 1e-3) << "chi2 " << chi.statistic << " dof " << chi.dof;
}

}  // namespace
}  // namespace tarmac::replay
