// One rollout process (default MLP policy 2 x 256, default env, 2 env actors x 64 envs) writing
// into a local Redis, against bare env stepping of the same env in the same process: how much
// the actor machinery (inference, n-step assembly, encoding, inserts) costs per transition.
// Throughput is per core: transitions divided by the process's CPU seconds (all threads), so the
// figure does not depend on how many cores the machine lends us. Also: the ceiling of that ratio
// (stepping and inference alone), behaviour analytics' share and what a page fault costs. (The
// forward pass alone, per inference kernel and model: policy_bench; weight swaps: swap_bench.)

#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "episode_analyst.h"
#include "ratio_reporter.h"
#include "redis_server.h"
#include "rollout_jobs.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/monitoring/metrics.h"

namespace {

std::unique_ptr<tarmac::testing::RedisServer> g_server;

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Minor page faults this process has taken.
double PageFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_minflt);
}

// What /proc/PID/stat says process `pid` has used: its CPU seconds (user + system, fields 14
// and 15, in clock ticks) and its minor page faults (field 10); -1 each when they cannot be
// read. For the Redis server, whose work per transition (the inserts, the priority tree) the
// actor process's own figures leave out.
struct ProcessUse {
  double cpu_seconds = -1.0;
  double page_faults = -1.0;
};
ProcessUse ReadProcessUse(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t after_name = stat.rfind(')');  // the name may hold spaces
  if (after_name == std::string::npos) return {};
  std::istringstream fields(stat.substr(after_name + 2));
  std::string field;
  double faults = -1, utime = -1, stime = -1;
  for (int k = 3; k <= 15 && fields >> field; ++k) {
    if (k == 10) faults = std::stod(field);
    if (k == 14) utime = std::stod(field);
    if (k == 15) stime = std::stod(field);
  }
  if (faults < 0 || utime < 0 || stime < 0) return {};
  return {(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK)), faults};
}

// Bare stepping of `envs` envs of the default env (16: the baseline): under the middle of the
// action range, where an untrained network's mean action lies (gentle braking, straight on:
// episodes of ~260 steps, as the actor process's under mean actions), or under uniform random
// actions, the random policy's regime (an untrained network steers hard and most episodes end
// after ~10 steps, so resets dominate).
class BareEnvs {
 public:
  BareEnvs(bool random_actions, int envs = kBaselineEnvs)
      : batch_(tarmac::envs::EnvBatch::Create("driving-v0", envs, 1).value()),
        random_(random_actions),
        actions_(2 * static_cast<std::size_t>(envs), 0.0F) {
    const auto& spec = batch_->spec();
    for (std::size_t i = 0; i < actions_.size(); ++i) {
      actions_[i] = 0.5F * (spec.action_low[i % 2] + spec.action_high[i % 2]);
    }
  }
  // One step of every env; returns the episodes it finished.
  std::size_t Step() {
    if (random_) {
      const auto& spec = batch_->spec();
      for (std::size_t i = 0; i < actions_.size(); ++i) {
        actions_[i] = spec.action_low[i % 2] +
                      unit_(rng_) * (spec.action_high[i % 2] - spec.action_low[i % 2]);
      }
    }
    batch_->Step(actions_);
    return batch_->TakeFinishedEpisodes().size();
  }
  int size() const { return batch_->size(); }
  static constexpr int kBaselineEnvs = 16;

 private:
  std::unique_ptr<tarmac::envs::EnvBatch> batch_;
  bool random_;
  std::vector<float> actions_;
  std::mt19937 rng_{3};
  std::uniform_real_distribution<float> unit_{0.0F, 1.0F};
};

void RunBareEnvs(benchmark::State& state, bool random_actions, int envs = BareEnvs::kBaselineEnvs) {
  BareEnvs batch(random_actions, envs);
  std::uint64_t episodes = 0;
  const double cpu0 = CpuSeconds();
  for (auto _ : state) episodes += batch.Step();
  const double steps = static_cast<double>(state.iterations()) * batch.size();
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["steps_per_core_s"] = steps / (CpuSeconds() - cpu0);
  state.counters["steps_per_episode"] = steps / std::max<double>(1, episodes);
}

