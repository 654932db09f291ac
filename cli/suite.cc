#include "tarmac/cli/suite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/cli/scenario_file.h"
#include "tarmac/envs/registry.h"

namespace tarmac::cli {
namespace {

using envs::ScenarioConfig;

absl::Status Bad(absl::string_view where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// The YAML document in `text`; InvalidArgument naming `origin` and the line when it is not one.
absl::StatusOr<YAML::Node> LoadYaml(absl::string_view text, absl::string_view origin) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, " is not valid YAML (line ", e.mark.line + 1, "): ", e.msg));
  }
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

// `[min, max]` or one number (min = max).
bool AsRange(const YAML::Node& node, envs::Range* out) {
  double lo = 0, hi = 0;
  if (node.IsSequence() && node.size() == 2 && AsDouble(node[0], &lo) && AsDouble(node[1], &hi)) {
    *out = {lo, hi};
    return true;
  }
  if (!AsDouble(node, &lo)) return false;
  *out = {lo, lo};
  return true;
}

// A population: `{profile: weight, ...}` for built-in profiles, or `{name: {like: profile,
// weight: w, <field>: [min, max], ...}}` for a profile of one's own.
absl::StatusOr<std::vector<envs::PopulationShare>> ParsePopulation(const YAML::Node& node,
                                                                   const std::string& where) {
  if (!node.IsMap() || node.size() == 0) {
    return Bad(where,
               "'population' must map driver profiles to weights, e.g. {normal: 0.7, "
               "aggressive: 0.3}");
  }
  std::vector<envs::PopulationShare> population;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string name = it->first.as<std::string>();
    envs::PopulationShare share;
    if (AsDouble(it->second, &share.weight)) {
      auto profile = envs::FindProfile(name);
      if (!profile.ok()) return Bad(where, std::string(profile.status().message()));
      share.profile = *std::move(profile);
    } else if (it->second.IsMap()) {
      const YAML::Node spec = it->second;
      auto base = envs::FindProfile(spec["like"] ? spec["like"].as<std::string>() : "normal");
      if (!base.ok()) return Bad(where, std::string(base.status().message()));
      share.profile = *std::move(base);
      share.profile.name = name;
      for (auto f = spec.begin(); f != spec.end(); ++f) {
        const std::string key = f->first.as<std::string>();
        if (key == "like") continue;
        if (key == "weight") {
          if (!AsDouble(f->second, &share.weight)) {
            return Bad(where, absl::StrCat("driver profile ", name, ": weight must be a number"));
          }
          continue;
        }
        const envs::ProfileRangeInfo* info = nullptr;
        for (const envs::ProfileRangeInfo& r : envs::kProfileRanges) {
          if (key == r.name) info = &r;
        }
        if (info == nullptr) {
          return Bad(where, absl::StrCat("driver profile ", name, ": unknown key '", key,
                                         "'; a profile has like, weight, speed_factor, T, a, b, "
                                         "s0, politeness, threshold, b_safe and reaction"));
        }
        if (!AsRange(f->second, &(share.profile.*(info->field)))) {
          return Bad(where, absl::StrCat("driver profile ", name, ": '", key,
                                         "' must be [min, max] or a number"));
        }
      }
    } else {
      return Bad(where, absl::StrCat("driver profile ", name,
                                     " must have a weight or a mapping with like, weight and "
                                     "ranges"));
    }
    population.push_back(std::move(share));
  }
  if (absl::Status s = envs::ValidatePopulation(population); !s.ok()) {
    return Bad(where, std::string(s.message()));
  }
  return population;
}

// Applies `overrides` (a mapping) to `config`.
absl::Status ApplyOverrides(const YAML::Node& overrides, const std::string& where,
                            ScenarioConfig* config) {
  if (!overrides.IsMap()) return Bad(where, "overrides must be a mapping of parameter: value");
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const YAML::Node value = it->second;
    if (key == "episode_seconds" || key == "speed_limit") {
      double v = 0;
      if (!AsDouble(value, &v)) return Bad(where, absl::StrCat("'", key, "' must be a number"));
      (key == "episode_seconds" ? config->episode_seconds : config->speed_limit) = v;
      continue;
    }
    if (key == "population") {
      auto population = ParsePopulation(value, where);
      if (!population.ok()) return population.status();
      config->population = *std::move(population);
      continue;
    }
    const envs::ScenarioRangeInfo* range = envs::FindScenarioRange(key);
    if (range == nullptr) {
      return Bad(where, absl::StrCat("unknown parameter '", key,
                                     "' (ranges: ego_speed, traffic_speed, density, ..., "
                                     "curve_radius, merge_length; scalars: episode_seconds, "
                                     "speed_limit; population)"));
    }
    if (!AsRange(value, &(config->*(range->field)))) {
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
                                     "overrides, or names scenario files (scenario: FILE, "
                                     "scenarios: DIR)"));
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

