#include "edge_case_search.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/util/splitmix.h"

namespace tarmac::cli {
namespace {

constexpr const char* kPopulationPrefix = "population.";

// Uniform in [0, 1) and standard normal draws from a splitmix64 stream (the same on every
// standard library).
class Stream {
 public:
  explicit Stream(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    const std::uint64_t z = util::SplitMix64(state_);
    state_ += 0x9E3779B97F4A7C15ULL;
    return z;
  }
  double Unit() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Normal() {  // Box-Muller
    const double u = std::max(Unit(), 1e-300);
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * Unit());
  }

 private:
  std::uint64_t state_;
};

// The family's ranges each search axis pins, by family.
std::vector<const char*> FamilyRanges(envs::ScenarioFamily family) {
  using F = envs::ScenarioFamily;
  switch (family) {
    case F::kHighway:
      return {"ego_speed", "density"};
    case F::kDense:
      return {"ego_speed", "dense_density"};
    case F::kMerge:
      return {"merge_length", "density"};
    case F::kCutIn:
      return {"ego_speed", "cut_in_gap", "cut_in_ttc", "density"};
    case F::kLeadBrake:
      return {"ego_speed", "lead_gap", "lead_brake_decel", "lead_brake_time", "density"};
    case F::kStalled:
      return {"ego_speed", "stalled_distance", "density"};
    case F::kCurve:
      return {"ego_speed", "curve_radius", "density"};
  }
  return {};
}

}  // namespace

std::vector<SearchDimension> SearchDimensions(envs::ScenarioFamily family,
                                              const envs::ScenarioConfig& ranges) {
  std::vector<SearchDimension> dims;
  for (const char* name : FamilyRanges(family)) {
    const envs::Range& r = ranges.*(envs::FindScenarioRange(name)->field);
    dims.push_back({name, r.min, r.max});
  }
  dims.push_back({absl::StrCat(kPopulationPrefix, "aggressive"), 0.0, 0.5});
  dims.push_back({absl::StrCat(kPopulationPrefix, "distracted"), 0.0, 0.5});
  return dims;
}

absl::Status SearchOptions::Validate() const {
  if (budget < 1 || budget > 1000000) {
    return absl::InvalidArgumentError("--budget must be from 1 to 1000000 episodes");
  }
  if (batch < 2 || batch > 100000) {
    return absl::InvalidArgumentError("the search batch must be from 2 to 100000 cases");
  }
  if (!(elite_fraction > 0 && elite_fraction < 1) || !(smoothing > 0 && smoothing <= 1)) {
    return absl::InvalidArgumentError("the elite fraction must be in (0, 1), smoothing in (0, 1]");
  }
  const std::vector<SearchDimension> dims =
      dimensions.empty() ? SearchDimensions(family, ranges) : dimensions;
  bool open = false;
  for (const SearchDimension& d : dims) {
    if (!(d.lo <= d.hi) || !std::isfinite(d.lo) || !std::isfinite(d.hi)) {
      return absl::InvalidArgumentError(absl::StrCat("search dimension ", d.name, " [", d.lo, ", ",
                                                     d.hi, "] must have lo <= hi"));
    }
    const bool population = d.name.rfind(kPopulationPrefix, 0) == 0;
    if (!population && envs::FindScenarioRange(d.name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("search dimension ", d.name,
                                                     " is neither a scenario range nor a "
                                                     "population share"));
    }
    open = open || d.hi > d.lo;
  }
  if (!open) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the search space of ", envs::FamilyName(family),
        " is empty: every range is a single value; widen the family's ranges (env.scenario.* "
        "or the suite's overrides)"));
  }
  return absl::OkStatus();
}

envs::ScenarioConfig PinnedConfig(const std::vector<SearchDimension>& dimensions,
                                  const std::vector<double>& x,
                                  const envs::ScenarioConfig& ranges) {
  envs::ScenarioConfig config = ranges;
  double others = 1.0;
  std::vector<envs::PopulationShare> population;
  for (std::size_t i = 0; i < dimensions.size(); ++i) {
    const std::string& name = dimensions[i].name;
    if (name.rfind(kPopulationPrefix, 0) == 0) {
      if (x[i] <= 0.0) continue;
      auto profile = envs::FindProfile(name.substr(std::string(kPopulationPrefix).size()));
      if (!profile.ok()) continue;
      population.push_back({*std::move(profile), x[i]});
      others -= x[i];
    } else {
      config.*(envs::FindScenarioRange(name)->field) = {x[i], x[i]};
    }
  }
  if (!population.empty()) {
    if (others > 0.0) population.insert(population.begin(), {*envs::FindProfile("normal"), others});
    config.population = std::move(population);
  }
  return config;
}

namespace {

// Drives one case: the policy (recorded when the objective is a behaviour) and the reference.
void Evaluate(envs::Policy& policy, envs::Policy& reference, const SearchOptions& options,
              SearchCase* c, std::atomic<std::int64_t>* steps) {
  const envs::EpisodeResult ref =
      envs::RunEpisode(reference, options.family, c->config, c->seed, options.env);
  c->reference_ok = schemas::MetricOr(ref.summary, "at_fault_collision") == 0.0;
  envs::EpisodeRecording recording{policy.Name(), policy.Version(), {}};
  envs::EpisodeResult run =
      envs::RunEpisode(policy, options.family, c->config, c->seed, options.env,
                       options.behaviour != nullptr ? &recording : nullptr);
  envs::RescoreAgainstReference(ref.summary.distance_m, &run);
  *steps += static_cast<std::int64_t>(run.summary.steps + ref.summary.steps);
  c->score = schemas::MetricOr(run.summary, "score");
  if (options.behaviour == nullptr) {
    c->failure = schemas::MetricOr(run.summary, "at_fault_collision") > 0.0;
    c->badness = 1.0 - c->score;
  } else {
    recording.log.summary = run.summary;
    const analysis::MetricValues metrics = analysis::ComputeEpisodeMetrics(recording.log);
    const analysis::BehaviourMatch match =
        analysis::FindBehaviour(*options.behaviour, recording.log, metrics);
    c->failure = !match.occurrences.empty();
    double severity = 0.0;
    for (const analysis::Occurrence& o : match.occurrences) severity += o.severity;
    // Occurring at all dominates; then severity; then the score breaks ties.
    c->badness = (c->failure ? 1.0 : 0.0) + 0.1 * std::tanh(severity) + 0.01 * (1.0 - c->score);
  }
  if (!c->reference_ok) c->failure = false;
}

}  // namespace

