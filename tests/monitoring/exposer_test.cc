#include "tarmac/monitoring/exposer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "subprocess.h"
#include "tarmac/monitoring/metrics.h"

namespace tarmac::monitoring {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// One child in every family, so the exposition shows every name.
void Populate(Metrics& m) {
  m.build_info.Add({{"version", "test"}}).Set(1);
  m.env_steps_total.Add({}).Increment(7);
  m.episodes_total.Add({{"scenario", "cut_in"}}).Increment();
  m.episode_return.Add({{"scenario", "cut_in"}}, Metrics::ReturnBuckets()).Observe(12.5);
  m.episode_score.Add({{"scenario", "cut_in"}}, Metrics::ScoreBuckets()).Observe(0.85);
  m.reward_term.Add({{"term", "progress"}}).Set(0.4);
  m.events_total.Add({{"event", "near_miss"}}).Increment();
  m.replay_inserts_total.Add({}).Increment(64);
  m.replay_samples_total.Add({}).Increment(256);
  m.replay_size.Add({{"table", "rl"}}).Set(64);
  m.replay_insert_seconds.Add({}, Metrics::LatencyBuckets()).Observe(0.002);
  m.replay_sample_seconds.Add({}, Metrics::LatencyBuckets()).Observe(0.004);
  m.learner_updates_total.Add({}).Increment(3);
  m.learner_loss.Add({{"kind", "critic"}}).Set(0.7);
  m.policy_version.Add({}).Set(2);
  m.policy_lag_versions.Add({}, Metrics::LagBuckets()).Observe(1);
  m.actors_alive.Add({}).Set(4);
}

TEST(ExposerTest, ServesEveryFamilyOnAPickedPort) {
  Metrics metrics;
  Populate(metrics);
  ExposerOptions options;
  options.port = 0;
  absl::StatusOr<std::unique_ptr<MetricsExposer>> exposer =
      MetricsExposer::Start(options, metrics.registry());
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  EXPECT_GT((*exposer)->port(), 0);
  EXPECT_THAT((*exposer)->url(), StartsWith("http://127.0.0.1:"));

  absl::StatusOr<testing::HttpResponse> response = testing::HttpGet((*exposer)->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->body, HasSubstr("tarmac_env_steps_total 7"));
  EXPECT_THAT(response->body, HasSubstr("tarmac_episodes_total{scenario=\"cut_in\"} 1"));
  EXPECT_THAT(response->body, HasSubstr("tarmac_replay_insert_seconds_bucket"));
}

TEST(ExposerTest, PromtoolAcceptsTheExposition) {
  if (std::string(TARMAC_PROMTOOL).empty()) GTEST_SKIP() << "promtool not installed";
  Metrics metrics;
  Populate(metrics);
  ExposerOptions options;
  options.port = 0;
  auto exposer = MetricsExposer::Start(options, metrics.registry());
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  absl::StatusOr<testing::HttpResponse> response = testing::HttpGet((*exposer)->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();

  absl::StatusOr<testing::CommandResult> lint = testing::RunCommand(
      {TARMAC_PROMTOOL, "check", "metrics"}, std::chrono::seconds(30), response->body);
  ASSERT_TRUE(lint.ok()) << lint.status();
  EXPECT_EQ(lint->exit_code, 0) << lint->out << lint->err;
}

TEST(ExposerTest, BusyPortIsOneClearError) {
  Metrics metrics;
  ExposerOptions options;
  options.port = 0;
  auto first = MetricsExposer::Start(options, metrics.registry());
  ASSERT_TRUE(first.ok()) << first.status();
  options.port = (*first)->port();
  auto second = MetricsExposer::Start(options, metrics.registry());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("choose another --metrics-port"));
}

TEST(ExposerTest, ValidatesOptions) {
  ExposerOptions options;
  options.port = 70000;
  EXPECT_EQ(options.Validate().message(), "metrics.port is 70000; use an integer in [0, 65535]");
  options.port = 9464;
  options.bind_address = "localhost";
  EXPECT_THAT(options.Validate().message(), HasSubstr("is not an IP address"));
  options.bind_address = "0.0.0.0";
  EXPECT_TRUE(options.Validate().ok());
  options.bind_address = "::1";
  EXPECT_TRUE(options.Validate().ok());
}

}  // namespace
}  // namespace tarmac::monitoring
