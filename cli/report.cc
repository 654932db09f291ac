#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "tarmac/envs/road.h"

namespace tarmac::cli {
namespace {

using nlohmann::json;

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

struct Aggregate {
  int episodes = 0;
  double score = 0, collision = 0, at_fault = 0, off_road = 0, progress = 0, comfort = 0,
         near_miss = 0, events_per_km = 0, feasible = 0;
  void Add(const envs::EpisodeResult& r) {
    const auto& s = r.summary;
    ++episodes;
    score += schemas::MetricOr(s, "score");
    collision += schemas::MetricOr(s, "collision");
    at_fault += schemas::MetricOr(s, "at_fault_collision");
    off_road += schemas::MetricOr(s, "off_road");
    progress += schemas::MetricOr(s, "progress_ratio");
    comfort += schemas::MetricOr(s, "comfort_violation_steps") > 0 ? 1.0 : 0.0;
    near_miss += schemas::MetricOr(s, "near_miss");
    events_per_km += schemas::MetricOr(s, "events_per_km");
    feasible += r.feasibility.feasible ? 1.0 : 0.0;
  }
  json Json() const {
    const double n = std::max(episodes, 1);
    return {{"episodes", episodes},
            {"mean_score", score / n},
            {"collision_rate", collision / n},
            {"at_fault_collision_rate", at_fault / n},
            {"off_road_rate", off_road / n},
            {"mean_progress_ratio", progress / n},
            {"comfort_violation_rate", comfort / n},
            {"near_miss_rate", near_miss / n},
            {"mean_events_per_km", events_per_km / n},
            {"feasible_rate", feasible / n}};
  }
};

// A chart of ys against xs with the value range at its left and the x range (in `x_unit`) at
// its foot; `dots` marks each point (sparse series such as learning curves).
std::string Chart(const std::string& title, const std::vector<double>& xs,
                  const std::vector<double>& ys, const std::string& x_unit, bool dots) {
  const double w = 320, h = 140, pad = 32;
  const std::size_t n = std::min(xs.size(), ys.size());
  const double x_lo = n == 0 ? 0 : xs.front();
  double x_hi = n == 0 ? 1 : xs[n - 1];
  double y_lo = n == 0 ? 0 : *std::min_element(ys.begin(), ys.begin() + n);
  double y_hi = n == 0 ? 1 : *std::max_element(ys.begin(), ys.begin() + n);
  if (y_hi - y_lo < 1e-9) y_hi = y_lo + 1;
  if (x_hi - x_lo < 1e-9) x_hi = x_lo + 1;
  std::string points, marks;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = pad + (w - pad - 8) * (xs[i] - x_lo) / (x_hi - x_lo);
    const double y = h - pad + (pad + 8 - h) * (ys[i] - y_lo) / (y_hi - y_lo);
    points += fmt::format("{:.1f},{:.1f} ", x, y);
    if (dots) marks += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='2' fill='#1f77b4'/>", x, y);
  }
  return fmt::format(
      "<svg width='{0}' height='{1}' class='chart'><text x='{2}' y='12'>{3}</text>"
      "<line x1='{2}' y1='{4}' x2='{0}' y2='{4}' stroke='#999'/>"
      "<line x1='{2}' y1='16' x2='{2}' y2='{4}' stroke='#999'/>"
      "<text x='2' y='24'>{5:.2f}</text><text x='2' y='{4}'>{6:.2f}</text>"
      "<text x='{2}' y='{1}'>{7:.0f}</text>"
      "<text x='{0}' y='{1}' text-anchor='end'>{8:.0f} {9}</text>"
      "<polyline fill='none' stroke='#1f77b4' points='{10}'/>{11}</svg>",
      w, h, pad, title, h - pad, y_hi, y_lo, x_lo, x_hi, x_unit, points, marks);
}

// A time series of `values` sampled every dt seconds.
std::string LineChart(const std::string& title, const std::string& unit,
                      const std::vector<double>& values, double dt) {
  std::vector<double> times(values.size());
  for (std::size_t i = 0; i < times.size(); ++i) times[i] = dt * static_cast<double>(i);
  return Chart(title + " (" + unit + ")", times, values, "s", /*dots=*/false);
}

// A learning curve: ys against env steps.
std::string CurveChart(const std::string& title, const std::vector<double>& xs,
                       const std::vector<double>& ys) {
  return Chart(title, xs, ys, "env steps", /*dots=*/true);
}

}  // namespace

