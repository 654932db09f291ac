#include "train_command.h"

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "default_config_yaml.h"
#include "evaluation_run.h"
#include "exit_codes.h"
#include "job_settings.h"
#include "report.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/buffer/replay_server_process.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The train.* keys.
struct TrainSettings {
  std::string out;
  double minutes = 0;
  std::uint64_t updates = 0;
  int actors = 2;
  int envs_per_actor = 16;
  std::uint64_t demo_steps = 0;
  std::uint64_t sft_updates = 0;
  double setup_fraction = 0.35;
  double bc_weight = 0;
  std::uint64_t critic_warmup_updates = 0;
  double samples_per_insert = 0;
  std::size_t queue_limit = 4096;
  std::string suite;
  double progress_seconds = 10;
  double curve_seconds = 20;

  static TrainSettings From(const Config& c) {
    TrainSettings t;
    t.out = c.GetString("train.out");
    t.minutes = c.GetDouble("train.minutes");
    t.updates = static_cast<std::uint64_t>(c.GetInt("train.updates"));
    t.actors = static_cast<int>(c.GetInt("train.actors"));
    t.envs_per_actor = static_cast<int>(c.GetInt("train.envs_per_actor"));
    t.demo_steps = static_cast<std::uint64_t>(c.GetInt("train.demo_steps"));
    t.sft_updates = static_cast<std::uint64_t>(c.GetInt("train.sft_updates"));
    t.setup_fraction = c.GetDouble("train.setup_fraction");
    t.bc_weight = c.GetDouble("train.bc_weight");
    t.critic_warmup_updates = static_cast<std::uint64_t>(c.GetInt("train.critic_warmup_updates"));
    t.samples_per_insert = c.GetDouble("train.samples_per_insert");
    t.queue_limit = static_cast<std::size_t>(c.GetInt("train.queue_limit"));
    t.suite = c.GetString("train.suite");
    t.progress_seconds = c.GetDouble("train.progress_seconds");
    t.curve_seconds = c.GetDouble("train.curve_seconds");
    return t;
  }
  double budget_seconds() const { return minutes * 60.0; }
};

// What survives a restart of the run, in <out>/state.json (written atomically).
struct RunState {
  std::string run_id;
  std::string phase = "demos";  // demos, sft, rl, eval, done
  double elapsed_seconds = 0;   // wall time of earlier processes of this run
  std::uint64_t sft_step = 0;   // learner step when SFT ended

  json Json() const {
    return {{"run_id", run_id},
            {"phase", phase},
            {"elapsed_seconds", elapsed_seconds},
            {"sft_step", sft_step}};
  }
  static absl::StatusOr<RunState> Load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    try {
      const json j = json::parse(in);
      RunState s;
      s.run_id = j.at("run_id").get<std::string>();
      s.phase = j.at("phase").get<std::string>();
      s.elapsed_seconds = j.at("elapsed_seconds").get<double>();
      s.sft_step = j.at("sft_step").get<std::uint64_t>();
      return s;
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is not the state of a tarmac train run (", e.what(), ")"));
    }
  }
};

absl::Status SaveState(const RunState& state, const std::string& path) {
  return util::WriteFileAtomically(path, state.Json().dump(2) + "\n");
}

std::string NewRunId() {
  std::random_device rd;
  char id[16];
  std::snprintf(id, sizeof(id), "%08x", rd());
  return id;
}

std::vector<CurvePoint> LoadCurve(const std::string& path) {
  std::vector<CurvePoint> curve;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    try {
      const CurvePoint p = json::parse(line).get<CurvePoint>();
      curve.push_back(p);
    } catch (const std::exception&) {
      // A line cut short by a kill: the points before it stand.
    }
  }
  return curve;
}

void WriteCurve(const std::vector<CurvePoint>& curve, const std::string& path) {
  std::string text;
  for (const CurvePoint& p : curve) {
    text += json(p).dump() + "\n";
  }
  (void)util::WriteFileAtomically(path, text);
}

// A table's totals over the shards; zeros while Redis cannot answer (progress only).
buffer::ReplayClient::TableTotals Counts(buffer::ReplayClient& client, const std::string& table) {
  auto totals = client.Totals(table);
  return totals.ok() ? *totals : buffer::ReplayClient::TableTotals{};
}

