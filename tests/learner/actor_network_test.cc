// Actors other than the built-in MLP: the scene transformer (learner.arch: transformer) and a
// TorchScript module (learner.model). Each learns, its published weights and checkpoints act
// exactly like the trainer's network, and what does not fit is refused in one sentence.

#include <gtest/gtest.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "subprocess.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/sac_trainer.h"

namespace tarmac::learner {
namespace {

// An ego token of 3 floats and two "vehicle" tokens of 2.
BatchShape TokenShape() {
  return BatchShape{7, 2, {-4.0F, -0.5F}, {2.0F, 0.5F}, {{"ego", 1, 3}, {"vehicle", 2, 2}}};
}

SacOptions TransformerOptions() {
  SacOptions options;
  options.arch = ActorArch::kTransformer;
  options.transformer_dim = 16;
  options.transformer_layers = 2;
  options.transformer_heads = 4;
  options.hidden_sizes = {16};
  options.device = "cpu";
  options.threads = 1;
  options.seed = 11;
  options.bc_mse_weight = 0.0;
  options.precision = Precision::kFloat32;
  return options;
}

std::unique_ptr<SacTrainer> MakeTrainer(const SacOptions& options = TransformerOptions()) {
  auto trainer = SacTrainer::Create(options, TokenShape());
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  return std::move(*trainer);
}

// Demonstrations whose first action reads across tokens: the tanh of 1.5 x the sum of the first
// feature of every vehicle whose second feature is positive (a vehicle "present"), minus the
// ego's first feature. Which slot a vehicle is in does not matter, as in a scene.
TrainingBatch Demos(int n, std::uint64_t seed) {
  TrainingBatch batch;
  batch.Resize(n, TokenShape());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0F, 1.0F);
  for (auto& v : batch.obs) v = u(rng);
  for (auto& v : batch.next_obs) v = u(rng);
  for (int i = 0; i < n; ++i) {
    const float* o = batch.obs.data() + 7 * i;
    const float vehicles = (o[4] > 0.0F ? o[3] : 0.0F) + (o[6] > 0.0F ? o[5] : 0.0F);
    batch.action[2 * i] = std::tanh(1.5F * vehicles - o[0]);
    batch.action[2 * i + 1] = std::tanh(0.8F * o[1]);
    batch.reward[i] = u(rng);
    batch.discount[i] = 0.9F;
    batch.is_weight[i] = 1.0F;
  }
  return batch;
}

std::vector<float> MeanActions(const InferencePolicy& net, const std::vector<float>& obs) {
  const int rows = static_cast<int>(obs.size() / 7);
  std::vector<float> actions(static_cast<std::size_t>(rows) * 2);
  const std::vector<float> no_noise(static_cast<std::size_t>(rows), 0.0F);
  net.Act(obs, rows, no_noise, 1, absl::MakeSpan(actions));
  return actions;
}

TEST(TransformerActorTest, BehaviourCloningReadsAcrossTokens) {
  SacOptions options = TransformerOptions();
  options.algorithm = Algorithm::kBc;
  options.actor_lr = 1e-3;
  auto trainer = MakeTrainer(options);
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 400; ++i) {
    auto s = trainer->BcUpdate(Demos(256, 100 + i));  // fresh states: it must generalise
    ASSERT_TRUE(s.ok()) << s.status();
    if (i == 0) first = s->bc_loss;
    last = s->bc_loss;
  }
  EXPECT_LT(last, first - 2.0);
  // Held-out states: the cloned first action follows the tokens' features.
  const TrainingBatch held_out = Demos(200, 99);
  auto net = InferencePolicy::FromWeights(trainer->ExportPolicy(1));
  ASSERT_TRUE(net.ok()) << net.status();
  const std::vector<float> actions = MeanActions(**net, held_out.obs);
  double squared = 0.0, target_mean = 0.0, target_squared = 0.0;
  for (int i = 0; i < held_out.size; ++i) {
    const float normalised = 2.0F * (actions[2 * i] + 4.0F) / 6.0F - 1.0F;  // [-4, 2] -> [-1, 1]
    squared += std::pow(normalised - held_out.action[2 * i], 2);
    target_mean += held_out.action[2 * i] / held_out.size;
    target_squared += std::pow(held_out.action[2 * i], 2) / held_out.size;
  }
  const double rms = std::sqrt(squared / held_out.size);
  const double constant_rms = std::sqrt(target_squared - target_mean * target_mean);
  RecordProperty("rms", std::to_string(rms));
  RecordProperty("constant_rms", std::to_string(constant_rms));
  // Stated tolerance: after 400 updates the error is under 0.85 of the best constant's (0.75
  // measured: 0.487 against 0.650; an actor that has not learned is at 1 or above).
  EXPECT_LT(rms, 0.85 * constant_rms) << "constant " << constant_rms;
}

