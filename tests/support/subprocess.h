#ifndef TARMAC_TESTS_SUPPORT_SUBPROCESS_H_
#define TARMAC_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tarmac::testing {

// A child process started with fork/exec, stopped by its PID. The destructor sends SIGTERM,
// then SIGKILL after a grace period, and reaps the child, so a failing test leaves no server
// behind. Not thread-safe; non-copyable.
class Subprocess {
 public:
  // argv[0] is looked up in PATH. stdout and stderr go to `log_path` (appended) when given.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::string& log_path = "");

  Subprocess() = default;  // no child
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // True while the child has not exited (reaps it when it has).
  bool Running();

  // Sends `signal` and waits up to `timeout` for the exit; SIGKILL after that. Returns the exit
  // status as waitpid reports it, or -1 when there was no child.
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Waits up to `timeout` for the child to exit by itself; its exit code, or an error.
  absl::StatusOr<int> Wait(std::chrono::milliseconds timeout);

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = 0;
};

// The result of running a command to completion.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv to completion (bounded by `timeout`, then killed) and captures its output.
absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(30),
    const std::string& stdin_text = "");

// A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then released).
int FreeLoopbackPort();

// A minimal HTTP/1.0 GET to 127.0.0.1:port; the status code and body.
struct HttpResponse {
  int status = 0;
  std::string body;
};
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A fresh directory under the system temp dir, removed with its content by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tarmac::testing

#endif  // TARMAC_TESTS_SUPPORT_SUBPROCESS_H_
