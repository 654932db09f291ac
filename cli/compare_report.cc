#include "compare_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {
namespace {

using json = nlohmann::json;

std::size_t ScoreIndex(const CompareResult& r) {
  return static_cast<std::size_t>(std::find(r.quantities.begin(), r.quantities.end(), "score") -
                                  r.quantities.begin());
}

// The pairs ordered by how much B's score fell below A's on the same seed, worst first.
std::vector<const analysis::PairedOutcome*> MostRegressed(const CompareResult& r, std::size_t n) {
  const std::size_t score = ScoreIndex(r);
  std::vector<const analysis::PairedOutcome*> out;
  for (const analysis::PairedOutcome& p : r.pairs) {
    if (score < p.a.size() && p.b[score] < p.a[score]) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(), [score](const auto* x, const auto* y) {
    return x->b[score] - x->a[score] < y->b[score] - y->a[score];
  });
  if (out.size() > n) out.resize(n);
  return out;
}

// A forest plot: one row per (label, interval), the estimate a dot and the interval a bar, a
// zero line; rows in `bad` red.
std::string Forest(const std::string& title,
                   const std::vector<std::pair<std::string, analysis::Interval>>& rows,
                   const std::vector<bool>& bad) {
  const double w = 560, label_w = 200, row_h = 18, top = 22, bottom = 26;
  const double h = top + bottom + row_h * static_cast<double>(rows.size());
  double lo = 0, hi = 0;
  for (const auto& [label, i] : rows) {
    lo = std::min(lo, i.low);
    hi = std::max(hi, i.high);
  }
  if (hi - lo < 1e-9) {
    lo -= 0.05;
    hi += 0.05;
  }
  const double pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const auto X = [&](double v) { return label_w + (w - label_w - 10) * (v - lo) / (hi - lo); };
  std::string svg = fmt::format(
      "<svg width='{}' height='{:.0f}' class='chart'><text x='4' y='14' class='t'>{}</text>", w, h,
      EscapeHtml(title));
  svg += fmt::format("<line x1='{0:.1f}' x2='{0:.1f}' y1='{1}' y2='{2:.0f}' stroke='#666'/>", X(0),
                     top, h - bottom);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& [label, i] = rows[k];
    const double y = top + row_h * (static_cast<double>(k) + 0.5);
    const char* colour = bad[k] ? "#d62728" : "#1f77b4";
    svg += fmt::format(
        "<text x='4' y='{0:.1f}'>{1}</text>"
        "<line x1='{2:.1f}' x2='{3:.1f}' y1='{4:.1f}' y2='{4:.1f}' stroke='{5}' stroke-width='2'/>"
        "<circle cx='{6:.1f}' cy='{4:.1f}' r='3.5' fill='{5}'/>",
        y + 4, EscapeHtml(label), X(i.low), X(i.high), y, colour, X(i.estimate));
  }
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4.0;
    svg += fmt::format(
        "<line x1='{0:.1f}' x2='{0:.1f}' y1='{1:.0f}' y2='{2:.0f}' stroke='#999'/>"
        "<text x='{0:.1f}' y='{3:.0f}' text-anchor='middle'>{4:.3g}</text>",
        X(v), h - bottom, h - bottom + 4, h - bottom + 16, v);
  }
  return svg + "</svg>";
}

}  // namespace

json CompareJson(const CompareResult& r, const ReportIdentity& identity) {
  json out;
  out["identity"] = IdentityJson(identity);
  out["a"] = r.a;
  out["b"] = r.b;
  out["suite"] = r.suite;
  out["resamples"] = r.resamples;
  out["pairs"] = r.pairs.size();
  json families = json::array();
  for (const analysis::FamilyComparison& f : r.families) {
    json quantities = json::object();
    for (const analysis::QuantityComparison& q : f.quantities) {
      quantities[q.name] = {{"mean_a", q.mean_a},
                            {"mean_b", q.mean_b},
                            {"difference", IntervalJson(q.difference)},
                            {"sign_test_p", q.sign_p}};
    }
    json behaviours = json::object();
    for (const analysis::BehaviourComparison& b : f.behaviours) {
      behaviours[b.name] = {{"episodes_a", b.episodes_a},
                            {"episodes_b", b.episodes_b},
                            {"only_a", b.only_a},
                            {"only_b", b.only_b},
                            {"rate_difference", IntervalJson(b.difference)},
                            {"mcnemar_p", b.mcnemar_p}};
    }
    families.push_back({{"family", f.family},
                        {"pairs", f.pairs},
                        {"quantities", quantities},
                        {"behaviours", behaviours}});
  }
  out["families"] = families;
  json gates = json::array();
  bool passed = true;
  for (const analysis::GateResult& g : r.gates) {
    gates.push_back(
        {{"gate", g.gate->text}, {"family", g.family}, {"passed", g.passed}, {"why", g.why}});
    passed = passed && g.passed;
  }
  out["gates"] = gates;
  out["gates_passed"] = passed;
  json regressed = json::array();
  const std::size_t score = ScoreIndex(r);
  for (const analysis::PairedOutcome* p : MostRegressed(r, 20)) {
    regressed.push_back({{"family", p->family},
                         {"seed", p->seed},
                         {"score_a", p->a[score]},
                         {"score_b", p->b[score]}});
  }
  out["most_regressed"] = regressed;
  return out;
}

