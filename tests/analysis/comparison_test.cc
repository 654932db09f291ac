#include "tarmac/analysis/comparison.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tarmac::analysis {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kQuantities = {"score", "min_ttc_s"};
const std::vector<std::string> kBehaviours = {"late_brake_after_cut_in"};

// `n` seeds of each family with noisy scores; B's score on `worse` is lower by `drop`.
std::vector<PairedOutcome> Pairs(int n, const std::string& worse, double drop,
                                 bool identical = false) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<PairedOutcome> pairs;
  for (const char* family : {"cut_in", "highway"}) {
    for (int i = 0; i < n; ++i) {
      PairedOutcome p;
      p.family = family;
      p.seed = static_cast<std::uint64_t>(i);
      const double score = 0.8 + noise(rng);
      p.a = {score, 3.0};
      p.b = {identical ? score : score + noise(rng) - (family == worse ? drop : 0.0), 3.0};
      const bool late = i % 5 == 0;
      p.a_behaviour = {late};
      p.b_behaviour = {identical ? late : (late || (family == worse && i % 2 == 0))};
      pairs.push_back(p);
    }
  }
  return pairs;
}

std::vector<Gate> Gates(const std::string& yaml) {
  auto gates = ParseGates(yaml, "gate.yaml", kQuantities, kBehaviours);
  EXPECT_TRUE(gates.ok()) << gates.status();
  return gates.ok() ? *gates : std::vector<Gate>{};
}

constexpr char kGates[] =
    "gates:\n"
    "  - {quantity: score, max_drop: 0.01}\n"
    "  - {behaviour: late_brake_after_cut_in, max_rise: 0}\n"
    "  - {quantity: min_ttc_s, family: cut_in, max_drop: 0}\n";

TEST(ComparisonTest, APolicyComparedWithItselfHasZeroIntervalsAndPassesEveryGate) {
  const auto families = ComparePairs(Pairs(30, "", 0.0, true), kQuantities, kBehaviours);
  ASSERT_EQ(families.size(), 3U);
  EXPECT_EQ(families.back().family, "all");
  EXPECT_EQ(families.back().pairs, 60U);
  for (const FamilyComparison& f : families) {
    for (const QuantityComparison& q : f.quantities) {
      EXPECT_TRUE(q.difference.Contains(0.0)) << f.family << " " << q.name;
      EXPECT_EQ(q.sign_p, 1.0);
    }
    EXPECT_TRUE(f.behaviours[0].difference.Contains(0.0));
    EXPECT_EQ(f.behaviours[0].only_a + f.behaviours[0].only_b, 0U);
  }
  for (const GateResult& r : CheckGates(Gates(kGates), families)) {
    EXPECT_TRUE(r.passed) << r.gate->text << " on " << r.family << ": " << r.why;
  }
}

TEST(ComparisonTest, ARegressionOnOneFamilyFailsItsGatesThere) {
  const auto families = ComparePairs(Pairs(40, "cut_in", 0.1), kQuantities, kBehaviours);
  const std::vector<Gate> gates = Gates(kGates);
  std::vector<std::string> failed;
  for (const GateResult& r : CheckGates(gates, families)) {
    if (!r.passed) failed.push_back(r.gate->text + " " + r.family);
  }
  EXPECT_THAT(failed, ::testing::UnorderedElementsAre(
                          "{quantity: score, max_drop: 0.01} cut_in",
                          "{quantity: score, max_drop: 0.01} all",
                          "{behaviour: late_brake_after_cut_in, max_rise: 0} cut_in",
                          "{behaviour: late_brake_after_cut_in, max_rise: 0} all"));
  const FamilyComparison& cut_in = families[0];
  ASSERT_EQ(cut_in.family, "cut_in");
  EXPECT_LT(cut_in.quantities[0].difference.high, -0.05);
  EXPECT_LT(cut_in.quantities[0].sign_p, 0.001);
  EXPECT_LT(cut_in.behaviours[0].mcnemar_p, 0.001);
  EXPECT_EQ(cut_in.behaviours[0].only_a, 0U);
}

TEST(ComparisonTest, TheSameInputsGiveTheSameIntervals) {
  const auto pairs = Pairs(25, "cut_in", 0.05);
  const auto x = ComparePairs(pairs, kQuantities, kBehaviours, 2000, 9);
  const auto y = ComparePairs(pairs, kQuantities, kBehaviours, 2000, 9);
  EXPECT_EQ(x[0].quantities[0].difference.low, y[0].quantities[0].difference.low);
  EXPECT_EQ(x[0].quantities[0].difference.high, y[0].quantities[0].difference.high);
}

TEST(ComparisonTest, AGateNamingAFamilyTheComparisonLacksFails) {
  const auto families = ComparePairs(Pairs(10, "", 0.0, true), kQuantities, kBehaviours);
  const auto results =
      CheckGates(Gates("gates: [{quantity: score, family: merge, max_drop: 0.1}]"), families);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_FALSE(results[0].passed);
  EXPECT_THAT(results[0].why, HasSubstr("merge"));
}

TEST(ComparisonTest, ABadGateFileIsOneSentenceNamingTheFileGateAndKey) {
  const auto error = [](const std::string& yaml) {
    auto gates = ParseGates(yaml, "ci-gate.yaml", kQuantities, kBehaviours);
    EXPECT_FALSE(gates.ok()) << yaml;
    return gates.ok() ? std::string() : std::string(gates.status().message());
  };
  EXPECT_THAT(error("gates: [{quantity: scroe, max_drop: 0.01}]"),
              ::testing::AllOf(HasSubstr("ci-gate.yaml: gate 1"), HasSubstr("scroe")));
  EXPECT_THAT(error("gates: [{quantity: score, max_drop: 0.01}, {behaviour: weave, max_rise: 0}]"),
              ::testing::AllOf(HasSubstr("gate 2"), HasSubstr("'weave'")));
  EXPECT_THAT(error("gates: [{quantity: score, max_dorp: 0.01}]"), HasSubstr("'max_dorp'"));
  EXPECT_THAT(error("gates: [{quantity: score}]"), HasSubstr("needs max_drop or max_rise"));
  EXPECT_THAT(error("gates: [{quantity: score, max_drop: lots}]"), HasSubstr("'lots'"));
  EXPECT_THAT(error("gates: [{behaviour: late_brake_after_cut_in, max_drop: 0.1}]"),
              HasSubstr("max_rise"));
  EXPECT_THAT(error("limits: []"), HasSubstr("'gates'"));
  EXPECT_THAT(error("gates: [{quantity: score, max_drop: 0.01"), HasSubstr("not valid YAML"));
  auto missing = LoadGates("/nonexistent/gate.yaml", kQuantities, kBehaviours);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/gate.yaml"));
}

TEST(ComparisonTest, TheShippedGateFileParses) {
  auto gates = LoadGates(TARMAC_SOURCE_DIR "/configs/gates/default.yaml", ComparedQuantities(),
                         {"late_brake_after_cut_in", "at_fault_collision"});
  ASSERT_TRUE(gates.ok()) << gates.status();
  EXPECT_EQ(gates->size(), 4U);
}

}  // namespace
}  // namespace tarmac::analysis
