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

 private:
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  // Build: version and git hash as labels of a constant 1.
  prometheus::Family<prometheus::Gauge>& build_info;

  // Environments.
  prometheus::Family<prometheus::Counter>& env_steps_total;   // tarmac_env_steps_total
  prometheus::Family<prometheus::Counter>& episodes_total;    // {scenario}
  prometheus::Family<prometheus::Histogram>& episode_return;  // {scenario}
  prometheus::Family<prometheus::Histogram>& episode_score;   // {scenario}, nuPlan-style 0..1
  prometheus::Family<prometheus::Gauge>& reward_term;     // {term}, mean per step, last episodes
  prometheus::Family<prometheus::Counter>& events_total;  // {event}

  // Replay.
  prometheus::Family<prometheus::Counter>& replay_inserts_total;
  prometheus::Family<prometheus::Counter>& replay_samples_total;
  prometheus::Family<prometheus::Gauge>& replay_size;  // {table}
  prometheus::Family<prometheus::Histogram>& replay_insert_seconds;
  prometheus::Family<prometheus::Histogram>& replay_sample_seconds;

  // Learner and policy.
  prometheus::Family<prometheus::Counter>& learner_updates_total;
  prometheus::Family<prometheus::Gauge>& learner_loss;  // {kind}
  prometheus::Family<prometheus::Gauge>& policy_version;
  prometheus::Family<prometheus::Histogram>& policy_lag_versions;

  // Fleet.
  prometheus::Family<prometheus::Gauge>& actors_alive;
};

}  // namespace tarmac::monitoring

#endif  // TARMAC_MONITORING_METRICS_H_
