// `tarmac compare`'s engine, shared with `tarmac finetune`'s verification.
#include "policy_comparison.h"

#include <fmt/format.h>

#include <chrono>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/envs/env_config.h"

namespace tarmac::cli {

namespace {

// One policy's side of a pair: its quantities (rescored against the expert's distance) and
// which behaviours occurred.
void Measure(const schemas::EpisodeLog& log, const std::vector<analysis::Behaviour>& behaviours,
             std::vector<double>* quantities, std::vector<bool>* occurred) {
  const analysis::MetricValues metrics = analysis::ComputeEpisodeMetrics(log);
  for (const char* name : analysis::kSummaryNames) {
    quantities->push_back(schemas::MetricOr(log.summary, name));
  }
  for (const analysis::MetricInfo& info : analysis::kMetricInfo) {
    quantities->push_back(metrics[info.metric]);
  }
  quantities->push_back(log.summary.episode_return);
  for (const envs::RewardTermInfo& term : envs::kRewardTerms) {
    double value = 0.0;
    for (const schemas::NamedValue& v : log.summary.term_returns) {
      if (v.name == term.name) value = v.value;
    }
    quantities->push_back(value);
  }
  for (const analysis::Behaviour& b : behaviours) {
    occurred->push_back(!analysis::FindBehaviour(b, log, metrics).occurrences.empty());
  }
}

// A's and B's episodes on every seed of `suite`, each scored against the expert's distance on
// that seed.
std::vector<analysis::PairedOutcome> DrivePairs(envs::Policy& a, const std::string& a_name,
                                                envs::Policy& b, const std::string& b_name,
                                                const envs::Suite& suite,
                                                const envs::EnvConfig& env_config,
                                                const std::vector<analysis::Behaviour>& behaviours,
                                                std::ostream& progress) {
  std::vector<analysis::PairedOutcome> pairs;
  envs::EnvExpert expert;
  const auto started = std::chrono::steady_clock::now();
  for (const envs::SuiteEntry& entry : suite.entries) {
    for (int i = 0; i < entry.count; ++i) {
      const std::uint64_t seed = entry.first_seed + static_cast<std::uint64_t>(i);
      const envs::EpisodeResult reference = envs::RunEntryEpisode(expert, entry, seed, env_config);
      analysis::PairedOutcome pair;
      pair.family = envs::EntryLabel(entry);
      pair.seed = seed;
      for (const auto& [policy, name, quantities, occurred] :
           {std::tuple{&a, &a_name, &pair.a, &pair.a_behaviour},
            std::tuple{&b, &b_name, &pair.b, &pair.b_behaviour}}) {
        envs::EpisodeRecording recording{*name, policy->Version(), {}};
        envs::EpisodeResult run =
            envs::RunEntryEpisode(*policy, entry, seed, env_config, &recording);
        envs::RescoreAgainstReference(reference.summary.distance_m, &run);
        recording.log.summary = run.summary;
        Measure(recording.log, behaviours, quantities, occurred);
      }
      pairs.push_back(std::move(pair));
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress << "compare: " << envs::EntryLabel(entry) << " done, " << pairs.size() << " seeds, "
             << static_cast<int>(elapsed) << " s\n"
             << std::flush;
  }
  return pairs;
}

}  // namespace

std::vector<std::string> RewardQuantities() {
  std::vector<std::string> names = {"return"};
  for (const envs::RewardTermInfo& term : envs::kRewardTerms) {
    names.push_back(absl::StrCat("reward.", term.name));
  }
  return names;
}

CompareResult ComparePolicies(envs::Policy& a, const std::string& a_name, envs::Policy& b,
                              const std::string& b_name, const envs::Suite& suite,
                              const std::string& suite_label, const envs::EnvConfig& env_config,
                              const std::vector<analysis::Behaviour>& behaviours,
                              const std::vector<analysis::Gate>& gates, int resamples,
                              std::ostream& progress) {
  CompareResult result;
  result.a = a_name;
  result.b = b_name;
  result.suite = suite_label;
  result.resamples = resamples;
  result.quantities = analysis::ComparedQuantities();
  for (const std::string& name : RewardQuantities()) result.quantities.push_back(name);
  for (const analysis::Behaviour& behaviour : behaviours)
    result.behaviours.push_back(behaviour.name);
  result.pairs = DrivePairs(a, a_name, b, b_name, suite, env_config, behaviours, progress);
  result.families =
      analysis::ComparePairs(result.pairs, result.quantities, result.behaviours, resamples);
  result.gates = analysis::CheckGates(gates, result.families);
  return result;
}

bool PrintComparison(const CompareResult& result, std::ostream& out) {
  const std::size_t score = 0;  // ComparedQuantities() starts with the score
  out << fmt::format("{:<12} {:>5} {:>8} {:>8} {:>28} {:>8}\n", "family", "seeds", "score A",
                     "score B", "B - A [95 % CI]", "sign p");
  for (const analysis::FamilyComparison& f : result.families) {
    const analysis::QuantityComparison& q = f.quantities[score];
    out << fmt::format("{:<12} {:>5} {:>8.3f} {:>8.3f} {:>+9.3f} [{:+.3f}, {:+.3f}] {:>8.3g}\n",
                       f.family, f.pairs, q.mean_a, q.mean_b, q.difference.estimate,
                       q.difference.low, q.difference.high, q.sign_p);
  }
  const analysis::FamilyComparison& all = result.families.back();
  out << fmt::format("{:<26} {:>6} {:>6} {:>28} {:>10}\n", "behaviour (all)", "A", "B",
                     "rate B - A [95 % CI]", "McNemar p");
  for (const analysis::BehaviourComparison& c : all.behaviours) {
    out << fmt::format("{:<26} {:>6} {:>6} {:>+9.3f} [{:+.3f}, {:+.3f}] {:>10.3g}\n", c.name,
                       c.episodes_a, c.episodes_b, c.difference.estimate, c.difference.low,
                       c.difference.high, c.mcnemar_p);
  }
  out << fmt::format("{:<26} {:>8} {:>8} {:>28}\n", "reward (all, per episode)", "A", "B",
                     "B - A [95 % CI]");
  for (const std::string& name : RewardQuantities()) {
    for (const analysis::QuantityComparison& q : all.quantities) {
      if (q.name != name) continue;
      out << fmt::format("{:<26} {:>8.2f} {:>8.2f} {:>+9.2f} [{:+.2f}, {:+.2f}]\n", name, q.mean_a,
                         q.mean_b, q.difference.estimate, q.difference.low, q.difference.high);
    }
  }
  bool passed = true;
  for (const analysis::GateResult& g : result.gates) {
    passed = passed && g.passed;
    if (!g.passed) {
      out << "compare: gate " << g.gate->text << " fails on " << g.family << ": " << g.why << "\n";
    }
  }
  if (!result.gates.empty() && passed) {
    out << "compare: all " << result.gates.size() << " gate checks pass\n";
  }
  return passed;
}

}  // namespace tarmac::cli
