// Simulation speed: `highway` with 20 traffic vehicles (observations, rewards and events all
// computed, a fixed action), next to the bare bicycle-model integration it is built on (the
// physical floor), plus the heap allocations per step in steady state (counted by replacing
// the global operator new in this program). And what `tarmac search` keeps of that speed: its
// env steps per second (policy and reference episodes, cases drawn, envs built, feasibility
// checked, the distribution updated) over the same traffic with the same fixed action, on one
// thread and on two; and with the expert driving, against plain expert episodes of `cut_in`.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "absl/strings/str_format.h"
#include "edge_case_search.h"
#include "ratio_reporter.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

// GCC cannot see that the replaced operator new below pairs with the replaced delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

std::atomic<long> g_allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tarmac::envs {
namespace {

DrivingEnvOptions Highway20() {
  DrivingEnvOptions o;
  o.family = ScenarioFamily::kHighway;
  // 20 vehicles on the 1340 m, three-lane road, and no more entering during the episode.
  o.scenario.density = {6.6, 6.6};
  o.scenario.traffic_enters = false;
  return o;
}

void BM_BicycleModel(benchmark::State& state) {
  const BicycleModel model(VehicleParams{});
  VehicleState s;
  s.speed = 25.0;
  for (auto _ : state) {
    s = model.Step(s, {0.1, 0.01}, 0.1);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BicycleModel);

void BM_HighwayStep(benchmark::State& state) {
  DrivingEnv env(Highway20());
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  const std::vector<float> action = {0.0F, 0.0F};
  std::uint64_t seed = 1;
  env.Reset(seed, absl::MakeSpan(obs));
  state.counters["vehicles"] = static_cast<double>(env.traffic().vehicles().size());
  for (auto _ : state) {
    const StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    if (r.terminated || r.truncated) env.Reset(++seed, absl::MakeSpan(obs));
    benchmark::DoNotOptimize(obs.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HighwayStep);

// 64 driving-v0 envs of the default config stepped as one EnvBatch with a fixed action (what
// tarmac.VectorEnv steps; bench/python_bench.py compares VectorEnv.step with this figure).
void BM_EnvBatch64(benchmark::State& state) {
  auto batch = tarmac::envs::EnvBatch::Create("driving-v0", 64, 1).value();
  const std::vector<float> actions(64 * batch->spec().action_size, 0.0F);
  for (auto _ : state) {
    batch->Step(actions);
    benchmark::DoNotOptimize(batch->observations().data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_EnvBatch64)->UseRealTime();

// The fixed action of BM_HighwayStep as a policy.
class HoldPolicy : public Policy {
 public:
  std::string Name() const override { return "hold"; }
  void Reset(const Env&) override {}
  void Act(const Env&, absl::Span<const float>, absl::Span<float> action) override {
    std::fill(action.begin(), action.end(), 0.0F);
  }
};

// `budget` cases of `family` searched (each driven by policy and reference); items are env steps.
void Search(benchmark::State& state, const cli::PolicyFactory& make, ScenarioFamily family,
            const ScenarioConfig& ranges, int workers) {
  cli::SearchOptions options;
  options.family = family;
  options.ranges = ranges;
  options.budget = 20;
  options.batch = 10;
  options.workers = workers;
  std::int64_t steps = 0;
  for (auto _ : state) {
    const cli::SearchResult result = cli::SearchEdgeCases(make, make, options);
    steps += result.steps;
    ++options.seed;
  }
  state.SetItemsProcessed(steps);
}

std::unique_ptr<Policy> MakeHold() { return std::make_unique<HoldPolicy>(); }
std::unique_ptr<Policy> MakeExpert() { return std::make_unique<ExpertPolicy>(); }

void BM_SearchHighway(benchmark::State& state) {
  Search(state, MakeHold, ScenarioFamily::kHighway, Highway20().scenario, 1);
}
BENCHMARK(BM_SearchHighway)->UseRealTime();

void BM_SearchHighwayTwoThreads(benchmark::State& state) {
  Search(state, MakeHold, ScenarioFamily::kHighway, Highway20().scenario, 2);
}
BENCHMARK(BM_SearchHighwayTwoThreads)->UseRealTime();

// Plain expert episodes of `cut_in` (the default ranges), one after another.
void BM_ExpertCutInEpisodes(benchmark::State& state) {
  ExpertPolicy expert;
  std::int64_t steps = 0;
  std::uint64_t seed = 1;
  for (auto _ : state) {
    const EpisodeResult r = RunEpisode(expert, ScenarioFamily::kCutIn, {}, seed++, {});
    steps += static_cast<std::int64_t>(r.summary.steps);
  }
  state.SetItemsProcessed(steps);
}
BENCHMARK(BM_ExpertCutInEpisodes)->UseRealTime();

void BM_SearchCutInExpert(benchmark::State& state) {
  Search(state, MakeExpert, ScenarioFamily::kCutIn, {}, 1);
}
BENCHMARK(BM_SearchCutInExpert)->UseRealTime();

// Allocations per step once an episode is under way (resets excluded).
void ReportSteadyStateAllocations() {
  DrivingEnv env(Highway20());
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  const std::vector<float> action = {0.0F, 0.0F};
  env.Reset(3, absl::MakeSpan(obs));
  for (int i = 0; i < 20; ++i) env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
  const long before = g_allocations.load();
  int steps = 0;
  for (; steps < 200; ++steps) {
    const StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    if (r.terminated || r.truncated) break;
  }
  const long allocations = g_allocations.load() - before;
  tarmac::bench::Headline(
      "steady-state heap allocations per step", static_cast<double>(allocations) / steps,
      "allocations", tarmac::bench::Better::kLower,
      absl::StrFormat("steady state: %ld heap allocations in %d steps (%.3f per step; event "
                      "records are the only ones expected)",
                      allocations, steps, static_cast<double>(allocations) / steps));
}

}  // namespace
}  // namespace tarmac::envs

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tarmac::bench::RatioReporter reporter(
      {{"BM_HighwayStep", "BM_BicycleModel"}},
      {{"BM_SearchHighway/real_time", "BM_HighwayStep"},
       {"BM_SearchHighwayTwoThreads/real_time", "BM_HighwayStep"},
       {"BM_SearchCutInExpert/real_time", "BM_ExpertCutInEpisodes/real_time"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  tarmac::envs::ReportSteadyStateAllocations();
  return tarmac::bench::Finish();
}
