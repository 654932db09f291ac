// The rollout fleet against a real redis-server with the tarmac_replay module.

#include "tarmac/actors/rollout_job.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/buffer/replay_server.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"
#include "tarmac/envs/registry.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/episode_log.h"
#include "tarmac/schemas/policy_weights.h"
#include "tarmac/schemas/transition.h"

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

buffer::ShardEndpoint Endpoint(const testing::RedisServer& server) {
  return *buffer::ShardEndpoint::Parse(server.url());
}

// A replay client of `server`'s tables (for reading back what a job wrote).
absl::StatusOr<std::unique_ptr<buffer::ReplayClient>> Connect(const testing::RedisServer& server) {
  buffer::ReplayClientOptions options;
  options.shards = {Endpoint(server)};
  return buffer::ReplayClient::Connect(options);
}

RolloutJobOptions SmallJob(const testing::RedisServer& server) {
  RolloutJobOptions o;
  o.shards = {Endpoint(server)};
  o.env_name = "highway-v0";
  o.table.name = "rl";
  o.table.capacity = 1'000'000;
  o.actors = 2;
  o.envs_per_actor = 4;
  o.hidden_sizes = {32, 32};
  o.heartbeat_seconds = 0.2;
  o.weights_poll_seconds = 0.5;
  o.seed = 42;
  return o;
}

learner::BatchShape HighwayShape() {
  const envs::DrivingEnv probe(
      envs::DrivingEnvOptions::From({}, "highway-v0", envs::ScenarioFamily::kHighway));
  const envs::EnvSpec& spec = probe.spec();
  return {spec.observation_size, spec.action_size, spec.action_low, spec.action_high, {}};
}

learner::SacOptions SmallSac() {
  learner::SacOptions sac;
  sac.hidden_sizes = {32, 32};
  sac.device = "cpu";
  sac.threads = 1;
  return sac;
}

// A small SAC trainer for highway-v0, whose exported weights SmallJob's actors accept.
absl::StatusOr<std::unique_ptr<learner::SacTrainer>> SmallHighwayTrainer() {
  return learner::SacTrainer::Create(SmallSac(), HighwayShape());
}

// Runs a job on its own thread and actor system.
class BackgroundJob {
 public:
  BackgroundJob(RolloutJobOptions options, monitoring::Metrics* metrics)
      : future_(std::async(std::launch::async, [this, options, metrics] {
          caf::actor_system_config cfg;
          tarmac::actors::ConfigureActorSystem(cfg);
          caf::actor_system system{cfg};
          return RunRolloutJob(system, options, *metrics, stop_);
        })) {}
  ~BackgroundJob() {
    stop_ = true;
    if (future_.valid()) future_.wait();
  }
  absl::StatusOr<RolloutJobResult> Stop() {
    stop_ = true;
    return future_.get();
  }

 private:
  std::atomic<bool> stop_{false};
  std::future<absl::StatusOr<RolloutJobResult>> future_;
};

// An actor system configured as tarmac's, on which a test runs jobs to their end in turn.
class JobRunner {
 public:
  JobRunner() : system_(Configured(cfg_)) {}
  absl::StatusOr<RolloutJobResult> Run(const RolloutJobOptions& options,
                                       monitoring::Metrics& metrics) {
    return RunRolloutJob(system_, options, metrics, stop_);
  }

 private:
  static caf::actor_system_config& Configured(caf::actor_system_config& cfg) {
    tarmac::actors::ConfigureActorSystem(cfg);
    return cfg;
  }
  caf::actor_system_config cfg_;
  caf::actor_system system_;
  std::atomic<bool> stop_{false};
};

