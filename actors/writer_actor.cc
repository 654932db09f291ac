// The writer actor: queues the env actors' encoded transitions in a buffer::SequencedWriter,
// which inserts them exactly once (sequenced REPLAY.INSERTs, recovery after a lost connection).
// When it holds queue_limit items it stops acknowledging chunks, which stops the env actors
// (back-pressure instead of dropping). Detached: Drain blocks on Redis, in slices of at most
// kDrainSlice so that a stop or more chunks are handled while Redis is slow, down or
// rate-limiting. Its state is its own; it adds to RolloutShared's written stats.
// Messages: (write_atom, TransitionChunkPtr) -> bool once the chunk is queued below the limit;
// flush_atom (self-tick); (stop_atom, seconds) -> items left unwritten after a final flush.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <vector>

#include "rollout_actors.h"
#include "tarmac/buffer/sequenced_writer.h"

namespace tarmac::actors {

struct WriterActorState {
  std::unique_ptr<buffer::SequencedWriter> writer;
  std::vector<caf::response_promise> blocked;  // chunks not acknowledged yet (back-pressure)
  bool flush_scheduled = false;
  RolloutClock::time_point last_warning;
};

namespace {

constexpr auto kDrainSlice = std::chrono::milliseconds(200);
constexpr auto kFlushTick = std::chrono::milliseconds(5);

// Drains until `deadline`; logs a failure at most every 5 s.
void Drain(caf::stateful_actor<WriterActorState>* self, RolloutShared* shared,
           RolloutClock::time_point deadline, bool until_empty) {
  auto& s = self->state;
  const buffer::SequencedWriter::DrainResult result = s.writer->Drain(deadline, until_empty);
  if (!result.last_error.ok() && Seconds(RolloutClock::now() - s.last_warning) > 5.0) {
    spdlog::warn("writer holds {} transitions; Redis: {} (retrying)", s.writer->queued(),
                 result.last_error.ToString());
    s.last_warning = RolloutClock::now();
  }
}

void ScheduleFlush(caf::stateful_actor<WriterActorState>* self) {
  auto& s = self->state;
  if (s.writer->queued() > 0 && !s.flush_scheduled) {
    s.flush_scheduled = true;
    self->delayed_send(self, kFlushTick, flush_atom::value);
  }
}

caf::behavior Writer(caf::stateful_actor<WriterActorState>* self, RolloutShared* shared) {
  const RolloutJobOptions& o = shared->options;
  buffer::SequencedWriterOptions writer_options;
  writer_options.shards = o.shards;
  writer_options.table = o.table.name;
  writer_options.producer = o.actor_id;
  writer_options.insert_batch = o.insert_batch;
  writer_options.ack_replicas = o.ack_replicas;
  self->state.writer = std::make_unique<buffer::SequencedWriter>(std::move(writer_options));
  monitoring::Metrics& m = *shared->metrics;
  auto* inserts = &m.replay_inserts_total.Add({});
  auto* latency = &m.replay_insert_seconds.Add({}, monitoring::Metrics::LatencyBuckets());
  auto* depth = &m.actor_queue_items.Add({});
  // Every reason exists from the start, so a rate over it is 0 rather than absent.
  for (const char* reason : buffer::kWriteErrorReasons) {
    m.replay_write_errors_total.Add({{"reason", reason}});
  }
  self->state.writer->set_failure([&m](const absl::Status& status) {
    m.replay_write_errors_total.Add({{"reason", buffer::WriteErrorReason(status)}}).Increment();
  });
  self->state.writer->set_progress(
      [self, shared, inserts, latency, depth](std::uint64_t items, std::optional<double> seconds) {
        auto& s = self->state;
        if (seconds) latency->Observe(*seconds);
        inserts->Increment(static_cast<double>(items));
        shared->stats->written += items;
        depth->Set(static_cast<double>(s.writer->queued()));
        while (!s.blocked.empty() && s.writer->queued() < shared->options.queue_limit) {
          s.blocked.back().deliver(true);
          s.blocked.pop_back();
        }
      });
  return {
      [=](write_atom, TransitionChunkPtr chunk) -> caf::result<bool> {
        LowerThisThread(kPipelineNice);
        auto& s = self->state;
        for (auto& item : chunk->items) {
          s.writer->Push(std::move(item.payload), item.tags, chunk->policy_version);
        }
        depth->Set(static_cast<double>(s.writer->queued()));
        Drain(self, shared, RolloutClock::now() + kDrainSlice, /*until_empty=*/false);
        ScheduleFlush(self);
        if (s.writer->queued() >= shared->options.queue_limit) {
          s.blocked.push_back(self->make_response_promise());
          return s.blocked.back();
        }
        return true;
      },
      [=](flush_atom) {
        self->state.flush_scheduled = false;
        Drain(self, shared, RolloutClock::now() + kDrainSlice, /*until_empty=*/true);
        ScheduleFlush(self);
      },
      // Final flush, bounded by the deadline; replies with the items it could not write.
      [=](stop_atom, double seconds) -> std::uint64_t {
        const auto deadline =
            RolloutClock::now() + std::chrono::duration_cast<RolloutClock::duration>(
                                      std::chrono::duration<double>(seconds));
        Drain(self, shared, deadline, /*until_empty=*/true);
        for (auto& promise : self->state.blocked) promise.deliver(true);
        self->state.blocked.clear();
        return self->state.writer->queued();
      },
  };
}

}  // namespace

caf::actor SpawnWriterActor(caf::actor_system& system, RolloutShared* shared) {
  return system.spawn<caf::detached>(Writer, shared);
}

}  // namespace tarmac::actors
