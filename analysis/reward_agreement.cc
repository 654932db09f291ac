#include "tarmac/analysis/reward_agreement.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "absl/strings/str_cat.h"

namespace tarmac::analysis {
namespace {

// Ranks 1..n, ties given their average rank.
std::vector<double> Ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> rank(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = average;
    i = j + 1;
  }
  return rank;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

}  // namespace

absl::StatusOr<std::vector<TermAgreement>> RewardAgreement(
    const std::vector<ScoredEpisode>& episodes, double min_score_gap) {
  if (episodes.size() < 2) {
    return absl::InvalidArgumentError(
        "reward agreement needs at least two evaluated episodes; evaluate more seeds");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < episodes.size(); ++i) {
    const ScoredEpisode& e = episodes[i];
    if (!std::isfinite(e.score)) {
      return absl::InvalidArgumentError(
          absl::StrCat("episode ", i, " (", e.scenario, ") has a score that is not finite"));
    }
    for (const auto& [name, value] : e.returns) {
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "episode ", i, " (", e.scenario, ") has a return of ", name, " that is not finite"));
      }
      names.insert(name);
    }
  }
  std::map<std::string, std::vector<std::size_t>> by_scenario;
  for (std::size_t i = 0; i < episodes.size(); ++i) by_scenario[episodes[i].scenario].push_back(i);
  std::vector<double> score(episodes.size());
  for (std::size_t i = 0; i < episodes.size(); ++i) score[i] = episodes[i].score;
  const std::vector<double> score_rank = Ranks(score);

  std::vector<TermAgreement> out;
  for (const std::string& name : names) {
    TermAgreement row;
    row.term = name;
    std::vector<double> value(episodes.size());
    for (std::size_t i = 0; i < episodes.size(); ++i) {
      const auto it = episodes[i].returns.find(name);
      value[i] = it == episodes[i].returns.end() ? 0.0 : it->second;
    }
    std::size_t concordant = 0;
    for (const auto& [scenario, members] : by_scenario) {
      for (std::size_t x = 0; x < members.size(); ++x) {
        for (std::size_t y = x + 1; y < members.size(); ++y) {
          const std::size_t a = members[x], b = members[y];
          const double ds = score[a] - score[b];
          if (std::abs(ds) <= min_score_gap) continue;
          ++row.pairs;
          const double dv = value[a] - value[b];
          const double scale = std::max({1.0, std::abs(value[a]), std::abs(value[b])});
          if (std::abs(dv) <= 1e-9 * scale) {
            ++row.ties;
          } else if ((dv > 0) == (ds > 0)) {
            ++concordant;
          }
        }
      }
    }
    row.concordance = WilsonInterval(concordant, row.pairs - row.ties);
    row.rank_correlation = Pearson(Ranks(value), score_rank);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace tarmac::analysis
