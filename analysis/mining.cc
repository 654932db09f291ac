#include "tarmac/analysis/mining.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tarmac::analysis {

MinedEpisode MineEpisode(const schemas::EpisodeLog& log, const std::vector<Behaviour>& behaviours,
                         std::string source, const MetricOptions& options) {
  MinedEpisode e;
  e.source = std::move(source);
  e.scenario = log.scenario;
  e.seed = log.seed;
  e.policy = log.policy;
  e.policy_version = log.policy_version;
  e.parameters = log.parameters;
  e.env_config = log.env_config;
  e.dt = log.dt;
  e.km = log.summary.distance_m / 1000.0;
  e.score = schemas::MetricOr(log.summary, "score");
  e.exposures.reserve(behaviours.size());
  e.occurrences.reserve(behaviours.size());
  const MetricValues episode = ComputeEpisodeMetrics(log, options);
  for (const Behaviour& b : behaviours) {
    BehaviourMatch match = FindBehaviour(b, log, episode, options);
    e.exposures.push_back(match.exposures);
    e.occurrences.push_back(std::move(match.occurrences));
  }
  return e;
}

std::optional<MinedEpisode> MineSummary(const schemas::EpisodeSummary& summary,
                                        const std::vector<Behaviour>& behaviours,
                                        std::string source) {
  MinedEpisode e;
  e.source = std::move(source);
  e.scenario = summary.scenario;
  e.seed = summary.seed;
  e.policy = summary.actor_id;
  e.policy_version = summary.policy_version;
  e.km = summary.distance_m / 1000.0;
  e.score = schemas::MetricOr(summary, "score");
  for (const Behaviour& b : behaviours) {
    const double found = schemas::MetricOr(summary, "behaviour." + b.name, -1.0);
    if (found < 0) return std::nullopt;
    const double exposures = schemas::MetricOr(summary, "exposure." + b.name, 1.0);
    e.occurrences.emplace_back(static_cast<std::size_t>(found));
    e.exposures.push_back(static_cast<std::size_t>(std::max(0.0, exposures)));
  }
  return e;
}

