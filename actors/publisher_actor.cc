// The publisher actor: encodes PolicyWeights, stores them at tarmac:weights:<version>, moves
// tarmac:weights:latest and announces the version on tarmac:weights. Detached: Redis round
// trips; reconnects on the next publication after a failure.
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <utility>

#include "learner_actors.h"
#include "tarmac/actors/messages.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::actors {
namespace {

// Publishes versioned weights to the control shard.
struct PublisherState {
  std::unique_ptr<buffer::ControlClient> control;
};

caf::behavior Publisher(caf::stateful_actor<PublisherState>* self, buffer::ShardEndpoint shard,
                        std::string weights_key, monitoring::Metrics* metrics) {
  auto& version_gauge = metrics->policy_version.Add({});
  return {
      [=, &version_gauge](publish_atom, PolicyWeightsPtr weights) -> bool {
        auto blob = schemas::EncodePolicyWeights(*weights, weights_key);
        if (!blob.ok()) {
          spdlog::error("weights v{} not published: {}", weights->version,
                        blob.status().ToString());
          return false;
        }
        if (self->state.control == nullptr) {
          auto control = buffer::ControlClient::Connect(shard);
          if (!control.ok()) {
            spdlog::warn("weights v{} not published: {}", weights->version,
                         control.status().ToString());
            return false;
          }
          self->state.control = std::move(*control);
        }
        if (auto s = self->state.control->PublishWeights(weights->version, *blob); !s.ok()) {
          spdlog::warn("weights v{} not published: {}", weights->version, s.ToString());
          self->state.control.reset();
          return false;
        }
        version_gauge.Set(static_cast<double>(weights->version));
        spdlog::debug("published weights v{} ({} bytes)", weights->version, blob->size());
        return true;
      },
  };
}

}  // namespace

caf::actor SpawnPublisher(caf::actor_system& system, const buffer::ShardEndpoint& shard,
                          std::string weights_key, monitoring::Metrics* metrics) {
  return system.spawn<caf::detached>(Publisher, shard, std::move(weights_key), metrics);
}

}  // namespace tarmac::actors
