// `tarmac train`: resolves the run (new or --resume), checks everything before anything
// starts, brings up the services the phases share (metrics, the embedded replay, the actor
// system) and runs the phases of cli/train/ in order from the one the run's state names.
#include "train_command.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <caf/all.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "default_config_yaml.h"
#include "exit_codes.h"
#include "job_settings.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/comparison.h"
#include "tarmac/cli/config_schema.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"
#include "train/embedded_replay.h"
#include "train/phases.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;
using train::Phase;
using train::PhaseEnd;

// Adds <out>/train.log to the default logger (every line the terminal gets, and debug) while
// it lives: a reward A/B runs two runs in one process, each with its own log.
class RunLog {
 public:
  explicit RunLog(const std::string& path)
      : sink_(std::make_shared<spdlog::sinks::basic_file_sink_mt>(path)) {
    sink_->set_pattern("%Y-%m-%d %H:%M:%S.%e %-5l %v");
    spdlog::default_logger()->sinks().push_back(sink_);
    spdlog::default_logger()->flush_on(spdlog::level::info);
  }
  ~RunLog() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> sink_;
};

// What a run is, checked before anything starts.
struct Plan {
  train::RunDir dir{""};
  train::RunState state;
  std::optional<Config> config;  // the run's: on --resume its config.yaml under this call's flags
  train::TrainSettings settings;
  actors::LearnerJobOptions learner;
  actors::RolloutJobOptions rollout;
  envs::Suite suite;
  std::optional<envs::Suite> validation;  // train.validation_suite, unless empty
  std::optional<envs::Suite> selection;   // train.selection_suite, unless empty
  envs::EnvConfig env_config;
  bool embedded = false;  // no --redis: the run starts its own replay server
  bool resumed = false;
  std::optional<learner::InitCheckpoint> init;  // a new run's --init, checked
  std::optional<train::FinetunePlan> finetune;  // a tarmac finetune run
};

// The run's state: a new one, or the one --resume names. Never starts over a run by accident.
absl::StatusOr<train::RunState> LoadOrCreateState(const train::RunDir& dir, bool resuming) {
  if (resuming) {
    auto loaded = train::RunState::Load(dir.state());
    if (loaded.ok()) return loaded;
    return absl::InvalidArgumentError(
        absl::StrCat("--resume ", dir.root(), ": ",
                     loaded.status().code() == absl::StatusCode::kNotFound
                         ? "no tarmac train run there (state.json is missing)"
                         : std::string(loaded.status().message())));
  }
  std::error_code ec;
  if (fs::exists(dir.state(), ec)) {
    return absl::InvalidArgumentError(absl::StrCat(dir.root(), " already holds a run; continue it ",
                                                   "with --resume ", dir.root(),
                                                   " or choose another --out"));
  }
  train::RunState state;
  state.run_id = train::NewRunId();
  return state;
}

// The config a resumed run continues with: the one it started with (its config.yaml), with
// what this invocation set explicitly (files, flags) on top.
absl::StatusOr<Config> ResumedConfig(const train::RunDir& dir, const Config& invocation) {
  std::error_code ec;
  if (!fs::exists(dir.config(), ec)) return invocation;
  absl::StatusOr<Config> config = DefaultConfig();
  if (!config.ok()) return config.status();
  if (absl::Status s = config->MergeYamlFile(dir.config()); !s.ok()) return s;
  config->OverlayExplicit(invocation);
  return config;
}

