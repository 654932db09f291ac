// The learner pipeline against a real redis-server with the tarmac_replay module.

#include "tarmac/actors/learner_job.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include "fault_proxy.h"
#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/policy_weights.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::actors {
namespace {

constexpr int kObs = 6;

LearnerJobOptions SmallLearner(const testing::RedisServer& server, const std::string& dir) {
  LearnerJobOptions o;
  o.shards = {*buffer::ShardEndpoint::Parse(server.url())};
  o.sac.hidden_sizes = {32, 32};
  o.sac.device = "cpu";
  o.sac.threads = 1;
  o.sac.bc_mse_weight = 0.0;  // plain negative log-likelihood, as these tests were written for
  o.demo_event_share = 0.0;   // uniform demo batches unless a test asks for a mixture
  o.shape = {kObs, 2, {-6.0F, -0.5F}, {2.0F, 0.5F}, {}};
  o.rl_table = {"rl", 100000, 0.6};
  o.demo_table = {"demos", 100000, 0.0};
  o.batch_size = 64;
  o.min_replay = 500;
  o.publish_every = 10;
  o.checkpoint_seconds = 1000;
  o.checkpoint_dir = dir;
  o.max_updates = 40;
  return o;
}

void Fill(const testing::RedisServer& server, const std::string& table, int n) {
  buffer::ReplayClientOptions options;
  options.shards = {*buffer::ShardEndpoint::Parse(server.url())};
  auto client = buffer::ReplayClient::Connect(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->CreateTable({table, 100000, table == "rl" ? 0.6 : 0.0}).ok());
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<std::string> payloads;
  for (int i = 0; i < n; ++i) {
    schemas::Transition t;
    for (int d = 0; d < kObs; ++d) {
      t.obs.push_back(normal(rng));
      t.next_obs.push_back(normal(rng));
    }
    t.action = {std::clamp(normal(rng), -6.0F, 2.0F), 0.1F * normal(rng)};
    t.reward = normal(rng);
    t.discount = 0.97F;
    payloads.push_back(schemas::EncodeTransition(t));
  }
  std::vector<buffer::InsertItem> items;
  for (const auto& p : payloads) items.push_back({std::nullopt, 0, p});
  ASSERT_TRUE((*client)->Insert(table, 0, items).ok());
}

absl::StatusOr<LearnerJobResult> RunJob(const LearnerJobOptions& options,
                                        monitoring::Metrics& metrics) {
  caf::actor_system_config cfg;
  tarmac::actors::ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  std::atomic<bool> stop{false};
  return RunLearnerJob(system, options, metrics, stop);
}

TEST(LearnerJobTest, TrainsPublishesWritesPrioritiesAndResumes) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  Fill(**server, "rl", 1000);
  monitoring::Metrics metrics;
  const LearnerJobOptions options = SmallLearner(**server, dir.path());
  auto first = RunJob(options, metrics);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->updates, 40U);
  EXPECT_EQ(first->learner_step, 40U);
  // v1 at the start, one every 10 updates, and the final one.
  EXPECT_EQ(first->policy_version, 1U + 4U + 1U);
  EXPECT_TRUE(std::filesystem::exists(first->checkpoint)) << first->checkpoint;
  EXPECT_EQ(metrics.learner_updates_total.Add({}).Value(), 40.0);
  EXPECT_GT(metrics.replay_samples_total.Add({}).Value(), 40.0 * 64 - 1);

  auto control = buffer::ControlClient::Connect(*buffer::ShardEndpoint::Parse((*server)->url()));
  ASSERT_TRUE(control.ok());
  auto latest = (*control)->LatestWeightsVersion();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, first->policy_version);
  auto blob = (*control)->FetchWeights(*latest);
  ASSERT_TRUE(blob.ok());
  auto weights = schemas::DecodePolicyWeights(*blob);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->learner_step, 40U);
  EXPECT_TRUE(learner::InferencePolicy::FromWeights(*weights).ok());

  // Priorities were written back: items no longer all carry the insert-time maximum (1.0).
  buffer::ReplayClientOptions client_options;
  client_options.shards = options.shards;
  auto client = buffer::ReplayClient::Connect(client_options);
  ASSERT_TRUE(client.ok());
  auto sample = (*client)->Sample("rl", 512);
  ASSERT_TRUE(sample.ok());
  int updated = 0;
  for (const auto& item : sample->items) updated += item.priority != 1.0;
  EXPECT_GT(updated, 100);

  LearnerJobOptions resumed = options;
  resumed.resume = true;
  resumed.max_updates = 20;
  auto second = RunJob(resumed, metrics);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->updates, 20U);
  EXPECT_EQ(second->learner_step, 60U);  // continued from the checkpoint
  EXPECT_GT(second->policy_version, first->policy_version);
}

