#include "embedded_replay.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace tarmac::cli::train {

absl::StatusOr<std::unique_ptr<EmbeddedReplay>> EmbeddedReplay::Start(const RunDir& dir,
                                                                      const Config& config) {
  std::unique_ptr<EmbeddedReplay> replay(new EmbeddedReplay());
  char pattern[] = "/tmp/tarmac-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    return absl::UnavailableError("cannot create a temp dir for the Redis socket");
  }
  replay->socket_dir_ = pattern;
  buffer::ReplayServerOptions server;
  // The server's replay.* keys (maxmemory included), then what the embedded one always is.
  if (absl::Status s = config.Apply(buffer::ReplayServerOptionTable(), server); !s.ok()) return s;
  server.port = 0;
  server.unix_socket = replay->socket_dir_ + "/redis.sock";
  server.dir = dir.replay();
  server.appendonly = true;
  server.bind = "127.0.0.1";
  auto started = buffer::ReplayServerProcess::Start(server, dir.redis_log());
  if (!started.ok()) return started.status();  // the destructor removes the socket dir
  replay->server_ = std::move(*started);
  spdlog::info("replay: embedded redis-server (pid {}) on {}, data in {}", replay->server_->pid(),
               replay->server_->url(), server.dir);
  return replay;
}

EmbeddedReplay::~EmbeddedReplay() {
  if (server_ != nullptr) server_->Stop();
  std::error_code ec;
  if (!socket_dir_.empty()) std::filesystem::remove_all(socket_dir_, ec);
}

}  // namespace tarmac::cli::train
