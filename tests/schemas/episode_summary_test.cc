#include "tarmac/schemas/episode_summary.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "tarmac/wire/episode_summary.capnp.h"

namespace tarmac::schemas {
namespace {

using ::testing::HasSubstr;

EpisodeSummary FullSummary() {
  EpisodeSummary s;
  s.scenario = "lead_brake";
  s.seed = 123456789;
  s.env_name = "highway";
  s.actor_id = "actor-1";
  s.episode_id = 9;
  s.policy_version = 4;
  s.steps = 300;
  s.episode_return = -12.5;
  s.term_returns = {{"progress", 40.0}, {"collision", -50.0}, {"ttc", std::nan("3")}};
  s.events = {{Event::kHardBrake, 120, 250.5F, 249.0F, 1.75F},
              {Event::kCollision, 131, 262.0F, 261.0F, 1.8F}};
  s.metrics = {{"score", 0.0}, {"progress_ratio", 0.82}};
  s.outcome = Outcome::kCollision;
  s.distance_m = 262.0;
  return s;
}

std::string BytesOf(capnp::MallocMessageBuilder& builder) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  return {reinterpret_cast<const char*>(words.begin()), words.size() * sizeof(capnp::word)};
}

TEST(EpisodeSummaryTest, RoundTripKeepsEveryField) {
  const EpisodeSummary s = FullSummary();
  absl::StatusOr<EpisodeSummary> d = DecodeEpisodeSummary(EncodeEpisodeSummary(s));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->scenario, s.scenario);
  EXPECT_EQ(d->seed, s.seed);
  EXPECT_EQ(d->env_name, s.env_name);
  EXPECT_EQ(d->actor_id, s.actor_id);
  EXPECT_EQ(d->episode_id, s.episode_id);
  EXPECT_EQ(d->policy_version, s.policy_version);
  EXPECT_EQ(d->steps, s.steps);
  EXPECT_EQ(d->episode_return, s.episode_return);
  ASSERT_EQ(d->term_returns.size(), 3U);
  EXPECT_EQ(d->term_returns[1].name, "collision");
  EXPECT_EQ(std::memcmp(&d->term_returns[2].value, &s.term_returns[2].value, 8), 0);
  ASSERT_EQ(d->events.size(), 2U);
  EXPECT_EQ(d->events[0].event, Event::kHardBrake);
  EXPECT_EQ(d->events[1].step, 131U);
  EXPECT_FLOAT_EQ(d->events[1].s, 262.0F);
  EXPECT_FLOAT_EQ(d->events[1].y, 1.8F);
  ASSERT_EQ(d->metrics.size(), 2U);
  EXPECT_EQ(d->metrics[1].value, 0.82);
  EXPECT_EQ(d->outcome, Outcome::kCollision);
  EXPECT_EQ(d->distance_m, 262.0);
}

TEST(EpisodeSummaryTest, EmptySummaryRoundTrips) {
  absl::StatusOr<EpisodeSummary> d = DecodeEpisodeSummary(EncodeEpisodeSummary({}));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->events.empty());
  EXPECT_TRUE(d->metrics.empty());
  EXPECT_EQ(d->outcome, Outcome::kTimeLimit);
}

TEST(EpisodeSummaryTest, RefusesEventsThisBuildDoesNotKnow) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::EpisodeSummary>();
  root.setSchemaId(capnp::typeId<wire::EpisodeSummary>());
  root.initEvents(1)[0].setEvent(static_cast<wire::Event>(42));
  absl::StatusOr<EpisodeSummary> d = DecodeEpisodeSummary(BytesOf(builder));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "EpisodeSummary holds unknown event 42");
}

TEST(EpisodeSummaryTest, RefusesOutcomesThisBuildDoesNotKnow) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::EpisodeSummary>();
  root.setSchemaId(capnp::typeId<wire::EpisodeSummary>());
  root.setOutcome(static_cast<wire::Outcome>(9));
  absl::StatusOr<EpisodeSummary> d = DecodeEpisodeSummary(BytesOf(builder));
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("unknown outcome 9"));
}

TEST(EpisodeSummaryTest, OutcomeNamesAreSnakeCase) {
  EXPECT_EQ(OutcomeName(Outcome::kTimeLimit), "time_limit");
  EXPECT_EQ(OutcomeName(Outcome::kOffRoad), "off_road");
}

}  // namespace
}  // namespace tarmac::schemas

namespace tarmac::schemas {
namespace {

TEST(EpisodeSummaryTest, MetricOrFindsByNameOrFallsBack) {
  EpisodeSummary s;
  s.metrics = {{"score", 0.75}, {"collision", 0.0}};
  EXPECT_EQ(MetricOr(s, "score"), 0.75);
  EXPECT_EQ(MetricOr(s, "collision", -1.0), 0.0);
  EXPECT_EQ(MetricOr(s, "missing", -1.0), -1.0);
}

}  // namespace
}  // namespace tarmac::schemas
