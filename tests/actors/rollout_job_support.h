#ifndef TARMAC_TESTS_ACTORS_ROLLOUT_JOB_SUPPORT_H_
#define TARMAC_TESTS_ACTORS_ROLLOUT_JOB_SUPPORT_H_

// What the rollout-job tests share: a small job against a test redis-server, jobs run in the
// background or in turn, and readers of what a job wrote.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/buffer/replay_server.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"
#include "tarmac/envs/registry.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/episode_log.h"
#include "tarmac/schemas/policy_weights.h"
#include "tarmac/schemas/transition.h"

namespace tarmac::actors {

inline buffer::ShardEndpoint Endpoint(const testing::RedisServer& server) {
  return *buffer::ShardEndpoint::Parse(server.url());
}

// A replay client of `server`'s tables (for reading back what a job wrote).
inline absl::StatusOr<std::unique_ptr<buffer::ReplayClient>> Connect(
    const testing::RedisServer& server) {
  buffer::ReplayClientOptions options;
  options.shards = {Endpoint(server)};
  return buffer::ReplayClient::Connect(options);
}

inline RolloutJobOptions SmallJob(const testing::RedisServer& server) {
  RolloutJobOptions o;
  o.shards = {Endpoint(server)};
  o.env_name = "highway-v0";
  o.table.name = "rl";
  o.table.capacity = 1'000'000;
  o.actors = 2;
  o.envs_per_actor = 4;
  o.hidden_sizes = {32, 32};
  o.heartbeat_seconds = 0.2;
  o.weights_poll_seconds = 0.5;
  o.seed = 42;
  return o;
}

inline learner::BatchShape HighwayShape() {
  const envs::DrivingEnv probe(
      envs::DrivingEnvOptions::From({}, "highway-v0", envs::ScenarioFamily::kHighway));
  const envs::EnvSpec& spec = probe.spec();
  return {spec.observation_size, spec.action_size, spec.action_low, spec.action_high, {}};
}

inline learner::SacOptions SmallSac() {
  learner::SacOptions sac;
  sac.hidden_sizes = {32, 32};
  sac.device = "cpu";
  sac.threads = 1;
  return sac;
}

// A small SAC trainer for highway-v0, whose exported weights SmallJob's actors accept.
inline absl::StatusOr<std::unique_ptr<learner::SacTrainer>> SmallHighwayTrainer() {
  return learner::SacTrainer::Create(SmallSac(), HighwayShape());
}

// Runs a job on its own thread and actor system.
class BackgroundJob {
 public:
  BackgroundJob(RolloutJobOptions options, monitoring::Metrics* metrics)
      : future_(std::async(std::launch::async, [this, options, metrics] {
          caf::actor_system_config cfg;
          tarmac::actors::ConfigureActorSystem(cfg);
          caf::actor_system system{cfg};
          return RunRolloutJob(system, options, *metrics, stop_);
        })) {}
  ~BackgroundJob() {
    stop_ = true;
    if (future_.valid()) future_.wait();
  }
  absl::StatusOr<RolloutJobResult> Stop() {
    stop_ = true;
    return future_.get();
  }

 private:
  std::atomic<bool> stop_{false};
  std::future<absl::StatusOr<RolloutJobResult>> future_;
};

// An actor system configured as tarmac's, on which a test runs jobs to their end in turn.
class JobRunner {
 public:
  JobRunner() : system_(Configured(cfg_)) {}
  absl::StatusOr<RolloutJobResult> Run(const RolloutJobOptions& options,
                                       monitoring::Metrics& metrics) {
    return RunRolloutJob(system_, options, metrics, stop_);
  }