// An entry naming scenario files: `scenario: FILE` (one) or `scenarios: DIR or SET` (every file
// in a folder, or every scenario of a .scenarios set), relative to the suite's folder `dir`;
// one SuiteEntry per scenario.
absl::StatusOr<std::vector<envs::SuiteEntry>> ParseScenarioEntry(const YAML::Node& entry,
                                                                 const std::string& where,
                                                                 const std::string& dir,
                                                                 const ScenarioConfig& base) {
  if (entry.size() != 1) {
    return Bad(where,
               "names scenario files, and then has no other key (family, count, seed and "
               "overrides are the file's own)");
  }
  const YAML::Node value = entry["scenarios"] ? entry["scenarios"] : entry["scenario"];
  std::string path = value.IsScalar() ? value.Scalar() : "";
  if (path.empty()) return Bad(where, "'scenario' / 'scenarios' must name a file / a folder");
  if (std::filesystem::path(path).is_relative()) {
    path = (std::filesystem::path(dir) / path).string();
  }
  auto loaded = LoadScenarios(path);
  if (!loaded.ok()) return Bad(where, std::string(loaded.status().message()));
  std::vector<std::shared_ptr<const envs::Scenario>> scenarios = *std::move(loaded);
  std::vector<envs::SuiteEntry> entries;
  for (auto& scenario : scenarios) {
    envs::SuiteEntry e;
    e.family = scenario->family;
    e.first_seed = scenario->seed;
    e.config = base;
    e.config.dt = scenario->dt;
    e.config.episode_seconds = scenario->max_steps * scenario->dt;
    e.scenario = std::move(scenario);
    e.source = path;
    entries.push_back(std::move(e));
  }
  return entries;
}

