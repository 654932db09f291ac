#include "tarmac/actors/learner_job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tarmac/actors/messages.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::actors {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

buffer::ReplayClientOptions ClientOptions(const LearnerJobOptions& options) {
  buffer::ReplayClientOptions client;
  client.shards = options.shards;
  client.connect_attempts = 8;
  return client;
}

// Samples and decodes batches on request; blocking Redis I/O, so it runs detached.
struct SamplerState {
  std::unique_ptr<buffer::ReplayClient> client;
  absl::Status connect_status;
  std::uint64_t draws = 0;
  bool unmixed = false;  // the demo table had no items for the tag mixture
};

caf::behavior Sampler(caf::stateful_actor<SamplerState>* self, LearnerJobOptions options, int index,
                      monitoring::Metrics* metrics) {
  auto& samples = metrics->replay_samples_total.Add({});
  auto& latency = metrics->replay_sample_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
  return {
      [=, &samples, &latency](fetch_atom, double beta, bool demo, caf::actor reply_to) {
        auto out = std::make_shared<SampledBatch>();
        out->demo = demo;
        out->sampler = index;
        const auto start = Clock::now();
        if (self->state.client == nullptr) {
          auto client = buffer::ReplayClient::Connect(ClientOptions(options));
          if (client.ok()) {
            self->state.client = std::move(*client);
          } else {
            out->status = client.status();
          }
        }
        if (self->state.client != nullptr) {
          buffer::SampleOptions sample_options;
          sample_options.beta = beta;
          sample_options.seed = options.sac.seed * 1000003 + index * 7919 + self->state.draws++;
          const std::string& table = demo ? options.demo_table.name : options.rl_table.name;
          const bool mixed = demo && !options.demo_tag_mixture.empty() && !self->state.unmixed;
          if (mixed) sample_options.tag_mixture = options.demo_tag_mixture;
          auto sample = self->state.client->Sample(table, options.batch_size, sample_options);
          if (mixed && buffer::IsUnservableTagMixture(sample.status())) {
            // The demonstrations hold none of the mined events: sample them plainly.
            spdlog::warn("demos hold no items with the oversampled events; sampling uniformly");
            self->state.unmixed = true;
            sample_options.tag_mixture.clear();
            sample = self->state.client->Sample(table, options.batch_size, sample_options);
          }
          if (!sample.ok()) {
            out->status = sample.status();
          } else {
            out->status = learner::DecodeTrainingBatch(*sample, options.shape, &out->batch);
            samples.Increment(static_cast<double>(sample->items.size()));
          }
        }
        out->fetch_seconds = Seconds(Clock::now() - start);
        latency.Observe(out->fetch_seconds);
        self->send(reply_to, batch_atom::value, SampledBatchPtr(std::move(out)));
      },
  };
}

// Collects priority updates and sends them in batches (REPLAY.UPDATE per shard, pipelined).
struct PriorityWriterState {
  std::unique_ptr<buffer::ReplayClient> client;
  PriorityUpdates pending;
  bool flush_scheduled = false;
  std::uint64_t stale = 0;
};

caf::behavior PriorityWriter(caf::stateful_actor<PriorityWriterState>* self,
                             LearnerJobOptions options) {
  constexpr std::size_t kFlushItems = 4096;
  auto flush = [self, options] {
    auto& s = self->state;
    s.flush_scheduled = false;
    if (s.pending.empty()) return;
    if (s.client == nullptr) {
      auto client = buffer::ReplayClient::Connect(ClientOptions(options));
      if (!client.ok()) {
        spdlog::warn("priority updates dropped: {}", client.status().ToString());
        s.pending.clear();
        return;
      }
      s.client = std::move(*client);
    }
    auto result = s.client->Update(options.rl_table.name, s.pending);
    if (!result.ok()) {
      spdlog::warn("{} priority updates dropped: {}", s.pending.size(), result.status().ToString());
    } else {
      s.stale += result->stale;
    }
    s.pending.clear();
  };
  return {
      [=](priority_atom, PriorityUpdatesPtr updates) {
        auto& s = self->state;
        s.pending.insert(s.pending.end(), updates->begin(), updates->end());
        if (s.pending.size() >= kFlushItems) {
          flush();
        } else if (!s.flush_scheduled) {
          s.flush_scheduled = true;
          self->delayed_send(self, std::chrono::milliseconds(20), flush_atom::value);
        }
      },
      [=](flush_atom) { flush(); },
      [=](done_atom) {
        flush();
        return true;
      },
  };
}

