#ifndef TARMAC_ACTORS_MESSAGES_H_
#define TARMAC_ACTORS_MESSAGES_H_

// Every message type and atom the actors of tarmac exchange, in one place. Messages stay inside
// one process (processes talk through Redis), so payloads travel as shared pointers to
// immutable data and are registered as unsafe (never serialized) types.

#include <caf/all.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/learner/network_policy.h"
#include "tarmac/learner/training_batch.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::actors {

// Learner pipeline.
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;        // trainer -> sampler
using batch_atom = caf::atom_constant<caf::atom("batch")>;        // sampler -> trainer
using priority_atom = caf::atom_constant<caf::atom("priority")>;  // trainer -> priority writer
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;  // trainer -> publisher
using save_atom = caf::atom_constant<caf::atom("save")>;        // trainer -> checkpointer

// Rollout pipeline.
using step_atom = caf::atom_constant<caf::atom("step")>;        // env actor self-tick
using act_atom = caf::atom_constant<caf::atom("act")>;          // env actor -> inference
using actions_atom = caf::atom_constant<caf::atom("actions")>;  // inference -> env actor
using write_atom = caf::atom_constant<caf::atom("write")>;      // env actor -> writer
using swap_atom = caf::atom_constant<caf::atom("swap")>;        // weights -> inference
using poll_atom = caf::atom_constant<caf::atom("poll")>;        // self-ticks
using stop_atom = caf::atom_constant<caf::atom("stop")>;        // orderly shutdown
using done_atom = caf::atom_constant<caf::atom("done")>;

// A decoded batch from a replay table, or why there is none.
struct SampledBatch {
  absl::Status status;
  bool demo = false;  // from the demonstration table
  int sampler = 0;    // which sampler actor fetched it
  learner::TrainingBatch batch;
  double fetch_seconds = 0.0;  // Redis round trips + decode
};
using SampledBatchPtr = std::shared_ptr<const SampledBatch>;

using PriorityUpdates = std::vector<std::pair<buffer::ItemKey, double>>;
using PriorityUpdatesPtr = std::shared_ptr<const PriorityUpdates>;

using PolicyWeightsPtr = std::shared_ptr<const schemas::PolicyWeights>;
using CheckpointBytesPtr = std::shared_ptr<const std::string>;

// Observations of one env actor for the inference actor.
struct ObservationRequest {
  int rows = 0;
  float noise_scale = 1.0F;
  std::uint64_t seed = 0;
  std::vector<float> observations;  // rows * obs_dim
};
using ObservationRequestPtr = std::shared_ptr<const ObservationRequest>;

struct ActionReply {
  std::vector<float> actions;  // rows * action_dim, physical units
  std::uint64_t policy_version = 0;
};
using ActionReplyPtr = std::shared_ptr<const ActionReply>;

// Encoded transitions of one env actor's step, ready for REPLAY.INSERT.
struct TransitionChunk {
  struct Item {
    std::string payload;
    std::uint64_t tags = 0;
  };
  std::vector<Item> items;
  std::uint64_t policy_version = 0;
};
// Not const: the writer is its only reader and moves the payloads out.
using TransitionChunkPtr = std::shared_ptr<TransitionChunk>;

using InferencePolicyPtr = std::shared_ptr<const learner::InferencePolicy>;

}  // namespace tarmac::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::SampledBatchPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::PriorityUpdatesPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::PolicyWeightsPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::CheckpointBytesPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::ObservationRequestPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::ActionReplyPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::TransitionChunkPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tarmac::actors::InferencePolicyPtr)

#endif  // TARMAC_ACTORS_MESSAGES_H_
