#include "phases.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "../evaluation_run.h"
#include "../policy_comparison.h"
#include "../report_figures.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "selection.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/schemas/event.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::cli::train {
namespace fs = std::filesystem;
namespace {

// A phase's job: one actors::Run*Job call until stopped, its result reduced to a status.
template <class RunJob, class Options>
PhaseRunner::Job Job(TrainContext& ctx, RunJob run, const Options& options) {
  caf::actor_system* system = ctx.system;
  monitoring::Metrics* metrics = ctx.metrics;
  return [system, metrics, run, &options](const std::atomic<bool>& stop) -> absl::Status {
    auto r = run(*system, options, *metrics, stop);
    return r.ok() ? absl::OkStatus() : r.status();
  };
}

// The first failed job's status, or OK.
absl::Status FirstFailure(const std::vector<absl::Status>& statuses) {
  for (const absl::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Interrupted (the current phase saved) when a signal arrived, else done.
PhaseEnd EndOf(const TrainContext& ctx, Phase current) {
  if (!ctx.signalled->load()) return PhaseEnd::kDone;
  ctx.Save(current);
  return PhaseEnd::kInterrupted;
}

// Episodes started so far in this process, per scenario source.
std::map<std::string, double> SourceCounts(const TrainContext& ctx) {
  std::map<std::string, double> counts;
  for (const auto& family : ctx.metrics->scenario_source_episodes_total.Collect()) {
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "source") counts[label.value] += metric.counter.value;
      }
    }
  }
  return counts;
}

std::uint64_t LearnerStep(const TrainContext& ctx) {
  return learner::NewestCheckpointStep(ctx.dir.checkpoints());
}

// Publishes the run's newest checkpoint as the policy the rollouts drive, unless one is
// published already: a fine-tuning's DAgger starts before any learner of the run has published.
absl::Status PublishNewestCheckpoint(const TrainContext& ctx) {
  auto control = buffer::ControlClient::Connect(ctx.learner.shards.front());
  if (!control.ok()) return control.status();
  if (auto latest = (*control)->LatestWeightsVersion(); latest.ok() && *latest > 0) {
    return absl::OkStatus();
  }
  auto newest = learner::NewestCheckpoint(ctx.dir.checkpoints());
  if (!newest.ok()) return newest.status();
  learner::SacOptions options = ctx.learner.sac;
  options.device = "cpu";
  auto trainer = learner::SacTrainer::Create(options, ctx.learner.shape);
  if (!trainer.ok()) return trainer.status();
  if (absl::Status s = (*trainer)->LoadCheckpoint(*newest); !s.ok()) return s;
  auto blob = schemas::EncodePolicyWeights((*trainer)->ExportPolicy(1), ctx.learner.weights_key);
  if (!blob.ok()) return blob.status();
  spdlog::info("train: published {} as policy version 1", *newest);
  return (*control)->PublishWeights(1, *blob);
}

}  // namespace

void TrainContext::Save(Phase phase) const {
  state->phase = phase;
  RunState copy = *state;
  copy.elapsed_seconds = runner->Elapsed();
  (void)copy.Save(dir.state());
}

absl::StatusOr<PhaseEnd> RunDemosPhase(TrainContext& ctx) {
  const TrainSettings& settings = *ctx.settings;
  const std::uint64_t have = Counts(*ctx.client, "demos").inserts;
  if (have < settings.demo_steps) {
    actors::RolloutJobOptions demo = ctx.rollout;
    demo.expert = true;
    demo.mix = nullptr;  // demonstrations of the whole distribution
    demo.load_mix = nullptr;
    demo.table = ctx.learner.demo_table;
    demo.actor_id = "train-" + ctx.state->run_id + "-demos";
    demo.max_env_steps = settings.demo_steps - have;
    // One env actor with all the envs: its chunks reach `demos` in the order it steps them, so
    // the table's order, and with it the SFT phase's batches, follow train.seed.
    demo.envs_per_actor = ctx.rollout.actors * ctx.rollout.envs_per_actor;
    demo.actors = 1;
    // The demos' scenarios are a stream of their own, never the rollouts' (train.seed).
    demo.seed = ctx.rollout.seed * 2 + 1;
    spdlog::info("train: demos: the expert drives {} env steps into `demos`", demo.max_env_steps);
    const auto statuses = ctx.runner->Run(Phase::kDemos, ctx.setup_deadline() * 0.3,
                                          {Job(ctx, &actors::RunRolloutJob, demo)}, false);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
  }
  return EndOf(ctx, Phase::kDemos);
}