SearchResult SearchEdgeCases(const PolicyFactory& make_policy, const PolicyFactory& make_reference,
                             const SearchOptions& options, std::ostream* progress) {
  const int workers = std::max(1, options.workers);
  std::vector<std::unique_ptr<envs::Policy>> policies, references;
  for (int w = 0; w < workers; ++w) {
    policies.push_back(make_policy());
    references.push_back(make_reference());
  }
  const std::vector<SearchDimension> dims = options.dimensions.empty()
                                                ? SearchDimensions(options.family, options.ranges)
                                                : options.dimensions;
  const std::size_t n = dims.size();
  std::vector<double> mean(n, 0.5), sd(n, 0.5);  // in the box normalised to [0, 1]
  Stream stream(options.seed * 0x9E3779B97F4A7C15ULL + 0x5EA4C4ULL);
  SearchResult result;
  const auto started = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> steps{0};
  double best = -1.0;
  int iteration = 0;
  while (static_cast<int>(result.cases.size()) < options.budget) {
    const int batch =
        std::min(options.batch, options.budget - static_cast<int>(result.cases.size()));
    std::vector<SearchCase> cases(static_cast<std::size_t>(batch));
    int failures = 0;
    double total = 0.0;
    // Every case is drawn before any is driven, so results do not depend on the workers.
    for (SearchCase& c : cases) {
      c.iteration = iteration;
      c.x.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        double u = options.uniform ? stream.Unit() : mean[i] + sd[i] * stream.Normal();
        u = std::clamp(u, 0.0, 1.0);
        c.x[i] = dims[i].lo + (dims[i].hi - dims[i].lo) * u;
      }
      c.seed = stream.Next() >> 20;  // < 2^44: a suite file states it exactly
      c.config = PinnedConfig(dims, c.x, options.ranges);
    }
    std::atomic<std::size_t> next{0};
    const auto drive = [&](int w) {
      for (std::size_t k = next++; k < cases.size(); k = next++) {
        Evaluate(*policies[w], *references[w], options, &cases[k], &steps);
      }
    };
    std::vector<std::thread> threads;
    for (int w = 1; w < workers; ++w) threads.emplace_back(drive, w);
    drive(0);
    for (std::thread& t : threads) t.join();
    for (SearchCase& c : cases) {
      if (c.reference_ok) {
        total += c.badness;
        best = std::max(best, c.badness);
      } else {
        ++result.reference_failed;
      }
      failures += c.failure ? 1 : 0;
    }
    result.failures += failures;
    // The elites: the worst cases the reference handled.
    std::vector<const SearchCase*> valid;
    for (const SearchCase& c : cases) {
      if (c.reference_ok) valid.push_back(&c);
    }
    std::sort(valid.begin(), valid.end(),
              [](const SearchCase* a, const SearchCase* b) { return a->badness > b->badness; });
    const std::size_t elites = std::max<std::size_t>(
        2, static_cast<std::size_t>(std::ceil(options.elite_fraction * batch)));
    if (!options.uniform && valid.size() >= elites) {
      for (std::size_t i = 0; i < n; ++i) {
        const double width = dims[i].hi - dims[i].lo;
        if (width <= 0.0) continue;
        double m = 0.0, v = 0.0;
        for (std::size_t e = 0; e < elites; ++e) m += (valid[e]->x[i] - dims[i].lo) / width;
        m /= static_cast<double>(elites);
        for (std::size_t e = 0; e < elites; ++e) {
          const double d = (valid[e]->x[i] - dims[i].lo) / width - m;
          v += d * d;
        }
        v /= static_cast<double>(elites);
        mean[i] = options.smoothing * m + (1.0 - options.smoothing) * mean[i];
        // A floor keeps the search from collapsing onto one point.
        sd[i] =
            std::max(options.smoothing * std::sqrt(v) + (1.0 - options.smoothing) * sd[i], 0.02);
      }
    }
    for (SearchCase& c : cases) result.cases.push_back(std::move(c));
    SearchPoint point;
    point.episodes = static_cast<int>(result.cases.size());
    point.mean_badness = valid.empty() ? 0.0 : total / static_cast<double>(valid.size());
    point.best_badness = std::max(best, 0.0);
    point.failure_rate = static_cast<double>(failures) / batch;
    result.curve.push_back(point);
    if (progress != nullptr) {
      *progress << "search: " << point.episodes << "/" << options.budget << " episodes, "
                << failures << "/" << batch << " failures in this batch, " << result.failures
                << " in all\n"
                << std::flush;
    }
    ++iteration;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.steps = steps.load();
  result.steps_per_second = seconds > 0 ? static_cast<double>(result.steps) / seconds : 0.0;
  return result;
}

}  // namespace tarmac::cli
