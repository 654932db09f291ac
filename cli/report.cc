#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "report_charts.h"
#include "report_figures.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {

using nlohmann::json;

std::string EvaluatedSeed::Family() const {
  if (!env.empty()) return env;
  return scenario ? envs::ScenarioLabel(*scenario) : std::string(envs::FamilyName(family));
}

namespace {

json SummaryJson(const schemas::EpisodeSummary& s) {
  json metrics = json::object();
  for (const auto& m : s.metrics) metrics[m.name] = m.value;
  json terms = json::object();
  for (const auto& t : s.term_returns) terms[t.name] = t.value;
  json events = json::array();
  for (const auto& e : s.events) {
    events.push_back({{"event", std::string(schemas::EventName(e.event))},
                      {"step", e.step},
                      {"s", e.s},
                      {"x", e.x},
                      {"y", e.y}});
  }
  return {{"scenario", s.scenario},
          {"seed", s.seed},
          {"steps", s.steps},
          {"return", s.episode_return},
          {"distance_m", s.distance_m},
          {"outcome", std::string(schemas::OutcomeName(s.outcome))},
          {"metrics", metrics},
          {"term_returns", terms},
          {"events", events}};
}

json FiguresJson(const PolicyFigures& f) {
  return {{"episodes", f.episodes},
          {"mean_score", f.score.estimate},
          {"score", IntervalJson(f.score)},
          {"collision_rate", f.collision.estimate},
          {"collision", IntervalJson(f.collision)},
          {"at_fault_collision_rate", f.at_fault.estimate},
          {"at_fault_collision", IntervalJson(f.at_fault)},
          {"mean_progress_ratio", f.progress},
          {"comfort_violation_rate", f.comfort},
          {"near_miss_rate", f.near_miss},
          {"mean_events_per_km", f.events_per_km},
          {"feasible_rate", f.feasible}};
}

// A family row as JSON: "policy" (the policy under test), "baseline" (the reference policy,
// when it is not the expert), "expert", every policy by name and the differences.
json RowJson(const EvaluationReport& report, const FamilyRow& row) {
  json out = {{"policy", FiguresJson(row.policies[0])}, {"expert", FiguresJson(row.expert)}};
  if (report.reference >= 0) {
    out["baseline"] = FiguresJson(row.policies[static_cast<std::size_t>(report.reference)]);
  }
  json policies = json::object(), deltas = json::object();
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    policies[report.policies[p].name] = FiguresJson(row.policies[p]);
    if (row.score_delta[p]) {
      deltas[report.policies[p].name] = {
          {"score", IntervalJson(*row.score_delta[p])},
          {"at_fault_collision", IntervalJson(*row.at_fault_delta[p])}};
    }
  }
  out["policies"] = policies;
  out["differences_from_" + report.ReferenceName()] = deltas;
  return out;
}

json ReportJson(const EvaluationReport& report, const std::vector<FamilyRow>& rows) {
  json families = json::object();
  for (std::size_t r = 0; r + 1 < rows.size(); ++r)
    families[rows[r].family] = RowJson(report, rows[r]);
  json episodes = json::array();
  for (const EvaluatedSeed& s : report.seeds) {
    json by_policy = json::object();
    for (std::size_t p = 0; p < report.policies.size(); ++p) {
      by_policy[report.policies[p].name] = SummaryJson(s.results[p].summary);
    }
    json episode = {{"family", s.Family()},
                    {"seed", s.seed},
                    {"policy", SummaryJson(s.results[0].summary)},
                    {"policy_feasible", s.results[0].feasibility.feasible},
                    {"policy_infeasible_reason", s.results[0].feasibility.reason},
                    {"policies", by_policy},
                    {"expert", SummaryJson(s.expert.summary)}};
    if (report.reference >= 0) {
      episode["baseline"] =
          SummaryJson(s.results[static_cast<std::size_t>(report.reference)].summary);
    }
    episodes.push_back(std::move(episode));
  }
  json names = json::array();
  for (const PolicyIdentity& p : report.policies) names.push_back(p.name);
  json doc = {{"identity", IdentityJson(report.identity)},
              {"suite", report.suite},
              {"policy", report.policies[0].name},
              {"policies", names},
              {"reference", report.ReferenceName()},
              {"overall", RowJson(report, rows.back())},
              {"families", families},
              {"episodes", episodes}};
  if (report.reference >= 0) doc["baseline"] = report.ReferenceName();
  if (!report.curve.empty()) doc["curve"] = report.curve;
  if (!report.scenario_sources.empty()) {
    json sources = json::object();
    for (const auto& [name, episodes] : report.scenario_sources) sources[name] = episodes;
    doc["scenario_sources"] = sources;
  }
  return doc;
}