TEST(TransformerActorTest, PublishedWeightsAndCheckpointsActLikeTheTrainer) {
  testing::TempDir dir;
  auto trainer = MakeTrainer();
  const TrainingBatch demos = Demos(64, 3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(trainer->Update(Demos(64, 10 + i), &demos).ok());
  const schemas::PolicyWeights weights = trainer->ExportPolicy(4);
  EXPECT_EQ(weights.architecture.kind, "sac_transformer");
  auto published = InferencePolicy::FromWeights(weights);
  ASSERT_TRUE(published.ok()) << published.status();
  // The wire format carries it whole.
  auto bytes = schemas::EncodePolicyWeights(weights);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto decoded = schemas::DecodePolicyWeights(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  auto received = InferencePolicy::FromWeights(*decoded);
  ASSERT_TRUE(received.ok()) << received.status();

  const std::string path = CheckpointPath(dir.path(), trainer->step());
  ASSERT_TRUE(trainer->SaveCheckpoint(path).ok());
  auto from_checkpoint = InferencePolicy::FromCheckpoint(dir.path());
  ASSERT_TRUE(from_checkpoint.ok()) << from_checkpoint.status();
  auto expected_update = trainer->Update(Demos(64, 50), &demos);
  ASSERT_TRUE(expected_update.ok());
  auto resumed = MakeTrainer();
  ASSERT_TRUE(resumed->LoadCheckpoint(path).ok());
  auto resumed_update = resumed->Update(Demos(64, 50), &demos);
  ASSERT_TRUE(resumed_update.ok());
  EXPECT_EQ(resumed_update->actor_loss, expected_update->actor_loss);
  EXPECT_EQ(resumed->Parameters("actor"), trainer->Parameters("actor"));

  const TrainingBatch probe = Demos(32, 77);
  const std::vector<float> a = MeanActions(**published, probe.obs);
  EXPECT_EQ(MeanActions(**received, probe.obs), a);
  EXPECT_EQ(MeanActions(**from_checkpoint, probe.obs), a);
  for (float v : a) EXPECT_TRUE(std::isfinite(v));
}

TEST(TransformerActorTest, RefusesLayoutsAndWeightsThatDoNotFit) {
  // Tokens that do not cover the observation.
  BatchShape short_tokens = TokenShape();
  short_tokens.tokens = {{"ego", 1, 3}, {"vehicle", 1, 2}};
  auto uncovered = SacTrainer::Create(TransformerOptions(), short_tokens);
  ASSERT_FALSE(uncovered.ok());
  EXPECT_NE(uncovered.status().message().find("cover 5 of its 7"), std::string::npos)
      << uncovered.status();
  // A width the heads do not divide.
  SacOptions odd = TransformerOptions();
  odd.transformer_dim = 18;
  auto indivisible = SacTrainer::Create(odd, TokenShape());
  ASSERT_FALSE(indivisible.ok());
  EXPECT_NE(indivisible.status().message().find("transformer_heads"), std::string::npos);
  // An MLP learner's checkpoint does not load into a transformer learner (and nothing changes).
  testing::TempDir dir;
  SacOptions mlp = TransformerOptions();
  mlp.arch = ActorArch::kMlp;
  auto mlp_trainer = SacTrainer::Create(mlp, TokenShape());
  ASSERT_TRUE(mlp_trainer.ok());
  const std::string mlp_path = dir.path() + "/mlp.pt";
  ASSERT_TRUE((*mlp_trainer)->SaveCheckpoint(mlp_path).ok());
  auto trainer = MakeTrainer();
  const std::vector<float> before = trainer->Parameters("actor");
  const absl::Status refused = trainer->LoadCheckpoint(mlp_path);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("arch=transformer"), std::string::npos) << refused;
  EXPECT_EQ(trainer->Parameters("actor"), before);
  // Published weights without their token layout, or with a tensor of the wrong shape.
  schemas::PolicyWeights weights = trainer->ExportPolicy(1);
  schemas::PolicyWeights no_layout = weights;
  no_layout.tensors.erase(
      std::remove_if(no_layout.tensors.begin(), no_layout.tensors.end(),
                     [](const schemas::Tensor& t) { return t.name == "arch.tokens"; }),
      no_layout.tensors.end());
  auto missing = InferencePolicy::FromWeights(no_layout);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("arch.tokens"), std::string::npos);
  schemas::PolicyWeights reshaped = weights;
  for (auto& t : reshaped.tensors) {
    if (t.name == "actor.position") {
      t.shape = {t.shape[1], t.shape[0]};
    }
  }
  auto misshapen = InferencePolicy::FromWeights(reshaped);
  ASSERT_FALSE(misshapen.ok());
  EXPECT_NE(misshapen.status().message().find("actor.position"), std::string::npos)
      << misshapen.status();
}

