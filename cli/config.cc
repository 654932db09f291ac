#include "tarmac/cli/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tarmac::cli {
namespace {

// "in configs/x.yaml" for files, "given by --actors" for flags.
std::string Where(absl::string_view origin) {
  if (absl::StartsWith(origin, "--")) return absl::StrCat("given by ", origin);
  return absl::StrCat("in ", origin);
}

std::string TypeName(const ConfigKey& key) {
  switch (key.type) {
    case ConfigType::kBool:
      return "true or false";
    case ConfigType::kInt:
      return "an integer";
    case ConfigType::kDouble:
      return "a number";
    case ConfigType::kString:
      return "a string";
    case ConfigType::kChoice:
      return absl::StrCat("one of ", absl::StrJoin(key.choices, ", "));
    case ConfigType::kStringList:
      return "a list of strings";
  }
  return "a value";
}

std::size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

absl::Status CheckBounds(const ConfigKey& key, double value, absl::string_view text,
                         absl::string_view origin) {
  if (key.min && value < *key.min) {
    return absl::InvalidArgumentError(absl::StrCat("key '", key.name, "' ", Where(origin), " is ",
                                                   text, ", below the minimum ",
                                                   fmt::format("{}", *key.min)));
  }
  if (key.max && value > *key.max) {
    return absl::InvalidArgumentError(absl::StrCat("key '", key.name, "' ", Where(origin), " is ",
                                                   text, ", above the maximum ",
                                                   fmt::format("{}", *key.max)));
  }
  return absl::OkStatus();
}

absl::Status WrongType(const ConfigKey& key, absl::string_view origin, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("key '", key.name, "' ", Where(origin),
                                                 " must be ", TypeName(key), ", not ", what));
}