// A moving mean over `window` points and its band (± one standard deviation of the window).
void Smooth(const std::vector<double>& ys, std::size_t window, std::vector<double>* mean,
            Band* band) {
  for (std::size_t i = 0; i < ys.size(); ++i) {
    const std::size_t lo = i + 1 >= window ? i + 1 - window : 0;
    double sum = 0, sq = 0;
    for (std::size_t k = lo; k <= i; ++k) {
      sum += ys[k];
      sq += ys[k] * ys[k];
    }
    const double n = static_cast<double>(i - lo + 1);
    const double m = sum / n;
    const double sd = std::sqrt(std::max(0.0, sq / n - m * m));
    mean->push_back(m);
    band->low.push_back(m - sd);
    band->high.push_back(m + sd);
  }
}

void AddCurves(const EvaluationReport& report, const FamilyRow& all, HtmlPage& page) {
  std::vector<double> xs, returns, scores, collisions;
  for (const CurvePoint& p : report.curve) {
    xs.push_back(static_cast<double>(p.env_steps));
    returns.push_back(p.mean_return);
    scores.push_back(p.mean_score);
    collisions.push_back(p.collision_rate);
  }
  const std::size_t window = std::max<std::size_t>(3, xs.size() / 15);
  page.Add(fmt::format(
      "<h2>Learning curves</h2><p class='note'>Training episodes of the RL phase (with "
      "exploration), smoothed over {} points with a band of one standard deviation; the dashed "
      "lines are the final evaluation's means on the suite. The RL phase starts from the SFT "
      "policy.</p>",
      window));
  if (!report.scenario_sources.empty()) {
    std::string sources;
    for (const auto& [name, episodes] : report.scenario_sources) {
      sources += fmt::format("{}{}: {}", sources.empty() ? "" : ", ", EscapeHtml(name), episodes);
    }
    page.Add(fmt::format("<p class='note'>Training episodes by scenario source: {}.</p>", sources));
  }
  std::vector<std::pair<std::string, double>> score_refs = {
      {"expert (eval)", all.expert.score.estimate}};
  std::vector<std::pair<std::string, double>> collision_refs = {
      {"expert (eval)", all.expert.collision.estimate}};
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    score_refs.emplace_back(report.policies[p].name + " (eval)", all.policies[p].score.estimate);
    collision_refs.emplace_back(report.policies[p].name + " (eval)",
                                all.policies[p].collision.estimate);
  }
  // Against learner updates, so the SFT phase (behaviour cloning, no episodes) shows as the
  // stretch before its end mark; against RL env steps when the SFT length is unknown.
  const bool by_updates = report.sft_updates > 0;
  std::vector<double> at = xs;
  TimeMarks phases{{}, {{0.0, "RL starts (after SFT)"}}};
  if (by_updates) {
    at.clear();
    for (const CurvePoint& p : report.curve) at.push_back(static_cast<double>(p.updates));
    at.insert(at.begin(), 0.0);
    phases = {{},
              {{0.0, "SFT: behaviour cloning"},
               {static_cast<double>(report.sft_updates), "RL (SAC + BC)"}}};
  }
  const auto curve = [&](const std::string& title, const std::string& unit,
                         const std::vector<double>& ys,
                         const std::vector<std::pair<std::string, double>>& refs) {
    std::vector<double> mean;
    Band band;
    Smooth(ys, window, &mean, &band);
    if (by_updates) {  // no episodes during SFT: the first point opens the axis at 0
      mean.insert(mean.begin(), std::nan(""));
      band.low.insert(band.low.begin(), std::nan(""));
      band.high.insert(band.high.begin(), std::nan(""));
    }
    page.AddChart(CurveChart(title, by_updates ? "learner updates" : "RL env steps", unit, at,
                             {{"training episodes", mean, PolicyColour(0)}}, {band}, refs, phases),
                  460, 260);
  };
  curve("score of training episodes", "score (0 to 1)", scores, score_refs);
  curve("episode return", "return", returns, {});
  curve("collision rate of training episodes", "fraction of episodes", collisions, collision_refs);
}

