#include "mine_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "report_charts.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {
namespace {

using json = nlohmann::json;

json CellJson(const analysis::RateCell& c) {
  return {{"group", c.group},
          {"episodes", c.episodes},
          {"episodes_with", c.episodes_with},
          {"occurrences", c.occurrences},
          {"exposures", c.exposures},
          {"km", c.km},
          {"per_episode", IntervalJson(c.per_episode)},
          {"per_exposure", IntervalJson(c.per_exposure)},
          {"per_1000km", IntervalJson(c.per_1000km)}};
}

json MetricsJson(const analysis::MetricValues& m) {
  json out = json::object();
  for (const analysis::MetricInfo& info : analysis::kMetricInfo) out[info.name] = m[info.metric];
  return out;
}

std::string Escape(const std::string& text) { return EscapeHtml(text); }

// A mined case: its identity, plots of speed, acceleration, jerk and TTC over time with the
// behaviour's window shaded and the events marked, the scene from the trigger on, and the
// window's metrics. The plots re-read the case's log.
void AddCaseBundle(const analysis::MineResult& result, const analysis::MinedCase& c,
                   HtmlPage& page) {
  const analysis::MinedEpisode& e = result.episodes[c.episode];
  page.Add(fmt::format(
      "<div class='case'><h4>{} seed {}, {} v{}: severity {:.3g}, t = {:.1f} s</h4><p>{}</p>",
      e.scenario, e.seed, Escape(e.policy), e.policy_version, c.occurrence.severity,
      e.dt * static_cast<double>(c.occurrence.trigger_step), Escape(e.source)));
  absl::StatusOr<schemas::EpisodeLog> log = schemas::ReadEpisodeLogFile(e.source);
  if (!log.ok() || log->steps.empty()) {
    page.Add("<p>(the log can no longer be read: " + Escape(std::string(log.status().message())) +
             ")</p></div>");
    return;
  }
  const EgoSeries ego = EgoSeriesOf(*log);
  const double begin = log->dt * static_cast<double>(c.occurrence.trigger_step);
  const double end = log->dt * static_cast<double>(c.occurrence.end_step - 1);
  TimeMarks marks = FirstEventMarks(log->summary, log->dt);
  marks.ranges.emplace_back(begin, end);
  const std::string colour = PolicyColour(0);
  page.AddChart(TimeSeriesChart("speed", "m/s", {{e.policy, ego.speed, colour}}, log->dt, marks),
                360, 200);
  page.AddChart(
      TimeSeriesChart("acceleration", "m/s²", {{e.policy, ego.accel, colour}}, log->dt, marks), 360,
      200);
  page.AddChart(TimeSeriesChart("jerk", "m/s³", {{e.policy, ego.jerk, colour}}, log->dt, marks),
                360, 200);
  page.AddChart(TimeSeriesChart("TTC to the leader, capped at 10 s", "s",
                                {{e.policy, ego.ttc, colour}}, log->dt, marks),
                360, 200);
  const std::size_t trigger = std::min(c.occurrence.trigger_step, log->steps.size() - 1);
  std::vector<std::pair<std::size_t, std::string>> notes = {{trigger, "trigger"}};
  for (const schemas::EventOccurrence& ev : log->summary.events) {
    notes.emplace_back(ev.step, std::string(schemas::EventName(ev.event)));
  }
  page.Add("<br>");
  page.AddScene(SceneJson(fmt::format("{} seed {} (ego blue, leader orange)", e.scenario, e.seed),
                          {&*log}, {e.policy}, {colour}, trigger, notes));
  const analysis::MetricValues& m = c.occurrence.metrics;
  std::string values = "<p class='m'>";
  for (const analysis::MetricInfo& info : analysis::kMetricInfo) {
    values += fmt::format("{} = {:.3g}{}{}; ", info.name, m[info.metric], *info.unit ? " " : "",
                          info.unit);
  }
  page.Add(values + "</p></div>");
}

std::string RateRow(const analysis::RateCell& c) {
  return fmt::format(
      "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3f} [{:.3f}, {:.3f}]</td>"
      "<td>{:.3f} [{:.3f}, {:.3f}]</td><td>{:.1f} [{:.1f}, {:.1f}]</td></tr>",
      Escape(c.group), c.episodes, c.occurrences, c.per_episode.estimate, c.per_episode.low,
      c.per_episode.high, c.per_exposure.estimate, c.per_exposure.low, c.per_exposure.high,
      c.per_1000km.estimate, c.per_1000km.low, c.per_1000km.high);
}

constexpr char kRateHeader[] =
    "<tr><th>group</th><th>episodes</th><th>cases</th><th>per episode (95 % CI)</th>"
    "<th>per trigger</th><th>per 1000 km</th></tr>";

// The rate per episode of each cell of `cells` as a forest plot (Wilson intervals).
json RateForest(const std::string& title, const std::vector<analysis::RateCell>& cells) {
  std::vector<std::pair<std::string, analysis::Interval>> rows;
  for (const analysis::RateCell& c : cells) rows.emplace_back(c.group, c.per_episode);
  return ForestChart(title, "episodes with the behaviour (fraction)", rows,
                     std::vector<bool>(rows.size(), false));
}

std::string MineHtml(const analysis::MineResult& result, const json& identity) {
  HtmlPage page("tarmac mine", identity);
  double km = 0;
  for (const analysis::MinedEpisode& e : result.episodes) km += e.km;
  page.Add(fmt::format("<p>{} episodes, {:.1f} km.</p><h2>Rates</h2><table>{}",
                       result.episodes.size(), km, kRateHeader));
  std::vector<analysis::RateCell> overall;
  for (const analysis::BehaviourFindings& f : result.findings) {
    analysis::RateCell row = f.overall;
    row.group = f.name;
    page.Add(RateRow(row));
    overall.push_back(row);
  }
  page.Add("</table>");
  page.AddChart(RateForest("rate per episode, every behaviour (95 % Wilson)", overall), 700,
                80 + 26 * static_cast<int>(overall.size()));
  for (std::size_t b = 0; b < result.findings.size(); ++b) {
    const analysis::BehaviourFindings& f = result.findings[b];
    page.Add(fmt::format("<h2 id='{0}'>{0}</h2><p>{1} <code>when: {2}</code></p>", Escape(f.name),
                         Escape(f.description), Escape(result.behaviours[b].when.text())));
    page.AddChart(RateForest(f.name + " by family", f.by_family), 560,
                  80 + 26 * static_cast<int>(f.by_family.size()));
    std::string tables = "<h3>By family</h3><table>" + std::string(kRateHeader);
    for (const analysis::RateCell& c : f.by_family) tables += RateRow(c);
    tables += "</table><h3>By policy</h3><table>" + std::string(kRateHeader);
    for (const analysis::RateCell& c : f.by_policy) tables += RateRow(c);
    tables += "</table>";
    if (!f.by_parameter.empty()) {
      tables += "<details><summary>By scenario parameter</summary>";
      for (const analysis::ParameterBreakdown& p : f.by_parameter) {
        if (std::none_of(p.bins.begin(), p.bins.end(),
                         [](const analysis::RateCell& c) { return c.occurrences > 0; })) {
          continue;
        }
        tables += "<h4>" + p.family + ": " + p.parameter + "</h4><table>" + kRateHeader;
        for (const analysis::RateCell& c : p.bins) tables += RateRow(c);
        tables += "</table>";
      }
      tables += "</details>";
    }
    page.Add(tables + fmt::format("<h3>Worst cases ({})</h3>", f.worst.size()));
    for (const analysis::MinedCase& c : f.worst) AddCaseBundle(result, c, page);
  }
  return page.Finish();
}

}  // namespace

