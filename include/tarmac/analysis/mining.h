#ifndef TARMAC_ANALYSIS_MINING_H_
#define TARMAC_ANALYSIS_MINING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/statistics.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::analysis {

// What mining keeps of one logged episode: where it came from, what it was, and where each
// behaviour occurred in it. The log itself is not kept (a case's bundle re-reads `source`).
struct MinedEpisode {
  std::string source;  // the log file
  std::string scenario;
  std::uint64_t seed = 0;
  std::string policy;
  std::uint64_t policy_version = 0;
  std::vector<schemas::NamedValue> parameters;
  std::vector<schemas::ConfigEntry> env_config;
  double dt = 0.1;
  double km = 0.0;  // distance driven
  double score = 0.0;
  std::vector<std::size_t> exposures;                // per behaviour: its trigger onsets
  std::vector<std::vector<Occurrence>> occurrences;  // per behaviour, in step order
};

// Finds every behaviour of `behaviours` in `log`. O(steps * (1 + triggers)).
MinedEpisode MineEpisode(const schemas::EpisodeLog& log, const std::vector<Behaviour>& behaviours,
                         std::string source, const MetricOptions& options = {});

// The same from an episode summary an actor analysed (its "behaviour.<name>" and
// "exposure.<name>" metrics; tarmac:episodes carries them): occurrences without windows, so
// without metrics or severity. Nullopt when the summary lacks a behaviour's count (the actor
// did not record that episode, or counts other behaviours).
std::optional<MinedEpisode> MineSummary(const schemas::EpisodeSummary& summary,
                                        const std::vector<Behaviour>& behaviours,
                                        std::string source);

// A behaviour's rate in one group of episodes (all, a family, a parameter bin, a policy).
struct RateCell {
  std::string group;
  std::uint64_t episodes = 0;
  std::uint64_t episodes_with = 0;  // episodes where it occurred at least once
  std::uint64_t occurrences = 0;
  std::uint64_t exposures = 0;  // trigger onsets (episodes for whole-episode behaviours)
  double km = 0.0;
  Interval per_episode;   // episodes_with / episodes, 95 % Wilson
  Interval per_exposure;  // occurrences / exposures, 95 % Wilson (capped at 1 per exposure)
  Interval per_1000km;    // occurrences per 1000 km, 95 % Poisson
};

// A behaviour's rate over equal-width bins of one drawn parameter of one family.
struct ParameterBreakdown {
  std::string family;
  std::string parameter;
  std::vector<double> edges;  // bins + 1 edges; the last bin includes its upper edge
  std::vector<RateCell> bins;
};

// One occurrence of a behaviour in one episode.
struct MinedCase {
  std::size_t episode = 0;  // index into MineResult::episodes
  std::size_t behaviour = 0;
  Occurrence occurrence;
};

struct BehaviourFindings {
  std::string name;
  std::string description;
  RateCell overall;
  std::vector<RateCell> by_family;
  std::vector<RateCell> by_policy;  // "<policy> v<version>"
  std::vector<ParameterBreakdown> by_parameter;
  std::vector<MinedCase> worst;  // highest severity first
};

struct MineResult {
  std::vector<Behaviour> behaviours;
  std::vector<MinedEpisode> episodes;
  std::vector<BehaviourFindings> findings;  // one per behaviour, in file order
};

// Rates, breakdowns and the `worst_cases` most severe cases of each behaviour over `episodes`
// (each mined with `behaviours`). Families and policies appear in name order; parameters are
// split into `bins` bins between their smallest and largest value (constant ones are left
// out). O(episodes * behaviours + cases log cases).
MineResult Summarise(std::vector<MinedEpisode> episodes, std::vector<Behaviour> behaviours,
                     std::size_t worst_cases = 10, int bins = 4);

// The episodes in which any behaviour occurred, most severe first (each once): what an
// exported suite reproduces.
std::vector<std::size_t> EpisodesWithCases(const MineResult& result);

}  // namespace tarmac::analysis

#endif  // TARMAC_ANALYSIS_MINING_H_
