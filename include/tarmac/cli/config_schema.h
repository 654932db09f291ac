#ifndef TARMAC_CLI_CONFIG_SCHEMA_H_
#define TARMAC_CLI_CONFIG_SCHEMA_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/cli/config.h"

namespace tarmac::cli {

// Every key of tarmac's configuration; each subsystem adds its section in config_schema.cc.
// Built on first use; thread-safe.
const ConfigSchema& TarmacConfigSchema();

// configs/default.yaml as compiled into the binary.
absl::string_view DefaultConfigYaml();

// A config holding the embedded defaults, checked complete against the schema.
absl::StatusOr<Config> DefaultConfig();

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_CONFIG_SCHEMA_H_
