// Cost of behaviour analytics per logged step: the behaviour metrics of whole episodes, mining
// the built-in behaviours, and decoding + mining from the compressed files, as ratios to one
// plain pass over the same steps. And the cost of logging an episode (recording, and recording
// plus zstd encoding) as a ratio to running it unlogged, which is what an actor logging one
// episode in N pays N times less of.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ratio_reporter.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/mining.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::analysis {
namespace {

// Three episodes of each family, driven by the expert reacting 0.3 s late (behaviours occur).
const std::vector<schemas::EpisodeLog>& Logs() {
  static const std::vector<schemas::EpisodeLog> logs = [] {
    std::vector<schemas::EpisodeLog> out;
    for (envs::ScenarioFamily family : envs::kAllFamilies) {
      for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        envs::DelayedPolicy policy(std::make_unique<envs::EnvExpert>(), 3);
        envs::EpisodeRecording recording{"bench", 1, {}};
        envs::RunEpisode(policy, family, envs::ScenarioConfig{}, seed, {}, &recording);
        out.push_back(std::move(recording.log));
      }
    }
    return out;
  }();
  return logs;
}

std::int64_t Steps() {
  std::int64_t n = 0;
  for (const auto& log : Logs()) n += static_cast<std::int64_t>(log.steps.size());
  return n;
}

const std::vector<Behaviour>& BuiltIn() {
  static const std::vector<Behaviour> behaviours = [] {
    auto parsed = LoadBehaviours(TARMAC_SOURCE_DIR "/configs/behaviours.yaml");
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", std::string(parsed.status().message()).c_str());
      std::abort();
    }
    return *parsed;
  }();
  return behaviours;
}

void BM_ScanStepsBaseline(benchmark::State& state) {
  for (auto _ : state) {
    double sum = 0.0;
    for (const auto& log : Logs()) {
      for (const auto& step : log.steps) sum += step.ego.speed + step.leader_gap;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * Steps());
}
BENCHMARK(BM_ScanStepsBaseline);

void BM_EpisodeMetrics(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& log : Logs()) benchmark::DoNotOptimize(ComputeEpisodeMetrics(log));
  }
  state.SetItemsProcessed(state.iterations() * Steps());
}
BENCHMARK(BM_EpisodeMetrics);

void BM_MineBuiltInBehaviours(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& log : Logs()) benchmark::DoNotOptimize(MineEpisode(log, BuiltIn(), ""));
  }
  state.SetItemsProcessed(state.iterations() * Steps());
}
BENCHMARK(BM_MineBuiltInBehaviours);

void BM_DecodeAndMine(benchmark::State& state) {
  std::vector<std::string> files;
  for (const auto& log : Logs()) files.push_back(schemas::EncodeEpisodeLog(log));
  for (auto _ : state) {
    for (const std::string& bytes : files) {
      auto log = schemas::DecodeEpisodeLog(bytes);
      benchmark::DoNotOptimize(MineEpisode(*log, BuiltIn(), ""));
    }
  }
  state.SetItemsProcessed(state.iterations() * Steps());
}
BENCHMARK(BM_DecodeAndMine);

// One cut_in episode of the expert: unlogged, recorded, recorded and encoded.
void RunCutIn(benchmark::State& state, bool record, bool encode) {
  std::int64_t steps = 0;
  for (auto _ : state) {
    envs::EnvExpert expert;
    envs::EpisodeRecording recording{"bench", 1, {}};
    const envs::EpisodeResult r =
        envs::RunEpisode(expert, envs::ScenarioFamily::kCutIn, envs::ScenarioConfig{}, 7, {},
                         record ? &recording : nullptr);
    steps += r.summary.steps;
    if (encode) benchmark::DoNotOptimize(schemas::EncodeEpisodeLog(recording.log));
  }
  state.SetItemsProcessed(steps);
}
void BM_EpisodeUnloggedBaseline(benchmark::State& state) { RunCutIn(state, false, false); }
void BM_EpisodeRecorded(benchmark::State& state) { RunCutIn(state, true, false); }
void BM_EpisodeRecordedAndEncoded(benchmark::State& state) { RunCutIn(state, true, true); }
BENCHMARK(BM_EpisodeUnloggedBaseline);
BENCHMARK(BM_EpisodeRecorded);
BENCHMARK(BM_EpisodeRecordedAndEncoded);

}  // namespace
}  // namespace tarmac::analysis

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tarmac::bench::RatioReporter reporter(
      {{"BM_EpisodeMetrics", "BM_ScanStepsBaseline"},
       {"BM_MineBuiltInBehaviours", "BM_ScanStepsBaseline"},
       {"BM_DecodeAndMine", "BM_ScanStepsBaseline"},
       {"BM_EpisodeRecorded", "BM_EpisodeUnloggedBaseline"},
       {"BM_EpisodeRecordedAndEncoded", "BM_EpisodeUnloggedBaseline"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
