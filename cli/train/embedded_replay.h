#ifndef TARMAC_CLI_TRAIN_EMBEDDED_REPLAY_H_
#define TARMAC_CLI_TRAIN_EMBEDDED_REPLAY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "run_dir.h"
#include "tarmac/buffer/replay_server_process.h"
#include "tarmac/cli/config.h"

namespace tarmac::cli::train {

// The redis-server `tarmac train` runs when no --redis is given: a unix socket in a short temp
// dir, AOF (always on) and RDB under the run's replay/ dir, its log in redis.log. RAII: the
// destructor stops Redis (AOF flushed) and removes the socket dir. Non-copyable.
class EmbeddedReplay {
 public:
  // Unavailable (one sentence) when the temp dir or the server cannot be made.
  static absl::StatusOr<std::unique_ptr<EmbeddedReplay>> Start(const RunDir& dir,
                                                               const Config& config);
  ~EmbeddedReplay();
  EmbeddedReplay(const EmbeddedReplay&) = delete;
  EmbeddedReplay& operator=(const EmbeddedReplay&) = delete;

  const buffer::ShardEndpoint& endpoint() const { return server_->endpoint(); }

 private:
  EmbeddedReplay() = default;
  std::unique_ptr<buffer::ReplayServerProcess> server_;
  std::string socket_dir_;
};

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_EMBEDDED_REPLAY_H_
