// The alignment commands end to end, in process: eval --log-episodes, replay-episode, mine
// (rates, export of the mined cases) and compare with gates, and their refusals of bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app.h"
#include "run_tarmac.h"
#include "subprocess.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using json = nlohmann::json;

std::string Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// One line ending in a full stop, naming `what`.
void ExpectOneSentenceNaming(const Result& r, const std::string& what) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(what));
}

constexpr char kSuite[] =
    "name: small\n"
    "families:\n"
    "  - {family: cut_in, count: 20, seed: 4000}\n"
    "  - {family: lead_brake, count: 6, seed: 5000}\n";

class AlignmentTest : public ::testing::Test {
 protected:
  void SetUp() override { suite_ = Write(dir_.path() + "/small.yaml", kSuite); }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  // `tarmac eval --log-episodes` of `policy` on the small suite into `out`.
  void EvalLogged(const std::string& policy, const std::string& out) {
    const Result r =
        RunTarmac({"eval", "--policy", policy, "--suite", suite_, "--log-episodes", "--out", out});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  testing::TempDir dir_;
  std::string suite_;
};

TEST_F(AlignmentTest, LoggedEpisodesReplayAndATamperedOrTruncatedLogIsCaught) {
  EvalLogged("expert+delay=0.3", Path("eval"));
  std::vector<std::string> logs;
  for (const auto& e : fs::directory_iterator(Path("eval/episodes"))) logs.push_back(e.path());
  ASSERT_EQ(logs.size(), 26U);
  Result ok = RunTarmac({"replay-episode", Path("eval")});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("26 of 26 episodes replay bit-identically"));

  auto log = schemas::ReadEpisodeLogFile(logs[0]);
  ASSERT_TRUE(log.ok()) << log.status();
  log->steps[20].action[1] += 0.01F;
  ASSERT_TRUE(schemas::WriteEpisodeLogFile(*log, Path("tampered.episode.zst")).ok());
  Result tampered = RunTarmac({"replay-episode", Path("tampered.episode.zst")});
  EXPECT_EQ(tampered.code, 1);
  EXPECT_THAT(tampered.out, HasSubstr("step 20"));

  // A seed alone: driven, replayed, and logged exactly as eval logged it.
  const Result seed =
      RunTarmac({"replay-episode", "--family", "cut_in", "--seed", "4003", "--policy",
                 "expert+delay=0.3", "--suite", suite_, "--out", Path("seed.episode.zst")});
  EXPECT_EQ(seed.code, 0) << seed.out << seed.err;
  EXPECT_THAT(seed.out, HasSubstr("cut_in seed 4003 (expert+delay=0.3)"));
  EXPECT_THAT(seed.out, HasSubstr("replays bit-identically"));
  const auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(Path("seed.episode.zst")), bytes(Path("eval/episodes/cut_in-4003.episode.zst")));
  ExpectOneSentenceNaming(RunTarmac({"replay-episode", "--seed", "4003"}), "--family");
  ExpectOneSentenceNaming(RunTarmac({"replay-episode", "--family", "cut_inn", "--seed", "4003"}),
                          "cut_inn");

  fs::copy_file(logs[0], Path("cut.episode.zst"));
  fs::resize_file(Path("cut.episode.zst"), fs::file_size(logs[0]) / 2);
  ExpectOneSentenceNaming(RunTarmac({"replay-episode", Path("cut.episode.zst")}),
                          "cut.episode.zst");
}

