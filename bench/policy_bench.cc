// The policy's forward pass as the inference actor runs it, per batch of observations: the
// default 2 x 256 MLP on each inference kernel, against the actors users bring (the scene
// transformer, a TorchScript module of the MLP's shape); and decoding and loading a weights
// blob, the part of a weight swap spent in a rollout process's own code. One thread each, as
// the inference actor uses. (The rollout process end to end and the swaps themselves:
// actor_bench.)

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "driving_trainers.h"
#include "ratio_reporter.h"
#include "scripted_mlp.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/policy_weights.h"
#include "tarmac/util/keep_freed_memory.h"

namespace {

// The inference actor's forward pass alone, per batch of `rows` observations (the default
// 2 x 256 policy; arg 1: sampled with unit noise, 0: the mean action).
void BM_PolicyAct(benchmark::State& state) {
  auto spec = tarmac::envs::EnvBatch::Create("driving-v0", 1, 1).value()->spec();
  auto policy = tarmac::learner::InferencePolicy::Random(spec.observation_size, spec.action_low,
                                                         spec.action_high, {256, 256}, 3)
                    .value();
  tarmac::learner::SetInferenceThreads(1);
  const int rows = static_cast<int>(state.range(0));
  std::vector<float> obs(static_cast<std::size_t>(rows) * spec.observation_size, 0.1F);
  std::vector<float> noise(state.range(1) != 0 ? rows : 0, 1.0F);
  std::vector<float> actions(static_cast<std::size_t>(rows) * spec.action_size);
  std::uint64_t seed = 0;
  for (auto _ : state) {
    policy->Act(obs, rows, noise, ++seed, absl::MakeSpan(actions));
    benchmark::DoNotOptimize(actions.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_PolicyAct)->ArgsProduct({{16, 64, 128, 256}, {0, 1}});

// BM_PolicyAct's work (mean actions, the default 2 x 256 policy) on each of the inference
// kernels, at `rows` observations (arg 1: 0 eigen, 1 xnnpack, 2 onednn, 3 libtorch): which is
// fastest depends on the CPU (XNNPACK's AVX2 kernels against its AVX-512 ones, Eigen's, oneDNN's).
void BM_PolicyActBackend(benchmark::State& state) {
  static const char* const kBackends[] = {"eigen", "xnnpack", "onednn", "libtorch"};
  const char* backend = kBackends[state.range(1)];
  auto trainer = tarmac::bench::DrivingTrainer({});
  auto policy = tarmac::learner::InferencePolicy::FromWeights(trainer->ExportPolicy(1), backend);
  if (!policy.ok()) {
    state.SkipWithError(std::string(policy.status().message()).c_str());
    return;
  }
  tarmac::learner::SetInferenceThreads(1);
  const int rows = static_cast<int>(state.range(0));
  const int obs_dim = (*policy)->architecture().obs_dim;
  std::vector<float> obs(static_cast<std::size_t>(rows) * obs_dim, 0.1F);
  std::vector<float> actions(static_cast<std::size_t>(rows) * (*policy)->architecture().action_dim);
  std::uint64_t seed = 0;
  for (auto _ : state) {
    (*policy)->Act(obs, rows, {}, ++seed, absl::MakeSpan(actions));
    benchmark::DoNotOptimize(actions.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetLabel(backend);
}
BENCHMARK(BM_PolicyActBackend)->ArgsProduct({{1, 8, 64, 256}, {0, 1, 2, 3}});

tarmac::learner::SacOptions ScriptedMlpOptions() {
  auto spec = tarmac::envs::EnvBatch::Create("driving-v0", 1, 1).value()->spec();
  tarmac::learner::SacOptions sac;
  sac.model = "/tmp/tarmac_actor_bench_mlp.pt";
  tarmac::bench::SaveScriptedMlp(sac.model, spec.observation_size, {256, 256}, spec.action_size);
  return sac;
}

// BM_PolicyAct's work (mean actions) for the actors users bring: the scene transformer and a
// TorchScript module of the built-in MLP's shape, as the inference actor runs them.
void RunPublishedAct(benchmark::State& state, const tarmac::learner::SacOptions& options) {
  auto spec = tarmac::envs::EnvBatch::Create("driving-v0", 1, 1).value()->spec();
  auto trainer = tarmac::bench::DrivingTrainer(options);
  auto policy = tarmac::learner::InferencePolicy::FromWeights(trainer->ExportPolicy(1)).value();
  tarmac::learner::SetInferenceThreads(1);
  const int rows = static_cast<int>(state.range(0));
  std::vector<float> obs(static_cast<std::size_t>(rows) * spec.observation_size, 0.1F);
  std::vector<float> actions(static_cast<std::size_t>(rows) * spec.action_size);
  std::uint64_t seed = 0;
  for (auto _ : state) {
    policy->Act(obs, rows, {}, ++seed, absl::MakeSpan(actions));
    benchmark::DoNotOptimize(actions.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
void BM_PolicyActTransformer(benchmark::State& state) {
  RunPublishedAct(state, tarmac::bench::TransformerOptions());
}
BENCHMARK(BM_PolicyActTransformer)->Args({64})->Args({256});
void BM_PolicyActScriptedMlp(benchmark::State& state) {
  RunPublishedAct(state, ScriptedMlpOptions());
}
BENCHMARK(BM_PolicyActScriptedMlp)->Args({64})->Args({256});

// The part of a swap spent in this process's code: decode (checksum) and load a 1.2 MB blob.
void BM_DecodeAndLoadWeights1MB(benchmark::State& state) {
  auto trainer = tarmac::bench::LargeTrainer();
  const std::string blob = tarmac::schemas::EncodePolicyWeights(trainer->ExportPolicy(1)).value();
  for (auto _ : state) {
    auto weights = tarmac::schemas::DecodePolicyWeights(blob);
    auto policy = tarmac::learner::InferencePolicy::FromWeights(*weights);
    benchmark::DoNotOptimize(policy);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * blob.size()));
}
BENCHMARK(BM_DecodeAndLoadWeights1MB)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // As a rollout process does (RunRolloutJob): the forward passes run on the same heap.
  tarmac::util::KeepFreedMemory();
  tarmac::bench::RatioReporter reporter({{"BM_PolicyActTransformer/64", "BM_PolicyAct/64/0"},
                                         {"BM_PolicyActTransformer/256", "BM_PolicyAct/256/0"},
                                         {"BM_PolicyActScriptedMlp/64", "BM_PolicyAct/64/0"},
                                         {"BM_PolicyActScriptedMlp/256", "BM_PolicyAct/256/0"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
