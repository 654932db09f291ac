#include "report_charts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"

namespace tarmac::cli {
namespace {

using json = nlohmann::json;

// Values rounded to 4 significant digits: charts need no more, and the page stays small.
json Compact(double v) {
  if (!std::isfinite(v)) return nullptr;
  if (v == 0.0) return 0;
  const double scale = std::pow(10.0, 3 - std::floor(std::log10(std::abs(v))));
  return std::round(v * scale) / scale;
}

json Points(const std::vector<double>& xs, const std::vector<double>& ys) {
  json out = json::array();
  for (std::size_t i = 0; i < std::min(xs.size(), ys.size()); ++i) {
    out.push_back({{"x", Compact(xs[i])}, {"y", Compact(ys[i])}});
  }
  return out;
}

json Axis(const std::string& title) {
  return {{"type", "linear"}, {"title", {{"display", true}, {"text", title}}}};
}

json MarksJson(const TimeMarks& marks) {
  json ranges = json::array();
  for (const auto& [a, b] : marks.ranges) ranges.push_back({Compact(a), Compact(b)});
  json lines = json::array();
  for (const auto& [x, label] : marks.lines) {
    lines.push_back({{"x", Compact(x)}, {"label", label}, {"colour", "#555"}});
  }
  return {{"ranges", ranges}, {"lines", lines}};
}

json LineOptions(const std::string& title, const std::string& x_title, const std::string& y_title,
                 const TimeMarks& marks, bool legend) {
  return {{"parsing", false},
          {"plugins",
           {{"title", {{"display", true}, {"text", title}}},
            {"legend", {{"display", legend}, {"labels", {{"boxWidth", 12}}}}},
            {"tarmacMarks", MarksJson(marks)}}},
          {"scales", {{"x", Axis(x_title)}, {"y", Axis(y_title)}}}};
}

double LaneWidth(const schemas::EpisodeLog& log) {
  for (const schemas::ConfigEntry& e : log.env_config) {
    double w = 0;
    if (e.key == "env.lane_width" && e.values.size() == 1 && absl::SimpleAtod(e.values[0], &w) &&
        w > 1.0) {
      return w;
    }
  }
  return 3.6;
}

}  // namespace

std::string PolicyColour(std::size_t i) {
  static const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                         "#8c564b", "#e377c2", "#17becf", "#bcbd22"};
  return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
}

TimeMarks FirstEventMarks(const schemas::EpisodeSummary& summary, double dt) {
  TimeMarks marks;
  std::vector<schemas::Event> seen = {schemas::Event::kComfort};
  for (const schemas::EventOccurrence& e : summary.events) {
    if (std::find(seen.begin(), seen.end(), e.event) != seen.end()) continue;
    seen.push_back(e.event);
    marks.lines.emplace_back(dt * e.step, std::string(schemas::EventName(e.event)));
  }
  return marks;
}

json TimeSeriesChart(const std::string& title, const std::string& unit,
                     const std::vector<Series>& series, double dt, const TimeMarks& marks) {
  json datasets = json::array();
  for (const Series& s : series) {
    std::vector<double> ts(s.ys.size());
    for (std::size_t i = 0; i < ts.size(); ++i) ts[i] = dt * static_cast<double>(i);
    datasets.push_back({{"label", s.name},
                        {"data", Points(ts, s.ys)},
                        {"borderColor", s.colour},
                        {"borderWidth", 1.5},
                        {"pointRadius", 0}});
  }
  return {{"type", "line"},
          {"data", {{"datasets", datasets}}},
          {"options", LineOptions(title, "time (s)", unit, marks, series.size() > 1)}};
}

json CurveChart(const std::string& title, const std::string& x_title, const std::string& y_title,
                const std::vector<double>& xs, const std::vector<Series>& series,
                const std::vector<Band>& bands,
                const std::vector<std::pair<std::string, double>>& references,
                const TimeMarks& marks) {
  json datasets = json::array();
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    if (k < bands.size() && !bands[k].low.empty()) {
      // The page leaves a label ending in "(low)" out of the legend.
      datasets.push_back({{"label", s.name + " band (low)"},
                          {"data", Points(xs, bands[k].low)},
                          {"borderWidth", 0},
                          {"pointRadius", 0},
                          {"fill", false}});
      datasets.push_back({{"label", s.name + " band"},
                          {"data", Points(xs, bands[k].high)},
                          {"borderWidth", 0},
                          {"pointRadius", 0},
                          {"fill", "-1"},
                          {"backgroundColor", s.colour + "33"}});
    }
    datasets.push_back({{"label", s.name},
                        {"data", Points(xs, s.ys)},
                        {"borderColor", s.colour},
                        {"borderWidth", 2},
                        {"pointRadius", xs.size() < 40 ? 2 : 0}});
  }
  if (!xs.empty()) {
    const double lo = *std::min_element(xs.begin(), xs.end());
    const double hi = *std::max_element(xs.begin(), xs.end());
    for (std::size_t r = 0; r < references.size(); ++r) {
      const auto& [name, value] = references[r];
      datasets.push_back({{"label", name},
                          {"data", Points({lo, hi}, {value, value})},
                          {"borderColor", r == 0 ? kExpertColour : PolicyColour(r + 2)},
                          {"borderDash", {6, 4}},
                          {"borderWidth", 1.5},
                          {"pointRadius", 0}});
    }
  }
  return {{"type", "line"},
          {"data", {{"datasets", datasets}}},
          {"options", LineOptions(title, x_title, y_title, marks, true)}};
}

