#ifndef TARMAC_UTIL_OPTION_TABLE_H_
#define TARMAC_UTIL_OPTION_TABLE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace tarmac::util {

enum class OptionType { kBool, kInt, kDouble, kString, kChoice, kStringList };

using OptionValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

// What one configuration key is: its dotted name ("learner.batch_size"), type, default,
// inclusive bounds (kInt, kDouble), accepted values (kChoice) and a one-line help.
struct OptionInfo {
  std::string name;
  OptionType type = OptionType::kString;
  std::optional<OptionValue> default_value;  // none: the key is declared without one
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> choices;
  std::string help;
};

// InvalidArgument when `value` (of `info`'s type) is outside its bounds or choices, or a
// number that is not finite: "learner.tau is 2; use a number in [1e-06, 1]".
absl::Status CheckOptionValue(const OptionInfo& info, const OptionValue& value);

// The configuration keys of one options struct, each declared once: name, bounds and help here,
// bound to the field it sets; the default is the field's value in the struct the table was made
// with (`Options{}` unless given), so the struct's initialiser is the one place it is written.
// The config layer (cli/) builds its schema from these tables, checks configs/default.yaml
// against them and fills the structs with Apply; each struct's Validate() runs Check and then
// only its cross-field rules. Built once at start-up; immutable and thread-safe after.
template <class Options>
class OptionTable {
 public:
  using Getter = std::function<OptionValue(const Options&)>;
  using Setter = std::function<absl::Status(Options&, const OptionValue&)>;
  struct Entry {
    OptionInfo info;
    Getter get;
    Setter set;
  };

  explicit OptionTable(Options defaults = Options{}) : defaults_(std::move(defaults)) {}

  template <class Field>
  OptionTable& Int(std::string name, Field Options::*field, double min, double max,
                   std::string help) {
    static_assert(std::is_integral_v<Field>);
    return Add(
        {std::move(name), OptionType::kInt, {}, min, max, {}, std::move(help)},
        [field](const Options& o) { return OptionValue(static_cast<std::int64_t>(o.*field)); },
        [field](Options& o, const OptionValue& v) {
          o.*field = static_cast<Field>(std::get<std::int64_t>(v));
          return absl::OkStatus();
        });
  }
  template <class Field>
  OptionTable& Number(std::string name, Field Options::*field, double min, double max,
                      std::string help) {
    static_assert(std::is_floating_point_v<Field>);
    return Add(
        {std::move(name), OptionType::kDouble, {}, min, max, {}, std::move(help)},
        [field](const Options& o) { return OptionValue(static_cast<double>(o.*field)); },
        [field](Options& o, const OptionValue& v) {
          o.*field = static_cast<Field>(std::get<double>(v));
          return absl::OkStatus();
        });
  }
  OptionTable& Bool(std::string name, bool Options::*field, std::string help) {
    return Add(
        {std::move(name), OptionType::kBool, {}, {}, {}, {}, std::move(help)},
        [field](const Options& o) { return OptionValue(o.*field); },
        [field](Options& o, const OptionValue& v) {
          o.*field = std::get<bool>(v);
          return absl::OkStatus();
        });
  }
  OptionTable& String(std::string name, std::string Options::*field, std::string help) {
    return Add({std::move(name), OptionType::kString, {}, {}, {}, {}, std::move(help)},
               StringGetter(field), StringSetter(field));
  }
  OptionTable& Choice(std::string name, std::string Options::*field,
                      std::vector<std::string> choices, std::string help) {
    return Add(
        {std::move(name), OptionType::kChoice, {}, {}, {}, std::move(choices), std::move(help)},
        StringGetter(field), StringSetter(field));
  }
  // A choice key naming the values of a field (an enum, a bool): {{"sac", kSac}, {"bc", kBc}}.
  template <class Field>
  OptionTable& Enum(std::string name, Field Options::*field,
                    std::vector<std::pair<std::string, Field>> names, std::string help) {
    std::vector<std::string> choices;
    for (const auto& [text, value] : names) choices.push_back(text);
    return Add(
        {std::move(name), OptionType::kChoice, {}, {}, {}, std::move(choices), std::move(help)},
        [field, names](const Options& o) {
          for (const auto& [text, value] : names) {
            if (o.*field == value) return OptionValue(text);
          }
          return OptionValue(std::string("?"));  // Check refuses it
        },
        [field, names](Options& o, const OptionValue& v) {
          for (const auto& [text, value] : names) {
            if (std::get<std::string>(v) == text) o.*field = value;
          }
          return absl::OkStatus();
        });
  }
  // A key whose value code converts (an enum, a list of numbers, one of two keys that set one
  // field): `info` without its default, which `get` reads from the defaults.
  OptionTable& Custom(OptionInfo info, Getter get, Setter set) {
    return Add(std::move(info), std::move(get), std::move(set));
  }
  // Every key of `inner`, setting the member `member` of Options.
  template <class Inner>
  OptionTable& Include(Inner Options::*member, const OptionTable<Inner>& inner) {
    for (const auto& e : inner.entries()) {
      Add(
          e.info, [member, get = e.get](const Options& o) { return get(o.*member); },
          [member, set = e.set](Options& o, const OptionValue& v) { return set(o.*member, v); });
    }
    return *this;
  }

  // Sets every field from `read(name)` (the value of each key, already of its type).
  absl::Status Apply(const std::function<const OptionValue&(const std::string&)>& read,
                     Options& options) const {
    for (const Entry& e : entries_) {
      if (absl::Status s = e.set(options, read(e.info.name)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // InvalidArgument naming the first field outside its key's bounds or choices.
  absl::Status Check(const Options& options) const {
    for (const Entry& e : entries_) {
      if (absl::Status s = CheckOptionValue(e.info, e.get(options)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static Getter StringGetter(std::string Options::*field) {
    return [field](const Options& o) { return OptionValue(o.*field); };
  }
  static Setter StringSetter(std::string Options::*field) {
    return [field](Options& o, const OptionValue& v) {
      o.*field = std::get<std::string>(v);
      return absl::OkStatus();
    };
  }
  OptionTable& Add(OptionInfo info, Getter get, Setter set) {
    info.default_value = get(defaults_);
    entries_.push_back({std::move(info), std::move(get), std::move(set)});
    return *this;
  }

  Options defaults_;
  std::vector<Entry> entries_;
};

}  // namespace tarmac::util

#endif  // TARMAC_UTIL_OPTION_TABLE_H_