// Runs the jobs of one phase on their own threads and watches them from the calling thread:
// the progress line, learning-curve points, the phase deadline and Ctrl-C.
class PhaseRunner {
 public:
  struct Context {
    const TrainSettings* settings;
    RunState* state;
    std::string state_path, curve_path;
    monitoring::Metrics* metrics;
    buffer::ReplayClient* client;
    actors::EpisodeLog* episodes;
    std::vector<CurvePoint>* curve;
    const std::atomic<bool>* signalled;
    Clock::time_point process_start;
    std::uint64_t resumed_step;  // learner step at process start
    bool tty;
    std::ostream* out;
  };

  explicit PhaseRunner(Context c) : c_(std::move(c)) {}

  double Elapsed() const {
    return c_.state->elapsed_seconds + Seconds(Clock::now() - c_.process_start);
  }

  using Job = std::function<absl::Status(const std::atomic<bool>&)>;

  // Runs `jobs` (each gets the phase's stop flag and returns when it is set or its work is
  // done) until all return, `deadline_seconds` of run time pass (0: none), `finished()` says
  // so, or a signal arrives; with `stop_all_when_first_ends`, one job returning stops the
  // others. Jobs are stopped in order, each after the previous has returned. Returns the jobs'
  // statuses.
  std::vector<absl::Status> Run(const std::string& phase, double deadline_seconds,
                                std::vector<Job> jobs, bool stop_all_when_first_ends,
                                const std::function<bool()>& finished = nullptr) {
    phase_ = phase;
    std::vector<std::atomic<bool>> stops(jobs.size());
    std::vector<std::atomic<bool>> done(jobs.size());
    std::vector<absl::Status> statuses(jobs.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      stops[i] = false;
      done[i] = false;
      threads.emplace_back([&, i] {
        statuses[i] = jobs[i](stops[i]);
        done[i] = true;
      });
    }
    last_progress_ = Clock::now() - std::chrono::hours(1);
    last_curve_ = Clock::now();
    last_steps_ = StepsCounter();
    last_updates_ = UpdatesCounter();
    last_rate_time_ = Clock::now();
    bool stopping = false;
    while (true) {
      bool all_done = true, any_done = false;
      for (auto& d : done) {
        all_done = all_done && d.load();
        any_done = any_done || d.load();
      }
      if (all_done) break;
      const bool out_of_time = deadline_seconds > 0 && Elapsed() >= deadline_seconds;
      const bool enough = finished != nullptr && finished();
      if (!stopping && (c_.signalled->load() || out_of_time || enough ||
                        (stop_all_when_first_ends && any_done))) {
        stopping = true;
        // The first job (rollout, when there is one) stops first: its writer flushes while
        // the learner still samples, so the pacing never holds the flush back.
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          stops[i] = true;
          while (!done[i].load()) {
            Tick();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }
      }
      Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (auto& t : threads) t.join();
    Tick(/*force_curve=*/true);
    if (c_.tty) *c_.out << "\n" << std::flush;
    return statuses;
  }

 private:
  double StepsCounter() const { return c_.metrics->env_steps_total.Add({}).Value(); }
  double UpdatesCounter() const { return c_.metrics->learner_updates_total.Add({}).Value(); }

  void Tick(bool force_curve = false) {
    const auto now = Clock::now();
    if (Seconds(now - last_save_) >= 5.0) {
      // The run's clock survives a kill -9 to within a few seconds.
      last_save_ = now;
      RunState copy = *c_.state;
      copy.elapsed_seconds = Elapsed();
      (void)SaveState(copy, c_.state_path);
    }
    if (phase_ == "rl" &&
        (force_curve || Seconds(now - last_curve_) >= c_.settings->curve_seconds)) {
      last_curve_ = now;
      const auto fresh = c_.episodes->TakeNew();
      if (!fresh.empty()) {
        const actors::EpisodeStats stats = actors::Summarise(fresh);
        CurvePoint p;
        p.env_steps = Counts(*c_.client, "rl").inserts;
        p.updates = c_.resumed_step + static_cast<std::uint64_t>(UpdatesCounter());
        p.seconds = Elapsed();
        p.episodes = stats.episodes;
        p.mean_return = stats.mean_return;
        p.mean_score = stats.mean_score;
        p.collision_rate = stats.collision_rate;
        c_.curve->push_back(p);
        WriteCurve(*c_.curve, c_.curve_path);
      }
    }
    const double interval = c_.tty ? 1.0 : c_.settings->progress_seconds;
    if (Seconds(now - last_progress_) < interval) return;
    last_progress_ = now;
    const double dt = std::max(1e-3, Seconds(now - last_rate_time_));
    const double steps = StepsCounter(), updates = UpdatesCounter();
    const double steps_rate = (steps - last_steps_) / dt;
    const double updates_rate = (updates - last_updates_) / dt;
    last_steps_ = steps;
    last_updates_ = updates;
    last_rate_time_ = now;
    const auto rl = Counts(*c_.client, "rl");
    const auto demos = Counts(*c_.client, "demos");
    const actors::EpisodeStats recent = c_.episodes->Recent();
    const int elapsed = static_cast<int>(Elapsed());
    std::string line = fmt::format(
        "{:<5} {:02d}:{:02d}:{:02d} | {:>7.0f} env steps/s | {:>5.1f} updates/s | replay rl {} "
        "demos {}",
        phase_, elapsed / 3600, elapsed / 60 % 60, elapsed % 60, steps_rate, updates_rate, rl.size,
        demos.size);
    if (recent.episodes > 0) {
      line += fmt::format(" | last {} episodes: return {:.1f} score {:.3f} collisions {:.0f}%",
                          recent.episodes, recent.mean_return, recent.mean_score,
                          100 * recent.collision_rate);
    }
    line += fmt::format(" | policy v{}",
                        static_cast<std::uint64_t>(c_.metrics->policy_version.Add({}).Value()));
    if (c_.tty) {
      *c_.out << "\r\33[K" << line << std::flush;
    } else {
      *c_.out << line << "\n" << std::flush;
    }
    spdlog::debug("{}", line);
  }

  Context c_;
  std::string phase_;
  Clock::time_point last_progress_, last_curve_, last_rate_time_, last_save_;
  double last_steps_ = 0, last_updates_ = 0;
};

// Adds <out>/train.log to the default logger (every line the terminal gets, and debug).
void LogToFile(const std::string& path) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
  sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %-5l %v");
  spdlog::default_logger()->sinks().push_back(sink);
  spdlog::default_logger()->flush_on(spdlog::level::info);
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
  sub->add_option("--resume", resume_dir_, "Continue the run in this directory");
  return sub;
}

