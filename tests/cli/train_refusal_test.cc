// `tarmac train` and `tarmac finetune` refusing what they cannot run: exit 2, one sentence that
// names the thing and what to do, and nothing created or started (no Redis, no actors: fast).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "subprocess.h"
#include "train_run.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TrainRefusalTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string run_ = dir_.path() + "/run";
};

TEST_F(TrainRefusalTest, RefusesToStartOverARunAndToResumeNothing) {
  fs::create_directories(run_);
  std::ofstream(run_ + "/state.json") << "{}";
  auto again = testing::RunCommand({TARMAC_BINARY, "train", "--out", run_, "--minutes", "1"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 2);
  EXPECT_EQ(again->err, "tarmac: " + run_ + " already holds a run; continue it with --resume " +
                            run_ + " or choose another --out.\n");
  auto nothing = testing::RunCommand(
      {TARMAC_BINARY, "train", "--resume", dir_.path() + "/nowhere", "--minutes", "1"});
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(nothing->exit_code, 2);
  EXPECT_THAT(nothing->err, HasSubstr("no tarmac train run there"));
  // A wrong env name is refused before anything is created or started.
  const std::string fresh = dir_.path() + "/fresh";
  auto env = testing::RunCommand(
      {TARMAC_BINARY, "train", "--out", fresh, "--minutes", "1", "--env", "no-such-env"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->exit_code, 2);
  EXPECT_THAT(env->err, HasSubstr("no-such-env"));
  EXPECT_FALSE(fs::exists(fresh));
  // So is an --init that names no checkpoint, or a file that is not one.
  auto no_init = testing::RunCommand({TARMAC_BINARY, "train", "--out", fresh, "--minutes", "1",
                                      "--init", dir_.path() + "/nowhere.pt"});
  ASSERT_TRUE(no_init.ok());
  EXPECT_EQ(no_init->exit_code, 2);
  EXPECT_EQ(no_init->err, "tarmac: --init: there is no checkpoint at " + dir_.path() +
                              "/nowhere.pt; give a checkpoint file (ckpt-<step>.pt) or a "
                              "directory holding one.\n");
  std::ofstream(dir_.path() + "/ckpt-000000000007.pt") << "truncated";
  auto bad_init = testing::RunCommand(
      {TARMAC_BINARY, "train", "--out", fresh, "--minutes", "1", "--init", dir_.path()});
  ASSERT_TRUE(bad_init.ok());
  EXPECT_EQ(bad_init->exit_code, 2);
  EXPECT_THAT(bad_init->err, HasSubstr("--init: " + dir_.path() + "/ckpt-000000000007.pt is not"));
  EXPECT_FALSE(fs::exists(fresh));
  // tarmac finetune: a start that is not there or not a checkpoint, no start, a mix outside
  // (0, 1]: one sentence, exit 2, nothing created (a focus suite without cases: ShortRun).
  const std::string good_focus = dir_.path() + "/focus.yaml";
  std::ofstream(good_focus) << "name: some\nfamilies:\n  - {family: cut_in, count: 2, seed: 1}\n";
  for (const auto& [args, error] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--from", dir_.path() + "/nowhere.pt", "--focus", good_focus},
            "tarmac: --from: there is no checkpoint at " + dir_.path() +
                "/nowhere.pt; give a checkpoint file (ckpt-<step>.pt) or a directory holding "
                "one.\n"},
           {{"--from", dir_.path(), "--focus", good_focus},
            "tarmac: --from: " + dir_.path() + "/ckpt-000000000007.pt is not"},
           {{"--focus", good_focus}, "tarmac: finetune needs --from CKPT"},
           {{"--from", dir_.path(), "--focus", good_focus, "--mix", "0"}, "finetune.mix"},
       }) {
    std::vector<std::string> argv = {TARMAC_BINARY, "finetune", "--out", fresh};
    argv.insert(argv.end(), args.begin(), args.end());
    ExpectRefused(argv, error, fresh);
  }
  // A reward A/B needs both files, each setting env.reward.* keys and nothing else.
  const std::string not_reward = dir_.path() + "/not-reward.yaml";
  std::ofstream(not_reward) << "learner:\n  batch_size: 64\n";
  const std::string reward = dir_.path() + "/reward.yaml";
  std::ofstream(reward) << "env:\n  reward:\n    comfort: 3\n";
  for (const auto& [args, error] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--reward-a", reward}, "needs both --reward-a FILE and --reward-b FILE"},
           {{"--reward-a", reward, "--reward-b", not_reward},
            "--reward-b " + not_reward +
                " sets learner.batch_size; a reward file sets "
                "env.reward.* keys only"},
       }) {
    std::vector<std::string> argv = {TARMAC_BINARY, "finetune",  "--out",   fresh,
                                     "--from",      dir_.path(), "--focus", good_focus};
    argv.insert(argv.end(), args.begin(), args.end());
    ExpectRefused(argv, error, fresh);
  }
  auto broken = testing::RunCommand({TARMAC_BINARY, "train", "--resume", run_, "--minutes", "1"});
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->exit_code, 2);
  EXPECT_THAT(broken->err, HasSubstr("is not the state of a tarmac train run"));
}

TEST_F(TrainRefusalTest, RefusesLockstepWithoutSamplesToPaceItsTurns) {
  // Without samples to pace the turns by, lock-step has no update count: refused up front.
  ExpectRefused({TARMAC_BINARY, "train", "--out", dir_.path() + "/nopace", "--minutes", "1",
                 "--set", "train.lockstep_steps=1000", "--set", "train.samples_per_insert=0"},
                "train.lockstep_steps needs train.samples_per_insert above 0",
                dir_.path() + "/nopace");
}

}  // namespace
}  // namespace tarmac::cli
