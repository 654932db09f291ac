#ifndef TARMAC_LEARNER_CHECKPOINT_FILES_H_
#define TARMAC_LEARNER_CHECKPOINT_FILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tarmac::learner {

// The one place that knows how checkpoint files are named: ckpt-<step, 12 digits>.pt in a
// directory; the newest is the one with the largest step. Plain filesystem calls, no LibTorch.

// `dir`/ckpt-<step>.pt.
std::string CheckpointPath(const std::string& dir, std::uint64_t step);

// The step a checkpoint file name encodes; empty for any other name.
std::optional<std::uint64_t> CheckpointStep(const std::string& path);

// The checkpoints in `dir`, newest first. NotFound (one sentence) when `dir` cannot be read or
// holds none. O(files in dir).
absl::StatusOr<std::vector<std::string>> ListCheckpoints(const std::string& dir);

// The newest of ListCheckpoints.
absl::StatusOr<std::string> NewestCheckpoint(const std::string& dir);

// A checkpoint named by a user: `path` itself when it is a file, the newest checkpoint in it
// when it is a directory. NotFound (one sentence naming `path`) when there is neither.
absl::StatusOr<std::string> ResolveCheckpoint(const std::string& path);

// The newest checkpoint's step, 0 when `dir` holds none.
std::uint64_t NewestCheckpointStep(const std::string& dir);

// Removes all but the newest `keep` checkpoints in `dir` (errors ignored: a checkpoint left
// behind costs disk, never correctness).
void PruneCheckpoints(const std::string& dir, int keep);

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_CHECKPOINT_FILES_H_
