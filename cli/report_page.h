#ifndef TARMAC_CLI_REPORT_PAGE_H_
#define TARMAC_CLI_REPORT_PAGE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tarmac/analysis/statistics.h"
#include "tarmac/cli/config.h"

namespace tarmac::cli {

// A policy as a report names it: what the command line called it and its version (the
// checkpoint's learner step; 0 for the expert).
struct PolicyIdentity {
  std::string name;
  std::uint64_t version = 0;
};

// Who made a report from what: printed at the top of every page and stored in its JSON.
struct ReportIdentity {
  std::string command;  // e.g. "tarmac mine out/eval"
  std::vector<std::string> sources;
  std::string behaviours;  // the behaviours file, or "built-in"; empty where none is used
  std::string run_dir;     // the directory the report is written to
  std::vector<PolicyIdentity> policies;
  std::string suite;
  std::string config_digest;  // ConfigDigest of the config the command ran with
};

// A digest of every key's value (not its origin): two runs with the same digest ran with the
// same configuration. 16 hex digits (XXH3-64 of "key=value" lines in key order).
std::string ConfigDigest(const Config& config);

// The identity as JSON: the fields above (empty ones left out), with the commit, the version
// and the date (UTC) added.
nlohmann::json IdentityJson(const ReportIdentity& identity);

// {estimate, low, high}.
nlohmann::json IntervalJson(const analysis::Interval& interval);

// `text` with &, <, > and ' escaped for HTML.
std::string EscapeHtml(const std::string& text);

// One self-contained HTML report: the run's identity at the top, Chart.js inlined, and charts
// given as Chart.js configurations that the page draws when it opens. When every chart has
// been drawn the body carries data-charts-rendered (how many) and data-chart-errors (how many
// failed, each also a console error); the render test reads both. Not thread-safe.
class HtmlPage {
 public:
  HtmlPage(const std::string& title, const nlohmann::json& identity);

  // Appends HTML as is (escape what came from users with EscapeHtml).
  void Add(const std::string& html);
  // A chart drawn by Chart.js from `config` ({type, data, options}) in a width x height px box.
  // options.plugins.tarmacMarks may hold `ranges` ([[x0, x1], ...], shaded) and `lines`
  // ([{x, label, colour}], dashed vertical lines): trigger windows, events, phase boundaries.
  void AddChart(const nlohmann::json& config, int width, int height);
  // A bird's-eye player of `scene` (see SceneJson in report_charts.h): the scene at one step to
  // scale, with a slider over the steps, starting at scene.start.
  void AddScene(const nlohmann::json& scene);
  int charts() const { return charts_; }

  // The whole document.
  std::string Finish() const;

 private:
  std::string body_;
  int charts_ = 0;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPORT_PAGE_H_
