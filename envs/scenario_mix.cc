#include "tarmac/envs/scenario_mix.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "tarmac/util/splitmix.h"

namespace tarmac::envs {
namespace {

constexpr auto Mix = util::SplitMix64;

// A uniform double in [0, 1) from the top 53 bits.
double Unit(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace

absl::StatusOr<ScenarioMix> ScenarioMix::Create(std::vector<ScenarioSource> sources) {
  if (sources.empty())
    return absl::InvalidArgumentError("a scenario mix needs at least one source");
  ScenarioMix mix;
  double total = 0.0;
  for (const ScenarioSource& s : sources) {
    if (!std::isfinite(s.weight) || s.weight < 0) {
      return absl::InvalidArgumentError(absl::StrCat("scenario source '", s.name, "' has weight ",
                                                     s.weight,
                                                     "; weights are finite numbers >= 0"));
    }
    if (!(s.jitter >= 0 && s.jitter < 1)) {
      return absl::InvalidArgumentError(absl::StrCat("scenario source '", s.name, "' has jitter ",
                                                     s.jitter, "; jitter is in [0, 1)"));
    }
    if (absl::Status v = s.config.Validate(); !v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario source '", s.name, "': ", v.message()));
    }
    total += s.weight;
  }
  if (!(total > 0)) {
    return absl::InvalidArgumentError(
        "the scenario mix's weights sum to 0; give at least one source a positive weight");
  }
  double running = 0.0;
  for (const ScenarioSource& s : sources) {
    running += s.weight;
    mix.cumulative_.push_back(running / total);
    std::vector<std::vector<schemas::NamedValue>> drawn;
    if (s.jitter > 0) {
      for (const ScenarioCase& c : s.cases) {
        drawn.push_back(c.scenario ? c.scenario->parameters
                                   : GenerateScenario(c.family, c.config, c.seed).parameters);
      }
    }
    mix.drawn_.push_back(std::move(drawn));
  }
  mix.cumulative_.back() = 1.0;
  mix.sources_ = std::move(sources);
  return mix;
}

ScenarioDraw ScenarioMix::Draw(std::uint64_t seed) const {
  // Independent streams from the one seed: the source, the case, the jitter, the episode.
  const std::uint64_t a = Mix(seed ^ 0x5CE7A1105ULL);
  const double u = Unit(a);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  const int index =
      static_cast<int>(std::min<std::ptrdiff_t>(it - cumulative_.begin(), cumulative_.size() - 1));
  const ScenarioSource& source = sources_[static_cast<std::size_t>(index)];
  ScenarioDraw draw;
  draw.source = index;
  const std::uint64_t episode_seed = Mix(a);
  if (source.cases.empty()) {
    draw.family = source.family;
    draw.config = source.config;
    draw.seed = episode_seed;
    return draw;
  }
  const std::uint64_t b = Mix(a ^ 0xCA5EULL);
  const std::size_t k = static_cast<std::size_t>(Unit(b) * source.cases.size());
  const ScenarioCase& c = source.cases[std::min(k, source.cases.size() - 1)];
  draw.family = c.family;
  draw.config = c.config;
  draw.seed = c.seed;
  draw.scenario = c.scenario;
  if (source.jitter > 0 && !c.scenario) {
    std::uint64_t stream = Mix(b);
    for (const schemas::NamedValue& p : drawn_[static_cast<std::size_t>(index)][k]) {
      const ScenarioRangeInfo* range = FindScenarioRange(p.name);
      if (range == nullptr) continue;
      stream = Mix(stream);
      const double v = p.value * (1.0 + source.jitter * (2.0 * Unit(stream) - 1.0));
      const double pinned = std::max(v, range->lowest);
      draw.config.*(range->field) = {pinned, pinned};
    }
    draw.seed = episode_seed;
  }
  return draw;
}

}  // namespace tarmac::envs
