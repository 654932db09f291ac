#include "mine_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tarmac/cli/build_info.h"
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

std::string Now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return text;
}

}  // namespace

json IntervalJson(const analysis::Interval& i) {
  return {{"estimate", i.estimate}, {"low", i.low}, {"high", i.high}};
}

json IdentityJson(const ReportIdentity& identity) {
  return {{"command", identity.command},       {"sources", identity.sources},
          {"behaviours", identity.behaviours}, {"commit", GetBuildInfo().git_hash},
          {"version", GetBuildInfo().version}, {"date", Now()}};
}

std::string EscapeHtml(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"'", "&#39;"}});
}

namespace {

std::string Escape(const std::string& text) { return EscapeHtml(text); }

// A round step near range / 5: 1, 2 or 5 times a power of ten.
double TickStep(double range) {
  const double raw = std::max(range, 1e-9) / 5.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10.0 * power;
}

// A time series sampled every `dt` s, with ticks on both axes, its unit, and the window
// [mark_begin, mark_end) s shaded.
std::string TimeChart(const std::string& title, const std::string& unit,
                      const std::vector<double>& ys, double dt, double mark_begin,
                      double mark_end) {
  const double w = 360, h = 170, left = 44, right = 8, top = 20, bottom = 30;
  const double t_hi = std::max(dt * static_cast<double>(ys.size() > 1 ? ys.size() - 1 : 1), dt);
  double lo = ys.empty() ? 0 : *std::min_element(ys.begin(), ys.end());
  double hi = ys.empty() ? 1 : *std::max_element(ys.begin(), ys.end());
  if (hi - lo < 1e-6) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double y_step = TickStep(hi - lo);
  lo = std::floor(lo / y_step) * y_step;
  hi = std::ceil(hi / y_step) * y_step;
  const auto X = [&](double t) { return left + (w - left - right) * t / t_hi; };
  const auto Y = [&](double v) { return h - bottom - (h - top - bottom) * (v - lo) / (hi - lo); };
  std::string svg = fmt::format(
      "<svg width='{}' height='{}' class='chart'><text x='{}' y='13' class='t'>{} ({})</text>", w,
      h, left, Escape(title), unit);
  svg +=
      fmt::format("<rect x='{:.1f}' y='{}' width='{:.1f}' height='{}' fill='#fde2c8'/>",
                  X(mark_begin), top, std::max(1.0, X(mark_end) - X(mark_begin)), h - top - bottom);
  for (double v = lo; v <= hi + y_step * 1e-6; v += y_step) {
    svg += fmt::format(
        "<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' stroke='#e5e5e5'/>"
        "<text x='{}' y='{:.1f}' text-anchor='end'>{:g}</text>",
        left, w - right, Y(v), Y(v), left - 4, Y(v) + 4, std::round(v / y_step) * y_step);
  }
  const double t_step = TickStep(t_hi);
  for (double t = 0; t <= t_hi + 1e-9; t += t_step) {
    svg += fmt::format(
        "<line x1='{0:.1f}' x2='{0:.1f}' y1='{1}' y2='{2}' stroke='#999'/>"
        "<text x='{0:.1f}' y='{3}' text-anchor='middle'>{4:g}</text>",
        X(t), h - bottom, h - bottom + 4, h - bottom + 16, t);
  }
  svg += fmt::format("<text x='{}' y='{}' text-anchor='end'>time (s)</text>", w - right, h - 2);
  std::string points;
  for (std::size_t i = 0; i < ys.size(); ++i) {
    points += fmt::format("{:.1f},{:.1f} ", X(dt * static_cast<double>(i)), Y(ys[i]));
  }
  svg += fmt::format("<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='{}'/>",
                     points);
  return svg + "</svg>";
}

// The scene at `step` to scale: the road's lanes near the ego, the ego (blue) and every logged
// vehicle (grey; the leader orange) as their boxes, with a 10 m scale bar. Frenet coordinates
// (s along the road, d across), so a curve reads straight.
std::string SceneSvg(const schemas::EpisodeLog& log, std::size_t step) {
  const schemas::LoggedStep& at = log.steps[step];
  const double w = 720, h = 150, metres = 120.0;  // s from -40 m to +80 m around the ego
  const double scale = w / metres;
  const double s0 = at.ego.s - 40.0;
  const double d_mid = at.ego.d;
  const auto X = [&](double s) { return (s - s0) * scale; };
  const auto Y = [&](double d) { return h / 2 - (d - d_mid) * scale; };
  std::string svg = fmt::format("<svg width='{}' height='{}' class='scene'>", w, h);
  svg += fmt::format("<rect width='{}' height='{}' fill='#f4f4f4'/>", w, h);
  int lo_lane = at.ego.lane, hi_lane = at.ego.lane;
  for (const schemas::LoggedVehicle& v : at.vehicles) {
    lo_lane = std::min(lo_lane, v.lane);
    hi_lane = std::max(hi_lane, v.lane);
  }
  const double lane_width = 3.5;
  for (int lane = lo_lane; lane <= hi_lane + 1; ++lane) {
    const double d = (lane - 0.5) * lane_width;
    svg +=
        fmt::format("<line x1='0' x2='{}' y1='{:.1f}' y2='{:.1f}' stroke='#bbb' {}/>", w, Y(d),
                    Y(d), lane == lo_lane || lane == hi_lane + 1 ? "" : "stroke-dasharray='6 6'");
  }
  const auto box = [&](double s, double d, double length, double width, const char* fill,
                       const std::string& label) {
    return fmt::format(
        "<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='{}'/>"
        "<text x='{:.1f}' y='{:.1f}' class='v'>{}</text>",
        X(s - length / 2), Y(d + width / 2), length * scale, width * scale, fill, X(s - length / 2),
        Y(d + width / 2) - 2, label);
  };
  for (const schemas::LoggedVehicle& v : at.vehicles) {
    if (v.s < s0 || v.s > s0 + metres) continue;
    svg += box(v.s, v.d, v.length, v.width, v.id == at.leader_id ? "#ff7f0e" : "#888",
               fmt::format("{:.0f} m/s", v.speed));
  }
  svg += box(at.ego.s, at.ego.d, 4.8, 1.9, "#1f77b4", fmt::format("ego {:.0f} m/s", at.ego.speed));
  svg += fmt::format(
      "<line x1='10' x2='{0:.1f}' y1='{1}' y2='{1}' stroke='#000' stroke-width='2'/>"
      "<text x='10' y='{2}'>10 m</text></svg>",
      10 + 10 * scale, h - 8, h - 12);
  return svg;
}

// The time-to-collision with the leader at each step (capped at `cap`).
std::vector<double> TtcSeries(const schemas::EpisodeLog& log, double cap) {
  std::vector<double> out;
  for (const schemas::LoggedStep& s : log.steps) {
    const double closing = s.ego.speed - s.leader_speed;
    out.push_back(s.leader_id != 0 && closing > 0 ? std::min(cap, s.leader_gap / closing) : cap);
  }
  return out;
}

std::string CaseBundle(const analysis::MineResult& result, const analysis::MinedCase& c) {
  const analysis::MinedEpisode& e = result.episodes[c.episode];
  std::string html = fmt::format(
      "<div class='case'><h4>{} seed {}, {} v{}: severity {:.3g}, t = {:.1f} s</h4><p>{}</p>",
      e.scenario, e.seed, Escape(e.policy), e.policy_version, c.occurrence.severity,
      e.dt * static_cast<double>(c.occurrence.trigger_step), Escape(e.source));
  absl::StatusOr<schemas::EpisodeLog> log = schemas::ReadEpisodeLogFile(e.source);
  if (!log.ok() || log->steps.empty()) {
    return html +
           "<p>(the log can no longer be read: " + Escape(std::string(log.status().message())) +
           ")</p></div>";
  }
  std::vector<double> speed, accel, jerk;
  for (const schemas::LoggedStep& s : log->steps) {
    speed.push_back(s.ego.speed);
    accel.push_back(s.ego.accel);
    jerk.push_back(jerk.empty() ? 0.0 : (s.ego.accel - accel[accel.size() - 2]) / log->dt);
  }
  const double b = log->dt * static_cast<double>(c.occurrence.trigger_step);
  const double end = log->dt * static_cast<double>(c.occurrence.end_step - 1);
  html += TimeChart("speed", "m/s", speed, log->dt, b, end);
  html += TimeChart("acceleration", "m/s²", accel, log->dt, b, end);
  html += TimeChart("jerk", "m/s³", jerk, log->dt, b, end);
  html += TimeChart("TTC to the leader, capped at 10", "s", TtcSeries(*log, 10.0), log->dt, b, end);
  html += "<br>" + SceneSvg(*log, std::min(c.occurrence.trigger_step, log->steps.size() - 1));
  const analysis::MetricValues& m = c.occurrence.metrics;
  html += "<p class='m'>";
  for (const analysis::MetricInfo& info : analysis::kMetricInfo) {
    html += fmt::format("{} = {:.3g}{}{}; ", info.name, m[info.metric], *info.unit ? " " : "",
                        info.unit);
  }
  return html + "</p></div>";
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

std::string MineHtml(const analysis::MineResult& result, const json& identity) {
  std::string html =
      "<!doctype html><html><head><meta charset='utf-8'><title>tarmac mine</title><style>"
      "body{font:14px sans-serif;margin:20px;max-width:1500px}table{border-collapse:collapse;"
      "margin:6px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
      "td:first-child{text-align:left}.chart,.scene{margin:4px;border:1px solid #eee}"
      ".chart text,.scene text{font:10px sans-serif}.t{font-weight:bold}"
      ".m{font-size:11px;color:#555}.id{color:#555}.case{border-top:1px solid #ddd}"
      "</style></head><body><h1>tarmac mine</h1>";
  html += fmt::format("<p class='id'>{} · {} episodes · commit {} · {} · behaviours: {}</p>",
                      Escape(identity["command"].get<std::string>()), result.episodes.size(),
                      Escape(identity["commit"].get<std::string>()),
                      identity["date"].get<std::string>(),
                      Escape(identity["behaviours"].get<std::string>()));
  html += "<h2>Rates</h2><table>" + std::string(kRateHeader);
  for (const analysis::BehaviourFindings& f : result.findings) {
    analysis::RateCell row = f.overall;
    row.group = f.name;
    html += RateRow(row);
  }
  html += "</table>";
  for (std::size_t b = 0; b < result.findings.size(); ++b) {
    const analysis::BehaviourFindings& f = result.findings[b];
    html += fmt::format("<h2 id='{0}'>{0}</h2><p>{1} <code>when: {2}</code></p>", Escape(f.name),
                        Escape(f.description), Escape(result.behaviours[b].when.text()));
    html += "<h3>By family</h3><table>" + std::string(kRateHeader);
    for (const analysis::RateCell& c : f.by_family) html += RateRow(c);
    html += "</table><h3>By policy</h3><table>" + std::string(kRateHeader);
    for (const analysis::RateCell& c : f.by_policy) html += RateRow(c);
    html += "</table>";
    if (!f.by_parameter.empty()) {
      html += "<details><summary>By scenario parameter</summary>";
      for (const analysis::ParameterBreakdown& p : f.by_parameter) {
        if (std::none_of(p.bins.begin(), p.bins.end(),
                         [](const analysis::RateCell& c) { return c.occurrences > 0; })) {
          continue;
        }
        html += "<h4>" + p.family + ": " + p.parameter + "</h4><table>" + kRateHeader;
        for (const analysis::RateCell& c : p.bins) html += RateRow(c);
        html += "</table>";
      }
      html += "</details>";
    }
    html += fmt::format("<h3>Worst cases ({})</h3>", f.worst.size());
    for (const analysis::MinedCase& c : f.worst) html += CaseBundle(result, c);
  }
  return html + "</body></html>";
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
