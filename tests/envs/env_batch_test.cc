#include "tarmac/envs/env_batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "tarmac/envs/registry.h"

namespace tarmac::envs {
namespace {

using ::testing::HasSubstr;

TEST(EnvRegistryTest, EveryFamilyIsRegistered) {
  const std::vector<std::string> names = EnvRegistry::Global().Names();
  for (const char* name : {"driving-v0", "highway-v0", "dense-v0", "merge-v0", "cut_in-v0",
                           "lead_brake-v0", "stalled-v0", "curve-v0"}) {
    EXPECT_THAT(names, ::testing::Contains(name));
    absl::StatusOr<std::unique_ptr<Env>> env = EnvRegistry::Global().Make(name);
    ASSERT_TRUE(env.ok()) << env.status();
    EXPECT_EQ((*env)->spec().name, name);
    EXPECT_FALSE(EnvRegistry::Global().Description(name).empty());
  }
}

TEST(EnvRegistryTest, UnknownNameListsTheRegisteredOnes) {
  absl::StatusOr<std::unique_ptr<Env>> env = EnvRegistry::Global().Make("highway-v9");
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(env.status().message(), HasSubstr("unknown env 'highway-v9'"));
  EXPECT_THAT(env.status().message(), HasSubstr("highway-v0"));
}

TEST(EnvBatchTest, StepsAllEnvsAndResetsFinishedOnes) {
  auto batch = EnvBatch::Create("lead_brake-v0", 4, 77);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EnvBatch& b = **batch;
  const int obs = b.spec().observation_size;
  EXPECT_EQ(b.observations().size(), static_cast<std::size_t>(4 * obs));
  std::vector<float> actions(4 * 2, 0.0F);  // coast: the braking lead ends episodes early
  std::set<std::uint64_t> episodes;
  int finished = 0;
  for (int step = 0; step < 700; ++step) {
    b.Step(actions);
    for (int i = 0; i < 4; ++i) {
      episodes.insert(b.episode_ids()[i]);
      if (b.terminated()[i] || b.truncated()[i]) {
        ++finished;
        EXPECT_EQ(b.steps()[i], 0U) << "a finished env starts its next episode";
      }
    }
    for (const auto& summary : b.TakeFinishedEpisodes()) {
      EXPECT_EQ(summary.scenario, "lead_brake");
      EXPECT_GT(summary.steps, 0U);
    }
  }
  EXPECT_GE(finished, 8);
  EXPECT_EQ(episodes.size(), static_cast<std::size_t>(4 + finished));
}

TEST(EnvBatchTest, ReplaysExactlyFromTheBaseSeed) {
  auto run = [](std::uint64_t seed) {
    auto batch = EnvBatch::Create("driving-v0", 3, seed);
    std::vector<float> actions(6, 0.1F), trace;
    for (int step = 0; step < 400; ++step) {
      (*batch)->Step(actions);
      trace.insert(trace.end(), (*batch)->observations().begin(), (*batch)->observations().end());
    }
    return trace;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(EnvBatchTest, RefusesBadSizesAndNames) {
  EXPECT_THAT(EnvBatch::Create("highway-v0", 0, 1).status().message(), HasSubstr("1 to 4096 envs"));
  EXPECT_EQ(EnvBatch::Create("nope", 2, 1).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tarmac::envs
