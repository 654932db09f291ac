// The inference actor: one forward pass for every observation request that is waiting, so K
// env actors cost one batched GEMM per round instead of K. Detached and blocking (it waits on
// its mailbox, then computes); it owns the policy and swaps it when the weights actor sends a
// verified one. Reads RolloutShared; adds to its swap stats.
#include <chrono>
#include <utility>
#include <vector>

#include "rollout_actors.h"
#include "tarmac/learner/network_policy.h"

namespace tarmac::actors {
namespace {

void InferenceActor(caf::blocking_actor* self, RolloutShared* shared, InferencePolicyPtr initial) {
  learner::SetInferenceThreads(1);  // one core's worth: env actors use the others
  LowerThisThread(kPipelineNice);
  InferencePolicyPtr policy = std::move(initial);
  std::uint64_t version = policy->version();
  const std::size_t act_dim = shared->spec.action_size;
  std::vector<std::pair<ObservationRequestPtr, caf::actor>> pending;
  std::vector<float> obs, noise, actions;
  bool running = true;
  while (running) {
    auto on_act = [&](act_atom, ObservationRequestPtr request, caf::actor reply_to) {
      pending.emplace_back(std::move(request), std::move(reply_to));
    };
    auto on_swap = [&](swap_atom, InferencePolicyPtr next, std::int64_t notified_ns) {
      policy = std::move(next);
      version = policy->version();
      CountSwap(shared, version, notified_ns);
    };
    self->receive(
        on_act, on_swap, [&](stop_atom) { running = false; },
        [&](const caf::exit_msg&) { running = false; });
    // Take whatever else is already waiting, without blocking.
    bool more = true;
    while (more && running) {
      self->receive(
          on_act, on_swap, [&](stop_atom) { running = false; },
          [&](const caf::exit_msg&) { running = false; },
          caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    }
    if (pending.empty()) continue;
    int rows = 0;
    obs.clear();
    noise.clear();
    for (const auto& [request, _] : pending) {
      obs.insert(obs.end(), request->observations.begin(), request->observations.end());
      noise.insert(noise.end(), request->rows, request->noise_scale);
      rows += request->rows;
    }
    actions.resize(static_cast<std::size_t>(rows) * act_dim);
    policy->Act(obs, rows, noise, pending.front().first->seed, absl::MakeSpan(actions));
    std::size_t offset = 0;
    for (auto& [request, reply_to] : pending) {
      auto reply = std::make_shared<ActionReply>();
      const std::size_t n = static_cast<std::size_t>(request->rows) * act_dim;
      reply->actions.assign(actions.begin() + offset, actions.begin() + offset + n);
      reply->policy_version = version;
      offset += n;
      self->send(reply_to, actions_atom::value, ActionReplyPtr(std::move(reply)));
    }
    pending.clear();
  }
}

}  // namespace

void CountSwap(RolloutShared* shared, std::uint64_t version, std::int64_t notified_ns) {
  shared->metrics->policy_version.Add({}).Set(static_cast<double>(version));
  shared->metrics->policy_swap_seconds.Add({}, monitoring::Metrics::LatencyBuckets())
      .Observe(
          Seconds(RolloutClock::now().time_since_epoch() - std::chrono::nanoseconds(notified_ns)));
  ++shared->stats->swaps;
  shared->stats->version = version;
}

caf::actor SpawnInferenceActor(caf::actor_system& system, RolloutShared* shared,
                               InferencePolicyPtr initial) {
  return system.spawn<caf::detached>(InferenceActor, shared, std::move(initial));
}

}  // namespace tarmac::actors