// Waits (bounded) until `condition` holds.
template <class F>
bool WaitFor(F condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

double GaugeValue(prometheus::Family<prometheus::Gauge>& family) { return family.Add({}).Value(); }

// Every item of the table, drained by sampling a table made with MAX_TIMES_SAMPLED 1; each
// item's tags to `tags` when given.
std::vector<schemas::Transition> DrainTable(buffer::ReplayClient& client, const std::string& table,
                                            std::vector<std::uint64_t>* tags = nullptr) {
  std::vector<schemas::Transition> all;
  for (int round = 0; round < 100000; ++round) {
    auto sample = client.Sample(table, 256, {});
    if (!sample.ok()) {
      EXPECT_NE(sample.status().message().find("empty"), std::string::npos) << sample.status();
      break;
    }
    std::set<std::uint64_t> seen;
    for (const auto& item : sample->items) {
      if (!seen.insert(item.key.shard * (1ULL << 60) + item.key.id).second) continue;
      auto t = schemas::DecodeTransition(item.payload);
      EXPECT_TRUE(t.ok()) << t.status();
      if (t.ok()) all.push_back(std::move(*t));
      if (t.ok() && tags != nullptr) tags->push_back(item.tags);
    }
  }
  return all;
}

// Each (actor, env, episode) must hold steps 0..L-1 exactly once.
void ExpectEveryStepExactlyOnce(const std::vector<schemas::Transition>& all) {
  std::map<std::tuple<std::string, std::uint32_t, std::uint64_t>, std::vector<std::uint32_t>>
      episodes;
  for (const auto& t : all) episodes[{t.actor_id, t.env_id, t.episode_id}].push_back(t.step);
  for (auto& [key, steps] : episodes) {
    std::sort(steps.begin(), steps.end());
    for (std::size_t i = 0; i < steps.size(); ++i) {
      ASSERT_EQ(steps[i], i) << "episode " << std::get<2>(key) << " of env " << std::get<1>(key)
                             << ": a step is missing or duplicated";
    }
  }
}

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

// The payloads of every item of a table made with MAX_TIMES_SAMPLED 1, in insertion order.
std::vector<std::string> PayloadsInOrder(buffer::ReplayClient& client, const std::string& table) {
  std::map<std::uint64_t, std::string> by_id;
  for (int round = 0; round < 100000; ++round) {
    auto sample = client.Sample(table, 256, {});
    if (!sample.ok()) break;
    for (const auto& item : sample->items) by_id.emplace(item.key.id, item.payload);
  }
  std::vector<std::string> payloads;
  for (auto& [id, payload] : by_id) payloads.push_back(std::move(payload));
  return payloads;
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

TEST(RolloutJobTest, PicksUpNewWeightsAndRejectsCorruptOrMismatchedOnes) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  monitoring::Metrics metrics;
  BackgroundJob job(SmallJob(**server), &metrics);
  auto& steps = metrics.env_steps_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > 100; }));
  EXPECT_EQ(GaugeValue(metrics.policy_version), 0.0);  // random policy until one is published

  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok());
  auto trainer = SmallHighwayTrainer();
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const learner::BatchShape shape = HighwayShape();
  const learner::SacOptions sac = SmallSac();

  // v1: valid, picked up.
  auto blob = schemas::EncodePolicyWeights((*trainer)->ExportPolicy(1));
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE((*control)->PublishWeights(1, *blob).ok());
  ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.policy_version) == 1.0; }));

  // v2: one flipped byte in a tensor; the checksum catches it.
  std::string corrupt = *blob;
  corrupt[corrupt.size() / 2] ^= 0x5a;
  ASSERT_TRUE((*control)->PublishWeights(2, corrupt).ok());
  auto& rejected = metrics.weights_rejected_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 1.0; }));

  // v3: valid weights for another observation size.
  learner::BatchShape other = shape;
  other.obs_dim = 10;
  auto other_trainer = learner::SacTrainer::Create(sac, other);
  ASSERT_TRUE(other_trainer.ok());
  ASSERT_TRUE(
      (*control)
          ->PublishWeights(3, *schemas::EncodePolicyWeights((*other_trainer)->ExportPolicy(3)))
          .ok());
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 2.0; }));
  const double before = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > before + 100; }));  // still stepping
  EXPECT_EQ(GaugeValue(metrics.policy_version), 1.0);                  // on the old policy

  // v4: valid again.
  ASSERT_TRUE((*control)
                  ->PublishWeights(4, *schemas::EncodePolicyWeights((*trainer)->ExportPolicy(4)))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.policy_version) == 4.0; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weights_rejected, 2U);
  EXPECT_EQ(result->weight_swaps, 2U);
  EXPECT_EQ(result->unwritten, 0U);
}

