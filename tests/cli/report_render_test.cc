// Every HTML report opened as a user would: in headless Chromium (Debian's, installed by
// scripts/bootstrap), checking that the page draws every chart and scene with no console
// message, and keeping a screenshot of each under TARMAC_TEST_OUTPUT.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "evaluation_run.h"
#include "report.h"
#include "report_charts.h"
#include "report_page.h"
#include "run_tarmac.h"
#include "subprocess.h"
#include "tarmac/cli/config_schema.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kChromium[] = "/usr/bin/chromium";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// What Chromium made of a page.
struct Rendering {
  int charts_in_page = 0;  // .tchart and .tscene boxes in the HTML
  int rendered = -1;       // body[data-charts-rendered]; -1 when the render script never ran
  int errors = -1;         // body[data-chart-errors]
  std::vector<std::string> console;  // console messages and uncaught errors Chromium logged
};

std::vector<std::string> ChromiumArgs(const std::string& profile) {
  return {kChromium,
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--user-data-dir=" + profile,
          "--no-first-run",
          "--enable-logging=stderr",
          "--v=0",
          "--hide-scrollbars"};
}

// Opens `html` in headless Chromium, reads the rendered DOM and the console, and saves a
// screenshot as `png`.
Rendering Render(const std::string& html, const std::string& png) {
  Rendering r;
  const std::string page = ReadFile(html);
  r.charts_in_page = Count(page, "class='tchart'") + Count(page, "class='tscene'");
  testing::TempDir profile;
  std::vector<std::string> args = ChromiumArgs(profile.path());
  args.push_back("--dump-dom");
  args.push_back("file://" + fs::absolute(html).string());
  auto dom = testing::RunCommand(args, std::chrono::seconds(60));
  EXPECT_TRUE(dom.ok()) << dom.status();
  if (!dom.ok()) return r;
  std::smatch m;
  if (std::regex_search(dom->out, m, std::regex("data-charts-rendered=\"(\\d+)\""))) {
    r.rendered = std::stoi(m[1]);
  }
  if (std::regex_search(dom->out, m, std::regex("data-chart-errors=\"(\\d+)\""))) {
    r.errors = std::stoi(m[1]);
  }
  std::istringstream lines(dom->err);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) {
      r.console.push_back(line);
    }
  }
  std::vector<std::string> shot = ChromiumArgs(profile.path());
  shot.push_back("--window-size=1500,2400");
  shot.push_back("--screenshot=" + png);
  shot.push_back("file://" + fs::absolute(html).string());
  auto screenshot = testing::RunCommand(shot, std::chrono::seconds(60));
  EXPECT_TRUE(screenshot.ok()) << screenshot.status();
  EXPECT_TRUE(fs::exists(png) && fs::file_size(png) > 10000) << png << " was not written";
  return r;
}

void ExpectRendersCleanly(const std::string& html, const std::string& name) {
  fs::create_directories(TARMAC_TEST_OUTPUT);
  const Rendering r = Render(html, std::string(TARMAC_TEST_OUTPUT) + "/" + name + ".png");
  EXPECT_GT(r.charts_in_page, 0) << html << " has no charts";
  EXPECT_EQ(r.rendered, r.charts_in_page) << html;
  EXPECT_EQ(r.errors, 0) << html;
  EXPECT_THAT(r.console, ::testing::IsEmpty()) << html;
}

class ReportRenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kChromium)) << kChromium << " is missing: run scripts/bootstrap";
    std::ofstream(Path("small.yaml")) << "name: small\nfamilies:\n"
                                         "  - {family: cut_in, count: 6, seed: 4000}\n"
                                         "  - {family: merge, count: 4, seed: 6000}\n";
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  testing::TempDir dir_;
};

