#include "tarmac/actors/rollout_job.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "tarmac/actors/messages.h"
#include "tarmac/actors/n_step.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/policy.h"
#include "tarmac/envs/registry.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/schemas/event.h"

namespace tarmac::actors {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Counters the job reports; written by actors, read by the job thread.
struct RolloutStats {
  std::atomic<std::uint64_t> env_steps{0}, transitions{0}, written{0}, episodes{0}, restarts{0},
      swaps{0}, rejected{0}, version{0};
};

struct Shared {
  RolloutJobOptions options;
  monitoring::Metrics* metrics = nullptr;
  RolloutStats* stats = nullptr;
  envs::EnvSpec spec;
  caf::actor inference, writer;
};

// Per-label metric handles, looked up in their family once (labels are few: scenario families,
// reward terms, events) and reused for every episode afterwards. One per env actor.
class EpisodeMetrics {
 public:
  explicit EpisodeMetrics(monitoring::Metrics* m) : m_(m) {}

  void Report(const std::vector<schemas::EpisodeSummary>& finished) {
    for (const schemas::EpisodeSummary& e : finished) {
      Scenario& scenario = ScenarioHandles(e.scenario);
      scenario.episodes->Increment();
      scenario.returns->Observe(e.episode_return);
      scenario.scores->Observe(schemas::MetricOr(e, "score"));
      const double steps = std::max<double>(1, e.steps);
      for (const auto& term : e.term_returns) {
        Handle(terms_, m_->reward_term, "term", term.name).Set(term.value / steps);
      }
      for (const auto& event : e.events) {
        Handle(events_, m_->events_total, "event", std::string(schemas::EventName(event.event)))
            .Increment();
      }
    }
  }

 private:
  struct Scenario {
    prometheus::Counter* episodes;
    prometheus::Histogram* returns;
    prometheus::Histogram* scores;
  };

  Scenario& ScenarioHandles(const std::string& name) {
    auto it = scenarios_.find(name);
    if (it != scenarios_.end()) return it->second;
    const std::map<std::string, std::string> labels = {{"scenario", name}};
    return scenarios_
        .emplace(name,
                 Scenario{&m_->episodes_total.Add(labels),
                          &m_->episode_return.Add(labels, monitoring::Metrics::ReturnBuckets()),
                          &m_->episode_score.Add(labels, monitoring::Metrics::ScoreBuckets())})
        .first->second;
  }

  template <class Metric>
  static Metric& Handle(std::unordered_map<std::string, Metric*>& cache,
                        prometheus::Family<Metric>& family, const char* label,
                        const std::string& value) {
    Metric*& handle = cache[value];
    if (handle == nullptr) handle = &family.Add({{label, value}});
    return *handle;
  }