absl::StatusOr<PhaseEnd> RunSftPhase(TrainContext& ctx) {
  const TrainSettings& settings = *ctx.settings;
  const std::uint64_t step = LearnerStep(ctx);
  // A run from --init starts with that policy: it is the one RL improves on.
  const bool from_init = !ctx.learner.init.empty();
  if (!from_init && settings.sft_updates > step) {
    actors::LearnerJobOptions sft = ctx.learner;
    sft.sac.algorithm = learner::Algorithm::kBc;
    sft.max_updates = settings.sft_updates - step;
    sft.min_replay = std::min<std::uint64_t>(std::max<std::uint64_t>(sft.min_replay, 1),
                                             std::max<std::uint64_t>(settings.demo_steps, 1));
    spdlog::info("train: sft: {} behaviour-cloning updates on `demos`", sft.max_updates);
    // DAgger, when it runs, gets the last fifth of the setup time.
    const double deadline =
        ctx.setup_deadline() * (settings.dagger_rounds > ctx.state->dagger_rounds ? 0.8 : 1.0);
    const auto statuses =
        ctx.runner->Run(Phase::kSft, deadline, {Job(ctx, &actors::RunLearnerJob, sft)}, false);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
  }
  return EndOf(ctx, Phase::kSft);
}

absl::StatusOr<PhaseEnd> RunDaggerPhase(TrainContext& ctx) {
  const TrainSettings& settings = *ctx.settings;
  while (ctx.state->dagger_rounds < settings.dagger_rounds &&
         (ctx.setup_deadline() == 0 || ctx.runner->Elapsed() < ctx.setup_deadline())) {
    const int round = ctx.state->dagger_rounds + 1;
    if (absl::Status s = PublishNewestCheckpoint(ctx); !s.ok()) return s;
    // The published (cloned) policy drives with its mean action, as it will be evaluated; the
    // expert labels every state it visits.
    actors::RolloutJobOptions label = ctx.rollout;
    label.dagger = true;
    label.mix = nullptr;
    label.load_mix = nullptr;
    if (ctx.finetune != nullptr) label.mix = ctx.finetune->dagger_mix;  // tagged kFocusTag
    label.expert = false;
    label.noise_scale = 0.0F;
    label.analyse = false;
    label.table = ctx.learner.demo_table;
    label.actor_id = "train-" + ctx.state->run_id + "-dagger-" + std::to_string(round);
    label.max_env_steps = settings.dagger_steps;
    label.envs_per_actor = ctx.rollout.actors * ctx.rollout.envs_per_actor;  // as the demos'
    label.actors = 1;
    label.seed = ctx.rollout.seed * 2 + 1 + 2 * static_cast<std::uint64_t>(round);
    spdlog::info(
        "train: dagger: round {} of {}: the {} policy drives {} env steps{}, the expert labels "
        "them into `demos`",
        round, settings.dagger_rounds, ctx.finetune != nullptr ? "current" : "cloned",
        settings.dagger_steps, ctx.finetune != nullptr ? " of the focus cases" : "");
    auto statuses = ctx.runner->Run(Phase::kDagger, ctx.setup_deadline(),
                                    {Job(ctx, &actors::RunRolloutJob, label)}, false);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
    if (ctx.signalled->load()) return EndOf(ctx, Phase::kDagger);
    if (settings.dagger_updates > 0) {
      actors::LearnerJobOptions bc = ctx.learner;
      bc.sac.algorithm = learner::Algorithm::kBc;
      bc.max_updates = settings.dagger_updates;
      bc.min_replay = 1;
      statuses = ctx.runner->Run(Phase::kDagger, ctx.setup_deadline(),
                                 {Job(ctx, &actors::RunLearnerJob, bc)}, false);
      if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
      if (ctx.signalled->load()) return EndOf(ctx, Phase::kDagger);
    }
    ctx.state->dagger_rounds = round;
    ctx.Save(Phase::kDagger);
  }
  if (EndOf(ctx, Phase::kDagger) == PhaseEnd::kInterrupted) return PhaseEnd::kInterrupted;
  // The imitation policy (SFT, then DAgger), kept for the report's comparison.
  ctx.state->sft_step = LearnerStep(ctx);
  if (auto newest = learner::NewestCheckpoint(ctx.dir.checkpoints()); newest.ok()) {
    std::error_code ec;
    fs::create_directories(ctx.dir.sft(), ec);
    fs::copy_file(*newest, fs::path(ctx.dir.sft()) / fs::path(*newest).filename(),
                  fs::copy_options::overwrite_existing, ec);
  }
  return PhaseEnd::kDone;
}

