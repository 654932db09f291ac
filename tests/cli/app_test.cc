#include "app.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_tarmac.h"
#include "subprocess.h"
#include "tarmac/cli/config_schema.h"

namespace tarmac::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// One line, one sentence, ending in a full stop.
void ExpectOneSentence(const std::string& err) {
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
  EXPECT_THAT(err, MatchesRegex("tarmac: .*\\.\n")) << err;
}

TEST(AppTest, HelpListsSubcommandsAndExitsZero) {
  Result r = RunTarmac({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("version"));
  EXPECT_THAT(r.out, HasSubstr("config"));
  EXPECT_THAT(r.out, HasSubstr("Exit codes"));
  EXPECT_TRUE(r.err.empty());
}

TEST(AppTest, SubcommandHelpExitsZero) {
  Result r = RunTarmac({"version", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("--json"));
}

TEST(AppTest, VersionNamesBackends) {
  Result r = RunTarmac({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, MatchesRegex("tarmac [0-9]+\\.[0-9]+\\.[0-9]+ \\(git [0-9a-z-]+, .*\\)\n"
                                  "backends: LibTorch .* \\(CUDA: (yes|no)\\), CAF 0\\.17\\..*\n"));
}

TEST(AppTest, VersionJsonIsParseable) {
  Result r = RunTarmac({"version", "--json"});
  ASSERT_EQ(r.code, 0);
  const nlohmann::json info = nlohmann::json::parse(r.out);
  EXPECT_TRUE(info["backends"]["cuda"].is_boolean());
  EXPECT_FALSE(info["git"].get<std::string>().empty());
}

TEST(AppTest, MissingSubcommandIsUsageError) {
  Result r = RunTarmac({});
  EXPECT_EQ(r.code, 2);
  ExpectOneSentence(r.err);
  EXPECT_TRUE(r.out.empty());
}

TEST(AppTest, UnknownSubcommandIsNamed) {
  Result r = RunTarmac({"trian"});
  EXPECT_EQ(r.code, 2);
  ExpectOneSentence(r.err);
  EXPECT_THAT(r.err, HasSubstr("'trian' is not a subcommand"));
  EXPECT_THAT(r.err, HasSubstr("(did you mean 'train'?)"));
  // Nothing near: no guess.
  Result far = RunTarmac({"zzzzzz"});
  EXPECT_EQ(far.code, 2);
  EXPECT_THAT(far.err, ::testing::Not(HasSubstr("did you mean")));
}

TEST(AppTest, UnknownFlagIsNamed) {
  Result r = RunTarmac({"version", "--jsn"});
  EXPECT_EQ(r.code, 2);
  ExpectOneSentence(r.err);
  EXPECT_THAT(r.err, HasSubstr("--jsn"));
}

TEST(AppTest, ConfigPrintsMergedValuesWithOrigins) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/mine.yaml";
  std::ofstream(path) << "metrics:\n  port: 9999\n";
  Result r = RunTarmac({"config", "--config", path, "--log-level", "debug"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("port: 9999  # " + path));
  EXPECT_THAT(r.out, HasSubstr("level: debug  # --log-level"));
  EXPECT_THAT(r.out, HasSubstr("bind: 127.0.0.1  # default"));
}

TEST(AppTest, GlobalFlagsWorkBeforeTheSubcommandToo) {
  Result r = RunTarmac({"--set", "metrics.port=1234", "config"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("port: 1234  # --set"));
}

TEST(AppTest, FlagsWinOverTheConfigFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/mine.yaml";
  std::ofstream(path) << "log:\n  level: error\n";
  Result r = RunTarmac({"config", "--config", path, "--log-level", "warn"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("level: warn  # --log-level"));
}

TEST(AppTest, BadConfigFileNamesKeyAndFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/bad.yaml";
  std::ofstream(path) << "metrics:\n  prot: 9999\n";
  Result r = RunTarmac({"config", "--config", path});
  EXPECT_EQ(r.code, 2);
  ExpectOneSentence(r.err);
  EXPECT_EQ(r.err,
            "tarmac: unknown key 'metrics.prot' in " + path + " (did you mean 'metrics.port'?).\n");
  EXPECT_TRUE(r.out.empty()) << "nothing runs after a config error";
}

TEST(AppTest, MissingConfigFileIsUsageError) {
  Result r = RunTarmac({"config", "--config", "/nonexistent/tarmac.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "tarmac: cannot read config file '/nonexistent/tarmac.yaml'.\n");
}

TEST(AppTest, OutOfRangeFlagIsUsageError) {
  Result r = RunTarmac({"config", "--set", "metrics.port=70000"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "tarmac: key 'metrics.port' given by --set is 70000, above the maximum 65535.\n");
}

TEST(AppTest, EveryRolloutOptionIsSettableAndChecked) {
  // Options that had no key before: the DART noise per action dimension and the weights poll.
  Result shown = RunTarmac({"config", "--set", "actor.demo_noise_std=2, 0.05", "--set",
                            "actor.weights_poll_seconds=1.5"});
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("weights_poll_seconds: 1.5"));
  Result bad =
      RunTarmac({"actor", "--redis", "redis://127.0.0.1:1", "--set", "actor.demo_noise_std=1, x"});
  EXPECT_EQ(bad.code, 2);
  ExpectOneSentence(bad.err);
  EXPECT_THAT(bad.err, HasSubstr("actor.demo_noise_std: 'x' is not a standard deviation"));
}

TEST(AppTest, BadLogLevelIsUsageError) {
  Result r = RunTarmac({"config", "--log-level", "verbose"});
  EXPECT_EQ(r.code, 2);
  ExpectOneSentence(r.err);
  EXPECT_THAT(r.err, HasSubstr("'verbose'"));
}

TEST(AppTest, KeysListsEveryKey) {
  Result r = RunTarmac({"config", "--keys"});
  ASSERT_EQ(r.code, 0);
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*metrics.port +int in \\[0, 65535\\] +9464 .*(.|\n)*"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*learner.demo_events +list of strings +"
                                  "\\[hard_brake, near_miss, cut_in\\] .*(.|\n)*"));
  EXPECT_THAT(r.out, HasSubstr("env.scenario.cut_in_gap"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'),
            static_cast<long>(TarmacConfigSchema().keys().size()));
}

TEST(AppTest, EnvsListsTheDrivingEnvsWithTheirSizes) {
  Result r = RunTarmac({"envs"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cut_in-v0"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*highway-v0 +86 +2 .*(.|\n)*"));
}

// The installed binary behaves as RunApp does: exit codes reach the shell.
TEST(TarmacBinaryTest, ExitCodesReachTheShell) {
  auto ok = testing::RunCommand({TARMAC_BINARY, "version"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_THAT(ok->out, HasSubstr("tarmac "));

  auto bad = testing::RunCommand({TARMAC_BINARY, "config", "--set", "log.level=loud"});
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->exit_code, 2);
  EXPECT_THAT(bad->err, HasSubstr("log.level"));

  // A learner refuses an --init that names no checkpoint before it connects to anything.
  auto init =
      testing::RunCommand({TARMAC_BINARY, "learner", "--init", "/nonexistent/ckpt-000000000001.pt",
                           "--redis", "redis://127.0.0.1:1"});
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->exit_code, 2);
  EXPECT_EQ(init->err,
            "tarmac: --init: there is no checkpoint at /nonexistent/ckpt-000000000001.pt; give a "
            "checkpoint file (ckpt-<step>.pt) or a directory holding one.\n");
}

TEST(TarmacBinaryTest, JsonLogFormatIsAccepted) {
  auto r = testing::RunCommand({TARMAC_BINARY, "--log-format", "json", "config"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_THAT(r->out, HasSubstr("format: json  # --log-format"));
}

}  // namespace
}  // namespace tarmac::cli
