// Policies other than the built-in MLP through the real binary against a real Redis: `tarmac
// learner` trains a scene-transformer actor (learner.arch: transformer) on expert demos and
// publishes it, `tarmac actor` drives the published weights, `tarmac eval` loads its checkpoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/schemas/policy_weights.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::cli {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

testing::CommandResult Tarmac(std::vector<std::string> args, std::chrono::seconds timeout) {
  args.insert(args.begin(), TARMAC_BINARY);
  auto r = testing::RunCommand(args, timeout);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : testing::CommandResult{};
}

std::int64_t TableSize(testing::RedisServer& redis, const std::string& table) {
  testing::RedisServer::Reply info = redis.Run({"REPLAY.INFO", table});
  for (std::size_t i = 0; info && info->type == REDIS_REPLY_ARRAY && i + 1 < info->elements;
       i += 2) {
    if (std::string(info->element[i]->str) == "size") return info->element[i + 1]->integer;
  }
  return -1;
}

TEST(ModelCliTest, ATransformerActorTrainsInTheLearnerDrivesInAnActorAndIsEvaluated) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  testing::RedisServer& redis = **server;
  testing::TempDir dir;
  const std::string url = redis.url();

  const auto demos =
      Tarmac({"actor", "--redis", url, "--policy", "expert", "--table", "demos", "--actors", "1",
              "--envs-per-actor", "8", "--max-env-steps", "3000", "--metrics-port", "0"},
             std::chrono::seconds(120));
  ASSERT_EQ(demos.exit_code, 0) << demos.err;

  const std::string checkpoints = dir.path() + "/checkpoints";
  const auto learner = Tarmac({"learner",
                               "--redis",
                               url,
                               "--algo",
                               "bc",
                               "--metrics-port",
                               "0",
                               "--set",
                               "learner.arch=transformer",
                               "--set",
                               "learner.transformer_dim=32",
                               "--set",
                               "learner.hidden_units=32",
                               "--set",
                               "learner.max_updates=150",
                               "--set",
                               "learner.batch_size=64",
                               "--set",
                               "learner.min_replay=100",
                               "--set",
                               "learner.publish_every=50",
                               "--set",
                               "learner.checkpoint_dir=" + checkpoints},
                              std::chrono::seconds(240));
  ASSERT_EQ(learner.exit_code, 0) << learner.err;
  // Its last line: the run, and whether the samplers kept up once the first batches were in.
  EXPECT_THAT(learner.out + learner.err,
              ContainsRegex("learner done: 150 updates this run \\(step 150\\), .* updates/s, "
                            "[0-9.]+% of the time waiting for samples \\([0-9.]+% after the "
                            "first batches\\)"));
  ASSERT_FALSE(std::filesystem::is_empty(checkpoints));
  const std::string latest = redis.RunText({"GET", "tarmac:weights:latest"});
  testing::RedisServer::Reply blob = redis.Run({"GET", "tarmac:weights:" + latest});
  ASSERT_TRUE(blob && blob->type == REDIS_REPLY_STRING) << "version " << latest;
  auto weights = schemas::DecodePolicyWeights(std::string(blob->str, blob->len));
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->architecture.kind, "sac_transformer");

  // The actor swaps the published transformer in and drives it.
  const auto rollout = Tarmac({"actor", "--redis", url, "--actors", "1", "--envs-per-actor", "8",
                               "--max-env-steps", "1000", "--metrics-port", "0"},
                              std::chrono::seconds(120));
  ASSERT_EQ(rollout.exit_code, 0) << rollout.err;
  EXPECT_GE(TableSize(redis, "rl"), 800);
  testing::RedisServer::Reply drawn = redis.Run({"REPLAY.SAMPLE", "rl", "1", "SEED", "5"});
  ASSERT_TRUE(drawn && drawn->type == REDIS_REPLY_ARRAY && drawn->elements == 3);
  const redisReply* payload = drawn->element[2]->element[4];
  auto transition = schemas::DecodeTransition(std::string(payload->str, payload->len));
  ASSERT_TRUE(transition.ok()) << transition.status();
  EXPECT_GT(transition->policy_version, 0U) << "the actor drove the published transformer";

  // tarmac eval rebuilds it from the checkpoint.
  const std::string suite = dir.path() + "/suite.yaml";
  std::ofstream(suite) << "name: small\nfamilies:\n  - {family: curve, count: 2, seed: 7000}\n";
  const auto eval =
      Tarmac({"eval", "--policy", checkpoints, "--suite", suite, "--out", dir.path() + "/eval"},
             std::chrono::seconds(120));
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("policy: loaded " + checkpoints));
}

}  // namespace
}  // namespace tarmac::cli
