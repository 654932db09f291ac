#include "tarmac/cli/config_schema.h"

#include <string>

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

void AddReplaySection(ConfigSchema& schema) {
  schema.Int("replay.port", 0, 65535, "TCP port of `tarmac replay-server` (0: unix socket only).");
  schema.String("replay.bind", "Address the replay server listens on.");
  schema.String("replay.dir", "Data directory of the replay server (RDB and AOF files).");
  schema.Bool("replay.appendonly", "Log every write to the AOF (survives a crash).");
  schema.Choice("replay.appendfsync", {"always", "everysec", "no"},
                "AOF fsync policy: always loses nothing acknowledged, everysec at most 1 s.");
  schema.Int("replay.max_payload_bytes", 1, 4294967296.0,
             "Largest item payload the replay module accepts.");
  schema.String("replay.module", "Path of tarmac_replay.so; empty finds it beside the binary.");
}

void AddEnvSection(ConfigSchema& schema) {
  schema.String("env.name", "Registered env the actors run (`tarmac envs` lists them).");
  schema.Double("env.episode_seconds", 1, 600, "Episode length before truncation, s.");
  schema.Double("env.speed_limit", 1, 70, "Speed limit of the scenarios, m/s.");
  schema.Choice("env.reward.composition", {"additive", "multiplicative"},
                "additive: weighted sum of terms; multiplicative: nuPlan-like (a collision or "
                "leaving the road zeroes the step, the rest is a weighted average).");
  for (const char* term :
       {"progress", "speed", "collision", "off_road", "centring", "jerk", "lateral_accel", "ttc"}) {
    schema.Double(std::string("env.reward.") + term, 0, 1000,
                  std::string("Weight of the ") + term + " reward term.");
  }
  schema.Double("env.events.hard_brake_accel", -20, 0,
                "hard_brake fires below this longitudinal acceleration, m/s^2.");
  schema.Double("env.events.near_miss_ttc", 0, 10, "near_miss fires below this TTC, s.");
  schema.Double("env.events.lane_departure_seconds", 0, 60,
                "lane_departure fires after straddling a lane line this long, s.");
  schema.Double("env.events.cut_in_ttc", 0, 20,
                "cut_in fires when a new leader arrives with a TTC below this, s.");
  schema.Double("env.events.cut_in_headway", 0, 10, "... or with a time headway below this, s.");
}

ConfigSchema BuildSchema() {
  ConfigSchema schema;
  AddLogSection(schema);
  AddMetricsSection(schema);
  AddReplaySection(schema);
  AddEnvSection(schema);
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