// A module as torch.jit.script saves one: a linear mean of the (normalised) observation and a
// learned log_std, its parameters trainable; `forward` replaces its forward.
std::string SaveLinearModule(const std::string& dir, int obs, int actions,
                             const std::string& forward = {}) {
  torch::jit::Module m("LinearActor");
  m.register_parameter("w", torch::linspace(-0.1, 0.1, actions * obs).reshape({actions, obs}),
                       /*is_buffer=*/false);
  m.register_parameter("b", torch::zeros({actions}), false);
  m.register_parameter("log_std", torch::full({actions}, -0.5), false);
  m.define(!forward.empty() ? forward : R"(
def forward(self, obs):
    mean = torch.matmul(obs, self.w.t()) + self.b
    return mean, torch.zeros_like(mean) + self.log_std
)");
  const std::string path = dir + "/actor" + std::to_string(actions) + ".pt";
  m.save(path);
  return path;
}

SacOptions ScriptedOptions(const std::string& path) {
  SacOptions options = TransformerOptions();
  options.arch = ActorArch::kMlp;
  options.model = path;
  options.hidden_sizes = {16, 16};  // the critics
  return options;
}

TEST(ScriptedActorTest, TrainsTheModulesOwnParametersPublishesAndResumes) {
  testing::TempDir dir;
  const std::string path = SaveLinearModule(dir.path(), 7, 2);
  SacOptions bc = ScriptedOptions(path);
  bc.algorithm = Algorithm::kBc;
  bc.actor_lr = 1e-2;
  auto cloner = MakeTrainer(bc);
  const std::vector<float> initial = cloner->Parameters("actor");
  ASSERT_EQ(initial.size(), 7U * 2 + 2 + 2) << "w, b and log_std are the actor's parameters";
  const TrainingBatch demos = Demos(256, 5);
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 300; ++i) {
    auto s = cloner->BcUpdate(demos);
    ASSERT_TRUE(s.ok()) << s.status();
    if (i == 0) first = s->bc_loss;
    last = s->bc_loss;
  }
  EXPECT_LT(last, first - 1.0);

  // Published: the module itself, with the trained parameters.
  const schemas::PolicyWeights weights = cloner->ExportPolicy(2);
  EXPECT_EQ(weights.architecture.kind, "torchscript");
  auto published = InferencePolicy::FromWeights(weights);
  ASSERT_TRUE(published.ok()) << published.status();
  std::string module_bytes;
  for (const auto& t : weights.tensors) {
    if (t.name == "actor.module") module_bytes = t.data;
  }
  std::istringstream in(module_bytes);
  torch::jit::Module sent = torch::jit::load(in);
  std::vector<float> sent_parameters;
  for (const auto& p : sent.named_parameters()) {
    const torch::Tensor flat = p.value.contiguous().view(-1);
    sent_parameters.insert(sent_parameters.end(), flat.data_ptr<float>(),
                           flat.data_ptr<float>() + flat.numel());
  }
  EXPECT_EQ(sent_parameters, cloner->Parameters("actor"));
  EXPECT_NE(sent_parameters, initial);

  // SAC on it, a checkpoint, and a resume that gives the identical next update; tarmac eval's
  // loader runs the checkpoint's module like the published one.
  SacOptions sac = ScriptedOptions(path);
  sac.bc_weight = 0.5;
  auto trainer = MakeTrainer(sac);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(trainer->Update(Demos(64, 20 + i), &demos).ok());
  const std::string checkpoint = CheckpointPath(dir.path() + "/ckpt", trainer->step());
  std::filesystem::create_directories(dir.path() + "/ckpt");
  ASSERT_TRUE(trainer->SaveCheckpoint(checkpoint).ok());
  auto expected = trainer->Update(Demos(64, 40), &demos);
  ASSERT_TRUE(expected.ok());
  auto resumed = MakeTrainer(sac);
  ASSERT_TRUE(resumed->LoadCheckpoint(checkpoint).ok());
  auto actual = resumed->Update(Demos(64, 40), &demos);
  ASSERT_TRUE(actual.ok());
  EXPECT_EQ(actual->actor_loss, expected->actor_loss);
  EXPECT_EQ(actual->critic_loss, expected->critic_loss);
  EXPECT_EQ(resumed->Parameters("actor"), trainer->Parameters("actor"));
  std::filesystem::remove(path);  // the checkpoint alone is enough to run it
  auto from_checkpoint = InferencePolicy::FromCheckpoint(checkpoint);
  ASSERT_TRUE(from_checkpoint.ok()) << from_checkpoint.status();
  auto before_update = MakeTrainer(ScriptedOptions(SaveLinearModule(dir.path(), 7, 2)));
  ASSERT_TRUE(before_update->LoadCheckpoint(checkpoint).ok());
  auto exported = InferencePolicy::FromWeights(before_update->ExportPolicy(3));
  ASSERT_TRUE(exported.ok()) << exported.status();
  const TrainingBatch probe = Demos(16, 77);
  EXPECT_EQ(MeanActions(**from_checkpoint, probe.obs), MeanActions(**exported, probe.obs));
}

