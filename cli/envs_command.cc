#include "envs_command.h"

#include <fmt/format.h>

#include "exit_codes.h"
#include "tarmac/envs/registry.h"

namespace tarmac::cli {

CLI::App* EnvsCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  return app.add_subcommand("envs", "List the registered environments");
}

int EnvsCommand::Run(const CommandContext& context) {
  const envs::EnvRegistry& registry = envs::EnvRegistry::Global();
  context.out << fmt::format("{:<16} {:>5} {:>7}  {}\n", "env", "obs", "action", "description");
  for (const std::string& name : registry.Names()) {
    absl::StatusOr<std::unique_ptr<envs::Env>> env = registry.Make(name);
    if (!env.ok()) {
      context.err << "tarmac: " << env.status().message() << "\n";
      return kExitFailure;
    }
    const envs::EnvSpec& spec = (*env)->spec();
    context.out << fmt::format("{:<16} {:>5} {:>7}  {}\n", name, spec.observation_size,
                               spec.action_size, registry.Description(name));
  }
  return kExitOk;
}

}  // namespace tarmac::cli
