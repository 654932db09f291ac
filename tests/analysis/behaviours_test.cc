#include "tarmac/analysis/behaviours.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "episode_builder.h"
#include "tarmac/analysis/predicate.h"

namespace tarmac::analysis {
namespace {

using ::testing::HasSubstr;
using testing::MarkEvent;
using testing::StraightEpisode;

Behaviour ParseOne(const std::string& yaml) {
  auto parsed = ParseBehaviours(yaml, "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok() || parsed->empty()) return {};
  return (*parsed)[0];
}

std::string ErrorOf(const std::string& yaml) {
  auto parsed = ParseBehaviours(yaml, "mine.yaml");
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(PredicateTest, EvaluatesArithmeticComparisonsAndLogic) {
  MetricValues m;
  m[Metric::kBrakeOnsetS] = 0.9;
  m[Metric::kMinTtcS] = 2.0;
  m[Metric::kCollision] = 1.0;
  schemas::EpisodeSummary summary;
  summary.metrics = {{"score", 0.25}};
  const auto eval = [&](const char* text) {
    auto e = Expression::Parse(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status();
    return e.ok() ? e->Evaluate(m, summary) : -1.0;
  };
  EXPECT_EQ(eval("brake_onset_s > 0.8 or min_ttc_s < 1.2"), 1.0);
  EXPECT_EQ(eval("brake_onset_s > 0.8 and min_ttc_s < 1.2"), 0.0);
  EXPECT_EQ(eval("not collision"), 0.0);
  EXPECT_EQ(eval("collision and score < 0.5"), 1.0);
  EXPECT_NEAR(eval("brake_onset_s + 3 / (min_ttc_s + 1)"), 1.9, 1e-12);
  EXPECT_NEAR(eval("-min_ttc_s * 2"), -4.0, 1e-12);
  EXPECT_EQ(eval("min_ttc_s == 2 and min_ttc_s != 3 and min_ttc_s >= 2 and min_ttc_s <= 2"), 1.0);
}

TEST(PredicateTest, ErrorsNameTheToken) {
  const auto error = [](const char* text) {
    auto e = Expression::Parse(text);
    EXPECT_FALSE(e.ok()) << text;
    return e.ok() ? std::string() : std::string(e.status().message());
  };
  EXPECT_THAT(error("brake_onset > 1"), HasSubstr("unknown metric 'brake_onset'"));
  EXPECT_THAT(error("brake_onset > 1"), HasSubstr("brake_onset_s"));  // the nearest name
  EXPECT_THAT(error("min_ttc_s and collision"), HasSubstr("'and' needs conditions"));
  EXPECT_THAT(error("collision > 1"), HasSubstr("yes/no flag"));
  EXPECT_THAT(error("not min_ttc_s"), HasSubstr("'not' needs a condition"));
  EXPECT_THAT(error("(min_ttc_s < 1"), HasSubstr("expected ')'"));
  EXPECT_THAT(error("min_ttc_s < 1 $"), HasSubstr("'$'"));
  EXPECT_THAT(error("min_ttc_s <"), HasSubstr("expected a number"));
}

TEST(BehavioursTest, TheBuiltInFileParses) {
  auto behaviours = LoadBehaviours(TARMAC_SOURCE_DIR "/configs/behaviours.yaml");
  ASSERT_TRUE(behaviours.ok()) << behaviours.status();
  EXPECT_GE(behaviours->size(), 5U);
  bool found = false;
  for (const Behaviour& b : *behaviours) {
    EXPECT_TRUE(b.when.is_boolean()) << b.name;
    if (b.name == "late_brake_after_cut_in") {
      found = true;
      EXPECT_EQ(b.after, "cut_in");
      EXPECT_DOUBLE_EQ(b.within_s, 3.0);
    }
  }
  EXPECT_TRUE(found);
}

TEST(BehavioursTest, BadFilesAreOneSentenceNamingFileBehaviourAndToken) {
  EXPECT_THAT(ErrorOf("behaviours:\n  x: {when: \"min_tc_s < 1\"}\n"),
              HasSubstr("mine.yaml: behaviour x: when: unknown metric 'min_tc_s'"));
  EXPECT_THAT(ErrorOf("behaviours:\n  x: {when: \"min_ttc_s + 1\"}\n"),
              HasSubstr("behaviour x: when:"));
  EXPECT_THAT(ErrorOf("behaviours:\n  x: {after: cutin, within_s: 3, when: \"braked\"}\n"),
              HasSubstr("unknown trigger 'cutin'"));
  EXPECT_THAT(ErrorOf("behaviours:\n  x: {whn: \"braked\"}\n"), HasSubstr("unknown key 'whn'"));
  EXPECT_THAT(ErrorOf("behaviours:\n  x: {after: cut_in, within_s: soon, when: \"braked\"}\n"),
              HasSubstr("within_s"));
  EXPECT_THAT(ErrorOf("behaviours: [\n"), HasSubstr("mine.yaml"));
  auto missing = LoadBehaviours("/nonexistent/behaviours.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/behaviours.yaml"));
}

TEST(BehavioursTest, EachTriggerOpensAWindowAndEachHoldingWindowIsAnOccurrence) {
  const Behaviour late = ParseOne(
      "behaviours:\n  late: {after: cut_in, within_s: 3, when: \"brake_onset_s > 0.8\"}\n");
  schemas::EpisodeLog log = StraightEpisode(200);
  MarkEvent(&log, 10, schemas::Event::kCutIn);  // braked 0.5 s after: fine
  log.steps[15].ego.accel = -3.0;
  MarkEvent(&log, 100, schemas::Event::kCutIn);  // braked 1.2 s after: late
  log.steps[112].ego.accel = -3.0;
  MarkEvent(&log, 190, schemas::Event::kCutIn);  // never braked before the end: late
  const std::vector<Occurrence> found = FindOccurrences(late, log);
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].trigger_step, 100U);
  EXPECT_EQ(found[0].end_step, 131U);
  EXPECT_NEAR(found[0].metrics[Metric::kBrakeOnsetS], 1.2, 1e-12);
  EXPECT_EQ(found[1].trigger_step, 190U);
  EXPECT_EQ(found[1].end_step, 200U);  // clipped at the episode's end
  EXPECT_EQ(Exposures(late, log), 3U);
}

TEST(BehavioursTest, WholeEpisodeBehavioursOccurAtMostOnceWithTheirSeverity) {
  const Behaviour tailgating =
      ParseOne("behaviours:\n  t: {when: \"tailgating_s > 1\", severity: \"tailgating_s * 2\"}\n");
  schemas::EpisodeLog log = StraightEpisode(100);
  for (std::size_t i = 0; i < 100; ++i) {
    log.steps[i].leader_id = 1;
    log.steps[i].leader_speed = 20.0F;
    log.steps[i].leader_gap = i < 25 ? 10.0F : 50.0F;  // 2.5 s at 0.5 s headway
  }
  const std::vector<Occurrence> found = FindOccurrences(tailgating, log);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_NEAR(found[0].severity, 5.0, 1e-9);
  EXPECT_EQ(Exposures(tailgating, log), 1U);
  EXPECT_TRUE(FindOccurrences(tailgating, StraightEpisode(100)).empty());
}

TEST(BehavioursTest, TheCompiledInBehavioursAreTheShippedFile) {
  auto shipped = LoadBehaviours(TARMAC_SOURCE_DIR "/configs/behaviours.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  const std::vector<Behaviour>& built_in = BuiltInBehaviours();
  ASSERT_EQ(built_in.size(), shipped->size());
  for (std::size_t i = 0; i < built_in.size(); ++i) {
    EXPECT_EQ(built_in[i].name, (*shipped)[i].name);
    EXPECT_EQ(built_in[i].when.text(), (*shipped)[i].when.text());
  }
  auto chosen = BehavioursFrom("");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->size(), built_in.size());
}

}  // namespace
}  // namespace tarmac::analysis
