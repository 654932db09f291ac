#include "tarmac/cli/env_settings.h"

namespace tarmac::cli {

absl::StatusOr<envs::EnvConfig> EnvConfigFrom(const Config& config) {
  envs::EnvConfig env;
  if (absl::Status s = config.Apply(envs::EnvConfigTable(), env); !s.ok()) return s;
  if (absl::Status s = env.scenario.Validate(); !s.ok()) return s;
  return env;
}

std::string EnvNameFrom(const Config& config) { return config.GetString("env.name"); }

}  // namespace tarmac::cli