[[noreturn]] void Die(absl::string_view message) {
  std::fprintf(stderr, "tarmac: internal error: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::abort();
}

std::string FormatValue(const ConfigValue& value) {
  struct Visitor {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(std::int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<std::string>& v) const {
      return absl::StrJoin(v, ",");
    }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace

ConfigSchema& ConfigSchema::Add(ConfigKey key) {
  std::string name = key.name;
  if (!keys_.emplace(std::move(name), std::move(key)).second) {
    Die("a config key is declared twice");
  }
  return *this;
}

ConfigSchema& ConfigSchema::Bool(std::string name, std::string help) {
  return Add({std::move(name), ConfigType::kBool, {}, {}, {}, {}, std::move(help)});
}
ConfigSchema& ConfigSchema::Int(std::string name, std::optional<double> min,
                                std::optional<double> max, std::string help) {
  return Add({std::move(name), ConfigType::kInt, {}, min, max, {}, std::move(help)});
}
ConfigSchema& ConfigSchema::Double(std::string name, std::optional<double> min,
                                   std::optional<double> max, std::string help) {
  return Add({std::move(name), ConfigType::kDouble, {}, min, max, {}, std::move(help)});
}
ConfigSchema& ConfigSchema::String(std::string name, std::string help) {
  return Add({std::move(name), ConfigType::kString, {}, {}, {}, {}, std::move(help)});
}
ConfigSchema& ConfigSchema::Choice(std::string name, std::vector<std::string> choices,
                                   std::string help) {
  return Add(
      {std::move(name), ConfigType::kChoice, {}, {}, {}, std::move(choices), std::move(help)});
}
ConfigSchema& ConfigSchema::StringList(std::string name, std::string help) {
  return Add({std::move(name), ConfigType::kStringList, {}, {}, {}, {}, std::move(help)});
}

const ConfigKey* ConfigSchema::Find(absl::string_view name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

bool ConfigSchema::IsSection(absl::string_view name) const {
  const std::string prefix = absl::StrCat(name, ".");
  auto it = keys_.lower_bound(prefix);
  return it != keys_.end() && absl::StartsWith(it->first, prefix);
}

std::string ConfigSchema::Suggest(absl::string_view name) const {
  std::vector<std::string> candidates;
  for (const auto& [known, key] : keys_) {
    candidates.push_back(known);
    // Sections too: "trian" suggests "train".
    for (std::size_t dot = known.find('.'); dot != std::string::npos;
         dot = known.find('.', dot + 1)) {
      candidates.push_back(known.substr(0, dot));
    }
  }
  return NearestName(name, candidates);
}

std::string NearestName(absl::string_view name, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
  for (const std::string& candidate : known) {
    const std::size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

absl::Status ParseConfigValue(const ConfigKey& key, absl::string_view text,
                              absl::string_view origin, ConfigValue* out) {
  const std::string quoted = absl::StrCat("'", text, "'");
  switch (key.type) {
    case ConfigType::kBool: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower == "true" || lower == "yes" || lower == "on") {
        *out = true;
      } else if (lower == "false" || lower == "no" || lower == "off") {
        *out = false;
      } else {
        return WrongType(key, origin, quoted);
      }
      return absl::OkStatus();
    }
    case ConfigType::kInt: {
      std::int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) return WrongType(key, origin, quoted);
      if (absl::Status s = CheckBounds(key, static_cast<double>(value), text, origin); !s.ok()) {
        return s;
      }
      *out = value;
      return absl::OkStatus();
    }
    case ConfigType::kDouble: {
      double value = 0;
      const std::string lower = absl::AsciiStrToLower(text);
      const bool yaml_non_finite =
          lower == ".nan" || lower == ".inf" || lower == "-.inf" || lower == "+.inf";
      if (!yaml_non_finite && !absl::SimpleAtod(text, &value)) {
        return WrongType(key, origin, quoted);
      }
      if (yaml_non_finite || !std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrCat("key '", key.name, "' ", Where(origin),
                                                       " must be a finite number, not ", quoted));
      }
      if (absl::Status s = CheckBounds(key, value, text, origin); !s.ok()) return s;
      *out = value;
      return absl::OkStatus();
    }
    case ConfigType::kString:
      *out = std::string(text);
      return absl::OkStatus();
    case ConfigType::kChoice:
      if (std::find(key.choices.begin(), key.choices.end(), text) == key.choices.end()) {
        return WrongType(key, origin, quoted);
      }
      *out = std::string(text);
      return absl::OkStatus();
    case ConfigType::kStringList: {
      std::vector<std::string> items;
      // "a, b" or, as in YAML, "[a, b]".
      absl::string_view list = absl::StripAsciiWhitespace(text);
      if (list.size() >= 2 && list.front() == '[' && list.back() == ']') {
        list = absl::StripAsciiWhitespace(list.substr(1, list.size() - 2));
      }
      if (!list.empty()) {
        for (absl::string_view item : absl::StrSplit(list, ',')) {
          items.emplace_back(absl::StripAsciiWhitespace(item));
        }
      }
      *out = std::move(items);
      return absl::OkStatus();
    }
  }
  return WrongType(key, origin, quoted);
}

namespace {

// Merges one YAML mapping under `prefix` into `staged`.
absl::Status MergeNode(const ConfigSchema& schema, const YAML::Node& node,
                       const std::string& prefix, absl::string_view origin,
                       std::map<std::string, ConfigValue, std::less<>>* staged) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ": a key under '",
                                                     prefix.empty() ? "<top level>" : prefix,
                                                     "' is not a plain name"));
    }
    const std::string name =
        prefix.empty() ? it->first.Scalar() : absl::StrCat(prefix, ".", it->first.Scalar());
    const YAML::Node value = it->second;
    const ConfigKey* key = schema.Find(name);
    if (key == nullptr) {
      if (schema.IsSection(name)) {
        if (value.IsNull()) continue;  // an empty section changes nothing
        if (!value.IsMap()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "'", name, "' ", Where(origin), " is a section; give its keys as a mapping"));
        }
        if (absl::Status s = MergeNode(schema, value, name, origin, staged); !s.ok()) return s;
        continue;
      }
      const std::string suggestion = schema.Suggest(name);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown ", value.IsMap() ? "section" : "key", " '", name, "' ", Where(origin),
          suggestion.empty() ? "" : absl::StrCat(" (did you mean '", suggestion, "'?)")));
    }
    ConfigValue parsed;
    if (key->type == ConfigType::kStringList) {
      if (!value.IsSequence()) return WrongType(*key, origin, "a single value");
      std::vector<std::string> items;
      for (const YAML::Node& item : value) {
        if (!item.IsScalar()) return WrongType(*key, origin, "a nested structure");
        items.push_back(item.Scalar());
      }
      parsed = std::move(items);
    } else if (value.IsNull()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", name, "' ", Where(origin), " has no value"));
    } else if (!value.IsScalar()) {
      return WrongType(*key, origin, value.IsMap() ? "a mapping" : "a list");
    } else if (absl::Status s = ParseConfigValue(*key, value.Scalar(), origin, &parsed); !s.ok()) {
      return s;
    }
    (*staged)[name] = std::move(parsed);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Config::MergeYaml(absl::string_view text, absl::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, " is not valid YAML (line ",
                                                   e.mark.line + 1, ", column ", e.mark.column + 1,
                                                   "): ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, " must be a mapping of sections such as 'log:' at its top level"));
  }
  std::map<std::string, ConfigValue, std::less<>> staged;
  if (absl::Status s = MergeNode(*schema_, root, "", origin, &staged); !s.ok()) return s;
  for (auto& [name, value] : staged) values_[name] = {std::move(value), std::string(origin)};
  return absl::OkStatus();
}

absl::Status Config::MergeYamlFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read config file '", path, "'"));
  }
  std::stringstream text;
  text << file.rdbuf();
  return MergeYaml(text.str(), path);
}

absl::Status Config::Set(absl::string_view key_name, absl::string_view text,
                         absl::string_view origin) {
  const ConfigKey* key = schema_->Find(key_name);
  if (key == nullptr) {
    const std::string suggestion = schema_->Suggest(key_name);
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown key '", key_name, "' ", Where(origin),
        suggestion.empty() ? "" : absl::StrCat(" (did you mean '", suggestion, "'?)")));
  }
  ConfigValue parsed;
  if (absl::Status s = ParseConfigValue(*key, text, origin, &parsed); !s.ok()) return s;
  values_[key->name] = {std::move(parsed), std::string(origin)};
  return absl::OkStatus();
}

