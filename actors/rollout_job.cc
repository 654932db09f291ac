// RunRolloutJob: checks the options, loads the initial policy, spawns the rollout actors
// (rollout_actors.h) and supervises them until stopped, then shuts them down in order.
#include "tarmac/actors/rollout_job.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rollout_actors.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/policy.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/verified_policy.h"
#include "tarmac/schemas/event.h"
#include "tarmac/util/keep_freed_memory.h"

namespace tarmac::actors {

void LowerThisThread(int nice) {
  thread_local int lowered = 0;
  if (lowered >= nice) return;
  lowered = nice;
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
}

namespace {

// OK when every case of `mix` is a scenario file's with a logged ego for --policy log to drive.
absl::Status CheckLoggedEgoMix(const envs::ScenarioMix* mix) {
  if (mix == nullptr) {
    return absl::InvalidArgumentError(
        "--policy log drives the logged egos of scenario files: give a scenario mix "
        "(actor.scenario_mix) whose sources are suites of imported scenarios");
  }
  for (const envs::ScenarioSource& source : mix->sources()) {
    bool logged = !source.cases.empty();
    for (const envs::ScenarioCase& c : source.cases) {
      logged = logged && c.scenario != nullptr && envs::HasLoggedEgo(*c.scenario);
    }
    if (!logged) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--policy log drives the logged egos of scenario files, and source '", source.name,
          "' of the scenario mix has cases without one (tarmac scenario import-highd writes "
          "scenarios with logged egos)"));
    }
  }
  return absl::OkStatus();
}

std::string DefaultActorId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::random_device random;
  return absl::StrCat(host, "-", getpid(), "-", absl::Hex(random() & 0xffffff));
}

// The policy to start with: the newest published one when it loads, else a random network of
// the configured shape (version 0). A published policy that is refused is logged and counted,
// never silently replaced.
absl::StatusOr<std::pair<InferencePolicyPtr, std::uint64_t>> InitialPolicy(
    const RolloutShared& shared) {
  const RolloutJobOptions& o = shared.options;
  auto control = buffer::ControlClient::Connect(o.shards.front());
  if (!control.ok()) return control.status();
  if (auto latest = (*control)->LatestWeightsVersion(); latest.ok()) {
    auto policy =
        learner::LoadVerifiedPolicy(**control, *latest, shared.spec, o.weights_key, o.Backend());
    if (policy.ok()) return std::make_pair(InferencePolicyPtr(std::move(*policy)), *latest);
    spdlog::error(
        "actor {}: the published weights v{} cannot be used ({}); starting from a random "
        "policy until the learner publishes one that fits",
        o.actor_id, *latest, std::string(policy.status().message()));
    shared.metrics->weights_rejected_total.Add({}).Increment();
    ++shared.stats->rejected;
  } else if (latest.status().code() != absl::StatusCode::kNotFound) {
    return latest.status();
  }
  auto random = learner::InferencePolicy::Random(shared.spec.observation_size,
                                                 shared.spec.action_low, shared.spec.action_high,
                                                 o.hidden_sizes, o.seed, o.Backend());
  if (!random.ok()) return random.status();
  return std::make_pair(InferencePolicyPtr(std::move(*random)), std::uint64_t{0});
}

// Counters start at 0 rather than appearing with their first event, so rates and alerts over
// them are defined from the start (and dashboards show 0, not "no data").
void RegisterCounters(monitoring::Metrics& metrics, bool expert) {
  for (schemas::Event event : schemas::kAllEvents) {
    metrics.events_total.Add({{"event", std::string(schemas::EventName(event))}});
  }
  metrics.actor_restarts_total.Add({{"reason", "exception"}});
  metrics.weights_rejected_total.Add({});
  if (!expert) metrics.policy_swap_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
}

// The env actors, restarted when they fail.
class EnvActors {
 public:
  EnvActors(caf::actor_system& system, caf::scoped_actor& self, RolloutShared& shared)
      : system_(system), self_(self), shared_(shared), actors_(shared.options.actors) {
    for (int i = 0; i < shared.options.actors; ++i) {
      Spawn(i);
      total_steps_ += EnvStepQuota(shared.options, i);
    }
  }

