#ifndef TARMAC_TESTS_SUPPORT_REDIS_SERVER_H_
#define TARMAC_TESTS_SUPPORT_REDIS_SERVER_H_

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "subprocess.h"

namespace tarmac::testing {

// A real redis-server with the tarmac_replay module, on a free loopback port, in its own
// directory, stopped by PID when destroyed. Not thread-safe.
class RedisServer {
 public:
  struct Options {
    std::string dir;                      // data dir; a fresh temp dir when empty
    std::vector<std::string> extra_args;  // e.g. {"--appendonly", "yes"}
    int port = 0;                         // 0: a free one
    bool load_module = true;
    std::string module_args;  // e.g. "MAX_PAYLOAD 1024"
    std::string password;     // sets requirepass; the test connection AUTHs
    std::string user;         // with password: an ACL user (given by an --aclfile in
                              // extra_args) the test connection AUTHs as; no requirepass
    // Put before redis-server's argv: a wrapper that execs it (keeping the PID), e.g. one that
    // mounts a small tmpfs on the data dir in a mount namespace (see TmpfsLauncher).
    std::vector<std::string> launcher;
  };

  // The command line Start runs for these options, port and data dir.
  static std::vector<std::string> CommandLine(const Options& options, int port,
                                              const std::string& dir);

  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start() { return Start(Options{}); }
  ~RedisServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_.pid(); }

  // Runs one command on this test's own connection; the reply (never null unless the
  // connection is lost).
  struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
  Reply Run(const std::vector<std::string>& args);

  // The reply as one line of text, for assertions on errors and simple values.
  std::string RunText(const std::vector<std::string>& args);

  // Opens this test's connection again (e.g. after Sentinel's CLIENT KILL during a failover).
  absl::Status Reconnect() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
    return WaitReady(user_, password_);
  }

  // Stops with SIGKILL (no save) or SIGTERM (Redis saves if configured), keeping the dir.
  void Kill(int signal);

 private:
  RedisServer() = default;
  absl::Status WaitReady(const std::string& user, const std::string& password);

  std::unique_ptr<TempDir> owned_dir_;
  std::string dir_;
  std::string user_, password_;
  int port_ = 0;
  Subprocess process_;
  redisContext* context_ = nullptr;
};

// The redis-server binary the tests run (redis-sentinel is the same binary with --sentinel).
const char* RedisServerBinary();

// A launcher (Options::launcher) that runs redis-server in a new user and mount namespace with
// a tmpfs of `bytes` mounted on `dir`; the test sees that tmpfs at /proc/<pid>/root<dir>.
std::vector<std::string> TmpfsLauncher(const std::string& dir, std::size_t bytes);

// Renders a reply as text: strings/status/errors as they are, integers in decimal, arrays as
// "[a, b, ...]", nil as "(nil)".
std::string ReplyText(const redisReply* reply);

}  // namespace tarmac::testing

#endif  // TARMAC_TESTS_SUPPORT_REDIS_SERVER_H_
