#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "report_charts.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {

using nlohmann::json;

std::string EvaluatedSeed::Family() const {
  return env.empty() ? std::string(envs::FamilyName(family)) : env;
}

namespace {

double Score(const envs::EpisodeResult& r) { return schemas::MetricOr(r.summary, "score"); }

const envs::EpisodeResult& ReferenceResult(const EvaluationReport& report, const EvaluatedSeed& s) {
  return report.reference < 0 ? s.expert : s.results[static_cast<std::size_t>(report.reference)];
}

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

PolicyFigures Figures(const std::vector<const envs::EpisodeResult*>& results, int resamples) {
  PolicyFigures f;
  f.episodes = static_cast<int>(results.size());
  std::vector<double> scores;
  std::uint64_t at_fault = 0, collision = 0;
  for (const envs::EpisodeResult* r : results) {
    const auto& s = r->summary;
    scores.push_back(Score(*r));
    at_fault += schemas::MetricOr(s, "at_fault_collision") > 0 ? 1 : 0;
    collision += schemas::MetricOr(s, "collision") > 0 ? 1 : 0;
    f.progress += schemas::MetricOr(s, "progress_ratio");
    f.comfort += schemas::MetricOr(s, "comfort_violation_steps") > 0 ? 1.0 : 0.0;
    f.near_miss += schemas::MetricOr(s, "near_miss");
    f.events_per_km += schemas::MetricOr(s, "events_per_km");
    f.feasible += r->feasibility.feasible ? 1.0 : 0.0;
  }
  const double n = std::max(1, f.episodes);
  f.progress /= n;
  f.comfort /= n;
  f.near_miss /= n;
  f.events_per_km /= n;
  f.feasible /= n;
  f.score = analysis::PairedBootstrap(std::vector<double>(scores.size(), 0.0), scores, resamples);
  f.at_fault = analysis::WilsonInterval(at_fault, results.size());
  f.collision = analysis::WilsonInterval(collision, results.size());
  return f;
}

FamilyRow Row(const EvaluationReport& report, const std::string& family,
              const std::vector<const EvaluatedSeed*>& seeds, int resamples) {
  FamilyRow row;
  row.family = family;
  std::vector<const envs::EpisodeResult*> expert;
  for (const EvaluatedSeed* s : seeds) expert.push_back(&s->expert);
  row.expert = Figures(expert, resamples);
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    std::vector<const envs::EpisodeResult*> results;
    std::vector<double> score_ref, score_p, fault_ref, fault_p;
    for (const EvaluatedSeed* s : seeds) {
      results.push_back(&s->results[p]);
      const envs::EpisodeResult& ref = ReferenceResult(report, *s);
      score_ref.push_back(Score(ref));
      score_p.push_back(Score(s->results[p]));
      fault_ref.push_back(schemas::MetricOr(ref.summary, "at_fault_collision") > 0 ? 1 : 0);
      fault_p.push_back(schemas::MetricOr(s->results[p].summary, "at_fault_collision") > 0 ? 1 : 0);
    }
    row.policies.push_back(Figures(results, resamples));
    if (static_cast<int>(p) == report.reference) {
      row.score_delta.emplace_back();
      row.at_fault_delta.emplace_back();
    } else {
      row.score_delta.push_back(analysis::PairedBootstrap(score_ref, score_p, resamples));
      row.at_fault_delta.push_back(analysis::PairedBootstrap(fault_ref, fault_p, resamples));
    }
  }
  return row;
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
  return doc;
}

std::string IntervalText(const analysis::Interval& i, const char* format) {
  return fmt::format(fmt::runtime(std::string(format) + " [" + format + ", " + format + "]"),
                     i.estimate, i.low, i.high);
}

bool Significant(const analysis::Interval& i) { return i.low > 0 || i.high < 0; }

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

std::vector<std::size_t> WorstSeeds(const EvaluationReport& report, std::size_t n) {
  const std::size_t subject = report.Subject();
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < report.seeds.size(); ++i) {
    const EvaluatedSeed& s = report.seeds[i];
    if (s.env.empty() && Score(s.results[subject]) < Score(ReferenceResult(report, s))) {
      out.push_back(i);
    }
  }
  const auto regression = [&](std::size_t i) {
    const EvaluatedSeed& s = report.seeds[i];
    return Score(s.results[subject]) - Score(ReferenceResult(report, s));
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](std::size_t a, std::size_t b) { return regression(a) < regression(b); });
  if (out.size() > n) out.resize(n);
  return out;
}

