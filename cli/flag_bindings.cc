#include "flag_bindings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/cli/config_schema.h"

namespace tarmac::cli {
namespace {

// What --help shows after a flag: its choices ("auto|cuda|cpu") or the type of its value.
std::string TypeName(const ConfigKey& key) {
  switch (key.type) {
    case ConfigType::kChoice:
      return absl::StrJoin(key.choices, "|");
    case ConfigType::kBool:
      return "BOOL";
    case ConfigType::kInt:
      return "INT";
    case ConfigType::kDouble:
      return "NUMBER";
    case ConfigType::kStringList:
      return "LIST";
    case ConfigType::kString:
      break;
  }
  return "TEXT";
}

}  // namespace

CLI::Option* FlagBindings::Bind(CLI::App& app, const std::string& flag, const std::string& key) {
  const ConfigKey* declared = TarmacConfigSchema().Find(key);
  const std::string help =
      declared == nullptr ? key : absl::StrCat(declared->help, " [config: ", key, "]");
  Binding& binding = bindings_.emplace_back();
  binding.flag = flag;
  binding.key = key;
  binding.option = app.add_option(flag, binding.text, help);
  if (declared != nullptr) binding.option->type_name(TypeName(*declared));
  // A bool flag alone means true ("--acl"); "--acl false" still works.
  if (declared != nullptr && declared->type == ConfigType::kBool) binding.option->expected(0, 1);
  return binding.option;
}

absl::Status FlagBindings::ApplyTo(Config& config) const {
  for (const Binding& binding : bindings_) {
    if (binding.option->count() == 0) continue;
    const std::string text = binding.text.empty() ? "true" : binding.text;
    if (absl::Status s = config.Set(binding.key, text, binding.flag); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace tarmac::cli
