#include "tarmac/cli/suite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/envs/registry.h"

namespace tarmac::cli {
namespace {

using envs::Range;
using envs::ScenarioConfig;

absl::Status Bad(absl::string_view where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

bool AsDouble(const YAML::Node& node, double* out) {
  if (!node.IsScalar()) return false;
  try {
    *out = node.as<double>();
  } catch (const YAML::Exception&) {
    return false;
  }
  return std::isfinite(*out);
}

// Applies `overrides` (a mapping) to `config`.
absl::Status ApplyOverrides(const YAML::Node& overrides, const std::string& where,
                            ScenarioConfig* config) {
  if (!overrides.IsMap()) return Bad(where, "overrides must be a mapping of parameter: value");
  struct RangeKey {
    const char* name;
    Range ScenarioConfig::*field;
  };
  static const RangeKey kRanges[] = {
      {"ego_speed", &ScenarioConfig::ego_speed},
      {"traffic_speed", &ScenarioConfig::traffic_speed},
      {"density", &ScenarioConfig::density},
      {"dense_density", &ScenarioConfig::dense_density},
      {"cut_in_gap", &ScenarioConfig::cut_in_gap},
      {"cut_in_ttc", &ScenarioConfig::cut_in_ttc},
      {"lead_gap", &ScenarioConfig::lead_gap},
      {"lead_brake_decel", &ScenarioConfig::lead_brake_decel},
      {"lead_brake_time", &ScenarioConfig::lead_brake_time},
      {"stalled_distance", &ScenarioConfig::stalled_distance},
      {"curve_radius", &ScenarioConfig::curve_radius},
      {"merge_length", &ScenarioConfig::merge_length},
  };
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const YAML::Node value = it->second;
    if (key == "episode_seconds" || key == "speed_limit") {
      double v = 0;
      if (!AsDouble(value, &v)) return Bad(where, absl::StrCat("'", key, "' must be a number"));
      (key == "episode_seconds" ? config->episode_seconds : config->speed_limit) = v;
      continue;
    }
    const RangeKey* range = nullptr;
    for (const RangeKey& r : kRanges) {
      if (key == r.name) range = &r;
    }
    if (range == nullptr) {
      return Bad(where, absl::StrCat("unknown parameter '", key,
                                     "' (ranges: ego_speed, traffic_speed, density, ..., "
                                     "curve_radius, merge_length; scalars: episode_seconds, "
                                     "speed_limit)"));
    }
    double lo = 0, hi = 0;
    if (value.IsSequence() && value.size() == 2 && AsDouble(value[0], &lo) &&
        AsDouble(value[1], &hi)) {
      config->*(range->field) = {lo, hi};
    } else if (AsDouble(value, &lo)) {
      config->*(range->field) = {lo, lo};
    } else {
      return Bad(where, absl::StrCat("'", key, "' must be [min, max] or a number"));
    }
  }
  if (absl::Status s = config->Validate(); !s.ok()) return Bad(where, std::string(s.message()));
  return absl::OkStatus();
}

}  // namespace

// One entry of a suite's `families` list, starting from `base`.
absl::StatusOr<envs::SuiteEntry> ParseEntry(const YAML::Node& entry, const std::string& where,
                                            const ScenarioConfig& base) {
  if (!entry.IsMap()) return Bad(where, "must be a mapping with family, count and seed");
  envs::SuiteEntry e;
  e.config = base;
  bool has_family = false, has_overrides = false;
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const YAML::Node value = it->second;
    if (key == "env") {
      e.env = value.IsScalar() ? value.Scalar() : "";
      const std::vector<std::string> names = envs::EnvRegistry::Global().Names();
      if (std::find(names.begin(), names.end(), e.env) == names.end()) {
        return Bad(where, absl::StrCat("env '", e.env, "' is not registered; registered envs are ",
                                       absl::StrJoin(names, ", ")));
      }
    } else if (key == "family") {
      absl::StatusOr<envs::ScenarioFamily> family =
          envs::ParseFamily(value.IsScalar() ? value.Scalar() : "");
      if (!family.ok()) return Bad(where, std::string(family.status().message()));
      e.family = *family;
      has_family = true;
    } else if (key == "count") {
      double count = 0;
      if (!AsDouble(value, &count) || count < 1 || count > 100000 || count != std::floor(count)) {
        return Bad(where, "count must be an integer from 1 to 100000");
      }
      e.count = static_cast<int>(count);
    } else if (key == "seed") {
      double seed = 0;
      if (!AsDouble(value, &seed) || seed < 0 || seed != std::floor(seed) || seed > 1e15) {
        return Bad(where, "seed must be a non-negative integer");
      }
      e.first_seed = static_cast<std::uint64_t>(seed);
    } else if (key == "overrides") {
      if (absl::Status s = ApplyOverrides(value, where, &e.config); !s.ok()) return s;
      has_overrides = true;
    } else {
      return Bad(where, absl::StrCat("unknown key '", key,
                                     "'; an entry has family (or env), count, seed and "
                                     "overrides"));
    }
  }
  if (!e.env.empty() && (has_family || has_overrides)) {
    return Bad(where,
               "names an env, which takes no family or overrides (those are the "
               "driving scenarios')");
  }
  if (e.env.empty() && !has_family) return Bad(where, "needs a family (or an env)");
  return e;
}

absl::StatusOr<envs::Suite> ParseSuite(absl::string_view text, absl::string_view origin,
                                       const envs::ScenarioConfig& base_config) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, " is not valid YAML (line ", e.mark.line + 1, "): ", e.msg));
  }
  if (!root.IsMap()) {
    return Bad(origin, "a suite is a mapping with 'families' (and optional 'name', 'scenario')");
  }
  envs::Suite suite;
  ScenarioConfig base = base_config;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (key == "name") {
      suite.name = it->second.as<std::string>();
    } else if (key == "scenario") {
      if (absl::Status s = ApplyOverrides(it->second, std::string(origin), &base); !s.ok()) {
        return s;
      }
    } else if (key != "families") {
      return Bad(origin,
                 absl::StrCat("unknown key '", key, "'; a suite has name, scenario and families"));
    }
  }
  const YAML::Node families = root["families"];
  if (!families || !families.IsSequence() || families.size() == 0) {
    return Bad(origin, "'families' must be a non-empty list of entries");
  }
  for (std::size_t i = 0; i < families.size(); ++i) {
    auto e = ParseEntry(families[i], absl::StrCat(origin, ": entry ", i + 1), base);
    if (!e.ok()) return e.status();
    suite.entries.push_back(*std::move(e));
  }
  if (suite.name.empty()) suite.name = std::filesystem::path(std::string(origin)).stem().string();
  return suite;
}

absl::StatusOr<envs::Suite> LoadSuite(const std::string& path, const envs::ScenarioConfig& base) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read suite file '", path, "'"));
  std::stringstream text;
  text << file.rdbuf();
  return ParseSuite(text.str(), path, base);
}

}  // namespace tarmac::cli