// The SFT stage of a learner pod reruns on every pod start: until_step makes the rerun end at
// once (without waiting for replay) instead of training another max_updates.
TEST(LearnerJobTest, UntilStepEndsAResumedStageThatIsAlreadyThere) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  Fill(**server, "rl", 1000);
  monitoring::Metrics metrics;
  LearnerJobOptions stage = SmallLearner(**server, dir.path());
  stage.resume = true;
  stage.max_updates = 0;
  stage.until_step = 30;
  auto first = RunJob(stage, metrics);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->updates, 30U);
  EXPECT_EQ(first->learner_step, 30U);

  // Rerun on an emptied replay: it would wait for min_replay forever if it had work to do.
  ASSERT_EQ((*server)->RunText({"FLUSHALL"}), "OK");
  auto again = RunJob(stage, metrics);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->updates, 0U);
  EXPECT_EQ(again->learner_step, 30U);

  // Further on, it trains up to the new step and no further.
  Fill(**server, "rl", 1000);
  stage.until_step = 45;
  auto further = RunJob(stage, metrics);
  ASSERT_TRUE(further.ok()) << further.status();
  EXPECT_EQ(further->updates, 15U);
  EXPECT_EQ(further->learner_step, 45U);
}

// A partition between the learner and Redis (the fault proxy holds traffic for 3 s and delivers
// it late): the learner waits without failing, tarmac_learner_sample_wait_seconds records the
// stall, and training resumes after the heal without a restart.
TEST(LearnerJobTest, APartitionShowsInTheSampleWaitMetricAndTrainingResumes) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  Fill(**server, "rl", 1000);
  auto proxy = testing::FaultProxy::Start((*server)->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  monitoring::Metrics metrics;
  LearnerJobOptions options = SmallLearner(**server, dir.path());
  options.shards = {*buffer::ShardEndpoint::Parse((*proxy)->url())};
  options.max_updates = 0;
  options.max_seconds = 9.0;
  prometheus::Counter& updates = metrics.learner_updates_total.Add({});
  double at_heal = 0.0;
  std::thread faults([&] {
    for (int i = 0; i < 300 && updates.Value() < 20; ++i) {  // bounded: 30 s
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    (*proxy)->Partition();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    at_heal = updates.Value();
    (*proxy)->Heal();
  });
  auto result = RunJob(options, metrics);
  faults.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(updates.Value(), at_heal + 20) << "training did not resume after the heal";
  EXPECT_GE(result->sample_wait_seconds, 2.5);
  // The stall came after 20 updates: none of it is the samplers' start.
  EXPECT_GE(result->first_sample_wait_seconds, 0.0);
  EXPECT_GE(result->sample_wait_seconds - result->first_sample_wait_seconds, 2.5);
  // The histogram holds the stall: an observation above its 2.5 s bucket.
  const auto families = metrics.learner_sample_wait_seconds.Collect();
  ASSERT_EQ(families.size(), 1U);
  ASSERT_EQ(families[0].metric.size(), 1U);
  const prometheus::ClientMetric::Histogram& h = families[0].metric[0].histogram;
  ASSERT_GE(h.bucket.size(), 2U);
  const auto& last_finite = h.bucket[h.bucket.size() - 2];
  ASSERT_EQ(last_finite.upper_bound, 2.5);
  EXPECT_GE(h.sample_count - last_finite.cumulative_count, 1U);
  EXPECT_GE(h.sample_sum, 2.5);
  std::printf("partition: %.0f updates before the heal, %.0f in all, %.2f s waiting for samples\n",
              at_heal, updates.Value(), result->sample_wait_seconds);
}

TEST(LearnerJobTest, InitStartsFromAnotherRunsCheckpointAndRefusesAMismatchedOne) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir first_dir, second_dir, mismatched_dir;
  Fill(**server, "rl", 2000);
  monitoring::Metrics metrics;
  const LearnerJobOptions options = SmallLearner(**server, first_dir.path());
  auto first = RunJob(options, metrics);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->learner_step, 40U);

  // A fresh checkpoint directory, the first run's directory as --init (its newest checkpoint).
  LearnerJobOptions from_init = SmallLearner(**server, second_dir.path());
  from_init.resume = true;
  from_init.init = first_dir.path();
  from_init.max_updates = 20;
  auto second = RunJob(from_init, metrics);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->updates, 20U);
  EXPECT_EQ(second->learner_step, 60U) << "the steps continue the checkpoint's";
  // Its first publication is the checkpoint's policy, byte for byte.
  auto control = buffer::ControlClient::Connect(*buffer::ShardEndpoint::Parse((*server)->url()));
  ASSERT_TRUE(control.ok());
  auto last_of_first = (*control)->FetchWeights(first->policy_version);
  auto first_of_second = (*control)->FetchWeights(first->policy_version + 1);
  ASSERT_TRUE(last_of_first.ok() && first_of_second.ok());
  auto a = schemas::DecodePolicyWeights(*last_of_first);
  auto b = schemas::DecodePolicyWeights(*first_of_second);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->learner_step, 40U);
  ASSERT_EQ(a->tensors.size(), b->tensors.size());
  for (std::size_t i = 0; i < a->tensors.size(); ++i) {
    EXPECT_EQ(a->tensors[i].name, b->tensors[i].name);
    EXPECT_EQ(a->tensors[i].data, b->tensors[i].data) << a->tensors[i].name;
  }

  // Networks of another size: one sentence, and nothing written.
  LearnerJobOptions mismatched = SmallLearner(**server, mismatched_dir.path());
  mismatched.sac.hidden_sizes = {16, 16};
  mismatched.resume = true;
  mismatched.init = first->checkpoint;
  auto refused = RunJob(mismatched, metrics);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("was written for networks with"), std::string::npos)
      << refused.status();
  EXPECT_TRUE(std::filesystem::is_empty(mismatched_dir.path()));
}

