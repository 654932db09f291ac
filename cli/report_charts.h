#ifndef TARMAC_CLI_REPORT_CHARTS_H_
#define TARMAC_CLI_REPORT_CHARTS_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tarmac/analysis/statistics.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::cli {

// The colour of the i-th policy on every chart of a report (the expert is last, grey).
std::string PolicyColour(std::size_t i);
inline constexpr char kExpertColour[] = "#7f7f7f";

// One line of a chart: a name for the legend, values and a colour.
struct Series {
  std::string name;
  std::vector<double> ys;
  std::string colour;
};

// What a time axis marks: shaded windows [t0, t1] s and labelled instants (events, triggers).
struct TimeMarks {
  std::vector<std::pair<double, double>> ranges;
  std::vector<std::pair<double, std::string>> lines;
};

// The first occurrence of each kind of event in `summary` at its time (steps of `dt` s), for a
// time axis; comfort violations are left out (they come every step of a hard manoeuvre and
// would hide the rest).
TimeMarks FirstEventMarks(const schemas::EpisodeSummary& summary, double dt);

// A Chart.js line chart of `series` sampled every `dt` s against time (s), the y axis titled
// with `unit`, `marks` drawn on it.
nlohmann::json TimeSeriesChart(const std::string& title, const std::string& unit,
                               const std::vector<Series>& series, double dt,
                               const TimeMarks& marks = {});

// A Chart.js line chart of `series` against `xs` (x titled `x_title`); each series may carry a
// band (`bands`: the same names with low/high ys, drawn filled behind it) and `references`:
// horizontal dashed lines (name, value).
struct Band {
  std::vector<double> low, high;
};
nlohmann::json CurveChart(const std::string& title, const std::string& x_title,
                          const std::string& y_title, const std::vector<double>& xs,
                          const std::vector<Series>& series, const std::vector<Band>& bands,
                          const std::vector<std::pair<std::string, double>>& references,
                          const TimeMarks& marks = {});

// A forest plot as a Chart.js horizontal chart: one row per (label, interval), the interval a
// bar, the estimate a dot, zero a line; rows in `bad` red, the others blue.
nlohmann::json ForestChart(const std::string& title, const std::string& x_title,
                           const std::vector<std::pair<std::string, analysis::Interval>>& rows,
                           const std::vector<bool>& bad);

// The scene of one episode for HtmlPage::AddScene: each step's ego and vehicles in Frenet
// coordinates around the ego of logs[0] (s from -40 to +80 m), the leader marked, the egos of
// logs[1..] (other policies on the same seed) as outlines, lane lines from the logged lanes;
// `notes` (step, text) are shown when the slider reaches that step. Starts at `start`. Each
// ego is drawn in its entry of `colours`.
nlohmann::json SceneJson(const std::string& title,
                         const std::vector<const schemas::EpisodeLog*>& logs,
                         const std::vector<std::string>& names,
                         const std::vector<std::string>& colours, std::size_t start,
                         const std::vector<std::pair<std::size_t, std::string>>& notes = {});

// Per step of `log`: the ego's speed (m/s), acceleration (m/s²), jerk (m/s³, 0 at the first
// step) and the time-to-collision with the leader (s, capped at `ttc_cap`).
struct EgoSeries {
  std::vector<double> speed, accel, jerk, ttc;
};
EgoSeries EgoSeriesOf(const schemas::EpisodeLog& log, double ttc_cap = 10.0);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_REPORT_CHARTS_H_