TEST_F(ReportRenderTest, EvalMineAndCompareReportsDrawEveryChart) {
  const Result eval =
      RunTarmac({"eval", "--policy", "expert", "--policy", "expert+delay=0.3", "--suite",
                 Path("small.yaml"), "--log-episodes", "--out", Path("eval")});
  ASSERT_EQ(eval.code, 0) << eval.err;
  ExpectRendersCleanly(Path("eval/report.html"), "eval");

  const Result mine =
      RunTarmac({"mine", Path("eval/episodes/expert_delay_0.3"), "--out", Path("mine")});
  ASSERT_EQ(mine.code, 0) << mine.err;
  ExpectRendersCleanly(Path("mine/mine.html"), "mine");

  const Result compare = RunTarmac({"compare", "--a", "expert", "--b", "expert+delay=0.3",
                                    "--suite", Path("small.yaml"), "--out", Path("compare")});
  ASSERT_EQ(compare.code, 0) << compare.err;
  ExpectRendersCleanly(Path("compare/compare.html"), "compare");

  const Result search = RunTarmac({"search", "--policy", "expert+blind_cut_in=12", "--family",
                                   "cut_in", "--budget", "40", "--out", Path("search")});
  ASSERT_EQ(search.code, 0) << search.err;
  ExpectRendersCleanly(Path("search/search.html"), "search");
}

TEST_F(ReportRenderTest, TrainReportWithLearningCurvesDrawsEveryChart) {
  // A report as tarmac train writes it (the learned policy against SFT, with a curve), here a
  // delayed expert standing in for the learned policy and the expert for SFT.
  absl::StatusOr<Config> config = DefaultConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(*config);
  ASSERT_TRUE(env_config.ok()) << env_config.status();
  auto learned = LoadEvaluationPolicy("expert+delay=0.3", *config);
  auto sft = LoadEvaluationPolicy("expert", *config);
  ASSERT_TRUE(learned.ok() && sft.ok());
  auto suite = LoadSuite(Path("small.yaml"), env_config->scenario);
  ASSERT_TRUE(suite.ok()) << suite.status();
  absl::StatusOr<EvaluationReport> report = EvaluateOnSuite(
      {{"learned", learned->get()}, {"sft", sft->get()}}, 1, *suite, *env_config, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_FALSE(report->cases.empty()) << "the delayed expert regressed on no seed";
  for (int i = 0; i < 40; ++i) {
    report->curve.push_back({static_cast<std::uint64_t>(1000 * i),
                             static_cast<std::uint64_t>(2000 + 50 * i), 3.0 * i, 8, 10.0 + i % 7,
                             0.5 + 0.01 * i - 0.05 * (i % 3), 0.3 - 0.005 * i});
  }
  report->sft_updates = 2000;
  report->identity = {"tarmac train",       {}, "", Path("run"), report->policies, "small",
                      ConfigDigest(*config)};
  ASSERT_TRUE(WriteReport(*report, Path("run")).ok());
  ExpectRendersCleanly(Path("run/report.html"), "train");
}

// The check itself: a page whose chart cannot be drawn is caught (a console error, one chart
// short), so the tests above would fail if a report broke.
TEST_F(ReportRenderTest, CatchesAChartThatFailsToDraw) {
  HtmlPage page("broken", IdentityJson({}));
  page.AddChart(TimeSeriesChart("fine", "m/s", {{"a", {1, 2, 3}, PolicyColour(0)}}, 0.1), 300, 150);
  page.AddChart({{"type", "no-such-chart-type"}, {"data", {{"datasets", {{{"data", {1, 2, 3}}}}}}}},
                300, 150);
  std::ofstream(Path("broken.html")) << page.Finish();
  const Rendering r = Render(Path("broken.html"), Path("broken.png"));
  EXPECT_EQ(r.charts_in_page, 2);
  EXPECT_EQ(r.rendered, 1);
  EXPECT_EQ(r.errors, 1);
  EXPECT_THAT(r.console, ::testing::Contains(::testing::HasSubstr("was not drawn")));
}

}  // namespace
}  // namespace tarmac::cli
