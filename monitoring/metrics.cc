#include "tarmac/monitoring/metrics.h"

#include <utility>

namespace tarmac::monitoring {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace

Metrics::Metrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      build_info(BuildGauge()
                     .Name("tarmac_build_info")
                     .Help("Constant 1; the labels say which tarmac build runs.")
                     .Register(*registry_)),
      env_steps_total(BuildCounter()
                          .Name("tarmac_env_steps_total")
                          .Help("Environment steps simulated.")
                          .Register(*registry_)),
      episodes_total(BuildCounter()
                         .Name("tarmac_episodes_total")
                         .Help("Episodes finished, by scenario family.")
                         .Register(*registry_)),
      scenario_source_episodes_total(
          BuildCounter()
              .Name("tarmac_scenario_source_episodes_total")
              .Help("Episodes started, by the scenario-mix source they were drawn from (env: the "
                    "env's own draw).")
              .Register(*registry_)),
      episode_return(BuildHistogram()
                         .Name("tarmac_episode_return")
                         .Help("Undiscounted return of finished episodes, by scenario family.")
                         .Register(*registry_)),
      episode_score(BuildHistogram()
                        .Name("tarmac_episode_score")
                        .Help("nuPlan-style closed-loop score (0..1) of finished episodes.")
                        .Register(*registry_)),
      reward_term(BuildGauge()
                      .Name("tarmac_reward_term")
                      .Help("Mean weighted per-step value of each reward term over the most "
                            "recently finished episodes.")
                      .Register(*registry_)),
      events_total(BuildCounter()
                       .Name("tarmac_events_total")
                       .Help("Driving events detected (collision, hard_brake, ...).")
                       .Register(*registry_)),
      behaviour_total(BuildCounter()
                          .Name("tarmac_behaviour_total")
                          .Help("Occurrences of each behaviour (configs/behaviours.yaml or "
                                "actor.behaviours) in the training episodes actors analysed.")
                          .Register(*registry_)),
      replay_inserts_total(BuildCounter()
                               .Name("tarmac_replay_inserts_total")
                               .Help("Items inserted into replay tables.")
                               .Register(*registry_)),
      replay_write_errors_total(
          BuildCounter()
              .Name("tarmac_replay_write_errors_total")
              .Help("Replay writes refused or lost and retried, by reason (oom, disk, readonly, "
                    "auth, unreachable, other); the items stay queued in the writer.")
              .Register(*registry_)),
      replay_samples_total(BuildCounter()
                               .Name("tarmac_replay_samples_total")
                               .Help("Items sampled from replay tables.")
                               .Register(*registry_)),
      replay_size(BuildGauge()
                      .Name("tarmac_replay_size")
                      .Help("Items held by a replay table, across shards.")
                      .Register(*registry_)),
      replay_insert_seconds(BuildHistogram()
                                .Name("tarmac_replay_insert_seconds")
                                .Help("Latency of one pipelined REPLAY.INSERT batch.")
                                .Register(*registry_)),
      replay_sample_seconds(BuildHistogram()
                                .Name("tarmac_replay_sample_seconds")
                                .Help("Latency of one REPLAY.SAMPLE batch across shards.")
                                .Register(*registry_)),
      replay_memory_bytes(BuildGauge()
                              .Name("tarmac_replay_memory_bytes")
                              .Help("Memory a replay shard's Redis uses (INFO used_memory).")
                              .Register(*registry_)),
      replay_maxmemory_bytes(BuildGauge()
                                 .Name("tarmac_replay_maxmemory_bytes")
                                 .Help("maxmemory of a replay shard's Redis (0: unlimited).")
                                 .Register(*registry_)),
      learner_updates_total(BuildCounter()
                                .Name("tarmac_learner_updates_total")
                                .Help("Gradient updates applied by the learner.")
                                .Register(*registry_)),
      learner_loss(BuildGauge()
                       .Name("tarmac_learner_loss")
                       .Help("Most recent loss of each kind (critic, actor, alpha, bc).")
                       .Register(*registry_)),
      policy_version(BuildGauge()
                         .Name("tarmac_policy_version")
                         .Help("Version of the policy this process runs or last published.")
                         .Register(*registry_)),
      policy_lag_versions(BuildHistogram()
                              .Name("tarmac_policy_lag_versions")
                              .Help("Versions between the learner's policy and the behaviour "
                                    "policy of sampled data.")
                              .Register(*registry_)),
      learner_temperature(BuildGauge()
                              .Name("tarmac_learner_temperature")
                              .Help("SAC entropy temperature alpha.")
                              .Register(*registry_)),
      learner_q_value(BuildGauge()
                          .Name("tarmac_learner_q_value")
                          .Help("Mean of min(Q1, Q2) over the last batch.")
                          .Register(*registry_)),
      learner_policy_entropy(BuildGauge()
                                 .Name("tarmac_learner_policy_entropy")
                                 .Help("Mean -log pi of the actor's sampled actions over the last "
                                       "batch (nats; SAC updates of the actor only).")
                                 .Register(*registry_)),
      learner_td_error(BuildHistogram()
                           .Name("tarmac_learner_td_error")
                           .Help("|TD error| of sampled items (their new priority - epsilon).")
                           .Register(*registry_)),
      learner_sample_wait_seconds(BuildHistogram()
                                      .Name("tarmac_learner_sample_wait_seconds")
                                      .Help("Time the trainer waited for a sampled batch.")
                                      .Register(*registry_)),
      learner_samples_per_insert(BuildGauge()
                                     .Name("tarmac_learner_samples_per_insert")
                                     .Help("Items sampled per item inserted into the table "
                                           "since the learner started.")
                                     .Register(*registry_)),
      policy_swap_seconds(BuildHistogram()
                              .Name("tarmac_policy_swap_seconds")
                              .Help("From a weights notification to the new policy acting.")
                              .Register(*registry_)),
      actor_queue_items(BuildGauge()
                            .Name("tarmac_actor_queue_items")
                            .Help("Transitions the writer holds that Redis has not acknowledged.")
                            .Register(*registry_)),
      actor_restarts_total(BuildCounter()
                               .Name("tarmac_actor_restarts_total")
                               .Help("Env actors restarted after a failure; their episodes "
                                     "were discarded.")
                               .Register(*registry_)),
      weights_rejected_total(BuildCounter()
                                 .Name("tarmac_weights_rejected_total")
                                 .Help("Published weights refused (corrupt, wrong architecture).")
                                 .Register(*registry_)),
      actors_alive(BuildGauge()
                       .Name("tarmac_actors_alive")
                       .Help("Rollout processes with a live heartbeat in Redis.")
                       .Register(*registry_)) {}

prometheus::Histogram::BucketBoundaries Metrics::ReturnBuckets() {
  return {-200, -100, -50, -20, -10, -5, 0, 5, 10, 20, 50, 100, 200, 500};
}

prometheus::Histogram::BucketBoundaries Metrics::ScoreBuckets() {
  return {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0};
}

prometheus::Histogram::BucketBoundaries Metrics::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

prometheus::Histogram::BucketBoundaries Metrics::TdBuckets() {
  return {0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100};
}

prometheus::Histogram::BucketBoundaries Metrics::LagBuckets() {
  return {0, 1, 2, 4, 8, 16, 32, 64, 128};
}

}  // namespace tarmac::monitoring
