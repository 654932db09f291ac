#include "train/run_state.h"

#include <gtest/gtest.h>

#include <fstream>

#include "subprocess.h"

namespace tarmac::cli::train {
namespace {

TEST(RunStateTest, SavesAndLoadsEveryPhase) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/state.json";
  for (Phase phase : {Phase::kDemos, Phase::kSft, Phase::kRl, Phase::kEval, Phase::kDone}) {
    RunState state;
    state.run_id = "abcd1234";
    state.phase = phase;
    state.elapsed_seconds = 12.5;
    state.sft_step = 400;
    ASSERT_TRUE(state.Save(path).ok());
    auto loaded = RunState::Load(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->phase, phase) << PhaseName(phase);
    EXPECT_EQ(loaded->run_id, "abcd1234");
    EXPECT_EQ(loaded->elapsed_seconds, 12.5);
    EXPECT_EQ(loaded->sft_step, 400U);
  }
}

TEST(RunStateTest, RefusesWhatIsNotARunsState) {
  testing::TempDir dir;
  EXPECT_EQ(RunState::Load(dir.path() + "/missing.json").status().code(),
            absl::StatusCode::kNotFound);
  const std::string path = dir.path() + "/state.json";
  std::ofstream(path)
      << R"({"run_id": "x", "phase": "warmup", "elapsed_seconds": 0, "sft_step": 0})";
  auto unknown = RunState::Load(path);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("unknown phase 'warmup'"), std::string::npos);
}

}  // namespace
}  // namespace tarmac::cli::train