  monitoring::Metrics* m_;
  std::unordered_map<std::string, Scenario> scenarios_;
  std::unordered_map<std::string, prometheus::Gauge*> terms_;
  std::unordered_map<std::string, prometheus::Counter*> events_;
};

constexpr int kWriteWindow = 8;  // chunks an env actor may have unacknowledged by the writer

// ---------------------------------------------------------------------------------------------
// env_batch actor: steps K envs, turns steps into n-step transitions, hands them to the writer.

struct EnvActorState {
  std::unique_ptr<envs::EnvBatch> batch;
  std::vector<NStepAssembler> assemblers;
  std::vector<envs::ExpertPolicy> experts;
  std::vector<float> prev_obs, actions;
  std::vector<float> labels;  // demo mode: the expert's own actions (actions = them + noise)
  std::mt19937_64 demo_rng;
  std::vector<std::uint64_t> prev_episode;
  std::vector<std::uint32_t> prev_step;
  std::vector<schemas::Transition> scratch;
  int in_flight = 0;
  bool waiting = false;  // for actions from the inference actor
  bool stopping = false;
  float noise = 1.0F;
  std::uint64_t draws = 0;
  std::uint64_t version = 0;
  std::uint64_t incarnation = 0;
  std::unique_ptr<EpisodeMetrics> episode_metrics;
};

// Env ids are unique within the process (actor index * K + env); episode ids carry the env
// actor's incarnation in their high bits, so a restarted actor never reuses an id.
void Label(EnvActorState& s, int actor_index, int env, std::size_t from) {
  const std::uint32_t env_id = static_cast<std::uint32_t>(actor_index * s.batch->size() + env);
  for (std::size_t t = from; t < s.scratch.size(); ++t) {
    s.scratch[t].env_id = env_id;
    s.scratch[t].episode_id |= s.incarnation << 40;
  }
}

template <class Self>
void SendTransitions(Self* self, Shared* shared) {
  auto& s = self->state;
  if (s.scratch.empty()) return;
  auto chunk = std::make_shared<TransitionChunk>();
  chunk->policy_version = s.version;
  chunk->items.reserve(s.scratch.size());
  for (schemas::Transition& t : s.scratch) {
    t.actor_id = shared->options.actor_id;
    t.scenario = s.batch->spec().name;
    TransitionChunk::Item item;
    item.tags = t.events;
    item.payload = schemas::EncodeTransition(t);
    chunk->items.push_back(std::move(item));
  }
  shared->stats->transitions += chunk->items.size();
  s.scratch.clear();
  ++s.in_flight;
  self->request(shared->writer, caf::infinite, write_atom::value,
                TransitionChunkPtr(std::move(chunk)))
      .then([self](bool) {
        auto& st = self->state;
        --st.in_flight;
        if (!st.waiting && !st.stopping && st.in_flight == kWriteWindow - 1) {
          self->send(self, step_atom::value);
        }
      });
}

// Env actors run on CAF's worker threads and use every cycle they get; the detached actors that
// keep data moving (inference, writer) must not wait behind them, and a weights swap must not
// wait behind either. A thread may lower its own priority without privileges, so the threads
// are ranked by niceness: weights and heartbeat 0, inference and writer kPipelineNice, env
// stepping kEnvNice.
constexpr int kPipelineNice = 5;
constexpr int kEnvNice = 10;

void LowerThisThread(int nice) {
  thread_local int lowered = 0;
  if (lowered >= nice) return;
  lowered = nice;
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
}

caf::behavior EnvActor(caf::stateful_actor<EnvActorState>* self, Shared* shared, int index,
                       std::uint64_t incarnation, std::uint64_t seed) {
  self->set_exception_handler([index](caf::scheduled_actor*, std::exception_ptr& error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::warn("env actor {} failed: {}; restarting it, its episodes are discarded", index,
                   e.what());
    } catch (...) {
      spdlog::warn("env actor {} failed; restarting it", index);
    }
    return caf::make_error(caf::sec::runtime_error);
  });
  const RolloutJobOptions& o = shared->options;
  auto& s = self->state;
  s.incarnation = incarnation;
  s.episode_metrics = std::make_unique<EpisodeMetrics>(shared->metrics);
  auto batch = envs::EnvBatch::Create(o.env_name, o.envs_per_actor, seed, o.env_config);
  if (!batch.ok()) throw std::runtime_error(batch.status().ToString());
  s.batch = std::move(*batch);
  const envs::EnvSpec& spec = s.batch->spec();
  const int k = s.batch->size();
  for (int i = 0; i < k; ++i) s.assemblers.emplace_back(o.n_step, o.gamma, spec.reward_terms);
  if (o.expert) {
    s.demo_rng.seed(seed ^ 0x5DEECE66DULL);
    s.labels.resize(static_cast<std::size_t>(k) * spec.action_size);
    s.experts.resize(k);
    for (int i = 0; i < k; ++i) {
      auto* env = dynamic_cast<envs::DrivingEnv*>(&s.batch->env(i));
      if (env == nullptr) throw std::runtime_error("--policy expert needs a driving env");
      s.experts[i].Reset(*env);
    }
  }
  s.actions.resize(static_cast<std::size_t>(k) * spec.action_size);
  const int n = std::max(1, o.actors - 1);
  s.noise = o.noise_scale * (1.0F - o.noise_spread * static_cast<float>(index) / n);
  auto* steps_counter = &shared->metrics->env_steps_total.Add({});

  // Steps the batch with s.actions and sends the transitions; the caller schedules the next.
  auto do_step = [self, shared, index, steps_counter] {
    auto& s = self->state;
    envs::EnvBatch& b = *s.batch;
    const envs::EnvSpec& spec = b.spec();
    const std::size_t obs_dim = spec.observation_size, act_dim = spec.action_size,
                      terms = spec.reward_terms.size();
    const auto obs = b.observations();
    s.prev_obs.assign(obs.begin(), obs.end());
    s.prev_episode = b.episode_ids();
    s.prev_step = b.steps();
    b.Step(s.actions);
    const auto next = b.observations();
    for (float v : next) {
      if (!std::isfinite(v)) throw std::runtime_error("an env produced a non-finite observation");
    }
    s.scratch.clear();
    for (int i = 0; i < b.size(); ++i) {
      const bool ended = b.terminated()[i] || b.truncated()[i];
      NStepAssembler::Step step;
      step.obs = absl::MakeConstSpan(s.prev_obs).subspan(i * obs_dim, obs_dim);
      step.action = absl::MakeConstSpan(s.experts.empty() ? s.actions : s.labels)
                        .subspan(i * act_dim, act_dim);
      step.reward = b.rewards()[i];
      step.reward_terms = b.reward_terms().subspan(i * terms, terms);
      step.events = b.events()[i];
      step.next_obs = (ended ? b.final_observations() : next).subspan(i * obs_dim, obs_dim);
      step.terminated = b.terminated()[i];
      step.truncated = b.truncated()[i] && !b.terminated()[i];
      step.episode_id = s.prev_episode[i];
      step.step = s.prev_step[i];
      step.policy_version = s.version;
      const std::size_t before = s.scratch.size();
      s.assemblers[i].Add(step, &s.scratch);
      Label(s, index, i, before);
      if (ended && !s.experts.empty()) {
        s.experts[i].Reset(dynamic_cast<envs::DrivingEnv&>(b.env(i)));
      }
    }
    steps_counter->Increment(b.size());
    shared->stats->env_steps += b.size();
    const auto finished = b.TakeFinishedEpisodes();
    s.episode_metrics->Report(finished);
    if (shared->options.episode_log != nullptr) shared->options.episode_log->Add(finished);
    shared->stats->episodes += finished.size();
    SendTransitions(self, shared);
  };

