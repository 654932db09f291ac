// The priority writer actor: collects the trainer's |TD| priorities and sends them in batches
// (REPLAY.UPDATE per shard, pipelined) every 20 ms or 4096 items, or all at the job's end with
// defer_priorities. Updates that cannot be sent are dropped with a warning (priorities are
// advisory; the next draw sets them again). Detached: Redis round trips.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>

#include "learner_actors.h"
#include "tarmac/actors/messages.h"

namespace tarmac::actors {
namespace {

// Collects priority updates and sends them in batches (REPLAY.UPDATE per shard, pipelined).
struct PriorityWriterState {
  std::unique_ptr<buffer::ReplayClient> client;
  PriorityUpdates pending;
  bool flush_scheduled = false;
  std::uint64_t stale = 0;
};

caf::behavior PriorityWriter(caf::stateful_actor<PriorityWriterState>* self,
                             LearnerJobOptions options) {
  constexpr std::size_t kFlushItems = 4096;
  auto flush = [self, options] {
    auto& s = self->state;
    s.flush_scheduled = false;
    if (s.pending.empty()) return;
    if (s.client == nullptr) {
      auto client = buffer::ReplayClient::Connect(LearnerClientOptions(options));
      if (!client.ok()) {
        spdlog::warn("priority updates dropped: {}", client.status().ToString());
        s.pending.clear();
        return;
      }
      s.client = std::move(*client);
    }
    // In commands of at most kFlushItems (a deferred job's end holds many of them).
    for (std::size_t at = 0; at < s.pending.size(); at += kFlushItems) {
      const PriorityUpdates chunk(s.pending.begin() + static_cast<std::ptrdiff_t>(at),
                                  s.pending.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                          s.pending.size(), at + kFlushItems)));
      auto result = s.client->Update(options.rl_table.name, chunk);
      if (!result.ok()) {
        spdlog::warn("{} priority updates dropped: {}", chunk.size(), result.status().ToString());
      } else {
        s.stale += result->stale;
      }
    }
    s.pending.clear();
  };
  return {
      [=](priority_atom, PriorityUpdatesPtr updates) {
        auto& s = self->state;
        s.pending.insert(s.pending.end(), updates->begin(), updates->end());
        if (options.defer_priorities) return;  // all of them when the job ends
        if (s.pending.size() >= kFlushItems) {
          flush();
        } else if (!s.flush_scheduled) {
          s.flush_scheduled = true;
          self->delayed_send(self, std::chrono::milliseconds(20), flush_atom::value);
        }
      },
      [=](flush_atom) { flush(); },
      [=](done_atom) {
        flush();
        return true;
      },
  };
}

}  // namespace

caf::actor SpawnPriorityWriter(caf::actor_system& system, const LearnerJobOptions& options) {
  return system.spawn<caf::detached>(PriorityWriter, options);
}

}  // namespace tarmac::actors