void BM_EnvOnly(benchmark::State& state) { RunBareEnvs(state, false); }
BENCHMARK(BM_EnvOnly)->MinTime(2.0);

void BM_EnvOnlyRandomActions(benchmark::State& state) { RunBareEnvs(state, true); }
BENCHMARK(BM_EnvOnlyRandomActions)->MinTime(2.0);

// BM_EnvOnly with an env actor's 64 envs in the batch: the default env's ~100 vehicles an
// episode take ~20 KB an env, so 64 of them outgrow the core's L2 cache and every env step
// starts from colder memory than 16 do. Its ratio to BM_EnvOnly is the part of the actor
// process's gap to bare stepping that is the batch size, not the machinery.
void BM_EnvOnlyActorBatch(benchmark::State& state) { RunBareEnvs(state, false, 64); }
BENCHMARK(BM_EnvOnlyActorBatch)->MinTime(2.0);

// The ceiling of BM_ActorProcessLongEpisodes: its stepping and inference alone, in one thread,
// with no n-step windows, encoding, Redis or threads to wake. 2 x 64 envs of the default env
// acting on the mean actions of the untrained default policy (2 x 256, the rollout job's seed),
// one 128-row forward pass a round as the inference actor batches both env actors' requests.
// Its ratio to BM_EnvOnly is what an actor process could reach if everything else were free.
void BM_EnvAndInferenceOnly(benchmark::State& state) {
  constexpr int kBatches = 2, kEnvs = 64, kRows = kBatches * kEnvs;
  std::vector<std::unique_ptr<tarmac::envs::EnvBatch>> batches;
  for (int b = 0; b < kBatches; ++b) {
    batches.push_back(tarmac::envs::EnvBatch::Create("driving-v0", kEnvs, 1 + b).value());
  }
  const tarmac::envs::EnvSpec& spec = batches[0]->spec();
  auto policy = tarmac::learner::InferencePolicy::Random(spec.observation_size, spec.action_low,
                                                         spec.action_high, {256, 256}, 7)
                    .value();
  tarmac::learner::SetInferenceThreads(1);
  const std::size_t obs_size = spec.observation_size, act_size = spec.action_size;
  std::vector<float> obs(kRows * obs_size), actions(kRows * act_size);
  std::uint64_t seed = 0, episodes = 0;
  const double cpu0 = CpuSeconds();
  for (auto _ : state) {
    for (int b = 0; b < kBatches; ++b) {
      const auto o = batches[b]->observations();
      std::copy(o.begin(), o.end(), obs.begin() + b * kEnvs * obs_size);
    }
    policy->Act(obs, kRows, {}, ++seed, absl::MakeSpan(actions));
    for (int b = 0; b < kBatches; ++b) {
      batches[b]->Step(
          absl::MakeConstSpan(actions).subspan(b * kEnvs * act_size, kEnvs * act_size));
      episodes += batches[b]->TakeFinishedEpisodes().size();
    }
  }
  const double steps = static_cast<double>(state.iterations()) * kRows;
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["steps_per_core_s"] = steps / (CpuSeconds() - cpu0);
  state.counters["steps_per_episode"] = steps / std::max<double>(1, episodes);
}
BENCHMARK(BM_EnvAndInferenceOnly)->MinTime(2.0);

