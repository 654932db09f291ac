// The rollout fleet and the weights it drives with: new versions picked up, corrupt, mismatched
// or unsigned ones refused, a least-privilege credential, architectures swapped while running.

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

// actor.inference_backend pins the kernels of the random policy and of every published one
// (here LibTorch's dense layers, not this CPU's default); a name that cannot run is refused
// before anything starts.
TEST(RolloutJobTest, APinnedInferenceBackendActsWithEveryVersion) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.inference_backend = "libtorch";
  ASSERT_TRUE(options.Validate().ok()) << options.Validate();
  monitoring::Metrics metrics;
  BackgroundJob job(options, &metrics);
  auto& steps = metrics.env_steps_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > 100; }));
  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok());
  auto trainer = SmallHighwayTrainer();
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  ASSERT_TRUE(Publish(**control, **trainer, 1));
  ASSERT_TRUE(ActsWith(metrics, 1));
  const double before = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > before + 100; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weights_rejected, 0U);

  options.inference_backend = "cuda";
  EXPECT_NE(options.Validate().message().find("actor.inference_backend"), std::string::npos)
      << options.Validate();
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
  ASSERT_TRUE(ActsWith(metrics, 1));

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
  ASSERT_TRUE(Publish(**control, **other_trainer, 3));
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 2.0; }));
  const double before = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > before + 100; }));  // still stepping
  EXPECT_EQ(GaugeValue(metrics.policy_version), 1.0);                  // on the old policy

  // v4: valid again.
  ASSERT_TRUE(Publish(**control, **trainer, 4));
  ASSERT_TRUE(ActsWith(metrics, 4));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weights_rejected, 2U);
  EXPECT_EQ(result->weight_swaps, 2U);
  EXPECT_EQ(result->unwritten, 0U);
}

// actor.inference inline: the env actors run each new version themselves (every transition
// written after the swap carries it), a rejected one leaves them on the last, and a value that
// is neither batched nor inline is refused in a sentence naming the key.
TEST(RolloutJobTest, InlineInferenceActsWithEachNewVersionAndKeepsItOverARejectedOne) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RolloutJobOptions options = SmallJob(**server);
  options.inference = "inline";
  options.table.max_times_sampled = 1;  // lets the test drain the table item by item
  ASSERT_TRUE(options.Validate().ok()) << options.Validate();
  monitoring::Metrics metrics;
  BackgroundJob job(options, &metrics);
  auto& steps = metrics.env_steps_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > 100; }));
  EXPECT_EQ(GaugeValue(metrics.policy_version), 0.0);

  auto control = buffer::ControlClient::Connect(Endpoint(**server));
  ASSERT_TRUE(control.ok());
  auto trainer = SmallHighwayTrainer();
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  ASSERT_TRUE(Publish(**control, **trainer, 1));
  ASSERT_TRUE(ActsWith(metrics, 1));
  auto blob = schemas::EncodePolicyWeights((*trainer)->ExportPolicy(2));
  ASSERT_TRUE(blob.ok());
  (*blob)[blob->size() / 2] ^= 0x5a;
  ASSERT_TRUE((*control)->PublishWeights(2, *blob).ok());
  auto& rejected = metrics.weights_rejected_total.Add({});
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 1.0; }));
  const double before = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > before + 200; }));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weight_swaps, 1U);
  EXPECT_EQ(result->unwritten, 0U);

  auto client = Connect(**server);
  ASSERT_TRUE(client.ok());
  const auto all = DrainTable(**client, "rl");
  EXPECT_EQ(all.size(), result->written);
  std::map<std::uint64_t, std::size_t> by_version;
  for (const auto& t : all) ++by_version[t.policy_version];
  EXPECT_GT(by_version[0], 0U);
  EXPECT_GE(by_version[1], 200U);  // the steps after the rejection at least
  EXPECT_EQ(by_version.size(), 2U) << "a version other than 0 and 1 acted";

  options.inference = "in-process";
  EXPECT_NE(options.Validate().message().find("actor.inference"), std::string::npos)
      << options.Validate();
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
  ASSERT_TRUE(Publish(**control, **trainer, 1));
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 1.0; }));
  ASSERT_TRUE(Publish(**control, **trainer, 2, "an-attackers-key-0123456789"));
  ASSERT_TRUE(WaitFor([&] { return rejected.Value() == 2.0; }));
  const double before = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > before + 100; }));  // still stepping
  EXPECT_EQ(GaugeValue(metrics.policy_version), 0.0);                  // on its own policy

  // v3 signed with the fleet's key: picked up.
  ASSERT_TRUE(Publish(**control, **trainer, 3, key));
  ASSERT_TRUE(ActsWith(metrics, 3));
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
  ASSERT_TRUE(Publish(**learner, **trainer, 1));
  ASSERT_TRUE(ActsWith(metrics, 1));
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

  ASSERT_TRUE(Publish(**control, **transformer, 1));
  ASSERT_TRUE(ActsWith(metrics, 1));
  const double on_transformer = steps.Value();
  ASSERT_TRUE(WaitFor([&] { return steps.Value() > on_transformer + 100; }));  // it acts
  ASSERT_TRUE(Publish(**control, **mlp, 2));
  ASSERT_TRUE(ActsWith(metrics, 2));
  auto result = job.Stop();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->weights_rejected, 0U);
  EXPECT_EQ(result->weight_swaps, 2U);
  EXPECT_EQ(result->unwritten, 0U);
}

}  // namespace
}  // namespace tarmac::actors
