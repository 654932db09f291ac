// The env_batch actor: steps K envs of one EnvBatch with actions from the inference actor (or
// the expert, in demo mode), turns the steps into n-step transitions, encodes them and hands
// them to the writer, at most kWriteWindow chunks ahead of its acknowledgements (back-pressure).
// Scheduled (not detached): it only computes. State is its own; it reads RolloutShared and adds
// to its stats. A throw discards its episodes and the job restarts it.
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>
#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "episode_analyst.h"
#include "rollout_actors.h"
#include "tarmac/actors/n_step.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/policy.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/schemas/event.h"
#include "tarmac/util/splitmix.h"

namespace tarmac::actors {

namespace {

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

struct EnvActorState {
  std::unique_ptr<envs::EnvBatch> batch;
  std::vector<NStepAssembler> assemblers;
  // Demo and DAgger modes: each env's own expert.
  std::vector<std::unique_ptr<envs::Policy>> experts;
  std::vector<float> prev_obs, actions;
  std::vector<float> noise_scales;  // per env, for an inline forward pass
  // The experts' own actions, recorded instead of the executed ones (demo mode: actions =
  // them + noise; DAgger: actions are the network's).
  std::vector<float> labels;
  std::mt19937_64 demo_rng;
  std::vector<std::uint64_t> prev_episode;
  std::vector<std::uint32_t> prev_step;
  TransitionScratch scratch;
  // Per scratch transition: the replay tags of its episode's scenario source; per env, those of
  // the episode the last step belonged to (a finished episode's env has reset by then).
  std::vector<std::uint64_t> scratch_tags, prev_source_tags;
  int in_flight = 0;
  bool waiting = false;  // for actions from the inference actor
  bool stopping = false;
  std::uint64_t steps = 0, quota = 0;  // env steps taken; where it stops (0: never)
  float noise = 1.0F;
  std::uint64_t draws = 0;
  std::uint64_t noise_stream = 0;  // from the actor's seed: each job's noise is its own
  std::uint64_t version = 0;
  std::uint64_t incarnation = 0;
  std::unique_ptr<EpisodeMetrics> episode_metrics;
  std::unique_ptr<EpisodeAnalyst> analyst;
  prometheus::Counter* steps_counter = nullptr;
  // Per scenario source: its counter and the batch's count last reported.
  std::vector<prometheus::Counter*> source_counters;
  std::vector<std::uint64_t> source_reported;
  std::shared_ptr<const envs::ScenarioMix> mix;  // the batch's; shared->mix may be newer
};

// Adds the episodes the batch started since the last call to each source's counter.
void CountSources(EnvActorState& s, monitoring::Metrics& metrics) {
  const std::vector<std::uint64_t>& started = s.batch->source_episodes();
  if (s.source_counters.size() != started.size()) {
    s.source_counters.clear();
    for (std::size_t k = 0; k < started.size(); ++k) {
      s.source_counters.push_back(
          &metrics.scenario_source_episodes_total.Add({{"source", s.batch->source_name(k)}}));
    }
    s.source_reported.assign(started.size(), 0);
  }
  for (std::size_t k = 0; k < started.size(); ++k) {
    if (started[k] == s.source_reported[k]) continue;
    s.source_counters[k]->Increment(static_cast<double>(started[k] - s.source_reported[k]));
    s.source_reported[k] = started[k];
  }
}

// Env ids are unique within the process (actor index * K + env); episode ids carry the env
// actor's incarnation in their high bits, so a restarted actor never reuses an id.
// The transitions also get the source's tags (`tags`).
// A logged ego's demonstrations (--policy log) at steps its log cannot be driven get
// kInfeasibleTag.
void Label(EnvActorState& s, int actor_index, int env, std::size_t from, std::uint64_t tags,
           const envs::LogPolicy* log = nullptr) {
  const std::uint32_t env_id = static_cast<std::uint32_t>(actor_index * s.batch->size() + env);
  for (std::size_t t = from; t < s.scratch.size(); ++t) {
    s.scratch[t].env_id = env_id;
    s.scratch[t].episode_id |= s.incarnation << 40;
    const bool infeasible = log != nullptr && log->InfeasibleAt(s.scratch[t].step);
    s.scratch_tags.push_back(tags | (infeasible ? kInfeasibleTag : 0));
  }
}

template <class Self>
void SendTransitions(Self* self, RolloutShared* shared) {
  auto& s = self->state;
  if (s.scratch.empty()) return;
  auto chunk = std::make_shared<TransitionChunk>();
  chunk->policy_version = s.version;
  chunk->items.reserve(s.scratch.size());
  for (std::size_t k = 0; k < s.scratch.size(); ++k) {
    schemas::Transition& t = s.scratch[k];
    t.actor_id = shared->options.actor_id;
    t.scenario = s.batch->spec().name;
    TransitionChunk::Item item;
    item.tags = t.events | (shared->options.dagger ? kDaggerTag : 0) | s.scratch_tags[k];
    item.payload = schemas::EncodeTransition(t);
    chunk->items.push_back(std::move(item));
  }
  shared->stats->transitions += chunk->items.size();
  s.scratch.Clear();
  s.scratch_tags.clear();
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

using EnvActorPtr = caf::stateful_actor<EnvActorState>*;

// Logs why an env actor failed; the job restarts it.
caf::error OnFailure(int index, std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::warn("env actor {} failed: {}; restarting it, its episodes are discarded", index,
                 e.what());
  } catch (...) {
    spdlog::warn("env actor {} failed; restarting it", index);
  }
  return caf::make_error(caf::sec::runtime_error);
}

// The batch, one n-step assembler per env, the experts (demo mode) and the noise scale.
void Init(EnvActorPtr self, RolloutShared* shared, int index, std::uint64_t incarnation,
          std::uint64_t seed) {
  const RolloutJobOptions& o = shared->options;
  auto& s = self->state;
  s.incarnation = incarnation;
  s.noise_stream = util::SplitMix64(seed);
  s.quota = EnvStepQuota(o, index);
  s.episode_metrics = std::make_unique<EpisodeMetrics>(shared->metrics);
  s.steps_counter = &shared->metrics->env_steps_total.Add({});
  auto batch = envs::EnvBatch::Create(o.env_name, o.envs_per_actor, seed, o.env_config);
  if (!batch.ok()) throw std::runtime_error(batch.status().ToString());
  s.batch = std::move(*batch);
  s.mix = std::atomic_load(&shared->mix);
  if (s.mix != nullptr) {
    if (absl::Status m = s.batch->SetScenarioMix(s.mix); !m.ok()) {
      throw std::runtime_error(m.ToString());
    }
  }
  if (o.analyse) {
    // Complete recordings only for the episodes written as logs: a step's nearby vehicles are
    // most of a log's memory, and the behaviour metrics need them at collisions only.
    s.batch->RecordEpisodes(o.log_ego  ? "log"
                            : o.expert ? "expert"
                                       : "latest",
                            o.log_dir.empty() ? 1 << 30 : o.log_every);
    s.analyst = std::make_unique<EpisodeAnalyst>(
        &shared->behaviours, shared->metrics,
        absl::StrCat(o.actor_id, "-", index, ".", incarnation), o.log_dir);
  }
  const envs::EnvSpec& spec = s.batch->spec();
  const int k = s.batch->size();
  for (int i = 0; i < k; ++i) s.assemblers.emplace_back(o.n_step, o.gamma, spec.reward_terms);
  if (o.expert || o.dagger) {
    s.demo_rng.seed(seed ^ 0x5DEECE66DULL);
    s.labels.resize(static_cast<std::size_t>(k) * spec.action_size);
    for (int i = 0; i < k; ++i) {
      std::unique_ptr<envs::Policy> expert =
          o.log_ego ? std::make_unique<envs::LogPolicy>() : s.batch->env(i).MakeExpert();
      if (expert == nullptr) {
        throw std::runtime_error(std::string(o.expert ? "--policy expert" : "DAgger") +
                                 " needs an env with an expert; " + spec.name + " offers none");
      }
      expert->Reset(s.batch->env(i));
      s.experts.push_back(std::move(expert));
    }
  }
  s.actions.resize(static_cast<std::size_t>(k) * spec.action_size);
  const int n = std::max(1, o.actors - 1);
  s.noise = o.noise_scale * (1.0F - o.noise_spread * static_cast<float>(index) / n);
}

// DAgger: what each env's expert would do in the state the network's action is about to be
// applied to (the expert still plans every step, so its own state follows the episode).
void ExpertLabels(EnvActorState& s) {
  const envs::EnvSpec& spec = s.batch->spec();
  const std::size_t act_dim = spec.action_size;
  for (int i = 0; i < s.batch->size(); ++i) {
    const auto obs =
        s.batch->observations().subspan(i * spec.observation_size, spec.observation_size);
    s.experts[i]->Act(s.batch->env(i), obs, absl::MakeSpan(s.labels).subspan(i * act_dim, act_dim));
  }
}

// Steps the batch with s.actions and sends the transitions; the caller schedules the next.
void StepBatch(EnvActorPtr self, RolloutShared* shared, int index) {
  auto& s = self->state;
  envs::EnvBatch& b = *s.batch;
  const envs::EnvSpec& spec = b.spec();
  const std::size_t obs_dim = spec.observation_size, act_dim = spec.action_size,
                    terms = spec.reward_terms.size();
  const auto obs = b.observations();
  s.prev_obs.assign(obs.begin(), obs.end());
  s.prev_episode = b.episode_ids();
  s.prev_step = b.steps();
  s.prev_source_tags.resize(static_cast<std::size_t>(b.size()));
  for (int i = 0; i < b.size(); ++i) s.prev_source_tags[i] = b.source_tags(i);
  if (shared->options.dagger) ExpertLabels(s);
  b.set_policy_version(s.version);
  b.Step(s.actions);
  const auto next = b.observations();
  for (float v : next) {
    if (!std::isfinite(v)) throw std::runtime_error("an env produced a non-finite observation");
  }
  s.scratch.Clear();
  s.scratch_tags.clear();
  for (int i = 0; i < b.size(); ++i) {
    const bool ended = b.terminated()[i] || b.truncated()[i];
    NStepAssembler::Step step;
    step.obs = absl::MakeConstSpan(s.prev_obs).subspan(i * obs_dim, obs_dim);
    step.action =
        absl::MakeConstSpan(s.experts.empty() ? s.actions : s.labels).subspan(i * act_dim, act_dim);
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
    Label(s, index, i, before, s.prev_source_tags[i],
          shared->options.log_ego ? static_cast<const envs::LogPolicy*>(s.experts[i].get())
                                  : nullptr);
    if (ended && !s.experts.empty()) s.experts[i]->Reset(b.env(i));
  }
  s.steps_counter->Increment(b.size());
  CountSources(s, *shared->metrics);
  // A reloaded mix: every env's next episode draws from it; its sources are counted afresh.
  if (auto mix = std::atomic_load(&shared->mix); mix != s.mix && mix != nullptr) {
    if (b.SetScenarioMix(mix).ok()) {
      s.mix = std::move(mix);
      s.source_counters.clear();
    }
  }
  shared->stats->env_steps += b.size();
  s.steps += b.size();
  auto finished = b.TakeFinishedEpisodes();
  if (s.analyst != nullptr) s.analyst->Analyse(b.TakeFinishedLogs(), &finished);
  s.episode_metrics->Report(finished);
  if (shared->options.episode_log != nullptr) shared->options.episode_log->Add(finished);
  if (shared->options.episode_stream_max > 0) shared->to_publish.Add(finished);
  shared->stats->episodes += finished.size();
  SendTransitions(self, shared);
}

// Demo mode: the experts' actions (the labels) and the executed ones, with DART noise.
void ExpertActions(EnvActorState& s, const RolloutJobOptions& o) {
  const envs::EnvSpec& spec = s.batch->spec();
  std::normal_distribution<float> gauss(0.0F, 1.0F);
  const std::size_t act_dim = spec.action_size;
  for (int i = 0; i < s.batch->size(); ++i) {
    const auto obs =
        s.batch->observations().subspan(i * spec.observation_size, spec.observation_size);
    const auto label = absl::MakeSpan(s.labels).subspan(i * act_dim, act_dim);
    s.experts[i]->Act(s.batch->env(i), obs, label);
    // DART: drive the expert's action with noise so the demonstrations visit the states a
    // cloned policy drifts into, and record what the expert would do there.
    for (std::size_t d = 0; d < act_dim; ++d) {
      const float std_d = d < o.demo_noise_std.size() ? o.demo_noise_std[d] : 0.0F;
      s.actions[i * act_dim + d] = label[d] + o.demo_noise * std_d * gauss(s.demo_rng);
    }
  }
}

// Asks the inference actor for actions (or computes the experts', or with options.inference
// "inline" the policy's, at once).
void RequestActions(EnvActorPtr self, RolloutShared* shared, int index) {
  auto& s = self->state;
  if (shared->options.expert) {
    ExpertActions(s, shared->options);
    self->send(self, actions_atom::value, ActionReplyPtr());
    return;
  }
  const std::uint64_t seed =
      ((static_cast<std::uint64_t>(index) << 40) ^ ++s.draws) + s.noise_stream;
  if (shared->options.inference == "inline") {
    const InferencePolicyPtr policy = std::atomic_load(&shared->policy);
    s.noise_scales.assign(static_cast<std::size_t>(s.batch->size()), s.noise);
    policy->Act(s.batch->observations(), s.batch->size(), s.noise_scales, seed,
                absl::MakeSpan(s.actions));
    s.version = policy->version();
    s.waiting = true;
    self->send(self, actions_atom::value, ActionReplyPtr());
    return;
  }
  auto request = std::make_shared<ObservationRequest>();
  request->rows = s.batch->size();
  request->noise_scale = s.noise;
  request->seed = seed;
  const auto obs = s.batch->observations();
  request->observations.assign(obs.begin(), obs.end());
  s.waiting = true;
  self->send(shared->inference, act_atom::value, ObservationRequestPtr(std::move(request)),
             caf::actor_cast<caf::actor>(self));
}

// Cuts every pending n-step window as truncated and hands it to the writer.
void CutWindows(EnvActorPtr self, RolloutShared* shared, int index) {
  auto& s = self->state;
  s.stopping = true;
  s.scratch.Clear();
  s.scratch_tags.clear();
  const envs::EnvSpec& spec = s.batch->spec();
  for (int i = 0; i < s.batch->size(); ++i) {
    const std::size_t before = s.scratch.size();
    s.assemblers[i].Truncate(
        s.batch->observations().subspan(i * spec.observation_size, spec.observation_size),
        &s.scratch);
    Label(s, index, i, before, s.batch->source_tags(i),
          shared->options.log_ego ? static_cast<const envs::LogPolicy*>(s.experts[i].get())
                                  : nullptr);
  }
  SendTransitions(self, shared);
}

caf::behavior EnvActor(EnvActorPtr self, RolloutShared* shared, int index,
                       std::uint64_t incarnation, std::uint64_t seed) {
  self->set_exception_handler([index](caf::scheduled_actor*, std::exception_ptr& error) {
    return OnFailure(index, error);
  });
  Init(self, shared, index, incarnation, seed);
  self->send(self, step_atom::value);
  return {
      [=](step_atom) {
        LowerThisThread(kEnvNice);
        auto& s = self->state;
        if (s.stopping || s.waiting) return;
        if (s.quota > 0 && s.steps >= s.quota) return;  // its share is taken: wait for stop
        RequestActions(self, shared, index);
      },
      [=](actions_atom, ActionReplyPtr reply) {
        auto& s = self->state;
        s.waiting = false;
        if (reply) {
          s.actions = reply->actions;
          s.version = reply->policy_version;
        }
        if (s.stopping) return;
        StepBatch(self, shared, index);
        if (s.in_flight < kWriteWindow) self->send(self, step_atom::value);
      },
      // Hands the last windows to the writer, then quits.
      [=](stop_atom) -> caf::result<bool> {
        CutWindows(self, shared, index);
        return true;
      },
  };
}

}  // namespace

caf::actor SpawnEnvActor(caf::actor_system& system, RolloutShared* shared, int index,
                         std::uint64_t incarnation, std::uint64_t seed) {
  return system.spawn(EnvActor, shared, index, incarnation, seed);
}

}  // namespace tarmac::actors