  // Restarts failed env actors until `stop` or every actor has taken its share of
  // max_env_steps.
  void Supervise(const std::atomic<bool>& stop) {
    const RolloutJobOptions& o = shared_.options;
    auto& restarts = shared_.metrics->actor_restarts_total.Add({{"reason", "exception"}});
    while (!stop.load() && (total_steps_ == 0 || shared_.stats->env_steps.load() < total_steps_)) {
      self_->receive(
          [&](const caf::down_msg& down) {
            for (int i = 0; i < o.actors; ++i) {
              if (actors_[i].address() != down.source) continue;
              ++shared_.stats->restarts;
              restarts.Increment();
              Spawn(i);
            }
          },
          caf::after(std::chrono::milliseconds(50)) >> [] {});
    }
  }

  // Env actors hand over their last n-step windows (as truncated), then exit.
  void Stop() {
    for (auto& a : actors_) self_->demonitor(a);
    for (auto& a : actors_) {
      self_->request(a, std::chrono::seconds(5), stop_atom::value)
          .receive([](bool) {}, [](caf::error&) {});
    }
    for (auto& a : actors_) self_->send_exit(a, caf::exit_reason::user_shutdown);
  }

 private:
  void Spawn(int i) {
    ++spawned_;
    const std::uint64_t seed = shared_.options.seed * 1000003ULL + spawned_ * 7919ULL;
    actors_[i] = SpawnEnvActor(system_, &shared_, i, spawned_, seed);
    self_->monitor(actors_[i]);
  }

  caf::actor_system& system_;
  caf::scoped_actor& self_;
  RolloutShared& shared_;
  std::vector<caf::actor> actors_;
  std::uint64_t spawned_ = 0;
  std::uint64_t total_steps_ = 0;  // the actors' shares of max_env_steps (0: no limit)
};

// The writer flushes within flush_seconds; then every pipeline actor exits. The unwritten count.
std::uint64_t StopPipeline(caf::scoped_actor& self, RolloutShared& shared, caf::actor heartbeat,
                           caf::actor weights) {
  const RolloutJobOptions& o = shared.options;
  std::uint64_t unwritten = 0;
  self->request(shared.writer, caf::infinite, stop_atom::value, o.flush_seconds)
      .receive([&](std::uint64_t left) { unwritten = left; },
               [&](caf::error&) { unwritten = shared.stats->transitions - shared.stats->written; });
  self->request(heartbeat, std::chrono::seconds(5), stop_atom::value)
      .receive([](bool) {}, [](caf::error&) {});
  std::vector<caf::actor> rest = {shared.writer, heartbeat};
  if (!o.expert) {
    self->send(weights, stop_atom::value);
    rest.push_back(weights);
  }
  if (shared.inference) {
    self->send(shared.inference, stop_atom::value);
    rest.push_back(shared.inference);
  }
  for (auto& a : rest) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  for (std::size_t i = 0; i < rest.size(); ++i) {
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(10)) >> [] {});
  }
  if (unwritten > 0) {
    spdlog::error("{} transitions could not be written before the flush deadline", unwritten);
  }
  return unwritten;
}

RolloutJobResult Result(const RolloutShared& shared, std::uint64_t unwritten, double seconds) {
  const RolloutStats& stats = *shared.stats;
  RolloutJobResult result;
  result.unwritten = unwritten;
  result.env_steps = stats.env_steps;
  result.transitions = stats.transitions;
  result.written = stats.written;
  result.episodes = stats.episodes;
  result.restarts = stats.restarts;
  result.weight_swaps = stats.swaps;
  result.weights_rejected = stats.rejected;
  result.policy_version = stats.version;
  result.actor_id = shared.options.actor_id;
  result.seconds = seconds;
  return result;
}

}  // namespace

