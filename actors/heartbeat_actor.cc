// The heartbeat actor: keeps tarmac:actors:<id> (host, pid, envs, env, policy version, steps,
// table) alive with a TTL of three periods, refreshes tarmac_actors_alive from the live set,
// publishes the episode summaries finished since the last beat to tarmac:episodes (dropped
// when Redis is unreachable: the stream is for watching, not a record), and unregisters on
// stop; and reloads a changed scenario mix file. Detached (Redis round trips); reconnects on
// the next beat after a failure. Reads RolloutShared, and replaces its mix.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rollout_actors.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/schemas/episode_summary.h"

namespace tarmac::actors {

struct HeartbeatActorState {
  std::unique_ptr<buffer::ControlClient> control;  // null until connected (again)
};

namespace {

// Reloads options.scenario_mix when the file changed since it was last read (a mix file and its
// loader given); the env actors switch to the new mix between episodes. A file that does not
// parse, or a mix the envs cannot draw, leaves the old one in place, with the reason logged.
void ReloadMix(RolloutShared* shared) {
  const RolloutJobOptions& o = shared->options;
  if (!o.load_mix || o.scenario_mix.empty()) return;
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(o.scenario_mix, ec);
  if (ec || time == shared->mix_time) return;
  shared->mix_time = time;
  auto loaded = o.load_mix(o.scenario_mix);
  if (!loaded.ok()) {
    spdlog::warn("actor {}: the scenario mix {} changed but is kept as it was: {}", o.actor_id,
                 o.scenario_mix, std::string(loaded.status().message()));
    return;
  }
  auto mix = std::make_shared<const envs::ScenarioMix>(*std::move(loaded));
  std::atomic_store(&shared->mix, std::shared_ptr<const envs::ScenarioMix>(mix));
  spdlog::info("actor {}: the scenario mix {} changed; {} source(s) from each env's next episode",
               o.actor_id, o.scenario_mix, mix->sources().size());
}

// Sends the summaries env actors finished since the last call to tarmac:episodes.
void PublishEpisodes(buffer::ControlClient& control, RolloutShared* shared) {
  const std::vector<schemas::EpisodeSummary> finished = shared->to_publish.TakeNew();
  if (finished.empty() || shared->options.episode_stream_max <= 0) return;
  std::vector<std::string> encoded;
  encoded.reserve(finished.size());
  for (const schemas::EpisodeSummary& e : finished) {
    encoded.push_back(schemas::EncodeEpisodeSummary(e));
  }
  (void)control.PublishEpisodes(encoded,
                                static_cast<std::size_t>(shared->options.episode_stream_max));
}

caf::behavior Heartbeat(caf::stateful_actor<HeartbeatActorState>* self, RolloutShared* shared) {
  const auto period = std::chrono::milliseconds(
      static_cast<std::int64_t>(shared->options.heartbeat_seconds * 1000));
  prometheus::Gauge* alive = &shared->metrics->actors_alive.Add({});
  auto beat = [self, shared, period, alive] {
    ReloadMix(shared);
    auto& control = self->state.control;
    if (control == nullptr) {
      auto c = buffer::ControlClient::Connect(shared->options.shards.front());
      if (!c.ok()) return;
      control = std::move(*c);
    }
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    const RolloutJobOptions& o = shared->options;
    std::map<std::string, std::string> fields = {
        {"host", host},
        {"pid", std::to_string(getpid())},
        {"envs", std::to_string(o.actors * o.envs_per_actor)},
        {"env", o.env_name},
        {"policy_version", std::to_string(shared->stats->version.load())},
        {"steps", std::to_string(shared->stats->env_steps.load())},
        {"table", o.table.name}};
    if (!control->Heartbeat(o.actor_id, fields, period * 3).ok()) {
      control.reset();
      return;
    }
    if (auto live = control->LiveActors(); live.ok()) {
      alive->Set(static_cast<double>(live->size()));
    }
    PublishEpisodes(*control, shared);
  };
  self->send(self, poll_atom::value);
  return {
      [=](poll_atom) {
        beat();
        self->delayed_send(self, period, poll_atom::value);
      },
      [=](stop_atom) -> bool {
        if (self->state.control != nullptr) {
          PublishEpisodes(*self->state.control, shared);
          (void)self->state.control->Unregister(shared->options.actor_id);
        }
        return true;
      },
  };
}

}  // namespace

caf::actor SpawnHeartbeatActor(caf::actor_system& system, RolloutShared* shared) {
  return system.spawn<caf::detached>(Heartbeat, shared);
}

}  // namespace tarmac::actors
