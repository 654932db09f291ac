#ifndef TARMAC_BUFFER_REPLAY_SERVER_H_
#define TARMAC_BUFFER_REPLAY_SERVER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tarmac/util/option_table.h"

namespace tarmac::buffer {

// Passwords of the three Redis ACL users `tarmac replay-server --acl` creates (from
// TARMAC_REDIS_{ACTOR,LEARNER,ADMIN}_PASSWORD).
struct ReplayAclPasswords {
  std::string actor;
  std::string learner;
  std::string admin;
};

// How to run a redis-server that holds replay tables: the module loaded, persistence on.
struct ReplayServerOptions {
  int port = 6379;          // 0: no TCP listener (use unix_socket)
  std::string unix_socket;  // empty: none
  std::string bind = "127.0.0.1";
  std::string dir = "replay-data";
  bool appendonly = true;
  std::string appendfsync = "everysec";  // always | everysec | no
  std::string password;                  // requirepass; empty: none
  // Least privilege: the default user off; `actor`, `learner` and `admin` users with these
  // passwords and the rights of ReplayAclFile (written to <dir>/users.acl, mode 0600).
  bool acl = false;
  ReplayAclPasswords acl_passwords;
  std::string maxmemory;  // e.g. "8gb"; empty: unlimited. Full: inserts refused
  // "host:port" of the primary this server follows as a replica; empty: a primary. A replica
  // logs in to its primary as admin (acl) or with `password`, and keeps the same users, so a
  // promoted replica serves actors and learner with their own credentials.
  std::string replicaof;
  std::size_t max_payload_bytes = std::size_t{4} << 20;
  std::string module_path;  // empty: FindReplayModule()
  std::string redis_server = "redis-server";

  // InvalidArgument for a port outside 0..65535, neither port nor socket, a bad appendfsync,
  // acl with a missing or short password, acl together with requirepass, or a replicaof that
  // is not host:port.
  absl::Status Validate() const;
};

inline constexpr std::size_t kMinAclPasswordBytes = 16;

// The ACL file of a least-privilege replay server (passwords stored as SHA-256):
//   default  off: every connection must authenticate
//   actor    REPLAY.CREATE / INSERT / PRODUCER on the rl and demos tables, GET tarmac:weights:*,
//            SUBSCRIBE tarmac:weights, its heartbeat (HSET / PEXPIRE / DEL tarmac:actors:*),
//            XADD tarmac:episodes, PING. Nothing else: no SET of weights, no DEL of a table,
//            no FLUSHALL, CONFIG, MODULE, DEBUG or KEYS.
//   learner  every public REPLAY.* on the tables, GET / SET / DEL tarmac:weights:* inside
//            MULTI / EXEC, PUBLISH tarmac:weights, INFO, reading heartbeats and the episodes
//            stream, PING.
//   admin    everything.
std::string ReplayAclFile(const ReplayAclPasswords& passwords);

// The replay.* keys of the server (the tables' keys belong to the processes that create them).
const util::OptionTable<ReplayServerOptions>& ReplayServerOptionTable();

// Locates tarmac_replay.so: $TARMAC_REPLAY_MODULE, then beside the running executable (the build
// tree's buffer/redis_module/, the same folder, ../lib/tarmac/), then the path it was built at.
// NotFound listing where it looked.
absl::StatusOr<std::string> FindReplayModule();

// The redis-server command line for `options` (module path resolved). Creates `dir`, with `acl`
// writes <dir>/users.acl, and writes passwords in clear (requirepass, a replica's login to its
// primary) to <dir>/secrets.conf (mode 0600, passed as the config file), never onto the command
// line.
absl::StatusOr<std::vector<std::string>> RedisServerArgv(const ReplayServerOptions& options);

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_REPLAY_SERVER_H_