// With TARMAC_WEIGHTS_KEY set, only weights the learner signed with that key drive: whoever can
// write tarmac:weights:* (intact blobs, valid checksums) cannot choose the policy.
TEST(RolloutJobTest, RefusesWeightsThatAreUnsignedOrSignedWithAnotherKey) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string key = "the-fleet-key-0123456789abcdef";
  RolloutJobOptions options = SmallJob(**server);
  options.weights_key = key;
  monitoring::Metrics metrics;
  BackgroundJob job(options, &metrics);
  auto& steps = metrics.env_steps_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > 100; }));

  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok());
  auto trainer = SmallHighwayTrainer();
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto& rejected = metrics.weights_rejected_total.Add({});

  // v1 unsigned, v2 signed with another key: both intact, both refused.
  ASSERT_TRUE((*control)
                  ->PublishWeights(1, *schemas::EncodePolicyWeights((*trainer)->ExportPolicy(1)))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 1.0; }));
  ASSERT_TRUE((*control)
                  ->PublishWeights(2, *schemas::EncodePolicyWeights((*trainer)->ExportPolicy(2),
                                                                    "an-attackers-key-0123456789"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 2.0; }));
  const double before = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > before + 100; }));  // still stepping
  EXPECT_EQ(GaugeValue(metrics.policy_version), 0.0);                  // on its own policy

  // v3 signed with the fleet's key: picked up.
  ASSERT_TRUE(
      (*control)
          ->PublishWeights(3, *schemas::EncodePolicyWeights((*trainer)->ExportPolicy(3), key))
          .ok());
  ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.policy_version) == 3.0; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weights_rejected, 2U);
  EXPECT_EQ(result->weight_swaps, 1U);
}

// A whole rollout process runs on the `actor` credential of a least-privilege replay server
// (tarmac replay-server --acl): creates its table, inserts exactly once, heartbeats, streams its
// episodes and swaps in weights the `learner` user published; nothing it needs is refused.
TEST(RolloutJobTest, RunsOnTheActorsLeastPrivilegeCredential) {
  const buffer::ReplayAclPasswords passwords{
      "actor-password-0123456789", "learner-password-0123456789", "admin-password-0123456789"};
  testing::TempDir acl_dir;
  const std::string acl_file = acl_dir.path() + "/users.acl";
  std::ofstream(acl_file) << buffer::ReplayAclFile(passwords);
  testing::RedisServer::Options server_options;
  server_options.extra_args = {"--aclfile", acl_file};
  server_options.user = "admin";
  server_options.password = passwords.admin;
  auto server = testing::RedisServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto as = [&](const std::string& user, const std::string& password) {
    buffer::ShardEndpoint e = Endpoint(**server);
    e.user = user;
    e.password = password;
    return e;
  };
  RolloutJobOptions options = SmallJob(**server);
  options.shards = {as("actor", passwords.actor)};
  options.actor_id = "fleet-actor-1";
  monitoring::Metrics metrics;
  BackgroundJob job(options, &metrics);
  auto learner = buffer::ControlClient::Connect(as("learner", passwords.learner));
  ASSERT_TRUE(learner.ok()) << learner.status();
  ASSERT_TRUE(WaitFor([&] {
    auto live = (*learner)->LiveActors();
    return live.ok() && live->size() == 1;
  }));
  ASSERT_TRUE(WaitFor([&] {
    auto episodes = (*learner)->RecentEpisodes(1);
    return episodes.ok() && episodes->size() == 1;
  }));

  auto trainer = SmallHighwayTrainer();
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  ASSERT_TRUE((*learner)
                  ->PublishWeights(1, *schemas::EncodePolicyWeights((*trainer)->ExportPolicy(1)))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.policy_version) == 1.0; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->written, 0U);
  EXPECT_EQ(result->unwritten, 0U);
  EXPECT_EQ(result->weights_rejected, 0U);
  EXPECT_EQ((*server)->RunText({"REPLAY.PRODUCER", "rl", result->actor_id}),
            std::to_string(result->written));
  EXPECT_TRUE((*learner)->LiveActors()->empty());  // it could unregister itself
}

