#include "tarmac/cli/suite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "app.h"
#include "subprocess.h"

namespace tarmac::cli {
namespace {

using ::testing::HasSubstr;

TEST(SuiteTest, TheShippedSuitesParse) {
  for (const char* file : {"default.yaml", "hard_cut_ins.yaml"}) {
    absl::StatusOr<envs::Suite> suite =
        LoadSuite(std::string(TARMAC_SOURCE_DIR) + "/configs/suites/" + file);
    ASSERT_TRUE(suite.ok()) << suite.status();
    EXPECT_FALSE(suite->entries.empty());
  }
  absl::StatusOr<envs::Suite> suite =
      LoadSuite(std::string(TARMAC_SOURCE_DIR) + "/configs/suites/default.yaml");
  EXPECT_EQ(suite->name, "default");
  EXPECT_EQ(suite->entries.size(), 7U);
  for (const auto& e : suite->entries) EXPECT_GE(e.count, 20);
}

TEST(SuiteTest, OverridesApplyToTheirEntryOnTopOfTheSuiteScenario) {
  absl::StatusOr<envs::Suite> suite = ParseSuite(R"(
name: mine
scenario: {episode_seconds: 12}
families:
  - {family: cut_in, count: 3, seed: 7, overrides: {cut_in_ttc: [1.0, 1.5], speed_limit: 25}}
  - {family: curve, count: 2, seed: 9, overrides: {curve_radius: 200}}
)",
                                                 "mine.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status();
  ASSERT_EQ(suite->entries.size(), 2U);
  const envs::SuiteEntry& cut_in = suite->entries[0];
  EXPECT_EQ(cut_in.family, envs::ScenarioFamily::kCutIn);
  EXPECT_EQ(cut_in.count, 3);
  EXPECT_EQ(cut_in.first_seed, 7U);
  EXPECT_EQ(cut_in.config.cut_in_ttc.min, 1.0);
  EXPECT_EQ(cut_in.config.cut_in_ttc.max, 1.5);
  EXPECT_EQ(cut_in.config.speed_limit, 25.0);
  EXPECT_EQ(cut_in.config.episode_seconds, 12.0);
  EXPECT_EQ(suite->entries[1].config.curve_radius.min, 200.0);
  EXPECT_EQ(suite->entries[1].config.curve_radius.max, 200.0);
  EXPECT_EQ(suite->entries[1].config.cut_in_ttc.min, envs::ScenarioConfig{}.cut_in_ttc.min);
}

struct BadSuite {
  const char* yaml;
  const char* message;
};

class SuiteRejectionTest : public ::testing::TestWithParam<BadSuite> {};

void PrintTo(const BadSuite& /*suite*/, std::ostream* os) { *os << "a bad suite"; }

TEST_P(SuiteRejectionTest, OneSentenceNamingFileEntryAndKey) {
  absl::StatusOr<envs::Suite> suite = ParseSuite(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(suite.status().message()), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SuiteRejectionTest,
    ::testing::Values(
        BadSuite{"families:\n  - {family: cutin, count: 1}\n",
                 "bad.yaml: entry 1: unknown scenario family 'cutin'; known families are "
                 "highway, dense, merge, cut_in, lead_brake, stalled, curve"},
        BadSuite{"families:\n  - {family: highway, count: 0}\n",
                 "bad.yaml: entry 1: count must be an integer from 1 to 100000"},
        BadSuite{"families:\n  - {family: highway, count: 2, seed: -4}\n",
                 "bad.yaml: entry 1: seed must be a non-negative integer"},
        BadSuite{"families:\n  - {family: highway}\n  - {count: 2}\n",
                 "bad.yaml: entry 2: needs a family (or an env)"},
        BadSuite{"families:\n  - {family: highway, cout: 2}\n",
                 "bad.yaml: entry 1: unknown key 'cout'; an entry has family (or env), count, "
                 "seed and overrides, or names scenario files (scenario: FILE, scenarios: DIR)"},
        BadSuite{"families:\n  - {scenario: a.yaml, count: 2}\n",
                 "bad.yaml: entry 1: names scenario files, and then has no other key (family, "
                 "count, seed and overrides are the file's own)"},
        BadSuite{"families:\n  - {env: nowhere-v0, count: 2}\n",
                 "bad.yaml: entry 1: env 'nowhere-v0' is not registered; registered envs are "
                 "curve-v0, cut_in-v0, dense-v0, driving-v0, highway-v0, lead_brake-v0, merge-v0, "
                 "stalled-v0"},
        BadSuite{"families:\n  - {env: driving-v0, family: highway, count: 2}\n",
                 "bad.yaml: entry 1: names an env, which takes no family or overrides (those are "
                 "the driving scenarios')"},
        BadSuite{"families:\n  - {family: highway, overrides: {lead_gap: [30, 20]}}\n",
                 "bad.yaml: entry 1: scenario range lead_gap [30, 20] must satisfy 5 <= min <= "
                 "max"},
        BadSuite{"families:\n  - {family: highway, overrides: {warp: 9}}\n",
                 "bad.yaml: entry 1: unknown parameter 'warp' (ranges: ego_speed, "
                 "traffic_speed, density, ..., curve_radius, merge_length; scalars: "
                 "episode_seconds, speed_limit; population)"},
        BadSuite{"familys: []\n",
                 "bad.yaml: unknown key 'familys'; a suite has name, scenario and families"},
        BadSuite{"name: x\n", "bad.yaml: 'families' must be a non-empty list of entries"},
        BadSuite{"- 1\n",
                 "bad.yaml: a suite is a mapping with 'families' (and optional 'name', "
                 "'scenario')"}),
    [](const ::testing::TestParamInfo<BadSuite>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(ScenarioMixFileTest, TheShippedMixParsesAndBadMixesAreOneSentence) {
  auto mix = LoadScenarioMix(std::string(TARMAC_SOURCE_DIR) + "/configs/scenario_mix.yaml");
  ASSERT_TRUE(mix.ok()) << mix.status();
  ASSERT_EQ(mix->sources().size(), 4U);
  EXPECT_EQ(mix->sources()[0].name, "everything");
  EXPECT_FALSE(mix->sources()[0].family.has_value());
  EXPECT_EQ(mix->sources()[1].config.lead_gap.max, 30.0);
  EXPECT_FALSE(mix->sources()[2].cases.empty());
  EXPECT_EQ(mix->sources()[2].cases.size(), mix->sources()[3].cases.size());
  EXPECT_EQ(mix->sources()[3].jitter, 0.1);

  const std::vector<std::pair<std::string, std::string>> refused = {
      {"sources: [{name: a, weight: 0}]", "mix.yaml: the scenario mix's weights sum to 0"},
      {"sources: [{name: a}]", "mix.yaml: source 1: needs a weight"},
      {"sources: [{weight: 1, family: lead_brake, suite: x.yaml}]",
       "mix.yaml: source 1: names a suite and a family"},
      {"sources: [{weight: 1, family: bus}]", "mix.yaml: source 1: unknown scenario family"},
      {"sources: [{weight: 1, jitter: 0.2}]", "only a suite's cases take"},
      {"sources: [{weight: 1, suite: nowhere.yaml}]", "cannot read suite file 'nowhere.yaml'"},
      {"sources: [{weight: 1, speed: 3}]", "mix.yaml: source 1: unknown key 'speed'"},
      {"sources: [{weight: 1}, {weight: 2}]", "two sources are named 'all'"},
      {"sources: []", "a non-empty list 'sources'"},
      {"mix: 1", "a non-empty list 'sources'"},
  };
  for (const auto& [text, error] : refused) {
    auto bad = ParseScenarioMix(text, "mix.yaml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(bad.status().message(), HasSubstr(error)) << text;
  }
}

TEST(EvalCommandTest, WritesJsonAndHtmlReports) {
  testing::TempDir dir;
  const std::string suite = dir.path() + "/small.yaml";
  std::ofstream(suite) << "name: small\nfamilies:\n  - {family: lead_brake, count: 3, seed: 1}\n"
                          "  - {family: merge, count: 2, seed: 5}\n";
  auto r = testing::RunCommand(
      {TARMAC_BINARY, "eval", "--policy", "expert", "--suite", suite, "--out", dir.path() + "/out"},
      std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  std::ifstream json_file(dir.path() + "/out/report.json");
  ASSERT_TRUE(json_file);
  const nlohmann::json report = nlohmann::json::parse(json_file);
  EXPECT_EQ(report["suite"], "small");
  EXPECT_EQ(report["episodes"].size(), 5U);
  EXPECT_EQ(report["families"]["lead_brake"]["policy"]["episodes"], 3);
  EXPECT_TRUE(report["families"]["merge"]["expert"].contains("mean_score"));
  std::ifstream html(dir.path() + "/out/report.html");
  const std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_THAT(page, HasSubstr("<table>"));
  EXPECT_THAT(page, HasSubstr("class='tchart'"));  // charts drawn by the inlined Chart.js
  EXPECT_THAT(page, HasSubstr("lead_brake"));
}

TEST(EvalCommandTest, RefusesBadSuitesAndUnknownPolicies) {
  auto missing = testing::RunCommand({TARMAC_BINARY, "eval", "--suite", "/nonexistent.yaml"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 2);
  EXPECT_EQ(missing->err, "tarmac: cannot read suite file '/nonexistent.yaml'.\n");
  auto policy =
      testing::RunCommand({TARMAC_BINARY, "eval", "--policy", "/no/such/ckpt", "--suite",
                           std::string(TARMAC_SOURCE_DIR) + "/configs/suites/default.yaml"});
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->exit_code, 2);
  EXPECT_EQ(policy->err, "tarmac: --policy /no/such/ckpt: no checkpoint at /no/such/ckpt.\n");
  auto typo =
      testing::RunCommand({TARMAC_BINARY, "eval", "--policy", "exprt", "--suite",
                           std::string(TARMAC_SOURCE_DIR) + "/configs/suites/default.yaml"});
  ASSERT_TRUE(typo.ok());
  EXPECT_EQ(typo->exit_code, 2);
  EXPECT_EQ(typo->err,
            "tarmac: --policy exprt is neither a checkpoint nor a policy name (did you mean "
            "'expert'?).\n");
}

}  // namespace
}  // namespace tarmac::cli