TEST(LearnerJobTest, BehaviourCloningTrainsOnTheDemoTable) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  Fill(**server, "demos", 800);
  LearnerJobOptions options = SmallLearner(**server, dir.path());
  options.sac.algorithm = learner::Algorithm::kBc;
  monitoring::Metrics metrics;
  auto result = RunJob(options, metrics);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->updates, 40U);
  EXPECT_GT(metrics.learner_loss.Add({{"kind", "bc"}}).Value(), -100.0);
  EXPECT_NE(metrics.learner_loss.Add({{"kind", "bc"}}).Value(), 0.0);
}

// The policy tensors of a job's final checkpoint.
std::vector<schemas::Tensor> CheckpointTensors(const LearnerJobOptions& options,
                                               const std::string& checkpoint) {
  auto trainer = learner::SacTrainer::Create(options.sac, options.shape);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  if (!trainer.ok()) return {};
  EXPECT_TRUE((*trainer)->LoadCheckpoint(checkpoint).ok()) << checkpoint;
  return (*trainer)->ExportPolicy(1).tensors;
}

// Samplers answer in whatever order their Redis round trips finish; the trainer takes their
// batches in turn, so a seeded run on the same table learns the same weights every time.
TEST(LearnerJobTest, BehaviourCloningWithASeedLearnsTheSameWeightsEveryRun) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Fill(**server, "demos", 800);
  std::vector<std::vector<schemas::Tensor>> runs;
  for (int run = 0; run < 2; ++run) {
    testing::TempDir dir;
    LearnerJobOptions options = SmallLearner(**server, dir.path());
    options.sac.algorithm = learner::Algorithm::kBc;
    options.sac.seed = 7;
    options.samplers = 4;
    options.prefetch = 3;
    options.max_updates = 60;
    monitoring::Metrics metrics;
    auto result = RunJob(options, metrics);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->updates, 60U);
    runs.push_back(CheckpointTensors(options, result->checkpoint));
  }
  ASSERT_EQ(runs[0].size(), runs[1].size());
  ASSERT_FALSE(runs[0].empty());
  for (std::size_t i = 0; i < runs[0].size(); ++i) {
    EXPECT_EQ(runs[0][i].name, runs[1][i].name);
    EXPECT_TRUE(runs[0][i].data == runs[1][i].data) << "tensor " << runs[0][i].name << " differs";
  }
}

