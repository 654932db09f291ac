// Learning is shown, not assumed: a policy trained from a real replay table in Redis drives a
// real env better than where it started, within a bounded number of updates.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "redis_server.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::learner {
namespace {

// Lane keeping on a curved two-lane road, the ego alone: a small real env.
envs::ScenarioConfig LaneKeeping() {
  envs::ScenarioConfig config;
  config.density = {0.0, 0.0};
  config.traffic_enters = false;
  config.episode_seconds = 15.0;
  config.curve_radius = {150.0, 250.0};
  return config;
}

double MeanReturn(envs::Policy& policy, std::uint64_t first_seed, int episodes) {
  double total = 0.0;
  for (int i = 0; i < episodes; ++i) {
    total += envs::RunEpisode(policy, envs::ScenarioFamily::kCurve, LaneKeeping(), first_seed + i)
                 .summary.episode_return;
  }
  return total / episodes;
}

// Expert demonstrations with injected steering/acceleration noise (the recorded action is the
// expert's, so the data covers the states a slightly wrong policy visits).
std::vector<std::string> CollectDemos(int episodes) {
  envs::DrivingEnvOptions options =
      envs::DrivingEnvOptions::From({}, "lane-keeping", envs::ScenarioFamily::kCurve);
  options.scenario = LaneKeeping();
  envs::DrivingEnv env(options);
  envs::ExpertPolicy expert;
  std::mt19937 rng(17);
  std::normal_distribution<float> accel_noise(0.0F, 1.0F), steer_noise(0.0F, 0.03F);
  std::vector<float> obs(env.spec().observation_size), next(obs.size()),
      terms(env.spec().reward_terms.size());
  std::vector<std::string> payloads;
  for (int e = 0; e < episodes; ++e) {
    env.Reset(1000 + e, absl::MakeSpan(obs));
    expert.Reset(env);
    envs::StepResult r;
    for (std::uint32_t step = 0; !r.terminated && !r.truncated; ++step) {
      std::array<float, 2> action{};
      expert.Act(env, obs, absl::MakeSpan(action));
      const std::array<float, 2> executed{action[0] + accel_noise(rng),
                                          action[1] + steer_noise(rng)};
      r = env.Step(executed, absl::MakeSpan(next), absl::MakeSpan(terms));
      schemas::Transition t;
      t.obs = obs;
      t.action = {action[0], action[1]};
      t.reward = r.reward;
      t.discount = 0.99F;
      t.next_obs = next;
      t.done = r.terminated;
      t.episode_id = e;
      t.step = step;
      payloads.push_back(schemas::EncodeTransition(t));
      obs = next;
    }
  }
  return payloads;
}

// The same learning in float32 and with bfloat16 products (SacOptions::precision).
class LearningTest : public ::testing::TestWithParam<Precision> {};

TEST_P(LearningTest, BehaviourCloningFromRedisDemosLearnsToKeepTheLane) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  buffer::ReplayClientOptions client_options;
  client_options.shards = {*buffer::ShardEndpoint::Parse((*server)->url())};
  auto client = buffer::ReplayClient::Connect(client_options);
  ASSERT_TRUE(client.ok()) << client.status();
  buffer::TableSpec demos{"demos", 100000, 0.0};
  ASSERT_TRUE((*client)->CreateTable(demos).ok());

  const auto payloads = CollectDemos(80);
  for (std::size_t begin = 0; begin < payloads.size(); begin += 256) {
    std::vector<buffer::InsertItem> items;
    for (std::size_t i = begin; i < std::min(payloads.size(), begin + 256); ++i) {
      items.push_back({1.0, 0, payloads[i]});
    }
    ASSERT_TRUE((*client)->Insert("demos", 0, items).ok());
  }

  envs::DrivingEnvOptions env_options =
      envs::DrivingEnvOptions::From({}, "lane-keeping", envs::ScenarioFamily::kCurve);
  const envs::DrivingEnv probe(env_options);
  BatchShape shape{probe.spec().observation_size, probe.spec().action_size, probe.spec().action_low,
                   probe.spec().action_high};
  SacOptions options;
  options.algorithm = Algorithm::kBc;
  options.bc_mse_weight = 0.0;  // the plain likelihood must suffice here
  options.hidden_sizes = {64, 64};
  options.actor_lr = 1e-3;
  options.threads = 2;
  options.device = "cpu";
  options.precision = GetParam();
  auto trainer = SacTrainer::Create(options, shape);
  ASSERT_TRUE(trainer.ok()) << trainer.status();

  envs::ExpertPolicy expert;
  const double expert_return = MeanReturn(expert, 5000, 6);
  auto untrained_net = InferencePolicy::FromWeights((*trainer)->ExportPolicy(0));
  ASSERT_TRUE(untrained_net.ok());
  learner::NetworkPolicy untrained(
      std::shared_ptr<const InferencePolicy>(std::move(*untrained_net)));
  const double untrained_return = MeanReturn(untrained, 5000, 6);

  constexpr int kUpdates = 2000;
  TrainingBatch batch;
  buffer::SampleOptions sample_options;
  sample_options.seed = 3;
  double first_loss = 0.0, last_loss = 0.0;
  for (int u = 0; u < kUpdates; ++u) {
    sample_options.seed = 3 + u;
    auto sample = (*client)->Sample("demos", 256, sample_options);
    ASSERT_TRUE(sample.ok()) << sample.status();
    ASSERT_TRUE(DecodeTrainingBatch(*sample, shape, &batch).ok());
    auto stats = (*trainer)->BcUpdate(batch);
    ASSERT_TRUE(stats.ok()) << stats.status();
    if (u == 0) first_loss = stats->bc_loss;
    last_loss = stats->bc_loss;
  }
  auto learned_net = InferencePolicy::FromWeights((*trainer)->ExportPolicy(1));
  ASSERT_TRUE(learned_net.ok());
  learner::NetworkPolicy learned(std::shared_ptr<const InferencePolicy>(std::move(*learned_net)));
  const double learned_return = MeanReturn(learned, 5000, 6);
  std::cout << "demo transitions " << payloads.size() << ", BC loss " << first_loss << " -> "
            << last_loss << "; mean return on 6 held-out seeds: untrained " << untrained_return
            << ", learned " << learned_return << ", expert " << expert_return << "\n";
  // Stated threshold: within 2000 updates the cloned policy earns at least 80 % of the
  // expert's return on held-out seeds, and clearly more than where it started.
  EXPECT_GT(expert_return, 0.0);
  EXPECT_GE(learned_return, 0.8 * expert_return);
  EXPECT_GT(learned_return, untrained_return + 0.25 * std::abs(expert_return));
  EXPECT_LT(last_loss, first_loss);
}

INSTANTIATE_TEST_SUITE_P(Precisions, LearningTest,
                         ::testing::Values(Precision::kFloat32, Precision::kBfloat16),
                         [](const ::testing::TestParamInfo<Precision>& info) {
                           return info.param == Precision::kFloat32 ? "Float32" : "Bfloat16";
                         });

}  // namespace
}  // namespace tarmac::learner
