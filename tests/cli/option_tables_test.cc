// The config's keys are declared once, in the subsystems' option tables: the defaults file
// must agree with them, every key is bound, and the structs check their fields through them.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_replace.h"
#include "tarmac/actors/learner_job.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/cli/config_schema.h"

namespace tarmac::cli {
namespace {

TEST(OptionTablesTest, EveryKeyHasADeclaredDefaultThatTheDefaultsFileHolds) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_GT(TarmacConfigSchema().keys().size(), 100U);
  for (const auto& [name, key] : TarmacConfigSchema().keys()) {
    EXPECT_TRUE(key.default_value.has_value()) << name;
    EXPECT_FALSE(key.help.empty()) << name;
  }
  EXPECT_TRUE(config->CheckDeclaredDefaults("configs/default.yaml").ok());
}

TEST(OptionTablesTest, ADefaultsFileThatDriftsFromTheDeclarationIsRefused) {
  const std::string yaml(DefaultConfigYaml());
  ASSERT_NE(yaml.find("  batch_size: 256\n"), std::string::npos);
  Config drifted(&TarmacConfigSchema());
  ASSERT_TRUE(
      drifted
          .MergeYaml(absl::StrReplaceAll(yaml, {{"  batch_size: 256\n", "  batch_size: 128\n"}}),
                     "default")
          .ok());
  EXPECT_EQ(drifted.CheckDeclaredDefaults("configs/default.yaml").message(),
            "configs/default.yaml sets learner.batch_size to 128 but its declaration's default "
            "is 256; make them agree");
  Config lists(&TarmacConfigSchema());
  ASSERT_TRUE(lists
                  .MergeYaml(absl::StrReplaceAll(yaml, {{"demo_noise_std: [1, 0.03]",
                                                         "demo_noise_std: [1, 0.05]"}}),
                             "default")
                  .ok());
  EXPECT_FALSE(lists.CheckDeclaredDefaults("configs/default.yaml").ok());
}

TEST(OptionTablesTest, TheDefaultConfigBuildsTheStructsDefaults) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok());
  actors::RolloutJobOptions rollout;
  rollout.n_step = 7;
  rollout.demo_noise_std = {9.0F};
  ASSERT_TRUE(config->Apply(actors::RolloutJobOptionTable(), rollout).ok());
  const actors::RolloutJobOptions rollout_defaults;
  EXPECT_EQ(rollout.n_step, rollout_defaults.n_step);
  EXPECT_EQ(rollout.demo_noise, rollout_defaults.demo_noise);
  EXPECT_EQ(rollout.demo_noise_std, rollout_defaults.demo_noise_std);
  EXPECT_EQ(rollout.hidden_sizes, rollout_defaults.hidden_sizes);
  EXPECT_EQ(rollout.table.name, "rl");
  actors::LearnerJobOptions learner;
  learner.sac.bc_mse_weight = 0.0;
  learner.demo_event_mask = 0;
  ASSERT_TRUE(config->Apply(actors::LearnerJobOptionTable(), learner).ok());
  const actors::LearnerJobOptions learner_defaults;
  EXPECT_EQ(learner.sac.bc_mse_weight, learner_defaults.sac.bc_mse_weight);
  EXPECT_EQ(learner.sac.hidden_sizes, learner_defaults.sac.hidden_sizes);
  EXPECT_EQ(learner.demo_event_mask, learner_defaults.demo_event_mask);
  EXPECT_EQ(learner.batch_size, learner_defaults.batch_size);
  EXPECT_EQ(learner.checkpoint_dir, "checkpoints");
}

TEST(OptionTablesTest, ValidateNamesTheKeyOfAFieldOutOfBounds) {
  actors::RolloutJobOptions rollout;
  rollout.shards.resize(1);
  rollout.table.name = "rl";
  ASSERT_TRUE(rollout.Validate().ok()) << rollout.Validate();
  rollout.n_step = 0;
  EXPECT_EQ(rollout.Validate().message(), "actor.n_step is 0; use an integer in [1, 255]");
  rollout.n_step = 3;
  rollout.gamma = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(rollout.Validate().message(), "actor.gamma is nan; use a number in [1e-06, 1]");
  rollout.gamma = 0.99F;
  rollout.queue_limit = 8;  // below one insert batch: a cross-field rule
  EXPECT_EQ(rollout.Validate().message(),
            "actor.queue_limit (8) must hold at least one batch (actor.insert_batch 64)");

  actors::LearnerJobOptions learner;
  learner.shards.resize(1);
  ASSERT_TRUE(learner.Validate().ok()) << learner.Validate();
  learner.sac.tau = 2.0;
  EXPECT_EQ(learner.Validate().message(), "learner.tau is 2; use a number in [1e-06, 1]");
  learner.sac.tau = 0.005;
  learner.sac.device = "tpu";
  EXPECT_EQ(learner.Validate().message(), "learner.device is 'tpu'; use one of auto, cuda, cpu");
}

TEST(OptionTablesTest, UnknownDemoEventsAreRefusedByName) {
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(config->SetAssignment("learner.demo_events=[hard_brake, cutin]").ok());
  const absl::Status status = CheckConversions(*config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().substr(0, 21), "learner.demo_events: ");
}

}  // namespace
}  // namespace tarmac::cli