namespace {

void Add(const MinedEpisode& e, std::size_t behaviour, RateCell* cell) {
  const std::size_t found = e.occurrences[behaviour].size();
  ++cell->episodes;
  cell->episodes_with += found > 0 ? 1 : 0;
  cell->occurrences += found;
  cell->exposures += e.exposures[behaviour];
  cell->km += e.km;
}

void Finish(RateCell* cell) {
  cell->per_episode = WilsonInterval(cell->episodes_with, cell->episodes);
  cell->per_exposure =
      WilsonInterval(std::min(cell->occurrences, cell->exposures), cell->exposures);
  cell->per_1000km = PoissonRateInterval(cell->occurrences, cell->km, 1000.0);
}

// Cells keyed by group name, finished, in name order.
std::vector<RateCell> Cells(std::map<std::string, RateCell> by_key) {
  std::vector<RateCell> out;
  for (auto& [key, cell] : by_key) {
    cell.group = key;
    Finish(&cell);
    out.push_back(std::move(cell));
  }
  return out;
}

// `value` to four significant digits, for bin labels.
std::string Short(double value) {
  std::ostringstream text;
  text << std::setprecision(4) << value;
  return text.str();
}

std::string PolicyGroup(const MinedEpisode& e) {
  return absl::StrCat(e.policy.empty() ? "policy" : e.policy, " v", e.policy_version);
}

// The family's drawn parameters with their values per episode (episodes of `family` only).
std::map<std::string, std::vector<std::pair<double, std::size_t>>> ParameterValues(
    const std::vector<MinedEpisode>& episodes, const std::string& family) {
  std::map<std::string, std::vector<std::pair<double, std::size_t>>> values;
  for (std::size_t i = 0; i < episodes.size(); ++i) {
    if (episodes[i].scenario != family) continue;
    for (const schemas::NamedValue& p : episodes[i].parameters) {
      values[p.name].push_back({p.value, i});
    }
  }
  return values;
}

std::vector<ParameterBreakdown> ByParameter(const std::vector<MinedEpisode>& episodes,
                                            const std::vector<std::string>& families,
                                            std::size_t behaviour, int bins) {
  std::vector<ParameterBreakdown> out;
  for (const std::string& family : families) {
    for (const auto& [name, values] : ParameterValues(episodes, family)) {
      const auto [lo_it, hi_it] =
          std::minmax_element(values.begin(), values.end(),
                              [](const auto& a, const auto& b) { return a.first < b.first; });
      const double lo = lo_it->first;
      const double hi = hi_it->first;
      if (!(hi > lo)) continue;
      ParameterBreakdown p;
      p.family = family;
      p.parameter = name;
      for (int k = 0; k <= bins; ++k) p.edges.push_back(lo + (hi - lo) * k / bins);
      p.bins.resize(static_cast<std::size_t>(bins));
      for (const auto& [value, index] : values) {
        const int k = std::min(bins - 1, static_cast<int>((value - lo) / (hi - lo) * bins));
        Add(episodes[index], behaviour, &p.bins[static_cast<std::size_t>(k)]);
      }
      for (int k = 0; k < bins; ++k) {
        RateCell& cell = p.bins[static_cast<std::size_t>(k)];
        cell.group = absl::StrCat(name, " ", Short(p.edges[k]), k + 1 == bins ? "..." : "..<",
                                  Short(p.edges[k + 1]));
        Finish(&cell);
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace

MineResult Summarise(std::vector<MinedEpisode> episodes, std::vector<Behaviour> behaviours,
                     std::size_t worst_cases, int bins) {
  MineResult result;
  result.behaviours = std::move(behaviours);
  result.episodes = std::move(episodes);
  std::vector<std::string> families;
  for (const MinedEpisode& e : result.episodes) families.push_back(e.scenario);
  std::sort(families.begin(), families.end());
  families.erase(std::unique(families.begin(), families.end()), families.end());

  for (std::size_t b = 0; b < result.behaviours.size(); ++b) {
    BehaviourFindings f;
    f.name = result.behaviours[b].name;
    f.description = result.behaviours[b].description;
    std::map<std::string, RateCell> by_family, by_policy;
    for (std::size_t i = 0; i < result.episodes.size(); ++i) {
      const MinedEpisode& e = result.episodes[i];
      Add(e, b, &f.overall);
      Add(e, b, &by_family[e.scenario]);
      Add(e, b, &by_policy[PolicyGroup(e)]);
      for (const Occurrence& o : e.occurrences[b]) f.worst.push_back({i, b, o});
    }
    f.overall.group = "all";
    Finish(&f.overall);
    f.by_family = Cells(std::move(by_family));
    f.by_policy = Cells(std::move(by_policy));
    f.by_parameter = ByParameter(result.episodes, families, b, bins);
    // Ties keep episode order, so the ranking does not depend on the sort's implementation.
    std::stable_sort(f.worst.begin(), f.worst.end(), [](const MinedCase& x, const MinedCase& y) {
      return x.occurrence.severity > y.occurrence.severity;
    });
    if (f.worst.size() > worst_cases) f.worst.resize(worst_cases);
    result.findings.push_back(std::move(f));
  }
  return result;
}

std::vector<std::size_t> EpisodesWithCases(const MineResult& result) {
  std::vector<std::pair<double, std::size_t>> ranked;
  for (std::size_t i = 0; i < result.episodes.size(); ++i) {
    double worst = -1.0;
    bool any = false;
    for (const std::vector<Occurrence>& found : result.episodes[i].occurrences) {
      for (const Occurrence& o : found) {
        worst = any ? std::max(worst, o.severity) : o.severity;
        any = true;
      }
    }
    if (any) ranked.push_back({worst, i});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::size_t> out;
  for (const auto& [severity, index] : ranked) out.push_back(index);
  return out;
}

}  // namespace tarmac::analysis
