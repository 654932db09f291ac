#ifndef TARMAC_CLI_CONFIG_H_
#define TARMAC_CLI_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tarmac/util/option_table.h"

namespace tarmac::cli {

using ConfigType = util::OptionType;
using ConfigValue = util::OptionValue;

// One configuration key: dotted name ("learner.batch_size"), type, default, bounds, help.
using ConfigKey = util::OptionInfo;

// Every key tarmac understands. Each subsystem declares its keys once, in the OptionTable of
// the options struct they set (name, bounds, help, and the struct's default); config_schema.cc
// gathers those tables. configs/default.yaml, embedded in the binary, is the commented copy
// users read and must hold exactly the declared defaults (DefaultConfig checks it). Immutable
// after construction; thread-safe to read.
class ConfigSchema {
 public:
  // Every key of `table`, with its default. Declaring a key twice is a programming error.
  template <class Options>
  ConfigSchema& Declare(const util::OptionTable<Options>& table) {
    for (const auto& entry : table.entries()) Add(entry.info);
    return *this;
  }
  // Keys without a default (for configs assembled by hand, e.g. in tests).
  ConfigSchema& Bool(std::string name, std::string help);
  ConfigSchema& Int(std::string name, std::optional<double> min, std::optional<double> max,
                    std::string help);
  ConfigSchema& Double(std::string name, std::optional<double> min, std::optional<double> max,
                       std::string help);
  ConfigSchema& String(std::string name, std::string help);
  ConfigSchema& Choice(std::string name, std::vector<std::string> choices, std::string help);
  ConfigSchema& StringList(std::string name, std::string help);

  const ConfigKey* Find(absl::string_view name) const;
  // True when `name` is a section ("learner") that holds keys.
  bool IsSection(absl::string_view name) const;
  // The known key nearest to `name` by edit distance when it is a likely typo, else empty.
  std::string Suggest(absl::string_view name) const;
  const std::map<std::string, ConfigKey, std::less<>>& keys() const { return keys_; }

 private:
  ConfigSchema& Add(ConfigKey key);
  std::map<std::string, ConfigKey, std::less<>> keys_;
};

// Values for every key of a schema, merged in layers: the embedded defaults, then YAML files,
// then flags; the last layer wins. Every merge is all-or-nothing: a bad value leaves the config
// as it was and returns InvalidArgument with one sentence naming the key and where it came from.
// Not thread-safe to merge; thread-safe to read once built.
class Config {
 public:
  // Empty; Merge the defaults before use (Config::Defaults does).
  explicit Config(const ConfigSchema* schema) : schema_(schema) {}

  // Merges YAML text; `origin` names it in errors (a file path, "default.yaml", "--set").
  absl::Status MergeYaml(absl::string_view text, absl::string_view origin);
  // Reads and merges a YAML file; NotFound when it cannot be read.
  absl::Status MergeYamlFile(const std::string& path);
  // Sets one key from flag text (parsed per the key's type); `origin` is the flag ("--actors").
  absl::Status Set(absl::string_view key, absl::string_view text, absl::string_view origin);
  // Parses "key=value" as given to --set.
  absl::Status SetAssignment(absl::string_view assignment);

  // Takes every value `other` holds that did not come from the defaults (a file, a flag), with
  // its origin: the explicit settings of one invocation laid over another config. Both must
  // share a schema.
  void OverlayExplicit(const Config& other);

  // FailedPrecondition naming the first key no layer has set.
  absl::Status CheckComplete() const;
  // FailedPrecondition naming the first key whose value differs from its declared default
  // (numbers within a relative 1e-6, for fields stored as float): the defaults file against
  // the declarations.
  absl::Status CheckDeclaredDefaults(absl::string_view file) const;

  // Typed reads. Reading an unknown key or with the wrong type is a programming error and
  // aborts with the key's name.
  bool GetBool(absl::string_view key) const;
  std::int64_t GetInt(absl::string_view key) const;
  double GetDouble(absl::string_view key) const;
  const std::string& GetString(absl::string_view key) const;
  const std::vector<std::string>& GetStringList(absl::string_view key) const;

  // The value of a declared key, whatever its type.
  const ConfigValue& Value(absl::string_view key) const;
  // Fills `options` from every key of `table` (all declared in this config's schema).
  template <class Options>
  absl::Status Apply(const util::OptionTable<Options>& table, Options& options) const {
    return table.Apply([this](const std::string& key) -> const ConfigValue& { return Value(key); },
                       options);
  }

  // Where the key's value came from: "default", a file path, a flag.
  std::string Origin(absl::string_view key) const;

  // The whole config as YAML, sections nested, each value commented with its origin.
  std::string ToYaml() const;

  const ConfigSchema& schema() const { return *schema_; }

 private:
  struct Entry {
    ConfigValue value;
    std::string origin;
  };
  const Entry& Lookup(absl::string_view key, ConfigType type) const;

  const ConfigSchema* schema_;
  std::map<std::string, Entry, std::less<>> values_;
};

// The name in `known` nearest to `name` by edit distance when it is a likely typo (within a
// quarter of its length, at least 2 edits), else empty. For "did you mean" hints. O(sum of
// lengths^2).
std::string NearestName(absl::string_view name, const std::vector<std::string>& known);

// `value` as YAML writes it in flow style: 256, 0.0003, "", [hard_brake, cut_in].
std::string FormatConfigValue(const ConfigValue& value);

// Parses `text` as a value of `key`'s type and checks bounds and choices. The error sentence
// names the key and `origin`.
absl::Status ParseConfigValue(const ConfigKey& key, absl::string_view text,
                              absl::string_view origin, ConfigValue* out);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_CONFIG_H_
