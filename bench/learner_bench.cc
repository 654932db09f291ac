// Learner throughput: SAC updates at batch 256 on the CPU against a bare LibTorch forward +
// backward of the same networks (the cost of everything else in an update), and the whole
// pipeline (samplers prefetching from a real Redis, priority writer, publisher) with the fraction
// of trainer time spent waiting for samples. `--device cuda` (or auto: CUDA where LibTorch sees
// it) runs every update on the GPU; the ...AtBatch benchmarks take batches of 256 and 4096, as
// a GPU learner's throughput is compared: updates/s and the sample-wait share at each.

#include <benchmark/benchmark.h>
#include <torch/cuda.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ratio_reporter.h"
#include "redis_server.h"
#include "scripted_mlp.h"
#include "tarmac/actors/learner_job.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/transition.h"
#include "tarmac/util/keep_freed_memory.h"

namespace {

using tarmac::learner::BatchShape;
using tarmac::learner::SacOptions;
using tarmac::learner::SacTrainer;
using tarmac::learner::TrainingBatch;

constexpr int kBatch = 256;
// The driving env's observation as its tokens: the ego, 5 lane-preview points, 8 vehicles.
const BatchShape kShape{
    76, 2, {-8.0F, -0.6F}, {3.0F, 0.6F}, {{"ego", 1, 10}, {"preview", 5, 2}, {"vehicle", 8, 7}}};

// --device: cpu (the default), cuda or auto, as learner.device; whether that runs on CUDA,
// decided once in main (not asked of the CUDA runtime in the timed loops).
std::string g_device = "cpu";
bool g_cuda = false;

SacOptions DefaultOptions() {
  SacOptions options;  // 2 x 256, as configs/default.yaml
  options.device = g_device;
  options.threads = 2;
  return options;
}

TrainingBatch RandomBatch(int rows = kBatch) {
  TrainingBatch batch;
  batch.Resize(rows, kShape);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (auto& v : batch.obs) v = normal(rng);
  for (auto& v : batch.next_obs) v = normal(rng);
  for (auto& v : batch.action) v = std::tanh(normal(rng));
  for (int i = 0; i < rows; ++i) {
    batch.reward[i] = normal(rng);
    batch.discount[i] = 0.97F;
    batch.is_weight[i] = 1.0F;
  }
  return batch;
}

void BM_BareForwardBackward(benchmark::State& state) {
  auto trainer = SacTrainer::Create(DefaultOptions(), kShape);
  const TrainingBatch batch = RandomBatch();
  for (auto _ : state) {
    if (!(*trainer)->BareForwardBackward(batch).ok()) state.SkipWithError("failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareForwardBackward)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// One SAC update (with the BC term on a demo batch, as tarmac train runs it) with these
// options; the counter is updates per second.
// bfloat16 without AVX-512 BF16 runs emulated, ~20x slower than float32 (learner.precision auto
// picks float32 there): skipped, with the reason in the report.
bool SkippedWithoutBf16(benchmark::State& state, tarmac::learner::Precision precision) {
  if (precision != tarmac::learner::Precision::kBfloat16 || tarmac::learner::CpuHasBf16() ||
      g_cuda) {
    return false;
  }
  state.SkipWithError("this CPU has no AVX-512 BF16: bfloat16 would run emulated");
  return true;
}

// Returns the updates per second of wall time its timed loop ran (0 when skipped).
double RunUpdates(benchmark::State& state, const SacOptions& options, int rows = kBatch) {
  if (SkippedWithoutBf16(state, options.precision)) return 0.0;
  auto trainer = SacTrainer::Create(options, kShape);
  if (!trainer.ok()) {
    state.SkipWithError(std::string(trainer.status().message()).c_str());
    return 0.0;
  }
  (*trainer)->set_bc_weight(2.0);
  const TrainingBatch batch = RandomBatch(rows);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (!(*trainer)->Update(batch, &batch).ok()) state.SkipWithError("failed");
    if (g_cuda) torch::cuda::synchronize();  // the update's kernels done, not only queued
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(state.iterations());
  state.counters["device_cuda"] = g_cuda ? 1 : 0;
  state.counters["updates_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  return static_cast<double>(state.iterations()) / seconds;
}

// The baseline: the update as it was before the fused critics and bfloat16 (each critic its
// own pass, float32 products).
void BM_SacUpdate(benchmark::State& state) {
  SacOptions options = DefaultOptions();
  options.fused_critic = false;
  options.precision = tarmac::learner::Precision::kFloat32;
  RunUpdates(state, options);
}
BENCHMARK(BM_SacUpdate)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// Both critics in one batched pass, float32.
void BM_SacUpdateFused(benchmark::State& state) {
  SacOptions options = DefaultOptions();
  options.fused_critic = true;
  options.precision = tarmac::learner::Precision::kFloat32;
  RunUpdates(state, options);
}
BENCHMARK(BM_SacUpdateFused)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// learner.precision bfloat16: products in bf16 (oneDNN, AVX-512 BF16), weights float32.
void BM_SacUpdateFusedBf16(benchmark::State& state) {
  SacOptions options = DefaultOptions();
  options.fused_critic = true;
  options.precision = tarmac::learner::Precision::kBfloat16;
  RunUpdates(state, options);
}
BENCHMARK(BM_SacUpdateFusedBf16)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// bfloat16 with each critic its own pass (oneDNN's bf16 GEMMs; the fused batched product
// is not one of them).
void BM_SacUpdateBf16(benchmark::State& state) {
  SacOptions options = DefaultOptions();
  options.fused_critic = false;
  options.precision = tarmac::learner::Precision::kBfloat16;
  RunUpdates(state, options);
}
BENCHMARK(BM_SacUpdateBf16)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// The same on one intra-op thread, as tarmac train's RL phase runs it beside the rollout.
void BM_SacUpdateBf16OneThread(benchmark::State& state) {
  SacOptions options = DefaultOptions();
  options.fused_critic = false;
  options.precision = tarmac::learner::Precision::kBfloat16;
  options.threads = 1;
  RunUpdates(state, options);
}
BENCHMARK(BM_SacUpdateBf16OneThread)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// The actors users bring, on the same update (fused critics, float32, 2 threads): the scene
// transformer at its default sizes (64 wide, 2 layers, 4 heads; a 2 x 256 head), and a
// TorchScript module of the built-in 2 x 256 MLP's shape (learner.model). Their ratio to
// BM_SacUpdateFused is the cost of bringing them.
void BM_SacUpdateTransformer(benchmark::State& state) {
  SacOptions options = DefaultOptions();
  options.precision = tarmac::learner::Precision::kFloat32;
  options.arch = tarmac::learner::ActorArch::kTransformer;
  RunUpdates(state, options);
}
BENCHMARK(BM_SacUpdateTransformer)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

void BM_SacUpdateScriptedMlp(benchmark::State& state) {
  const std::string path = "/tmp/tarmac_learner_bench_mlp.pt";
  tarmac::bench::SaveScriptedMlp(path, kShape.obs_dim, {256, 256}, kShape.action_dim);
  SacOptions options = DefaultOptions();
  options.precision = tarmac::learner::Precision::kFloat32;
  options.model = path;
  RunUpdates(state, options);
  std::remove(path.c_str());
}
BENCHMARK(BM_SacUpdateScriptedMlp)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// Updates/s alone, by batch: the baseline of BM_LearnerPipelineAtBatch's.
std::map<int, double> g_alone;

std::string DeviceName() { return g_cuda ? "cuda" : "cpu"; }

// The update as `tarmac learner` runs it by default (fused critics, learner.precision auto:
// bfloat16 on a CPU with AVX-512 BF16, float32 elsewhere and on CUDA) at batch range(0): 256,
// and 4096 as GPU learners train. updates_per_s and samples_per_s (updates x batch).
void BM_SacUpdateAtBatch(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const double updates_per_s = RunUpdates(state, DefaultOptions(), rows);
  if (state.error_occurred()) return;
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * rows, benchmark::Counter::kIsRate);
  g_alone[rows] = updates_per_s;
}
BENCHMARK(BM_SacUpdateAtBatch)
    ->Arg(256)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();

std::unique_ptr<tarmac::testing::RedisServer> g_server;

// The learner job as tarmac train runs it (SAC with the BC term on `demos`) on the filled
// tables, batch 256.
tarmac::actors::LearnerJobOptions PipelineOptions() {
  tarmac::actors::LearnerJobOptions o;
  o.shards = {*tarmac::buffer::ShardEndpoint::Parse(g_server->url())};
  o.sac = DefaultOptions();
  o.sac.bc_weight = 2.0;
  o.shape = kShape;
  o.rl_table = {"rl", 1000000, 0.6};
  o.demo_table = {"demos", 1000000, 0.0};
  o.batch_size = kBatch;
  o.min_replay = 1000;
  o.publish_every = 100;
  return o;
}

struct PipelineRates {
  double updates_per_s = 0.0;
  double sample_wait_fraction = 0.0;  // after the first update (steady_sample_wait_fraction)
};

PipelineRates RunPipeline(benchmark::State& state, const tarmac::actors::LearnerJobOptions& o) {
  tarmac::actors::LearnerJobResult total;  // the runs' times and updates, summed
  for (auto _ : state) {
    caf::actor_system_config cfg;
    tarmac::actors::ConfigureActorSystem(cfg);
    caf::actor_system system{cfg};
    tarmac::monitoring::Metrics metrics;
    std::atomic<bool> stop{false};
    auto result = tarmac::actors::RunLearnerJob(system, o, metrics, stop);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return {};
    }
    total.sample_wait_seconds += result->sample_wait_seconds;
    total.first_sample_wait_seconds += result->first_sample_wait_seconds;
    total.update_seconds += result->update_seconds;
    total.seconds += result->seconds;
    total.updates += result->updates;
    state.SetIterationTime(result->seconds);
  }
  const double updates_per_s = static_cast<double>(total.updates) / total.seconds;
  state.counters["updates_per_s"] = updates_per_s;
  state.counters["samples_per_s"] = updates_per_s * o.batch_size;
  state.counters["sample_wait_fraction"] = total.sample_wait_seconds / total.seconds;
  // Without the wait for the first batches (the job's start): the samplers' pace.
  const double steady_wait = total.SampleWaitShareAfterStart();
  state.counters["steady_sample_wait_fraction"] = steady_wait;
  state.counters["update_fraction"] = total.update_seconds / total.seconds;
  state.counters["device_cuda"] = g_cuda ? 1 : 0;
  return {updates_per_s, steady_wait};
}

// The learner job against the update alone: range(0) 1 is bfloat16, range(1) the intra-op
// threads. Its updates_per_s over BM_SacUpdateFused's (or ...Bf16's, ...Bf16OneThread's) is the
// in-pipeline fraction of the standalone rate. With both cores' threads, the samplers and Redis
// deschedule one of them and every parallel region waits for it.
void BM_LearnerPipeline(benchmark::State& state) {
  tarmac::actors::LearnerJobOptions o = PipelineOptions();
  o.sac.precision = state.range(0) == 1 ? tarmac::learner::Precision::kBfloat16
                                        : tarmac::learner::Precision::kFloat32;
  o.sac.fused_critic = state.range(0) == 0;  // each precision's faster critic
  if (SkippedWithoutBf16(state, o.sac.precision)) return;
  o.sac.threads = static_cast<int>(state.range(1));
  o.max_updates = state.range(0) == 1 ? 1500 : 300;
  RunPipeline(state, o);
}
BENCHMARK(BM_LearnerPipeline)
    ->Args({0, 2})
    ->Args({1, 2})
    ->Args({1, 1})
    ->Unit(benchmark::kSecond)
    ->Iterations(2)
    ->UseManualTime();

// The pipeline as `tarmac learner` runs it by default (as BM_SacUpdateAtBatch, two threads) at
// batch range(0), 4 s of training a run on any device: its steady_sample_wait_fraction is the
// share of the learner's time the samplers leave it waiting once the first batches are in
// (the wait for those is the job's start, which in a short run would dominate at 4096).
void BM_LearnerPipelineAtBatch(benchmark::State& state) {
  tarmac::actors::LearnerJobOptions o = PipelineOptions();
  o.batch_size = static_cast<int>(state.range(0));
  o.max_updates = 0;
  o.max_seconds = 4.0;  // whatever the device's pace
  const PipelineRates rates = RunPipeline(state, o);
  if (state.error_occurred()) return;
  const std::string name = absl::StrCat("learner job on ", DeviceName(), ", batch ", o.batch_size);
  tarmac::bench::Headline(
      name + ": updates/s", rates.updates_per_s, "updates/s", tarmac::bench::Better::kHigher,
      absl::StrFormat("%s: %.1f updates/s (%.0f samples/s), waiting for samples %.2f %% of the "
                      "time after the first batch",
                      name, rates.updates_per_s, rates.updates_per_s * o.batch_size,
                      100 * rates.sample_wait_fraction));
  tarmac::bench::Headline(
      name + ": sample-wait share", rates.sample_wait_fraction, "fraction",
      tarmac::bench::Better::kLower,
      absl::StrFormat("%s: sample-wait share %.4f", name, rates.sample_wait_fraction));
  if (const auto alone = g_alone.find(o.batch_size); alone != g_alone.end()) {
    tarmac::bench::Ratio(name, absl::StrCat("the update alone at batch ", o.batch_size),
                         rates.updates_per_s / alone->second, tarmac::bench::Better::kHigher);
  }
}
BENCHMARK(BM_LearnerPipelineAtBatch)
    ->Arg(256)
    ->Arg(4096)
    ->Unit(benchmark::kSecond)
    ->Iterations(2)
    ->UseManualTime();

// What a learner's sampler does per batch: REPLAY.SAMPLE 256 from `rl` (20 000 Transition
// items of 76 observation floats, FillReplay) and the decode into training columns; items/s.
// bench/python_bench.py compares tarmac.Replay.sample (the same work into numpy) with it.
void BM_SampleDecode256(benchmark::State& state) {
  tarmac::buffer::ReplayClientOptions options;
  options.shards = {*tarmac::buffer::ShardEndpoint::Parse(g_server->url())};
  auto client = tarmac::buffer::ReplayClient::Connect(options).value();
  TrainingBatch batch;
  for (auto _ : state) {
    auto drawn = client->Sample("rl", kBatch);
    if (!drawn.ok() || !tarmac::learner::DecodeTrainingBatch(*drawn, kShape, &batch).ok()) {
      state.SkipWithError("sample failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_SampleDecode256)->UseRealTime()->MinTime(2.0);

void FillReplay() {
  tarmac::buffer::ReplayClientOptions options;
  options.shards = {*tarmac::buffer::ShardEndpoint::Parse(g_server->url())};
  auto client = tarmac::buffer::ReplayClient::Connect(options);
  (void)(*client)->CreateTable({"rl", 1000000, 0.6});
  (void)(*client)->CreateTable({"demos", 1000000, 0.0});
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  for (int b = 0; b < 100; ++b) {
    std::vector<std::string> payloads;
    for (int i = 0; i < 200; ++i) {
      tarmac::schemas::Transition t;
      for (int d = 0; d < kShape.obs_dim; ++d) {
        t.obs.push_back(normal(rng));
        t.next_obs.push_back(normal(rng));
      }
      t.action = {normal(rng), 0.1F * normal(rng)};
      t.reward = normal(rng);
      t.discount = 0.97F;
      payloads.push_back(tarmac::schemas::EncodeTransition(t));
    }
    std::vector<tarmac::buffer::InsertItem> items;
    for (const auto& p : payloads) items.push_back({std::nullopt, 0, p});
    (void)(*client)->Insert("rl", 0, items);
    (void)(*client)->Insert("demos", 0, items);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--device=", 9) != 0) continue;
    g_device = argv[i] + 9;
    if (g_device != "cpu" && g_device != "cuda" && g_device != "auto") {
      std::fprintf(stderr, "learner_bench: --device must be cpu, cuda or auto, not '%s'\n",
                   g_device.c_str());
      return 2;
    }
    if (g_device == "cuda" && !torch::cuda::is_available()) {
      std::fprintf(stderr,
                   "learner_bench: --device=cuda was asked for, but this LibTorch build sees no "
                   "CUDA device; use --device=cpu or auto\n");
      return 2;
    }
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    --i;
  }
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  g_cuda = g_device != "cpu" && torch::cuda::is_available();
  // As a learner process does (RunLearnerJob): the standalone updates measure the same heap.
  tarmac::util::KeepFreedMemory();
  auto server = tarmac::testing::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "learner_bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = std::move(*server);
  FillReplay();
  tarmac::bench::RatioReporter reporter(std::vector<std::pair<std::string, std::string>>{
      {"BM_SacUpdate/min_time:3.000/real_time", "BM_BareForwardBackward/min_time:3.000/real_time"},
      {"BM_SacUpdateFused/min_time:3.000/real_time", "BM_SacUpdate/min_time:3.000/real_time"},
      {"BM_SacUpdateBf16/min_time:3.000/real_time", "BM_SacUpdate/min_time:3.000/real_time"},
      {"BM_SacUpdateFusedBf16/min_time:3.000/real_time", "BM_SacUpdate/min_time:3.000/real_time"},
      {"BM_SacUpdateTransformer/min_time:3.000/real_time",
       "BM_SacUpdateFused/min_time:3.000/real_time"},
      {"BM_SacUpdateScriptedMlp/min_time:3.000/real_time",
       "BM_SacUpdateFused/min_time:3.000/real_time"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  g_server.reset();
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
