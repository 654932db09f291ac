#include "tarmac/learner/network_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "subprocess.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::learner {
namespace {

using ::testing::HasSubstr;

const BatchShape kShape{4, 2, {-6.0F, -0.4F}, {3.0F, 0.4F}, {}};

// A small CPU network: what these tests need to save and load checkpoints quickly.
SacOptions SmallOptions(std::vector<int> hidden_sizes) {
  SacOptions options;
  options.hidden_sizes = std::move(hidden_sizes);
  options.device = "cpu";
  options.threads = 1;
  return options;
}

std::unique_ptr<SacTrainer> TrainedALittle() {
  auto trainer = SacTrainer::Create(SmallOptions({16, 16}), kShape);
  EXPECT_TRUE(trainer.ok());
  TrainingBatch batch;
  batch.Resize(16, kShape);
  for (std::size_t i = 0; i < batch.obs.size(); ++i) {
    batch.obs[i] = 5.0F + static_cast<float>(i % 7);  // far from zero: the normaliser matters
    batch.next_obs[i] = batch.obs[i] + 0.1F;
  }
  for (std::size_t i = 0; i < batch.action.size(); ++i) batch.action[i] = (i % 3) * 0.3F - 0.3F;
  for (int i = 0; i < batch.size; ++i) {
    batch.reward[i] = 1.0F;
    batch.discount[i] = 0.9F;
    batch.is_weight[i] = 1.0F;
  }
  for (int i = 0; i < 20; ++i) EXPECT_TRUE((*trainer)->Update(batch, nullptr).ok());
  return std::move(*trainer);
}

std::vector<float> Observations(int rows) {
  std::vector<float> obs(rows * kShape.obs_dim);
  for (std::size_t i = 0; i < obs.size(); ++i) obs[i] = 4.0F + 0.37F * static_cast<float>(i % 11);
  return obs;
}

std::vector<float> Act(const InferencePolicy& policy, int rows, float noise,
                       std::uint64_t seed = 1) {
  const auto obs = Observations(rows);
  std::vector<float> scale(rows, noise);
  std::vector<float> actions(rows * kShape.action_dim);
  policy.Act(obs, rows, noise > 0 ? absl::MakeConstSpan(scale) : absl::Span<const float>(), seed,
             absl::MakeSpan(actions));
  return actions;
}

TEST(NetworkPolicyTest, WeightsBlobRoundTripsIntoTheActorsPolicy) {
  auto trainer = TrainedALittle();
  auto blob = schemas::EncodePolicyWeights(trainer->ExportPolicy(42));
  ASSERT_TRUE(blob.ok()) << blob.status();
  auto decoded = schemas::DecodePolicyWeights(*blob);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  auto from_blob = InferencePolicy::FromWeights(*decoded);
  ASSERT_TRUE(from_blob.ok()) << from_blob.status();
  EXPECT_EQ((*from_blob)->version(), 42U);
  EXPECT_EQ((*from_blob)->architecture().hidden_sizes, (std::vector<std::uint32_t>{16, 16}));

  testing::TempDir dir;
  ASSERT_TRUE(trainer->SaveCheckpoint(CheckpointPath(dir.path(), trainer->step())).ok());
  auto from_checkpoint = InferencePolicy::FromCheckpoint(dir.path());
  ASSERT_TRUE(from_checkpoint.ok()) << from_checkpoint.status();

  const auto a = Act(**from_blob, 5, 0.0F);
  const auto b = Act(**from_checkpoint, 5, 0.0F);
  EXPECT_EQ(a, b);
  for (int i = 0; i < 5; ++i) {
    for (int d = 0; d < 2; ++d) {
      EXPECT_GE(a[2 * i + d], kShape.action_low[d]);
      EXPECT_LE(a[2 * i + d], kShape.action_high[d]);
    }
  }
}

// The forward pass in plain C++ from the published tensors: normalise, clip, ReLU layers. Per
// row the pre-tanh mean, then the log-std (clamped as the learner's actor clamps it).
std::vector<float> ReferenceHead(const schemas::PolicyWeights& w, const std::vector<float>& obs,
                                 int rows) {
  std::map<std::string, std::vector<float>> t;
  std::map<std::string, std::vector<std::int64_t>> shape;
  for (const auto& tensor : w.tensors) {
    std::vector<float> v(tensor.data.size() / sizeof(float));
    std::memcpy(v.data(), tensor.data.data(), tensor.data.size());
    t[tensor.name] = v;
    shape[tensor.name] = tensor.shape;
  }
  const int obs_dim = static_cast<int>(w.architecture.obs_dim);
  const int act_dim = static_cast<int>(w.architecture.action_dim);
  const float clip = t["obs_norm.clip"][0];
  std::vector<float> out;
  for (int r = 0; r < rows; ++r) {
    std::vector<float> x(obs_dim);
    for (int d = 0; d < obs_dim; ++d) {
      x[d] = std::clamp((obs[r * obs_dim + d] - t["obs_norm.mean"][d]) / t["obs_norm.std"][d],
                        -clip, clip);
    }
    const int layers = static_cast<int>(w.architecture.hidden_sizes.size()) + 1;
    for (int l = 0; l < layers; ++l) {
      const std::string name = "actor.net." + std::to_string(2 * l);
      const auto& weight = t[name + ".weight"];
      const auto& bias = t[name + ".bias"];
      const int out_dim = static_cast<int>(shape[name + ".weight"][0]);
      std::vector<float> y(out_dim);
      for (int o = 0; o < out_dim; ++o) {
        double sum = bias[o];
        for (std::size_t i = 0; i < x.size(); ++i) sum += weight[o * x.size() + i] * x[i];
        y[o] = static_cast<float>(l + 1 < layers ? std::max(0.0, sum) : sum);
      }
      x = y;
    }
    for (int d = 0; d < act_dim; ++d) out.push_back(x[d]);
    for (int d = 0; d < act_dim; ++d) out.push_back(std::clamp(x[act_dim + d], -5.0F, 2.0F));
  }
  return out;
}

// ReferenceHead's mean squashed by tanh and rescaled to the action bounds.
std::vector<float> ReferenceActions(const schemas::PolicyWeights& w, const std::vector<float>& obs,
                                    int rows) {
  const int act_dim = static_cast<int>(w.architecture.action_dim);
  const auto head = ReferenceHead(w, obs, rows);
  std::vector<float> out;
  for (int r = 0; r < rows; ++r) {
    for (int d = 0; d < act_dim; ++d) {
      const float low = kShape.action_low[d], high = kShape.action_high[d];
      out.push_back(low + (std::tanh(head[2 * act_dim * r + d]) + 1.0F) * 0.5F * (high - low));
    }
  }
  return out;
}

// On every kernel backend this LibTorch can run (the fastest is the default; xnnpack with
// Debian's), and 64 rows as the inference actor batches them.
TEST(NetworkPolicyTest, ActionsEqualAPlainForwardPassOfThePublishedTensors) {
  auto trainer = TrainedALittle();
  const schemas::PolicyWeights weights = trainer->ExportPolicy(3);
  const auto expected = ReferenceActions(weights, Observations(64), 64);
  int ran = 0;
  for (const char* backend : {"", "eigen", "xnnpack", "onednn", "libtorch"}) {
    auto policy = InferencePolicy::FromWeights(weights, backend);
    if (!policy.ok()) {
      EXPECT_EQ(policy.status().code(), absl::StatusCode::kUnavailable) << policy.status();
      continue;
    }
    if (*backend != '\0') {
      EXPECT_STREQ((*policy)->backend(), backend);
    }
    const auto actual = Act(**policy, 64, 0.0F);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      EXPECT_NEAR(actual[i], expected[i], 1e-4) << i << " on " << (*policy)->backend();
    }
    ++ran;
  }
  EXPECT_GE(ran, 2) << "the default and at least the dense LibTorch path";
  EXPECT_EQ(InferencePolicy::FromWeights(weights, "cuda").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The default kernels follow from the CPU alone (so that runs repeat on one machine): Eigen's
// AVX2 ones where there is AVX2 and FMA but no AVX-512, XNNPACK's otherwise.
TEST(NetworkPolicyTest, TheDefaultKernelsFollowFromTheCpu) {
  auto trainer = TrainedALittle();
  auto policy = InferencePolicy::FromWeights(trainer->ExportPolicy(1));
  ASSERT_TRUE(policy.ok()) << policy.status();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  auto eigen = InferencePolicy::FromWeights(trainer->ExportPolicy(1), "eigen");
  if (!avx2) {
    EXPECT_EQ(eigen.status().code(), absl::StatusCode::kUnavailable) << eigen.status();
  }
  if (eigen.ok() && !__builtin_cpu_supports("avx512f")) {
    EXPECT_STREQ((*policy)->backend(), "eigen");
  } else {
    EXPECT_STRNE((*policy)->backend(), "eigen");
  }
}

TEST(NetworkPolicyTest, BackendRunsSaysWhichKernelsThisCpuRuns) {
  EXPECT_EQ(InferencePolicy::BackendRuns("eigen"),
            __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  EXPECT_TRUE(InferencePolicy::BackendRuns("libtorch"));
  EXPECT_FALSE(InferencePolicy::BackendRuns("cuda"));
  EXPECT_FALSE(InferencePolicy::BackendRuns(""));
  // What it says agrees with loading a policy on each.
  auto trainer = TrainedALittle();
  for (const char* backend : {"eigen", "xnnpack", "onednn", "libtorch"}) {
    EXPECT_EQ(InferencePolicy::FromWeights(trainer->ExportPolicy(1), backend).ok(),
              InferencePolicy::BackendRuns(backend))
        << backend;
  }
}

// The AVX2 kernels' library exports its entry point and nothing else: an exported AVX2
// instantiation of inline code (Eigen's, the standard library's) could stand in for the
// baseline build's in another library and run on a CPU without AVX2.
TEST(NetworkPolicyTest, TheAvx2KernelLibraryExportsOnlyItsEntryPoint) {
  const std::string library = std::string(TARMAC_BINARY_DIR) + "/learner/libtarmac_mlp_avx2.so";
  if (!std::filesystem::exists(library)) GTEST_SKIP() << "not built here (not x86-64)";
  auto nm = testing::RunCommand({"nm", "-D", "--defined-only", "-C", library});
  ASSERT_TRUE(nm.ok()) << nm.status();
  ASSERT_EQ(nm->exit_code, 0) << nm->err;
  std::istringstream lines(nm->out);
  std::vector<std::string> exported;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) exported.push_back(line);
  }
  ASSERT_EQ(exported.size(), 1U) << nm->out;
  EXPECT_NE(exported[0].find("tarmac::learner::mlp_avx2::Forward("), std::string::npos)
      << exported[0];
}

TEST(NetworkPolicyTest, NoiseScaleZeroIsDeterministicAndOneSamplesReproducibly) {
  auto trainer = TrainedALittle();
  auto policy = InferencePolicy::FromWeights(trainer->ExportPolicy(1));
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(Act(**policy, 8, 0.0F, 1), Act(**policy, 8, 0.0F, 2));
  EXPECT_EQ(Act(**policy, 8, 1.0F, 3), Act(**policy, 8, 1.0F, 3));
  EXPECT_NE(Act(**policy, 8, 1.0F, 3), Act(**policy, 8, 1.0F, 4));
  EXPECT_NE(Act(**policy, 8, 1.0F, 3), Act(**policy, 8, 0.0F, 3));
}

// Env actors that run the policy inline call one InferencePolicy from several threads at once:
// each call gives what it gives alone. On XNNPACK's kernels each concurrent call takes a packed
// copy of the layers no other call holds (one copy shared without a lock mixes the calls'
// inputs and outputs).
TEST(NetworkPolicyTest, ConcurrentCallsActAsTheyDoAlone) {
  if (!InferencePolicy::BackendRuns("xnnpack")) GTEST_SKIP() << "XNNPACK does not run here";
  auto trainer = TrainedALittle();
  auto policy = InferencePolicy::FromWeights(trainer->ExportPolicy(1), "xnnpack");
  ASSERT_TRUE(policy.ok()) << policy.status();
  const std::vector<int> rows = {8, 16, 32, 64};
  std::vector<std::vector<float>> alone;
  for (int r : rows) alone.push_back(Act(**policy, r, 0.0F));
  std::vector<int> mismatches(rows.size(), 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < rows.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int call = 0; call < 300; ++call) {
        mismatches[t] += Act(**policy, rows[t], 0.0F) != alone[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t t = 0; t < rows.size(); ++t) {
    EXPECT_EQ(mismatches[t], 0) << rows[t] << " rows";
  }
}

// Noise scale s samples u ~ N(mean, (s * std)^2) before the tanh: mapped back through atanh, the
// sample mean and standard deviation of 20000 draws agree with the published network's
// (z-test on the mean at 5 sigma; the standard deviation within 3 %, ~4 sigma at this n).
TEST(NetworkPolicyTest, SampledActionsFollowThePolicysGaussian) {
  auto trainer = TrainedALittle();
  const schemas::PolicyWeights weights = trainer->ExportPolicy(3);
  auto policy = InferencePolicy::FromWeights(weights);
  ASSERT_TRUE(policy.ok());
  constexpr int kRows = 20000;
  const auto one = Observations(1);
  std::vector<float> obs;
  for (int r = 0; r < kRows; ++r) obs.insert(obs.end(), one.begin(), one.end());
  const auto head = ReferenceHead(weights, one, 1);
  for (const float scale : {1.0F, 0.5F}) {
    std::vector<float> scales(kRows, scale);
    std::vector<float> actions(kRows * kShape.action_dim);
    (*policy)->Act(obs, kRows, scales, 11, absl::MakeSpan(actions));
    for (int d = 0; d < kShape.action_dim; ++d) {
      const double low = kShape.action_low[d], high = kShape.action_high[d];
      double sum = 0, sum_sq = 0;
      int kept = 0;
      for (int r = 0; r < kRows; ++r) {
        const double unit = 2.0 * (actions[r * kShape.action_dim + d] - low) / (high - low) - 1.0;
        if (std::abs(unit) >= 1.0 - 1e-6) continue;  // saturated in float: atanh is unbounded
        const double u = std::atanh(unit);
        sum += u;
        sum_sq += u * u;
        ++kept;
      }
      ASSERT_GT(kept, kRows * 0.99) << "the Gaussian is narrow enough not to saturate the tanh";
      const double mean = sum / kept;
      const double sd = std::sqrt(sum_sq / kept - mean * mean);
      const double expected_sd = scale * std::exp(head[kShape.action_dim + d]);
      EXPECT_NEAR(mean, head[d], 5.0 * expected_sd / std::sqrt(kept)) << "dim " << d;
      EXPECT_NEAR(sd, expected_sd, 0.03 * expected_sd) << "dim " << d << " scale " << scale;
    }
  }
}

TEST(NetworkPolicyTest, RefusesWeightsThatDoNotFitTheArchitecture) {
  auto trainer = TrainedALittle();
  const schemas::PolicyWeights good = trainer->ExportPolicy(1);

  schemas::PolicyWeights wrong_kind = good;
  wrong_kind.architecture.kind = "transformer";
  schemas::PolicyWeights missing = good;
  missing.tensors.erase(missing.tensors.begin());
  schemas::PolicyWeights misshapen = good;
  misshapen.architecture.hidden_sizes = {16, 32};
  schemas::PolicyWeights not_finite = good;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(not_finite.tensors[0].data.data(), &nan, sizeof(nan));
  schemas::PolicyWeights extra = good;
  extra.tensors.push_back(good.tensors[0]);
  extra.tensors.back().name = "critic.q1.0.weight";

  for (const auto* w : {&wrong_kind, &missing, &misshapen, &not_finite, &extra}) {
    auto policy = InferencePolicy::FromWeights(*w);
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(policy.status().message().find('\n'), std::string::npos);
  }
}

TEST(NetworkPolicyTest, RandomPolicyActsWithinBounds) {
  auto policy =
      InferencePolicy::Random(kShape.obs_dim, kShape.action_low, kShape.action_high, {32, 32}, 5);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const auto actions = Act(**policy, 64, 1.0F);
  for (int i = 0; i < 64; ++i) {
    for (int d = 0; d < 2; ++d) {
      EXPECT_TRUE(std::isfinite(actions[2 * i + d]));
      EXPECT_GE(actions[2 * i + d], kShape.action_low[d]);
      EXPECT_LE(actions[2 * i + d], kShape.action_high[d]);
    }
  }
}

// Kernels that cannot run here are the setting's fault, not the checkpoints': refused before
// any is read, none skipped; the ones that run are the ones the policy uses.
TEST(NetworkPolicyTest, FromCheckpointLoadsOntoTheKernelsItIsGiven) {
  testing::TempDir dir;
  auto trainer = SacTrainer::Create(SmallOptions({16}), kShape);
  ASSERT_TRUE(trainer.ok());
  ASSERT_TRUE((*trainer)->SaveCheckpoint(CheckpointPath(dir.path(), 0)).ok());
  for (const char* backend : {"eigen", "xnnpack", "onednn", "libtorch"}) {
    InferencePolicy::CheckpointChoice choice;
    auto policy = InferencePolicy::FromCheckpoint(dir.path(), &choice, backend);
    if (!InferencePolicy::BackendRuns(backend)) {
      ASSERT_FALSE(policy.ok()) << backend;
      EXPECT_EQ(policy.status().code(), absl::StatusCode::kUnavailable) << backend;
      continue;
    }
    ASSERT_TRUE(policy.ok()) << backend << ": " << policy.status();
    EXPECT_STREQ((*policy)->backend(), backend);
  }
  InferencePolicy::CheckpointChoice choice;
  auto unknown = InferencePolicy::FromCheckpoint(dir.path(), &choice, "nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnavailable) << unknown.status();
  EXPECT_TRUE(choice.skipped.empty());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("'nope'"));
  EXPECT_FALSE(InferencePolicy::PinnedBackend("nope").ok());
  EXPECT_EQ(*InferencePolicy::PinnedBackend("auto"), "");
  EXPECT_EQ(*InferencePolicy::PinnedBackend("libtorch"), "libtorch");
}

TEST(NetworkPolicyTest, FromCheckpointNamesAnEmptyDirectory) {
  testing::TempDir dir;
  auto policy = InferencePolicy::FromCheckpoint(dir.path());
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(policy.status().message().find(dir.path()), std::string::npos);
}

TEST(NetworkPolicyTest, ATruncatedNewestCheckpointFallsBackToTheNewestReadableOne) {
  testing::TempDir dir;
  auto trainer = SacTrainer::Create(SmallOptions({16}), kShape);
  ASSERT_TRUE(trainer.ok());
  const std::string older = CheckpointPath(dir.path(), 5), newer = CheckpointPath(dir.path(), 9);
  ASSERT_TRUE((*trainer)->SaveCheckpoint(older).ok());
  ASSERT_TRUE((*trainer)->SaveCheckpoint(newer).ok());
  std::filesystem::resize_file(newer, std::filesystem::file_size(newer) / 3);  // a crash mid-write

  InferencePolicy::CheckpointChoice choice;
  auto policy = InferencePolicy::FromCheckpoint(dir.path(), &choice);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(choice.loaded, older);
  ASSERT_EQ(choice.skipped.size(), 1U);
  EXPECT_EQ(choice.skipped[0].first, newer);
  EXPECT_EQ(choice.skipped[0].second,
            newer + " is truncated or corrupt (it is not a readable tarmac learner checkpoint)");

  // The damaged file named directly: one sentence, none of LibTorch's internals.
  auto direct = InferencePolicy::FromCheckpoint(newer);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(direct.status().message().find("PytorchStreamReader"), std::string::npos)
      << direct.status();
  // Every checkpoint damaged: refused, naming the directory.
  std::filesystem::resize_file(older, 100);
  auto none = InferencePolicy::FromCheckpoint(dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("none of the 2 checkpoints in " + dir.path()),
            std::string::npos)
      << none.status();
}

TEST(NetworkPolicyTest, EvalRunsALearnedPolicyFromACheckpointDirectory) {
  testing::TempDir dir;
  const SacOptions options = SmallOptions({16});
  const int obs = envs::kEgoFeatures + envs::kPreviewFeatures + 8 * envs::kVehicleFeatures +
                  envs::kLeaderFeatures;  // driving-v0's observation
  const BatchShape driving{obs, 2, {-8.0F, -0.6F}, {3.0F, 0.6F}, {}};
  auto trainer = SacTrainer::Create(options, driving);
  ASSERT_TRUE(trainer.ok());
  ASSERT_TRUE((*trainer)->SaveCheckpoint(CheckpointPath(dir.path(), 0)).ok());
  const std::string suite = dir.path() + "/suite.yaml";
  std::ofstream(suite) << "name: tiny\nfamilies:\n  - {family: highway, count: 2, seed: 1}\n";
  auto r = testing::RunCommand({TARMAC_BINARY, "eval", "--policy", dir.path(), "--suite", suite,
                                "--out", dir.path() + "/out"},
                               std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->out.find("policy: loaded " + CheckpointPath(dir.path(), 0)), std::string::npos)
      << r->out;
  std::ifstream json(dir.path() + "/out/report.json");
  const std::string report((std::istreambuf_iterator<char>(json)), {});
  EXPECT_NE(report.find("\"policy\": \"" + dir.path() + "\""), std::string::npos)
      << report.substr(0, 300);
  // The CPU's default kernels, unless actor.inference_backend pins them as it does the rollout's.
  auto defaults = InferencePolicy::FromCheckpoint(dir.path());
  ASSERT_TRUE(defaults.ok());
  EXPECT_THAT(r->out, HasSubstr(std::string(" (") + (*defaults)->backend() + " kernels)"));
  auto pinned =
      testing::RunCommand({TARMAC_BINARY, "eval", "--policy", dir.path(), "--suite", suite, "--out",
                           dir.path() + "/pinned", "--set", "actor.inference_backend=libtorch"},
                          std::chrono::seconds(60));
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ASSERT_EQ(pinned->exit_code, 0) << pinned->err;
  EXPECT_THAT(pinned->out, HasSubstr(CheckpointPath(dir.path(), 0) + " (libtorch kernels)"));

  // A checkpoint of another observation size cannot drive these envs: one sentence, exit 2.
  testing::TempDir other;
  auto wrong = SacTrainer::Create(options, kShape);
  ASSERT_TRUE((*wrong)->SaveCheckpoint(CheckpointPath(other.path(), 0)).ok());
  auto refused = testing::RunCommand({TARMAC_BINARY, "eval", "--policy", other.path(), "--suite",
                                      suite, "--out", other.path() + "/out"},
                                     std::chrono::seconds(60));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 2) << refused->err;
}

}  // namespace
}  // namespace tarmac::learner
