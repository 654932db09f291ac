#ifndef TARMAC_CLI_FLAG_BINDINGS_H_
#define TARMAC_CLI_FLAG_BINDINGS_H_

#include <CLI/CLI.hpp>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "tarmac/cli/config.h"

namespace tarmac::cli {

// Flags that stand for config keys ("--metrics-port" for metrics.port). CLI11 stores the text;
// ApplyTo sets the keys after the config files are merged, so flags win. Not thread-safe.
class FlagBindings {
 public:
  // Adds `flag` to `app` as a value option for `key`; the help text is the key's own. A bool
  // key's flag may stand alone for true.
  CLI::Option* Bind(CLI::App& app, const std::string& flag, const std::string& key);

  // Sets every flag that was given; the first bad value is the error, naming the flag.
  absl::Status ApplyTo(Config& config) const;

 private:
  struct Binding {
    std::string flag;
    std::string key;
    std::string text;
    CLI::Option* option = nullptr;
  };
  std::deque<Binding> bindings_;  // stable addresses: CLI11 keeps pointers to `text`
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_FLAG_BINDINGS_H_
