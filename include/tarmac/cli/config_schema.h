#ifndef TARMAC_CLI_CONFIG_SCHEMA_H_
#define TARMAC_CLI_CONFIG_SCHEMA_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/cli/config.h"

namespace tarmac::cli {

// Every key of tarmac's configuration: the option tables of the subsystems, gathered in
// config_schema.cc.
// Built on first use; thread-safe.
const ConfigSchema& TarmacConfigSchema();

// configs/default.yaml as compiled into the binary.
absl::string_view DefaultConfigYaml();

// A config holding the embedded defaults, checked complete against the schema and equal to
// the declared defaults.
absl::StatusOr<Config> DefaultConfig();

// InvalidArgument (one sentence naming the key) when a value passes its key's type but not the
// conversion code does (a list that is not numbers, an unknown event name).
absl::Status CheckConversions(const Config& config);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_CONFIG_SCHEMA_H_