// A running job changes architecture on a swap: from its random MLP to a published scene
// transformer (sac_transformer), which then acts, and back to an MLP.
TEST(RolloutJobTest, SwapsBetweenAnMlpAndASceneTransformerWhileRunning) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  monitoring::Metrics metrics;
  RolloutJobOptions o = SmallJob(**server);
  o.env_name = "driving-v0";
  BackgroundJob job(o, &metrics);
  auto& steps = metrics.env_steps_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > 100; }));

  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok());
  const envs::DrivingEnv probe(
      envs::DrivingEnvOptions::From({}, "driving-v0", envs::ScenarioFamily::kHighway));
  const auto& spec = probe.spec();
  const learner::BatchShape shape{spec.observation_size, spec.action_size, spec.action_low,
                                  spec.action_high, spec.tokens};
  learner::SacOptions sac;
  sac.hidden_sizes = {32, 32};
  sac.device = "cpu";
  sac.threads = 1;
  sac.arch = learner::ActorArch::kTransformer;
  sac.transformer_dim = 16;
  sac.transformer_layers = 1;
  auto transformer = learner::SacTrainer::Create(sac, shape);
  ASSERT_TRUE(transformer.ok()) << transformer.status();
  sac.arch = learner::ActorArch::kMlp;
  auto mlp = learner::SacTrainer::Create(sac, shape);
  ASSERT_TRUE(mlp.ok()) << mlp.status();

  ASSERT_TRUE(
      (*control)
          ->PublishWeights(1, *schemas::EncodePolicyWeights((*transformer)->ExportPolicy(1)))
          .ok());
  ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.policy_version) == 1.0; }));
  const double on_transformer = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > on_transformer + 100; }));  // it acts
  ASSERT_TRUE(
      (*control)->PublishWeights(2, *schemas::EncodePolicyWeights((*mlp)->ExportPolicy(2))).ok());
  ASSERT_TRUE(WaitFor([&] { return GaugeValue(metrics.policy_version) == 2.0; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weights_rejected, 0U);
  EXPECT_EQ(result->weight_swaps, 2U);
  EXPECT_EQ(result->unwritten, 0U);
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

// Training episodes are analysed as they finish: behaviours counted in the metric and the
// summaries, one in log_every written as a log that replays bit-identically.
TEST(RolloutJobTest, ActorsCountBehavioursAndLogOneInNEpisodesThatReplay) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  std::ofstream(dir.path() + "/behaviours.yaml") << "behaviours:\n"
                                                    "  every_episode: {when: \"duration_s > 0\"}\n"
                                                    "  never: {when: \"duration_s < 0\"}\n";
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "cut_in-v0";
  options.expert = true;
  options.max_env_steps = 12000;  // about 30 recorded cut_in episodes
  options.behaviours = dir.path() + "/behaviours.yaml";
  options.log_every = 3;
  options.log_dir = dir.path() + "/logs";
  EpisodeLog episodes;
  options.episode_log = &episodes;
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();

  // The first episode of each env started before recording could begin; the rest are counted.
  const std::vector<schemas::EpisodeSummary> finished = episodes.TakeNew();
  std::size_t recorded = 0;
  for (const schemas::EpisodeSummary& e : finished) {
    const double n = schemas::MetricOr(e, "behaviour.every_episode", -1.0);
    EXPECT_TRUE(n == -1.0 || n == 1.0) << n;
    recorded += n == 1.0 ? 1 : 0;
    EXPECT_EQ(schemas::MetricOr(e, "behaviour.never", 0.0), 0.0);
  }
  ASSERT_GT(recorded, 10U);
  EXPECT_EQ(metrics.behaviour_total.Add({{"behaviour", "every_episode"}}).Value(),
            static_cast<double>(recorded));
  EXPECT_EQ(metrics.behaviour_total.Add({{"behaviour", "never"}}).Value(), 0.0);

  std::size_t logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options.log_dir)) {
    auto log = schemas::ReadEpisodeLogFile(entry.path());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(log->policy, "expert");
    EXPECT_EQ(schemas::MetricOr(log->summary, "behaviour.every_episode"), 1.0);
    EXPECT_TRUE(envs::ReplayEpisodeLog(*log).ok()) << entry.path();
    ++logs;
  }
  // One in three of each env's recorded episodes is complete and written (staggered per env,
  // so each of the 8 envs may be one ahead or behind).
  EXPECT_GE(logs + 8, recorded / 3);
  EXPECT_LE(logs, recorded / 3 + 8);
  EXPECT_GT(logs, 0U);

  // Every finished episode's summary reached the stream, counts included.
  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok()) << control.status();
  auto streamed = (*control)->RecentEpisodes(100000);
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_EQ(streamed->size(), finished.size());
  std::size_t streamed_recorded = 0;
  for (const std::string& bytes : *streamed) {
    auto summary = schemas::DecodeEpisodeSummary(bytes);
    ASSERT_TRUE(summary.ok()) << summary.status();
    streamed_recorded += schemas::MetricOr(*summary, "behaviour.every_episode") == 1.0 ? 1 : 0;
  }
  EXPECT_EQ(streamed_recorded, recorded);

  options.behaviours = dir.path() + "/missing.yaml";
  auto refused = runner.Run(options, metrics);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("missing.yaml"), std::string::npos) << refused.status();
}

