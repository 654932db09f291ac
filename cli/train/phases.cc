#include "phases.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "../evaluation_run.h"
#include "../report_figures.h"
#include "tarmac/learner/checkpoint_files.h"

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

std::uint64_t LearnerStep(const TrainContext& ctx) {
  return learner::NewestCheckpointStep(ctx.dir.checkpoints());
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
    demo.table = ctx.learner.demo_table;
    demo.actor_id = "train-" + ctx.state->run_id + "-demos";
    demo.max_env_steps = settings.demo_steps - have;
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
  if (settings.sft_updates > step) {
    actors::LearnerJobOptions sft = ctx.learner;
    sft.sac.algorithm = learner::Algorithm::kBc;
    sft.max_updates = settings.sft_updates - step;
    sft.min_replay = std::min<std::uint64_t>(std::max<std::uint64_t>(sft.min_replay, 1),
                                             std::max<std::uint64_t>(settings.demo_steps, 1));
    spdlog::info("train: sft: {} behaviour-cloning updates on `demos`", sft.max_updates);
    const auto statuses = ctx.runner->Run(Phase::kSft, ctx.setup_deadline(),
                                          {Job(ctx, &actors::RunLearnerJob, sft)}, false);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
  }
  if (EndOf(ctx, Phase::kSft) == PhaseEnd::kInterrupted) return PhaseEnd::kInterrupted;
  // The SFT policy, kept for the report's comparison.
  ctx.state->sft_step = LearnerStep(ctx);
  if (auto newest = learner::NewestCheckpoint(ctx.dir.checkpoints()); newest.ok()) {
    std::error_code ec;
    fs::create_directories(ctx.dir.sft(), ec);
    fs::copy_file(*newest, fs::path(ctx.dir.sft()) / fs::path(*newest).filename(),
                  fs::copy_options::overwrite_existing, ec);
  }
  return PhaseEnd::kDone;
}

absl::StatusOr<PhaseEnd> RunRlPhase(TrainContext& ctx) {
  const TrainSettings& settings = *ctx.settings;
  actors::LearnerJobOptions rl = ctx.learner;
  rl.sac.algorithm = learner::Algorithm::kSac;
  rl.sac.bc_weight = settings.bc_weight;
  // The warm-up and the update budget count from the end of SFT, across restarts of the run.
  const std::uint64_t done = LearnerStep(ctx) - ctx.state->sft_step;
  rl.actor_warmup_updates =
      settings.critic_warmup_updates > done ? settings.critic_warmup_updates - done : 0;
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
  rollout.episode_log = ctx.episodes;
  if (rollout.log_dir.empty()) rollout.log_dir = ctx.dir.episodes();
  const bool more = settings.updates == 0 || updates_left > 0;
  const double budget = ctx.budget();
  if (more && (budget == 0 || ctx.runner->Elapsed() < budget - ctx.eval_reserve())) {
    spdlog::info("train: rl: SAC + BC (weight {}) with {} x {} envs, {} samples per insert",
                 settings.bc_weight, settings.actors, settings.envs_per_actor,
                 settings.samples_per_insert);
    const auto statuses = ctx.runner->Run(
        Phase::kRl, budget > 0 ? budget - ctx.eval_reserve() : 0.0,
        {Job(ctx, &actors::RunRolloutJob, rollout), Job(ctx, &actors::RunLearnerJob, rl)}, true,
        enough_updates);
    if (absl::Status s = FirstFailure(statuses); !s.ok()) return s;
  }
  return EndOf(ctx, Phase::kRl);
}

absl::StatusOr<PhaseEnd> RunEvalPhase(TrainContext& ctx) {
  auto final_policy = LoadEvaluationPolicy(ctx.dir.checkpoints(), *ctx.config);
  if (!final_policy.ok()) return final_policy.status();
  std::unique_ptr<envs::Policy> sft_policy;
  std::error_code ec;
  if (fs::exists(ctx.dir.sft(), ec)) {
    auto loaded = LoadEvaluationPolicy(ctx.dir.sft(), *ctx.config);
    if (loaded.ok()) sft_policy = std::move(*loaded);
  }
  spdlog::info("train: eval: learned policy{} and expert on suite {}",
               sft_policy ? ", SFT policy" : "", ctx.suite->name);
  std::vector<NamedPolicy> policies = {{"learned", final_policy->get()}};
  if (sft_policy) policies.push_back({"sft", sft_policy.get()});
  absl::StatusOr<EvaluationReport> report = EvaluateOnSuite(
      policies, sft_policy ? 1 : -1, *ctx.suite, ctx.env_config, ctx.tty ? ctx.out : nullptr);
  if (!report.ok()) return report.status();
  report->curve = *ctx.curve;
  report->sft_updates = ctx.state->sft_step;
  report->identity = {"tarmac train",
                      {},
                      "",
                      fs::absolute(ctx.dir.root()).lexically_normal().string(),
                      report->policies,
                      ctx.suite->name,
                      ConfigDigest(*ctx.config)};
  if (ctx.out != nullptr) *ctx.out << TerminalTable(*report, Tabulate(*report)) << std::flush;
  if (absl::Status s = WriteReport(*report, ctx.dir.root()); !s.ok()) return s;
  double learned = 0, expert = 0;
  for (const auto& seed : report->seeds) {
    learned += schemas::MetricOr(seed.results[0].summary, "score");
    expert += schemas::MetricOr(seed.expert.summary, "score");
  }
  const double n = std::max<double>(1, static_cast<double>(report->seeds.size()));
  spdlog::info(
      "train: done in {:.0f} s: mean score {:.3f} (expert {:.3f}, ratio {:.2f}); "
      "report {}/report.html, checkpoints in {}",
      ctx.runner->Elapsed(), learned / n, expert / n, expert > 0 ? learned / expert : 0.0,
      ctx.dir.root(), ctx.dir.checkpoints());
  return PhaseEnd::kDone;
}

}  // namespace tarmac::cli::train