json MineJson(const analysis::MineResult& result, const ReportIdentity& identity) {
  json out;
  out["identity"] = IdentityJson(identity);
  double km = 0;
  for (const analysis::MinedEpisode& e : result.episodes) km += e.km;
  out["episodes"] = result.episodes.size();
  out["km"] = km;
  json behaviours = json::array();
  for (std::size_t b = 0; b < result.findings.size(); ++b) {
    const analysis::BehaviourFindings& f = result.findings[b];
    const analysis::Behaviour& def = result.behaviours[b];
    json j = {{"name", f.name},          {"description", f.description},
              {"after", def.after},      {"within_s", def.within_s},
              {"when", def.when.text()}, {"overall", CellJson(f.overall)}};
    for (const auto* list : {&f.by_family, &f.by_policy}) {
      json cells = json::array();
      for (const analysis::RateCell& c : *list) cells.push_back(CellJson(c));
      j[list == &f.by_family ? "by_family" : "by_policy"] = cells;
    }
    json params = json::array();
    for (const analysis::ParameterBreakdown& p : f.by_parameter) {
      json bins = json::array();
      for (const analysis::RateCell& c : p.bins) bins.push_back(CellJson(c));
      params.push_back(
          {{"family", p.family}, {"parameter", p.parameter}, {"edges", p.edges}, {"bins", bins}});
    }
    j["by_parameter"] = params;
    json worst = json::array();
    for (const analysis::MinedCase& c : f.worst) {
      const analysis::MinedEpisode& e = result.episodes[c.episode];
      worst.push_back({{"source", e.source},
                       {"family", e.scenario},
                       {"seed", e.seed},
                       {"policy", e.policy},
                       {"policy_version", e.policy_version},
                       {"trigger_s", e.dt * static_cast<double>(c.occurrence.trigger_step)},
                       {"end_s", e.dt * static_cast<double>(c.occurrence.end_step)},
                       {"severity", c.occurrence.severity},
                       {"metrics", MetricsJson(c.occurrence.metrics)}});
    }
    j["worst"] = worst;
    behaviours.push_back(j);
  }
  out["behaviours"] = behaviours;
  return out;
}