// What behaviour analytics adds to an env actor's stepping, in process and without the rest of
// the actor (inference, Redis), so that its few per cent are not lost in the process
// benchmark's noise: 64 envs of the default env under a constant action, bare or with every
// episode recorded and analysed by the actors' own EpisodeAnalyst (metrics, built-in behaviour
// counts) and one in actor.log_every (100) recorded completely and written as a zstd log, as
// a training run does. Interleave the two (--benchmark_enable_random_interleaving) and compare
// their steps_per_core_s.
void RunAnalysedEnvs(benchmark::State& state, bool analyse) {
  constexpr int kEnvs = 64;
  auto batch = tarmac::envs::EnvBatch::Create("driving-v0", kEnvs, 11).value();
  const std::string dir = "/tmp/tarmac-actor-bench-logs";
  std::filesystem::create_directories(dir);
  tarmac::monitoring::Metrics metrics;
  std::unique_ptr<tarmac::actors::EpisodeAnalyst> analyst;
  if (analyse) {
    batch->RecordEpisodes("bench", tarmac::actors::RolloutJobOptions{}.log_every);
    analyst = std::make_unique<tarmac::actors::EpisodeAnalyst>(
        &tarmac::analysis::BuiltInBehaviours(), &metrics, "bench", dir);
  }
  std::vector<float> actions(2 * kEnvs, 0.0F);
  std::uint64_t episodes = 0;
  const double cpu0 = CpuSeconds();
  for (auto _ : state) {
    batch->Step(actions);
    auto finished = batch->TakeFinishedEpisodes();
    if (analyst != nullptr) analyst->Analyse(batch->TakeFinishedLogs(), &finished);
    episodes += finished.size();
  }
  const double steps = static_cast<double>(state.iterations()) * kEnvs;
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["steps_per_core_s"] = steps / (CpuSeconds() - cpu0);
  state.counters["steps_per_episode"] = steps / std::max<double>(1, episodes);
  if (analyst != nullptr) state.counters["logs_written"] = analyst->logs_written();
  std::filesystem::remove_all(dir);
}
void BM_EnvsUnanalysedBaseline(benchmark::State& state) { RunAnalysedEnvs(state, false); }
void BM_EnvsAnalysed(benchmark::State& state) { RunAnalysedEnvs(state, true); }
BENCHMARK(BM_EnvsUnanalysedBaseline)->MinTime(4.0);
BENCHMARK(BM_EnvsAnalysed)->MinTime(4.0);

// What one page fault costs this machine: writing one byte to each 4 KiB page of fresh
// anonymous memory (64 MiB a round, unmapped after). The actor-process benchmarks count the
// faults of the actor process and of Redis; their product with this is the CPU they cost.
void BM_FirstTouchPage(benchmark::State& state) {
  constexpr std::size_t kBytes = std::size_t{64} << 20, kPage = 4096;
  const double cpu0 = CpuSeconds();
  for (auto _ : state) {
    void* memory =
        mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      state.SkipWithError("mmap failed");
      return;
    }
    auto* bytes = static_cast<volatile char*>(memory);
    for (std::size_t at = 0; at < kBytes; at += kPage) bytes[at] = 1;
    munmap(memory, kBytes);
  }
  const double pages = static_cast<double>(state.iterations()) * (kBytes / kPage);
  state.SetItemsProcessed(static_cast<std::int64_t>(pages));
  state.counters["cpu_us_per_page"] = 1e6 * (CpuSeconds() - cpu0) / pages;
}
BENCHMARK(BM_FirstTouchPage)->Unit(benchmark::kMillisecond)->MinTime(1.0);

tarmac::actors::RolloutJobOptions DefaultJob() {
  return tarmac::bench::DefaultRolloutJob(g_server->url());
}