// `tarmac finetune`'s flags as the train.* and learner.* keys its run reads, for a new run:
// --from and --focus given, --from loadable by this learner.
absl::StatusOr<Config> FinetuneConfig(const Config& invocation) {
  const train::FinetuneSettings f = train::FinetuneSettings::From(invocation);
  if (f.from.empty()) {
    return absl::InvalidArgumentError(
        "finetune needs --from CKPT: the checkpoint (or run's checkpoints directory) to start "
        "from");
  }
  if (f.focus.empty()) {
    return absl::InvalidArgumentError(
        "finetune needs --focus SUITE: the behaviour's cases, e.g. from tarmac mine "
        "--export-suite");
  }
  Config checked = invocation;
  (void)checked.Set("replay.urls", "unix:///embedded-redis", "tarmac finetune");
  auto learner = LearnerOptionsFrom(checked);
  if (!learner.ok()) return learner.status();
  auto start = learner::CheckInitCheckpoint(f.from, learner->sac, learner->shape);
  if (!start.ok()) {
    return absl::Status(start.status().code(), absl::StrCat("--from: ", start.status().message()));
  }
  Config derived = invocation;
  if (absl::Status s = f.Derive(derived, start->path, start->critics_trained); !s.ok()) return s;
  return derived;
}

// The focus cases as a scenario source, tagged so their transitions are known as focus ones.
envs::ScenarioSource FocusSource(std::vector<envs::ScenarioCase> cases, double weight,
                                 double jitter) {
  envs::ScenarioSource source;
  source.name = "focus";
  source.weight = weight;
  source.jitter = jitter;
  source.tags = actors::kFocusTag;
  source.cases = std::move(cases);
  return source;
}

absl::StatusOr<std::vector<analysis::Gate>> FinetuneGates(
    const std::string& gate, const std::vector<analysis::Behaviour>& behaviours) {
  std::vector<std::string> names;
  for (const analysis::Behaviour& b : behaviours) names.push_back(b.name);
  if (gate.empty()) return std::vector<analysis::Gate>{};
  if (gate == "default") {
    return analysis::ParseGates(kDefaultGateYaml, "the built-in default gate",
                                analysis::ComparedQuantities(), names);
  }
  return analysis::LoadGates(gate, analysis::ComparedQuantities(), names);
}

// The focus suite, the guards, the mixes, the behaviours and the gate of a finetune run.
absl::StatusOr<train::FinetunePlan> MakeFinetunePlan(const Config& config,
                                                     const envs::EnvConfig& env) {
  train::FinetunePlan ft;
  ft.settings = train::FinetuneSettings::From(config);
  auto start = learner::ResolveCheckpoint(config.GetString("learner.anchor"));
  if (!start.ok()) return start.status();
  ft.start = *start;
  auto focus = LoadRunSuite(ft.settings.focus, env);
  if (!focus.ok()) return focus.status();
  ft.focus = *std::move(focus);
  auto cases = SuiteCases(ft.focus);
  if (!cases.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the focus suite ", ft.settings.focus, " ",
                                                   cases.status().message(),
                                                   "; finetune drives the driving families only"));
  }
  if (cases->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the focus suite ", ft.settings.focus,
                     " has no cases; mine a behaviour that occurs and export it with tarmac mine "
                     "--export-suite"));
  }
  if (ft.focus.name.empty()) ft.focus.name = "focus";
  for (const std::string& guard : ft.settings.guard_suites) {
    auto loaded = LoadRunSuite(guard, env);
    if (!loaded.ok()) return loaded.status();
    ft.guards.push_back(*std::move(loaded));
  }
  auto dagger =
      envs::ScenarioMix::Create({FocusSource(*std::move(cases), 1.0, ft.settings.jitter)});
  if (!dagger.ok()) return dagger.status();
  ft.dagger_mix = std::make_shared<const envs::ScenarioMix>(*std::move(dagger));
  auto behaviours = analysis::BehavioursFrom(config.GetString("actor.behaviours"));
  if (!behaviours.ok()) return behaviours.status();
  ft.behaviours = *std::move(behaviours);
  auto gates = FinetuneGates(ft.settings.gate, ft.behaviours);
  if (!gates.ok()) return gates.status();
  ft.gates = *std::move(gates);
  return ft;
}

// The RL phase's mix of a finetune run: the focus cases (jittered) at finetune.mix, the env's
// own draw for the rest.
absl::StatusOr<envs::ScenarioMix> FinetuneMix(const train::FinetunePlan& ft) {
  std::vector<envs::ScenarioSource> sources = {
      FocusSource(ft.dagger_mix->sources().front().cases, ft.settings.mix, ft.settings.jitter)};
  if (ft.settings.mix < 1.0) {
    envs::ScenarioSource rest;
    rest.name = "env";
    rest.weight = 1.0 - ft.settings.mix;
    sources.push_back(std::move(rest));
  }
  return envs::ScenarioMix::Create(std::move(sources));
}

