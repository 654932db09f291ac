#ifndef TARMAC_MONITORING_METRICS_H_
#define TARMAC_MONITORING_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace tarmac::monitoring {

// Every Prometheus metric family tarmac exports, declared once (names as in DESIGN.md:
// tarmac_<area>_<what>_<unit>, counters end in _total, labels low-cardinality). One Metrics per
// process, registered with that process's exposer.
//
// Hot paths keep the Counter&/Gauge&/Histogram& a family hands out (family.Add(labels) once,
// then reuse the reference); prometheus-cpp metrics are thread-safe to update.
// Constructing is not thread-safe; using the families afterwards is.
class Metrics {
 public:
  explicit Metrics(
      std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>());
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // Bucket boundaries of the histograms, exposed for callers that add children.
  static prometheus::Histogram::BucketBoundaries ReturnBuckets();
  static prometheus::Histogram::BucketBoundaries ScoreBuckets();
  static prometheus::Histogram::BucketBoundaries LatencyBuckets();
  static prometheus::Histogram::BucketBoundaries LagBuckets();
  static prometheus::Histogram::BucketBoundaries TdBuckets();

 private:
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  // Build: version and git hash as labels of a constant 1.
  prometheus::Family<prometheus::Gauge>& build_info;

  // Environments.
  prometheus::Family<prometheus::Counter>& env_steps_total;  // tarmac_env_steps_total
  prometheus::Family<prometheus::Counter>& episodes_total;   // {scenario}
  // {source}: episodes started per scenario-mix source ("env": the env's own draw).
  prometheus::Family<prometheus::Counter>& scenario_source_episodes_total;
  prometheus::Family<prometheus::Histogram>& episode_return;  // {scenario}
  prometheus::Family<prometheus::Histogram>& episode_score;   // {scenario}, nuPlan-style 0..1
  prometheus::Family<prometheus::Gauge>& reward_term;     // {term}, mean per step, last episodes
  prometheus::Family<prometheus::Counter>& events_total;  // {event}
  // {behaviour}: occurrences of each behaviour in the episodes actors analysed.
  prometheus::Family<prometheus::Counter>& behaviour_total;

  // Replay.
  prometheus::Family<prometheus::Counter>& replay_inserts_total;
  // {reason}: writes refused or lost and retried (buffer::WriteErrorReason).
  prometheus::Family<prometheus::Counter>& replay_write_errors_total;
  prometheus::Family<prometheus::Counter>& replay_samples_total;
  prometheus::Family<prometheus::Gauge>& replay_size;  // {table}
  prometheus::Family<prometheus::Histogram>& replay_insert_seconds;
  prometheus::Family<prometheus::Histogram>& replay_sample_seconds;
  prometheus::Family<prometheus::Gauge>& replay_memory_bytes;     // {shard}: Redis used_memory
  prometheus::Family<prometheus::Gauge>& replay_maxmemory_bytes;  // {shard}: 0 when unlimited

  // Learner and policy.
  prometheus::Family<prometheus::Counter>& learner_updates_total;
  prometheus::Family<prometheus::Gauge>& learner_loss;  // {kind}
  prometheus::Family<prometheus::Gauge>& policy_version;
  prometheus::Family<prometheus::Histogram>& policy_lag_versions;
  prometheus::Family<prometheus::Gauge>& learner_temperature;              // SAC alpha
  prometheus::Family<prometheus::Gauge>& learner_q_value;                  // mean min(Q1, Q2)
  prometheus::Family<prometheus::Gauge>& learner_policy_entropy;           // mean -log pi
  prometheus::Family<prometheus::Histogram>& learner_td_error;             // |TD| per sampled item
  prometheus::Family<prometheus::Histogram>& learner_sample_wait_seconds;  // trainer idle
  prometheus::Family<prometheus::Gauge>& learner_samples_per_insert;       // sampled / inserted
  prometheus::Family<prometheus::Histogram>& policy_swap_seconds;          // publish -> swapped in

  // Rollout pipeline.
  prometheus::Family<prometheus::Gauge>& actor_queue_items;       // transitions held by the writer
  prometheus::Family<prometheus::Counter>& actor_restarts_total;  // {reason}
  prometheus::Family<prometheus::Counter>& weights_rejected_total;

  // Fleet.
  prometheus::Family<prometheus::Gauge>& actors_alive;
};

}  // namespace tarmac::monitoring

#endif  // TARMAC_MONITORING_METRICS_H_