absl::Status WriteMineReport(const analysis::MineResult& result, const ReportIdentity& identity,
                             const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const json j = MineJson(result, identity);
  if (absl::Status s = util::WriteFileAtomically(dir + "/mine.json", j.dump(2) + "\n"); !s.ok()) {
    return s;
  }
  return util::WriteFileAtomically(dir + "/mine.html", MineHtml(result, j["identity"]));
}

std::string CasesSuiteYaml(const analysis::MineResult& result,
                           const std::vector<std::size_t>& which, const std::string& name) {
  std::string yaml = fmt::format(
      "# Written by tarmac mine: {} mined episode(s), each with its family, seed and exact\n"
      "# scenario ranges, so `tarmac eval --suite` on this file drives those episodes again.\n"
      "name: {}\nfamilies:\n",
      which.size(), name);
  for (std::size_t index : which) {
    const analysis::MinedEpisode& e = result.episodes[index];
    std::string overrides;
    for (const schemas::ConfigEntry& entry : e.env_config) {
      std::string key;
      if (absl::StartsWith(entry.key, "env.scenario.") && entry.values.size() == 2) {
        key = entry.key.substr(std::string("env.scenario.").size());
        overrides += fmt::format("{}{}: [{}, {}]", overrides.empty() ? "" : ", ", key,
                                 entry.values[0], entry.values[1]);
      } else if ((entry.key == "env.episode_seconds" || entry.key == "env.speed_limit") &&
                 entry.values.size() == 1) {
        overrides += fmt::format("{}{}: {}", overrides.empty() ? "" : ", ", entry.key.substr(4),
                                 entry.values[0]);
      }
    }
    yaml += fmt::format("  - {{family: {}, count: 1, seed: {}, overrides: {{{}}}}}\n", e.scenario,
                        e.seed, overrides);
  }
  return yaml;
}

}  // namespace tarmac::cli
