// The rollout fleet against a real redis-server with the tarmac_replay module: every transition
// delivered exactly once, seeded jobs repeatable, failures and signals survived.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rollout_job_support.h"

namespace tarmac::actors {
namespace {

// A driving env that throws on its 40th step, the first `kCrashes` times any instance gets
// there: a stand-in for bad scenario parameters or a NaN state.
std::atomic<int> g_crashes{0};
constexpr int kCrashes = 2;

class CrashingEnv : public envs::DrivingEnv {
 public:
  explicit CrashingEnv(const envs::EnvConfig& config)
      : DrivingEnv(
            envs::DrivingEnvOptions::From(config, "crashing-v0", envs::ScenarioFamily::kHighway)) {}
  envs::StepResult Step(absl::Span<const float> action, absl::Span<float> observation,
                        absl::Span<float> terms) override {
    if (++steps_ == 40 && g_crashes.fetch_add(1) < kCrashes) {
      throw std::runtime_error("scenario parameters out of range (test)");
    }
    return DrivingEnv::Step(action, observation, terms);
  }

 private:
  int steps_ = 0;
};

TARMAC_REGISTER_ENV("crashing-v0", "Throws on its 40th step, twice per process (tests)",
                    std::make_unique<CrashingEnv>(config));

TEST(RolloutJobTest, EveryTransitionReachesRedisExactlyOnceAcrossARedisRestart) {
  testing::TempDir dir;
  testing::RedisServer::Options server_options;
  server_options.dir = dir.path();
  server_options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  auto server = testing::RedisServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  RolloutJobOptions options = SmallJob(**server);
  options.expert = true;
  options.table.max_times_sampled = 1;  // lets the test drain the table item by item
  monitoring::Metrics metrics;
  BackgroundJob job(options, &metrics);
  auto& steps = metrics.env_steps_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > 3000; }));

  // Kill Redis mid-run (nothing acknowledged is lost with appendfsync always), restart it on
  // the same port and data, and let the writer reconcile and carry on.
  (*server)->Kill(SIGKILL);
  server->reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server_options.port = port;
  server = testing::RedisServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  const double at_restart = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > at_restart + 3000; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->unwritten, 0U);
  EXPECT_EQ(result->written, result->transitions);
  EXPECT_EQ(result->transitions, result->env_steps);  // one transition per step, cut windows too
  double episodes = 0;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != "tarmac_episodes_total") continue;
    for (const auto& metric : family.metric) episodes += metric.counter.value;
  }
  EXPECT_GT(result->episodes, 0U);
  EXPECT_EQ(episodes, static_cast<double>(result->episodes));

  auto client = Connect(**server);
  ASSERT_TRUE(client.ok());
  const std::string info = (*server)->RunText({"REPLAY.INFO", "rl"});
  const auto all = DrainTable(**client, "rl");
  SCOPED_TRACE(info);
  EXPECT_EQ(all.size(), result->transitions);
  ExpectEveryStepExactlyOnce(all);
}

// A seeded expert job writes the same demonstrations however its actors are scheduled: each
// env actor stops at its share of max_env_steps (whole batches), and one actor's transitions
// reach the table in the order it stepped them, so that table's order is the same too.
TEST(RolloutJobTest, ASeededExpertJobWritesTheSameDemonstrationsEveryRun) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = Connect(**server);
  ASSERT_TRUE(client.ok());
  JobRunner runner;
  for (const int actors : {2, 1}) {
    SCOPED_TRACE(actors == 1 ? "one actor" : "two actors");
    std::vector<std::vector<std::string>> runs;
    for (int run = 0; run < 2; ++run) {
      RolloutJobOptions options = SmallJob(**server);
      options.expert = true;
      options.analyse = false;
      options.actors = actors;
      options.envs_per_actor = 4;
      options.actor_id = "demos";  // in every payload: the same in both runs
      options.table.name = absl::StrCat("demos-", actors, "-", run);
      options.table.max_times_sampled = 1;
      options.max_env_steps = 2001;  // shares 1001 and 1000, rounded up to 1004 and 1000
      monitoring::Metrics metrics;
      auto result = runner.Run(options, metrics);
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->env_steps, 2004U);
      EXPECT_EQ(result->unwritten, 0U);
      runs.push_back(PayloadsInOrder(**client, options.table.name));
      EXPECT_EQ(runs.back().size(), result->written);
    }
    if (actors == 1) {
      EXPECT_TRUE(runs[0] == runs[1]) << "the same demonstrations in another order";
    } else {
      std::sort(runs[0].begin(), runs[0].end());
      std::sort(runs[1].begin(), runs[1].end());
    }
    EXPECT_TRUE(runs[0] == runs[1]) << "other demonstrations";
  }
}

