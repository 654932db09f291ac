#ifndef TARMAC_UTIL_ATOMIC_FILE_H_
#define TARMAC_UTIL_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tarmac::util {

// Writes `bytes` to `path` so that a reader (or a restart after a crash at any point) sees
// either the old file or the whole new one: into `path`.tmp, flushed to disk, then renamed over
// `path`. Internal naming the file on failure, with the temporary removed. Blocks on the disk.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_ATOMIC_FILE_H_