TEST_F(AlignmentTest, MineCountsTheLogsCasesAndItsExportedSuiteReproducesEachCase) {
  EvalLogged("expert+delay=0.3", Path("eval"));
  const Result mined = RunTarmac(
      {"mine", Path("eval"), "--out", Path("mine"), "--export-suite", Path("cases.yaml")});
  ASSERT_EQ(mined.code, 0) << mined.err;
  EXPECT_THAT(mined.out, HasSubstr("late_brake_after_cut_in"));
  const json report = ReadJson(Path("mine/mine.json"));
  EXPECT_EQ(report["episodes"], 26);
  EXPECT_TRUE(fs::exists(Path("mine/mine.html")));
  EXPECT_FALSE(report["identity"]["commit"].get<std::string>().empty());

  // Each case as (family, seed, behaviour, trigger time, severity).
  const auto cases = [](const json& r) {
    std::multimap<std::string, std::string> out;
    for (const json& b : r["behaviours"]) {
      for (const json& c : b["worst"]) {
        out.emplace(b["name"].get<std::string>(),
                    c["family"].get<std::string>() + " " + std::to_string(c["seed"].get<int>()) +
                        " " + c["trigger_s"].dump() + " " + c["severity"].dump());
      }
    }
    return out;
  };
  std::size_t total = 0;
  for (const json& b : report["behaviours"]) total += b["overall"]["occurrences"].get<int>();
  ASSERT_GT(total, 0U) << "the delayed expert shows some behaviour on these seeds";

  // The exported suite drives exactly the episodes with cases again: the same logs, the same
  // cases.
  const Result again = RunTarmac({"eval", "--policy", "expert+delay=0.3", "--suite",
                                  Path("cases.yaml"), "--log-episodes", "--out", Path("again")});
  ASSERT_EQ(again.code, 0) << again.err;
  std::size_t reproduced = 0;
  for (const auto& e : fs::directory_iterator(Path("again/episodes"))) {
    std::ifstream a(e.path(), std::ios::binary);
    std::ifstream b(Path("eval/episodes/") + e.path().filename().string(), std::ios::binary);
    std::stringstream x, y;
    x << a.rdbuf();
    y << b.rdbuf();
    EXPECT_EQ(x.str(), y.str()) << e.path() << " differs from the mined episode";
    ++reproduced;
  }
  const Result remined = RunTarmac({"mine", Path("again"), "--out", Path("mine2")});
  ASSERT_EQ(remined.code, 0) << remined.err;
  EXPECT_EQ(cases(ReadJson(Path("mine2/mine.json"))), cases(report));
  EXPECT_GT(reproduced, 0U);
}

TEST_F(AlignmentTest, CompareOfAPolicyWithItselfPassesAndADelayedExpertFailsTheGate) {
  const std::string gate = TARMAC_SOURCE_DIR "/configs/gates/default.yaml";
  const Result same = RunTarmac({"compare", "--a", "expert", "--b", "expert", "--suite", suite_,
                                 "--gate", gate, "--out", Path("same")});
  EXPECT_EQ(same.code, 0) << same.out << same.err;
  const json j = ReadJson(Path("same/compare.json"));
  EXPECT_TRUE(j["gates_passed"].get<bool>());
  for (const json& family : j["families"]) {
    for (const auto& [name, q] : family["quantities"].items()) {
      EXPECT_LE(q["difference"]["low"].get<double>(), 0.0) << name;
      EXPECT_GE(q["difference"]["high"].get<double>(), 0.0) << name;
    }
  }

  const Result worse = RunTarmac({"compare", "--a", "expert", "--b", "expert+delay=0.3", "--suite",
                                  suite_, "--gate", gate, "--out", Path("worse")});
  EXPECT_EQ(worse.code, 3) << worse.out << worse.err;
  EXPECT_THAT(worse.out, HasSubstr("fails on cut_in"));
  const json w = ReadJson(Path("worse/compare.json"));
  EXPECT_FALSE(w["gates_passed"].get<bool>());
  for (const json& family : w["families"]) {
    if (family["family"] != "cut_in") continue;
    EXPECT_LT(family["quantities"]["score"]["difference"]["high"].get<double>(), 0.0);
    EXPECT_GT(
        family["behaviours"]["late_brake_after_cut_in"]["rate_difference"]["low"].get<double>(),
        0.0);
  }
  EXPECT_FALSE(w["most_regressed"].empty());
}

