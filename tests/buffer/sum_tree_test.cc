#include "sum_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "chi_square.h"

namespace tarmac::replay {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Leaves held by the test: mass and priority per slot (an empty slot: mass 0, priority inf).
class Leaves : public LeafSource {
 public:
  explicit Leaves(std::size_t n) : mass_(n, 0.0), priority_(n, kInf) {}
  double LeafMass(std::size_t slot) const override { return mass_[slot]; }
  double LeafPriority(std::size_t slot) const override { return priority_[slot]; }
  void Set(SumTree& tree, std::size_t slot, double mass, double priority) {
    mass_[slot] = mass;
    priority_[slot] = priority;
    tree.Update(slot);
  }
  void Clear(SumTree& tree, std::size_t slot) { Set(tree, slot, 0.0, kInf); }

 private:
  std::vector<double> mass_, priority_;
};

TEST(SumTreeTest, TotalIsRecomputedFromChildren) {
  Leaves leaves(5);
  SumTree tree(5, false, &leaves);
  leaves.Set(tree, 0, 1.0, 1.0);
  leaves.Set(tree, 3, 2.5, 2.5);
  leaves.Set(tree, 4, 0.5, 0.5);
  EXPECT_DOUBLE_EQ(tree.Total(), 4.0);
  leaves.Set(tree, 3, 1.0, 1.0);
  EXPECT_DOUBLE_EQ(tree.Total(), 2.5);
  leaves.Clear(tree, 0);
  EXPECT_DOUBLE_EQ(tree.Total(), 1.5);
  // A million alternating updates leave no drift: the root is recomputed, not accumulated.
  for (int i = 0; i < 1'000'000; ++i) leaves.Set(tree, 4, (i % 2) ? 0.1 : 0.7, 0.1);
  EXPECT_EQ(tree.Total(), 1.0 + 0.1);
}

TEST(SumTreeTest, WorksForAnyCapacity) {
  for (std::size_t n : {1, 2, 3, 7, 8, 9, 1000}) {
    Leaves leaves(std::max<std::size_t>(n, 2));  // the tree keeps at least two leaves
    SumTree tree(n, true, &leaves);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      leaves.Set(tree, i, 1.0 + static_cast<double>(i), 1.0 + static_cast<double>(n - i));
      total += 1.0 + static_cast<double>(i);
    }
    EXPECT_DOUBLE_EQ(tree.Total(), total) << n;
    EXPECT_DOUBLE_EQ(tree.MinPositiveMass(), 1.0) << n;
    EXPECT_EQ(tree.ArgMinPriority(), n - 1) << n;
  }
}

TEST(SumTreeTest, MinPositiveMassIsExactForEveryLayout) {
  // Leaves of non-power-of-two trees hang at two depths; check the minimum after every change.
  std::mt19937_64 rng(9);
  for (std::size_t n : {3, 5, 6, 7, 11, 100}) {
    Leaves leaves(n);
    SumTree tree(n, false, &leaves);
    std::vector<double> mass(n, 0.0);
    for (int step = 0; step < 2000; ++step) {
      const std::size_t slot = rng() % n;
      mass[slot] = (rng() % 4 == 0) ? 0.0 : 0.01 * static_cast<double>(rng() % 1000 + 1);
      leaves.Set(tree, slot, mass[slot], mass[slot]);
      double expected = kInf;
      for (double m : mass) {
        if (m > 0) expected = std::min(expected, m);
      }
      ASSERT_EQ(tree.MinPositiveMass(), expected) << "n " << n << " step " << step;
    }
  }
}

TEST(SumTreeTest, MinPositiveMassIgnoresZerosAndEmptySlots) {
  Leaves leaves(8);
  SumTree tree(8, false, &leaves);
  EXPECT_EQ(tree.MinPositiveMass(), kInf);
  leaves.Set(tree, 2, 0.0, 0.0);
  leaves.Set(tree, 5, 0.25, 0.25);
  leaves.Set(tree, 6, 3.0, 3.0);
  EXPECT_DOUBLE_EQ(tree.MinPositiveMass(), 0.25);
  leaves.Clear(tree, 5);
  EXPECT_DOUBLE_EQ(tree.MinPositiveMass(), 3.0);
}

TEST(SumTreeTest, ArgMinPriorityFindsTheSmallestPriority) {
  Leaves leaves(6);
  SumTree tree(6, true, &leaves);
  leaves.Set(tree, 0, 1, 4.0);
  leaves.Set(tree, 1, 1, 2.0);
  leaves.Set(tree, 4, 1, 3.0);
  leaves.Set(tree, 5, 1, 0.0);
  EXPECT_EQ(tree.ArgMinPriority(), 5U);
  leaves.Clear(tree, 5);
  EXPECT_EQ(tree.ArgMinPriority(), 1U);
}