namespace {

// Bird's-eye view: road edges and the ego path, events marked.
std::string BirdsEye(const EvaluatedSeed& seed) {
  const envs::Scenario sc = envs::GenerateScenario(seed.family, seed.config, seed.seed);
  const auto& traj = seed.policy.trajectory;
  double min_x = 1e18, max_x = -1e18, min_y = 1e18, max_y = -1e18;
  for (const auto& s : traj) {
    min_x = std::min(min_x, s.x);
    max_x = std::max(max_x, s.x);
    min_y = std::min(min_y, s.y);
    max_y = std::max(max_y, s.y);
  }
  min_x -= 20;
  max_x += 20;
  min_y -= 20;
  max_y += 20;
  const double w = 660, h = 220;
  const double scale = std::min(w / (max_x - min_x), h / (max_y - min_y));
  auto px = [&](double x) { return (x - min_x) * scale; };
  auto py = [&](double y) { return h - (y - min_y) * scale; };
  std::string svg = fmt::format("<svg width='{}' height='{}' class='bev'>", w, h);
  int max_lane = 0;
  for (const auto& lane : sc.road.lanes()) max_lane = std::max(max_lane, lane.index);
  const double half = 0.5 * sc.road.lane_width();
  const envs::Frenet start = sc.road.ToFrenet(traj.front().x, traj.front().y);
  const envs::Frenet end = sc.road.ToFrenet(traj.back().x, traj.back().y);
  for (double d : {-half, max_lane * sc.road.lane_width() + half}) {
    std::string points;
    for (double s = start.s - 20; s <= end.s + 20; s += 5) {
      const envs::Pose p = sc.road.ToWorld({s, d});
      points += fmt::format("{:.1f},{:.1f} ", px(p.x), py(p.y));
    }
    svg += fmt::format("<polyline fill='none' stroke='#444' points='{}'/>", points);
  }
  std::string path;
  for (const auto& s : traj) path += fmt::format("{:.1f},{:.1f} ", px(s.x), py(s.y));
  svg += fmt::format("<polyline fill='none' stroke='#d62728' stroke-width='2' points='{}'/>", path);
  for (const auto& e : seed.policy.summary.events) {
    svg += fmt::format(
        "<circle cx='{:.1f}' cy='{:.1f}' r='3' fill='#ff7f0e'><title>{}</title>"
        "</circle>",
        px(e.x), py(e.y), std::string(schemas::EventName(e.event)));
  }
  return svg + "</svg>";
}

}  // namespace

// Per-family and overall aggregates of the policy, the expert and the baseline, and every
// episode's JSON.
struct Aggregates {
  std::map<std::string, Aggregate> policy_by_family, expert_by_family, baseline_by_family;
  Aggregate policy_all, expert_all, baseline_all;
  json episodes = json::array();
};

// The aggregate of `key`, or an empty one (a family without baseline episodes).
const Aggregate& Of(const std::map<std::string, Aggregate>& by_family, const std::string& key) {
  static const Aggregate kNone;
  auto it = by_family.find(key);
  return it == by_family.end() ? kNone : it->second;
}

Aggregates AggregateSeeds(const EvaluationReport& report) {
  Aggregates a;
  const bool has_baseline = !report.baseline.empty();
  for (const EvaluatedSeed& s : report.seeds) {
    const std::string family = s.env.empty() ? std::string(envs::FamilyName(s.family)) : s.env;
    a.policy_by_family[family].Add(s.policy);
    a.expert_by_family[family].Add(s.expert);
    a.policy_all.Add(s.policy);
    a.expert_all.Add(s.expert);
    json episode = {{"family", family},
                    {"seed", s.seed},
                    {"policy", SummaryJson(s.policy.summary)},
                    {"policy_feasible", s.policy.feasibility.feasible},
                    {"policy_infeasible_reason", s.policy.feasibility.reason},
                    {"expert", SummaryJson(s.expert.summary)}};
    if (has_baseline && s.baseline) {
      a.baseline_by_family[family].Add(*s.baseline);
      a.baseline_all.Add(*s.baseline);
      episode["baseline"] = SummaryJson(s.baseline->summary);
    }
    a.episodes.push_back(std::move(episode));
  }
  return a;
}

// report.json: the suite, the aggregates, every episode and the curve.
json ReportJson(const EvaluationReport& report, const Aggregates& a) {
  const bool has_baseline = !report.baseline.empty();
  json families = json::object();
  for (const auto& [family, agg] : a.policy_by_family) {
    families[family] = {{"policy", agg.Json()}, {"expert", Of(a.expert_by_family, family).Json()}};
    if (has_baseline) families[family]["baseline"] = Of(a.baseline_by_family, family).Json();
  }
  json overall = {{"policy", a.policy_all.Json()}, {"expert", a.expert_all.Json()}};
  if (has_baseline) overall["baseline"] = a.baseline_all.Json();
  json doc = {{"suite", report.suite},
              {"policy", report.policy},
              {"overall", overall},
              {"families", families},
              {"episodes", a.episodes}};
  if (has_baseline) doc["baseline"] = report.baseline;
  if (!report.curve.empty()) doc["curve"] = report.curve;
  return doc;
}

