#include "tarmac/cli/config_schema.h"

#include <string>

#include "default_config_yaml.h"
#include "job_settings.h"
#include "tarmac/actors/learner_job.h"
#include "tarmac/actors/rollout_job.h"
#include "tarmac/buffer/replay_server.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/monitoring/exposer.h"
#include "tarmac/monitoring/logging.h"
#include "train/finetune_settings.h"
#include "train/train_settings.h"

namespace tarmac::cli {
namespace {

// Fills a default `Options` from `config` through `table`: the conversions that code does (a
// list of numbers, event names) fail here, at start-up, for every command.
template <class Options>
absl::Status Converts(const Config& config, const util::OptionTable<Options>& table) {
  Options options;
  return config.Apply(table, options);
}

ConfigSchema BuildSchema() {
  ConfigSchema schema;
  schema.Declare(monitoring::LoggingOptionTable());
  schema.Declare(monitoring::ExposerOptionTable());
  schema.Declare(buffer::ReplayServerOptionTable());
  schema.Declare(ReplayTablesTable());
  schema.Declare(envs::EnvConfigTable());
  schema.Declare(actors::LearnerJobOptionTable());
  schema.Declare(actors::RolloutJobOptionTable());
  schema.Declare(train::TrainSettingsTable());
  schema.Declare(train::FinetuneSettingsTable());
  return schema;
}

}  // namespace

const ConfigSchema& TarmacConfigSchema() {
  static const ConfigSchema* const schema = new ConfigSchema(BuildSchema());
  return *schema;
}

absl::string_view DefaultConfigYaml() { return kDefaultConfigYaml; }

absl::StatusOr<Config> DefaultConfig() {
  Config config(&TarmacConfigSchema());
  if (absl::Status s = config.MergeYaml(DefaultConfigYaml(), "default"); !s.ok()) return s;
  if (absl::Status s = config.CheckComplete(); !s.ok()) return s;
  if (absl::Status s = config.CheckDeclaredDefaults("configs/default.yaml"); !s.ok()) return s;
  return config;
}

absl::Status CheckConversions(const Config& config) {
  for (absl::Status s :
       {Converts(config, monitoring::LoggingOptionTable()),
        Converts(config, envs::EnvConfigTable()), Converts(config, actors::LearnerJobOptionTable()),
        Converts(config, actors::RolloutJobOptionTable())}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace tarmac::cli