  auto request_actions = [self, shared, index] {
    auto& s = self->state;
    const envs::EnvSpec& spec = s.batch->spec();
    if (!s.experts.empty()) {
      std::normal_distribution<float> gauss(0.0F, 1.0F);
      for (int i = 0; i < s.batch->size(); ++i) {
        auto& env = dynamic_cast<envs::DrivingEnv&>(s.batch->env(i));
        const auto obs =
            s.batch->observations().subspan(i * spec.observation_size, spec.observation_size);
        const auto a = s.experts[i].Act(env, obs);
        s.labels[2 * i] = a[0];
        s.labels[2 * i + 1] = a[1];
        // DART: drive the expert's action with noise so the demonstrations visit the states a
        // cloned policy drifts into, and record what the expert would do there.
        const float scale = shared->options.demo_noise;
        s.actions[2 * i] = a[0] + scale * shared->options.demo_noise_accel * gauss(s.demo_rng);
        s.actions[2 * i + 1] = a[1] + scale * shared->options.demo_noise_steer * gauss(s.demo_rng);
      }
      self->send(self, actions_atom::value, ActionReplyPtr());
      return;
    }
    auto request = std::make_shared<ObservationRequest>();
    request->rows = s.batch->size();
    request->noise_scale = s.noise;
    request->seed = (static_cast<std::uint64_t>(index) << 40) ^ ++s.draws;
    const auto obs = s.batch->observations();
    request->observations.assign(obs.begin(), obs.end());
    s.waiting = true;
    self->send(shared->inference, act_atom::value, ObservationRequestPtr(std::move(request)),
               caf::actor_cast<caf::actor>(self));
  };

  self->send(self, step_atom::value);
  return {
      [=](step_atom) {
        LowerThisThread(kEnvNice);
        auto& s = self->state;
        if (s.stopping || s.waiting) return;
        request_actions();
      },
      [=](actions_atom, ActionReplyPtr reply) {
        auto& s = self->state;
        s.waiting = false;
        if (reply) {
          s.actions = reply->actions;
          s.version = reply->policy_version;
        }
        if (s.stopping) return;
        do_step();
        if (s.in_flight < kWriteWindow) self->send(self, step_atom::value);
      },
      [=](stop_atom) -> caf::result<bool> {
        // Cut every pending n-step window as truncated, hand it to the writer, then quit.
        auto& s = self->state;
        s.stopping = true;
        s.scratch.clear();
        const envs::EnvSpec& spec = s.batch->spec();
        for (int i = 0; i < s.batch->size(); ++i) {
          const std::size_t before = s.scratch.size();
          s.assemblers[i].Truncate(
              s.batch->observations().subspan(i * spec.observation_size, spec.observation_size),
              &s.scratch);
          Label(s, index, i, before);
        }
        SendTransitions(self, shared);
        return true;
      },
  };
}

// ---------------------------------------------------------------------------------------------
// writer actor: holds transitions until Redis acknowledges them; sequenced inserts make retries
// after a lost connection exactly-once. When it holds queue_limit items it stops acknowledging
// chunks, which stops the env actors (back-pressure instead of dropping).

struct WriterState {
  struct Item {
    std::string payload;
    std::uint64_t tags = 0;
    std::uint64_t version = 0;
  };
  std::unique_ptr<buffer::ReplayClient> client;
  std::string producer;
  std::vector<std::optional<std::uint64_t>> counters;  // producer's count per shard, once known
  // A call whose outcome is unknown (the connection broke): its shard and the counter before.
  // Nothing else is sent until the counter there says how many of its items got in.
  std::optional<std::pair<std::uint32_t, std::uint64_t>> unknown;
  std::deque<Item> queue;
  std::vector<caf::response_promise> blocked;
  std::uint32_t next_shard = 0;
  bool flush_scheduled = false;
  Clock::time_point last_warning;
};