TEST(SumTreeTest, FindNeverReturnsAnEmptySlot) {
  Leaves leaves(7);
  SumTree tree(7, false, &leaves);
  leaves.Set(tree, 1, 2.0, 2.0);
  leaves.Set(tree, 5, 1.0, 1.0);
  for (double u : {0.0, 1.999999, 2.0, 2.9999999, 3.0, 3.5, 1e300}) {
    const std::size_t slot = tree.Find(u);
    EXPECT_TRUE(slot == 1 || slot == 5) << u;
  }
}

TEST(SumTreeTest, FindSamplesInProportionToMass) {
  const std::vector<double> masses = {0.5, 0.0, 3.0, 1.25, 0.75, 2.0, 0.1, 4.4, 1.0, 0.3};
  Leaves leaves(masses.size());
  SumTree tree(masses.size(), false, &leaves);
  for (std::size_t i = 0; i < masses.size(); ++i) leaves.Set(tree, i, masses[i], masses[i]);
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

// Every internal node stored, as the tree was before its lowest levels were computed on read.
class FullTree {
 public:
  explicit FullTree(const std::vector<double>& mass) : n_(mass.size()), sum_(2 * n_, 0.0) {
    for (std::size_t i = 0; i < n_; ++i) sum_[n_ + i] = mass[i];
    for (std::size_t i = n_ - 1; i >= 1; --i) sum_[i] = sum_[2 * i] + sum_[2 * i + 1];
  }
  double Total() const { return sum_[1]; }
  std::size_t Find(double u) const {
    std::size_t i = 1;
    while (i < n_) {
      const double left = sum_[2 * i];
      if (u >= left && sum_[2 * i + 1] > 0.0) {
        u -= left;
        i = 2 * i + 1;
      } else {
        i = left > 0.0 ? 2 * i : 2 * i + 1;
      }
    }
    return i - n_;
  }

 private:
  std::size_t n_;
  std::vector<double> sum_;
};

TEST(SumTreeTest, SumsAndDrawsAreBitIdenticalToAFullyStoredTree) {
  // The lowest levels are recomputed on read with the same additions in the same order: the
  // total and every draw match a tree that stores them, for every layout.
  std::mt19937_64 rng(17);
  for (std::size_t n : {2, 3, 4, 5, 6, 7, 9, 13, 100, 1000, 1023, 1025}) {
    Leaves leaves(n);
    SumTree tree(n, true, &leaves);
    std::vector<double> mass(n, 0.0);
    std::uniform_real_distribution<double> value(0.0, 3.0);
    for (int step = 0; step < 300; ++step) {
      const std::size_t slot = rng() % n;
      mass[slot] = (rng() % 5 == 0) ? 0.0 : value(rng);
      leaves.Set(tree, slot, mass[slot], mass[slot]);
      const FullTree full(mass);
      ASSERT_EQ(tree.Total(), full.Total()) << "n " << n << " step " << step;
      if (full.Total() <= 0.0) continue;
      std::uniform_real_distribution<double> u(0.0, full.Total());
      for (int draw = 0; draw < 20; ++draw) {
        const double x = u(rng);
        ASSERT_EQ(tree.Find(x), full.Find(x)) << "n " << n << " step " << step << " u " << x;
      }
      ASSERT_EQ(tree.Find(full.Total()), full.Find(full.Total())) << "n " << n;
    }
  }
}

TEST(SumTreeTest, RebuildGivesWhatUpdatesGave) {
  const std::size_t n = 37;
  Leaves leaves(n);
  SumTree updated(n, true, &leaves);
  for (std::size_t i = 0; i < n; i += 2) {
    leaves.Set(updated, i, 0.5 + static_cast<double>(i % 7), static_cast<double>(i));
  }
  SumTree rebuilt(n, true, &leaves);
  rebuilt.Rebuild();
  EXPECT_EQ(rebuilt.Total(), updated.Total());
  EXPECT_EQ(rebuilt.MinPositiveMass(), updated.MinPositiveMass());
  EXPECT_EQ(rebuilt.ArgMinPriority(), updated.ArgMinPriority());
  EXPECT_EQ(rebuilt.ArgMinPriority(), 0U);
}

TEST(SumTreeTest, HoldsEightBytesASlotOrTwelveWithMinPriority) {
  Leaves leaves(1'000'000);
  EXPECT_EQ(SumTree(1'000'000, false, &leaves).MemoryBytes(), 8'000'000U);
  EXPECT_EQ(SumTree(1'000'000, true, &leaves).MemoryBytes(), 12'000'000U);
  EXPECT_EQ(SumTree(1'000'000, true, &leaves).MemoryBytes(), SumTree::BytesFor(1'000'000, true));
}

}  // namespace
}  // namespace tarmac::replay
