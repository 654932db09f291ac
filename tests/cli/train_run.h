#ifndef TARMAC_TESTS_CLI_TRAIN_RUN_H_
#define TARMAC_TESTS_CLI_TRAIN_RUN_H_

// What the `tarmac train` end-to-end tests share: a run small enough for CI, its temporary
// directory, and readers of what a run leaves behind.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "redis_server.h"
#include "subprocess.h"

namespace tarmac::cli {

// Small enough for CI (two cores): few envs, small networks, short phases.
inline constexpr char kSmallRun[] = R"(
train:
  envs_per_actor: 8
  demo_steps: 20000
  sft_updates: 400
  dagger_rounds: 1
  dagger_steps: 4000
  dagger_updates: 100
  critic_pretrain_updates: 200
  curve_seconds: 4
  progress_seconds: 5
  selection_average: 2
learner:
  hidden_units: 64
  batch_size: 128
  min_replay: 500
  publish_every: 25
  checkpoint_seconds: 10
actor:
  hidden_units: 64
  heartbeat_seconds: 1
replay:
  capacity: 100000
)";

inline std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Counts of the rl table and the writers' sequence counters, read from the run's replay data
// by a fresh redis-server (the run's own one is gone).
struct ReplayContent {
  std::uint64_t inserts = 0;
  std::uint64_t size = 0;
  std::uint64_t produced = 0;  // sum of REPLAY.PRODUCER rl (what writers got acknowledged)
};

inline ReplayContent ReadReplay(const std::string& dir) {
  testing::RedisServer::Options options;
  options.dir = dir;
  options.extra_args = {"--appendonly", "yes"};
  auto server = testing::RedisServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  ReplayContent content;
  if (!server.ok()) return content;
  auto info = (*server)->Run({"REPLAY.INFO", "rl"});
  for (std::size_t i = 0; info && i + 1 < info->elements; i += 2) {
    const std::string key = info->element[i]->str;
    const auto* v = info->element[i + 1];
    const std::uint64_t value = v->type == REDIS_REPLY_INTEGER
                                    ? static_cast<std::uint64_t>(v->integer)
                                    : std::strtoull(v->str, nullptr, 10);
    if (key == "inserts") content.inserts = value;
    if (key == "size") content.size = value;
  }
  auto producers = (*server)->Run({"REPLAY.PRODUCER", "rl"});
  EXPECT_TRUE(producers && producers->type == REDIS_REPLY_ARRAY);
  for (std::size_t i = 1; producers && i < producers->elements; i += 2) {
    content.produced += static_cast<std::uint64_t>(producers->element[i]->integer);
  }
  return content;
}

// A command refused before it starts: exit 2, one line on stderr that holds `error`, and
// `not_created` (the run directory it was given) not created.
inline void ExpectRefused(const std::vector<std::string>& argv, const std::string& error,
                          const std::string& not_created) {
  auto refused = testing::RunCommand(argv);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 2) << refused->err;
  EXPECT_THAT(refused->err, ::testing::HasSubstr(error));
  EXPECT_EQ(std::count(refused->err.begin(), refused->err.end(), '\n'), 1) << refused->err;
  EXPECT_FALSE(std::filesystem::exists(not_created)) << not_created;
}

class TrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.path() + "/small.yaml";
    std::ofstream(config_) << kSmallRun;
    run_ = dir_.path() + "/run";
  }
  testing::TempDir dir_;
  std::string config_, run_;
};

}  // namespace tarmac::cli

#endif  // TARMAC_TESTS_CLI_TRAIN_RUN_H_