// With actor.inference inline each env actor samples its own actions from its own noise
// stream, so a seeded job that samples the policy writes the same transitions every run, two
// actors or one; the batched inference actor draws one batch's noise from the first request's
// seed, so what it writes depends on which requests met.
TEST(RolloutJobTest, ASeededJobWithInlineInferenceWritesTheSameTransitionsEveryRun) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = Connect(**server);
  ASSERT_TRUE(client.ok());
  JobRunner runner;
  std::vector<std::vector<std::string>> runs;
  for (int run = 0; run < 3; ++run) {
    RolloutJobOptions options = SmallJob(**server);
    options.inference = "inline";
    options.noise_scale = 1.0F;
    options.analyse = false;
    options.actor_id = "inline";  // in every payload: the same in every run
    options.table.name = absl::StrCat("inline-", run);
    options.table.max_times_sampled = 1;
    options.max_env_steps = 2000;
    monitoring::Metrics metrics;
    auto result = runner.Run(options, metrics);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->env_steps, 2000U);
    EXPECT_EQ(result->unwritten, 0U);
    runs.push_back(PayloadsInOrder(**client, options.table.name));
    ASSERT_EQ(runs.back().size(), result->written);
    std::sort(runs.back().begin(), runs.back().end());
  }
  EXPECT_TRUE(runs[0] == runs[1] && runs[1] == runs[2]) << "other transitions";
}

TEST(RolloutJobTest, AFailingEnvActorIsRestartedAndTheRestKeepsRunning) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "crashing-v0";
  options.expert = true;
  options.max_env_steps = 4000;
  g_crashes = 0;
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->restarts, static_cast<std::uint64_t>(kCrashes));
  EXPECT_GE(result->env_steps, 4000U);
  EXPECT_EQ(metrics.actor_restarts_total.Add({{"reason", "exception"}}).Value(), kCrashes);
  EXPECT_EQ(result->written, result->transitions);
}

TEST(RolloutJobTest, HeartbeatRegistersTheProcessWhileItRuns) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.expert = true;
  options.actor_id = "test-actor-1";
  monitoring::Metrics metrics;
  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok());
  {
    BackgroundJob job(options, &metrics);
    ASSERT_TRUE(WaitFor([&] {
      auto live = (*control)->LiveActors();
      return live.ok() && live->size() == 1 && live->front() == "test-actor-1";
    }));
    ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.actors_alive) == 1.0; }));
    EXPECT_EQ((*server)->RunText({"HGET", "tarmac:actors:test-actor-1", "envs"}), "8");
    ASSERT_TRUE(job.Stop().ok());
  }
  auto live = (*control)->LiveActors();
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());  // unregistered on a clean stop
}

TEST(RolloutJobTest, SigtermFlushesEverythingTheActorProcessHolds) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  const std::string log = dir.path() + "/actor.log";
  auto started = testing::Subprocess::Start(
      {TARMAC_BINARY_DIR "/cli/tarmac", "actor", "--redis", (*server)->url(), "--policy", "expert",
       "--actors", "2", "--envs-per-actor", "8", "--metrics-port", "0"},
      log);
  ASSERT_TRUE(started.ok()) << started.status();
  testing::Subprocess actor = std::move(*started);
  const auto log_text = [&] {
    std::ifstream in(log);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  ASSERT_TRUE(WaitFor([&] {
    const std::string size = (*server)->RunText({"REPLAY.INFO", "rl"});
    return size.rfind("[size, ", 0) == 0 && size.rfind("[size, 0,", 0) != 0;
  })) << (*server)->RunText({"REPLAY.INFO", "rl"})
      << "\n"
      << log_text();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(actor.pid(), SIGTERM), 0);
  auto code = actor.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 130);
  const std::string text = log_text();
  const auto at = text.find(" transitions (");
  ASSERT_NE(at, std::string::npos) << text;
  const auto begin = text.rfind(", ", at) + 2;
  const std::uint64_t transitions = std::stoull(text.substr(begin, at - begin));
  EXPECT_NE(text.find("0 unwritten"), std::string::npos) << text;
  const std::string info = (*server)->RunText({"REPLAY.INFO", "rl"});
  EXPECT_NE(info.find("inserts, " + std::to_string(transitions) + ","), std::string::npos)
      << info << " vs " << transitions;
}

}  // namespace
}  // namespace tarmac::actors
