#include "phase_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "run_dir.h"
#include "tarmac/util/seconds.h"

namespace tarmac::cli::train {

using util::Seconds;

buffer::ReplayClient::TableTotals Counts(buffer::ReplayClient& client, const std::string& table) {
  auto totals = client.Totals(table);
  return totals.ok() ? *totals : buffer::ReplayClient::TableTotals{};
}

PhaseRunner::PhaseRunner(Context c)
    : c_(std::move(c)),
      steps_(c_.metrics->env_steps_total.Add({})),
      updates_(c_.metrics->learner_updates_total.Add({})),
      version_(c_.metrics->policy_version.Add({})) {}

double PhaseRunner::Elapsed() const {
  return c_.state->elapsed_seconds + Seconds(Clock::now() - c_.process_start);
}

std::vector<absl::Status> PhaseRunner::Run(Phase phase, double deadline_seconds,
                                           std::vector<Job> jobs, bool stop_all_when_first_ends,
                                           const std::function<bool()>& finished) {
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
  last_steps_ = steps_.Value();
  last_updates_ = updates_.Value();
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
    if (!stopping &&
        (c_.signalled->load() || out_of_time || enough || (stop_all_when_first_ends && any_done))) {
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

void PhaseRunner::Tick(bool force_curve) {
  const auto now = Clock::now();
  if (Seconds(now - last_save_) >= 5.0) {
    // The run's clock survives a kill -9 to within a few seconds.
    last_save_ = now;
    RunState copy = *c_.state;
    copy.elapsed_seconds = Elapsed();
    (void)copy.Save(c_.state_path);
  }
  if (phase_ == Phase::kRl &&
      (force_curve || Seconds(now - last_curve_) >= c_.settings->curve_seconds)) {
    last_curve_ = now;
    AddCurvePoint();
  }
  const double interval = c_.tty ? 1.0 : c_.settings->progress_seconds;
  if (Seconds(now - last_progress_) < interval) return;
  last_progress_ = now;
  PrintProgress();
}

void PhaseRunner::AddCurvePoint() {
  const auto fresh = c_.episodes->TakeNew();
  if (fresh.empty()) return;
  const actors::EpisodeStats stats = actors::Summarise(fresh);
  CurvePoint p;
  p.env_steps = Counts(*c_.client, "rl").inserts;
  p.updates = c_.resumed_step + static_cast<std::uint64_t>(updates_.Value());
  p.seconds = Elapsed();
  p.episodes = stats.episodes;
  p.mean_return = stats.mean_return;
  p.mean_score = stats.mean_score;
  p.collision_rate = stats.collision_rate;
  p.alpha = c_.metrics->learner_temperature.Add({}).Value();
  p.entropy = c_.metrics->learner_policy_entropy.Add({}).Value();
  p.q_mean = c_.metrics->learner_q_value.Add({}).Value();
  c_.curve->push_back(p);
  WriteCurve(*c_.curve, c_.curve_path);
}

void PhaseRunner::PrintProgress() {
  const auto now = Clock::now();
  const double dt = std::max(1e-3, Seconds(now - last_rate_time_));
  const double steps = steps_.Value(), updates = updates_.Value();
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
      std::string(PhaseName(phase_)), elapsed / 3600, elapsed / 60 % 60, elapsed % 60, steps_rate,
      updates_rate, rl.size, demos.size);
  if (recent.episodes > 0) {
    line += fmt::format(" | last {} episodes: return {:.1f} score {:.3f} collisions {:.0f}%",
                        recent.episodes, recent.mean_return, recent.mean_score,
                        100 * recent.collision_rate);
  }
  line += fmt::format(" | policy v{}", static_cast<std::uint64_t>(version_.Value()));
  if (c_.tty) {
    *c_.out << "\r\33[K" << line << std::flush;
  } else {
    *c_.out << line << "\n" << std::flush;
  }
  spdlog::debug("{}", line);
}

}  // namespace tarmac::cli::train
