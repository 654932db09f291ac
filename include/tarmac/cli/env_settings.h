#ifndef TARMAC_CLI_ENV_SETTINGS_H_
#define TARMAC_CLI_ENV_SETTINGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "tarmac/cli/config.h"
#include "tarmac/envs/env_config.h"

namespace tarmac::cli {

// The `env` section of a merged configuration as the envs take it: reward weights and
// composition, event thresholds, the scenario parameters. InvalidArgument (one sentence naming
// the key) for a value the env cannot take, e.g. a range with min > max.
absl::StatusOr<envs::EnvConfig> EnvConfigFrom(const Config& config);

// `env.name`: the registered env actors and the learner use.
std::string EnvNameFrom(const Config& config);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_ENV_SETTINGS_H_
