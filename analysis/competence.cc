#include "tarmac/analysis/competence.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::analysis {
namespace {

using Key = std::pair<std::string, std::uint64_t>;  // (family, seed)

// The same policies and the same (family, seed) episodes in every run, or why not.
absl::Status CheckComparable(const std::vector<RunEvaluation>& runs) {
  if (runs.empty()) return absl::InvalidArgumentError("no runs to aggregate; name at least one");
  std::set<Key> first;
  for (const auto& e : runs[0].episodes) first.insert({e.family, e.seed});
  for (const RunEvaluation& run : runs) {
    if (run.episodes.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("run ", run.name, " holds no evaluated episodes; was its eval phase done?"));
    }
    if (run.policies != runs[0].policies) {
      return absl::InvalidArgumentError(
          absl::StrCat("run ", run.name, " evaluated policies ", absl::StrJoin(run.policies, ", "),
                       " and run ", runs[0].name, " ", absl::StrJoin(runs[0].policies, ", "),
                       "; aggregate runs of the same kind"));
    }
    std::set<Key> keys;
    for (const auto& e : run.episodes) {
      if (e.score.size() != run.policies.size() || e.at_fault.size() != run.policies.size()) {
        return absl::InvalidArgumentError(absl::StrCat("run ", run.name, ": episode ", e.family,
                                                       "/", e.seed, " lacks a policy's figures"));
      }
      if (!keys.insert({e.family, e.seed}).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("run ", run.name, " holds episode ", e.family, "/", e.seed, " twice"));
      }
    }
    if (keys != first) {
      return absl::InvalidArgumentError(
          absl::StrCat("runs ", runs[0].name, " and ", run.name,
                       " were evaluated on different episodes (suites or seeds); paired figures "
                       "need the same suite"));
    }
  }
  return absl::OkStatus();
}

// The row of one family ("" = every episode), episodes in the same order in every run.
CompetenceRow Row(const std::vector<RunEvaluation>& runs, const std::string& family, int resamples,
                  std::uint64_t seed) {
  const std::size_t policies = runs[0].policies.size();
  // data[run][episode] -> the run's episode, matched by key.
  std::vector<std::vector<const RunEvaluation::Episode*>> data(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    std::map<Key, const RunEvaluation::Episode*> sorted;
    for (const auto& e : runs[r].episodes) {
      if (family.empty() || e.family == family) sorted[{e.family, e.seed}] = &e;
    }
    for (const auto& [key, e] : sorted) data[r].push_back(e);
  }
  const std::size_t n = data[0].size();
  // The statistics of one (possibly resampled) set of runs: per policy mean score, at-fault
  // rate, and the first policy's differences from each.
  struct Stats {
    std::vector<double> score, fault, score_diff, fault_diff;
  };
  const auto mean_of = [&](const std::vector<std::size_t>& run_pick,
                           const std::vector<std::vector<std::size_t>>& episode_pick) {
    Stats s{std::vector<double>(policies), std::vector<double>(policies),
            std::vector<double>(policies), std::vector<double>(policies)};
    for (std::size_t i = 0; i < run_pick.size(); ++i) {
      const auto& episodes = data[run_pick[i]];
      for (std::size_t p = 0; p < policies; ++p) {
        double score = 0, fault = 0, score_diff = 0, fault_diff = 0;
        for (std::size_t k : episode_pick[i]) {
          const auto& e = *episodes[k];
          score += e.score[p];
          fault += e.at_fault[p] ? 1.0 : 0.0;
          score_diff += e.score[0] - e.score[p];
          fault_diff += (e.at_fault[0] ? 1.0 : 0.0) - (e.at_fault[p] ? 1.0 : 0.0);
        }
        const double m = static_cast<double>(episode_pick[i].size());
        s.score[p] += score / m;
        s.fault[p] += fault / m;
        s.score_diff[p] += score_diff / m;
        s.fault_diff[p] += fault_diff / m;
      }
    }
    const double k = static_cast<double>(run_pick.size());
    for (auto* v : {&s.score, &s.fault, &s.score_diff, &s.fault_diff}) {
      for (double& x : *v) x /= k;
    }
    return s;
  };

  std::vector<std::size_t> all_runs(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) all_runs[r] = r;
  std::vector<std::size_t> all_episodes(n);
  for (std::size_t k = 0; k < n; ++k) all_episodes[k] = k;
  const Stats estimate =
      mean_of(all_runs, std::vector<std::vector<std::size_t>>(runs.size(), all_episodes));

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick_run(0, runs.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_episode(0, n - 1);
  std::vector<Stats> draws;
  draws.reserve(static_cast<std::size_t>(resamples));
  std::vector<std::size_t> run_pick(runs.size());
  std::vector<std::vector<std::size_t>> episode_pick(runs.size(), std::vector<std::size_t>(n));
  for (int b = 0; b < resamples; ++b) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      run_pick[i] = pick_run(rng);
      for (std::size_t& k : episode_pick[i]) k = pick_episode(rng);
    }
    draws.push_back(mean_of(run_pick, episode_pick));
  }
  const auto interval = [&](double point, auto member, std::size_t p) {
    std::vector<double> values;
    values.reserve(draws.size());
    for (const Stats& s : draws) values.push_back((s.*member)[p]);
    std::sort(values.begin(), values.end());
    const auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
      return values[std::min(i, values.size() - 1)];
    };
    return Interval{point, at(0.025), at(0.975)};
  };

  CompetenceRow row;
  row.family = family.empty() ? "overall" : family;
  row.episodes_per_run = n;
  for (std::size_t p = 0; p < policies; ++p) {
    row.score.push_back(interval(estimate.score[p], &Stats::score, p));
    row.at_fault_rate.push_back(interval(estimate.fault[p], &Stats::fault, p));
    row.score_difference.push_back(interval(estimate.score_diff[p], &Stats::score_diff, p));
    row.at_fault_difference.push_back(interval(estimate.fault_diff[p], &Stats::fault_diff, p));
  }
  for (std::size_t r = 0; r < runs.size(); ++r) {
    row.run_score.push_back(mean_of({r}, {all_episodes}).score);
  }
  return row;
}

}  // namespace

absl::StatusOr<CompetenceReport> AggregateRuns(const std::vector<RunEvaluation>& runs,
                                               int resamples, std::uint64_t seed) {
  if (absl::Status s = CheckComparable(runs); !s.ok()) return s;
  if (resamples < 2) return absl::InvalidArgumentError("resamples must be at least 2");
  CompetenceReport report;
  report.policies = runs[0].policies;
  for (const RunEvaluation& run : runs) report.runs.push_back(run.name);
  std::set<std::string> families;
  for (const auto& e : runs[0].episodes) families.insert(e.family);
  std::uint64_t row_seed = seed;
  for (const std::string& family : families) {
    report.rows.push_back(Row(runs, family, resamples, row_seed++));
  }
  report.rows.push_back(Row(runs, "", resamples, row_seed));
  return report;
}

}  // namespace tarmac::analysis
