// The trainer actor: loads or resumes the SacTrainer, waits for the replay to hold enough
// items, then runs the update loop on batches the samplers prefetch, sends priorities to the
// priority writer, publishes weights every publish_every updates and checkpoints every
// checkpoint_seconds. Detached and blocking (Torch steps); it owns the trainer and sets the
// job's result once.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "learner_actors.h"
#include "tarmac/actors/messages.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"

namespace tarmac::actors {
namespace {

// The handles the update loop reports to, looked up in their families once.
struct TrainerMetrics {
  explicit TrainerMetrics(monitoring::Metrics& m)
      : updates(m.learner_updates_total.Add({})),
        sample_wait(m.learner_sample_wait_seconds.Add({}, monitoring::Metrics::LatencyBuckets())),
        critic_loss(m.learner_loss.Add({{"kind", "critic"}})),
        actor_loss(m.learner_loss.Add({{"kind", "actor"}})),
        alpha_loss(m.learner_loss.Add({{"kind", "alpha"}})),
        bc_loss(m.learner_loss.Add({{"kind", "bc"}})),
        anchor_kl(m.learner_loss.Add({{"kind", "anchor_kl"}})),
        temperature(m.learner_temperature.Add({})),
        q_value(m.learner_q_value.Add({})),
        entropy(m.learner_policy_entropy.Add({})),
        td_error(m.learner_td_error.Add({}, monitoring::Metrics::TdBuckets())),
        policy_lag(m.policy_lag_versions.Add({}, monitoring::Metrics::LagBuckets())) {}

  prometheus::Counter& updates;
  prometheus::Histogram& sample_wait;
  prometheus::Gauge &critic_loss, &actor_loss, &alpha_loss, &bc_loss, &anchor_kl, &temperature,
      &q_value, &entropy;
  prometheus::Histogram &td_error, &policy_lag;
};

class Trainer {
 public:
  Trainer(caf::blocking_actor* self, TrainerContext* ctx)
      : self_(self), ctx_(ctx), metrics_(*ctx->metrics) {}