json ForestChart(const std::string& title, const std::string& x_title,
                 const std::vector<std::pair<std::string, analysis::Interval>>& rows,
                 const std::vector<bool>& bad) {
  json labels = json::array(), bars = json::array(), estimates = json::array(),
       colours = json::array();
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& [label, i] = rows[k];
    labels.push_back(label);
    bars.push_back({Compact(i.low), Compact(i.high)});
    estimates.push_back(Compact(i.estimate));
    colours.push_back(k < bad.size() && bad[k] ? "#d62728" : "#1f77b4");
  }
  json datasets = json::array();
  datasets.push_back({{"type", "bar"},
                      {"label", "95 % interval"},
                      {"data", bars},
                      {"backgroundColor", colours},
                      {"barThickness", 6}});
  datasets.push_back({{"type", "line"},
                      {"label", "estimate"},
                      {"data", estimates},
                      {"showLine", false},
                      {"pointRadius", 4},
                      {"pointBackgroundColor", colours},
                      {"pointBorderColor", colours}});
  return {{"type", "bar"},
          {"data", {{"labels", labels}, {"datasets", datasets}}},
          {"options",
           {{"indexAxis", "y"},
            {"plugins",
             {{"title", {{"display", true}, {"text", title}}},
              {"legend", {{"display", false}}},
              {"tarmacMarks", {{"lines", {{{"x", 0}, {"label", "0"}, {"colour", "#333"}}}}}}}},
            {"scales", {{"x", Axis(x_title)}}}}}};
}

json SceneJson(const std::string& title, const std::vector<const schemas::EpisodeLog*>& logs,
               const std::vector<std::string>& names, const std::vector<std::string>& colours,
               std::size_t start, const std::vector<std::pair<std::size_t, std::string>>& notes) {
  const schemas::EpisodeLog& main = *logs.front();
  const double lane_width = LaneWidth(main);
  int lo_lane = 0, hi_lane = 0;
  json frames = json::array();
  for (std::size_t k = 0; k < main.steps.size(); ++k) {
    const schemas::LoggedStep& at = main.steps[k];
    lo_lane = std::min(lo_lane, at.ego.lane);
    hi_lane = std::max(hi_lane, at.ego.lane);
    json others = json::array();
    for (const schemas::LoggedVehicle& v : at.vehicles) {
      const double s = v.s - at.ego.s;
      if (s < -50 || s > 90) continue;
      lo_lane = std::min(lo_lane, v.lane);
      hi_lane = std::max(hi_lane, v.lane);
      others.push_back(
          {v.id, Compact(s), Compact(v.d), Compact(v.length), Compact(v.width), Compact(v.speed)});
    }
    json ghosts = json::array();
    for (std::size_t p = 1; p < logs.size(); ++p) {
      const auto& steps = logs[p]->steps;
      const schemas::LoggedEgo& ego = steps[std::min(k, steps.size() - 1)].ego;
      ghosts.push_back({Compact(ego.s - at.ego.s), Compact(ego.d)});
    }
    std::string note;
    for (const auto& [step, text] : notes) {
      if (step == k) note += (note.empty() ? "" : "; ") + text;
    }
    frames.push_back({{"t", Compact(main.dt * static_cast<double>(k))},
                      {"ego", {0, Compact(at.ego.d), Compact(at.ego.speed)}},
                      {"leader", at.leader_id},
                      {"others", others},
                      {"ghosts", ghosts},
                      {"note", note}});
  }
  json lanes = json::array();
  for (int lane = lo_lane; lane <= hi_lane + 1; ++lane) lanes.push_back((lane - 0.5) * lane_width);
  const double d_mid = 0.5 * (lo_lane + hi_lane) * lane_width;
  // The page widens or narrows d_range around its middle until a metre across is as long as
  // a metre along.
  return {{"title", title},
          {"s_range", {-40, 80}},
          {"d_range", {Compact(d_mid - 11.0), Compact(d_mid + 11.0)}},
          {"lanes", lanes},
          {"names", names},
          {"colours", colours},
          {"start", std::min(start, main.steps.empty() ? 0 : main.steps.size() - 1)},
          {"frames", frames}};
}

EgoSeries EgoSeriesOf(const schemas::EpisodeLog& log, double ttc_cap) {
  EgoSeries out;
  for (const schemas::LoggedStep& s : log.steps) {
    out.jerk.push_back(out.accel.empty() ? 0.0 : (s.ego.accel - out.accel.back()) / log.dt);
    out.speed.push_back(s.ego.speed);
    out.accel.push_back(s.ego.accel);
    const double closing = s.ego.speed - s.leader_speed;
    out.ttc.push_back(s.leader_id != 0 && closing > 0 ? std::min(ttc_cap, s.leader_gap / closing)
                                                      : ttc_cap);
  }
  return out;
}

}  // namespace tarmac::cli