// A scenario mix: the actors draw each episode's scenario from its sources, count them per
// source, and the episodes are those sources' families.
TEST(RolloutJobTest, AScenarioMixDecidesTheFamiliesAndIsCountedPerSource) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "driving-v0";
  options.expert = true;
  options.analyse = false;
  options.max_env_steps = 8000;
  envs::ScenarioSource braking, curves;
  braking.name = "braking";
  braking.weight = 3.0;
  braking.family = envs::ScenarioFamily::kLeadBrake;
  curves.name = "curves";
  curves.weight = 1.0;
  curves.family = envs::ScenarioFamily::kCurve;
  auto mix = envs::ScenarioMix::Create({braking, curves});
  ASSERT_TRUE(mix.ok()) << mix.status();
  options.mix = std::make_shared<const envs::ScenarioMix>(*mix);
  EpisodeLog episodes;
  options.episode_log = &episodes;
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();
  int lead_brake = 0, curve = 0;
  for (const schemas::EpisodeSummary& e : episodes.TakeNew()) {
    EXPECT_TRUE(e.scenario == "lead_brake" || e.scenario == "curve") << e.scenario;
    lead_brake += e.scenario == "lead_brake" ? 1 : 0;
    curve += e.scenario == "curve" ? 1 : 0;
  }
  const double counted_braking =
      metrics.scenario_source_episodes_total.Add({{"source", "braking"}}).Value();
  const double counted_curves =
      metrics.scenario_source_episodes_total.Add({{"source", "curves"}}).Value();
  // Started episodes: the finished ones plus the one each of the 8 envs has under way.
  EXPECT_EQ(counted_braking + counted_curves, lead_brake + curve + 8);
  EXPECT_GE(counted_braking, lead_brake);
  EXPECT_GE(counted_curves, curve);
  EXPECT_GT(lead_brake, 0);
  EXPECT_GT(curve, 0);  // the proportions are ScenarioMixTest's (chi-square)
  EXPECT_EQ(metrics.scenario_source_episodes_total.Add({{"source", "env"}}).Value(), 0.0);
}