// Publishes versioned weights to the control shard.
struct PublisherState {
  std::unique_ptr<buffer::ControlClient> control;
};

caf::behavior Publisher(caf::stateful_actor<PublisherState>* self, buffer::ShardEndpoint shard,
                        monitoring::Metrics* metrics) {
  auto& version_gauge = metrics->policy_version.Add({});
  return {
      [=, &version_gauge](publish_atom, PolicyWeightsPtr weights) -> bool {
        auto blob = schemas::EncodePolicyWeights(*weights);
        if (!blob.ok()) {
          spdlog::error("weights v{} not published: {}", weights->version,
                        blob.status().ToString());
          return false;
        }
        if (self->state.control == nullptr) {
          auto control = buffer::ControlClient::Connect(shard);
          if (!control.ok()) {
            spdlog::warn("weights v{} not published: {}", weights->version,
                         control.status().ToString());
            return false;
          }
          self->state.control = std::move(*control);
        }
        if (auto s = self->state.control->PublishWeights(weights->version, *blob); !s.ok()) {
          spdlog::warn("weights v{} not published: {}", weights->version, s.ToString());
          self->state.control.reset();
          return false;
        }
        version_gauge.Set(static_cast<double>(weights->version));
        spdlog::debug("published weights v{} ({} bytes)", weights->version, blob->size());
        return true;
      },
  };
}

// Writes checkpoints atomically and keeps the newest few.
caf::behavior Checkpointer(caf::event_based_actor* /*self*/, std::string dir, int keep) {
  return {
      [=](save_atom, CheckpointBytesPtr bytes, std::uint64_t step) -> std::string {
        std::error_code error;
        std::filesystem::create_directories(dir, error);
        const std::string path = learner::CheckpointPath(dir, step);
        if (auto s = util::WriteFileAtomically(path, *bytes); !s.ok()) {
          spdlog::error("checkpoint not written: {}", s.ToString());
          return "";
        }
        std::vector<std::string> all;
        for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
          const std::string name = entry.path().filename().string();
          if (name.rfind("ckpt-", 0) == 0 && entry.path().extension() == ".pt") {
            all.push_back(entry.path().string());
          }
        }
        std::sort(all.begin(), all.end());
        for (std::size_t i = 0; i + keep < all.size(); ++i) std::filesystem::remove(all[i], error);
        spdlog::info("checkpoint {} written", path);
        return path;
      },
  };
}

struct TrainerContext {
  LearnerJobOptions options;
  monitoring::Metrics* metrics = nullptr;
  const std::atomic<bool>* stop = nullptr;
  std::vector<caf::actor> samplers;
  caf::actor priority_writer, publisher, checkpointer;
  std::promise<absl::StatusOr<LearnerJobResult>> result;
};

class Trainer {
 public:
  Trainer(caf::blocking_actor* self, TrainerContext* ctx) : self_(self), ctx_(ctx) {}

