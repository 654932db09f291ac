#ifndef TARMAC_BUFFER_REPLAY_SERVER_H_
#define TARMAC_BUFFER_REPLAY_SERVER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tarmac/util/option_table.h"

namespace tarmac::buffer {

// How to run a redis-server that holds replay tables: the module loaded, persistence on.
struct ReplayServerOptions {
  int port = 6379;          // 0: no TCP listener (use unix_socket)
  std::string unix_socket;  // empty: none
  std::string bind = "127.0.0.1";
  std::string dir = "replay-data";
  bool appendonly = true;
  std::string appendfsync = "everysec";  // always | everysec | no
  std::string password;                  // requirepass; empty: none
  std::string maxmemory;                 // e.g. "8gb"; empty: unlimited. Full: inserts refused
  std::size_t max_payload_bytes = std::size_t{4} << 20;
  std::string module_path;  // empty: FindReplayModule()
  std::string redis_server = "redis-server";

  // InvalidArgument for a port outside 0..65535, neither port nor socket, a bad appendfsync.
  absl::Status Validate() const;
};

// The replay.* keys of the server (the tables' keys belong to the processes that create them).
const util::OptionTable<ReplayServerOptions>& ReplayServerOptionTable();

// Locates tarmac_replay.so: $TARMAC_REPLAY_MODULE, then beside the running executable (the build
// tree's buffer/redis_module/, the same folder, ../lib/tarmac/), then the path it was built at.
// NotFound listing where it looked.
absl::StatusOr<std::string> FindReplayModule();

// The redis-server command line for `options` (module path resolved). Creates `dir`.
absl::StatusOr<std::vector<std::string>> RedisServerArgv(const ReplayServerOptions& options);

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_REPLAY_SERVER_H_
