#include "tarmac/cli/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "subprocess.h"

namespace tarmac::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ConfigSchema TestSchema() {
  ConfigSchema schema;
  schema.Int("train.actors", 1, 256, "Rollout actors.")
      .Double("learner.lr", 0.0, 1.0, "Learning rate.")
      .Bool("learner.resume", "Resume from the newest checkpoint.")
      .String("replay.url", "Redis URL.")
      .Choice("learner.device", {"cpu", "cuda"}, "Device.")
      .StringList("eval.families", "Scenario families.");
  return schema;
}

constexpr char kDefaults[] = R"(
train:
  actors: 4
learner:
  lr: 0.0003
  resume: false
  device: cpu
replay:
  url: "unix:///tmp/redis.sock"
eval:
  families: [highway, cut_in]
)";

Config Defaults(const ConfigSchema& schema) {
  Config config(&schema);
  EXPECT_TRUE(config.MergeYaml(kDefaults, "default").ok());
  EXPECT_TRUE(config.CheckComplete().ok());
  return config;
}

TEST(ConfigTest, ReadsEveryType) {
  const ConfigSchema schema = TestSchema();
  const Config config = Defaults(schema);
  EXPECT_EQ(config.GetInt("train.actors"), 4);
  EXPECT_DOUBLE_EQ(config.GetDouble("learner.lr"), 0.0003);
  EXPECT_FALSE(config.GetBool("learner.resume"));
  EXPECT_EQ(config.GetString("replay.url"), "unix:///tmp/redis.sock");
  EXPECT_EQ(config.GetString("learner.device"), "cpu");
  EXPECT_THAT(config.GetStringList("eval.families"), ElementsAre("highway", "cut_in"));
  EXPECT_EQ(config.Origin("train.actors"), "default");
}

TEST(ConfigTest, FileOverridesDefaultsAndFlagsOverrideTheFile) {
  const ConfigSchema schema = TestSchema();
  Config config = Defaults(schema);
  ASSERT_TRUE(config.MergeYaml("train: {actors: 8}\nlearner: {device: cuda}\n", "mine.yaml").ok());
  EXPECT_EQ(config.GetInt("train.actors"), 8);
  EXPECT_EQ(config.Origin("train.actors"), "mine.yaml");
  EXPECT_DOUBLE_EQ(config.GetDouble("learner.lr"), 0.0003) << "untouched keys keep defaults";
  ASSERT_TRUE(config.Set("train.actors", "16", "--actors").ok());
  ASSERT_TRUE(config.SetAssignment("eval.families=merge, curve").ok());
  EXPECT_EQ(config.GetInt("train.actors"), 16);
  EXPECT_EQ(config.Origin("train.actors"), "--actors");
  EXPECT_THAT(config.GetStringList("eval.families"), ElementsAre("merge", "curve"));
  EXPECT_EQ(config.GetString("learner.device"), "cuda");
}

TEST(ConfigTest, OverlayTakesOnlyExplicitValues) {
  const ConfigSchema schema = TestSchema();
  // What a run started with: a file set the device, a flag the actors.
  Config run = Defaults(schema);
  ASSERT_TRUE(run.MergeYaml("learner: {device: cuda, lr: 0.01}\n", "run.yaml").ok());
  ASSERT_TRUE(run.Set("train.actors", "8", "--actors").ok());
  // A later invocation: defaults everywhere but one flag.
  Config later = Defaults(schema);
  ASSERT_TRUE(later.Set("learner.lr", "0.5", "--set").ok());
  run.OverlayExplicit(later);
  EXPECT_DOUBLE_EQ(run.GetDouble("learner.lr"), 0.5);
  EXPECT_EQ(run.Origin("learner.lr"), "--set");
  EXPECT_EQ(run.GetString("learner.device"), "cuda") << "a default does not undo the run's file";
  EXPECT_EQ(run.GetInt("train.actors"), 8) << "nor the run's flag";
}

TEST(ConfigTest, MergesAFileFromDisk) {
  const ConfigSchema schema = TestSchema();
  Config config = Defaults(schema);
  testing::TempDir dir;
  const std::string path = dir.path() + "/run.yaml";
  std::ofstream(path) << "learner:\n  resume: yes\n";
  ASSERT_TRUE(config.MergeYamlFile(path).ok());
  EXPECT_TRUE(config.GetBool("learner.resume"));
  EXPECT_EQ(config.Origin("learner.resume"), path);

  absl::Status missing = config.MergeYamlFile(dir.path() + "/nope.yaml");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("cannot read config file"));
}

struct Rejection {
  const char* yaml;
  const char* message;
};

// Keeps the generated test names stable (gtest would print the pointers otherwise).
void PrintTo(const Rejection& rejection, std::ostream* os) { *os << "a rejected YAML file"; }

class ConfigRejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(ConfigRejectionTest, OneSentenceAndNothingChanges) {
  const ConfigSchema schema = TestSchema();
  Config config = Defaults(schema);
  const std::string before = config.ToYaml();
  absl::Status status = config.MergeYaml(GetParam().yaml, "configs/bad.yaml");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), GetParam().message);
  EXPECT_EQ(config.ToYaml(), before) << "a rejected file must change nothing";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigRejectionTest,
    ::testing::Values(
        // The good key comes first: it must not be applied when a later one fails.
        Rejection{"train: {actors: 2}\nlearner: {batchsize: 3}\n",
                  "unknown key 'learner.batchsize' in configs/bad.yaml"},
        Rejection{"train: {actors: 2}\nlearner: {rl: 0.1}\n",
                  "unknown key 'learner.rl' in configs/bad.yaml (did you mean 'learner.lr'?)"},
        Rejection{"trian: {actors: 2}\n",
                  "unknown section 'trian' in configs/bad.yaml (did you mean 'train'?)"},
        Rejection{"replay: {shards: 2}\n", "unknown key 'replay.shards' in configs/bad.yaml"},
        Rejection{"train: {actors: many}\n",
                  "key 'train.actors' in configs/bad.yaml must be an integer, not 'many'"},
        Rejection{"train: {actors: 2.5}\n",
                  "key 'train.actors' in configs/bad.yaml must be an integer, not '2.5'"},
        Rejection{"train: {actors: 0}\n",
                  "key 'train.actors' in configs/bad.yaml is 0, below the minimum 1"},
        Rejection{"train: {actors: 1000}\n",
                  "key 'train.actors' in configs/bad.yaml is 1000, above the maximum 256"},
        Rejection{"learner: {lr: .nan}\n",
                  "key 'learner.lr' in configs/bad.yaml must be a finite number, not '.nan'"},
        Rejection{"learner: {lr: fast}\n",
                  "key 'learner.lr' in configs/bad.yaml must be a number, not 'fast'"},
        Rejection{"learner: {resume: maybe}\n",
                  "key 'learner.resume' in configs/bad.yaml must be true or false, not 'maybe'"},
        Rejection{"learner: {device: tpu}\n",
                  "key 'learner.device' in configs/bad.yaml must be one of cpu, cuda, not 'tpu'"},
        Rejection{"learner: {lr: [1, 2]}\n",
                  "key 'learner.lr' in configs/bad.yaml must be a number, not a list"},
        Rejection{"learner: {lr: {a: 1}}\n",
                  "key 'learner.lr' in configs/bad.yaml must be a number, not a mapping"},
        Rejection{"eval: {families: highway}\n",
                  "key 'eval.families' in configs/bad.yaml must be a list of strings, not a "
                  "single value"},
        Rejection{"learner: {lr: }\n", "key 'learner.lr' in configs/bad.yaml has no value"},
        Rejection{"learner: 3\n",
                  "'learner' in configs/bad.yaml is a section; give its keys as a mapping"},
        Rejection{"- a\n- b\n",
                  "configs/bad.yaml must be a mapping of sections such as 'log:' at its top "
                  "level"},
        Rejection{"train: {actors: 2\n",
                  "configs/bad.yaml is not valid YAML (line 2, column 1): end of map flow not "
                  "found"}),
    [](const ::testing::TestParamInfo<Rejection>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(ConfigTest, FlagErrorsNameTheFlag) {
  const ConfigSchema schema = TestSchema();
  Config config = Defaults(schema);
  EXPECT_EQ(config.Set("train.actors", "-3", "--actors").message(),
            "key 'train.actors' given by --actors is -3, below the minimum 1");
  EXPECT_EQ(config.SetAssignment("learner.lr").message(),
            "--set expects KEY=VALUE (e.g. --set log.level=debug), not 'learner.lr'");
  EXPECT_EQ(config.SetAssignment("learner.device=gpu").message(),
            "key 'learner.device' given by --set must be one of cpu, cuda, not 'gpu'");
  EXPECT_EQ(config.GetString("learner.device"), "cpu");
}

TEST(ConfigTest, EmptyFileChangesNothing) {
  const ConfigSchema schema = TestSchema();
  Config config = Defaults(schema);
  const std::string before = config.ToYaml();
  EXPECT_TRUE(config.MergeYaml("", "empty.yaml").ok());
  EXPECT_TRUE(config.MergeYaml("# only a comment\n", "comment.yaml").ok());
  EXPECT_EQ(config.ToYaml(), before);
}

TEST(ConfigTest, IncompleteConfigNamesTheMissingKey) {
  const ConfigSchema schema = TestSchema();
  Config config(&schema);
  ASSERT_TRUE(config.MergeYaml("train: {actors: 2}\n", "partial").ok());
  absl::Status status = config.CheckComplete();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("'eval.families' has no value"));
}

TEST(ConfigTest, ToYamlRoundTrips) {
  const ConfigSchema schema = TestSchema();
  Config config = Defaults(schema);
  ASSERT_TRUE(config.Set("learner.lr", "0.1", "--lr").ok());
  Config copy(&schema);
  ASSERT_TRUE(copy.MergeYaml(config.ToYaml(), "printed").ok());
  EXPECT_EQ(copy.GetInt("train.actors"), 4);
  EXPECT_DOUBLE_EQ(copy.GetDouble("learner.lr"), 0.1);
  EXPECT_THAT(copy.GetStringList("eval.families"), ElementsAre("highway", "cut_in"));
  EXPECT_EQ(copy.GetString("replay.url"), "unix:///tmp/redis.sock");
  EXPECT_THAT(config.ToYaml(), HasSubstr("lr: 0.1  # --lr"));
}

TEST(ConfigSchemaTest, SuggestsOnlyNearKeys) {
  const ConfigSchema schema = TestSchema();
  EXPECT_EQ(schema.Suggest("train.actor"), "train.actors");
  EXPECT_EQ(schema.Suggest("completely.different"), "");
  EXPECT_TRUE(schema.IsSection("learner"));
  EXPECT_FALSE(schema.IsSection("learner.lr"));
  EXPECT_FALSE(schema.IsSection("learn"));
}

}  // namespace
}  // namespace tarmac::cli