  absl::StatusOr<LearnerJobResult> Run() {
    const LearnerJobOptions& o = ctx_->options;
    auto trainer = learner::SacTrainer::Create(o.sac, o.shape);
    if (!trainer.ok()) return trainer.status();
    trainer_ = std::move(*trainer);
    if (o.resume && !o.checkpoint_dir.empty()) {
      auto newest = learner::NewestCheckpoint(o.checkpoint_dir);
      if (newest.ok()) {
        if (auto s = trainer_->LoadCheckpoint(*newest); !s.ok()) return s;
        spdlog::info("resumed from {} at learner step {}", *newest, trainer_->step());
        result_.checkpoint = *newest;
      } else {
        spdlog::info("no checkpoint to resume from in {}; starting fresh", o.checkpoint_dir);
      }
    }
    const std::uint64_t start_step = trainer_->step();
    auto client = buffer::ReplayClient::Connect(ClientOptions(o));
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

    if (auto s = WaitForReplay(); !s.ok()) return s;
    const auto started = Clock::now();
    last_checkpoint_ = started;
    last_info_ = Clock::time_point{};
    for (std::size_t i = 0; i < ctx_->samplers.size(); ++i) {
      for (int k = 0; k < o.prefetch; ++k) {
        if (needs_rl()) Fetch(static_cast<int>(i), false);
        if (needs_demo()) Fetch(static_cast<int>(i), true);
      }
    }
    auto& updates_total = ctx_->metrics->learner_updates_total.Add({});
    while (!Done(started, start_step)) {
      SampledBatchPtr rl, demo;
      if (needs_rl() && !(rl = Next(false))) continue;
      if (needs_demo() && !(demo = Next(true))) {
        if (rl) rl_ready_.push_front(rl);
        continue;
      }
      const auto update_start = Clock::now();
      if (o.bc_decay_updates > 0 && !bc()) {
        const double left = 1.0 - std::min(1.0, static_cast<double>(trainer_->step()) /
                                                    static_cast<double>(o.bc_decay_updates));
        trainer_->set_bc_weight(o.sac.bc_weight * left);
      }
      auto stats = bc() ? trainer_->BcUpdate(demo->batch)
                        : trainer_->Update(rl->batch, demo ? &demo->batch : nullptr,
                                           result_.updates >= o.actor_warmup_updates);
      result_.update_seconds += Seconds(Clock::now() - update_start);
      if (!stats.ok()) return stats.status();
      ++result_.updates;
      updates_total.Increment();
      Report(*stats, rl.get());
      if (trainer_->step() % o.publish_every == 0) Publish(false);
      if (!o.checkpoint_dir.empty() &&
          Seconds(Clock::now() - last_checkpoint_) >= o.checkpoint_seconds) {
        Checkpoint(false);
      }
      if (Seconds(Clock::now() - last_info_) >= 1.0) Info();
    }
    result_.seconds = Seconds(Clock::now() - started);
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
  bool needs_rl() const { return !bc(); }
  bool needs_demo() const { return bc() || ctx_->options.sac.bc_weight > 0.0; }

  double Beta() const {
    const LearnerJobOptions& o = ctx_->options;
    if (o.beta_updates == 0) return 1.0;
    const double f =
        std::min(1.0, static_cast<double>(trainer_->step()) / static_cast<double>(o.beta_updates));
    return o.beta_start + (1.0 - o.beta_start) * f;
  }

  bool Done(Clock::time_point started, std::uint64_t start_step) const {
    const LearnerJobOptions& o = ctx_->options;
    if (ctx_->stop->load()) return true;
    if (o.max_updates > 0 && trainer_->step() - start_step >= o.max_updates) return true;
    return o.max_seconds > 0 && Seconds(Clock::now() - started) >= o.max_seconds;
  }

  void Fetch(int sampler, bool demo) {
    self_->send(ctx_->samplers[sampler], fetch_atom::value, Beta(), demo,
                caf::actor_cast<caf::actor>(self_));
  }

  // The next ready batch of a kind, waiting (bounded, so stop is noticed) when none is.
  SampledBatchPtr Next(bool demo) {
    auto& ready = demo ? demo_ready_ : rl_ready_;
    const auto wait_start = Clock::now();
    auto& wait_histogram =
        ctx_->metrics->learner_sample_wait_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
    while (ready.empty() && !ctx_->stop->load()) {
      self_->receive(
          [&](batch_atom, SampledBatchPtr batch) {
            if (!batch->status.ok()) {
              if (Seconds(Clock::now() - last_warning_) > 5.0) {
                spdlog::warn("sampling failed (retrying): {}", batch->status.ToString());
                last_warning_ = Clock::now();
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
              Fetch(batch->sampler, batch->demo);
              return;
            }
            (batch->demo ? demo_ready_ : rl_ready_).push_back(batch);
          },
          caf::after(std::chrono::milliseconds(200)) >> [] {});  // look at stop again
    }
    const double waited = Seconds(Clock::now() - wait_start);
    result_.sample_wait_seconds += waited;
    wait_histogram.Observe(waited);
    if (ready.empty()) return nullptr;
    SampledBatchPtr batch = ready.front();
    ready.pop_front();
    Fetch(batch->sampler, batch->demo);
    return batch;
  }

  void Report(const learner::UpdateStats& stats, const SampledBatch* rl) {
    monitoring::Metrics& m = *ctx_->metrics;
    m.learner_loss.Add({{"kind", "critic"}}).Set(stats.critic_loss);
    m.learner_loss.Add({{"kind", "actor"}}).Set(stats.actor_loss);
    m.learner_loss.Add({{"kind", "alpha"}}).Set(stats.alpha_loss);
    m.learner_loss.Add({{"kind", "bc"}}).Set(stats.bc_loss);
    m.learner_temperature.Add({}).Set(stats.alpha);
    m.learner_q_value.Add({}).Set(stats.q_mean);
    if (rl == nullptr) return;
    auto& td = m.learner_td_error.Add({}, monitoring::Metrics::TdBuckets());
    auto& lag = m.policy_lag_versions.Add({}, monitoring::Metrics::LagBuckets());
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
    last_checkpoint_ = Clock::now();
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

  absl::Status WaitForReplay() {
    const LearnerJobOptions& o = ctx_->options;
    const std::uint64_t needed = std::max<std::uint64_t>(o.min_replay, 1);
    auto last_log = Clock::now() - std::chrono::hours(1);
    while (!ctx_->stop->load()) {
      Info();
      const std::uint64_t size = bc() ? demo_size_ : rl_size_;
      if (size >= needed && (!needs_demo() || demo_size_ > 0)) return absl::OkStatus();
      if (Seconds(Clock::now() - last_log) > 10.0) {
        spdlog::info("waiting for replay: table {} holds {} of {} items",
                     bc() ? o.demo_table.name : o.rl_table.name, size, o.min_replay);
        last_log = Clock::now();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return absl::OkStatus();
  }

  // Table sizes, samples per insert and live actors (called about once a second).
  void Info() {
    last_info_ = Clock::now();
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
  std::unique_ptr<learner::SacTrainer> trainer_;
  std::unique_ptr<buffer::ReplayClient> client_;
  std::unique_ptr<buffer::ControlClient> control_;
  std::deque<SampledBatchPtr> rl_ready_, demo_ready_;
  std::uint64_t version_ = 0;
  std::uint64_t rl_size_ = 0, demo_size_ = 0;  // as of the last Info()
  LearnerJobResult result_;
  Clock::time_point last_checkpoint_, last_info_, last_warning_;
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

absl::Status LearnerJobOptions::Validate() const {
  if (shards.empty()) return absl::InvalidArgumentError("the learner needs at least one shard");
  if (auto s = sac.Validate(); !s.ok()) return s;
  if (batch_size <= 0 || batch_size > 65536) {
    return absl::InvalidArgumentError("learner.batch_size must be in 1..65536");
  }
  if (samplers <= 0 || prefetch <= 0) {
    return absl::InvalidArgumentError("learner.samplers and learner.prefetch must be positive");
  }
  if (!(beta_start >= 0.0 && beta_start <= 1.0)) {
    return absl::InvalidArgumentError("learner.beta_start must be in [0, 1]");
  }
  if (publish_every == 0) return absl::InvalidArgumentError("learner.publish_every must be >= 1");
  if (!(checkpoint_seconds > 0.0)) {
    return absl::InvalidArgumentError("learner.checkpoint_seconds must be positive");
  }
  if (keep_checkpoints < 1) return absl::InvalidArgumentError("keep at least one checkpoint");
  return absl::OkStatus();
}

absl::StatusOr<LearnerJobResult> RunLearnerJob(caf::actor_system& system,
                                               const LearnerJobOptions& options,
                                               monitoring::Metrics& metrics,
                                               const std::atomic<bool>& stop) {
  if (auto s = options.Validate(); !s.ok()) return s;
  TrainerContext ctx;
  ctx.options = options;
  ctx.metrics = &metrics;
  ctx.stop = &stop;
  for (int i = 0; i < options.samplers; ++i) {
    ctx.samplers.push_back(system.spawn<caf::detached>(Sampler, options, i, &metrics));
  }
  ctx.priority_writer = system.spawn<caf::detached>(PriorityWriter, options);
  ctx.publisher = system.spawn<caf::detached>(Publisher, options.shards.front(), &metrics);
  ctx.checkpointer =
      system.spawn<caf::detached>(Checkpointer, options.checkpoint_dir, options.keep_checkpoints);
  auto future = ctx.result.get_future();
  auto trainer = system.spawn<caf::detached>(TrainerActor, &ctx);
  auto result = future.get();
  caf::scoped_actor self{system};
  std::vector<caf::actor> all = ctx.samplers;
  all.insert(all.end(), {ctx.priority_writer, ctx.publisher, ctx.checkpointer, trainer});
  for (auto& a : all) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(30)) >> [] {});
  }
  return result;
}

}  // namespace tarmac::actors