int TrainCommand::Run(const CommandContext& context) {
  const TrainSettings settings = TrainSettings::From(context.config);
  const bool resuming = !resume_dir_.empty();
  const std::string out = resuming ? resume_dir_ : settings.out;
  const std::string state_path = (fs::path(out) / "state.json").string();
  if (settings.minutes <= 0 && settings.updates == 0) {
    context.err << "tarmac: train needs an end: give --minutes M or --updates U.\n";
    return kExitUsage;
  }

  // Resume only what exists; never start over a run by accident.
  RunState state;
  std::error_code ec;
  if (resuming) {
    auto loaded = RunState::Load(state_path);
    if (!loaded.ok()) {
      context.err << "tarmac: --resume " << out << ": "
                  << (loaded.status().code() == absl::StatusCode::kNotFound
                          ? "no tarmac train run there (state.json is missing)"
                          : std::string(loaded.status().message()))
                  << ".\n";
      return kExitUsage;
    }
    state = *loaded;
  } else {
    if (fs::exists(state_path, ec)) {
      context.err << "tarmac: " << out << " already holds a run; continue it with --resume " << out
                  << " or choose another --out.\n";
      return kExitUsage;
    }
    state.run_id = NewRunId();
  }
  // The suite, the env and every learner and actor option are checked before anything
  // starts, once; the embedded Redis's URL replaces the stand-in shard when it is up.
  const bool embedded = context.config.GetString("replay.urls").empty();
  Config config = context.config;
  if (embedded) (void)config.Set("replay.urls", "unix:///embedded-redis", "tarmac train");
  auto learner_base = LearnerOptionsFrom(config);
  auto rollout_base = RolloutOptionsFrom(config);
  if (!learner_base.ok() || !rollout_base.ok()) {
    context.err << "tarmac: "
                << (learner_base.ok() ? rollout_base.status() : learner_base.status()).message()
                << ".\n";
    return kExitUsage;
  }
  const envs::EnvConfig env_config = EnvConfigFrom(context.config);
  absl::StatusOr<envs::Suite> suite =
      settings.suite == "default"
          ? ParseSuite(kDefaultSuiteYaml, "the built-in default suite", env_config.scenario)
          : LoadSuite(settings.suite, env_config.scenario);
  if (!suite.ok()) {
    context.err << "tarmac: " << suite.status().message() << ".\n";
    return kExitUsage;
  }
  fs::create_directories(out, ec);
  if (ec) {
    context.err << "tarmac: cannot create the run directory " << out << ": " << ec.message()
                << ".\n";
    return kExitUsage;
  }
  const std::string checkpoints = (fs::path(out) / "checkpoints").string();
  const std::string sft_dir = (fs::path(out) / "sft").string();
  const std::string curve_path = (fs::path(out) / "curve.jsonl").string();
  LogToFile((fs::path(out) / "train.log").string());
  std::ofstream(fs::path(out) / "config.yaml") << context.config.ToYaml();
  if (auto s = SaveState(state, state_path); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }

  const std::atomic<bool>& signalled = InstallStopSignals();
  monitoring::Metrics metrics;
  auto exposer = StartMetrics(context.config, metrics);
  if (!exposer.ok()) {
    context.err << "tarmac: " << exposer.status().message() << "\n";
    return kExitUsage;
  }

  // The embedded replay shard: a unix socket in a short temp dir, data and AOF under <out>.
  std::unique_ptr<buffer::ReplayServerProcess> redis;
  std::string socket_dir;
  if (embedded) {
    char pattern[] = "/tmp/tarmac-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      context.err << "tarmac: cannot create a temp dir for the Redis socket.\n";
      return kExitFailure;
    }
    socket_dir = pattern;
    buffer::ReplayServerOptions server;
    server.port = 0;
    server.unix_socket = socket_dir + "/redis.sock";
    server.dir = (fs::path(out) / "replay").string();
    server.appendonly = true;
    server.appendfsync = config.GetString("replay.appendfsync");
    server.max_payload_bytes = static_cast<std::size_t>(config.GetInt("replay.max_payload_bytes"));
    server.module_path = config.GetString("replay.module");
    auto started =
        buffer::ReplayServerProcess::Start(server, (fs::path(out) / "redis.log").string());
    if (!started.ok()) {
      fs::remove_all(socket_dir, ec);
      context.err << "tarmac: " << started.status().message() << ".\n";
      return kExitFailure;
    }
    redis = std::move(*started);
    spdlog::info("replay: embedded redis-server (pid {}) on {}, data in {}", redis->pid(),
                 redis->url(), server.dir);
    learner_base->shards = {redis->endpoint()};
    rollout_base->shards = {redis->endpoint()};
  }
  // Everything below returns through here: Redis stops (AOF flushed) and its socket dir goes.
  auto finish = [&](int code) {
    exposer->reset();
    if (redis != nullptr) {
      redis->Stop();
      fs::remove_all(socket_dir, ec);
    }
    return code;
  };

  // The tables as this run paces them.
  const double spi = settings.samples_per_insert;
  buffer::TableSpec rl_table = learner_base->rl_table;
  rl_table.samples_per_insert = spi;
  if (spi > 0) {
    rl_table.min_size = static_cast<std::uint64_t>(config.GetInt("learner.min_replay"));
    // Slack for what the writer may hold plus a few insert batches, so a flush never waits.
    rl_table.tolerance =
        spi * static_cast<double>(settings.queue_limit + 4 * config.GetInt("actor.insert_batch"));
  }
  learner_base->rl_table = rl_table;
  learner_base->checkpoint_dir = checkpoints;
  learner_base->resume = true;  // within a run, always continue from its newest checkpoint
  rollout_base->actors = settings.actors;
  rollout_base->envs_per_actor = settings.envs_per_actor;
  rollout_base->queue_limit = settings.queue_limit;

  buffer::ReplayClientOptions client_options;
  client_options.shards = learner_base->shards;
  auto client = buffer::ReplayClient::Connect(client_options);
  if (!client.ok()) {
    context.err << "tarmac: " << client.status().message() << ".\n";
    return finish(kExitFailure);
  }
  for (const auto* spec : {&rl_table, &learner_base->demo_table}) {
    if (auto s = (*client)->CreateTable(*spec); !s.ok()) {
      context.err << "tarmac: " << s.message() << ".\n";
      return finish(kExitUsage);
    }
  }

  caf::actor_system_config cfg;
  actors::ConfigureActorSystem(cfg);
  caf::actor_system system{cfg};
  actors::EpisodeLog episodes;
  std::vector<CurvePoint> curve = LoadCurve(curve_path);
  {
    // Points recorded after the last transition Redis kept (a kill -9) are dropped.
    const std::uint64_t kept = Counts(**client, "rl").inserts;
    while (!curve.empty() && curve.back().env_steps > kept) curve.pop_back();
    WriteCurve(curve, curve_path);
  }
  const bool tty = isatty(STDOUT_FILENO) == 1;
  PhaseRunner runner({&settings, &state, state_path, curve_path, &metrics, client->get(), &episodes,
                      &curve, &signalled, Clock::now(), learner::NewestCheckpointStep(checkpoints),
                      tty, &context.out});
  const double budget = settings.budget_seconds();
  // Evaluation of three policies on the suite takes a few seconds; keep it out of RL's time.
  const double eval_reserve = budget > 0 ? std::min(60.0, 10.0 + 0.05 * budget) : 0.0;
  const double setup_deadline = budget > 0 ? settings.setup_fraction * budget : 0.0;
  auto save = [&](const std::string& phase) {
    state.phase = phase;
    const double elapsed = runner.Elapsed();
    RunState copy = state;
    copy.elapsed_seconds = elapsed;
    (void)SaveState(copy, state_path);
  };
  auto failed = [&](const std::vector<absl::Status>& statuses) -> std::optional<absl::Status> {
    for (const auto& s : statuses) {
      if (!s.ok()) return s;
    }
    return std::nullopt;
  };
  auto report_failure = [&](const absl::Status& s) {
    save(state.phase);
    context.err << "tarmac: " << s.message() << ".\n";
    return finish(s.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure);
  };
  spdlog::info("train: run {} in {} ({}), {} min budget, {} x {} envs", state.run_id, out,
               resuming ? "resumed at phase " + state.phase : "new", settings.minutes,
               settings.actors, settings.envs_per_actor);

  // A phase's job: one actors::Run*Job call until stopped, its result reduced to a status.
  const auto job = [&system, &metrics](auto run, const auto& options) -> PhaseRunner::Job {
    return [&system, &metrics, run, &options](const std::atomic<bool>& stop) -> absl::Status {
      auto r = run(system, options, metrics, stop);
      return r.ok() ? absl::OkStatus() : r.status();
    };
  };

  // Phase 1: the expert fills `demos`.
  if (state.phase == "demos") {
    const std::uint64_t have = Counts(**client, "demos").inserts;
    if (have < settings.demo_steps) {
      actors::RolloutJobOptions demo = *rollout_base;
      demo.expert = true;
      demo.table = learner_base->demo_table;
      demo.actor_id = "train-" + state.run_id + "-demos";
      demo.max_env_steps = settings.demo_steps - have;
      spdlog::info("train: demos: the expert drives {} env steps into `demos`", demo.max_env_steps);
      auto statuses =
          runner.Run("demos", setup_deadline * 0.3, {job(&actors::RunRolloutJob, demo)}, false);
      if (auto s = failed(statuses)) return report_failure(*s);
    }
    if (signalled.load()) {
      save("demos");
      return finish(kExitInterrupted);
    }
    save("sft");
  }

  // Phase 2: supervised fine-tuning (behaviour cloning) on `demos`.
  if (state.phase == "sft") {
    const std::uint64_t step = learner::NewestCheckpointStep(checkpoints);
    if (settings.sft_updates > step) {
      actors::LearnerJobOptions sft = *learner_base;
      sft.sac.algorithm = learner::Algorithm::kBc;
      sft.max_updates = settings.sft_updates - step;
      sft.min_replay = std::min<std::uint64_t>(std::max<std::uint64_t>(sft.min_replay, 1),
                                               std::max<std::uint64_t>(settings.demo_steps, 1));
      spdlog::info("train: sft: {} behaviour-cloning updates on `demos`", sft.max_updates);
      auto statuses = runner.Run("sft", setup_deadline, {job(&actors::RunLearnerJob, sft)}, false);
      if (auto s = failed(statuses)) return report_failure(*s);
    }
    if (signalled.load()) {
      save("sft");
      return finish(kExitInterrupted);
    }
    // The SFT policy, kept for the report's comparison.
    state.sft_step = learner::NewestCheckpointStep(checkpoints);
    if (auto newest = learner::NewestCheckpoint(checkpoints); newest.ok()) {
      fs::create_directories(sft_dir, ec);
      fs::copy_file(*newest, fs::path(sft_dir) / fs::path(*newest).filename(),
                    fs::copy_options::overwrite_existing, ec);
    }
    save("rl");
  }

  // Phase 3: SAC with the BC term while the rollout fills `rl` with the published policy.
  if (state.phase == "rl") {
    actors::LearnerJobOptions rl = *learner_base;
    rl.sac.algorithm = learner::Algorithm::kSac;
    rl.sac.bc_weight = settings.bc_weight;
    {
      // The warm-up counts from the end of SFT, across restarts of the run.
      const std::uint64_t done = learner::NewestCheckpointStep(checkpoints) - state.sft_step;
      rl.actor_warmup_updates =
          settings.critic_warmup_updates > done ? settings.critic_warmup_updates - done : 0;
    }
    // The phase, not the learner, counts the updates: the rollout must stop (and flush) while
    // the learner still samples, or the pacing would hold the writer's last inserts back.
    rl.max_updates = 0;
    std::uint64_t updates_left = 0;
    if (settings.updates > 0) {
      const std::uint64_t done = learner::NewestCheckpointStep(checkpoints) - state.sft_step;
      updates_left = settings.updates > done ? settings.updates - done : 0;
    }
    const double updates_before = metrics.learner_updates_total.Add({}).Value();
    const auto enough_updates = [&] {
      return settings.updates > 0 &&
             metrics.learner_updates_total.Add({}).Value() - updates_before >=
                 static_cast<double>(updates_left);
    };
    actors::RolloutJobOptions rollout = *rollout_base;
    rollout.expert = false;
    rollout.table = rl_table;
    rollout.actor_id = "train-" + state.run_id + "-rl";
    rollout.episode_log = &episodes;
    const bool more = settings.updates == 0 || updates_left > 0;
    if (more && (budget == 0 || runner.Elapsed() < budget - eval_reserve)) {
      spdlog::info("train: rl: SAC + BC (weight {}) with {} x {} envs, {} samples per insert",
                   settings.bc_weight, settings.actors, settings.envs_per_actor, spi);
      auto statuses =
          runner.Run("rl", budget > 0 ? budget - eval_reserve : 0.0,
                     {job(&actors::RunRolloutJob, rollout), job(&actors::RunLearnerJob, rl)}, true,
                     enough_updates);
      if (auto s = failed(statuses)) return report_failure(*s);
    }
    if (signalled.load()) {
      save("rl");
      return finish(kExitInterrupted);
    }
    save("eval");
  }

  // Phase 4: the learned policy, the SFT policy and the expert on the suite.
  if (state.phase == "eval" || state.phase == "done") {
    auto final_policy = LoadEvaluationPolicy(checkpoints, config);
    if (!final_policy.ok()) return report_failure(final_policy.status());
    std::unique_ptr<envs::Policy> sft_policy;
    if (fs::exists(sft_dir, ec)) {
      auto loaded = LoadEvaluationPolicy(sft_dir, config);
      if (loaded.ok()) sft_policy = std::move(*loaded);
    }
    spdlog::info("train: eval: learned policy{} and expert on suite {}",
                 sft_policy ? ", SFT policy" : "", suite->name);
    absl::StatusOr<EvaluationReport> evaluated =
        EvaluateOnSuite(**final_policy, "learned", sft_policy.get(), "sft", *suite, env_config,
                        tty ? &context.out : nullptr);
    if (!evaluated.ok()) return report_failure(evaluated.status());
    EvaluationReport& report = *evaluated;
    report.curve = curve;
    if (auto s = WriteReport(report, out); !s.ok()) return report_failure(s);
    double learned = 0, expert = 0;
    for (const auto& seed : report.seeds) {
      learned += schemas::MetricOr(seed.policy.summary, "score");
      expert += schemas::MetricOr(seed.expert.summary, "score");
    }
    const double n = std::max<double>(1, static_cast<double>(report.seeds.size()));
    spdlog::info(
        "train: done in {:.0f} s: mean score {:.3f} (expert {:.3f}, ratio {:.2f}); "
        "report {}/report.html, checkpoints in {}",
        runner.Elapsed(), learned / n, expert / n, expert > 0 ? learned / expert : 0.0, out,
        checkpoints);
    save("done");
  }
  return finish(kExitOk);
}

}  // namespace tarmac::cli
