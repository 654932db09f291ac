#include "tarmac/util/option_table.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::util {
namespace {

std::string Range(const OptionInfo& info) {
  const std::string kind = info.type == OptionType::kInt ? "an integer" : "a number";
  if (info.min && info.max) return absl::StrCat(kind, " in [", *info.min, ", ", *info.max, "]");
  if (info.min) return absl::StrCat(kind, " >= ", *info.min);
  if (info.max) return absl::StrCat(kind, " <= ", *info.max);
  return absl::StrCat("a finite ", kind.substr(kind.find(' ') + 1));
}

}  // namespace

absl::Status CheckOptionValue(const OptionInfo& info, const OptionValue& value) {
  double number = 0.0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    number = static_cast<double>(*i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    number = *d;
  } else if (const auto* s = std::get_if<std::string>(&value);
             s != nullptr && info.type == OptionType::kChoice) {
    if (std::find(info.choices.begin(), info.choices.end(), *s) != info.choices.end()) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat(info.name, " is '", *s, "'; use one of ", absl::StrJoin(info.choices, ", ")));
  } else {
    return absl::OkStatus();
  }
  const bool in_range = std::isfinite(number) && (!info.min || number >= *info.min) &&
                        (!info.max || number <= *info.max);
  if (in_range) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(info.name, " is ", number, "; use ", Range(info)));
}

}  // namespace tarmac::util
