#ifndef TARMAC_BUFFER_REPLAY_SERVER_PROCESS_H_
#define TARMAC_BUFFER_REPLAY_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tarmac/buffer/replay_server.h"
#include "tarmac/buffer/shard_endpoint.h"

namespace tarmac::buffer {

// A redis-server with the replay module that this process started and owns (what
// `tarmac train` runs when no --redis is given). The child gets SIGTERM when its parent dies,
// even by SIGKILL, so it never outlives the process that started it; SIGTERM makes Redis fsync
// its AOF and exit. Non-copyable; the destructor stops the server. Not thread-safe.
class ReplayServerProcess {
 public:
  // Starts redis-server for `options` (stdout/stderr appended to `log_path`) and waits up to
  // `ready_timeout` until it answers PING (loading a large AOF takes a while). Unavailable
  // when it exits or does not answer in time (the log's last line is in the message).
  static absl::StatusOr<std::unique_ptr<ReplayServerProcess>> Start(
      const ReplayServerOptions& options, const std::string& log_path,
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(60));
  ~ReplayServerProcess();
  ReplayServerProcess(const ReplayServerProcess&) = delete;
  ReplayServerProcess& operator=(const ReplayServerProcess&) = delete;

  // Where clients connect (the unix socket when there is one, else 127.0.0.1:port).
  const ShardEndpoint& endpoint() const { return endpoint_; }
  std::string url() const;
  pid_t pid() const { return pid_; }

  // SIGTERM, then waits up to `timeout` for the exit (SIGKILL after that). Idempotent. Returns
  // whether Redis exited by itself.
  bool Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  ReplayServerProcess() = default;
  pid_t pid_ = -1;
  ShardEndpoint endpoint_;
  std::string log_path_;
};

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_REPLAY_SERVER_PROCESS_H_