constexpr auto kDrainSlice = std::chrono::milliseconds(200);

// Sends queued items until the queue is empty or `deadline` passes; returns false on deadline.
bool Drain(caf::stateful_actor<WriterState>* self, Shared* shared, Clock::time_point deadline,
           bool until_empty) {
  auto& s = self->state;
  const RolloutJobOptions& o = shared->options;
  monitoring::Metrics& m = *shared->metrics;
  auto& inserts = m.replay_inserts_total.Add({});
  auto& latency = m.replay_insert_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
  auto& depth = m.actor_queue_items.Add({});
  const std::size_t round_items = static_cast<std::size_t>(o.insert_batch) * 8;
  std::chrono::milliseconds backoff(50);
  const auto warn = [&](const absl::Status& status) {
    if (Seconds(Clock::now() - s.last_warning) > 5.0) {
      spdlog::warn("writer holds {} transitions; Redis: {} (retrying)", s.queue.size(),
                   status.ToString());
      s.last_warning = Clock::now();
    }
  };
  while (!s.queue.empty() && (until_empty || s.queue.size() >= round_items)) {
    if (Clock::now() > deadline) return false;
    if (s.client == nullptr) {
      auto client = buffer::ReplayClient::Connect([&] {
        buffer::ReplayClientOptions c;
        c.shards = o.shards;
        c.connect_attempts = 1;
        return c;
      }());
      if (!client.ok()) {
        warn(client.status());
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      s.client = std::move(*client);
      s.counters.assign(o.shards.size(), std::nullopt);
    }
    if (s.unknown) {
      const auto [lost_shard, before] = *s.unknown;
      auto count = s.client->ProducedCount(lost_shard, o.table.name, s.producer);
      if (!count.ok()) {
        warn(count.status());
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      const std::uint64_t applied = *count - before;  // a prefix of the queue (sequencing)
      s.queue.erase(s.queue.begin(), s.queue.begin() + static_cast<std::ptrdiff_t>(applied));
      inserts.Increment(static_cast<double>(applied));
      shared->stats->written += applied;
      s.counters[lost_shard] = *count;
      s.unknown.reset();
      continue;
    }
    const std::uint32_t shard = s.next_shard % static_cast<std::uint32_t>(o.shards.size());
    if (!s.counters[shard]) {
      auto count = s.client->ProducedCount(shard, o.table.name, s.producer);
      if (!count.ok()) {
        warn(count.status());
        ++s.next_shard;  // try another shard meanwhile
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      s.counters[shard] = *count;
    }
    // Batches of one policy version each, from the head of the queue.
    std::vector<std::vector<buffer::InsertItem>> items;
    std::vector<std::uint64_t> versions;
    const std::size_t take = std::min(round_items, s.queue.size());
    for (std::size_t i = 0; i < take; ++i) {
      const auto& q = s.queue[i];
      if (items.empty() || versions.back() != q.version ||
          items.back().size() >= static_cast<std::size_t>(o.insert_batch)) {
        items.emplace_back();
        versions.push_back(q.version);
      }
      items.back().push_back({std::nullopt, q.tags, q.payload});
    }
    std::vector<buffer::SequencedBatch> batches;
    for (std::size_t b = 0; b < items.size(); ++b) batches.push_back({versions[b], items[b]});
    const auto start = Clock::now();
    buffer::SequencedResult result =
        s.client->InsertSequenced(shard, o.table.name, s.producer, *s.counters[shard], batches);
    std::size_t applied = 0;
    if (result.status.code() == absl::StatusCode::kUnavailable) {
      // Unknown how far it got: ask the counter on reconnect before sending anything else.
      s.unknown = std::make_pair(shard, *s.counters[shard]);
      s.counters[shard].reset();
      warn(result.status);
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    s.counters[shard] = result.counter;
    for (std::size_t b = 0; b < result.applied_batches; ++b) applied += batches[b].items.size();
    latency.Observe(Seconds(Clock::now() - start));
    s.queue.erase(s.queue.begin(), s.queue.begin() + applied);
    inserts.Increment(static_cast<double>(applied));
    shared->stats->written += applied;
    depth.Set(static_cast<double>(s.queue.size()));
    ++s.next_shard;
    if (result.status.ok()) {
      backoff = std::chrono::milliseconds(50);
    } else if (result.status.code() == absl::StatusCode::kResourceExhausted) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::clamp<std::int64_t>(result.retry_after_ms, 1, 1000)));
    } else {
      // An error reply (e.g. the table was dropped): re-read the counter and retry later.
      s.counters[shard].reset();
      warn(result.status);
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
    while (!s.blocked.empty() && s.queue.size() < o.queue_limit) {
      s.blocked.back().deliver(true);
      s.blocked.pop_back();
    }
  }
  return true;
}

caf::behavior Writer(caf::stateful_actor<WriterState>* self, Shared* shared) {
  self->state.producer = shared->options.actor_id;
  return {
      [=](write_atom, TransitionChunkPtr chunk) -> caf::result<bool> {
        LowerThisThread(kPipelineNice);
        auto& s = self->state;
        for (auto& item : chunk->items) {
          s.queue.push_back({std::move(item.payload), item.tags, chunk->policy_version});
        }
        shared->metrics->actor_queue_items.Add({}).Set(static_cast<double>(s.queue.size()));
        // Bounded slices, so that a stop (or more chunks) is handled while Redis is slow, down
        // or rate-limiting; what is left waits for the next flush tick.
        Drain(self, shared, Clock::now() + kDrainSlice, /*until_empty=*/false);
        if (!s.queue.empty() && !s.flush_scheduled) {
          s.flush_scheduled = true;
          self->delayed_send(self, std::chrono::milliseconds(5), flush_atom::value);
        }
        if (s.queue.size() >= shared->options.queue_limit) {
          s.blocked.push_back(self->make_response_promise());
          return s.blocked.back();
        }
        return true;
      },
      [=](flush_atom) {
        auto& s = self->state;
        s.flush_scheduled = false;
        Drain(self, shared, Clock::now() + kDrainSlice, /*until_empty=*/true);
        if (!s.queue.empty()) {
          s.flush_scheduled = true;
          self->delayed_send(self, std::chrono::milliseconds(5), flush_atom::value);
        }
      },
      // Final flush, bounded by the deadline; replies with the items it could not write.
      [=](stop_atom, double seconds) -> std::uint64_t {
        const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(seconds));
        Drain(self, shared, deadline, /*until_empty=*/true);
        for (auto& promise : self->state.blocked) promise.deliver(true);
        self->state.blocked.clear();
        return self->state.queue.size();
      },
  };
}

// ---------------------------------------------------------------------------------------------
// inference actor: one forward pass for every observation request that is waiting.

void InferenceActor(caf::blocking_actor* self, Shared* shared, InferencePolicyPtr initial) {
  learner::SetInferenceThreads(1);  // one core's worth: env actors use the others
  LowerThisThread(kPipelineNice);
  InferencePolicyPtr policy = std::move(initial);
  std::uint64_t version = policy->version();
  const std::size_t act_dim = shared->spec.action_size;
  auto& swap_latency =
      shared->metrics->policy_swap_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
  auto& version_gauge = shared->metrics->policy_version.Add({});
  version_gauge.Set(static_cast<double>(version));
  std::vector<std::pair<ObservationRequestPtr, caf::actor>> pending;
  std::vector<float> obs, noise, actions;
  bool running = true;
  while (running) {
    auto on_act = [&](act_atom, ObservationRequestPtr request, caf::actor reply_to) {
      pending.emplace_back(std::move(request), std::move(reply_to));
    };
    auto on_swap = [&](swap_atom, InferencePolicyPtr next, std::int64_t notified_ns) {
      policy = std::move(next);
      version = policy->version();
      version_gauge.Set(static_cast<double>(version));
      swap_latency.Observe(
          Seconds(Clock::now().time_since_epoch() - std::chrono::nanoseconds(notified_ns)));
      ++shared->stats->swaps;
      shared->stats->version = version;
    };
    self->receive(
        on_act, on_swap, [&](stop_atom) { running = false; },
        [&](const caf::exit_msg&) { running = false; });
    // Take whatever else is already waiting, without blocking.
    bool more = true;
    while (more && running) {
      self->receive(
          on_act, on_swap, [&](stop_atom) { running = false; },
          [&](const caf::exit_msg&) { running = false; },
          caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    }
    if (pending.empty()) continue;
    int rows = 0;
    obs.clear();
    noise.clear();
    for (const auto& [request, _] : pending) {
      obs.insert(obs.end(), request->observations.begin(), request->observations.end());
      noise.insert(noise.end(), request->rows, request->noise_scale);
      rows += request->rows;
    }
    actions.resize(static_cast<std::size_t>(rows) * act_dim);
    policy->Act(obs, rows, noise, pending.front().first->seed, absl::MakeSpan(actions));
    std::size_t offset = 0;
    for (auto& [request, reply_to] : pending) {
      auto reply = std::make_shared<ActionReply>();
      const std::size_t n = static_cast<std::size_t>(request->rows) * act_dim;
      reply->actions.assign(actions.begin() + offset, actions.begin() + offset + n);
      reply->policy_version = version;
      offset += n;
      self->send(reply_to, actions_atom::value, ActionReplyPtr(std::move(reply)));
    }
    pending.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// weights actor: waits for announcements (and polls as a fallback), fetches, verifies, swaps.

void WeightsActor(caf::blocking_actor* self, Shared* shared, std::uint64_t current,
                  const std::atomic<bool>* stop) {
  learner::SetInferenceThreads(1);  // loading weights runs LibTorch kernels on this thread
  const RolloutJobOptions& o = shared->options;
  std::unique_ptr<buffer::WeightsSubscription> subscription;
  std::unique_ptr<buffer::ControlClient> control;
  // Poll at once: a version published before the subscription started is not announced again.
  auto last_poll = Clock::now() - std::chrono::hours(1);
  std::uint64_t rejected_version = 0;
  bool running = true;
  while (running && !stop->load()) {
    self->receive([&](stop_atom) { running = false; },
                  [&](const caf::exit_msg&) { running = false; },
                  caf::after(std::chrono::milliseconds(0)) >> [] {});
    if (!running) break;
    if (subscription == nullptr) {
      auto sub = buffer::WeightsSubscription::Connect(o.shards.front());
      if (sub.ok()) subscription = std::move(*sub);
    }
    if (control == nullptr) {
      auto c = buffer::ControlClient::Connect(o.shards.front());
      if (c.ok()) control = std::move(*c);
    }
    if (subscription == nullptr || control == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::optional<std::uint64_t> announced;
    auto waited = subscription->Wait(std::chrono::milliseconds(100));
    if (!waited.ok()) {
      subscription.reset();
      continue;
    }
    announced = *waited;
    const auto notified = Clock::now();
    if (!announced && Seconds(Clock::now() - last_poll) >= o.weights_poll_seconds) {
      last_poll = Clock::now();
      auto latest = control->LatestWeightsVersion();
      if (latest.ok()) announced = *latest;
    }
    if (!announced || *announced <= current || *announced == rejected_version) continue;
    const std::uint64_t version = *announced;
    const auto t0 = Clock::now();
    auto blob = control->FetchWeights(version);
    const auto t1 = Clock::now();
    if (!blob.ok()) {
      if (blob.status().code() != absl::StatusCode::kNotFound) control.reset();
      continue;
    }
    auto weights = schemas::DecodePolicyWeights(*blob);
    absl::Status problem = weights.status();
    if (weights.ok() && weights->version != version) {
      problem = absl::InvalidArgumentError(
          absl::StrCat("tarmac:weights:", version, " holds weights of version ", weights->version));
    } else if (weights.ok() && (weights->architecture.obs_dim !=
                                    static_cast<std::uint32_t>(shared->spec.observation_size) ||
                                weights->architecture.action_dim !=
                                    static_cast<std::uint32_t>(shared->spec.action_size))) {
      problem = absl::InvalidArgumentError(absl::StrCat(
          "they are for observations of ", weights->architecture.obs_dim, " and actions of ",
          weights->architecture.action_dim, " floats, but ", o.env_name, " has ",
          shared->spec.observation_size, " and ", shared->spec.action_size));
    }
    std::unique_ptr<learner::InferencePolicy> policy;
    if (problem.ok()) {
      auto loaded = learner::InferencePolicy::FromWeights(*weights);
      if (loaded.ok()) {
        policy = std::move(*loaded);
      } else {
        problem = loaded.status();
      }
    }
    if (!problem.ok()) {
      spdlog::error("weights v{} rejected, the current policy v{} keeps running: {}", version,
                    current, std::string(problem.message()));
      shared->metrics->weights_rejected_total.Add({}).Increment();
      ++shared->stats->rejected;
      rejected_version = version;
      continue;
    }
    current = version;
    spdlog::debug("weights v{}: fetched in {:.1f} ms, verified and loaded in {:.1f} ms", version,
                  1e3 * Seconds(t1 - t0), 1e3 * Seconds(Clock::now() - t1));
    self->send(shared->inference, swap_atom::value, InferencePolicyPtr(std::move(policy)),
               static_cast<std::int64_t>(
                   std::chrono::duration_cast<std::chrono::nanoseconds>(notified.time_since_epoch())
                       .count()));
  }
}

// ---------------------------------------------------------------------------------------------
// heartbeat actor: tarmac:actors:<id> with a TTL of three periods.

caf::behavior Heartbeat(caf::stateful_actor<std::unique_ptr<buffer::ControlClient>>* self,
                        Shared* shared) {
  const auto period = std::chrono::milliseconds(
      static_cast<std::int64_t>(shared->options.heartbeat_seconds * 1000));
  auto beat = [self, shared, period] {
    auto& control = self->state;
    if (control == nullptr) {
      auto c = buffer::ControlClient::Connect(shared->options.shards.front());
      if (!c.ok()) return;
      control = std::move(*c);
    }
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    const RolloutJobOptions& o = shared->options;
    std::map<std::string, std::string> fields = {
        {"host", host},
        {"pid", std::to_string(getpid())},
        {"envs", std::to_string(o.actors * o.envs_per_actor)},
        {"env", o.env_name},
        {"policy_version", std::to_string(shared->stats->version.load())},
        {"steps", std::to_string(shared->stats->env_steps.load())},
        {"table", o.table.name}};
    if (!control->Heartbeat(o.actor_id, fields, period * 3).ok()) {
      control.reset();
      return;
    }
    if (auto live = control->LiveActors(); live.ok()) {
      shared->metrics->actors_alive.Add({}).Set(static_cast<double>(live->size()));
    }
  };
  self->send(self, poll_atom::value);
  return {
      [=](poll_atom) {
        beat();
        self->delayed_send(self, period, poll_atom::value);
      },
      [=](stop_atom) -> bool {
        if (self->state != nullptr) (void)self->state->Unregister(shared->options.actor_id);
        return true;
      },
  };
}

std::string DefaultActorId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::random_device random;
  return absl::StrCat(host, "-", getpid(), "-", absl::Hex(random() & 0xffffff));
}

}  // namespace

absl::Status RolloutJobOptions::Validate() const {
  if (shards.empty()) return absl::InvalidArgumentError("the rollout needs at least one shard");
  if (actors < 1 || actors > 1024) return absl::InvalidArgumentError("--actors must be 1..1024");
  if (envs_per_actor < 1 || envs_per_actor > 65536) {
    return absl::InvalidArgumentError("--envs-per-actor must be 1..65536");
  }
  if (n_step < 1 || n_step > 255) return absl::InvalidArgumentError("actor.n_step must be 1..255");
  if (!(gamma > 0.0F && gamma <= 1.0F)) {
    return absl::InvalidArgumentError("actor.gamma must be in (0, 1]");
  }
  if (!(demo_noise >= 0.0F) || !(demo_noise_accel >= 0.0F) || !(demo_noise_steer >= 0.0F)) {
    return absl::InvalidArgumentError("actor.demo_noise must be >= 0");
  }
  if (!(noise_scale >= 0.0F) || !(noise_spread >= 0.0F && noise_spread <= 1.0F)) {
    return absl::InvalidArgumentError(
        "actor.noise_scale must be >= 0 and actor.noise_spread in [0, 1]");
  }
  if (insert_batch < 1 || queue_limit < static_cast<std::size_t>(insert_batch)) {
    return absl::InvalidArgumentError(
        "actor.insert_batch must be >= 1 and actor.queue_limit at least one batch");
  }
  if (!(flush_seconds >= 0.0) || !(heartbeat_seconds > 0.0) || !(weights_poll_seconds > 0.0)) {
    return absl::InvalidArgumentError(
        "actor.flush_seconds must be >= 0 and the heartbeat and poll periods positive");
  }
  if (table.name.empty()) {
    return absl::InvalidArgumentError("--table needs a name (rl or demos)");
  }
  return absl::OkStatus();
}

absl::StatusOr<RolloutJobResult> RunRolloutJob(caf::actor_system& system,
                                               const RolloutJobOptions& options_in,
                                               monitoring::Metrics& metrics,
                                               const std::atomic<bool>& stop) {
  if (auto s = options_in.Validate(); !s.ok()) return s;
  RolloutStats stats;
  Shared shared;
  shared.options = options_in;
  shared.metrics = &metrics;
  shared.stats = &stats;
  RolloutJobOptions& o = shared.options;
  if (o.actor_id.empty()) o.actor_id = DefaultActorId();
  if (o.seed == 0) o.seed = std::random_device{}() | 1ULL;
  auto probe = envs::EnvBatch::Create(o.env_name, 1, 1, o.env_config);
  if (!probe.ok()) return probe.status();
  shared.spec = (*probe)->spec();

  // Redis must be reachable at start; the table is created when missing.
  {
    buffer::ReplayClientOptions client_options;
    client_options.shards = o.shards;
    auto client = buffer::ReplayClient::Connect(client_options);
    if (!client.ok()) return client.status();
    if (auto s = (*client)->CreateTable(o.table); !s.ok()) return s;
  }
  // The newest published policy, else a random one.
  InferencePolicyPtr initial;
  std::uint64_t version = 0;
  if (!o.expert) {
    auto control = buffer::ControlClient::Connect(o.shards.front());
    if (!control.ok()) return control.status();
    if (auto latest = (*control)->LatestWeightsVersion(); latest.ok()) {
      auto blob = (*control)->FetchWeights(*latest);
      if (blob.ok()) {
        auto weights = schemas::DecodePolicyWeights(*blob);
        if (weights.ok()) {
          auto policy = learner::InferencePolicy::FromWeights(*weights);
          if (policy.ok() && (*policy)->architecture().obs_dim ==
                                 static_cast<std::uint32_t>(shared.spec.observation_size)) {
            initial = std::move(*policy);
            version = *latest;
          }
        }
      }
    }
    if (!initial) {
      auto random =
          learner::InferencePolicy::Random(shared.spec.observation_size, shared.spec.action_low,
                                           shared.spec.action_high, o.hidden_sizes, o.seed);
      if (!random.ok()) return random.status();
      initial = std::move(*random);
    }
  }
  stats.version = version;
  // Counters start at 0 rather than appearing with their first event, so rates and alerts over
  // them are defined from the start (and dashboards show 0, not "no data").
  for (schemas::Event event : schemas::kAllEvents) {
    metrics.events_total.Add({{"event", std::string(schemas::EventName(event))}});
  }
  metrics.actor_restarts_total.Add({{"reason", "exception"}});
  metrics.weights_rejected_total.Add({});
  if (!o.expert) metrics.policy_swap_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
  spdlog::info("actor {}: {} x {} envs of {}, policy {}, into table {} on {} shard(s)", o.actor_id,
               o.actors, o.envs_per_actor, o.env_name,
               o.expert ? "expert" : absl::StrCat("v", version, " (", initial->backend(), ")"),
               o.table.name, o.shards.size());

  const auto started = Clock::now();
  caf::scoped_actor self{system};
  shared.writer = system.spawn<caf::detached>(Writer, &shared);
  caf::actor weights, heartbeat = system.spawn<caf::detached>(Heartbeat, &shared);
  if (!o.expert) {
    shared.inference = system.spawn<caf::detached>(InferenceActor, &shared, initial);
    weights = system.spawn<caf::detached>(WeightsActor, &shared, version, &stop);
  }
  std::vector<caf::actor> env_actors(o.actors);
  std::uint64_t spawned = 0;
  auto spawn_env = [&](int i) {
    ++spawned;
    env_actors[i] =
        system.spawn(EnvActor, &shared, i, spawned, o.seed * 1000003ULL + spawned * 7919ULL);
    self->monitor(env_actors[i]);
  };
  for (int i = 0; i < o.actors; ++i) spawn_env(i);

  // Supervise until stopped: restart env actors that fail.
  while (!stop.load() && (o.max_env_steps == 0 || stats.env_steps.load() < o.max_env_steps)) {
    self->receive(
        [&](const caf::down_msg& down) {
          for (int i = 0; i < o.actors; ++i) {
            if (env_actors[i].address() != down.source) continue;
            ++stats.restarts;
            metrics.actor_restarts_total.Add({{"reason", "exception"}}).Increment();
            spawn_env(i);
          }
        },
        caf::after(std::chrono::milliseconds(50)) >> [] {});
  }

  // Orderly stop: env actors hand over their last windows, the writer flushes, the rest exits.
  for (auto& a : env_actors) self->demonitor(a);
  for (auto& a : env_actors) {
    self->request(a, std::chrono::seconds(5), stop_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
  }
  for (auto& a : env_actors) self->send_exit(a, caf::exit_reason::user_shutdown);
  RolloutJobResult result;
  result.unwritten = 0;
  self->request(shared.writer, caf::infinite, stop_atom::value, o.flush_seconds)
      .receive([&](std::uint64_t left) { result.unwritten = left; },
               [&](caf::error&) { result.unwritten = stats.transitions - stats.written; });
  self->request(heartbeat, std::chrono::seconds(5), stop_atom::value)
      .receive([](bool) {}, [](caf::error&) {});
  std::vector<caf::actor> rest = {shared.writer, heartbeat};
  if (!o.expert) {
    self->send(shared.inference, stop_atom::value);
    self->send(weights, stop_atom::value);
    rest.push_back(shared.inference);
    rest.push_back(weights);
  }
  for (auto& a : rest) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  for (std::size_t i = 0; i < rest.size(); ++i) {
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(10)) >> [] {});
  }
  if (result.unwritten > 0) {
    spdlog::error("{} transitions could not be written before the flush deadline",
                  result.unwritten);
  }
  result.env_steps = stats.env_steps;
  result.transitions = stats.transitions;
  result.written = stats.written;
  result.episodes = stats.episodes;
  result.restarts = stats.restarts;
  result.weight_swaps = stats.swaps;
  result.weights_rejected = stats.rejected;
  result.policy_version = stats.version;
  result.actor_id = o.actor_id;
  result.seconds = Seconds(Clock::now() - started);
  return result;
}

}  // namespace tarmac::actors