absl::StatusOr<Plan> MakePlan(const Config& command_config, const std::string& resume_dir,
                              RunKind kind) {
  Plan plan;
  const bool resuming = !resume_dir.empty();
  const bool finetune = kind == RunKind::kFinetune;
  absl::StatusOr<Config> invocation = command_config;
  if (finetune && !resuming) invocation = FinetuneConfig(command_config);
  if (!invocation.ok()) return invocation.status();
  plan.resumed = resuming;
  plan.dir = train::RunDir(resuming ? resume_dir : invocation->GetString("train.out"));
  auto state = LoadOrCreateState(plan.dir, resuming);
  if (!state.ok()) return state.status();
  plan.state = *state;
  auto config = resuming ? ResumedConfig(plan.dir, *invocation) : *invocation;
  if (!config.ok()) return config.status();
  plan.config = *std::move(config);
  // A run continues with the command that started it (a fine-tuning's focus and anchor live
  // in its config).
  const bool finetune_run = !plan.config->GetString("finetune.from").empty() &&
                            !plan.config->GetString("learner.anchor").empty();
  if (resuming && finetune_run != finetune) {
    return absl::InvalidArgumentError(
        absl::StrCat(plan.dir.root(), " holds a tarmac ", finetune_run ? "finetune" : "train",
                     " run; continue it with tarmac ", finetune_run ? "finetune" : "train",
                     " --resume ", plan.dir.root()));
  }
  plan.settings = train::TrainSettings::From(*plan.config);
  plan.settings.Record(*plan.config);
  if (plan.settings.minutes <= 0 && plan.settings.updates == 0) {
    return absl::InvalidArgumentError("train needs an end: give --minutes M or --updates U");
  }
  if (plan.settings.lockstep_steps > 0 && plan.settings.samples_per_insert <= 0) {
    return absl::InvalidArgumentError(
        "train.lockstep_steps needs train.samples_per_insert above 0: it sets how many updates "
        "follow each turn's env steps");
  }
  // Every learner and actor option is checked once, here; the embedded Redis's URL replaces
  // the stand-in shard when it is up.
  plan.embedded = plan.config->GetString("replay.urls").empty();
  Config checked = *plan.config;
  if (plan.embedded) (void)checked.Set("replay.urls", "unix:///embedded-redis", "tarmac train");
  auto learner = LearnerOptionsFrom(checked);
  if (!learner.ok()) return learner.status();
  auto rollout = RolloutOptionsFrom(checked);
  if (!rollout.ok()) return rollout.status();
  plan.learner = *learner;
  plan.rollout = *rollout;
  if (const std::string& name = plan.settings.scenario_mix; !name.empty()) {
    auto env_config = EnvConfigFrom(*plan.config);
    if (!env_config.ok()) return env_config.status();
    auto mix = name == "rl"
                   ? ParseScenarioMix(kRlMixYaml, "the built-in rl mix", env_config->scenario)
                   : LoadScenarioMix(name, env_config->scenario);
    if (!mix.ok()) return mix.status();
    plan.rollout.mix = std::make_shared<const envs::ScenarioMix>(*std::move(mix));
    if (name != "rl") {
      plan.rollout.scenario_mix = name;  // a file is watched: it may change mid-run
      plan.rollout.load_mix = MixLoader(env_config->scenario);
    }
  }
  if (!resuming && !plan.learner.init.empty()) {
    auto init =
        learner::CheckInitCheckpoint(plan.learner.init, plan.learner.sac, plan.learner.shape);
    if (!init.ok()) {
      return absl::Status(init.status().code(), absl::StrCat(finetune ? "--from: " : "--init: ",
                                                             init.status().message()));
    }
    plan.init = *init;
  }
  auto env_config = EnvConfigFrom(*plan.config);
  if (!env_config.ok()) return env_config.status();
  plan.env_config = *env_config;
  if (finetune) {
    auto ft = MakeFinetunePlan(*plan.config, plan.env_config);
    if (!ft.ok()) return ft.status();
    auto mix = FinetuneMix(*ft);
    if (!mix.ok()) return mix.status();
    plan.rollout.mix = std::make_shared<const envs::ScenarioMix>(*std::move(mix));
    plan.rollout.load_mix = nullptr;  // the fine-tuning's mix is its own, not a file's
    // The anchor holds the policy where the focus cases are not; the BC term and closed-loop
    // SFT see the focus cases' DAgger labels at finetune.focus_share of their demo batches.
    plan.learner.sac.anchor_exempt_tags = actors::kFocusTag;
    plan.learner.demo_focus_tags = actors::kFocusTag;
    plan.learner.demo_focus_share = ft->settings.focus_share;
    plan.finetune = *std::move(ft);
  }
  auto suite = LoadRunSuite(plan.settings.suite, plan.env_config);
  if (!suite.ok()) return suite.status();
  plan.suite = *suite;
  if (!plan.settings.validation_suite.empty()) {
    auto validation = LoadRunSuite(plan.settings.validation_suite, plan.env_config);
    if (!validation.ok()) return validation.status();
    plan.validation = *validation;
  }
  if (!plan.settings.selection_suite.empty()) {
    auto selection = LoadRunSuite(plan.settings.selection_suite, plan.env_config);
    if (!selection.ok()) return selection.status();
    plan.selection = *selection;
  }
  return plan;
}