// The mix file changes while the rollout runs: the envs switch to the new mix from their next
// episode (within a few heartbeats), and a file that no longer loads leaves the mix as it was.
TEST(RolloutJobTest, AChangedMixFileTakesEffectDuringTheRunAndABrokenOneIsIgnored) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  const std::string file = dir.path() + "/mix.txt";
  std::ofstream(file) << "lead_brake";
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "driving-v0";
  options.expert = true;
  options.analyse = false;
  options.scenario_mix = file;
  // A stand-in for the CLI's parser: the file names one family, anything else is refused.
  options.load_mix = [](const std::string& path) -> absl::StatusOr<envs::ScenarioMix> {
    std::ifstream in(path);
    std::string name;
    in >> name;
    envs::ScenarioSource source;
    source.name = name;
    if (name == "lead_brake") {
      source.family = envs::ScenarioFamily::kLeadBrake;
    } else if (name == "curve") {
      source.family = envs::ScenarioFamily::kCurve;
    } else {
      return absl::InvalidArgumentError(path + " names no family");
    }
    return envs::ScenarioMix::Create({source});
  };
  auto first = options.load_mix(file);
  ASSERT_TRUE(first.ok());
  options.mix = std::make_shared<const envs::ScenarioMix>(*first);
  EpisodeLog episodes;
  options.episode_log = &episodes;
  monitoring::Metrics metrics;
  const auto counted = [&](const std::string& source) {
    return metrics.scenario_source_episodes_total.Add({{"source", source}}).Value();
  };
  // Rewrites the file with a modification time one second on, so the change is seen.
  const auto rewrite = [&](const std::string& text) {
    const auto before = std::filesystem::last_write_time(file);
    std::ofstream(file) << text;
    std::filesystem::last_write_time(file, before + std::chrono::seconds(1));
  };
  BackgroundJob job(options, &metrics);
  ASSERT_TRUE(WaitFor([&] { return counted("lead_brake") >= 16; }));
  rewrite("curve");
  ASSERT_TRUE(WaitFor([&] { return counted("curve") >= 16; })) << "the new mix never took effect";
  const double braking_after_switch = counted("lead_brake");
  rewrite("nonsense");
  // Five heartbeats: the broken file has been read (and refused) by the time this ends.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double curves_before_broken = counted("curve");
  ASSERT_TRUE(WaitFor([&] { return counted("curve") >= curves_before_broken + 16; }))
      << "a broken file stopped the rollout's episodes";
  ASSERT_TRUE(job.Stop().ok());
  EXPECT_EQ(counted("lead_brake"), braking_after_switch) << "lead_brake episodes after the switch";
  EXPECT_EQ(counted("nonsense"), 0.0);
  int curve = 0;
  for (const schemas::EpisodeSummary& e : episodes.TakeNew()) curve += e.scenario == "curve";
  EXPECT_GT(curve, 0);
}

// DAgger: the published policy drives and each recorded action is what the env's expert does
// in the state the policy reached. The test replays every logged episode with the executed
// actions and a fresh expert that sees the same states, and finds each state's transition.
TEST(RolloutJobTest, DaggerRecordsTheExpertsActionInEveryStateThePolicyVisits) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "cut_in-v0";
  options.dagger = true;  // no weights are published: the initial network drives
  options.n_step = 1;
  options.noise_scale = 0.0F;
  options.table.name = "demos";
  options.table.max_times_sampled = 1;
  options.max_env_steps = 12000;  // the first episode of each env is not recorded
  options.log_every = 1;
  options.log_dir = dir.path() + "/logs";
  monitoring::Metrics metrics;
  JobRunner runner;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();

  auto client = Connect(**server);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::uint64_t> tags;
  const auto all = DrainTable(**client, "demos", &tags);
  ASSERT_EQ(all.size(), result->transitions);
  for (std::uint64_t t : tags) ASSERT_NE(t & kDaggerTag, 0U) << "an item lacks the dagger tag";
  const auto key = [](absl::Span<const float> obs) {
    return std::string(reinterpret_cast<const char*>(obs.data()), obs.size() * sizeof(float));
  };
  std::map<std::string, const schemas::Transition*> by_state;
  for (const auto& t : all) by_state[key(t.obs)] = &t;

  std::size_t checked = 0, relabelled = 0, logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options.log_dir)) {
    auto log = schemas::ReadEpisodeLogFile(entry.path());
    ASSERT_TRUE(log.ok()) << log.status();
    auto family = envs::ParseFamily(log->scenario);
    auto config = envs::EnvConfigFromEntries(log->env_config);
    ASSERT_TRUE(family.ok() && config.ok());
    envs::DrivingEnv env(envs::DrivingEnvOptions::From(*config, log->env_name, *family));
    std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
    std::vector<float> label(env.spec().action_size);
    env.Reset(log->seed, absl::MakeSpan(obs));
    std::unique_ptr<envs::Policy> expert = env.MakeExpert();
    ASSERT_NE(expert, nullptr);
    expert->Reset(env);
    for (std::size_t k = 0; k + 1 < log->steps.size(); ++k) {
      expert->Act(env, obs, absl::MakeSpan(label));
      const auto found = by_state.find(key(obs));
      ASSERT_NE(found, by_state.end()) << entry.path() << ": no transition from step " << k;
      EXPECT_EQ(found->second->step, k);
      ASSERT_EQ(found->second->action, label) << entry.path() << ", step " << k;
      const std::vector<float> executed(log->steps[k + 1].action.begin(),
                                        log->steps[k + 1].action.end());
      relabelled += executed != label ? 1 : 0;
      env.Step(executed, absl::MakeSpan(obs), absl::MakeSpan(terms));
      ++checked;
    }
    ++logs;
  }
  ASSERT_GT(logs, 0U);
  EXPECT_GT(checked, 1000U);
  // The untrained network drives unlike the expert: the labels are not the executed actions.
  EXPECT_GT(relabelled, checked * 9 / 10);

  options.expert = true;  // DAgger labels a network's driving; it cannot drive the expert
  auto refused = runner.Run(options, metrics);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("DAgger"), std::string::npos) << refused.status();
}

