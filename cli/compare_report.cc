#include "compare_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "report_charts.h"
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
  HtmlPage page("tarmac compare: " + r.b + " against " + r.a, j["identity"]);
  std::string html = fmt::format(
      "<p>A = {} · B = {} · suite {} · {} paired seeds (common random numbers) · {} bootstrap "
      "resamples</p>",
      EscapeHtml(r.a), EscapeHtml(r.b), EscapeHtml(r.suite), r.pairs.size(), r.resamples);
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
  page.Add(html +
           "<h2>Score, B - A, by family (95 % bootstrap intervals; red: a significant drop)</h2>");
  html.clear();
  page.AddChart(
      ForestChart("score difference B - A", "paired score difference", score_rows, score_bad), 560,
      70 + 26 * static_cast<int>(score_rows.size()));
  for (const analysis::FamilyComparison& f : r.families) {
    page.Add(fmt::format("<h2>{} ({} seeds)</h2>", f.family, f.pairs));
    std::vector<std::pair<std::string, analysis::Interval>> rows;
    std::vector<bool> bad;
    for (const analysis::BehaviourComparison& b : f.behaviours) {
      rows.push_back({b.name, b.difference});
      bad.push_back(b.difference.low > 0);
    }
    page.AddChart(ForestChart("behaviour rate difference B - A (red: a significant rise)",
                              "difference in episodes with the behaviour (fraction)", rows, bad),
                  560, 70 + 26 * static_cast<int>(rows.size()));
    html =
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
    page.Add(html + "</table>");
    html.clear();
  }
  html +=
      "<h2>Most regressed seeds (B's score below A's on the same seed)</h2><table>"
      "<tr><th>family</th><th>seed</th><th>A score</th><th>B score</th></tr>";
  for (const analysis::PairedOutcome* p : MostRegressed(r, 20)) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td></tr>", p->family,
                        p->seed, p->a[score], p->b[score]);
  }
  page.Add(html + "</table>");
  return util::WriteFileAtomically(dir + "/compare.html", page.Finish());
}

}  // namespace tarmac::cli
