// The latency from publishing a weights blob to a rollout process's inference actor acting
// with it (publish -> PUBLISH notification -> fetch, checksum, decode, load -> the next batch),
// for the 1.2 MB blob of a 512 x 512 MLP and for the scene transformer's, each into a running
// default rollout job writing to a local Redis. (The decode and load alone: policy_bench.)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "driving_trainers.h"
#include "ratio_reporter.h"
#include "redis_server.h"
#include "rollout_jobs.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/monitoring/metrics.h"
#include "tarmac/schemas/policy_weights.h"

namespace {

std::unique_ptr<tarmac::testing::RedisServer> g_server;

// Publish -> the inference actor acting with the new version, for `trainer`'s actor.
void RunWeightSwaps(benchmark::State& state, tarmac::learner::SacTrainer& published) {
  tarmac::actors::RolloutJobOptions o = tarmac::bench::DefaultRolloutJob(g_server->url());
  o.hidden_sizes = {512, 512};
  tarmac::monitoring::Metrics metrics;
  std::atomic<bool> stop{false};
  auto job =
      std::async(std::launch::async, [&] { return tarmac::bench::RunJob(o, metrics, stop); });
  auto control = tarmac::buffer::ControlClient::Connect(o.shards.front());
  auto& steps = metrics.env_steps_total.Add({});
  while (steps.Value() < 1000) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  tarmac::learner::SacTrainer* trainer = &published;
  auto& version = metrics.policy_version.Add({});
  std::vector<double> latencies;
  // Above whatever this Redis already holds (an earlier benchmark's swaps): actors ignore a
  // version older than the one they run. Read from Redis, not from the gauge: the job's weights
  // actor may not have loaded the stored latest yet when the steps above are reached.
  auto latest = (*control)->LatestWeightsVersion();
  std::uint64_t v = (latest.ok() ? *latest : 0) + 100;
  std::size_t bytes = 0;
  const auto swap = [&] {
    auto blob = tarmac::schemas::EncodePolicyWeights(trainer->ExportPolicy(++v)).value();
    bytes = blob.size();
    const auto start = std::chrono::steady_clock::now();
    (void)(*control)->PublishWeights(v, blob);
    while (version.Value() != static_cast<double>(v) &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // The first swaps of a process pay one-off costs (first-touch allocations, kernel set-up);
  // steady state is what a long rollout sees.
  for (int i = 0; i < 5; ++i) (void)swap();
  for (auto _ : state) {
    const double seconds = swap();
    latencies.push_back(seconds);
    state.SetIterationTime(seconds);
  }
  stop = true;
  (void)job.get();
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double q) {  // nearest rank: the smallest value with q of them at or below
    const auto rank =
        static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies.size())));
    return latencies[std::clamp<std::size_t>(rank, 1, latencies.size()) - 1];
  };
  state.counters["blob_bytes"] = static_cast<double>(bytes);
  state.counters["p50_ms"] = 1000 * at(0.5);
  state.counters["p99_ms"] = 1000 * at(0.99);
  tarmac::bench::Headline(
      absl::StrCat("weight swap p50 (", bytes, "-byte blob)"), 1000 * at(0.5), "ms",
      tarmac::bench::Better::kLower,
      absl::StrFormat("weight swap (%zu-byte blob, publish -> acting, %zu swaps after 5 warm-up): "
                      "p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                      bytes, latencies.size(), 1000 * at(0.5), 1000 * at(0.99),
                      1000 * latencies.back()));
}

void BM_WeightSwap1MB(benchmark::State& state) {
  RunWeightSwaps(state, *tarmac::bench::LargeTrainer());
}
BENCHMARK(BM_WeightSwap1MB)->Unit(benchmark::kMillisecond)->Iterations(200)->UseManualTime();

// The scene transformer's blob (default sizes) through the same swap.
void BM_WeightSwapTransformer(benchmark::State& state) {
  RunWeightSwaps(state, *tarmac::bench::DrivingTrainer(tarmac::bench::TransformerOptions()));
}
// 30 swaps: each step of its actors takes ~7 ms of inference on one core.
BENCHMARK(BM_WeightSwapTransformer)->Unit(benchmark::kMillisecond)->Iterations(30)->UseManualTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  auto server = tarmac::testing::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "swap_bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = std::move(*server);
  tarmac::bench::RatioReporter reporter(std::vector<std::pair<std::string, std::string>>{
      {"BM_WeightSwapTransformer/iterations:30/manual_time",
       "BM_WeightSwap1MB/iterations:200/manual_time"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  g_server.reset();
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