// --policy log: the logged ego of each imported scenario drives (here the expert's own driving
// stands for a human's), and its actions fill the demos table; without such a mix it refuses.
TEST(RolloutJobTest, PolicyLogRecordsTheLoggedEgosDrivingAsDemonstrations) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.env_name = "driving-v0";
  options.expert = true;
  options.log_ego = true;
  options.analyse = false;
  options.n_step = 1;
  options.table.name = "demos";
  options.table.max_times_sampled = 1;  // DrainTable reads every item once
  options.max_env_steps = 6000;         // 750 steps an env: past the 300-step episodes
  monitoring::Metrics metrics;
  JobRunner runner;
  auto refused = runner.Run(options, metrics);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("give a scenario mix"), std::string::npos)
      << refused.status();

  envs::ScenarioSource generated;
  generated.name = "generated";
  generated.family = envs::ScenarioFamily::kHighway;
  generated.cases = {{envs::ScenarioFamily::kHighway, {}, 3, nullptr}};
  options.mix = std::make_shared<const envs::ScenarioMix>(*envs::ScenarioMix::Create({generated}));
  refused = runner.Run(options, metrics);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("source 'generated'"), std::string::npos)
      << refused.status();

  envs::ScenarioSource humans;
  humans.name = "humans";
  envs::EnvExpert expert;
  for (std::uint64_t seed : {2ULL, 5ULL}) {
    envs::Scenario scenario = envs::GenerateScenario(envs::ScenarioFamily::kHighway, {}, seed);
    envs::EpisodeRecording recorded{"expert", 0, {}};
    envs::RunEpisode(expert, envs::ScenarioFamily::kHighway, {}, seed, {}, &recorded);
    scenario.ego_track = envs::EgoTrackOf(recorded.log);
    // A 2 m sideways jump 5 s in: steps the vehicle model cannot drive.
    if (seed == 5) {
      for (envs::TrackPoint& p : scenario.ego_track) {
        if (std::abs(p.t - 5.0) < 1e-6) p.d += 2.0;
      }
    }
    scenario.name = "human";
    humans.cases.push_back({envs::ScenarioFamily::kHighway,
                            {},
                            seed,
                            std::make_shared<const envs::Scenario>(std::move(scenario))});
  }
  options.mix = std::make_shared<const envs::ScenarioMix>(*envs::ScenarioMix::Create({humans}));
  EpisodeLog episodes;
  options.episode_log = &episodes;
  auto result = runner.Run(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();
  auto client = Connect(**server);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::uint64_t> tags;
  const auto all = DrainTable(**client, "demos", &tags);
  EXPECT_EQ(all.size(), result->transitions);
  EXPECT_GT(result->transitions, 1000U);
  // Only the steps around the planted jump carry kInfeasibleTag.
  std::size_t infeasible = 0;
  for (std::size_t k = 0; k < all.size(); ++k) {
    if ((tags[k] & kInfeasibleTag) == 0) continue;
    ++infeasible;
    EXPECT_GE(all[k].step, 48U);
    EXPECT_LE(all[k].step, 52U);
  }
  EXPECT_GT(infeasible, 0U);
  int finished = 0;
  for (const schemas::EpisodeSummary& e : episodes.TakeNew()) {
    EXPECT_EQ(e.scenario, "human");
    EXPECT_EQ(schemas::MetricOr(e, "collision"), 0.0);
    ++finished;
  }
  EXPECT_GT(finished, 0);
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