// The run's options as train.* adjusts them: the paced rl table, the run's checkpoints, the
// rollout's size.
void ApplyTrainSettings(const Config& config, Plan& plan) {
  const train::TrainSettings& t = plan.settings;
  buffer::TableSpec& rl = plan.learner.rl_table;
  // Lock-step turns keep the ratio themselves: a limiter would hold a turn's inserts back.
  rl.samples_per_insert = t.lockstep_steps > 0 ? 0.0 : t.samples_per_insert;
  if (rl.samples_per_insert > 0) {
    rl.min_size = static_cast<std::uint64_t>(config.GetInt("learner.min_replay"));
    // Slack for what the writer may hold plus a few insert batches, so a flush never waits.
    rl.tolerance = t.samples_per_insert *
                   static_cast<double>(t.queue_limit + 4 * config.GetInt("actor.insert_batch"));
  }
  // train.seed fixes every draw of the run: the networks' initialisation and the learner's
  // noise, and (distinct streams) the demos' and the rollouts' scenarios and exploration.
  plan.learner.sac.seed = t.seed;
  plan.rollout.seed = t.seed;
  plan.learner.checkpoint_dir = plan.dir.checkpoints();
  plan.learner.resume = true;  // within a run, always continue from its newest checkpoint
  plan.rollout.actors = t.actors;
  plan.rollout.envs_per_actor = t.envs_per_actor;
  plan.rollout.queue_limit = t.queue_limit;
  // With a selection suite every checkpoint of the run is a candidate: save them often, keep
  // them all.
  if (!t.selection_suite.empty()) {
    plan.learner.checkpoint_seconds =
        std::min(plan.learner.checkpoint_seconds, t.selection_checkpoint_seconds);
    plan.learner.keep_checkpoints = 1000;
  }
}