// SFT oversamples mined events from the demos; demos without any of them are sampled plainly
// instead of failing every fetch.
TEST(LearnerJobTest, OversamplingEventsTheDemosLackFallsBackToPlainSampling) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  Fill(**server, "demos", 800);  // every item untagged
  LearnerJobOptions options = SmallLearner(**server, dir.path());
  options.sac.algorithm = learner::Algorithm::kBc;
  options.demo_event_mask = 4;  // hard_brake
  options.demo_event_share = 0.3;
  monitoring::Metrics metrics;
  caf::actor_system_config cfg;
  tarmac::actors::ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  std::atomic<bool> stop{false};
  // Without the fallback every fetch fails and the job would retry until stopped.
  auto job =
      std::async(std::launch::async, [&] { return RunLearnerJob(system, options, metrics, stop); });
  if (job.wait_for(std::chrono::seconds(20)) != std::future_status::ready) stop = true;
  auto result = job.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->updates, 40U);
}

TEST(LearnerJobTest, WaitingForMissingDemonstrationsNamesTheDemosTableAndHowToFillIt) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  Fill(**server, "rl", 600);  // more than min_replay: only the demonstrations are missing
  LearnerJobOptions o = SmallLearner(**server, dir.path());
  o.sac.bc_weight = 0.5;
  // The learner's log lines, captured from the default logger.
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  monitoring::Metrics metrics;
  caf::actor_system_config cfg;
  ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  std::atomic<bool> stop{false};
  auto job =
      std::async(std::launch::async, [&] { return RunLearnerJob(system, o, metrics, stop); });
  for (int i = 0; i < 100 && log.str().find("waiting for replay") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  auto result = job.get();
  spdlog::default_logger()->sinks().pop_back();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->updates, 0U) << "no update without demonstrations";
  const std::string text = log.str();
  EXPECT_NE(text.find("waiting for replay: table demos holds no demonstrations, which the "
                      "behaviour-cloning term (bc_weight 0.5) needs; fill it with `tarmac actor "
                      "--policy expert --table demos`, or run with --bc-weight 0"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("table rl holds"), std::string::npos) << "the rl table is not the short one";
}

TEST(LearnerJobTest, RefusesACorruptCheckpointOnResume) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::TempDir dir;
  std::ofstream(dir.path() + "/ckpt-000000000100.pt") << "truncated";
  LearnerJobOptions options = SmallLearner(**server, dir.path());
  options.resume = true;
  monitoring::Metrics metrics;
  auto result = RunJob(options, metrics);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("ckpt-000000000100.pt"), std::string::npos);
}

}  // namespace
}  // namespace tarmac::actors