  absl::StatusOr<LearnerJobResult> Run() {
    const LearnerJobOptions& o = ctx_->options;
    auto trainer = learner::SacTrainer::Create(o.sac, o.shape);
    if (!trainer.ok()) return trainer.status();
    trainer_ = std::move(*trainer);
    bool resumed = false;
    if (o.resume && !o.checkpoint_dir.empty()) {
      auto newest = learner::NewestCheckpoint(o.checkpoint_dir);
      if (newest.ok()) {
        if (auto s = trainer_->LoadCheckpoint(*newest); !s.ok()) return s;
        spdlog::info("resumed from {} at learner step {}", *newest, trainer_->step());
        result_.checkpoint = *newest;
        resumed = true;
      } else if (o.init.empty()) {
        spdlog::info("no checkpoint to resume from in {}; starting fresh", o.checkpoint_dir);
      }
    }
    if (!resumed && !o.init.empty()) {
      auto init = learner::ResolveCheckpoint(o.init);
      if (!init.ok()) return init.status();
      if (auto s = trainer_->LoadCheckpoint(*init); !s.ok()) return s;
      spdlog::info("starting from {} at learner step {}", *init, trainer_->step());
    }
    if (!o.anchor.empty()) {
      auto anchor = learner::ResolveCheckpoint(o.anchor);
      if (!anchor.ok()) return anchor.status();
      if (auto s = trainer_->SetAnchor(*anchor); !s.ok()) return s;
      spdlog::info("anchored to {} (KL weight {})", *anchor, o.sac.anchor_weight);
    }
    const std::uint64_t start_step = trainer_->step();
    auto client = buffer::ReplayClient::Connect(LearnerClientOptions(o));
    if (!client.ok()) return client.status();
    client_ = std::move(*client);
    for (const auto* spec : {&o.rl_table, &o.demo_table}) {
      if (auto s = client_->CreateTable(*spec); !s.ok()) return s;
    }
    auto control = buffer::ControlClient::Connect(o.shards.front());
    if (!control.ok()) return control.status();
    control_ = std::move(*control);
    auto latest = control_->LatestWeightsVersion();
    version_ = latest.ok() ? *latest : 0;
    spdlog::info("learner: {} on {}, {} shard(s), batch {}, publishing every {} updates",
                 bc() ? "behaviour cloning" : "SAC", trainer_->device(), o.shards.size(),
                 o.batch_size, o.publish_every);
    Publish(/*wait=*/true);

    if (Reached()) {
      spdlog::info("learner: step {} is at learner.until_step {}; nothing to do", trainer_->step(),
                   o.until_step);
    } else if (auto s = WaitForReplay(); !s.ok()) {
      return s;
    }
    const auto started = LearnerClock::now();
    last_checkpoint_ = started;
    last_info_ = LearnerClock::time_point{};
    for (auto& queues : ready_) queues.resize(ctx_->samplers.size());
    for (std::size_t i = 0; i < ctx_->samplers.size(); ++i) {
      for (int k = 0; k < o.prefetch; ++k) {
        if (needs_rl()) Fetch(static_cast<int>(i), false);
        if (needs_demo()) Fetch(static_cast<int>(i), true);
      }
    }
    while (!Done(started, start_step)) {
      if (pretraining()) {
        // The critics of the cloned actor, fitted on demonstrations; rl is not sampled (its
        // pacing holds the rollout back meanwhile, which leaves the cores to this).
        SampledBatchPtr demo = Next(true);
        if (!demo) continue;
        const auto update_start = LearnerClock::now();
        auto stats = trainer_->Update(demo->batch, nullptr, /*train_actor=*/false);
        result_.update_seconds += Seconds(LearnerClock::now() - update_start);
        if (!stats.ok()) return stats.status();
        ++result_.updates;
        metrics_.updates.Increment();
        Report(*stats, nullptr);
        AfterUpdate();
        continue;
      }
      SampledBatchPtr rl, demo;
      if (needs_rl() && !(rl = Next(false))) continue;
      if (needs_demo() && !(demo = Next(true))) {
        if (rl) Unget(std::move(rl));
        continue;
      }
      const auto update_start = LearnerClock::now();
      if (o.bc_decay_updates > 0 && !bc()) {
        const double left = 1.0 - std::min(1.0, static_cast<double>(trainer_->step()) /
                                                    static_cast<double>(o.bc_decay_updates));
        trainer_->set_bc_weight(o.sac.bc_weight * left);
      }
      auto stats = bc() ? trainer_->BcUpdate(demo->batch)
                        : trainer_->Update(rl->batch, demo ? &demo->batch : nullptr,
                                           result_.updates >=
                                               o.critic_pretrain_updates + o.actor_warmup_updates);
      result_.update_seconds += Seconds(LearnerClock::now() - update_start);
      if (!stats.ok()) return stats.status();
      ++result_.updates;
      metrics_.updates.Increment();
      Report(*stats, rl.get());
      AfterUpdate();
    }
    result_.seconds = Seconds(LearnerClock::now() - started);
    Publish(true);
    if (!o.checkpoint_dir.empty()) Checkpoint(true);
    self_->request(ctx_->priority_writer, std::chrono::seconds(10), done_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    result_.learner_step = trainer_->step();
    result_.policy_version = version_;
    return result_;
  }

 private:
  bool bc() const { return ctx_->options.sac.algorithm == learner::Algorithm::kBc; }
  bool pretraining() const {
    return !bc() && result_.updates < ctx_->options.critic_pretrain_updates;
  }
  bool needs_rl() const { return !bc(); }
  bool needs_demo() const { return bc() || ctx_->options.sac.bc_weight > 0.0 || pretraining(); }

  // Publication, checkpoint and table sizes on their schedules, after each update.
  void AfterUpdate() {
    const LearnerJobOptions& o = ctx_->options;
    if (trainer_->step() % o.publish_every == 0) Publish(false);
    if (!o.checkpoint_dir.empty() &&
        Seconds(LearnerClock::now() - last_checkpoint_) >= o.checkpoint_seconds) {
      Checkpoint(false);
    }
    if (Seconds(LearnerClock::now() - last_info_) >= 1.0) Info();
  }

  double Beta() const {
    const LearnerJobOptions& o = ctx_->options;
    if (o.beta_updates == 0) return 1.0;
    const double f =
        std::min(1.0, static_cast<double>(trainer_->step()) / static_cast<double>(o.beta_updates));
    return o.beta_start + (1.0 - o.beta_start) * f;
  }

  bool Done(LearnerClock::time_point started, std::uint64_t start_step) const {
    const LearnerJobOptions& o = ctx_->options;
    if (ctx_->stop->load() || Reached()) return true;
    if (o.max_updates > 0 && trainer_->step() - start_step >= o.max_updates) return true;
    return o.max_seconds > 0 && Seconds(LearnerClock::now() - started) >= o.max_seconds;
  }

  bool Reached() const {
    const std::uint64_t until = ctx_->options.until_step;
    return until > 0 && trainer_->step() >= until;
  }

  void Fetch(int sampler, bool demo) {
    self_->send(ctx_->samplers[sampler], fetch_atom::value, Beta(), demo,
                caf::actor_cast<caf::actor>(self_));
  }

  // The next batch of a kind, taken from the samplers in turn (so the batch sequence depends on
  // the seed and the table, not on which sampler answered first), waiting for that sampler's
  // (bounded, so stop is noticed).
  SampledBatchPtr Next(bool demo) {
    std::vector<std::deque<SampledBatchPtr>>& ready = ready_[demo ? 1 : 0];
    std::size_t& turn = turn_[demo ? 1 : 0];
    const auto wait_start = LearnerClock::now();
    while (ready[turn].empty() && !ctx_->stop->load()) {
      self_->receive(
          [&](batch_atom, SampledBatchPtr batch) {
            if (!batch->status.ok()) {
              if (Seconds(LearnerClock::now() - last_warning_) > 5.0) {
                spdlog::warn("sampling failed (retrying): {}", batch->status.ToString());
                last_warning_ = LearnerClock::now();
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
              Fetch(batch->sampler, batch->demo);
              return;
            }
            ready_[batch->demo ? 1 : 0][batch->sampler].push_back(batch);
          },
          caf::after(std::chrono::milliseconds(200)) >> [] {});  // look at stop again
    }
    const double waited = Seconds(LearnerClock::now() - wait_start);
    result_.sample_wait_seconds += waited;
    if (result_.updates == 0) result_.first_sample_wait_seconds += waited;
    metrics_.sample_wait.Observe(waited);
    if (ready[turn].empty()) return nullptr;
    SampledBatchPtr batch = ready[turn].front();
    ready[turn].pop_front();
    turn = (turn + 1) % ready.size();
    Fetch(batch->sampler, batch->demo);
    return batch;
  }

  // Puts a batch Next returned back, to be returned again first.
  void Unget(SampledBatchPtr batch) {
    const std::size_t kind = batch->demo ? 1 : 0;
    turn_[kind] = static_cast<std::size_t>(batch->sampler);
    ready_[kind][turn_[kind]].push_front(std::move(batch));
  }

  void Report(const learner::UpdateStats& stats, const SampledBatch* rl) {
    if (stats.bc_loss != 0.0) TrackBcLoss(stats.bc_loss);
    TrainerMetrics& m = metrics_;
    m.critic_loss.Set(stats.critic_loss);
    m.actor_loss.Set(stats.actor_loss);
    m.alpha_loss.Set(stats.alpha_loss);
    m.bc_loss.Set(stats.bc_loss);
    m.anchor_kl.Set(stats.anchor_kl);
    m.temperature.Set(stats.alpha);
    m.q_value.Set(stats.q_mean);
    if (stats.entropy != 0.0) m.entropy.Set(stats.entropy);
    if (rl == nullptr) return;
    auto& td = m.td_error;
    auto& lag = m.policy_lag;
    auto updates = std::make_shared<PriorityUpdates>();
    updates->reserve(stats.priorities.size());
    const double eps = ctx_->options.sac.priority_epsilon;
    for (std::size_t i = 0; i < stats.priorities.size(); ++i) {
      updates->emplace_back(rl->batch.keys[i], stats.priorities[i]);
      td.Observe(stats.priorities[i] - eps);
      const std::uint64_t behaviour = rl->batch.policy_version[i];
      lag.Observe(behaviour <= version_ ? static_cast<double>(version_ - behaviour) : 0.0);
    }
    self_->send(ctx_->priority_writer, priority_atom::value, PriorityUpdatesPtr(updates));
  }

  // The first and last LearnerJobResult::kLossWindow BC losses, as their means in result_.
  void TrackBcLoss(double loss) {
    constexpr int kWindow = LearnerJobResult::kLossWindow;
    if (first_bc_losses_ < kWindow) {
      result_.first_bc_loss += (loss - result_.first_bc_loss) / ++first_bc_losses_;
    }
    last_bc_losses_.push_back(loss);
    if (last_bc_losses_.size() > kWindow) last_bc_losses_.pop_front();
    double sum = 0.0;
    for (double l : last_bc_losses_) sum += l;
    result_.last_bc_loss = sum / static_cast<double>(last_bc_losses_.size());
  }

  void Publish(bool wait) {
    auto weights = std::make_shared<schemas::PolicyWeights>(trainer_->ExportPolicy(++version_));
    if (!wait) {
      self_->send(ctx_->publisher, publish_atom::value, PolicyWeightsPtr(weights));
      return;
    }
    self_
        ->request(ctx_->publisher, std::chrono::seconds(10), publish_atom::value,
                  PolicyWeightsPtr(weights))
        .receive([](bool) {}, [](caf::error&) {});
  }

  void Checkpoint(bool wait) {
    last_checkpoint_ = LearnerClock::now();
    auto bytes = trainer_->SerializeCheckpoint();
    if (!bytes.ok()) {
      spdlog::error("{}", bytes.status().ToString());
      return;
    }
    auto shared = std::make_shared<const std::string>(std::move(*bytes));
    if (!wait) {
      self_->send(ctx_->checkpointer, save_atom::value, CheckpointBytesPtr(shared),
                  trainer_->step());
      return;
    }
    self_
        ->request(ctx_->checkpointer, std::chrono::seconds(60), save_atom::value,
                  CheckpointBytesPtr(shared), trainer_->step())
        .receive([this](const std::string& path) { result_.checkpoint = path; },
                 [](caf::error&) {});
  }

  // Blocks until the tables the updates draw from hold enough items (or stop), logging every
  // 10 s which table is short and how to fill it.
  absl::Status WaitForReplay() {
    const LearnerJobOptions& o = ctx_->options;
    const std::uint64_t needed = std::max<std::uint64_t>(o.min_replay, 1);
    auto last_log = LearnerClock::now() - std::chrono::hours(1);
    while (!ctx_->stop->load()) {
      Info();
      const bool main_ready = (bc() ? demo_size_ : rl_size_) >= needed;
      const bool demos_ready = !needs_demo() || demo_size_ > 0;
      if (main_ready && demos_ready) return absl::OkStatus();
      if (Seconds(LearnerClock::now() - last_log) > 10.0) {
        if (!main_ready) {
          spdlog::info("waiting for replay: table {} holds {} of {} items{}",
                       bc() ? o.demo_table.name : o.rl_table.name, bc() ? demo_size_ : rl_size_,
                       needed,
                       bc() ? "; fill it with `tarmac actor --policy expert --table demos`"
                            : "; start rollouts with `tarmac actor`");
        } else {
          spdlog::info(
              "waiting for replay: table {} holds no demonstrations, which the behaviour-cloning "
              "term (bc_weight {}) needs; fill it with `tarmac actor --policy expert --table {}`, "
              "or run with --bc-weight 0",
              o.demo_table.name, o.sac.bc_weight, o.demo_table.name);
        }
        last_log = LearnerClock::now();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return absl::OkStatus();
  }

  // Table sizes, samples per insert and live actors (called about once a second).
  void Info() {
    last_info_ = LearnerClock::now();
    monitoring::Metrics& m = *ctx_->metrics;
    for (const auto* spec : {&ctx_->options.rl_table, &ctx_->options.demo_table}) {
      auto totals = client_->Totals(spec->name);
      if (!totals.ok()) continue;
      const std::uint64_t size = totals->size;
      m.replay_size.Add({{"table", spec->name}}).Set(static_cast<double>(size));
      if (spec == &ctx_->options.rl_table) {
        rl_size_ = size;
        if (totals->inserts > 0) {
          m.learner_samples_per_insert.Add({}).Set(static_cast<double>(totals->samples) /
                                                   static_cast<double>(totals->inserts));
        }
      } else {
        demo_size_ = size;
      }
    }
    if (auto memory = client_->Memory(); memory.ok()) {
      for (std::size_t i = 0; i < memory->size(); ++i) {
        const std::map<std::string, std::string> shard = {{"shard", std::to_string(i)}};
        m.replay_memory_bytes.Add(shard).Set(static_cast<double>((*memory)[i].used_bytes));
        m.replay_maxmemory_bytes.Add(shard).Set(static_cast<double>((*memory)[i].max_bytes));
      }
    }
    if (auto actors = control_->LiveActors(); actors.ok()) {
      m.actors_alive.Add({}).Set(static_cast<double>(actors->size()));
    }
  }

  caf::blocking_actor* self_;
  TrainerContext* ctx_;
  TrainerMetrics metrics_;
  std::unique_ptr<learner::SacTrainer> trainer_;
  std::unique_ptr<buffer::ReplayClient> client_;
  std::unique_ptr<buffer::ControlClient> control_;
  // Per kind (rl, demos), per sampler: the batches received and not used yet; and the sampler
  // whose batch is used next.
  std::vector<std::deque<SampledBatchPtr>> ready_[2];
  std::size_t turn_[2] = {0, 0};
  std::uint64_t version_ = 0;
  std::uint64_t rl_size_ = 0, demo_size_ = 0;  // as of the last Info()
  LearnerJobResult result_;
  int first_bc_losses_ = 0;
  std::deque<double> last_bc_losses_;
  LearnerClock::time_point last_checkpoint_, last_info_, last_warning_;
};

void TrainerActor(caf::blocking_actor* self, TrainerContext* ctx) {
  Trainer trainer(self, ctx);
  absl::StatusOr<LearnerJobResult> result = absl::InternalError("the trainer did not run");
  try {
    result = trainer.Run();
  } catch (const std::exception& e) {
    result = absl::InternalError(absl::StrCat("the trainer failed: ", e.what()));
  }
  ctx->result.set_value(std::move(result));
}

}  // namespace

caf::actor SpawnTrainer(caf::actor_system& system, TrainerContext* ctx) {
  return system.spawn<caf::detached>(TrainerActor, ctx);
}

}  // namespace tarmac::actors
