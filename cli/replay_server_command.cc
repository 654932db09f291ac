#include "replay_server_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "exit_codes.h"
#include "tarmac/buffer/replay_server.h"

namespace tarmac::cli {

CLI::App* ReplayServerCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "replay-server", "Run a redis-server with the tarmac_replay module (replay shard)");
  flags.Bind(*sub, "--port", "replay.port");
  flags.Bind(*sub, "--dir", "replay.dir");
  flags.Bind(*sub, "--appendonly", "replay.appendonly");
  flags.Bind(*sub, "--bind", "replay.bind");
  flags.Bind(*sub, "--maxmemory", "replay.maxmemory");
  flags.Bind(*sub, "--acl", "replay.acl");
  flags.Bind(*sub, "--replicaof", "replay.replicaof");
  return sub;
}

int ReplayServerCommand::Run(const CommandContext& context) {
  const Config& config = context.config;
  buffer::ReplayServerOptions options;
  if (absl::Status s = config.Apply(buffer::ReplayServerOptionTable(), options); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitUsage;
  }
  if (const char* password = std::getenv("TARMAC_REDIS_PASSWORD"); password != nullptr) {
    options.password = password;
  }
  for (auto [variable, field] :
       {std::pair{"TARMAC_REDIS_ACTOR_PASSWORD", &options.acl_passwords.actor},
        std::pair{"TARMAC_REDIS_LEARNER_PASSWORD", &options.acl_passwords.learner},
        std::pair{"TARMAC_REDIS_ADMIN_PASSWORD", &options.acl_passwords.admin}}) {
    if (const char* value = std::getenv(variable); value != nullptr) *field = value;
  }
  absl::StatusOr<std::vector<std::string>> argv = buffer::RedisServerArgv(options);
  if (!argv.ok()) {
    context.err << "tarmac: " << argv.status().message() << ".\n";
    return argv.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  spdlog::info("replay server on {}:{} (data in {}, AOF {})", options.bind, options.port,
               options.dir, options.appendonly ? "on" : "off");
  std::vector<char*> args;
  for (std::string& arg : *argv) args.push_back(arg.data());
  args.push_back(nullptr);
  context.out.flush();
  execvp(args[0], args.data());
  context.err << "tarmac: cannot run " << options.redis_server << ": " << std::strerror(errno)
              << "; install redis-server (scripts/bootstrap).\n";
  return kExitFailure;
}

}  // namespace tarmac::cli