TEST_F(AlignmentTest, EvalOfSeveralPoliciesGivesIntervalsAndPairedDifferencesOnTheSameSeeds) {
  const Result r = RunTarmac({"eval", "--policy", "expert", "--policy", "expert+delay=0.3",
                              "--suite", suite_, "--log-episodes", "--out", Path("eval")});
  ASSERT_EQ(r.code, 0) << r.err;
  // The terminal table: a row per family and "all", each policy's score with its interval.
  EXPECT_THAT(r.out, HasSubstr("Δ vs expert"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("cut_in +20 +0\\.[0-9]{3} \\[0\\.[0-9]{3}, "));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nall +26 "));
  const json report = ReadJson(Path("eval/report.json"));
  EXPECT_EQ(report["policies"], json::array({"expert", "expert+delay=0.3"}));
  EXPECT_EQ(report["reference"], "expert");
  EXPECT_EQ(report["identity"]["policies"].size(), 2U);
  EXPECT_EQ(report["identity"]["config_digest"].get<std::string>().size(), 16U);
  for (const auto& [family, row] : report["families"].items()) {
    const json& score = row["policies"]["expert"]["score"];
    EXPECT_LE(score["low"].get<double>(), score["estimate"].get<double>()) << family;
    EXPECT_GE(score["high"].get<double>(), score["estimate"].get<double>()) << family;
    // The reference has no difference from itself; the delayed expert has one per family.
    EXPECT_FALSE(row["differences_from_expert"].contains("expert")) << family;
    ASSERT_TRUE(row["differences_from_expert"].contains("expert+delay=0.3")) << family;
  }
  // A reaction delay of 0.3 s costs score on cut-ins, seed by seed, as compare finds.
  const json& cut_in = report["families"]["cut_in"]["differences_from_expert"]["expert+delay=0.3"];
  EXPECT_LT(cut_in["score"]["high"].get<double>(), 0.0) << cut_in;
  // Each policy's episodes are logged in a directory of its own, for mine.
  EXPECT_EQ(
      std::distance(fs::directory_iterator(Path("eval/episodes/expert")), fs::directory_iterator()),
      26);
  EXPECT_EQ(std::distance(fs::directory_iterator(Path("eval/episodes/expert_delay_0.3")),
                          fs::directory_iterator()),
            26);
  // The worst cases were driven again with logs for the report's scenes.
  const std::string html = [&] {
    std::ifstream in(Path("eval/report.html"));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }();
  EXPECT_THAT(html, HasSubstr("class='tscene'"));
  EXPECT_THAT(html, HasSubstr("Chart.js v3"));
}

TEST_F(AlignmentTest, BadInputIsOneSentenceExitTwoAndWritesNothing) {
  EvalLogged("expert", Path("eval"));
  const std::string out = Path("nothing");
  ExpectOneSentenceNaming(RunTarmac({"mine", Path("missing"), "--out", out}), "missing");
  fs::create_directories(Path("logs"));
  const std::string first = fs::directory_iterator(Path("eval/episodes"))->path();
  fs::copy_file(first, Path("logs/short.episode.zst"));
  fs::resize_file(Path("logs/short.episode.zst"), 100);
  ExpectOneSentenceNaming(RunTarmac({"mine", Path("eval"), Path("logs"), "--out", out}),
                          "short.episode.zst");
  Write(Path("bad-behaviours.yaml"), "behaviours:\n  slow: {when: \"brake_onset > 1\"}\n");
  ExpectOneSentenceNaming(
      RunTarmac({"mine", Path("eval"), "--behaviours", Path("bad-behaviours.yaml"), "--out", out}),
      "bad-behaviours.yaml: behaviour slow");
  Write(Path("bad-suite.yaml"), "families:\n  - {family: cut_inn, count: 2, seed: 1}\n");
  ExpectOneSentenceNaming(RunTarmac({"compare", "--a", "expert", "--b", "expert", "--suite",
                                     Path("bad-suite.yaml"), "--out", out}),
                          "cut_inn");
  Write(Path("bad-gate.yaml"), "gates: [{quantity: scor, max_drop: 0.1}]\n");
  ExpectOneSentenceNaming(RunTarmac({"compare", "--a", "expert", "--b", "expert", "--suite", suite_,
                                     "--gate", Path("bad-gate.yaml"), "--out", out}),
                          "scor");
  ExpectOneSentenceNaming(RunTarmac({"compare", "--a", "expert", "--b", "expert+delay=x", "--suite",
                                     suite_, "--out", out}),
                          "delay");

  // A checkpoint trained on 4-float observations cannot drive the 86-float driving envs.
  learner::SacOptions options;
  options.hidden_sizes = {8};
  options.device = "cpu";
  options.threads = 1;
  auto trainer = learner::SacTrainer::Create(options, {4, 2, {-6.0F, -0.4F}, {3.0F, 0.4F}, {}});
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  fs::create_directories(Path("tiny"));
  ASSERT_TRUE((*trainer)->SaveCheckpoint(learner::CheckpointPath(Path("tiny"), 1)).ok());
  ExpectOneSentenceNaming(
      RunTarmac({"compare", "--a", "expert", "--b", Path("tiny"), "--suite", suite_, "--out", out}),
      "observations of 4 floats");
  ExpectOneSentenceNaming(RunTarmac({"eval", "--policy", "expert", "--baseline", Path("tiny"),
                                     "--suite", suite_, "--out", out}),
                          "observations of 4 floats");
  ExpectOneSentenceNaming(RunTarmac({"eval", "--policy", "expert", "--baseline", "expert",
                                     "--suite", suite_, "--out", out}),
                          "given twice");
  EXPECT_FALSE(fs::exists(out)) << "a refused command wrote " << out;
}

}  // namespace
}  // namespace tarmac::cli