TEST(ScriptedActorTest, RefusesModulesThatDoNotFitInOneSentence) {
  testing::TempDir dir;
  const std::string text = dir.path() + "/text.pt";
  std::ofstream(text) << "not a module";
  const std::string wrong_size = SaveLinearModule(dir.path(), 7, 3);  // three actions, not two
  for (const std::string& path : {text, wrong_size, dir.path() + "/missing.pt"}) {
    auto refused = SacTrainer::Create(ScriptedOptions(path), TokenShape());
    ASSERT_FALSE(refused.ok()) << path;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find(path), std::string::npos) << refused.status();
    EXPECT_EQ(refused.status().message().find('\n'), std::string::npos) << refused.status();
  }
  auto shape_error = SacTrainer::Create(ScriptedOptions(wrong_size), TokenShape());
  EXPECT_NE(shape_error.status().message().find("shape (1, 2)"), std::string::npos)
      << shape_error.status();
  SacOptions both = ScriptedOptions(SaveLinearModule(dir.path(), 7, 2));
  both.arch = ActorArch::kTransformer;
  auto exclusive = SacTrainer::Create(both, TokenShape());
  ASSERT_FALSE(exclusive.ok());
  EXPECT_NE(exclusive.status().message().find("set one of them"), std::string::npos);
}

}  // namespace
}  // namespace tarmac::learner
