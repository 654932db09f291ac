#ifndef TARMAC_CLI_COMPARE_REPORT_H_
#define TARMAC_CLI_COMPARE_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mine_report.h"
#include "tarmac/analysis/comparison.h"

namespace tarmac::cli {

// Everything `tarmac compare` found.
struct CompareResult {
  std::string a, b;  // the policies as named on the command line
  std::string suite;
  int resamples = 0;
  std::vector<analysis::PairedOutcome> pairs;
  std::vector<std::string> quantities;
  std::vector<std::string> behaviours;
  std::vector<analysis::FamilyComparison> families;  // "all" last
  std::vector<analysis::GateResult> gates;
};

// compare.json: the identity, every family's paired differences, the gate results and the
// seeds whose score regressed most (B against A on the same seed).
nlohmann::json CompareJson(const CompareResult& result, const ReportIdentity& identity);

// Writes `dir`/compare.json and `dir`/compare.html (per family: a forest plot of the score and
// behaviour-rate differences with their intervals, regressions in red; the tables; the gates;
// the most regressed seeds). Creates `dir`.
absl::Status WriteCompareReport(const CompareResult& result, const ReportIdentity& identity,
                                const std::string& dir);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_COMPARE_REPORT_H_