namespace {

// The checkpoints of a lock-step phase, one a turn, thinned to the selection's candidates: at
// most one per train.selection_checkpoint_seconds of the budget, evenly spread over the turns
// and the newest always kept. Which ones depends on their count alone, so a repeated run keeps
// the same ones.
void ThinTurnCheckpoints(const TrainContext& ctx) {
  if (ctx.selection == nullptr || ctx.budget() <= 0) return;
  auto all = learner::ListCheckpoints(ctx.dir.checkpoints());  // newest first
  if (!all.ok()) return;
  std::vector<std::string> turns;
  for (const std::string& file : *all) {
    const auto step = learner::CheckpointStep(file);
    if (step && *step > ctx.state->sft_step) turns.push_back(file);
  }
  const std::size_t keep = std::max<std::size_t>(
      1, static_cast<std::size_t>(ctx.budget() / ctx.settings->selection_checkpoint_seconds));
  if (turns.size() <= keep) return;
  const std::size_t every = (turns.size() + keep - 1) / keep;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    std::error_code ec;
    if (i % every != 0) fs::remove(turns[i], ec);
  }
}

// train.lockstep_steps: the rollout (one env actor with all the envs, the policy published
// last) drives a turn of env steps, then the learner makes the updates samples_per_insert asks
// for the table's inserts so far, drawing every batch from the table as the turn left it (its
// priorities written at its end) and checkpointing once at the end; one at a time. Each turn's
// draws follow from train.seed and the turn's number, so with --updates as the limit a run
// repeats bit for bit; a time limit cuts the last turn wherever the clock says.
absl::Status RunLockstepTurns(TrainContext& ctx, const actors::RolloutJobOptions& rollout_base,
                              const actors::LearnerJobOptions& learner_base, double deadline) {
  const TrainSettings& settings = *ctx.settings;
  // The RL updates train.updates still allows after `done` (0: no limit, so all of them).
  const auto updates_allowed = [&](std::uint64_t done) -> std::uint64_t {
    if (settings.updates == 0) return std::numeric_limits<std::uint64_t>::max();
    return settings.updates > done ? settings.updates - done : 0;
  };
  const int envs = rollout_base.actors * rollout_base.envs_per_actor;
  // A turn's env steps, whole batches of the one env actor's envs (as its quota rounds them).
  const std::uint64_t turn_steps =
      (settings.lockstep_steps + static_cast<std::uint64_t>(envs) - 1) /
      static_cast<std::uint64_t>(envs) * static_cast<std::uint64_t>(envs);
  const auto out_of_time = [&] {
    return ctx.signalled->load() || (deadline > 0 && ctx.runner->Elapsed() >= deadline);
  };
  while (!out_of_time()) {
    const std::uint64_t done = LearnerStep(ctx) - ctx.state->sft_step;
    if (updates_allowed(done) == 0) break;
    const std::uint64_t inserted = Counts(*ctx.client, learner_base.rl_table.name).inserts;
    const std::uint64_t turn = inserted / turn_steps;
    actors::RolloutJobOptions rollout = rollout_base;
    rollout.actors = 1;
    rollout.envs_per_actor = envs;
    rollout.max_env_steps = turn_steps;
    // Each turn's scenarios and noise a stream of their own; even, as the RL rollout's seed is
    // (demos and DAgger draw odd ones), and within actor.seed's bounds.
    rollout.seed = (rollout_base.seed + 2 * 104729 * turn) % 1000000000000000ULL;
    auto statuses =
        ctx.runner->Run(Phase::kRl, deadline, {Job(ctx, &actors::RunRolloutJob, rollout)}, false);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
    if (out_of_time()) break;
    const std::uint64_t now_inserted = Counts(*ctx.client, learner_base.rl_table.name).inserts;
    if (now_inserted < learner_base.min_replay) continue;  // too few to learn from yet
    const auto target =
        static_cast<std::uint64_t>(static_cast<double>(now_inserted) * settings.samples_per_insert /
                                   static_cast<double>(learner_base.batch_size));
    const std::uint64_t updates =
        std::min(target > done ? target - done : 0, updates_allowed(done));
    if (updates == 0) continue;
    actors::LearnerJobOptions learn = learner_base;
    learn.max_updates = updates;
    const std::uint64_t pretrain = settings.critic_pretrain_updates;
    const std::uint64_t critic_only = pretrain + settings.critic_warmup_updates;
    learn.critic_pretrain_updates = pretrain > done ? pretrain - done : 0;
    learn.actor_warmup_updates =
        critic_only > done ? std::min(settings.critic_warmup_updates, critic_only - done) : 0;
    learn.defer_priorities = true;
    learn.sample_stream = turn + 1;
    learn.checkpoint_seconds = 1e9;  // one checkpoint, at the turn's end
    statuses =
        ctx.runner->Run(Phase::kRl, deadline, {Job(ctx, &actors::RunLearnerJob, learn)}, false);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
  }
  ThinTurnCheckpoints(ctx);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PhaseEnd> RunRlPhase(TrainContext& ctx) {
  const TrainSettings& settings = *ctx.settings;
  actors::LearnerJobOptions rl = ctx.learner;
  rl.sac.algorithm = learner::Algorithm::kSac;
  rl.sac.bc_weight = settings.bc_weight;
  rl.sac.initial_alpha = settings.alpha;
  // The rollout and Redis share the cores: an intra-op thread per core oversubscribes them, and
  // the learner's parallel regions then wait on a descheduled thread.
  rl.sac.threads = settings.RlLearnerThreads(std::thread::hardware_concurrency());
  // The critics' pre-training on demos, then their warm-up on rl, then the actor too; the
  // schedule and the update budget count from the end of SFT, across restarts of the run.
  const std::uint64_t done = LearnerStep(ctx) - ctx.state->sft_step;
  const std::uint64_t pretrain = settings.critic_pretrain_updates;
  const std::uint64_t critic_only = pretrain + settings.critic_warmup_updates;
  rl.critic_pretrain_updates = pretrain > done ? pretrain - done : 0;
  rl.actor_warmup_updates =
      critic_only > done ? std::min(settings.critic_warmup_updates, critic_only - done) : 0;
  // The phase, not the learner, counts the updates: the rollout must stop (and flush) while
  // the learner still samples, or the pacing would hold the writer's last inserts back.
  rl.max_updates = 0;
  const std::uint64_t updates_left =
      settings.updates > 0 && settings.updates > done ? settings.updates - done : 0;
  prometheus::Counter& updates = ctx.metrics->learner_updates_total.Add({});
  const double updates_before = updates.Value();
  const auto enough_updates = [&] {
    return settings.updates > 0 &&
           updates.Value() - updates_before >= static_cast<double>(updates_left);
  };
  actors::RolloutJobOptions rollout = ctx.rollout;
  rollout.expert = false;
  rollout.table = ctx.learner.rl_table;
  rollout.actor_id = "train-" + ctx.state->run_id + "-rl";
  rollout.seed = ctx.rollout.seed * 2;
  rollout.episode_log = ctx.episodes;
  if (rollout.log_dir.empty()) rollout.log_dir = ctx.dir.episodes();
  const bool more = settings.updates == 0 || updates_left > 0;
  const double budget = ctx.budget();
  if (more && (budget == 0 || ctx.runner->Elapsed() < budget - ctx.eval_reserve())) {
    // learner.rl_events, when set, change what the critics see: the log says so.
    std::string oversampled;
    if (!rl.RlTagMixture().empty()) {
      oversampled = absl::StrCat("; events ",
                                 absl::StrJoin(schemas::EventsIn(rl.rl_event_mask), ", ",
                                               [](std::string* out, schemas::Event e) {
                                                 absl::StrAppend(out, schemas::EventName(e));
                                               }),
                                 " make ", rl.rl_event_share, " of each batch");
    }
    spdlog::info("train: rl: SAC + BC (weight {}) with {} x {} envs, {} samples per insert{}{}",
                 settings.bc_weight, settings.actors, settings.envs_per_actor,
                 settings.samples_per_insert, oversampled,
                 settings.lockstep_steps > 0 ? absl::StrCat("; in lock-step turns of ",
                                                            settings.lockstep_steps, " env steps")
                                             : std::string());
    const std::map<std::string, double> before = SourceCounts(ctx);
    const double deadline = budget > 0 ? budget - ctx.eval_reserve() : 0.0;
    absl::Status status;
    if (settings.lockstep_steps > 0) {
      status = RunLockstepTurns(ctx, rollout, rl, deadline);
    } else {
      status = FirstFailure(ctx.runner->Run(
          Phase::kRl, deadline,
          {Job(ctx, &actors::RunRolloutJob, rollout), Job(ctx, &actors::RunLearnerJob, rl)}, true,
          enough_updates));
    }
    for (const auto& [source, count] : SourceCounts(ctx)) {
      const auto it = before.find(source);
      ctx.state->rl_sources[source] +=
          static_cast<std::uint64_t>(count - (it == before.end() ? 0.0 : it->second));
    }
    if (!status.ok()) return status;
  }
  return EndOf(ctx, Phase::kRl);
}

namespace {

// The policies on one suite, the report written to `dir`; its table goes to the terminal.
absl::StatusOr<EvaluationReport> EvaluateAndReport(TrainContext& ctx, const envs::Suite& suite,
                                                   const std::vector<NamedPolicy>& policies,
                                                   int reference, const std::string& dir) {
  std::vector<std::string> names;
  for (const NamedPolicy& p : policies) names.push_back(p.name);
  spdlog::info("train: eval: {} and the expert on suite {}", absl::StrJoin(names, ", "),
               suite.name);
  absl::StatusOr<EvaluationReport> report =
      EvaluateOnSuite(policies, reference, suite, ctx.env_config, ctx.tty ? ctx.out : nullptr);
  if (!report.ok()) return report.status();
  AddRunIdentity(ctx, ctx.command, suite.name, *report);
  if (ctx.out != nullptr) {
    *ctx.out << "suite " << suite.name << ":\n"
             << TerminalTable(*report, Tabulate(*report)) << std::flush;
  }
  if (absl::Status s = WriteReport(*report, dir); !s.ok()) return s;
  return report;
}

// A fine-tuning's end: the result, the closed-loop SFT policy and the start evaluated on the
// suite (report.html) and the focus suite (focus/report.html); then start against result with
// the gate on the focus suite, the suite and the guards (verify/<name>/compare.html).
absl::StatusOr<PhaseEnd> RunVerifyPhase(TrainContext& ctx) {
  const FinetunePlan& ft = *ctx.finetune;
  auto newest = learner::NewestCheckpoint(ctx.dir.checkpoints());
  if (!newest.ok()) return newest.status();
  auto finetuned = LoadEvaluationPolicy(*newest, *ctx.config);
  if (!finetuned.ok()) return finetuned.status();
  auto start = LoadEvaluationPolicy(ft.start, *ctx.config);
  if (!start.ok()) return start.status();
  std::unique_ptr<envs::Policy> sft;
  std::error_code ec;
  if (fs::exists(ctx.dir.sft(), ec)) {
    auto loaded = LoadEvaluationPolicy(ctx.dir.sft(), *ctx.config);
    if (loaded.ok()) sft = std::move(*loaded);
  }
  std::vector<NamedPolicy> policies = {{"finetuned", finetuned->get()}};
  if (sft) policies.push_back({"closed-loop sft", sft.get()});
  policies.push_back({"start", start->get()});
  const int reference = static_cast<int>(policies.size()) - 1;
  auto report = EvaluateAndReport(ctx, *ctx.suite, policies, reference, ctx.dir.root());
  if (!report.ok()) return report.status();
  auto focus = EvaluateAndReport(ctx, ft.focus, policies, reference, ctx.dir.root() + "/focus");
  if (!focus.ok()) return focus.status();

  std::vector<std::pair<std::string, const envs::Suite*>> verified = {{"focus", &ft.focus},
                                                                      {"suite", ctx.suite}};
  for (std::size_t i = 0; i < ft.guards.size(); ++i) {
    verified.emplace_back("guard-" + std::to_string(i + 1), &ft.guards[i]);
  }
  bool passed = true;
  std::ostringstream quiet;
  for (const auto& [label, suite] : verified) {
    const std::string name = suite->name.empty() ? label : suite->name;
    spdlog::info("finetune: verify: start against finetuned on {} ({})", name, label);
    const CompareResult result =
        ComparePolicies(**start, "start", **finetuned, "finetuned", *suite, name, ctx.env_config,
                        ft.behaviours, ft.gates, 2000, ctx.tty ? *ctx.out : quiet);
    if (ctx.out != nullptr) {
      *ctx.out << "verify " << name << " (A: start " << ft.start << ", B: finetuned " << *newest
               << "):\n";
      passed = PrintComparison(result, *ctx.out) && passed;
      *ctx.out << std::flush;  // before the log's next line, which goes to the same terminal
    }
    ReportIdentity identity;
    identity.command = ctx.command + " (verification)";
    identity.sources = {ft.start, *newest};
    identity.behaviours = ctx.config->GetString("actor.behaviours").empty()
                              ? std::string("built-in")
                              : ctx.config->GetString("actor.behaviours");
    const std::string dir = ctx.dir.root() + "/verify/" + label;
    identity.run_dir = fs::absolute(dir).lexically_normal().string();
    identity.policies = {{"start", (*start)->Version()}, {"finetuned", (*finetuned)->Version()}};
    identity.suite = name;
    identity.config_digest = ConfigDigest(*ctx.config);
    if (absl::Status s = WriteCompareReport(result, identity, dir); !s.ok()) return s;
    for (const analysis::GateResult& g : result.gates) passed = passed && g.passed;
  }
  ctx.gate_failed = !passed;
  spdlog::info("finetune: done in {:.0f} s: the verification's gates {}; reports in {}/verify",
               ctx.runner->Elapsed(), passed ? "pass" : "FAIL", ctx.dir.root());
  return PhaseEnd::kDone;
}

}  // namespace

absl::StatusOr<PhaseEnd> RunEvalPhase(TrainContext& ctx) {
  if (ctx.finetune != nullptr) return RunVerifyPhase(ctx);
  auto learned_checkpoint = SelectLearnedCheckpoint(ctx);
  if (!learned_checkpoint.ok()) return learned_checkpoint.status();
  auto final_policy = LoadEvaluationPolicy(*learned_checkpoint, *ctx.config);
  if (!final_policy.ok()) return final_policy.status();
  std::unique_ptr<envs::Policy> sft_policy;
  std::error_code ec;
  if (fs::exists(ctx.dir.sft(), ec)) {
    auto loaded = LoadEvaluationPolicy(ctx.dir.sft(), *ctx.config);
    if (loaded.ok()) sft_policy = std::move(*loaded);
  }
  std::vector<NamedPolicy> policies = {{"learned", final_policy->get()}};
  if (sft_policy) policies.push_back({"sft", sft_policy.get()});
  const int reference = sft_policy ? 1 : -1;  // learned is compared with SFT when there is one
  auto report = EvaluateAndReport(ctx, *ctx.suite, policies, reference, ctx.dir.root());
  if (!report.ok()) return report.status();
  if (ctx.validation != nullptr) {
    auto validation =
        EvaluateAndReport(ctx, *ctx.validation, policies, reference, ctx.dir.validation());
    if (!validation.ok()) return validation.status();
    spdlog::info("train: validation suite {}: mean score {:.3f} (expert {:.3f}); report {}",
                 ctx.validation->name, MeanScore(*validation, 0), MeanScore(*validation, -1),
                 ctx.dir.validation() + "/report.html");
  }
  const double learned = MeanScore(*report, 0), expert = MeanScore(*report, -1);
  spdlog::info(
      "train: done in {:.0f} s: mean score {:.3f} (expert {:.3f}, ratio {:.2f}); "
      "report {}/report.html, checkpoints in {}",
      ctx.runner->Elapsed(), learned, expert, expert > 0 ? learned / expert : 0.0, ctx.dir.root(),
      ctx.dir.checkpoints());
  return PhaseEnd::kDone;
}

}  // namespace tarmac::cli::train