// Bare stepping for about `seconds` of CPU, in env steps per CPU second: the baseline each
// actor-process run is compared with, measured right before it.
double BareStepsPerCoreSecond(bool random_actions, double seconds) {
  BareEnvs envs(random_actions);
  std::uint64_t steps = 0;
  const double cpu0 = CpuSeconds();
  while (CpuSeconds() - cpu0 < seconds) {
    for (int k = 0; k < 50; ++k, steps += envs.size()) envs.Step();
  }
  return static_cast<double>(steps) / (CpuSeconds() - cpu0);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Runs the rollout job to 200k env steps per iteration; reports transitions written per CPU
// second of this process (median, min and max over the iterations: the machine is shared and
// a neighbour only ever slows a run down) and the median ratio to bare stepping measured just
// before each run. With `full_replay` the job writes into a table of 200k items that an
// unmeasured run has filled first, so every measured insert replaces an item, as a fleet's do
// after its first minute; otherwise into the default 2M-item table, which the runs are filling.
void RunActorProcess(benchmark::State& state, float noise_scale, bool random_baseline,
                     const char* label, bool analyse = true, bool full_replay = false,
                     const char* inference = "batched") {
  tarmac::actors::RolloutJobOptions o = DefaultJob();
  o.max_env_steps = 200000;
  o.inference = inference;
  o.noise_scale = noise_scale;
  o.analyse = analyse;
  if (full_replay) o.table = {"rl_full", 200000, 0.6};
  // Episode logs are written (one in the default actor.log_every), as a training run does.
  static const std::string log_dir = [] {
    char pattern[] = "/tmp/tarmac-actor-bench-XXXXXX";
    return std::string(mkdtemp(pattern) != nullptr ? pattern : "/tmp");
  }();
  o.log_dir = log_dir;
  if (full_replay) {
    tarmac::monitoring::Metrics metrics;
    const std::atomic<bool> stop{false};
    auto fill = o;
    fill.max_env_steps = 250000;  // past the capacity: the table is full and has wrapped
    if (auto filled = tarmac::bench::RunJob(fill, metrics, stop); !filled.ok()) {
      state.SkipWithError(std::string(filled.status().message()).c_str());
      return;
    }
  }
  std::vector<double> rates, ratios, redis_per_transition, faults_per_k, redis_faults_per_k;
  double written = 0, episodes = 0;
  for (auto _ : state) {
    const double baseline = BareStepsPerCoreSecond(random_baseline, 0.5);
    // Not RunJob: the actor system's start and shutdown stay out of the measured CPU.
    caf::actor_system_config cfg;
    tarmac::actors::ConfigureActorSystem(cfg);
    caf::actor_system system{cfg};
    tarmac::monitoring::Metrics metrics;
    std::atomic<bool> stop{false};
    const ProcessUse redis0 = ReadProcessUse(g_server->pid());
    const double faults0 = PageFaults();
    const double cpu0 = CpuSeconds();
    auto result = tarmac::actors::RunRolloutJob(system, o, metrics, stop);
    const double cpu = CpuSeconds() - cpu0;
    const double faults = PageFaults() - faults0;
    const ProcessUse redis1 = ReadProcessUse(g_server->pid());
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    written += static_cast<double>(result->written);
    episodes += static_cast<double>(result->episodes);
    rates.push_back(static_cast<double>(result->written) / cpu);
    ratios.push_back(rates.back() / baseline);
    state.SetIterationTime(result->seconds);
    const double thousands = static_cast<double>(result->written) / 1000;
    if (thousands == 0) continue;
    faults_per_k.push_back(faults / thousands);
    if (redis0.cpu_seconds >= 0 && redis1.cpu_seconds >= 0) {
      redis_per_transition.push_back((redis1.cpu_seconds - redis0.cpu_seconds) /
                                     (1000 * thousands));
      redis_faults_per_k.push_back((redis1.page_faults - redis0.page_faults) / thousands);
    }
  }
  const double per_core = Median(rates);
  const double steps_per_episode = written / std::max<double>(1, episodes);
  state.counters["transitions_per_core_s"] = per_core;
  state.counters["min"] = *std::min_element(rates.begin(), rates.end());
  state.counters["max"] = *std::max_element(rates.begin(), rates.end());
  state.counters["ratio_to_env_only"] = Median(ratios);
  state.counters["steps_per_episode"] = steps_per_episode;
  // Redis's CPU per transition next to the actor's (both in microseconds): what one transition
  // costs the machine, with the replay's own work counted.
  const double redis_us = redis_per_transition.empty() ? -1 : 1e6 * Median(redis_per_transition);
  state.counters["actor_cpu_us_per_transition"] = 1e6 / per_core;
  state.counters["redis_cpu_us_per_transition"] = redis_us;
  // Minor page faults per 1000 transitions, in each process: new memory touched (what one costs
  // this machine: BM_FirstTouchPage).
  const double faults_k = faults_per_k.empty() ? -1 : Median(faults_per_k);
  const double redis_faults_k = redis_faults_per_k.empty() ? -1 : Median(redis_faults_per_k);
  state.counters["actor_faults_per_k_transitions"] = faults_k;
  state.counters["redis_faults_per_k_transitions"] = redis_faults_k;
  const std::string name = absl::StrCat("actor process, ", label);
  tarmac::bench::Headline(
      name + ": transitions/s per core", per_core, "transitions/s", tarmac::bench::Better::kHigher,
      absl::StrFormat(
          "actor process, %s: median %.0f transitions/s per core over %zu runs (min %.0f, max "
          "%.0f; %.1f steps per episode) = %.3f x bare env stepping under comparable actions; "
          "CPU per transition: %.2f us in the actor process, %.2f us in Redis; page faults per "
          "1000 transitions: %.0f in the actor process, %.0f in Redis",
          label, per_core, rates.size(), *std::min_element(rates.begin(), rates.end()),
          *std::max_element(rates.begin(), rates.end()), steps_per_episode, Median(ratios),
          1e6 / per_core, redis_us, faults_k, redis_faults_k));
  tarmac::bench::Ratio(name, "bare env stepping", Median(ratios), tarmac::bench::Better::kHigher);
}

// Each actor-process benchmark: five runs, timed by the job's own clock.
void FiveRuns(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kSecond)->Iterations(5)->UseManualTime();
}