// report.html: curves, the per-family table and the worst episodes' plots.
std::string ReportHtml(const EvaluationReport& report, const Aggregates& a) {
  const bool has_baseline = !report.baseline.empty();
  std::string html = fmt::format(
      "<!doctype html><html><head><meta charset='utf-8'><title>tarmac eval: {0}</title><style>"
      "body{{font-family:sans-serif;margin:24px}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}"
      "th:first-child,td:first-child{{text-align:left}}.chart,.bev{{margin:4px;"
      "border:1px solid #eee}}</style></head><body><h1>{1} on suite {0}</h1>",
      report.suite, report.policy);
  if (!report.curve.empty()) {
    std::vector<double> xs, returns, scores, collisions;
    for (const CurvePoint& p : report.curve) {
      xs.push_back(static_cast<double>(p.env_steps));
      returns.push_back(p.mean_return);
      scores.push_back(p.mean_score);
      collisions.push_back(p.collision_rate);
    }
    html += "<h2>Learning curves (training episodes, with exploration)</h2>" +
            CurveChart("episode return", xs, returns) + CurveChart("score", xs, scores) +
            CurveChart("collision rate", xs, collisions);
  }
  html += "<h2>Per family</h2><table><tr><th>family</th><th>episodes</th><th>score</th>";
  if (has_baseline) html += fmt::format("<th>{} score</th>", report.baseline);
  html += "<th>expert score</th><th>collisions</th><th>expert collisions</th><th>at fault</th>";
  if (has_baseline) html += fmt::format("<th>{} at fault</th>", report.baseline);
  html +=
      "<th>expert at fault</th><th>progress vs expert</th><th>comfort violations</th>"
      "<th>near misses</th><th>events/km</th><th>feasible</th></tr>";
  auto row = [&](const std::string& name, const Aggregate& p, const Aggregate& e,
                 const Aggregate& b) {
    const double n = std::max(p.episodes, 1);
    const double ne = std::max(e.episodes, 1);
    const double nb = std::max(b.episodes, 1);
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.3f}</td>", name, p.episodes, p.score / n);
    if (has_baseline) html += fmt::format("<td>{:.3f}</td>", b.score / nb);
    html +=
        fmt::format("<td>{:.3f}</td><td>{:.1f}%</td><td>{:.1f}%</td><td>{:.1f}%</td>", e.score / ne,
                    100 * p.collision / n, 100 * e.collision / ne, 100 * p.at_fault / n);
    if (has_baseline) html += fmt::format("<td>{:.1f}%</td>", 100 * b.at_fault / nb);
    html += fmt::format(
        "<td>{:.1f}%</td><td>{:.2f}</td><td>{:.1f}%</td><td>{:.1f}%</td><td>{:.2f}</td>"
        "<td>{:.0f}%</td></tr>",
        100 * e.at_fault / ne, p.progress / n, 100 * p.comfort / n, 100 * p.near_miss / n,
        p.events_per_km / n, 100 * p.feasible / n);
  };
  for (const auto& [family, agg] : a.policy_by_family) {
    row(family, agg, Of(a.expert_by_family, family), Of(a.baseline_by_family, family));
  }
  row("all", a.policy_all, a.expert_all, a.baseline_all);
  html += "</table><h2>Worst episodes</h2>";
  std::vector<const EvaluatedSeed*> worst;
  for (const EvaluatedSeed& s : report.seeds) {
    if (!s.policy.trajectory.empty()) worst.push_back(&s);  // driving a.episodes have a path
  }
  std::sort(worst.begin(), worst.end(), [](const EvaluatedSeed* a, const EvaluatedSeed* b) {
    return schemas::MetricOr(a->policy.summary, "score") <
           schemas::MetricOr(b->policy.summary, "score");
  });
  worst.resize(std::min<std::size_t>(worst.size(), 3));
  for (const EvaluatedSeed* s : worst) {
    const auto& traj = s->policy.trajectory;
    const double dt = s->config.dt;
    std::vector<double> speed, accel, jerk;
    for (std::size_t i = 0; i < traj.size(); ++i) {
      speed.push_back(traj[i].speed);
      accel.push_back(traj[i].accel);
      jerk.push_back(i == 0 ? 0.0 : (traj[i].accel - traj[i - 1].accel) / dt);
    }
    html += fmt::format("<h3>{} seed {}: score {:.3f}, outcome {}</h3>",
                        std::string(envs::FamilyName(s->family)), s->seed,
                        schemas::MetricOr(s->policy.summary, "score"),
                        std::string(schemas::OutcomeName(s->policy.summary.outcome)));
    html += LineChart("speed", "m/s", speed, dt) + LineChart("acceleration", "m/s²", accel, dt) +
            LineChart("jerk", "m/s³", jerk, dt) + "<br>" + BirdsEye(*s);
  }
  html += "</body></html>\n";
  return html;
}

absl::Status WriteReport(const EvaluationReport& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create report dir '", dir, "': ", ec.message()));
  }
  const Aggregates aggregates = AggregateSeeds(report);
  std::ofstream(dir + "/report.json") << ReportJson(report, aggregates).dump(2) << "\n";
  const std::string html = ReportHtml(report, aggregates);
  std::ofstream(dir + "/report.html") << html;
  if (!std::ifstream(dir + "/report.html")) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write the report in '", dir, "'"));
  }
  return absl::OkStatus();
}

}  // namespace tarmac::cli
