#include "app.h"

#include <memory>
#include <string>
#include <vector>

#include "actor_command.h"
#include "command.h"
#include "compare_command.h"
#include "config_command.h"
#include "envs_command.h"
#include "eval_command.h"
#include "exit_codes.h"
#include "finetune_command.h"
#include "flag_bindings.h"
#include "learner_command.h"
#include "mine_command.h"
#include "replay_episode_command.h"
#include "replay_server_command.h"
#include "scenario_command.h"
#include "search_command.h"
#include "tarmac/cli/config_schema.h"
#include "tarmac/monitoring/logging.h"
#include "train_command.h"
#include "version_command.h"

namespace tarmac::cli {
namespace {

constexpr char kDescription[] =
    "tarmac: train and align driving policies with reinforcement learning at scale.\n"
    "Simulation actors fill a prioritized replay in Redis; a learner trains SAC and behaviour\n"
    "cloning on it and pushes versioned weights back to the actors.";

constexpr char kFooter[] =
    "Configuration: configs/default.yaml is built in; --config FILE merges yours over it and\n"
    "flags win over both. `tarmac config --keys` lists every key.\n"
    "Exit codes: 0 done, 1 failed while running, 2 bad flags/config/input (nothing was done),\n"
    "3 a compare gate failed, 130 stopped by a signal after a clean shutdown.";

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(std::make_unique<VersionCommand>());
  commands.push_back(std::make_unique<ConfigCommand>());
  commands.push_back(std::make_unique<ReplayServerCommand>());
  commands.push_back(std::make_unique<EnvsCommand>());
  commands.push_back(std::make_unique<EvalCommand>());
  commands.push_back(std::make_unique<ActorCommand>());
  commands.push_back(std::make_unique<LearnerCommand>());
  commands.push_back(std::make_unique<TrainCommand>());
  commands.push_back(std::make_unique<FinetuneCommand>());
  commands.push_back(std::make_unique<MineCommand>());
  commands.push_back(std::make_unique<CompareCommand>());
  commands.push_back(std::make_unique<ReplayEpisodeCommand>());
  commands.push_back(std::make_unique<ScenarioCommand>());
  commands.push_back(std::make_unique<SearchCommand>());
  return commands;
}

// CLI11 messages start lower-case or upper-case and may lack a full stop; make one sentence.
std::string Sentence(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  if (!message.empty() && message.back() != '.') message += '.';
  return message;
}

}  // namespace

int RunApp(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app(kDescription, "tarmac");
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may come after the subcommand too

  FlagBindings flags;
  std::string config_path;
  std::vector<std::string> assignments;
  app.add_option("--config", config_path, "YAML file merged over the built-in defaults");
  app.add_option("--set", assignments, "Set any config key: --set section.key=value (repeatable)");
  flags.Bind(app, "--log-level", "log.level");
  flags.Bind(app, "--log-format", "log.format");

  std::vector<std::unique_ptr<Command>> commands = AllCommands();
  std::vector<CLI::App*> subcommands;
  for (auto& command : commands) subcommands.push_back(command->Register(app, flags));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const std::vector<std::string> extras = app.remaining();
    if (!extras.empty()) {
      std::vector<std::string> names;
      for (CLI::App* sub : subcommands) names.push_back(sub->get_name());
      const std::string nearest = NearestName(extras.front(), names);
      err << "tarmac: '" << extras.front() << "' is not a subcommand or option here"
          << (nearest.empty() ? "" : " (did you mean '" + nearest + "'?)")
          << ". Run 'tarmac --help' for usage.\n";
      return kExitUsage;
    }
    err << "tarmac: " << Sentence(e.what()) << " Run 'tarmac --help' for usage.\n";
    return kExitUsage;
  }

  absl::StatusOr<Config> config = DefaultConfig();
  if (!config.ok()) {
    err << "tarmac: the built-in configuration is broken: " << config.status().message() << "\n";
    return kExitFailure;
  }
  absl::Status merged = absl::OkStatus();
  if (!config_path.empty()) merged = config->MergeYamlFile(config_path);
  for (const std::string& assignment : assignments) {
    if (merged.ok()) merged = config->SetAssignment(assignment);
  }
  if (merged.ok()) merged = flags.ApplyTo(*config);
  if (!merged.ok()) {
    err << "tarmac: " << Sentence(std::string(merged.message())) << "\n";
    return kExitUsage;
  }

  monitoring::LoggingOptions logging;
  absl::Status configured = config->Apply(monitoring::LoggingOptionTable(), logging);
  if (configured.ok()) configured = CheckConversions(*config);
  if (configured.ok()) configured = monitoring::ConfigureLogging(logging);
  if (absl::Status s = configured; !s.ok()) {
    err << "tarmac: " << Sentence(std::string(s.message())) << "\n";
    return kExitUsage;
  }

  const CommandContext context{*config, out, err};
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (subcommands[i]->parsed()) return commands[i]->Run(context);
  }
  err << "tarmac: no subcommand was given. Run 'tarmac --help' for usage.\n";
  return kExitUsage;
}

}  // namespace tarmac::cli