std::string ScoreReason(const schemas::EpisodeSummary& s, double dt) {
  const auto event_time = [&](schemas::Event which) -> std::string {
    for (const schemas::EventOccurrence& e : s.events) {
      if (e.event == which) return fmt::format(" at t = {:.1f} s", dt * e.step);
    }
    return "";
  };
  if (schemas::MetricOr(s, "at_fault_collision") > 0) {
    return "0: an at-fault collision" + event_time(schemas::Event::kCollision);
  }
  if (schemas::MetricOr(s, "off_road") > 0) {
    return "0: left the road" + event_time(schemas::Event::kOffRoad);
  }
  const double progress = schemas::MetricOr(s, "progress_ratio");
  if (progress < 0.2) {
    return fmt::format("0: progress {:.2f} of the expert's distance, under 0.2", progress);
  }
  std::string lost;
  if (schemas::MetricOr(s, "collision") > 0) lost += "a collision, not at fault; ";
  if (progress < 0.999) lost += fmt::format("progress {:.2f}; ", progress);
  lost += fmt::format("min TTC {:.2f} s; ", schemas::MetricOr(s, "min_ttc"));
  if (schemas::MetricOr(s, "comfort_violation_steps") > 0) {
    lost += fmt::format("{:.0f} steps over the comfort limits; ",
                        schemas::MetricOr(s, "comfort_violation_steps"));
  }
  lost += fmt::format("speed compliance {:.2f}", schemas::MetricOr(s, "speed_compliance"));
  return lost;
}

std::vector<FamilyRow> Tabulate(const EvaluationReport& report, int resamples) {
  std::map<std::string, std::vector<const EvaluatedSeed*>> by_family;
  std::vector<const EvaluatedSeed*> all;
  for (const EvaluatedSeed& s : report.seeds) {
    by_family[s.Family()].push_back(&s);
    all.push_back(&s);
  }
  std::vector<FamilyRow> rows;
  for (const auto& [family, seeds] : by_family)
    rows.push_back(Row(report, family, seeds, resamples));
  rows.push_back(Row(report, "all", all, resamples));
  return rows;
}

std::string TerminalTable(const EvaluationReport& report, const std::vector<FamilyRow>& rows) {
  std::string header = fmt::format("{:<14} {:>5}", "family", "seeds");
  for (std::size_t p = 0; p < report.policies.size(); ++p) {
    const std::string name =
        report.policies[p].name.size() > 20
            ? "…" + report.policies[p].name.substr(report.policies[p].name.size() - 19)
            : report.policies[p].name;
    header += fmt::format("  {:>23}", name);
    if (static_cast<int>(p) != report.reference)
      header += fmt::format("  {:>25}", "Δ vs " + report.ReferenceName().substr(0, 18));
    header += fmt::format("  {:>8}", "at fault");
  }
  const bool expert_column = !report.ExpertIsAPolicy();
  if (expert_column) header += fmt::format("  {:>23}  {:>8}", "expert", "at fault");
  header += "\n";
  std::string text = header;
  for (const FamilyRow& row : rows) {
    text += fmt::format("{:<14} {:>5}", row.family, row.expert.episodes);
    for (std::size_t p = 0; p < report.policies.size(); ++p) {
      text += fmt::format("  {:>23}", IntervalText(row.policies[p].score, "{:.3f}"));
      if (row.score_delta[p]) {
        text += fmt::format(
            "  {:>24}{}", IntervalText(*row.score_delta[p], "{:+.3f}"),
            Significant(*row.score_delta[p]) ? (row.score_delta[p]->high < 0 ? "-" : "+") : " ");
      } else if (static_cast<int>(p) != report.reference) {
        text += fmt::format("  {:>25}", "");
      }
      text += fmt::format("  {:>7.1f}%", 100 * row.policies[p].at_fault.estimate);
    }
    if (expert_column) {
      text += fmt::format("  {:>23}  {:>7.1f}%", IntervalText(row.expert.score, "{:.3f}"),
                          100 * row.expert.at_fault.estimate);
    }
    text += "\n";
  }
  return text + fmt::format(
                    "score: mean [95 % bootstrap CI over seeds]; Δ: paired difference from {} "
                    "(+ or - where the interval excludes 0)\n",
                    report.ReferenceName());
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