void AddFamilyTable(const EvaluationReport& report, const std::vector<FamilyRow>& rows,
                    HtmlPage& page) {
  const std::string ref = EscapeHtml(report.ReferenceName());
  std::string html = fmt::format(
      "<h2>Per family</h2><p class='note'>Mean score with its 95 % bootstrap interval over "
      "seeds; at-fault collisions with the Wilson interval; Δ is the paired difference from {} "
      "on the same seeds (red: significantly worse, green: significantly better).</p><table>"
      "<tr><th>family</th><th>seeds</th>",
      ref);
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    const std::string name = EscapeHtml(report.policies[p].name);
    html += fmt::format("<th>{} score</th>", name);
    if (static_cast<int>(p) != report.reference) html += fmt::format("<th>Δ score vs {}</th>", ref);
    html += fmt::format("<th>{} at fault</th>", name);
  }
  if (!report.ExpertIsAPolicy()) html += "<th>expert score</th><th>expert at fault</th>";
  html += fmt::format(
      "<th>{0}: progress vs expert</th>"
      "<th>{0}: comfort violations</th><th>{0}: near misses</th><th>{0}: events/km"
      "</th><th>{0}: feasible</th></tr>",
      EscapeHtml(report.policies[report.Subject()].name));
  for (const FamilyRow& row : rows) {
    html += fmt::format("<tr><td>{}</td><td>{}</td>", EscapeHtml(row.family), row.expert.episodes);
    for (std::size_t p = 0; p < report.policies.size(); ++p) {
      html += fmt::format("<td>{}</td>", IntervalText(row.policies[p].score, "{:.3f}"));
      if (row.score_delta[p]) {
        const analysis::Interval& d = *row.score_delta[p];
        html +=
            fmt::format("<td class='{}'>{}</td>", d.high < 0 ? "bad" : (d.low > 0 ? "better" : ""),
                        IntervalText(d, "{:+.3f}"));
      } else if (static_cast<int>(p) != report.reference) {
        html += "<td></td>";
      }
      const analysis::Interval& f = row.policies[p].at_fault;
      html += fmt::format("<td>{:.1f}% [{:.1f}, {:.1f}]</td>", 100 * f.estimate, 100 * f.low,
                          100 * f.high);
    }
    const PolicyFigures& first = row.policies[report.Subject()];
    if (!report.ExpertIsAPolicy()) {
      html += fmt::format("<td>{}</td><td>{:.1f}%</td>", IntervalText(row.expert.score, "{:.3f}"),
                          100 * row.expert.at_fault.estimate);
    }
    html += fmt::format(
        "<td>{:.2f}</td><td>{:.1f}%</td><td>{:.1f}%</td><td>{:.2f}</td><td>{:.0f}%</td></tr>",
        first.progress, 100 * first.comfort, 100 * first.near_miss, first.events_per_km,
        100 * first.feasible);
  }
  page.Add(html + "</table>");
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    if (static_cast<int>(p) == report.reference) continue;
    std::vector<std::pair<std::string, analysis::Interval>> forest;
    std::vector<bool> bad;
    for (const FamilyRow& row : rows) {
      forest.emplace_back(row.family, *row.score_delta[p]);
      bad.push_back(row.score_delta[p]->high < 0);
    }
    page.AddChart(ForestChart(fmt::format("score of {} minus {}, by family",
                                          report.policies[p].name, report.ReferenceName()),
                              "paired score difference (95 % bootstrap)", forest, bad),
                  560, 70 + 26 * static_cast<int>(forest.size()));
  }
}

