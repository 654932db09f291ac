// The weights actor: waits for announcements on tarmac:weights (and polls
// tarmac:weights:latest every weights_poll_seconds as a fallback), loads each newer version
// with LoadVerifiedPolicy, and sends it to the inference actor. A refused version is logged,
// counted (tarmac_weights_rejected_total) and skipped; the running policy keeps acting.
// Detached and blocking (Redis round trips, LibTorch loading on its own thread); reconnects with
// backoff. Reads RolloutShared; adds to its rejection stats.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "rollout_actors.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/verified_policy.h"
#include "tarmac/util/backoff.h"

namespace tarmac::actors {
namespace {

void WeightsActor(caf::blocking_actor* self, RolloutShared* shared, std::uint64_t current,
                  const std::atomic<bool>* stop) {
  learner::SetInferenceThreads(1);  // loading weights runs LibTorch kernels on this thread
  const RolloutJobOptions& o = shared->options;
  auto& rejected_total = shared->metrics->weights_rejected_total.Add({});
  std::unique_ptr<buffer::WeightsSubscription> subscription;
  std::unique_ptr<buffer::ControlClient> control;
  util::Backoff reconnect(std::chrono::milliseconds(200), std::chrono::milliseconds(200));
  // Poll at once: a version published before the subscription started is not announced again.
  auto last_poll = RolloutClock::now() - std::chrono::hours(1);
  std::uint64_t rejected_version = 0;
  bool running = true;
  while (running && !stop->load()) {
    self->receive([&](stop_atom) { running = false; },
                  [&](const caf::exit_msg&) { running = false; },
                  caf::after(std::chrono::milliseconds(0)) >> [] {});
    if (!running) break;
    if (subscription == nullptr) {
      auto sub = buffer::WeightsSubscription::Connect(o.shards.front());
      if (sub.ok()) subscription = std::move(*sub);
    }
    if (control == nullptr) {
      auto c = buffer::ControlClient::Connect(o.shards.front());
      if (c.ok()) control = std::move(*c);
    }
    if (subscription == nullptr || control == nullptr) {
      reconnect.Wait();
      continue;
    }
    auto waited = subscription->Wait(std::chrono::milliseconds(100));
    if (!waited.ok()) {
      subscription.reset();
      continue;
    }
    std::optional<std::uint64_t> announced = *waited;
    const auto notified = RolloutClock::now();
    if (!announced && Seconds(RolloutClock::now() - last_poll) >= o.weights_poll_seconds) {
      last_poll = RolloutClock::now();
      auto latest = control->LatestWeightsVersion();
      if (latest.ok()) announced = *latest;
    }
    if (!announced || *announced <= current || *announced == rejected_version) continue;
    const std::uint64_t version = *announced;
    const auto t0 = RolloutClock::now();
    auto policy =
        learner::LoadVerifiedPolicy(*control, version, shared->spec, o.weights_key, o.Backend());
    if (!policy.ok() && !learner::IsRejectedWeights(policy.status())) {
      if (policy.status().code() != absl::StatusCode::kNotFound) control.reset();
      continue;
    }
    if (!policy.ok()) {
      spdlog::error("weights v{} rejected, the current policy v{} keeps running: {}", version,
                    current, std::string(policy.status().message()));
      rejected_total.Increment();
      ++shared->stats->rejected;
      rejected_version = version;
      continue;
    }
    current = version;
    spdlog::debug("weights v{}: fetched, verified and loaded in {:.1f} ms", version,
                  1e3 * Seconds(RolloutClock::now() - t0));
    const auto notified_ns = static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(notified.time_since_epoch()).count());
    if (o.inference == "inline") {
      // Each env actor takes it up at its next step.
      std::atomic_store(&shared->policy, InferencePolicyPtr(std::move(*policy)));
      CountSwap(shared, version, notified_ns);
    } else {
      self->send(shared->inference, swap_atom::value, InferencePolicyPtr(std::move(*policy)),
                 notified_ns);
    }
  }
}

}  // namespace

caf::actor SpawnWeightsActor(caf::actor_system& system, RolloutShared* shared,
                             std::uint64_t current, const std::atomic<bool>* stop) {
  return system.spawn<caf::detached>(WeightsActor, shared, current, stop);
}

}  // namespace tarmac::actors
