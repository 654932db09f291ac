// The sampler actor: on each fetch, samples a batch from the rl or demos table (each with its
// configured tag mixture, falling back to plain sampling for a while when the table holds none
// of its tags) and decodes it for the trainer. Detached: Redis round trips and decoding block.
// State is its own (connection, draw counter).
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "learner_actors.h"
#include "tarmac/actors/messages.h"

namespace tarmac::actors {
namespace {

// Draws sampled plainly after a tag mixture found no items, before it is tried again.
constexpr std::uint64_t kRetryMixtureDraws = 200;

// Samples and decodes batches on request; blocking Redis I/O, so it runs detached.
struct SamplerState {
  std::unique_ptr<buffer::ReplayClient> client;
  absl::Status connect_status;
  std::uint64_t draws = 0;
  // Per table (rl, demos): it held no items for its tag mixture, so it is sampled plainly
  // until this many draws (the mixture is tried again then: rollouts and DAgger add items).
  std::uint64_t unmixed_until[2] = {0, 0};
  bool warned[2] = {false, false};
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
          sample_options.seed = options.sac.seed * 1000003 + index * 7919 + self->state.draws++ +
                                options.sample_stream * 0x9E3779B97F4A7C15ULL;
          const std::string& table = demo ? options.demo_table.name : options.rl_table.name;
          const int kind = demo ? 1 : 0;
          if (self->state.draws >= self->state.unmixed_until[kind]) {
            sample_options.tag_mixture = demo ? options.DemoTagMixture() : options.RlTagMixture();
          }
          const bool mixed = !sample_options.tag_mixture.empty();
          auto sample = self->state.client->Sample(table, options.batch_size, sample_options);
          if (mixed && buffer::IsUnservableTagMixture(sample.status())) {
            // The table holds none of the oversampled tags (yet): sample it plainly.
            if (!self->state.warned[kind]) {
              spdlog::warn("{} holds no items with the oversampled tags yet; sampling it plainly",
                           table);
              self->state.warned[kind] = true;
            }
            self->state.unmixed_until[kind] = self->state.draws + kRetryMixtureDraws;
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
