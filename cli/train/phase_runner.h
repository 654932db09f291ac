#ifndef TARMAC_CLI_TRAIN_PHASE_RUNNER_H_
#define TARMAC_CLI_TRAIN_PHASE_RUNNER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "../report.h"
#include "absl/status/status.h"
#include "run_state.h"
#include "tarmac/actors/episode_log.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/monitoring/metrics.h"
#include "train_settings.h"

namespace tarmac::cli::train {

using Clock = std::chrono::steady_clock;

// A table's totals over the shards; zeros while Redis cannot answer (progress only).
buffer::ReplayClient::TableTotals Counts(buffer::ReplayClient& client, const std::string& table);

// Runs the jobs of one phase on their own threads and watches them from the calling thread:
// the progress line, learning-curve points (rl), the run's clock in state.json, the phase
// deadline and Ctrl-C. Not thread-safe: one caller.
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

  explicit PhaseRunner(Context c);

  // Run time so far, earlier processes of the run included.
  double Elapsed() const;

  using Job = std::function<absl::Status(const std::atomic<bool>&)>;

  // Runs `jobs` (each gets the phase's stop flag and returns when it is set or its work is
  // done) until all return, `deadline_seconds` of run time pass (0: none), `finished()` says
  // so, or a signal arrives; with `stop_all_when_first_ends`, one job returning stops the
  // others. Jobs are stopped in order, each after the previous has returned. Returns the jobs'
  // statuses.
  std::vector<absl::Status> Run(Phase phase, double deadline_seconds, std::vector<Job> jobs,
                                bool stop_all_when_first_ends,
                                const std::function<bool()>& finished = nullptr);

 private:
  void Tick(bool force_curve = false);
  void AddCurvePoint();
  void PrintProgress();

  Context c_;
  prometheus::Counter& steps_;
  prometheus::Counter& updates_;
  prometheus::Gauge& version_;
  Phase phase_ = Phase::kDemos;
  Clock::time_point last_progress_, last_curve_, last_rate_time_, last_save_;
  double last_steps_ = 0, last_updates_ = 0;
};

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_PHASE_RUNNER_H_