absl::StatusOr<envs::Suite> ParseSuite(absl::string_view text, absl::string_view origin,
                                       const envs::ScenarioConfig& base_config) {
  absl::StatusOr<YAML::Node> parsed = LoadYaml(text, origin);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node root = *parsed;
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
  const std::string dir = std::filesystem::path(std::string(origin)).parent_path().string();
  for (std::size_t i = 0; i < families.size(); ++i) {
    const std::string where = absl::StrCat(origin, ": entry ", i + 1);
    const YAML::Node node = families[i];
    if (node.IsMap() && (node["scenario"] || node["scenarios"])) {
      auto entries = ParseScenarioEntry(node, where, dir, base);
      if (!entries.ok()) return entries.status();
      for (envs::SuiteEntry& e : *entries) suite.entries.push_back(std::move(e));
      continue;
    }
    auto e = ParseEntry(node, where, base);
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

absl::StatusOr<envs::ScenarioConfig> SuiteFamilyRanges(const std::string& path,
                                                       envs::ScenarioFamily family,
                                                       const envs::ScenarioConfig& base) {
  absl::StatusOr<envs::Suite> suite = LoadSuite(path, base);
  if (!suite.ok()) return absl::InvalidArgumentError(suite.status().message());
  for (const envs::SuiteEntry& e : suite->entries) {
    if (e.env.empty() && !e.scenario && e.family == family) return e.config;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the suite ", path, " has no entry of family ", envs::FamilyName(family)));
}

namespace {

// One entry of a mix's `sources` list.
absl::StatusOr<envs::ScenarioSource> ParseSource(const YAML::Node& node, const std::string& where,
                                                 const std::string& dir,
                                                 const ScenarioConfig& base) {
  if (!node.IsMap()) return Bad(where, "must be a mapping with name, weight and a family or suite");
  envs::ScenarioSource source;
  source.config = base;
  bool has_weight = false, has_suite = false, has_jitter = false, has_generated = false;
  std::string suite_path;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const YAML::Node value = it->second;
    if (key == "name") {
      source.name = value.IsScalar() ? value.Scalar() : "";
    } else if (key == "weight") {
      if (!AsDouble(value, &source.weight) || source.weight < 0) {
        return Bad(where, "weight must be a number >= 0");
      }
      has_weight = true;
    } else if (key == "family") {
      auto family = envs::ParseFamily(value.IsScalar() ? value.Scalar() : "");
      if (!family.ok()) return Bad(where, std::string(family.status().message()));
      source.family = *family;
      has_generated = true;
    } else if (key == "overrides") {
      if (absl::Status s = ApplyOverrides(value, where, &source.config); !s.ok()) return s;
      has_generated = true;
    } else if (key == "suite") {
      suite_path = value.IsScalar() ? value.Scalar() : "";
      if (!suite_path.empty() && std::filesystem::path(suite_path).is_relative()) {
        suite_path = (std::filesystem::path(dir) / suite_path).string();
      }
      has_suite = true;
    } else if (key == "jitter") {
      if (!AsDouble(value, &source.jitter) || source.jitter < 0 || source.jitter >= 1) {
        return Bad(where,
                   "jitter must be a number in [0, 1): the relative radius around each "
                   "parameter of a case");
      }
      has_jitter = true;
    } else {
      return Bad(where, absl::StrCat("unknown key '", key,
                                     "'; a source has name, weight, and family and overrides, or "
                                     "suite and jitter"));
    }
  }
  if (!has_weight) return Bad(where, "needs a weight");
  if (has_suite && has_generated) {
    return Bad(where, "names a suite and a family or overrides; a source is one or the other");
  }
  if (has_jitter && !has_suite) return Bad(where, "has a jitter, which only a suite's cases take");
  if (has_suite) {
    auto suite = LoadSuite(suite_path, base);
    if (!suite.ok()) return Bad(where, std::string(suite.status().message()));
    auto cases = SuiteCases(*suite);
    if (!cases.ok()) {
      return Bad(where, absl::StrCat("suite ", suite_path, " ", cases.status().message(),
                                     "; a scenario mix replays driving scenarios only"));
    }
    source.cases = *std::move(cases);
    if (source.name.empty()) source.name = suite->name;
  }
  if (source.name.empty()) {
    source.name = source.family ? std::string(envs::FamilyName(*source.family)) : "all";
  }
  return source;
}

}  // namespace

absl::StatusOr<std::vector<envs::ScenarioCase>> SuiteCases(const envs::Suite& suite) {
  std::vector<envs::ScenarioCase> cases;
  for (const envs::SuiteEntry& e : suite.entries) {
    if (!e.env.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("names env '", e.env, "'"));
    }
    for (int k = 0; k < e.count; ++k) {
      cases.push_back(
          {e.family, e.config, e.first_seed + static_cast<std::uint64_t>(k), e.scenario});
    }
  }
  return cases;
}

absl::StatusOr<envs::ScenarioMix> ParseScenarioMix(absl::string_view text, absl::string_view origin,
                                                   const ScenarioConfig& base) {
  absl::StatusOr<YAML::Node> parsed = LoadYaml(text, origin);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node root = *parsed;
  if (!root.IsMap() || !root["sources"] || !root["sources"].IsSequence() ||
      root["sources"].size() == 0) {
    return Bad(origin, "a scenario mix is a mapping with a non-empty list 'sources'");
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it->first.as<std::string>() != "sources") {
      return Bad(origin, absl::StrCat("unknown key '", it->first.as<std::string>(),
                                      "'; a scenario mix has sources"));
    }
  }
  const std::string dir = std::filesystem::path(std::string(origin)).parent_path().string();
  std::vector<envs::ScenarioSource> sources;
  const YAML::Node list = root["sources"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto source = ParseSource(list[i], absl::StrCat(origin, ": source ", i + 1), dir, base);
    if (!source.ok()) return source.status();
    for (const envs::ScenarioSource& other : sources) {
      if (other.name == source->name) {
        return Bad(origin, absl::StrCat("two sources are named '", source->name,
                                        "'; give each a name of its own"));
      }
    }
    sources.push_back(*std::move(source));
  }
  auto mix = envs::ScenarioMix::Create(std::move(sources));
  if (!mix.ok()) return Bad(origin, std::string(mix.status().message()));
  return mix;
}

absl::StatusOr<envs::ScenarioMix> LoadScenarioMix(const std::string& path,
                                                  const ScenarioConfig& base) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read scenario mix file '", path, "'"));
  std::stringstream text;
  text << file.rdbuf();
  return ParseScenarioMix(text.str(), path, base);
}

}  // namespace tarmac::cli
