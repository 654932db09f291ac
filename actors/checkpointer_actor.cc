// The checkpointer actor: writes the trainer's serialized checkpoints atomically under
// learner/checkpoint_files' names and keeps the newest `keep`. Detached: disk writes block.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>

#include "learner_actors.h"
#include "tarmac/actors/messages.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::actors {
namespace {

// Writes checkpoints atomically and keeps the newest few.
caf::behavior Checkpointer(caf::event_based_actor* /*self*/, std::string dir, int keep) {
  return {
      [=](save_atom, CheckpointBytesPtr bytes, std::uint64_t step) -> std::string {
        std::error_code error;
        std::filesystem::create_directories(dir, error);
        const std::string path = learner::CheckpointPath(dir, step);
        if (auto s = util::WriteFileAtomically(path, *bytes); !s.ok()) {
          spdlog::error("checkpoint not written: {}", s.ToString());
          return "";
        }
        learner::PruneCheckpoints(dir, keep);
        spdlog::info("checkpoint {} written", path);
        return path;
      },
  };
}

}  // namespace

caf::actor SpawnCheckpointer(caf::actor_system& system, const std::string& dir, int keep) {
  return system.spawn<caf::detached>(Checkpointer, dir, keep);
}

}  // namespace tarmac::actors
