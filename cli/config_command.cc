#include "config_command.h"

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "exit_codes.h"

namespace tarmac::cli {
namespace {

std::string Describe(const ConfigKey& key) {
  switch (key.type) {
    case ConfigType::kBool:
      return "bool";
    case ConfigType::kInt:
    case ConfigType::kDouble: {
      std::string type = key.type == ConfigType::kInt ? "int" : "number";
      if (key.min || key.max) {
        type += fmt::format(" in [{}, {}]", key.min ? fmt::format("{}", *key.min) : "-inf",
                            key.max ? fmt::format("{}", *key.max) : "inf");
      }
      return type;
    }
    case ConfigType::kString:
      return "string";
    case ConfigType::kChoice:
      return "one of " + absl::StrJoin(key.choices, "|");
    case ConfigType::kStringList:
      return "list of strings";
  }
  return "";
}

}  // namespace

CLI::App* ConfigCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub =
      app.add_subcommand("config", "Print the merged configuration and where each value came from");
  sub->add_flag("--keys", keys_,
                "List every key with its type, bounds, default and meaning instead");
  return sub;
}

int ConfigCommand::Run(const CommandContext& context) {
  if (!keys_) {
    context.out << context.config.ToYaml();
    return kExitOk;
  }
  for (const auto& [name, key] : context.config.schema().keys()) {
    const std::string default_value =
        key.default_value ? FormatConfigValue(*key.default_value) : std::string("-");
    context.out << fmt::format("{:<36} {:<30} {:<16} {}\n", name, Describe(key), default_value,
                               key.help);
  }
  return kExitOk;
}

}  // namespace tarmac::cli
