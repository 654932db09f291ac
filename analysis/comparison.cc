#include "tarmac/analysis/comparison.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/analysis/predicate.h"

namespace tarmac::analysis {

std::vector<std::string> ComparedQuantities() {
  std::vector<std::string> names(std::begin(kSummaryNames), std::end(kSummaryNames));
  for (const MetricInfo& info : kMetricInfo) names.push_back(info.name);
  return names;
}

namespace {

FamilyComparison CompareGroup(const std::string& family,
                              const std::vector<const PairedOutcome*>& pairs,
                              const std::vector<std::string>& quantities,
                              const std::vector<std::string>& behaviours, int resamples,
                              std::uint64_t seed) {
  FamilyComparison out;
  out.family = family;
  out.pairs = pairs.size();
  const double n = std::max<double>(1.0, static_cast<double>(pairs.size()));
  std::vector<double> a(pairs.size()), b(pairs.size());
  for (std::size_t q = 0; q < quantities.size(); ++q) {
    QuantityComparison c;
    c.name = quantities[q];
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      a[i] = pairs[i]->a[q];
      b[i] = pairs[i]->b[q];
      c.mean_a += a[i] / n;
      c.mean_b += b[i] / n;
    }
    c.difference = PairedBootstrap(a, b, resamples, seed);
    c.sign_p = SignTestPValue(a, b);
    out.quantities.push_back(c);
  }
  for (std::size_t k = 0; k < behaviours.size(); ++k) {
    BehaviourComparison c;
    c.name = behaviours[k];
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const bool in_a = pairs[i]->a_behaviour[k];
      const bool in_b = pairs[i]->b_behaviour[k];
      a[i] = in_a ? 1.0 : 0.0;
      b[i] = in_b ? 1.0 : 0.0;
      c.episodes_a += in_a ? 1 : 0;
      c.episodes_b += in_b ? 1 : 0;
      c.only_a += in_a && !in_b ? 1 : 0;
      c.only_b += in_b && !in_a ? 1 : 0;
    }
    c.difference = PairedBootstrap(a, b, resamples, seed);
    c.mcnemar_p = McNemarPValue(c.only_a, c.only_b);
    out.behaviours.push_back(c);
  }
  return out;
}

}  // namespace

std::vector<FamilyComparison> ComparePairs(const std::vector<PairedOutcome>& pairs,
                                           const std::vector<std::string>& quantities,
                                           const std::vector<std::string>& behaviours,
                                           int resamples, std::uint64_t seed) {
  std::map<std::string, std::vector<const PairedOutcome*>> by_family;
  std::vector<const PairedOutcome*> all;
  for (const PairedOutcome& p : pairs) {
    by_family[p.family].push_back(&p);
    all.push_back(&p);
  }
  std::vector<FamilyComparison> out;
  for (const auto& [family, group] : by_family) {
    out.push_back(CompareGroup(family, group, quantities, behaviours, resamples, seed));
  }
  out.push_back(CompareGroup("all", all, quantities, behaviours, resamples, seed));
  return out;
}

namespace {

absl::Status Bad(absl::string_view file, std::size_t index, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": gate ", index + 1, ": ", what));
}

bool Number(const YAML::Node& node, double* out) {
  if (!node.IsScalar()) return false;
  try {
    *out = node.as<double>();
  } catch (const YAML::Exception&) {
    return false;
  }
  return std::isfinite(*out);
}

