// reward_agreement REPORT.json... [--gap G]
// Does the reward rank episodes the way the closed-loop score does? Reads evaluation reports
// (`tarmac train`'s report.json and validation/report.json, or `tarmac eval`'s), takes every
// policy's episode (the expert's too) with its score and per-term returns, and prints per term
// and for the total return (analysis::RewardAgreement): of the pairs of episodes on the same
// scenario whose scores differ by more than G (default 0.01), the share the term orders as the
// score does, with a Wilson 95 % interval, and the term's rank correlation with the score.
// Not a benchmark: the evidence for the reward's weights.

#include "tarmac/analysis/reward_agreement.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace {

using nlohmann::json;
using tarmac::analysis::ScoredEpisode;

tarmac::analysis::ScoredEpisode FromSummary(const std::string& scenario, const json& summary) {
  ScoredEpisode e;
  e.scenario = scenario;
  e.score = summary.at("metrics").at("score").get<double>();
  e.returns["return"] = summary.at("return").get<double>();
  for (const auto& [term, value] : summary.at("term_returns").items()) {
    e.returns[term] = value.get<double>();
  }
  return e;
}

// Every policy's episodes of one report, the scenario keyed by the file too (reports on other
// suites never pair up).
absl::Status ReadReport(const std::string& path, std::vector<ScoredEpisode>& out) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  try {
    json doc;
    in >> doc;
    for (const auto& e : doc.at("episodes")) {
      const std::string scenario = absl::StrCat(path, ":", e.at("family").get<std::string>(), "/",
                                                e.at("seed").get<std::uint64_t>());
      for (const auto& [name, summary] : e.at("policies").items()) {
        out.push_back(FromSummary(scenario, summary));
      }
      out.push_back(FromSummary(scenario, e.at("expert")));
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not an evaluation report.json (", e.what(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> reports;
  double gap = 0.01;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--gap") {
      if (i + 1 == argc) {
        std::cerr << "reward_agreement: --gap needs a value (a score difference, e.g. 0.01)\n";
        return 2;
      }
      gap = std::atof(argv[++i]);
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "reward_agreement: unknown flag " << arg << "; use REPORT.json... [--gap G]\n";
      return 2;
    } else {
      reports.push_back(arg);
    }
  }
  if (reports.empty()) {
    std::cerr << "reward_agreement: name at least one evaluation report.json\n";
    return 2;
  }
  std::vector<ScoredEpisode> episodes;
  for (const std::string& path : reports) {
    if (auto s = ReadReport(path, episodes); !s.ok()) {
      std::cerr << "reward_agreement: " << s.message() << "\n";
      return 2;
    }
  }
  auto rows = tarmac::analysis::RewardAgreement(episodes, gap);
  if (!rows.ok()) {
    std::cerr << "reward_agreement: " << rows.status().message() << "\n";
    return 2;
  }
  std::cout << episodes.size() << " episodes; pairs on the same scenario with scores more than "
            << gap << " apart\n";
  std::cout << absl::StrFormat("%-14s %7s %6s  %-26s %s\n", "term", "pairs", "ties",
                               "agrees with the score", "rank corr.");
  for (const auto& row : *rows) {
    std::cout << absl::StrFormat("%-14s %7d %6d  %.3f [%.3f, %.3f]       %+.3f\n", row.term,
                                 row.pairs, row.ties, row.concordance.estimate, row.concordance.low,
                                 row.concordance.high, row.rank_correlation);
  }
  return 0;
}