 private:
  static caf::actor_system_config& Configured(caf::actor_system_config& cfg) {
    tarmac::actors::ConfigureActorSystem(cfg);
    return cfg;
  }
  caf::actor_system_config cfg_;
  caf::actor_system system_;
  std::atomic<bool> stop_{false};
};

// Waits (bounded) until `condition` holds.
template <class F>
inline bool WaitFor(F condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

inline double GaugeValue(prometheus::Family<prometheus::Gauge>& family) {
  return family.Add({}).Value();
}

// Publishes `trainer`'s actor as weights `version`, signed with `key` when one is given.
inline ::testing::AssertionResult Publish(buffer::ControlClient& control,
                                          learner::SacTrainer& trainer, std::uint64_t version,
                                          const std::string& key = "") {
  absl::StatusOr<std::string> blob =
      schemas::EncodePolicyWeights(trainer.ExportPolicy(version), key);
  if (!blob.ok()) return ::testing::AssertionFailure() << blob.status();
  if (absl::Status s = control.PublishWeights(version, *blob); !s.ok()) {
    return ::testing::AssertionFailure() << s;
  }
  return ::testing::AssertionSuccess();
}

// Waits (bounded) until the job acts with weights `version` (its policy-version gauge).
inline bool ActsWith(monitoring::Metrics& metrics, double version) {
  return WaitFor([&] { return GaugeValue(metrics.policy_version) == version; });
}

// `runner` refuses `options` before stepping, in an error that names `what`.
inline ::testing::AssertionResult RefusedNaming(JobRunner& runner, const RolloutJobOptions& options,
                                                monitoring::Metrics& metrics,
                                                const std::string& what) {
  absl::StatusOr<RolloutJobResult> result = runner.Run(options, metrics);
  if (result.ok()) return ::testing::AssertionFailure() << "the job ran";
  if (result.status().message().find(what) == std::string::npos) {
    return ::testing::AssertionFailure() << result.status() << " does not name " << what;
  }
  return ::testing::AssertionSuccess();
}

// Every item of the table, drained by sampling a table made with MAX_TIMES_SAMPLED 1; each
// item's tags to `tags` when given.
inline std::vector<schemas::Transition> DrainTable(buffer::ReplayClient& client,
                                                   const std::string& table,
                                                   std::vector<std::uint64_t>* tags = nullptr) {
  std::vector<schemas::Transition> all;
  for (int round = 0; round < 100000; ++round) {
    auto sample = client.Sample(table, 256, {});
    if (!sample.ok()) {
      EXPECT_NE(sample.status().message().find("empty"), std::string::npos) << sample.status();
      break;
    }
    std::set<std::uint64_t> seen;
    for (const auto& item : sample->items) {
      if (!seen.insert(item.key.shard * (1ULL << 60) + item.key.id).second) continue;
      auto t = schemas::DecodeTransition(item.payload);
      EXPECT_TRUE(t.ok()) << t.status();
      if (t.ok()) all.push_back(std::move(*t));
      if (t.ok() && tags != nullptr) tags->push_back(item.tags);
    }
  }
  return all;
}

// Each (actor, env, episode) must hold steps 0..L-1 exactly once.
inline void ExpectEveryStepExactlyOnce(const std::vector<schemas::Transition>& all) {
  std::map<std::tuple<std::string, std::uint32_t, std::uint64_t>, std::vector<std::uint32_t>>
      episodes;
  for (const auto& t : all) episodes[{t.actor_id, t.env_id, t.episode_id}].push_back(t.step);
  for (auto& [key, steps] : episodes) {
    std::sort(steps.begin(), steps.end());
    for (std::size_t i = 0; i < steps.size(); ++i) {
      ASSERT_EQ(steps[i], i) << "episode " << std::get<2>(key) << " of env " << std::get<1>(key)
                             << ": a step is missing or duplicated";
    }
  }
}

// The payloads of every item of a table made with MAX_TIMES_SAMPLED 1, in insertion order.
inline std::vector<std::string> PayloadsInOrder(buffer::ReplayClient& client,
                                                const std::string& table) {
  std::map<std::uint64_t, std::string> by_id;
  for (int round = 0; round < 100000; ++round) {
    auto sample = client.Sample(table, 256, {});
    if (!sample.ok()) break;
    for (const auto& item : sample->items) by_id.emplace(item.key.id, item.payload);
  }
  std::vector<std::string> payloads;
  for (auto& [id, payload] : by_id) payloads.push_back(std::move(payload));
  return payloads;
}

}  // namespace tarmac::actors

#endif  // TARMAC_TESTS_ACTORS_ROLLOUT_JOB_SUPPORT_H_