absl::StatusOr<Gate> ParseGate(const YAML::Node& node, absl::string_view file, std::size_t index,
                               const std::vector<std::string>& quantities,
                               const std::vector<std::string>& behaviours) {
  if (!node.IsMap()) {
    return Bad(file, index, "must be a mapping such as {quantity: score, max_drop: 0.01}");
  }
  Gate g;
  std::vector<std::string> parts;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const YAML::Node value = it->second;
    const std::string text = value.IsScalar() ? value.Scalar() : "";
    parts.push_back(absl::StrCat(key, ": ", text));
    if (key == "quantity" || key == "behaviour") {
      const std::vector<std::string>& known = key == "quantity" ? quantities : behaviours;
      if (std::find(known.begin(), known.end(), text) == known.end()) {
        return Bad(
            file, index,
            absl::StrCat("unknown ", key, " '", text, "'; known: ", absl::StrJoin(known, ", ")));
      }
      (key == "quantity" ? g.quantity : g.behaviour) = text;
    } else if (key == "family") {
      if (text.empty()) return Bad(file, index, "family must be a family name, each or all");
      g.family = text;
    } else if (key == "max_drop" || key == "max_rise") {
      double v = 0.0;
      if (!Number(value, &v) || v < 0) {
        return Bad(file, index, absl::StrCat(key, " must be a number >= 0, not '", text, "'"));
      }
      if (key == "max_drop") {
        g.has_max_drop = true;
        g.max_drop = v;
      } else {
        g.has_max_rise = true;
        g.max_rise = v;
      }
    } else {
      return Bad(file, index,
                 absl::StrCat("unknown key '", key,
                              "'; a gate has quantity or behaviour, family, max_drop, max_rise"));
    }
  }
  g.text = "{" + absl::StrJoin(parts, ", ") + "}";
  if (g.quantity.empty() == g.behaviour.empty()) {
    return Bad(file, index, "needs exactly one of quantity or behaviour");
  }
  if (!g.has_max_drop && !g.has_max_rise) return Bad(file, index, "needs max_drop or max_rise");
  if (!g.behaviour.empty() && g.has_max_drop) {
    return Bad(file, index, "a behaviour gate bounds its rise (max_rise), not a drop");
  }
  return g;
}

}  // namespace

absl::StatusOr<std::vector<Gate>> ParseGates(absl::string_view yaml, absl::string_view file,
                                             const std::vector<std::string>& quantities,
                                             const std::vector<std::string>& behaviours) {
  std::vector<Gate> gates;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap() || !root["gates"] || !root["gates"].IsSequence()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": a gate file is a mapping with a list 'gates'"));
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it->first.as<std::string>() != "gates") {
        return absl::InvalidArgumentError(absl::StrCat(
            file, ": unknown key '", it->first.as<std::string>(), "'; the file has 'gates'"));
      }
    }
    const YAML::Node list = root["gates"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      absl::StatusOr<Gate> g = ParseGate(list[i], file, i, quantities, behaviours);
      if (!g.ok()) return g.status();
      gates.push_back(*std::move(g));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, " is not valid YAML (line ", e.mark.line + 1, "): ", e.msg));
  }
  if (gates.empty()) return absl::InvalidArgumentError(absl::StrCat(file, ": names no gate"));
  return gates;
}

absl::StatusOr<std::vector<Gate>> LoadGates(const std::string& path,
                                            const std::vector<std::string>& quantities,
                                            const std::vector<std::string>& behaviours) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("gate file ", path, " cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseGates(text.str(), path, quantities, behaviours);
}

namespace {

GateResult Check(const Gate& gate, const FamilyComparison& family) {
  GateResult r;
  r.gate = &gate;
  r.family = family.family;
  const Interval* d = nullptr;
  if (!gate.quantity.empty()) {
    for (const QuantityComparison& q : family.quantities) {
      if (q.name == gate.quantity) d = &q.difference;
    }
  } else {
    for (const BehaviourComparison& b : family.behaviours) {
      if (b.name == gate.behaviour) d = &b.difference;
    }
  }
  if (d == nullptr) {
    r.passed = false;
    r.why = "not compared";
    return r;
  }
  const std::string what = gate.quantity.empty() ? gate.behaviour + " rate" : gate.quantity;
  r.why = absl::StrCat(what, " B - A = ", d->estimate, " [", d->low, ", ", d->high, "]");
  if (gate.has_max_drop && d->high < -gate.max_drop) {
    r.passed = false;
    absl::StrAppend(&r.why, ": dropped by more than ", gate.max_drop, " with 95 % confidence");
  }
  if (gate.has_max_rise && d->low > gate.max_rise) {
    r.passed = false;
    absl::StrAppend(&r.why, ": rose by more than ", gate.max_rise, " with 95 % confidence");
  }
  return r;
}

}  // namespace

std::vector<GateResult> CheckGates(const std::vector<Gate>& gates,
                                   const std::vector<FamilyComparison>& comparisons) {
  std::vector<GateResult> out;
  for (const Gate& gate : gates) {
    bool found = false;
    for (const FamilyComparison& f : comparisons) {
      const bool applies = gate.family == "each" || gate.family == f.family ||
                           (gate.family == "all" && f.family == "all");
      if (!applies) continue;
      found = true;
      out.push_back(Check(gate, f));
    }
    if (!found) {
      GateResult r;
      r.gate = &gate;
      r.family = gate.family;
      r.passed = false;
      r.why = absl::StrCat("the comparison has no family ", gate.family);
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace tarmac::analysis
