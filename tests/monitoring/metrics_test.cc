#include "tarmac/monitoring/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/match.h"

namespace tarmac::monitoring {
namespace {

// Names of the declared families (Collect() leaves out families that have no child yet).
std::set<std::string> FamilyNames(const Metrics& m) {
  return {m.build_info.GetName(),
          m.env_steps_total.GetName(),
          m.episodes_total.GetName(),
          m.episode_return.GetName(),
          m.episode_score.GetName(),
          m.reward_term.GetName(),
          m.events_total.GetName(),
          m.replay_inserts_total.GetName(),
          m.replay_samples_total.GetName(),
          m.replay_size.GetName(),
          m.replay_insert_seconds.GetName(),
          m.replay_sample_seconds.GetName(),
          m.learner_updates_total.GetName(),
          m.learner_loss.GetName(),
          m.policy_version.GetName(),
          m.policy_lag_versions.GetName(),
          m.actors_alive.GetName()};
}

TEST(MetricsTest, RegistersEveryFamilyDesignNames) {
  Metrics metrics;
  const std::set<std::string> names = FamilyNames(metrics);
  for (const char* name :
       {"tarmac_env_steps_total", "tarmac_episodes_total", "tarmac_episode_return",
        "tarmac_reward_term", "tarmac_events_total", "tarmac_replay_inserts_total",
        "tarmac_replay_samples_total", "tarmac_replay_size", "tarmac_replay_insert_seconds",
        "tarmac_replay_sample_seconds", "tarmac_learner_updates_total", "tarmac_learner_loss",
        "tarmac_policy_version", "tarmac_policy_lag_versions", "tarmac_actors_alive"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
}

TEST(MetricsTest, NamesFollowTheConvention) {
  Metrics metrics;
  metrics.env_steps_total.Add({}).Increment();
  metrics.episodes_total.Add({{"scenario", "merge"}}).Increment();
  metrics.replay_inserts_total.Add({}).Increment();
  for (const prometheus::MetricFamily& family : metrics.registry()->Collect()) {
    EXPECT_TRUE(absl::StartsWith(family.name, "tarmac_")) << family.name;
    EXPECT_FALSE(family.help.empty()) << family.name;
    const bool is_counter = family.type == prometheus::MetricType::Counter;
    EXPECT_EQ(is_counter, absl::EndsWith(family.name, "_total")) << family.name;
  }
}

TEST(MetricsTest, HandlesAreStableAndCount) {
  Metrics metrics;
  prometheus::Counter& a = metrics.events_total.Add({{"event", "hard_brake"}});
  prometheus::Counter& b = metrics.events_total.Add({{"event", "hard_brake"}});
  EXPECT_EQ(&a, &b);
  a.Increment(2);
  b.Increment();
  EXPECT_DOUBLE_EQ(a.Value(), 3.0);
}

TEST(MetricsTest, BucketsAreStrictlyIncreasing) {
  for (const auto& buckets : {Metrics::ReturnBuckets(), Metrics::ScoreBuckets(),
                              Metrics::LatencyBuckets(), Metrics::LagBuckets()}) {
    ASSERT_FALSE(buckets.empty());
    for (std::size_t i = 1; i < buckets.size(); ++i) EXPECT_LT(buckets[i - 1], buckets[i]);
  }
}

}  // namespace
}  // namespace tarmac::monitoring
