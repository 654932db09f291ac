// competence_report RUN_DIR... [--suite-dir validation] [--out FILE]
// Aggregates `tarmac train` runs evaluated on the same suite (each RUN_DIR/report.json, or
// RUN_DIR/<suite-dir>/report.json) into learned / SFT / expert figures with two-level bootstrap
// intervals (analysis::AggregateRuns): a table on stdout and, with --out, the same as JSON.
// What bench/competence calls after its K training runs.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tarmac/analysis/competence.h"

namespace {

using nlohmann::json;
using tarmac::analysis::Interval;
using tarmac::analysis::RunEvaluation;

// One run's report.json as episodes: every policy under "policies", then the expert.
absl::StatusOr<RunEvaluation> ReadRun(const std::string& run, const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat(path, " does not exist; is ", run, " a finished `tarmac train` run?"));
  json doc;
  try {
    in >> doc;
    RunEvaluation out;
    out.name = run;
    for (const auto& name : doc.at("policies")) out.policies.push_back(name.get<std::string>());
    out.policies.push_back("expert");
    for (const auto& e : doc.at("episodes")) {
      RunEvaluation::Episode episode;
      episode.family = e.at("family").get<std::string>();
      episode.seed = e.at("seed").get<std::uint64_t>();
      for (std::size_t p = 0; p < out.policies.size(); ++p) {
        const json& summary =
            p + 1 < out.policies.size() ? e.at("policies").at(out.policies[p]) : e.at("expert");
        const json& metrics = summary.at("metrics");
        episode.score.push_back(metrics.at("score").get<double>());
        episode.at_fault.push_back(metrics.value("at_fault_collision", 0.0) > 0.0);
      }
      out.episodes.push_back(std::move(episode));
    }
    return out;
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a train report (", e.what(), "); rerun its eval phase"));
  }
}

std::string Cell(const Interval& i, const char* format = "%.3f") {
  return absl::StrCat(absl::StrFormat(format, i.estimate), " [", absl::StrFormat(format, i.low),
                      ", ", absl::StrFormat(format, i.high), "]");
}

json IntervalJson(const Interval& i) {
  return {{"estimate", i.estimate}, {"low", i.low}, {"high", i.high}};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> runs;
  std::string suite_dir, out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--suite-dir" || arg == "--out") {
      if (i + 1 == argc) {
        std::cerr << "competence_report: " << arg << " needs a value (a directory or file)\n";
        return 2;
      }
      (arg == "--out" ? out_path : suite_dir) = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "competence_report: unknown flag " << arg
                << "; use RUN_DIR... [--suite-dir DIR] [--out FILE]\n";
      return 2;
    } else {
      runs.push_back(arg);
    }
  }
  if (runs.empty()) {
    std::cerr << "competence_report: name at least one run directory (RUN_DIR...)\n";
    return 2;
  }
  std::vector<RunEvaluation> evaluations;
  for (const std::string& run : runs) {
    auto evaluation =
        ReadRun(run, run + (suite_dir.empty() ? "" : "/" + suite_dir) + "/report.json");
    if (!evaluation.ok()) {
      std::cerr << "competence_report: " << evaluation.status().message() << "\n";
      return 2;
    }
    evaluations.push_back(std::move(*evaluation));
  }
  auto report = tarmac::analysis::AggregateRuns(evaluations);
  if (!report.ok()) {
    std::cerr << "competence_report: " << report.status().message() << "\n";
    return 2;
  }
  const auto& policies = report->policies;
  std::cout << report->runs.size() << " runs; mean score [95 % interval over runs and seeds]\n";
  std::cout << absl::StrFormat("%-12s", "family");
  for (const auto& p : policies) std::cout << absl::StrFormat(" %-24s", p);
  for (std::size_t p = 1; p < policies.size(); ++p) {
    std::cout << absl::StrFormat(" %-24s", policies[0] + " - " + policies[p]);
  }
  std::cout << "\n";
  json rows = json::array();
  for (const auto& row : report->rows) {
    std::cout << absl::StrFormat("%-12s", row.family);
    for (const auto& s : row.score) std::cout << absl::StrFormat(" %-24s", Cell(s));
    for (std::size_t p = 1; p < policies.size(); ++p) {
      std::cout << absl::StrFormat(" %-24s", Cell(row.score_difference[p], "%+.3f"));
    }
    std::cout << "\n";
    json r = {{"family", row.family}, {"episodes_per_run", row.episodes_per_run}};
    for (std::size_t p = 0; p < policies.size(); ++p) {
      r["policies"][policies[p]] = {
          {"score", IntervalJson(row.score[p])},
          {"at_fault_rate", IntervalJson(row.at_fault_rate[p])},
          {"score_difference_from_" + policies[0], IntervalJson(row.score_difference[p])},
          {"at_fault_difference_from_" + policies[0], IntervalJson(row.at_fault_difference[p])}};
    }
    r["run_score"] = row.run_score;
    rows.push_back(std::move(r));
  }
  const auto& overall = report->rows.back();
  std::cout << "at-fault collisions per episode:";
  for (std::size_t p = 0; p < policies.size(); ++p) {
    std::cout << " " << policies[p] << " " << Cell(overall.at_fault_rate[p], "%.4f");
  }
  std::cout << "\nper run (overall mean score):\n";
  for (std::size_t r = 0; r < report->runs.size(); ++r) {
    std::cout << "  " << report->runs[r];
    for (std::size_t p = 0; p < policies.size(); ++p) {
      std::cout << absl::StrFormat("  %s %.3f", policies[p], overall.run_score[r][p]);
    }
    std::cout << "\n";
  }
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    out << json{{"runs", report->runs}, {"policies", policies}, {"rows", rows}}.dump(2) << "\n";
    if (!out) {
      std::cerr << "competence_report: could not write " << out_path << "\n";
      return 1;
    }
  }
  return 0;
}
