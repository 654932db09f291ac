#include "tarmac/cli/config_schema.h"

#include "default_config_yaml.h"

namespace tarmac::cli {
namespace {

void AddLogSection(ConfigSchema& schema) {
  schema.Choice("log.level", {"trace", "debug", "info", "warn", "error", "off"},
                "Least severe log level written to stderr.");
  schema.Choice("log.format", {"text", "json"},
                "text for terminals; json writes one object per line for log collectors.");
}

void AddMetricsSection(ConfigSchema& schema) {
  schema.Int("metrics.port", 0, 65535,
             "Port of the process's Prometheus /metrics endpoint; 0 picks a free one.");
  schema.String("metrics.bind", "Address the metrics endpoint binds: 127.0.0.1 or 0.0.0.0.");
}

ConfigSchema BuildSchema() {
  ConfigSchema schema;
  AddLogSection(schema);
  AddMetricsSection(schema);
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
  return config;
}

}  // namespace tarmac::cli
