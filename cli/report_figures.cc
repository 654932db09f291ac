#include "report_figures.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tarmac::cli {

double Score(const envs::EpisodeResult& r) { return schemas::MetricOr(r.summary, "score"); }

const envs::EpisodeResult& ReferenceResult(const EvaluationReport& report, const EvaluatedSeed& s) {
  return report.reference < 0 ? s.expert : s.results[static_cast<std::size_t>(report.reference)];
}

std::string IntervalText(const analysis::Interval& i, const char* format) {
  return fmt::format(fmt::runtime(std::string(format) + " [" + format + ", " + format + "]"),
                     i.estimate, i.low, i.high);
}

bool Significant(const analysis::Interval& i) { return i.low > 0 || i.high < 0; }

namespace {

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

}  // namespace tarmac::cli