absl::StatusOr<RolloutJobResult> RunRolloutJob(caf::actor_system& system,
                                               const RolloutJobOptions& options_in,
                                               monitoring::Metrics& metrics,
                                               const std::atomic<bool>& stop) {
  if (auto s = options_in.Validate(); !s.ok()) return s;
  util::KeepFreedMemory();
  RolloutStats stats;
  RolloutShared shared;
  shared.options = options_in;
  shared.metrics = &metrics;
  shared.stats = &stats;
  RolloutJobOptions& o = shared.options;
  if (o.actor_id.empty()) o.actor_id = DefaultActorId();
  if (o.seed == 0) o.seed = std::random_device{}() | 1ULL;
  auto probe = envs::EnvBatch::Create(o.env_name, 1, 1, o.env_config);
  if (!probe.ok()) return absl::InvalidArgumentError(probe.status().message());
  shared.spec = (*probe)->spec();
  if (o.mix != nullptr) {
    if (absl::Status m = (*probe)->SetScenarioMix(o.mix); !m.ok()) return m;
  }
  shared.mix = o.mix;
  if (o.load_mix && !o.scenario_mix.empty()) {
    std::error_code ec;
    shared.mix_time = std::filesystem::last_write_time(o.scenario_mix, ec);
  }
  absl::StatusOr<std::vector<analysis::Behaviour>> behaviours =
      analysis::BehavioursFrom(o.behaviours);
  if (!behaviours.ok()) return behaviours.status();
  shared.behaviours = *std::move(behaviours);
  if (o.log_ego) {
    if (absl::Status s = CheckLoggedEgoMix(o.mix.get()); !s.ok()) return s;
  }
  if (o.expert && (*probe)->env(0).MakeExpert() == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--policy expert needs an env with an expert, and ", o.env_name,
        " offers none; drive it with --policy latest (the learner's published weights)"));
  }
  if (o.dagger && (*probe)->env(0).MakeExpert() == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("DAgger labels states with the env's expert, and ", o.env_name,
                     " offers none; set train.dagger_rounds to 0"));
  }

  // Redis must be reachable at start; the table is created when missing.
  {
    buffer::ReplayClientOptions client_options;
    client_options.shards = o.shards;
    auto client = buffer::ReplayClient::Connect(client_options);
    if (!client.ok()) return client.status();
    if (auto s = (*client)->CreateTable(o.table); !s.ok()) return s;
  }
  RegisterCounters(metrics, o.expert);
  InferencePolicyPtr initial;
  std::uint64_t version = 0;
  if (!o.expert) {
    auto loaded = InitialPolicy(shared);
    if (!loaded.ok()) return loaded.status();
    std::tie(initial, version) = std::move(*loaded);
  }
  stats.version = version;
  spdlog::info("actor {}: {} x {} envs of {}, policy {}, into table {} on {} shard(s)", o.actor_id,
               o.actors, o.envs_per_actor, o.env_name,
               o.expert ? "expert"
                        : absl::StrCat("v", version, " (", initial->backend(), ")",
                                       o.dagger ? ", labelled by the expert (DAgger)" : ""),
               o.table.name, o.shards.size());

  const auto started = RolloutClock::now();
  caf::scoped_actor self{system};
  shared.writer = SpawnWriterActor(system, &shared);
  caf::actor weights, heartbeat = SpawnHeartbeatActor(system, &shared);
  if (!o.expert) {
    metrics.policy_version.Add({}).Set(static_cast<double>(version));
    if (o.inference == "inline") {
      // One core's worth of kernels per env actor (the inference actor sets this itself).
      learner::SetInferenceThreads(1);
      shared.policy = initial;
    } else {
      shared.inference = SpawnInferenceActor(system, &shared, initial);
    }
    weights = SpawnWeightsActor(system, &shared, version, &stop);
  }
  EnvActors env_actors(system, self, shared);
  env_actors.Supervise(stop);
  env_actors.Stop();
  const std::uint64_t unwritten = StopPipeline(self, shared, heartbeat, weights);
  return Result(shared, unwritten, Seconds(RolloutClock::now() - started));
}

}  // namespace tarmac::actors
