#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "edge_case_search.h"
#include "run_tarmac.h"
#include "subprocess.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

namespace tarmac::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

SearchResult Search(bool uniform, std::uint64_t seed = 1, int workers = 1) {
  const PolicyFactory blind = [] {
    return std::make_unique<envs::CutInBlindPolicy>(std::make_unique<envs::EnvExpert>(), 12.0);
  };
  const PolicyFactory reference = [] { return std::make_unique<envs::EnvExpert>(); };
  SearchOptions options;
  options.workers = workers;
  options.family = envs::ScenarioFamily::kCutIn;
  options.budget = 100;
  options.batch = 20;
  options.seed = seed;
  options.uniform = uniform;
  EXPECT_TRUE(options.Validate().ok());
  return SearchEdgeCases(blind, reference, options);
}

TEST(EdgeCaseSearchTest, FindsAPlantedWeaknessFarMoreOftenThanRandomSamplingOfTheSameBudget) {
  // The expert blind to cut-ins closer than 12 m fails only where a slow cutter changes lanes
  // close ahead; the search must find such cases at least three times as often as uniform
  // sampling of the box with the same 100 episodes (seeded: measured 18 against 2).
  const SearchResult search = Search(false);
  const SearchResult random = Search(true);
  std::printf("planted weakness: cross-entropy %d / 100 failures, uniform %d / 100\n",
              search.failures, random.failures);
  EXPECT_GE(search.failures, 10);
  EXPECT_GE(search.failures, 3 * std::max(random.failures, 1));
  // Later batches find more than the first (which samples the same box as uniform does).
  EXPECT_GT(search.curve.back().failure_rate, search.curve.front().failure_rate);
  // Every failure counted replays exactly, and the reference drives it without fault.
  envs::CutInBlindPolicy blind(std::make_unique<envs::EnvExpert>(), 12.0);
  envs::EnvExpert expert;
  int checked = 0;
  for (const SearchCase& c : search.cases) {
    if (!c.failure) continue;
    ASSERT_TRUE(c.reference_ok);
    const envs::EpisodeResult again =
        envs::RunEpisode(blind, envs::ScenarioFamily::kCutIn, c.config, c.seed);
    EXPECT_GT(schemas::MetricOr(again.summary, "at_fault_collision"), 0.0) << c.seed;
    const envs::EpisodeResult ref =
        envs::RunEpisode(expert, envs::ScenarioFamily::kCutIn, c.config, c.seed);
    EXPECT_EQ(schemas::MetricOr(ref.summary, "at_fault_collision"), 0.0) << c.seed;
    ++checked;
  }
  EXPECT_EQ(checked, search.failures);
  // Deterministic in its seed, whatever the number of threads.
  const SearchResult threaded = Search(false, 1, 3);
  ASSERT_EQ(threaded.cases.size(), search.cases.size());
  for (std::size_t k = 0; k < search.cases.size(); ++k) {
    EXPECT_EQ(threaded.cases[k].seed, search.cases[k].seed);
    EXPECT_EQ(threaded.cases[k].badness, search.cases[k].badness);
  }
}

TEST(SearchCommandTest, WritesASuiteOfTheWorstCasesThatReplaysThemAndRefusesBadInput) {
  testing::TempDir dir;
  const std::string out = dir.path() + "/search";
  Result r = RunTarmac({"search", "--policy", "expert+blind_cut_in=12", "--family", "cut_in",
                        "--budget", "40", "--keep", "5", "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("failures the reference avoided"));
  absl::StatusOr<envs::Suite> suite = LoadSuite(out + "/cases.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status();
  EXPECT_EQ(suite->entries.size(), 5u);
  EXPECT_TRUE(std::filesystem::exists(out + "/search.html"));
  EXPECT_TRUE(std::filesystem::exists(out + "/search.json"));

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"search", "--policy", "expert", "--family", "roundabout"},
           {"search", "--policy", "expert", "--family", "cut_in", "--objective", "behaviour",
            "tailgaiting"},
           {"search", "--policy", "expert", "--family", "cut_in", "--budget", "0"},
           {"search", "--policy", "nowhere", "--family", "cut_in", "--budget", "4"}}) {
    const Result bad = RunTarmac(args);
    EXPECT_EQ(bad.code, 2) << args[4];
    EXPECT_THAT(bad.err, MatchesRegex("tarmac: .*\\.\n")) << bad.err;
  }
  // A box with nothing to search: every range of the family pinned, no population knobs.
  std::ofstream(dir.path() + "/pinned.yaml")
      << "families:\n  - {family: stalled, overrides: {ego_speed: 25, stalled_distance: 200, "
         "density: 10}}\n";
  const Result empty = RunTarmac({"search", "--policy", "expert", "--family", "stalled", "--suite",
                                  dir.path() + "/pinned.yaml", "--no-population"});
  EXPECT_EQ(empty.code, 2);
  EXPECT_THAT(empty.err,
              MatchesRegex("tarmac: the search space of stalled is empty: every range is a "
                           "single value; .*\\.\n"));
}

}  // namespace
}  // namespace tarmac::cli