void Config::OverlayExplicit(const Config& other) {
  for (const auto& [name, entry] : other.values_) {
    if (entry.origin != "default") values_[name] = entry;
  }
}

absl::Status Config::SetAssignment(absl::string_view assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--set expects KEY=VALUE (e.g. --set log.level=debug), not '", assignment, "'"));
  }
  return Set(assignment.substr(0, eq), assignment.substr(eq + 1), "--set");
}

absl::Status Config::CheckComplete() const {
  for (const auto& [name, key] : schema_->keys()) {
    if (values_.find(name) == values_.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("config key '", name, "' has no value; configs/default.yaml must set it"));
    }
  }
  return absl::OkStatus();
}

namespace {

bool SameNumber(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max({1.0, std::abs(a), std::abs(b)});
}

bool SameText(const std::string& a, const std::string& b) {
  double x = 0.0;
  double y = 0.0;
  if (absl::SimpleAtod(a, &x) && absl::SimpleAtod(b, &y)) return SameNumber(x, y);
  return a == b;
}

bool SameValue(const ConfigValue& a, const ConfigValue& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<double>(&a)) return SameNumber(*x, std::get<double>(b));
  if (const auto* x = std::get_if<std::string>(&a)) return SameText(*x, std::get<std::string>(b));
  if (const auto* x = std::get_if<std::vector<std::string>>(&a)) {
    const auto& y = std::get<std::vector<std::string>>(b);
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i) {
      if (!SameText((*x)[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

std::string FormatConfigValue(const ConfigValue& value) {
  YAML::Emitter out;
  out << YAML::Flow;
  std::visit([&out](const auto& v) { out << v; }, value);
  return out.c_str();
}

absl::Status Config::CheckDeclaredDefaults(absl::string_view file) const {
  for (const auto& [name, key] : schema_->keys()) {
    auto it = values_.find(name);
    if (!key.default_value || it == values_.end()) continue;
    if (!SameValue(*key.default_value, it->second.value)) {
      return absl::FailedPreconditionError(
          absl::StrCat(file, " sets ", name, " to ", FormatConfigValue(it->second.value),
                       " but its declaration's default is ", FormatConfigValue(*key.default_value),
                       "; make them agree"));
    }
  }
  return absl::OkStatus();
}

const ConfigValue& Config::Value(absl::string_view key) const {
  if (schema_->Find(key) == nullptr) Die(absl::StrCat("config key '", key, "' is not declared"));
  auto it = values_.find(key);
  if (it == values_.end()) Die(absl::StrCat("config key '", key, "' has no value"));
  return it->second.value;
}

const Config::Entry& Config::Lookup(absl::string_view key, ConfigType type) const {
  const ConfigKey* declared = schema_->Find(key);
  if (declared == nullptr) Die(absl::StrCat("config key '", key, "' is not declared"));
  const bool compatible = declared->type == type ||
                          (declared->type == ConfigType::kChoice && type == ConfigType::kString);
  if (!compatible) Die(absl::StrCat("config key '", key, "' read with the wrong type"));
  auto it = values_.find(key);
  if (it == values_.end()) Die(absl::StrCat("config key '", key, "' has no value"));
  return it->second;
}

bool Config::GetBool(absl::string_view key) const {
  return std::get<bool>(Lookup(key, ConfigType::kBool).value);
}
std::int64_t Config::GetInt(absl::string_view key) const {
  return std::get<std::int64_t>(Lookup(key, ConfigType::kInt).value);
}
double Config::GetDouble(absl::string_view key) const {
  return std::get<double>(Lookup(key, ConfigType::kDouble).value);
}
const std::string& Config::GetString(absl::string_view key) const {
  return std::get<std::string>(Lookup(key, ConfigType::kString).value);
}
const std::vector<std::string>& Config::GetStringList(absl::string_view key) const {
  return std::get<std::vector<std::string>>(Lookup(key, ConfigType::kStringList).value);
}

std::string Config::Origin(absl::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? "" : it->second.origin;
}

std::string Config::ToYaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string> open;  // sections currently open
  for (const auto& [name, entry] : values_) {
    std::vector<std::string> parts = absl::StrSplit(name, '.');
    const std::string leaf = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) {
      ++common;
    }
    while (open.size() > common) {
      out << YAML::EndMap;
      open.pop_back();
    }
    for (std::size_t i = common; i < parts.size(); ++i) {
      out << YAML::Key << parts[i] << YAML::Value << YAML::BeginMap;
      open.push_back(parts[i]);
    }
    out << YAML::Key << leaf << YAML::Value;
    if (const auto* list = std::get_if<std::vector<std::string>>(&entry.value)) {
      out << YAML::Flow << *list;
    } else if (const auto* text = std::get_if<std::string>(&entry.value)) {
      out << *text;
    } else {
      out << FormatValue(entry.value);
    }
    out << YAML::Comment(entry.origin);
  }
  while (!open.empty()) {
    out << YAML::EndMap;
    open.pop_back();
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tarmac::cli
