// The sampler actor: on each fetch, samples a batch from the rl or demos table (the demos with
// the configured tag mixture, falling back to plain sampling when the demonstrations hold none
// of its tags) and decodes it for the trainer. Detached: Redis round trips and decoding block.
// State is its own (connection, draw counter).
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "learner_actors.h"
#include "tarmac/actors/messages.h"

namespace tarmac::actors {
namespace {

// Samples and decodes batches on request; blocking Redis I/O, so it runs detached.
struct SamplerState {
  std::unique_ptr<buffer::ReplayClient> client;
  absl::Status connect_status;
  std::uint64_t draws = 0;
  bool unmixed = false;  // the demo table had no items for the tag mixture
};

caf::behavior Sampler(caf::stateful_actor<SamplerState>* self, LearnerJobOptions options, int index,
                      monitoring::Metrics* metrics) {
  auto& samples = metrics->replay_samples_total.Add({});
  auto& latency = metrics->replay_sample_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
  return {
      [=, &samples, &latency](fetch_atom, double beta, bool demo, caf::actor reply_to) {
        auto out = std::make_shared<SampledBatch>();
        out->demo = demo;
        out->sampler = index;
        const auto start = LearnerClock::now();
        if (self->state.client == nullptr) {
          auto client = buffer::ReplayClient::Connect(LearnerClientOptions(options));
          if (client.ok()) {
            self->state.client = std::move(*client);
          } else {
            out->status = client.status();
          }
        }
        if (self->state.client != nullptr) {
          buffer::SampleOptions sample_options;
          sample_options.beta = beta;
          sample_options.seed = options.sac.seed * 1000003 + index * 7919 + self->state.draws++;
          const std::string& table = demo ? options.demo_table.name : options.rl_table.name;
          const bool mixed = demo && !self->state.unmixed && options.demo_event_mask != 0 &&
                             options.demo_event_share > 0.0;
          if (mixed) sample_options.tag_mixture = options.DemoTagMixture();
          auto sample = self->state.client->Sample(table, options.batch_size, sample_options);
          if (mixed && buffer::IsUnservableTagMixture(sample.status())) {
            // The demonstrations hold none of the mined events: sample them plainly.
            spdlog::warn("demos hold no items with the oversampled events; sampling uniformly");
            self->state.unmixed = true;
            sample_options.tag_mixture.clear();
            sample = self->state.client->Sample(table, options.batch_size, sample_options);
          }
          if (!sample.ok()) {
            out->status = sample.status();
          } else {
            out->status = learner::DecodeTrainingBatch(*sample, options.shape, &out->batch);
            samples.Increment(static_cast<double>(sample->items.size()));
          }
        }
        out->fetch_seconds = Seconds(LearnerClock::now() - start);
        latency.Observe(out->fetch_seconds);
        self->send(reply_to, batch_atom::value, SampledBatchPtr(std::move(out)));
      },
  };
}

}  // namespace

caf::actor SpawnSampler(caf::actor_system& system, const LearnerJobOptions& options, int index,
                        monitoring::Metrics* metrics) {
  return system.spawn<caf::detached>(Sampler, options, index, metrics);
}

}  // namespace tarmac::actors
