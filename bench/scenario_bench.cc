// Scenario files: how fast they load as YAML and as a Cap'n Proto scenario set (an exported
// cut-in with 24 behavioural agents, and highway traffic as 20 logged agents with 30 s tracks at
// 0.1 s), against each other, and what a logged agent costs
// per step against the IDM agent it replaces: `highway` with 20 IDM vehicles, and the same
// episode with every vehicle replaced by a logged agent following the track it drove.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "ratio_reporter.h"
#include "tarmac/cli/scenario_file.h"
#include "tarmac/envs/driving_env.h"

namespace tarmac::envs {
namespace {

ScenarioConfig Highway20() {
  ScenarioConfig c;
  c.density = {6.6, 6.6};  // 20 vehicles on the 1340 m, three-lane road
  c.traffic_enters = false;
  return c;
}

// The highway episode of seed 1 with its traffic as logged agents: each follows the track it
// drove when IDM/MOBIL moved it (the ego holding its speed).
Scenario LoggedHighway() {
  DrivingEnvOptions o;
  o.family = ScenarioFamily::kHighway;
  o.scenario = Highway20();
  DrivingEnv env(o);
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  env.Reset(1, absl::MakeSpan(obs));
  Scenario logged = env.scenario();
  logged.tracks.assign(logged.traffic.size(), {});
  const auto sample = [&] {
    for (std::size_t i = 0; i < logged.traffic.size(); ++i) {
      const TrafficVehicle& v = env.traffic().vehicles()[i];
      if (v.active) logged.tracks[i].points.push_back({env.time(), v.s, v.d, v.speed});
    }
  };
  sample();
  const std::vector<float> action = {0.0F, 0.0F};
  for (StepResult r; !r.terminated && !r.truncated;) {
    r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    sample();
  }
  logged.logged = logged.traffic;
  for (std::size_t i = 0; i < logged.logged.size(); ++i)
    logged.logged[i].track = static_cast<int>(i);
  logged.traffic.clear();
  logged.scripts.clear();
  logged.name = "logged_highway";
  return logged;
}

void Step(benchmark::State& state, DrivingEnv& env) {
  std::vector<float> obs(env.spec().observation_size), terms(env.spec().reward_terms.size());
  const std::vector<float> action = {0.0F, 0.0F};
  env.Reset(1, absl::MakeSpan(obs));
  for (auto _ : state) {
    const StepResult r = env.Step(action, absl::MakeSpan(obs), absl::MakeSpan(terms));
    if (r.terminated || r.truncated) env.Reset(1, absl::MakeSpan(obs));
    benchmark::DoNotOptimize(obs.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IdmTrafficStep(benchmark::State& state) {
  DrivingEnvOptions o;
  o.family = ScenarioFamily::kHighway;
  o.scenario = Highway20();
  DrivingEnv env(o);
  Step(state, env);
}
BENCHMARK(BM_IdmTrafficStep);

void BM_LoggedTrafficStep(benchmark::State& state) {
  DrivingEnv env({});
  env.SetFixedScenario(std::make_shared<const Scenario>(LoggedHighway()));
  Step(state, env);
}
BENCHMARK(BM_LoggedTrafficStep);

void Load(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    absl::StatusOr<Scenario> s = cli::ParseScenarioFile(text, "bench.yaml");
    if (!s.ok()) state.SkipWithError(std::string(s.status().message()).c_str());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_LoadExportedCutIn(benchmark::State& state) {
  Load(state, cli::ScenarioFileText(GenerateScenario(ScenarioFamily::kCutIn, {}, 3)));
}
BENCHMARK(BM_LoadExportedCutIn);

void BM_LoadLoggedHighway(benchmark::State& state) {
  Load(state, cli::ScenarioFileText(LoggedHighway()));
}
BENCHMARK(BM_LoadLoggedHighway);

// The same scenario as a one-scenario set, loaded whole (decoded, road rebuilt, checked), so
// that the ratio to the YAML load is per scenario.
void LoadSet(benchmark::State& state, const Scenario& scenario) {
  const std::string bytes = cli::ScenarioSetBytes({std::make_shared<const Scenario>(scenario)});
  for (auto _ : state) {
    auto set = cli::ParseScenarioSet(bytes, "bench.scenarios");
    if (!set.ok()) state.SkipWithError(std::string(set.status().message()).c_str());
    benchmark::DoNotOptimize(set);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

void BM_LoadSetCutIn(benchmark::State& state) {
  LoadSet(state, GenerateScenario(ScenarioFamily::kCutIn, {}, 3));
}
BENCHMARK(BM_LoadSetCutIn);

void BM_LoadSetLoggedHighway(benchmark::State& state) { LoadSet(state, LoggedHighway()); }
BENCHMARK(BM_LoadSetLoggedHighway);

}  // namespace
}  // namespace tarmac::envs

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tarmac::bench::RatioReporter reporter(std::vector<std::pair<std::string, std::string>>{
      {"BM_LoggedTrafficStep", "BM_IdmTrafficStep"},
      {"BM_LoadExportedCutIn", "BM_LoadSetCutIn"},
      {"BM_LoadLoggedHighway", "BM_LoadSetLoggedHighway"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
