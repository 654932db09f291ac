#ifndef TARMAC_ANALYSIS_REWARD_AGREEMENT_H_
#define TARMAC_ANALYSIS_REWARD_AGREEMENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/analysis/statistics.h"

namespace tarmac::analysis {

// One evaluated episode: the scenario it drove (family and seed, so that several policies on
// the same scenario pair up), its closed-loop score and its undiscounted returns, per reward
// term and in total (any names; the total is usually "return").
struct ScoredEpisode {
  std::string scenario;
  double score = 0.0;
  std::map<std::string, double> returns;
};

// How well one return ranks episodes the way the score does: the question RL asks of a reward,
// since it climbs the return and is judged by the score.
struct TermAgreement {
  std::string term;
  // Pairs of episodes on the same scenario whose scores differ by more than the gap, and of
  // them those where the term's returns are equal (within 1e-9 of each other's scale).
  std::size_t pairs = 0;
  std::size_t ties = 0;
  // Share of the untied pairs whose higher return has the higher score; Wilson 95 %. Above 0.5:
  // more of the term means a better score; below: the term pulls against it.
  Interval concordance;
  // Spearman's rank correlation of the term with the score over all episodes (ties averaged).
  double rank_correlation = 0.0;
};

// Every name that any episode's returns carry, in name order. InvalidArgument when there are
// fewer than two episodes or a score or return is not finite. O(terms * (e log e + pairs)),
// pairs being those within each scenario.
absl::StatusOr<std::vector<TermAgreement>> RewardAgreement(
    const std::vector<ScoredEpisode>& episodes, double min_score_gap = 0.01);

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_REWARD_AGREEMENT_H_
