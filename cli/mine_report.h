#ifndef TARMAC_CLI_MINE_REPORT_H_
#define TARMAC_CLI_MINE_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "report_page.h"
#include "tarmac/analysis/mining.h"

namespace tarmac::cli {

// mine.json: per behaviour its rates (per episode, per trigger, per 1000 km, each with its 95 %
// interval) overall, by family, by policy version and by parameter bin, and the worst cases
// with the file, family, seed and the window's metrics.
nlohmann::json MineJson(const analysis::MineResult& result, const ReportIdentity& identity);

// Writes `dir`/mine.json and `dir`/mine.html (the tables, and for each worst case plots of
// speed, acceleration, jerk and TTC over time with the window marked and the scene to scale at
// the trigger; the plots re-read each case's log). Creates `dir`. Internal on I/O errors.
absl::Status WriteMineReport(const analysis::MineResult& result, const ReportIdentity& identity,
                             const std::string& dir);

// A suite file (configs/suites/default.yaml's format) with one entry per episode in `which`:
// its family, seed and exact scenario parameter ranges, so `tarmac eval` on it drives exactly
// those episodes again.
std::string CasesSuiteYaml(const analysis::MineResult& result,
                           const std::vector<std::size_t>& which, const std::string& name);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_MINE_REPORT_H_
