#include "tarmac/buffer/replay_server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "redis_connection.h"

namespace tarmac::buffer {
namespace {

std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplayServerProcess>> ReplayServerProcess::Start(
    const ReplayServerOptions& options, const std::string& log_path,
    std::chrono::milliseconds ready_timeout) {
  absl::StatusOr<std::vector<std::string>> argv = RedisServerArgv(options);
  if (!argv.ok()) return argv.status();
  std::vector<char*> args;
  for (std::string& arg : *argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("cannot fork to start redis-server");
  if (pid == 0) {
    // The child: die with the parent (SIGTERM lets Redis flush its AOF), log to the file.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);  // a Ctrl-C on the terminal reaches the parent only; it stops us in order
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  auto process = std::unique_ptr<ReplayServerProcess>(new ReplayServerProcess());
  process->pid_ = pid;
  process->log_path_ = log_path;
  if (!options.unix_socket.empty()) {
    process->endpoint_.host.clear();
    process->endpoint_.unix_path = options.unix_socket;
  } else {
    process->endpoint_.host = "127.0.0.1";
    process->endpoint_.port = options.port;
  }
  process->endpoint_.password = options.password;

  RedisConnection::Options connection_options;
  connection_options.connect_attempts = 1;
  connection_options.timeout = std::chrono::milliseconds(2000);
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return absl::UnavailableError(absl::StrCat(
          "redis-server exited with status ", code,
          code == 127 ? " (is redis-server installed? scripts/bootstrap installs it)" : "",
          " before it was ready; its log ", log_path, " ends with: ", LastLine(log_path)));
    }
    {
      RedisConnection connection(process->endpoint_, connection_options);
      auto reply = connection.Pipeline({{"PING"}});
      // LOADING replies are errors: keep waiting until the AOF is loaded.
      if (reply.ok() && (*reply)[0]->type == REDIS_REPLY_STATUS) return process;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      process->Stop(std::chrono::seconds(5));
      return absl::UnavailableError(absl::StrCat("redis-server did not answer within ",
                                                 ready_timeout.count() / 1000, " s; its log ",
                                                 log_path, " ends with: ", LastLine(log_path)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ReplayServerProcess::~ReplayServerProcess() { Stop(); }

std::string ReplayServerProcess::url() const {
  return endpoint_.unix_path.empty() ? absl::StrCat("redis://127.0.0.1:", endpoint_.port)
                                     : absl::StrCat("unix://", endpoint_.unix_path);
}

bool ReplayServerProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return true;
}

}  // namespace tarmac::buffer
