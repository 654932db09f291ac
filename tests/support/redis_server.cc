#include "redis_server.h"

#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tarmac::testing {

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(Options options) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  if (options.dir.empty()) {
    server->owned_dir_ = std::make_unique<TempDir>();
    server->dir_ = server->owned_dir_->path();
  } else {
    server->dir_ = options.dir;
  }
  server->port_ = options.port != 0 ? options.port : FreeLoopbackPort();
  const std::vector<std::string> argv = CommandLine(options, server->port_, server->dir_);
  absl::StatusOr<Subprocess> process = Subprocess::Start(argv, server->dir_ + "/redis.log");
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);
  server->user_ = options.user;
  server->password_ = options.password;
  if (absl::Status s = server->WaitReady(options.user, options.password); !s.ok()) return s;
  return server;
}

std::vector<std::string> RedisServer::CommandLine(const Options& options, int port,
                                                  const std::string& dir) {
  std::vector<std::string> argv = options.launcher;
  argv.insert(argv.end(),
              {TARMAC_REDIS_SERVER, "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir",
               dir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"});
  if (options.load_module) {
    argv.insert(argv.end(), {"--loadmodule", TARMAC_REPLAY_MODULE});
    for (absl::string_view arg : absl::StrSplit(options.module_args, ' ', absl::SkipEmpty())) {
      argv.emplace_back(arg);
    }
  }
  if (!options.password.empty() && options.user.empty()) {
    argv.insert(argv.end(), {"--requirepass", options.password});
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  return argv;
}

const char* RedisServerBinary() { return TARMAC_REDIS_SERVER; }

std::vector<std::string> TmpfsLauncher(const std::string& dir, std::size_t bytes) {
  return {"unshare",
          "--user",
          "--map-root-user",
          "--mount",
          "--",
          "/bin/sh",
          "-c",
          "mount -t tmpfs -o size=\"$0\" tmpfs \"$1\" && shift && exec \"$@\"",
          std::to_string(bytes),
          dir};
}

absl::Status RedisServer::WaitReady(const std::string& user, const std::string& password) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (!process_.Running()) {
      return absl::InternalError(absl::StrCat("redis-server exited; see ", dir_, "/redis.log"));
    }
    timeval tv{1, 0};
    context_ = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (context_ != nullptr && context_->err == 0) {
      redisSetTimeout(context_, timeval{30, 0});
      if (!password.empty() && user.empty()) Run({"AUTH", password});
      if (!password.empty() && !user.empty()) Run({"AUTH", user, password});
      Reply reply = Run({"PING"});
      // While loading a dataset Redis answers LOADING; wait until it is done.
      if (reply && reply->type == REDIS_REPLY_STATUS) return absl::OkStatus();
    }
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return absl::DeadlineExceededError("redis-server did not become ready in 5 s");
}

RedisServer::~RedisServer() {
  if (context_ != nullptr) redisFree(context_);
  process_.Stop(SIGKILL);
}

void RedisServer::Kill(int signal) {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
  process_.Stop(signal, std::chrono::seconds(30));
}

RedisServer::Reply RedisServer::Run(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (context_ == nullptr) return nullptr;
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

std::string RedisServer::RunText(const std::vector<std::string>& args) {
  Reply reply = Run(args);
  return reply ? ReplyText(reply.get()) : "(connection lost)";
}

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> parts;
      for (std::size_t i = 0; i < r->elements; ++i) parts.push_back(ReplyText(r->element[i]));
      return "[" + absl::StrJoin(parts, ", ") + "]";
    }
    default:
      return "(unknown)";
  }
}

}  // namespace tarmac::testing
