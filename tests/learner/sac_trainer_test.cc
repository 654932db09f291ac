#include "tarmac/learner/sac_trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "subprocess.h"
#include "tarmac/learner/network_policy.h"

namespace tarmac::learner {
namespace {

BatchShape SmallShape() { return BatchShape{3, 2, {-4.0F, -0.5F}, {2.0F, 0.5F}, {}}; }

SacOptions SmallOptions() {
  SacOptions options;
  options.hidden_sizes = {8, 8};
  options.device = "cpu";
  options.threads = 1;
  options.seed = 7;
  options.tau = 0.1;
  options.bc_mse_weight = 0.0;              // the figures below are for the plain likelihood
  options.precision = Precision::kFloat32;  // exact figures; bf16 has a test of its own
  return options;
}

// A fixed batch; row 1 is terminal (discount 0), so its target is its reward alone.
TrainingBatch FixedBatch(int n = 4, std::uint64_t seed = 3) {
  const BatchShape shape = SmallShape();
  TrainingBatch batch;
  batch.Resize(n, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0F, 1.0F);
  for (auto& v : batch.obs) v = 2.0F * u(rng);
  for (auto& v : batch.next_obs) v = 2.0F * u(rng);
  for (auto& v : batch.action) v = 0.9F * u(rng);
  for (int i = 0; i < n; ++i) {
    batch.reward[i] = u(rng);
    batch.discount[i] = i == 1 ? 0.0F : 0.97F;
    batch.is_weight[i] = 1.0F;
  }
  return batch;
}

// Demonstrations of a deterministic expert: action = tanh of a linear map of the observation.
TrainingBatch ExpertDemos(int n, std::uint64_t seed) {
  TrainingBatch demos = FixedBatch(n, seed);
  for (int i = 0; i < demos.size; ++i) {
    demos.action[2 * i] = std::tanh(0.8F * demos.obs[3 * i] - 0.3F * demos.obs[3 * i + 2]);
    demos.action[2 * i + 1] = std::tanh(0.5F * demos.obs[3 * i + 1]);
  }
  return demos;
}

std::unique_ptr<SacTrainer> MakeTrainer(SacOptions options = SmallOptions()) {
  auto trainer = SacTrainer::Create(options, SmallShape());
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  return std::move(*trainer);
}

TEST(SacTrainerTest, CriticLossAndPrioritiesEqualTheHandComputedValues) {
  auto trainer = MakeTrainer();
  const TrainingBatch batch = FixedBatch();
  auto eval = trainer->EvaluateCritic(batch);
  ASSERT_TRUE(eval.ok()) << eval.status();
  // Terminal row: y = r exactly.
  EXPECT_NEAR(eval->target[1], batch.reward[1], 1e-6);
  double loss = 0.0;
  std::vector<double> expected_priorities;
  for (int i = 0; i < batch.size; ++i) {
    const double d1 = eval->q1[i] - eval->target[i];
    const double d2 = eval->q2[i] - eval->target[i];
    loss += 0.5 * batch.is_weight[i] * (d1 * d1 + d2 * d2) / batch.size;
    expected_priorities.push_back(0.5 * (std::abs(d1) + std::abs(d2)) +
                                  trainer->options().priority_epsilon);
  }
  auto stats = trainer->Update(batch, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_NEAR(stats->critic_loss, loss, 1e-5 * std::max(1.0, loss));
  ASSERT_EQ(stats->priorities.size(), expected_priorities.size());
  for (std::size_t i = 0; i < expected_priorities.size(); ++i) {
    EXPECT_NEAR(stats->priorities[i], expected_priorities[i], 1e-5) << "row " << i;
  }
  for (double v : {stats->critic_loss, stats->actor_loss, stats->alpha_loss, stats->q_mean,
                   stats->entropy, stats->alpha}) {
    EXPECT_TRUE(std::isfinite(v));
  }
  EXPECT_EQ(trainer->step(), 1U);
  // The gradient steps left every parameter finite.
  for (const char* network : {"actor", "critic", "critic_target"}) {
    for (float p : trainer->Parameters(network)) ASSERT_TRUE(std::isfinite(p)) << network;
  }
  // The critic moved: evaluating again gives other Q values.
  auto after = trainer->EvaluateCritic(batch);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->q1, eval->q1);
}

TEST(SacTrainerTest, TargetCriticsFollowByPolyakAveraging) {
  auto trainer = MakeTrainer();
  const auto target_before = trainer->Parameters("critic_target");
  EXPECT_EQ(target_before, trainer->Parameters("critic"));  // targets start as copies
  ASSERT_TRUE(trainer->Update(FixedBatch(), nullptr).ok());
  const auto critic = trainer->Parameters("critic");
  const auto target = trainer->Parameters("critic_target");
  ASSERT_EQ(critic.size(), target.size());
  const double tau = trainer->options().tau;
  double moved = 0.0;
  for (std::size_t i = 0; i < critic.size(); ++i) {
    EXPECT_NEAR(target[i], (1.0 - tau) * target_before[i] + tau * critic[i], 1e-6);
    moved += std::abs(target[i] - target_before[i]);
  }
  EXPECT_GT(moved, 0.0);
}

TEST(SacTrainerTest, TemperatureMovesTowardTheTargetEntropy) {
  SacOptions wants_more = SmallOptions();
  wants_more.target_entropy = 20.0;  // far above what a 2-D tanh-Gaussian can reach
  SacOptions wants_less = SmallOptions();
  wants_less.target_entropy = -50.0;
  auto up = MakeTrainer(wants_more);
  auto down = MakeTrainer(wants_less);
  const double initial = up->alpha();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(up->Update(FixedBatch(), nullptr).ok());
    ASSERT_TRUE(down->Update(FixedBatch(), nullptr).ok());
  }
  EXPECT_GT(up->alpha(), initial * 1.001);
  EXPECT_LT(down->alpha(), initial * 0.999);
}

TEST(SacTrainerTest, WithABcTermALearnedTemperatureClimbsWithoutBoundAndAutoKeepsItFixed) {
  // The BC likelihood narrows the policy to the demonstrations, below the target entropy, so a
  // learned alpha climbs by about alpha_lr in log space every update (Adam's step on a gradient
  // of constant sign) and never turns back; auto (the default) fixes alpha when BC is on.
  const TrainingBatch demos = ExpertDemos(64, 11);
  SacOptions learned = SmallOptions();
  learned.bc_weight = 2.0;
  learned.bc_mse_weight = 20.0;
  learned.actor_lr = 3e-3;  // the small actor narrows within the test's updates
  learned.temperature = Temperature::kLearned;
  SacOptions automatic = learned;
  automatic.temperature = Temperature::kAuto;
  auto climbing = MakeTrainer(learned);
  auto fixed = MakeTrainer(automatic);
  const double initial = fixed->alpha();
  constexpr int kNarrowing = 200;  // then the entropy is below the target for good
  constexpr int kUpdates = 400;
  double start = 0.0, previous = 0.0, highest_entropy = -1e9;
  int rises = 0;
  for (int i = 0; i < kNarrowing + kUpdates; ++i) {
    auto a = climbing->Update(FixedBatch(), &demos);
    auto b = fixed->Update(FixedBatch(), &demos);
    ASSERT_TRUE(a.ok() && b.ok());
    if (i == kNarrowing - 1) start = previous = climbing->alpha();
    if (i < kNarrowing) continue;
    rises += climbing->alpha() > previous ? 1 : 0;
    previous = climbing->alpha();
    highest_entropy = std::max(highest_entropy, a->entropy);
  }
  EXPECT_EQ(fixed->alpha(), initial);
  EXPECT_LT(highest_entropy, -2.0) << "the BC term should keep the entropy below the target";
  EXPECT_GE(rises, kUpdates * 9 / 10);
  // At least 80 % of alpha_lr per update in log space.
  EXPECT_GT(std::log(climbing->alpha() / start), 0.8 * kUpdates * learned.alpha_lr);
}

TEST(SacTrainerTest, AnchoringOnlyTheMeanLeavesTheSpreadToALearnedTemperature) {
  // With the likelihood part of the BC term off, auto learns alpha, which follows the entropy
  // toward the target (here from above: the untrained spread is wide), and the likelihood no
  // longer pins the spread far below it; the mean action still fits the demos.
  const TrainingBatch demos = ExpertDemos(64, 11);
  SacOptions pinned = SmallOptions();
  pinned.bc_weight = 2.0;
  pinned.bc_mse_weight = 20.0;
  pinned.actor_lr = 3e-3;
  pinned.target_entropy = -1.0;
  SacOptions mean_only = pinned;
  mean_only.bc_likelihood_weight = 0.0;
  auto a = MakeTrainer(pinned);
  auto b = MakeTrainer(mean_only);
  const double fixed_alpha = a->alpha();
  const double initial = b->alpha();
  double pinned_entropy = 0.0, free_entropy = 0.0, free_bc = 0.0;
  for (int i = 0; i < 600; ++i) {
    auto sa = a->Update(FixedBatch(), &demos);
    auto sb = b->Update(FixedBatch(), &demos);
    ASSERT_TRUE(sa.ok() && sb.ok());
    pinned_entropy = sa->entropy;
    free_entropy = sb->entropy;
    free_bc = sb->bc_loss;
  }
  EXPECT_EQ(a->alpha(), fixed_alpha);  // the likelihood is on: auto keeps alpha fixed
  EXPECT_LT(pinned_entropy, -2.0);
  EXPECT_GT(free_entropy, pinned_entropy + 2.0);
  EXPECT_GT(free_entropy, -1.0);
  EXPECT_LT(b->alpha(), initial * 0.9) << "above the target entropy, alpha falls";
  EXPECT_GE(free_bc, 0.0);  // the squared error alone
  EXPECT_LT(free_bc / mean_only.bc_mse_weight, 0.1) << "mean squared action error on the demos";
}

TEST(SacTrainerTest, WithoutEntropyBackupTheTargetIgnoresTheTemperature) {
  const TrainingBatch batch = FixedBatch();
  std::vector<double> targets[2][2];
  for (int backup = 0; backup < 2; ++backup) {
    for (int k = 0; k < 2; ++k) {
      SacOptions options = SmallOptions();
      options.entropy_backup = backup == 1;
      options.temperature = Temperature::kFixed;
      options.initial_alpha = k == 0 ? 0.01 : 10.0;
      auto trainer = MakeTrainer(options);
      auto eval = trainer->EvaluateCritic(batch);
      ASSERT_TRUE(eval.ok()) << eval.status();
      targets[backup][k] = eval->target;
    }
  }
  EXPECT_EQ(targets[0][0], targets[0][1]);
  EXPECT_NE(targets[1][0], targets[1][1]);
  EXPECT_DOUBLE_EQ(targets[0][0][1], targets[1][0][1]);  // terminal row: the reward either way
}

TEST(SacTrainerTest, AFixedTemperatureIsTheConfiguredOneWhateverTheCheckpointHeld) {
  SacOptions learned = SmallOptions();
  learned.target_entropy = 20.0;
  auto trainer = MakeTrainer(learned);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(trainer->Update(FixedBatch(), nullptr).ok());
  ASSERT_GT(trainer->alpha(), learned.initial_alpha * 1.001);
  testing::TempDir dir;
  const std::string path = dir.path() + "/ckpt.pt";
  ASSERT_TRUE(trainer->SaveCheckpoint(path).ok());
  SacOptions fixed = learned;
  fixed.temperature = Temperature::kFixed;
  fixed.initial_alpha = 0.001;
  auto resumed = MakeTrainer(fixed);
  ASSERT_TRUE(resumed->LoadCheckpoint(path).ok());
  EXPECT_DOUBLE_EQ(resumed->alpha(), static_cast<double>(0.001F));
  auto stats = resumed->Update(FixedBatch(), nullptr);
  ASSERT_TRUE(stats.ok());
  EXPECT_DOUBLE_EQ(stats->alpha, static_cast<double>(0.001F));
  EXPECT_DOUBLE_EQ(resumed->alpha(), static_cast<double>(0.001F));
}

TEST(SacTrainerTest, AFixedTemperatureStaysPutWithoutBc) {
  SacOptions options = SmallOptions();
  options.temperature = Temperature::kFixed;
  options.target_entropy = 20.0;  // a learned alpha would rise
  auto trainer = MakeTrainer(options);
  const double initial = trainer->alpha();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(trainer->Update(FixedBatch(), nullptr).ok());
  EXPECT_EQ(trainer->alpha(), initial);
}

TEST(SacTrainerTest, ImportanceWeightsScaleTheCriticLoss) {
  auto full = MakeTrainer();
  auto half = MakeTrainer();
  TrainingBatch batch = FixedBatch();
  auto a = full->Update(batch, nullptr);
  for (auto& w : batch.is_weight) w = 0.5F;
  auto b = half->Update(batch, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->critic_loss, 0.5 * a->critic_loss, 1e-6 * a->critic_loss);
  // Priorities are |TD| + epsilon, independent of the weights.
  for (std::size_t i = 0; i < a->priorities.size(); ++i) {
    EXPECT_NEAR(a->priorities[i], b->priorities[i], 1e-6);
  }
}

TEST(SacTrainerTest, BehaviourCloningTermKeepsTheActorCloseToTheDemonstrations) {
  // Same data, same seed; only lambda differs. The BC loss (reported for both) ends lower where
  // the term weighs more.
  const TrainingBatch demos = ExpertDemos(64, 11);
  const auto final_bc_loss = [&](double lambda) {
    SacOptions options = SmallOptions();
    options.bc_weight = lambda;
    auto trainer = MakeTrainer(options);
    UpdateStats last;
    for (int i = 0; i < 300; ++i) {
      auto s = trainer->Update(FixedBatch(), &demos);
      EXPECT_TRUE(s.ok());
      last = *s;
    }
    EXPECT_GT(last.bc_loss, -100.0);
    return last.bc_loss;
  };
  const double weak = final_bc_loss(1e-3);
  const double strong = final_bc_loss(5.0);
  EXPECT_LT(strong, weak - 0.5) << "weak " << weak << ", strong " << strong;
}

// Mean (deterministic) actions of the trainer's actor on `obs` (rows of 3 floats).
std::vector<float> MeanActions(const SacTrainer& trainer, const std::vector<float>& obs) {
  auto net = InferencePolicy::FromWeights(trainer.ExportPolicy(1));
  EXPECT_TRUE(net.ok()) << net.status();
  const int rows = static_cast<int>(obs.size() / 3);
  std::vector<float> actions(static_cast<std::size_t>(rows) * 2);
  const std::vector<float> no_noise(static_cast<std::size_t>(rows), 0.0F);
  (*net)->Act(obs, rows, no_noise, 1, absl::MakeSpan(actions));
  return actions;
}

TEST(SacTrainerTest, TheKlAnchorIsZeroAtTheReferenceAndGrowsAsThePolicyMoves) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tarmac_anchor_kl_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto trainer = MakeTrainer();
  const TrainingBatch demos = ExpertDemos(64, 11);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(trainer->Update(FixedBatch(), &demos).ok());
  const std::string reference = (dir / "ckpt-000000000050.pt").string();
  ASSERT_TRUE(trainer->SaveCheckpoint(reference).ok());
  EXPECT_FALSE(trainer->AnchorDivergence(demos.obs, demos.size).ok());  // no anchor yet
  ASSERT_TRUE(trainer->SetAnchor(reference).ok());
  auto at_reference = trainer->AnchorDivergence(demos.obs, demos.size);
  ASSERT_TRUE(at_reference.ok()) << at_reference.status();
  EXPECT_NEAR(*at_reference, 0.0, 1e-6);
  // The anchor survives loading a checkpoint (it is not part of one).
  ASSERT_TRUE(trainer->LoadCheckpoint(reference).ok());
  EXPECT_TRUE(trainer->has_anchor());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(trainer->Update(FixedBatch(), nullptr).ok());
  auto moved = trainer->AnchorDivergence(demos.obs, demos.size);
  ASSERT_TRUE(moved.ok());
  EXPECT_GT(*moved, 1e-4);
  // A foreign file is refused and the anchor stays.
  const std::string foreign = (dir / "foreign.pt").string();
  std::ofstream(foreign) << "not a checkpoint";
  EXPECT_EQ(trainer->SetAnchor(foreign).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(trainer->AnchorDivergence(demos.obs, demos.size).ok());
  std::filesystem::remove_all(dir);
}

TEST(SacTrainerTest, ALargeKlAnchorKeepsTheActionsNearTheReferenceWhereTheRewardPullsAway) {
  // The reference: an actor cloned from the expert. Then SAC on a reward that pays +1 per unit
  // of the first action (the critic learns to pull it to the top of its range). With the
  // anchor at weight 100 every mean action on held-out ("guard") observations stays within
  // 0.02 (of the [-1, 1] tanh range the physical range maps to) of the reference's (0.005 as
  // written); without it the same updates move one by more than 0.1 (0.16).
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tarmac_anchor_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const TrainingBatch demos = ExpertDemos(256, 11);
  SacOptions bc_options = SmallOptions();
  bc_options.algorithm = Algorithm::kBc;
  auto cloner = MakeTrainer(bc_options);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(cloner->BcUpdate(demos).ok());
  const std::string reference = (dir / "reference.pt").string();
  ASSERT_TRUE(cloner->SaveCheckpoint(reference).ok());
  const TrainingBatch guard = ExpertDemos(128, 99);
  const BatchShape shape = SmallShape();
  const auto physical_span = [&](int d) { return shape.action_high[d] - shape.action_low[d]; };
  const std::vector<float> before = MeanActions(*cloner, guard.obs);

  // `exempt_tags`: every RL row carries them, and the anchor exempts them.
  const auto largest_move = [&](double anchor_weight, std::uint64_t exempt_tags = 0) {
    SacOptions options = SmallOptions();
    options.anchor_weight = anchor_weight;
    options.anchor_exempt_tags = exempt_tags;
    auto trainer = MakeTrainer(options);
    EXPECT_TRUE(trainer->LoadCheckpoint(reference).ok());
    EXPECT_TRUE(trainer->SetAnchor(reference).ok());
    for (int i = 0; i < 400; ++i) {
      TrainingBatch rl = FixedBatch(64, 1000 + i);
      for (int r = 0; r < rl.size; ++r) rl.reward[r] = rl.action[2 * r];
      for (auto& tags : rl.tags) tags = exempt_tags;
      EXPECT_TRUE(trainer->Update(rl, nullptr).ok());
    }
    const std::vector<float> after = MeanActions(*trainer, guard.obs);
    double largest = 0.0;
    for (std::size_t k = 0; k < after.size(); ++k) {
      const int d = static_cast<int>(k % 2);
      largest = std::max<double>(largest, 2.0 * std::abs(after[k] - before[k]) / physical_span(d));
    }
    return largest;
  };
  const double anchored = largest_move(100.0);
  const double free = largest_move(0.0);
  EXPECT_LT(anchored, 0.02) << "free " << free;
  EXPECT_GT(free, 0.1) << "anchored " << anchored;
  // States tagged as exempt (a fine-tuning's focus cases) are free to move under the anchor.
  const double exempt = largest_move(100.0, std::uint64_t{1} << 30);
  EXPECT_GT(exempt, 0.1) << "anchored " << anchored;
  std::filesystem::remove_all(dir);
}

TEST(SacTrainerTest, PureBehaviourCloningFitsTheDemonstrations) {
  SacOptions options = SmallOptions();
  options.algorithm = Algorithm::kBc;
  auto trainer = MakeTrainer(options);
  EXPECT_EQ(trainer->Update(FixedBatch(), nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const TrainingBatch demos = ExpertDemos(64, 5);
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 600; ++i) {
    auto s = trainer->BcUpdate(demos);
    ASSERT_TRUE(s.ok()) << s.status();
    if (i == 0) first = s->bc_loss;
    last = s->bc_loss;
  }
  EXPECT_LT(last, first - 2.0);
}

// Demonstrations with a reward the critics can learn: r depends on the state, and the
// discount is short so the values settle within a few hundred updates.
TrainingBatch RewardedDemos(int n, std::uint64_t seed) {
  TrainingBatch demos = ExpertDemos(n, seed);
  for (int i = 0; i < demos.size; ++i) {
    demos.reward[i] = 0.5F * demos.obs[3 * i] - 0.25F * demos.obs[3 * i + 1];
    demos.discount[i] = 0.5F;
  }
  return demos;
}

// Mean over rows of the two heads' |TD error| on `batch`.
double MeanAbsTd(SacTrainer& trainer, const TrainingBatch& batch) {
  auto eval = trainer.EvaluateCritic(batch);
  EXPECT_TRUE(eval.ok()) << eval.status();
  double sum = 0.0;
  for (std::size_t i = 0; i < eval->target.size(); ++i) {
    sum +=
        0.5 * (std::abs(eval->q1[i] - eval->target[i]) + std::abs(eval->q2[i] - eval->target[i]));
  }
  return sum / static_cast<double>(eval->target.size());
}

TEST(SacTrainerTest, CriticPretrainingOnDemosLowersTheTdErrorOnHeldOutDemos) {
  // What the learner job's critic_pretrain_updates does: critic-only updates on demonstration
  // batches after cloning, so the first RL updates of the actor follow a fitted critic.
  SacOptions options = SmallOptions();
  options.hidden_sizes = {32, 32};
  auto trainer = MakeTrainer(options);
  const TrainingBatch train = RewardedDemos(256, 21);
  const TrainingBatch held_out = RewardedDemos(256, 22);  // other states, same task
  const auto actor = trainer->Parameters("actor");
  const double before = MeanAbsTd(*trainer, held_out);
  for (int i = 0; i < 400; ++i) {
    auto s = trainer->Update(train, nullptr, /*train_actor=*/false);
    ASSERT_TRUE(s.ok()) << s.status();
  }
  const double after = MeanAbsTd(*trainer, held_out);
  // Tolerance: the fitted critic halves the held-out error at least (seeded; it is ~5x here).
  EXPECT_LT(after, 0.5 * before) << "before " << before << ", after " << after;
  EXPECT_EQ(trainer->Parameters("actor"), actor);  // the cloned actor is left alone
}

// The largest |a - b| over two equally long parameter vectors.
double MaxAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return worst;
}

TEST(SacTrainerTest, FusedCriticsMatchTheSeparateHeads) {
  SacOptions separate_options = SmallOptions();
  separate_options.hidden_sizes = {32, 32};
  separate_options.fused_critic = false;
  SacOptions fused_options = separate_options;
  fused_options.fused_critic = true;
  auto separate = MakeTrainer(separate_options);
  auto fused = MakeTrainer(fused_options);
  ASSERT_EQ(separate->Parameters("critic"), fused->Parameters("critic"));  // same parameters
  const TrainingBatch batch = RewardedDemos(64, 4);
  const TrainingBatch demos = ExpertDemos(64, 5);
  auto a = separate->EvaluateCritic(batch);
  auto b = fused->EvaluateCritic(batch);
  ASSERT_TRUE(a.ok() && b.ok());
  for (std::size_t i = 0; i < a->q1.size(); ++i) {
    // Tolerance: float32 rounding of sums taken in another order.
    EXPECT_NEAR(a->q1[i], b->q1[i], 1e-5) << "row " << i;
    EXPECT_NEAR(a->q2[i], b->q2[i], 1e-5) << "row " << i;
  }
  for (int i = 0; i < 20; ++i) {
    auto sa = separate->Update(batch, &demos);
    auto sb = fused->Update(batch, &demos);
    ASSERT_TRUE(sa.ok() && sb.ok());
    EXPECT_NEAR(sa->critic_loss, sb->critic_loss, 1e-4 * std::max(1.0, sa->critic_loss));
  }
  // After 20 updates of Adam at lr 3e-4 the parameters agree to well under one step's size.
  for (const char* network : {"actor", "critic", "critic_target"}) {
    EXPECT_LT(MaxAbsDifference(separate->Parameters(network), fused->Parameters(network)), 1e-5)
        << network;
  }
}

TEST(SacTrainerTest, Bfloat16UpdatesMatchFloat32WithinTheirPrecision) {
  SacOptions float32_options = SmallOptions();
  float32_options.hidden_sizes = {64, 64};
  float32_options.bc_weight = 1.0;
  SacOptions bf16_options = float32_options;
  bf16_options.precision = Precision::kBfloat16;
  auto exact = MakeTrainer(float32_options);
  auto bf16 = MakeTrainer(bf16_options);
  const TrainingBatch batch = RewardedDemos(256, 8);
  const TrainingBatch demos = ExpertDemos(256, 9);
  auto a = exact->Update(batch, &demos);
  auto b = bf16->Update(batch, &demos);
  ASSERT_TRUE(a.ok() && b.ok());
  // Tolerance: bfloat16 keeps 8 significant bits (relative rounding 2^-9 ~ 0.2 %) per product
  // input, with float32 accumulation; through three layers the losses stay within 3 %.
  const auto near = [](double x, double y) { return std::abs(x - y) <= 0.03 * std::abs(x) + 1e-3; };
  EXPECT_PRED2(near, a->critic_loss, b->critic_loss);
  EXPECT_PRED2(near, a->actor_loss, b->actor_loss);
  EXPECT_PRED2(near, a->bc_loss, b->bc_loss);
  ASSERT_EQ(a->priorities.size(), b->priorities.size());
  double td_error = 0.0;
  for (std::size_t i = 0; i < a->priorities.size(); ++i) {
    td_error = std::max(td_error, std::abs(a->priorities[i] - b->priorities[i]));
  }
  EXPECT_LT(td_error, 0.05);
  // The products did run in bfloat16: the results are close, not identical.
  EXPECT_NE(a->critic_loss, b->critic_loss);
  // Parameters, gradients' signs and Adam state stay float32: after one step each parameter is
  // within one Adam step (the learning rate) of the float32 run's.
  for (const char* network : {"actor", "critic"}) {
    EXPECT_LE(MaxAbsDifference(exact->Parameters(network), bf16->Parameters(network)),
              2.0 * std::max(float32_options.actor_lr, float32_options.critic_lr) + 1e-7)
        << network;
  }
}

TEST(SacTrainerTest, RefusesBatchesOfAnotherShape) {
  auto trainer = MakeTrainer();
  TrainingBatch batch = FixedBatch();
  batch.obs.pop_back();
  const auto params = trainer->Parameters("critic");
  auto status = trainer->Update(batch, nullptr).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(trainer->Parameters("critic"), params);
  EXPECT_EQ(trainer->step(), 0U);
}

TEST(SacTrainerTest, RefusesBadOptions) {
  SacOptions options = SmallOptions();
  options.tau = 0.0;
  EXPECT_EQ(SacTrainer::Create(options, SmallShape()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = SmallOptions();
  options.device = "tpu";
  EXPECT_EQ(SacTrainer::Create(options, SmallShape()).status().code(),
            absl::StatusCode::kInvalidArgument);
  BatchShape empty_range = SmallShape();
  empty_range.action_high[0] = empty_range.action_low[0];
  EXPECT_EQ(SacTrainer::Create(SmallOptions(), empty_range).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SacTrainerTest, CheckpointThenResumeGivesTheIdenticalNextUpdate) {
  testing::TempDir dir;
  auto trainer = MakeTrainer();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(trainer->Update(FixedBatch(4, i), nullptr).ok());
  const std::string path = CheckpointPath(dir.path(), trainer->step());
  ASSERT_TRUE(trainer->SaveCheckpoint(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto expected = trainer->Update(FixedBatch(4, 9), nullptr);
  ASSERT_TRUE(expected.ok());

  SacOptions other_seed_at_build = SmallOptions();
  auto resumed = MakeTrainer(other_seed_at_build);
  auto newest = NewestCheckpoint(dir.path());
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(*newest, path);
  ASSERT_TRUE(resumed->LoadCheckpoint(*newest).ok());
  EXPECT_EQ(resumed->step(), 3U);
  auto actual = resumed->Update(FixedBatch(4, 9), nullptr);
  ASSERT_TRUE(actual.ok());
  EXPECT_EQ(actual->critic_loss, expected->critic_loss);
  EXPECT_EQ(actual->actor_loss, expected->actor_loss);
  EXPECT_EQ(actual->alpha, expected->alpha);
  EXPECT_EQ(actual->priorities, expected->priorities);
  EXPECT_EQ(resumed->Parameters("actor"), trainer->Parameters("actor"));
  EXPECT_EQ(resumed->Parameters("critic"), trainer->Parameters("critic"));
  EXPECT_EQ(resumed->Parameters("critic_target"), trainer->Parameters("critic_target"));
}

// A checkpoint of a small trainer after one update, at `path`.
bool SaveUpdatedCheckpoint(const std::string& path) {
  auto source = MakeTrainer();
  return source->Update(FixedBatch(), nullptr).ok() && source->SaveCheckpoint(path).ok();
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(SacTrainerTest, RefusesTruncatedForeignAndMismatchedCheckpointsAndChangesNothing) {
  testing::TempDir dir;
  const std::string good = CheckpointPath(dir.path(), 1);
  ASSERT_TRUE(SaveUpdatedCheckpoint(good));

  const std::string truncated = dir.path() + "/truncated.pt";
  const std::string bytes = ReadBytes(good);
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string foreign = dir.path() + "/foreign.pt";
  std::ofstream(foreign, std::ios::binary) << "not a checkpoint at all";

  auto target = MakeTrainer();
  const auto before = target->Parameters("actor");
  for (const std::string& path : {truncated, foreign, dir.path() + "/missing.pt"}) {
    auto status = target->LoadCheckpoint(path);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_NE(status.message().find(path), std::string::npos) << status;
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << "one line: " << status;
  }
  SacOptions wider = SmallOptions();
  wider.hidden_sizes = {16, 16};
  auto other = MakeTrainer(wider);
  auto status = other->LoadCheckpoint(good);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("hidden=8x8"), std::string::npos) << status;
  EXPECT_EQ(target->Parameters("actor"), before);
  EXPECT_EQ(target->step(), 0U);
}

// A checkpoint cut off anywhere (a full disk, a copy interrupted) is one sentence naming the
// file, never a crash, and the trainer is left as it was.
TEST(SacTrainerTest, ACheckpointTruncatedAtEveryTenthIsRefusedAndChangesNothing) {
  testing::TempDir dir;
  const std::string good = CheckpointPath(dir.path(), 1);
  ASSERT_TRUE(SaveUpdatedCheckpoint(good));
  const std::string bytes = ReadBytes(good);
  auto target = MakeTrainer();
  const auto before = target->Parameters("actor");
  for (int tenth = 0; tenth < 10; ++tenth) {
    const std::string cut = absl::StrCat(dir.path(), "/cut-", tenth, "0.pt");
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() * tenth / 10);
    const absl::Status status = target->LoadCheckpoint(cut);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << tenth << "0 %: " << status;
    EXPECT_NE(status.message().find(cut), std::string::npos) << status;
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << "one line: " << status;
  }
  EXPECT_EQ(target->Parameters("actor"), before);
  EXPECT_EQ(target->step(), 0U);
  EXPECT_TRUE(target->LoadCheckpoint(good).ok());  // the whole file still loads
}

TEST(SacTrainerTest, AnAverageOfCheckpointsIsTheElementwiseMeanOfTheirNetworks) {
  testing::TempDir dir;
  auto trainer = MakeTrainer();
  std::vector<std::string> paths;
  std::vector<std::vector<float>> actors, critics;
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < 4; ++i)
      ASSERT_TRUE(trainer->Update(FixedBatch(4, 10 * k + i), nullptr).ok());
    paths.push_back(CheckpointPath(dir.path(), trainer->step()));
    ASSERT_TRUE(trainer->SaveCheckpoint(paths.back()).ok());
    actors.push_back(trainer->Parameters("actor"));
    critics.push_back(trainer->Parameters("critic"));
  }
  auto average = MakeTrainer();
  ASSERT_TRUE(average->LoadAverage({paths[2], paths[0], paths[1]}).ok());
  EXPECT_EQ(average->step(), 12U);  // the first's
  const std::vector<float> actor = average->Parameters("actor");
  const std::vector<float> critic = average->Parameters("critic");
  ASSERT_EQ(actor.size(), actors[0].size());
  ASSERT_EQ(critic.size(), critics[0].size());
  double moved = 0.0;
  for (std::size_t i = 0; i < actor.size(); ++i) {
    const double mean = (static_cast<double>(actors[0][i]) + actors[1][i] + actors[2][i]) / 3.0;
    EXPECT_NEAR(actor[i], mean, 1e-6) << i;
    moved += std::abs(actors[2][i] - actors[0][i]);
  }
  EXPECT_GT(moved, 1e-3) << "the checkpoints must differ for the mean to be tested";
  for (std::size_t i = 0; i < critic.size(); ++i) {
    const double mean = (static_cast<double>(critics[0][i]) + critics[1][i] + critics[2][i]) / 3.0;
    EXPECT_NEAR(critic[i], mean, 1e-6) << i;
  }
  // One checkpoint: itself.
  auto single = MakeTrainer();
  ASSERT_TRUE(single->LoadAverage({paths[1]}).ok());
  EXPECT_EQ(single->Parameters("actor"), actors[1]);
  // A bad file among them: refused, nothing changed.
  const std::string foreign = dir.path() + "/foreign.pt";
  std::ofstream(foreign, std::ios::binary) << "not a checkpoint";
  auto target = MakeTrainer();
  const auto before = target->Parameters("actor");
  auto status = target->LoadAverage({paths[0], foreign});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(foreign), std::string::npos) << status;
  EXPECT_EQ(target->Parameters("actor"), before);
  EXPECT_EQ(target->LoadAverage({}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tarmac::learner
