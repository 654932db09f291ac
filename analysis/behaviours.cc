#include "tarmac/analysis/behaviours.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "builtin_behaviours.h"

namespace tarmac::analysis {
namespace {

absl::Status Bad(absl::string_view file, absl::string_view behaviour, absl::string_view what) {
  return absl::InvalidArgumentError(
      behaviour.empty() ? absl::StrCat(file, ": ", what)
                        : absl::StrCat(file, ": behaviour ", behaviour, ": ", what));
}

absl::StatusOr<Behaviour> ParseOne(const std::string& name, const YAML::Node& node,
                                   absl::string_view file) {
  if (!node.IsMap()) return Bad(file, name, "must be a mapping with at least 'when'");
  Behaviour b;
  b.name = name;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (key != "after" && key != "within_s" && key != "when" && key != "severity" &&
        key != "description") {
      return Bad(file, name,
                 absl::StrCat("unknown key '", key,
                              "'; use after, within_s, when, severity or description"));
    }
    if (!it->second.IsScalar()) return Bad(file, name, absl::StrCat(key, " must be a scalar"));
  }
  if (node["description"]) b.description = node["description"].as<std::string>();
  if (node["after"]) {
    b.after = node["after"].as<std::string>();
    if (!IsTrigger(b.after)) {
      return Bad(file, name,
                 absl::StrCat("after: unknown trigger '", b.after, "'; use one of ",
                              absl::StrJoin(TriggerNames(), ", ")));
    }
    if (!node["within_s"]) return Bad(file, name, "after needs within_s, the window in seconds");
  }
  if (node["within_s"]) {
    if (b.after.empty()) return Bad(file, name, "within_s needs after, the trigger it follows");
    try {
      b.within_s = node["within_s"].as<double>();
    } catch (const YAML::Exception&) {
      b.within_s = -1.0;
    }
    if (!(b.within_s > 0.0) || !std::isfinite(b.within_s)) {
      return Bad(file, name,
                 absl::StrCat("within_s is '", node["within_s"].as<std::string>(),
                              "'; use a number of seconds above 0"));
    }
  }
  if (!node["when"]) return Bad(file, name, "needs 'when', the condition that marks it");
  absl::StatusOr<Expression> when = Expression::Parse(node["when"].as<std::string>());
  if (!when.ok()) return Bad(file, name, absl::StrCat("when: ", when.status().message()));
  if (!when->is_boolean()) {
    return Bad(file, name,
               absl::StrCat("when: '", when->text(),
                            "' is a number, not a condition (compare it, "
                            "e.g. '",
                            when->text(), " > 1')"));
  }
  b.when = *std::move(when);
  if (node["severity"]) {
    absl::StatusOr<Expression> severity = Expression::Parse(node["severity"].as<std::string>());
    if (!severity.ok()) {
      return Bad(file, name, absl::StrCat("severity: ", severity.status().message()));
    }
    if (severity->is_boolean()) {
      return Bad(file, name, "severity must be a number (higher is worse), not a condition");
    }
    b.severity = *std::move(severity);
  }
  return b;
}

}  // namespace

absl::StatusOr<std::vector<Behaviour>> ParseBehaviours(absl::string_view yaml,
                                                       absl::string_view file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Bad(file, "",
               absl::StrCat("is not valid YAML (", e.msg, " at line ", e.mark.line + 1, ")"));
  }
  if (!root.IsMap() || !root["behaviours"] || !root["behaviours"].IsMap()) {
    return Bad(file, "", "needs a 'behaviours:' mapping of name: {when, ...}");
  }
  std::vector<Behaviour> out;
  try {
    for (auto it = root["behaviours"].begin(); it != root["behaviours"].end(); ++it) {
      absl::StatusOr<Behaviour> b = ParseOne(it->first.as<std::string>(), it->second, file);
      if (!b.ok()) return b.status();
      out.push_back(*std::move(b));
    }
  } catch (const YAML::Exception& e) {
    return Bad(file, "", absl::StrCat("is malformed (", e.msg, ")"));
  }
  if (out.empty()) return Bad(file, "", "names no behaviour");
  return out;
}

absl::StatusOr<std::vector<Behaviour>> LoadBehaviours(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("behaviours file ", path, " cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseBehaviours(text.str(), path);
}

const std::vector<Behaviour>& BuiltInBehaviours() {
  static const auto* const behaviours = [] {
    absl::StatusOr<std::vector<Behaviour>> parsed =
        ParseBehaviours(kBuiltInBehavioursYaml, "the built-in configs/behaviours.yaml");
    // A test parses the shipped file, so a broken one never reaches a binary.
    return new std::vector<Behaviour>(parsed.ok() ? *std::move(parsed) : std::vector<Behaviour>{});
  }();
  return *behaviours;
}

absl::StatusOr<std::vector<Behaviour>> BehavioursFrom(const std::string& path) {
  if (path.empty()) return BuiltInBehaviours();
  return LoadBehaviours(path);
}

namespace {

double Severity(const Behaviour& b, const MetricValues& metrics,
                const schemas::EpisodeSummary& summary) {
  if (b.severity) return b.severity->Evaluate(metrics, summary);
  return 1.0 - schemas::MetricOr(summary, "score");
}

}  // namespace

BehaviourMatch FindBehaviour(const Behaviour& behaviour, const schemas::EpisodeLog& log,
                             const MetricValues& episode_metrics, const MetricOptions& options) {
  BehaviourMatch out;
  if (behaviour.after.empty()) {
    out.exposures = 1;
    if (log.steps.empty()) return out;
    Occurrence o;
    o.end_step = log.steps.size();
    o.metrics = episode_metrics;
    if (behaviour.when.Evaluate(o.metrics, log.summary) != 0.0) {
      o.severity = Severity(behaviour, o.metrics, log.summary);
      out.occurrences.push_back(o);
    }
    return out;
  }
  const std::vector<std::size_t> triggers = TriggerSteps(log, behaviour.after, options);
  out.exposures = triggers.size();
  const auto window = static_cast<std::size_t>(std::lround(behaviour.within_s / log.dt));
  for (std::size_t trigger : triggers) {
    Occurrence o;
    o.trigger_step = trigger;
    o.end_step = std::min(log.steps.size(), trigger + window + 1);
    o.metrics = ComputeMetrics(log, trigger, o.end_step, options);
    if (behaviour.when.Evaluate(o.metrics, log.summary) == 0.0) continue;
    o.severity = Severity(behaviour, o.metrics, log.summary);
    out.occurrences.push_back(o);
  }
  return out;
}

std::vector<Occurrence> FindOccurrences(const Behaviour& behaviour, const schemas::EpisodeLog& log,
                                        const MetricOptions& options) {
  const MetricValues episode = behaviour.after.empty() && !log.steps.empty()
                                   ? ComputeEpisodeMetrics(log, options)
                                   : MetricValues{};
  return FindBehaviour(behaviour, log, episode, options).occurrences;
}

std::size_t Exposures(const Behaviour& behaviour, const schemas::EpisodeLog& log,
                      const MetricOptions& options) {
  if (behaviour.after.empty()) return 1;
  return TriggerSteps(log, behaviour.after, options).size();
}

}  // namespace tarmac::analysis
