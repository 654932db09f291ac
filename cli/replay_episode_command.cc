#include "replay_episode_command.h"

#include "episode_sources.h"
#include "exit_codes.h"
#include "tarmac/envs/episode_recorder.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::cli {

CLI::App* ReplayEpisodeCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub = app.add_subcommand(
      "replay-episode", "Re-run logged episodes and check each matches its log bit for bit");
  sub->add_option("logs", sources_, "Episode logs, or directories of them (an eval --out DIR)")
      ->required();
  return sub;
}

int ReplayEpisodeCommand::Run(const CommandContext& context) {
  absl::StatusOr<std::vector<std::string>> files = EpisodeLogFiles(sources_);
  if (!files.ok()) {
    context.err << "tarmac: " << files.status().message() << ".\n";
    return kExitUsage;
  }
  // Every log is read before any is replayed, so a bad one stops the command before work.
  std::vector<schemas::EpisodeLog> logs;
  for (const std::string& file : *files) {
    absl::StatusOr<schemas::EpisodeLog> log = schemas::ReadEpisodeLogFile(file);
    if (!log.ok()) {
      context.err << "tarmac: " << log.status().message() << ".\n";
      return kExitUsage;
    }
    logs.push_back(std::move(*log));
  }
  int mismatches = 0;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const absl::Status s = envs::ReplayEpisodeLog(logs[i]);
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      context.err << "tarmac: " << (*files)[i] << ": " << s.message() << ".\n";
      return kExitUsage;
    }
    if (!s.ok()) {
      context.out << "replay-episode: " << (*files)[i] << " differs: " << s.message() << "\n";
      ++mismatches;
    }
  }
  context.out << "replay-episode: " << logs.size() - mismatches << " of " << logs.size()
              << " episodes replay bit-identically\n";
  return mismatches == 0 ? kExitOk : kExitFailure;
}

}  // namespace tarmac::cli
