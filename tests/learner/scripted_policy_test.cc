#include "tarmac/learner/scripted_policy.h"

#include <gtest/gtest.h>
#include <torch/script.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "subprocess.h"
#include "tarmac/envs/driving_env.h"

namespace tarmac::learner {
namespace {

// A module as torch.jit.script would save it: a linear mean of the observation and a constant
// log_std, defined in TorchScript here (the C++ API compiles the same language).
std::string SaveLinearModule(const std::string& dir, int obs, const std::string& forward) {
  torch::jit::Module m("LinearPolicy");
  m.register_parameter("w", torch::linspace(-0.01, 0.01, 2 * obs).reshape({2, obs}), false);
  m.define(forward);
  const std::string path = dir + "/policy.pt";
  m.save(path);
  return path;
}

constexpr char kForward[] = R"(
def forward(self, obs):
    mean = torch.matmul(obs, self.w.t())
    return mean, torch.zeros_like(mean) - 1.0
)";

TEST(ScriptedPolicyTest, ActsWithTheSquashedMeanOfItsForward) {
  testing::TempDir dir;
  envs::DrivingEnv env({});
  const envs::EnvSpec& spec = env.spec();
  const std::string path = SaveLinearModule(dir.path(), spec.observation_size, kForward);
  auto policy = ScriptedPolicy::Load(path, spec);
  ASSERT_TRUE(policy.ok()) << policy.status();
  std::vector<float> obs(spec.observation_size);
  env.Reset(3, absl::MakeSpan(obs));
  std::vector<float> action(2);
  (*policy)->Reset(env);
  (*policy)->Act(env, obs, absl::MakeSpan(action));
  const torch::Tensor w =
      torch::linspace(-0.01, 0.01, 2 * spec.observation_size).reshape({2, spec.observation_size});
  for (int i = 0; i < 2; ++i) {
    double mean = 0.0;
    for (int k = 0; k < spec.observation_size; ++k) mean += w[i][k].item<double>() * obs[k];
    const double expected = spec.action_low[i] + (std::tanh(mean) + 1.0) / 2.0 *
                                                     (spec.action_high[i] - spec.action_low[i]);
    EXPECT_NEAR(action[i], expected, 1e-5) << i;
  }
}

TEST(ScriptedPolicyTest, RefusesWhatIsNotAPolicyInOneSentence) {
  testing::TempDir dir;
  envs::DrivingEnv env({});
  const envs::EnvSpec& spec = env.spec();
  const std::string text = dir.path() + "/text.pt";
  std::ofstream(text) << "not a module";
  const std::string one_output = SaveLinearModule(dir.path(), spec.observation_size,
                                                  "def forward(self, obs):\n    return obs\n");
  for (const std::string& path : {text, one_output}) {
    auto refused = ScriptedPolicy::Load(path, spec);
    ASSERT_FALSE(refused.ok()) << path;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find(path), std::string::npos) << refused.status();
    EXPECT_EQ(refused.status().message().find('\n'), std::string::npos) << refused.status();
  }
  // Built for another observation size: forward fails on this env's observation.
  testing::TempDir other;
  const std::string narrow = SaveLinearModule(other.path(), 5, kForward);
  EXPECT_EQ(ScriptedPolicy::Load(narrow, spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ScriptedPolicyTest, EvalScoresATorchScriptFile) {
  testing::TempDir dir;
  envs::DrivingEnv env({});
  const std::string path = SaveLinearModule(dir.path(), env.spec().observation_size, kForward);
  const std::string suite = dir.path() + "/suite.yaml";
  std::ofstream(suite) << "name: tiny\nfamilies:\n  - {family: highway, count: 2, seed: 1}\n";
  auto r = testing::RunCommand(
      {TARMAC_BINARY, "eval", "--policy", path, "--suite", suite, "--out", dir.path() + "/out"},
      std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->out.find("policy: loaded the TorchScript module " + path), std::string::npos)
      << r->out;
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() + "/out/report.json"));
  // A file that is neither: one sentence, exit 2.
  const std::string junk = dir.path() + "/junk.pt";
  std::ofstream(junk) << "junk";
  auto refused = testing::RunCommand(
      {TARMAC_BINARY, "eval", "--policy", junk, "--suite", suite, "--out", dir.path() + "/o2"},
      std::chrono::seconds(60));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 2) << refused->err;
  EXPECT_NE(refused->err.find("nor is it a TorchScript policy"), std::string::npos) << refused->err;
}

}  // namespace
}  // namespace tarmac::learner
