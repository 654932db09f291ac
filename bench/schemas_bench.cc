// Cost of the wire format on the replay path: encoding a Transition (actors, per step) and
// decoding it (learner, per sampled item), as a ratio to copying the same bytes with memcpy.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "ratio_reporter.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::schemas {
namespace {

// A transition the size of the default driving observation (ego, lane preview, 8 vehicles).
Transition TypicalTransition() {
  Transition t;
  t.obs.assign(96, 0.5F);
  t.next_obs.assign(96, 0.25F);
  t.action = {0.7F, -0.01F};
  t.reward = 1.0F;
  t.discount = 0.97F;
  t.reward_terms = {{"progress", 1.0},   {"speed", 0.1},  {"collision", 0.0}, {"off_road", 0.0},
                    {"centring", -0.02}, {"jerk", -0.01}, {"lat_accel", 0.0}, {"ttc", 0.0}};
  t.actor_id = "actor-3f2a";
  t.scenario = "cut_in";
  t.n_steps = 3;
  return t;
}

void BM_MemcpyBaseline(benchmark::State& state) {
  const std::string bytes = EncodeTransition(TypicalTransition());
  std::string copy(bytes.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), bytes.data(), bytes.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}
BENCHMARK(BM_MemcpyBaseline);

void BM_EncodeTransition(benchmark::State& state) {
  const Transition t = TypicalTransition();
  for (auto _ : state) benchmark::DoNotOptimize(EncodeTransition(t));
  state.counters["bytes"] = static_cast<double>(EncodeTransition(t).size());
}
BENCHMARK(BM_EncodeTransition);

void BM_DecodeTransition(benchmark::State& state) {
  const std::string bytes = EncodeTransition(TypicalTransition());
  for (auto _ : state) benchmark::DoNotOptimize(DecodeTransition(bytes));
}
BENCHMARK(BM_DecodeTransition);

// The learner's path: validate in place and copy obs straight into (tensor) memory.
void BM_ViewCopyObs(benchmark::State& state) {
  const std::string bytes = EncodeTransition(TypicalTransition());
  std::vector<float> obs(96), next_obs(96);
  for (auto _ : state) {
    absl::StatusOr<TransitionView> view = TransitionView::Parse(bytes);
    benchmark::DoNotOptimize(view->CopyObs(absl::MakeSpan(obs)));
    benchmark::DoNotOptimize(view->CopyNextObs(absl::MakeSpan(next_obs)));
  }
}
BENCHMARK(BM_ViewCopyObs);

}  // namespace
}  // namespace tarmac::schemas

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tarmac::bench::RatioReporter reporter({{"BM_EncodeTransition", "BM_MemcpyBaseline"},
                                         {"BM_DecodeTransition", "BM_MemcpyBaseline"},
                                         {"BM_ViewCopyObs", "BM_MemcpyBaseline"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
