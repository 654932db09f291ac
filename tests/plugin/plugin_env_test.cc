// A second env through the real CLI: reach-v0 (3 observation floats, 1 action float, its own
// expert) runs `tarmac actor` in demo mode, `tarmac learner` (behaviour cloning), `tarmac actor`
// with the published policy and `tarmac eval`, against a real redis-server, through the same
// code paths as driving-v0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::testing {
namespace {

using ::testing::HasSubstr;

CommandResult RunTarmac(std::vector<std::string> args, std::chrono::seconds timeout) {
  args.insert(args.begin(), TARMAC_PLUGIN_BINARY);
  auto r = RunCommand(args, timeout);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommandResult{};
}

std::uint64_t Field(RedisServer& server, const std::string& table, const std::string& name) {
  RedisServer::Reply info = server.Run({"REPLAY.INFO", table});
  for (std::size_t i = 0; info && info->type == REDIS_REPLY_ARRAY && i + 1 < info->elements;
       i += 2) {
    if (std::string(info->element[i]->str) == name) {
      return static_cast<std::uint64_t>(info->element[i + 1]->integer);
    }
  }
  return 0;
}

// One transition drawn from `table`, decoded.
schemas::Transition OneTransition(RedisServer& server, const std::string& table) {
  RedisServer::Reply drawn = server.Run({"REPLAY.SAMPLE", table, "1", "SEED", "5"});
  EXPECT_TRUE(drawn && drawn->type == REDIS_REPLY_ARRAY && drawn->elements == 3)
      << ReplyText(drawn.get());
  if (!drawn || drawn->type != REDIS_REPLY_ARRAY || drawn->elements != 3) return {};
  const redisReply* payload = drawn->element[2]->element[4];
  auto t = schemas::DecodeTransition(std::string(payload->str, payload->len));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : schemas::Transition{};
}

TEST(PluginEnvTest, ASecondEnvRunsThroughActorLearnerAndEval) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisServer& redis = **server;
  TempDir dir;
  const std::string url = redis.url();

  const CommandResult envs = RunTarmac({"envs"}, std::chrono::seconds(30));
  EXPECT_THAT(envs.out, HasSubstr("reach-v0"));

  // Demonstrations from the env's own expert.
  const CommandResult demos =
      RunTarmac({"actor", "--redis", url, "--env", "reach-v0", "--policy", "expert", "--table",
                 "demos", "--actors", "1", "--envs-per-actor", "8", "--max-env-steps", "4000",
                 "--set", "actor.demo_noise=0.3", "--metrics-port", "0"},
                std::chrono::seconds(120));
  ASSERT_EQ(demos.exit_code, 0) << demos.err;
  EXPECT_GE(Field(redis, "demos", "size"), 3000U);
  const schemas::Transition demo = OneTransition(redis, "demos");
  EXPECT_EQ(demo.obs.size(), 3U);
  EXPECT_EQ(demo.action.size(), 1U);
  EXPECT_EQ(demo.reward_terms.size(), 1U);

  // Behaviour cloning on them; weights published and a checkpoint written.
  const std::string checkpoints = dir.path() + "/checkpoints";
  const CommandResult learner =
      RunTarmac({"learner", "--redis", url, "--env", "reach-v0", "--algo", "bc", "--metrics-port",
                 "0", "--set", "learner.max_updates=300", "--set", "learner.batch_size=64", "--set",
                 "learner.min_replay=100", "--set", "learner.hidden_units=32", "--set",
                 "learner.checkpoint_dir=" + checkpoints},
                std::chrono::seconds(180));
  ASSERT_EQ(learner.exit_code, 0) << learner.err;
  EXPECT_FALSE(std::filesystem::is_empty(checkpoints));
  EXPECT_NE(redis.RunText({"GET", "tarmac:weights:latest"}), "(nil)");

  // Rollouts with the published policy (obs 3, action 1) into rl.
  const CommandResult rollout = RunTarmac(
      {"actor", "--redis", url, "--env", "reach-v0", "--actors", "1", "--envs-per-actor", "8",
       "--max-env-steps", "2000", "--metrics-port", "0", "--set", "actor.hidden_units=32"},
      std::chrono::seconds(120));
  ASSERT_EQ(rollout.exit_code, 0) << rollout.err;
  EXPECT_THAT(rollout.err, ::testing::Not(HasSubstr("cannot be used"))) << rollout.err;
  EXPECT_GE(Field(redis, "rl", "size"), 1500U);
  const schemas::Transition learned = OneTransition(redis, "rl");
  EXPECT_EQ(learned.obs.size(), 3U);
  ASSERT_EQ(learned.action.size(), 1U);
  EXPECT_GT(learned.policy_version, 0U) << "the actor drove the learner's published policy";
  EXPECT_LE(std::abs(learned.action[0]), 2.0F) << "actions within the env's bounds";

  // The learned policy against the env's expert on a suite of reach-v0 seeds.
  const std::string suite = dir.path() + "/reach.yaml";
  std::ofstream(suite) << "name: reach\nfamilies:\n  - {env: reach-v0, count: 6, seed: 100}\n";
  const CommandResult eval = RunTarmac({"eval", "--policy", checkpoints, "--env", "reach-v0",
                                        "--suite", suite, "--out", dir.path() + "/eval"},
                                       std::chrono::seconds(60));
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("policy: loaded " + checkpoints));
  std::ifstream json_file(dir.path() + "/eval/report.json");
  const std::string report((std::istreambuf_iterator<char>(json_file)), {});
  EXPECT_THAT(report, HasSubstr("\"reach-v0\""));
  EXPECT_THAT(report, HasSubstr("final_distance"));
  // The expert itself, through the same command.
  const CommandResult expert_eval = RunTarmac({"eval", "--policy", "expert", "--env", "reach-v0",
                                               "--suite", suite, "--out", dir.path() + "/expert"},
                                              std::chrono::seconds(60));
  EXPECT_EQ(expert_eval.exit_code, 0) << expert_eval.err;
  // A suite of an env without an expert: one sentence, exit 2.
  const std::string bare = dir.path() + "/bare.yaml";
  std::ofstream(bare) << "families:\n  - {env: reach-noexpert-v0, count: 2, seed: 1}\n";
  const CommandResult refused =
      RunTarmac({"eval", "--policy", "expert", "--env", "reach-noexpert-v0", "--suite", bare,
                 "--out", dir.path() + "/bare"},
                std::chrono::seconds(60));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("reach-noexpert-v0 offers no expert"));

  // An env without an expert, or an unknown env: one sentence, exit 2, nothing written.
  const CommandResult unknown =
      RunTarmac({"actor", "--redis", url, "--env", "reach-v9", "--max-env-steps", "10"},
                std::chrono::seconds(30));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("unknown env 'reach-v9'"));
  const std::uint64_t demos_before = Field(redis, "demos", "size");
  const CommandResult no_expert =
      RunTarmac({"actor", "--redis", url, "--env", "reach-noexpert-v0", "--policy", "expert",
                 "--table", "demos", "--max-env-steps", "10", "--metrics-port", "0"},
                std::chrono::seconds(30));
  EXPECT_EQ(no_expert.exit_code, 2) << no_expert.err;
  EXPECT_EQ(no_expert.err,
            "tarmac: --policy expert needs an env with an expert, and reach-noexpert-v0 offers "
            "none; drive it with --policy latest (the learner's published weights).\n");
  EXPECT_EQ(Field(redis, "demos", "size"), demos_before);
}

}  // namespace
}  // namespace tarmac::testing