// Runs the phases from the state's one; the exit code.
int RunPhases(train::TrainContext& ctx, const CommandContext& context) {
  struct Step {
    Phase phase;
    absl::StatusOr<PhaseEnd> (*run)(train::TrainContext&);
    Phase next;
  };
  const Step steps[] = {{Phase::kDemos, train::RunDemosPhase, Phase::kSft},
                        {Phase::kSft, train::RunSftPhase, Phase::kDagger},
                        {Phase::kDagger, train::RunDaggerPhase, Phase::kRl},
                        {Phase::kRl, train::RunRlPhase, Phase::kEval},
                        {Phase::kEval, train::RunEvalPhase, Phase::kDone}};
  for (const Step& step : steps) {
    if (ctx.state->phase != step.phase) continue;
    absl::StatusOr<PhaseEnd> end = step.run(ctx);
    if (!end.ok()) {
      ctx.Save(ctx.state->phase);
      context.err << "tarmac: " << end.status().message() << ".\n";
      return end.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    if (*end == PhaseEnd::kInterrupted) return kExitInterrupted;
    ctx.Save(step.next);
  }
  return ctx.gate_failed ? kExitGateFailed : kExitOk;
}

// With the replay up: the tables, the actor system, the curve so far and the phases.
int RunWithReplay(const CommandContext& context, Plan& plan, monitoring::Metrics& metrics,
                  const std::atomic<bool>& signalled) {
  buffer::ReplayClientOptions client_options;
  client_options.shards = plan.learner.shards;
  auto client = buffer::ReplayClient::Connect(client_options);
  if (!client.ok()) {
    context.err << "tarmac: " << client.status().message() << ".\n";
    return kExitFailure;
  }
  for (const auto* spec : {&plan.learner.rl_table, &plan.learner.demo_table}) {
    if (auto s = (*client)->CreateTable(*spec); !s.ok()) {
      context.err << "tarmac: " << s.message() << ".\n";
      return kExitUsage;
    }
  }
  caf::actor_system_config cfg;
  actors::ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  actors::EpisodeLog episodes;
  std::vector<CurvePoint> curve = train::LoadCurve(plan.dir.curve());
  // Points recorded after the last transition Redis kept (a kill -9) are dropped.
  const std::uint64_t kept = train::Counts(**client, "rl").inserts;
  while (!curve.empty() && curve.back().env_steps > kept) curve.pop_back();
  train::WriteCurve(curve, plan.dir.curve());

  const bool tty = isatty(STDOUT_FILENO) == 1;
  train::PhaseRunner runner(
      {&plan.settings, &plan.state, plan.dir.state(), plan.dir.curve(), &metrics, client->get(),
       &episodes, &curve, &signalled, train::Clock::now(),
       learner::NewestCheckpointStep(plan.dir.checkpoints()), tty, &context.out});
  train::TrainContext ctx;
  ctx.config = &*plan.config;
  ctx.settings = &plan.settings;
  ctx.dir = plan.dir;
  ctx.state = &plan.state;
  ctx.learner = plan.learner;
  ctx.rollout = plan.rollout;
  ctx.suite = &plan.suite;
  ctx.validation = plan.validation ? &*plan.validation : nullptr;
  ctx.selection = plan.selection ? &*plan.selection : nullptr;
  ctx.env_config = plan.env_config;
  ctx.system = &system;
  ctx.metrics = &metrics;
  ctx.client = client->get();
  ctx.episodes = &episodes;
  ctx.curve = &curve;
  ctx.runner = &runner;
  ctx.signalled = &signalled;
  ctx.tty = tty;
  ctx.out = &context.out;
  if (plan.finetune) {
    ctx.finetune = &*plan.finetune;
    ctx.command = "tarmac finetune";
    spdlog::info("finetune: from {} on the {} case(s) of {} (mix {}, anchor weight {})",
                 plan.finetune->start, plan.finetune->dagger_mix->sources().front().cases.size(),
                 plan.finetune->settings.focus, plan.finetune->settings.mix,
                 plan.learner.sac.anchor_weight);
  }
  spdlog::info("train: run {} in {} ({}), {} min budget, {} x {} envs", plan.state.run_id,
               plan.dir.root(),
               plan.resumed ? "resumed at phase " + std::string(train::PhaseName(plan.state.phase))
                            : std::string("new"),
               plan.settings.minutes, plan.settings.actors, plan.settings.envs_per_actor);
  return RunPhases(ctx, context);
}

}  // namespace

