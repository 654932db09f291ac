#include "actor_command.h"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "exit_codes.h"
#include "job_settings.h"
#include "tarmac/actors/system_config.h"

namespace tarmac::cli {

CLI::App* ActorCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "actor", "Run rollout actors that fill a replay table (scale by running more of these)");
  flags.Bind(*sub, "--redis", "replay.urls");
  flags.Bind(*sub, "--policy", "actor.policy");
  flags.Bind(*sub, "--table", "actor.table");
  flags.Bind(*sub, "--env", "env.name");
  flags.Bind(*sub, "--actors", "actor.actors");
  flags.Bind(*sub, "--envs-per-actor", "actor.envs_per_actor");
  flags.Bind(*sub, "--metrics-port", "metrics.port");
  flags.Bind(*sub, "--max-env-steps", "actor.max_env_steps");
  return sub;
}

int ActorCommand::Run(const CommandContext& context) {
  auto options = RolloutOptionsFrom(context.config);
  if (!options.ok()) {
    context.err << "tarmac: " << options.status().message() << ".\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  auto result = RunJobCommand(context, &exit_code, [&](auto& system, auto& metrics, auto& stop) {
    return actors::RunRolloutJob(system, *options, metrics, stop);
  });
  if (!result) return exit_code;
  spdlog::info(
      "actor {} done: {} env steps, {} transitions ({} written, {} unwritten), {} episodes, "
      "{} restarts, {} weight swaps, policy v{} in {:.1f} s",
      result->actor_id, result->env_steps, result->transitions, result->written, result->unwritten,
      result->episodes, result->restarts, result->weight_swaps, result->policy_version,
      result->seconds);
  return result->unwritten > 0 ? kExitFailure : exit_code;
}

}  // namespace tarmac::cli
