// `tarmac train --set train.lockstep_steps=N`: the rollout and the learner take turns, so a run
// repeats bit for bit from its seed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "job_settings.h"
#include "subprocess.h"
#include "tarmac/cli/config_schema.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"
#include "train_run.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The actor's tensors in the newest checkpoint of the run in `run`, loaded under the run's own
// config (empty, with a failure, when they cannot be).
std::vector<schemas::Tensor> NewestPolicyTensors(const std::string& run) {
  auto config = DefaultConfig();
  EXPECT_TRUE(config.ok()) << config.status();
  if (!config.ok()) return {};
  EXPECT_TRUE(config->MergeYamlFile(run + "/config.yaml").ok());
  EXPECT_TRUE(config->Set("replay.urls", "unix:///unused", "test").ok());
  auto options = LearnerOptionsFrom(*config);
  EXPECT_TRUE(options.ok()) << options.status();
  if (!options.ok()) return {};
  options->sac.device = "cpu";
  auto trainer = learner::SacTrainer::Create(options->sac, options->shape);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  auto newest = learner::NewestCheckpoint(run + "/checkpoints");
  EXPECT_TRUE(newest.ok()) << newest.status();
  if (!trainer.ok() || !newest.ok()) return {};
  EXPECT_TRUE((*trainer)->LoadCheckpoint(*newest).ok()) << *newest;
  return (*trainer)->ExportPolicy(1).tensors;
}

// train.lockstep_steps: the rollout and the learner take turns, each turn's draws from the seed,
// so two runs of one seed end with the same weights: demos, SFT and the RL phase (two turns of
// 1008 env steps, 252 and 248 SAC updates, with prioritised replay) all repeat bit for bit.
TEST_F(TrainTest, LockstepRunsOfOneSeedLearnTheSameWeights) {
  const std::string suite = dir_.path() + "/tiny.yaml";
  std::ofstream(suite) << "name: tiny\nfamilies:\n  - {family: highway, count: 1, seed: 1}\n";
  std::vector<std::vector<schemas::Tensor>> runs;
  for (int run = 0; run < 2; ++run) {
    const std::string out = dir_.path() + "/lockstep" + std::to_string(run);
    auto r = testing::RunCommand({TARMAC_BINARY, "train",
                                  "--config",    config_,
                                  "--out",       out,
                                  "--minutes",   "0",
                                  "--updates",   "500",
                                  "--set",       "train.lockstep_steps=1000",
                                  "--set",       "train.dagger_rounds=0",
                                  "--set",       "train.critic_warmup_updates=50",
                                  "--set",       "train.seed=3",
                                  "--set",       "train.suite=" + suite,
                                  "--set",       "train.validation_suite=",
                                  "--set",       "train.selection_suite="});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << r->err;
    EXPECT_THAT(Read(out + "/train.log"), HasSubstr("in lock-step turns of 1000 env steps"));
    const ReplayContent replay = ReadReplay(out + "/replay");
    EXPECT_EQ(replay.inserts, 2016U);  // two turns of 1008 steps (63 of the 2 x 8 envs)
    // 400 SFT and 500 RL updates: the weights compared below are RL's, not the cloned ones.
    EXPECT_TRUE(fs::exists(out + "/checkpoints/ckpt-000000000900.pt"));
    runs.push_back(NewestPolicyTensors(out));
  }
  ASSERT_FALSE(runs[0].empty());
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (std::size_t i = 0; i < runs[0].size(); ++i) {
    EXPECT_EQ(runs[0][i].name, runs[1][i].name);
    EXPECT_TRUE(runs[0][i].data == runs[1][i].data) << "tensor " << runs[0][i].name << " differs";
  }
}

}  // namespace
}  // namespace tarmac::cli