// The untrained policy sampled with unit noise: most episodes end after ~10 steps, so resets
// dominate; compared with bare stepping under uniform random actions.
void BM_ActorProcess(benchmark::State& state) {
  RunActorProcess(state, 1.0F, /*random_baseline=*/true, "random policy");
}
BENCHMARK(BM_ActorProcess)->Apply(FiveRuns);

// The policy's mean action (noise 0): the untrained network's mean sits mid-range, episodes run
// long as a driving policy's do; compared with bare stepping under the mid-range action.
void BM_ActorProcessLongEpisodes(benchmark::State& state) {
  RunActorProcess(state, 0.0F, /*random_baseline=*/false, "mean actions");
}
BENCHMARK(BM_ActorProcessLongEpisodes)->Apply(FiveRuns);

// The same into a full replay table: the steady state of a rollout fleet, whose table fills in
// its first minute (tarmac train's, at a few hundred inserts a second, fills over most of a
// 30-minute run). While a table grows, Redis touches new memory for every item (page faults,
// counted): more than twice its CPU, and an actor process sharing its core runs slower.
void BM_ActorProcessLongEpisodesFullReplay(benchmark::State& state) {
  RunActorProcess(state, 0.0F, /*random_baseline=*/false, "mean actions, full replay",
                  /*analyse=*/true, /*full_replay=*/true);
}
BENCHMARK(BM_ActorProcessLongEpisodesFullReplay)->Apply(FiveRuns);

// The same with actor.inference inline: each env actor runs the forward pass on its own 64
// rows in its own thread instead of handing them to the inference actor and waiting.
void BM_ActorProcessLongEpisodesInline(benchmark::State& state) {
  RunActorProcess(state, 0.0F, /*random_baseline=*/false, "mean actions, inline inference",
                  /*analyse=*/true, /*full_replay=*/false, "inline");
}
BENCHMARK(BM_ActorProcessLongEpisodesInline)->Apply(FiveRuns);

// The same with actor.analyse false: no recording, behaviour counts or logs. Its ratio to
// BM_ActorProcessLongEpisodes is the cost of behaviour analytics in training.
void BM_ActorProcessLongEpisodesUnanalysed(benchmark::State& state) {
  RunActorProcess(state, 0.0F, /*random_baseline=*/false, "mean actions, not analysed",
                  /*analyse=*/false);
}
BENCHMARK(BM_ActorProcessLongEpisodesUnanalysed)->Apply(FiveRuns);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto server = tarmac::testing::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "actor_bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = std::move(*server);
  tarmac::bench::RatioReporter reporter(
      std::vector<std::pair<std::string, std::string>>{
          {"BM_EnvsAnalysed/min_time:4.000", "BM_EnvsUnanalysedBaseline/min_time:4.000"}},
      std::vector<std::pair<std::string, std::string>>{
          {"BM_EnvAndInferenceOnly/min_time:2.000", "BM_EnvOnly/min_time:2.000"},
          {"BM_EnvOnlyActorBatch/min_time:2.000", "BM_EnvOnly/min_time:2.000"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  g_server.reset();
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