absl::Status WriteCompareReport(const CompareResult& r, const ReportIdentity& identity,
                                const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const json j = CompareJson(r, identity);
  if (absl::Status s = util::WriteFileAtomically(dir + "/compare.json", j.dump(2) + "\n");
      !s.ok()) {
    return s;
  }
  std::string html =
      "<!doctype html><html><head><meta charset='utf-8'><title>tarmac compare</title><style>"
      "body{font:14px sans-serif;margin:20px;max-width:1500px}table{border-collapse:collapse;"
      "margin:6px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
      "td:first-child{text-align:left}.chart{margin:4px;border:1px solid #eee}"
      ".chart text{font:11px sans-serif}.t{font-weight:bold}.bad{background:#fbd5d5}"
      ".ok{background:#d8f0d8}.id{color:#555}</style></head><body><h1>tarmac compare</h1>";
  html += fmt::format(
      "<p class='id'>A = {} · B = {} · suite {} · {} paired seeds · {} bootstrap resamples · "
      "commit {} · {}</p>",
      EscapeHtml(r.a), EscapeHtml(r.b), EscapeHtml(r.suite), r.pairs.size(), r.resamples,
      EscapeHtml(j["identity"]["commit"].get<std::string>()),
      j["identity"]["date"].get<std::string>());
  if (!r.gates.empty()) {
    html += "<h2>Gates</h2><table><tr><th>gate</th><th>family</th><th>result</th></tr>";
    for (const analysis::GateResult& g : r.gates) {
      html += fmt::format("<tr class='{}'><td>{}</td><td>{}</td><td>{}: {}</td></tr>",
                          g.passed ? "ok" : "bad", EscapeHtml(g.gate->text), g.family,
                          g.passed ? "pass" : "FAIL", EscapeHtml(g.why));
    }
    html += "</table>";
  }
  const std::size_t score = ScoreIndex(r);
  std::vector<std::pair<std::string, analysis::Interval>> score_rows;
  std::vector<bool> score_bad;
  for (const analysis::FamilyComparison& f : r.families) {
    score_rows.push_back({f.family, f.quantities[score].difference});
    score_bad.push_back(f.quantities[score].difference.high < 0);
  }
  html += "<h2>Score, B - A, by family (95 % bootstrap intervals; red: a significant drop)</h2>";
  html += Forest("score difference", score_rows, score_bad);
  for (const analysis::FamilyComparison& f : r.families) {
    html += fmt::format("<h2>{} ({} seeds)</h2>", f.family, f.pairs);
    std::vector<std::pair<std::string, analysis::Interval>> rows;
    std::vector<bool> bad;
    for (const analysis::BehaviourComparison& b : f.behaviours) {
      rows.push_back({b.name, b.difference});
      bad.push_back(b.difference.low > 0);
    }
    html += Forest("behaviour rate difference per episode (red: a significant rise)", rows, bad);
    html +=
        "<table><tr><th>quantity</th><th>A</th><th>B</th><th>B - A [95 % CI]</th><th>sign "
        "test p</th></tr>";
    for (const analysis::QuantityComparison& q : f.quantities) {
      const bool significant = q.difference.low > 0 || q.difference.high < 0;
      html += fmt::format(
          "<tr{}><td>{}</td><td>{:.4g}</td><td>{:.4g}</td><td>{:+.4g} [{:.4g}, {:.4g}]</td>"
          "<td>{:.3g}</td></tr>",
          significant ? " style='font-weight:bold'" : "", q.name, q.mean_a, q.mean_b,
          q.difference.estimate, q.difference.low, q.difference.high, q.sign_p);
    }
    html +=
        "</table><table><tr><th>behaviour</th><th>A episodes</th><th>B episodes</th>"
        "<th>rate B - A [95 % CI]</th><th>McNemar p</th></tr>";
    for (const analysis::BehaviourComparison& b : f.behaviours) {
      html += fmt::format(
          "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{:+.3f} [{:.3f}, {:.3f}]</td><td>{:.3g}"
          "</td></tr>",
          b.difference.low > 0 ? " class='bad'" : "", b.name, b.episodes_a, b.episodes_b,
          b.difference.estimate, b.difference.low, b.difference.high, b.mcnemar_p);
    }
    html += "</table>";
  }
  html +=
      "<h2>Most regressed seeds (B's score below A's on the same seed)</h2><table>"
      "<tr><th>family</th><th>seed</th><th>A score</th><th>B score</th></tr>";
  for (const analysis::PairedOutcome* p : MostRegressed(r, 20)) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td></tr>", p->family,
                        p->seed, p->a[score], p->b[score]);
  }
  html += "</table></body></html>";
  return util::WriteFileAtomically(dir + "/compare.html", html);
}

}  // namespace tarmac::cli