void AddWorstCase(const EvaluationReport& report, const RecordedCase& c, HtmlPage& page) {
  const EvaluatedSeed& s = report.seeds[c.seed];
  const double dt = s.config.dt;
  const std::size_t subject = report.Subject();
  // The subject first, then the other policies, then the expert.
  std::vector<std::size_t> order = {subject};
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    if (p != subject) order.push_back(p);
  }
  std::string scores;
  for (std::size_t p : order) {
    scores +=
        fmt::format("<li><b>{}</b>: score {:.3f}, {}</li>", EscapeHtml(report.policies[p].name),
                    Score(s.results[p]), EscapeHtml(ScoreReason(s.results[p].summary, dt)));
  }
  if (!report.ExpertIsAPolicy()) {
    scores += fmt::format("<li><b>expert</b>: score {:.3f}, {}</li>", Score(s.expert),
                          EscapeHtml(ScoreReason(s.expert.summary, dt)));
  }
  const std::string& name = report.policies[subject].name;
  page.Add(
      fmt::format("<div class='case'><h3>{} seed {}: {} scored {:+.3f} against {}</h3><ul>"
                  "{}</ul>",
                  s.Family(), s.seed, EscapeHtml(name),
                  Score(s.results[subject]) - Score(ReferenceResult(report, s)),
                  EscapeHtml(report.ReferenceName()), scores));
  std::vector<std::string> names;
  std::vector<const schemas::EpisodeLog*> logs;
  std::vector<std::string> colours;
  for (std::size_t p : order) {
    names.push_back(report.policies[p].name);
    logs.push_back(&c.logs[p]);
    colours.push_back(PolicyColour(p));
  }
  if (!report.ExpertIsAPolicy()) {
    names.push_back("expert");
    logs.push_back(&c.logs.back());
    colours.push_back(kExpertColour);
  }
  std::vector<EgoSeries> series;
  for (const schemas::EpisodeLog* log : logs) series.push_back(EgoSeriesOf(*log));
  const TimeMarks marks = FirstEventMarks(s.results[subject].summary, dt);
  const auto chart = [&](const std::string& title, const std::string& unit,
                         std::vector<double> EgoSeries::*field) {
    std::vector<Series> lines;
    for (std::size_t k = 0; k < series.size(); ++k) {
      lines.push_back({names[k], series[k].*field, colours[k]});
    }
    page.AddChart(TimeSeriesChart(title, unit, lines, dt, marks), 360, 210);
  };
  chart("speed", "m/s", &EgoSeries::speed);
  chart("acceleration", "m/s²", &EgoSeries::accel);
  chart("jerk", "m/s³", &EgoSeries::jerk);
  chart("TTC to the leader, capped at 10 s", "s", &EgoSeries::ttc);
  std::vector<std::pair<std::size_t, std::string>> notes;
  std::size_t start = 0;
  for (const schemas::EventOccurrence& e : s.results[subject].summary.events) {
    notes.emplace_back(e.step, std::string(schemas::EventName(e.event)));
    if (start == 0 && e.event != schemas::Event::kComfort) start = e.step;
  }
  page.Add("<br>");
  page.AddScene(SceneJson(
      fmt::format("{} seed {}: {} filled, the other policies' egos outlined, the leader orange",
                  s.Family(), s.seed, name),
      logs, names, colours, start, notes));
  page.Add("</div>");
}

std::string ReportHtml(const EvaluationReport& report, const std::vector<FamilyRow>& rows,
                       const json& identity) {
  std::string title = "tarmac eval: " + report.policies[0].name;
  for (std::size_t p = 1; p < report.policies.size(); ++p) title += ", " + report.policies[p].name;
  HtmlPage page(title + " on suite " + report.suite, identity);
  if (!report.curve.empty()) AddCurves(report, rows.back(), page);
  AddFamilyTable(report, rows, page);
  page.Add(fmt::format(
      "<h2>Worst cases</h2><p class='note'>The seeds where {0} fell furthest below {1} on the "
      "same scenario; every policy's trace overlaid, the first of each kind of event of {0} "
      "marked; the slider moves the scene through the episode.</p>",
      EscapeHtml(report.policies[report.Subject()].name), EscapeHtml(report.ReferenceName())));
  if (report.cases.empty()) page.Add("<p>None: no driving episode scored below the reference.</p>");
  for (const RecordedCase& c : report.cases) AddWorstCase(report, c, page);
  return page.Finish();
}

}  // namespace

std::string ReportJsonText(const EvaluationReport& report) {
  return ReportJson(report, Tabulate(report)).dump(2) + "\n";
}

absl::Status WriteReport(const EvaluationReport& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create report dir '", dir, "': ", ec.message()));
  }
  const std::vector<FamilyRow> rows = Tabulate(report);
  const json doc = ReportJson(report, rows);
  if (absl::Status s = util::WriteFileAtomically(dir + "/report.json", doc.dump(2) + "\n");
      !s.ok()) {
    return s;
  }
  return util::WriteFileAtomically(dir + "/report.html", ReportHtml(report, rows, doc["identity"]));
}

}  // namespace tarmac::cli