CLI::App* TrainCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "train", "Run the whole loop on one machine: demos, SFT, SAC + BC, evaluation report");
  flags.Bind(*sub, "--env", "env.name");
  flags.Bind(*sub, "--actors", "train.actors");
  flags.Bind(*sub, "--minutes", "train.minutes");
  flags.Bind(*sub, "--updates", "train.updates");
  flags.Bind(*sub, "--redis", "replay.urls");
  flags.Bind(*sub, "--out", "train.out");
  flags.Bind(*sub, "--metrics-port", "metrics.port");
  flags.Bind(*sub, "--init", "learner.init");
  sub->add_option("--resume", resume_dir_, "Continue the run in this directory");
  return sub;
}

int TrainCommand::Run(const CommandContext& context) {
  return RunTrainingLoop(context, resume_dir_, RunKind::kTrain);
}

int RunTrainingLoop(const CommandContext& context, const std::string& resume_dir, RunKind kind) {
  absl::StatusOr<Plan> planned = MakePlan(context.config, resume_dir, kind);
  if (!planned.ok()) {
    context.err << "tarmac: " << planned.status().message() << ".\n";
    return kExitUsage;
  }
  Plan& plan = *planned;
  const Config& config = *plan.config;
  if (plan.state.phase == Phase::kDone) {
    context.out << (kind == RunKind::kTrain ? "train" : "finetune") << ": the run in "
                << plan.dir.root() << " has finished; its report is " << plan.dir.root()
                << "/report.html\n";
    return kExitOk;
  }
  std::error_code ec;
  fs::create_directories(plan.dir.root(), ec);
  if (ec) {
    context.err << "tarmac: cannot create the run directory " << plan.dir.root() << ": "
                << ec.message() << ".\n";
    return kExitUsage;
  }
  const RunLog run_log(plan.dir.log());
  std::ofstream(plan.dir.config()) << config.ToYaml();
  // A run started from --init continues that checkpoint: it is the run's first, and the phases'
  // learners resume from it.
  if (plan.init && learner::NewestCheckpointStep(plan.dir.checkpoints()) == 0) {
    fs::create_directories(plan.dir.checkpoints(), ec);
    fs::copy_file(plan.init->path, learner::CheckpointPath(plan.dir.checkpoints(), plan.init->step),
                  fs::copy_options::overwrite_existing, ec);
    if (ec) {
      context.err << "tarmac: cannot copy the --init checkpoint " << plan.init->path << " into "
                  << plan.dir.checkpoints() << ": " << ec.message() << ".\n";
      return kExitFailure;
    }
    spdlog::info("{}: starting from {} (learner step {}); SFT is skipped",
                 kind == RunKind::kTrain ? "train" : "finetune", plan.init->path, plan.init->step);
  }
  if (auto s = plan.state.Save(plan.dir.state()); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }

  const std::atomic<bool>& signalled = InstallStopSignals();
  monitoring::Metrics metrics;
  auto exposer = StartMetrics(config, metrics);
  if (!exposer.ok()) {
    context.err << "tarmac: " << exposer.status().message() << "\n";
    return kExitUsage;
  }
  // Stopped (AOF flushed, socket dir removed) however Run returns.
  std::unique_ptr<train::EmbeddedReplay> replay;
  if (plan.embedded) {
    auto started = train::EmbeddedReplay::Start(plan.dir, config);
    if (!started.ok()) {
      context.err << "tarmac: " << started.status().message() << ".\n";
      return kExitFailure;
    }
    replay = std::move(*started);
    plan.learner.shards = {replay->endpoint()};
    plan.rollout.shards = {replay->endpoint()};
  }
  ApplyTrainSettings(config, plan);
  return RunWithReplay(context, plan, metrics, signalled);
}

absl::StatusOr<envs::Suite> LoadRunSuite(const std::string& name, const envs::EnvConfig& env) {
  if (name == "default") {
    return ParseSuite(kDefaultSuiteYaml, "the built-in default suite", env.scenario);
  }
  if (name == "validation") {
    return ParseSuite(kValidationSuiteYaml, "the built-in validation suite", env.scenario);
  }
  if (name == "selection") {
    return ParseSuite(kSelectionSuiteYaml, "the built-in selection suite", env.scenario);
  }
  return LoadSuite(name, env.scenario);
}

}  // namespace tarmac::cli
