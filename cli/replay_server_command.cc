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
  return sub;
}

int ReplayServerCommand::Run(const CommandContext& context) {
  const Config& config = context.config;
  buffer::ReplayServerOptions options;
  options.port = static_cast<int>(config.GetInt("replay.port"));
  options.dir = config.GetString("replay.dir");
  options.appendonly = config.GetBool("replay.appendonly");
  options.appendfsync = config.GetString("replay.appendfsync");
  options.bind = config.GetString("replay.bind");
  options.max_payload_bytes = static_cast<std::size_t>(config.GetInt("replay.max_payload_bytes"));
  options.module_path = config.GetString("replay.module");
  options.maxmemory = config.GetString("replay.maxmemory");
  if (const char* password = std::getenv("TARMAC_REDIS_PASSWORD"); password != nullptr) {
    options.password = password;
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
