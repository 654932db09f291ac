#include "compare_command.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "compare_report.h"
#include "evaluation_run.h"
#include "exit_codes.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/comparison.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/evaluation.h"

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
      const envs::EpisodeResult reference =
          envs::RunEpisode(expert, entry.family, entry.config, seed, env_config);
      analysis::PairedOutcome pair;
      pair.family = std::string(envs::FamilyName(entry.family));
      pair.seed = seed;
      for (const auto& [policy, name, quantities, occurred] :
           {std::tuple{&a, &a_name, &pair.a, &pair.a_behaviour},
            std::tuple{&b, &b_name, &pair.b, &pair.b_behaviour}}) {
        envs::EpisodeRecording recording{*name, policy->Version(), {}};
        envs::EpisodeResult run =
            envs::RunEpisode(*policy, entry.family, entry.config, seed, env_config, &recording);
        envs::RescoreAgainstReference(reference.summary.distance_m, &run);
        recording.log.summary = run.summary;
        Measure(recording.log, behaviours, quantities, occurred);
      }
      pairs.push_back(std::move(pair));
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress << "compare: " << envs::FamilyName(entry.family) << " done, " << pairs.size()
             << " seeds, " << static_cast<int>(elapsed) << " s\n"
             << std::flush;
  }
  return pairs;
}

}  // namespace

CLI::App* CompareCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "compare", "Drive two policies on the same seeds; paired differences with intervals");
  flags.Bind(*sub, "--env", "env.name");
  sub->add_option("--a", a_, "The reference policy: expert[+delay=S], a checkpoint dir or file")
      ->required();
  sub->add_option("--b", b_, "The policy compared with it")->required();
  sub->add_option("--suite", suite_, "Suite file, e.g. configs/suites/default.yaml")->required();
  sub->add_option("--gate", gate_, "Gate file (configs/gates/default.yaml); exit 3 if one fails");
  sub->add_option("--behaviours", behaviours_,
                  "Behaviours file (default: the built-in configs/behaviours.yaml)");
  sub->add_option("--out", out_, "Directory for compare.json and compare.html")
      ->capture_default_str();
  sub->add_option("--resamples", resamples_, "Bootstrap resamples per interval")
      ->capture_default_str()
      ->check(CLI::Range(2000, 1000000));
  return sub;
}

int CompareCommand::Run(const CommandContext& context) {
  const auto usage = [&](absl::string_view message) {
    context.err << "tarmac: " << message << ".\n";
    return kExitUsage;
  };
  absl::StatusOr<std::vector<analysis::Behaviour>> behaviours =
      analysis::BehavioursFrom(behaviours_);
  if (!behaviours.ok()) return usage(behaviours.status().message());
  CompareResult result;
  result.a = a_;
  result.b = b_;
  result.resamples = resamples_;
  result.quantities = analysis::ComparedQuantities();
  for (const analysis::Behaviour& b : *behaviours) result.behaviours.push_back(b.name);
  std::vector<analysis::Gate> gates;
  if (!gate_.empty()) {
    auto loaded = analysis::LoadGates(gate_, result.quantities, result.behaviours);
    if (!loaded.ok()) return usage(loaded.status().message());
    gates = *std::move(loaded);
  }
  const absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(context.config);
  if (!env_config.ok()) return usage(env_config.status().message());
  absl::StatusOr<envs::Suite> suite = LoadSuite(suite_, env_config->scenario);
  if (!suite.ok()) return usage(suite.status().message());
  for (const envs::SuiteEntry& entry : suite->entries) {
    if (!entry.env.empty()) {
      return usage(absl::StrCat("the suite ", suite_, " has an entry of env ", entry.env,
                                "; compare drives the driving families only"));
    }
  }
  result.suite = suite->name.empty() ? suite_ : suite->name;
  auto a = LoadEvaluationPolicy(a_, context.config, &context.out);
  if (!a.ok()) return usage(absl::StrCat("--a: ", a.status().message()));
  auto b = LoadEvaluationPolicy(b_, context.config, &context.out);
  if (!b.ok()) return usage(absl::StrCat("--b: ", b.status().message()));

  result.pairs = DrivePairs(**a, a_, **b, b_, *suite, *env_config, *behaviours, context.out);
  result.families =
      analysis::ComparePairs(result.pairs, result.quantities, result.behaviours, resamples_);
  result.gates = analysis::CheckGates(gates, result.families);

  const std::size_t score = 0;  // ComparedQuantities() starts with the score
  context.out << fmt::format("{:<12} {:>5} {:>8} {:>8} {:>28} {:>8}\n", "family", "seeds",
                             "score A", "score B", "B - A [95 % CI]", "sign p");
  for (const analysis::FamilyComparison& f : result.families) {
    const analysis::QuantityComparison& q = f.quantities[score];
    context.out << fmt::format(
        "{:<12} {:>5} {:>8.3f} {:>8.3f} {:>+9.3f} [{:+.3f}, {:+.3f}] {:>8.3g}\n", f.family, f.pairs,
        q.mean_a, q.mean_b, q.difference.estimate, q.difference.low, q.difference.high, q.sign_p);
  }
  const analysis::FamilyComparison& all = result.families.back();
  context.out << fmt::format("{:<26} {:>6} {:>6} {:>28} {:>10}\n", "behaviour (all)", "A", "B",
                             "rate B - A [95 % CI]", "McNemar p");
  for (const analysis::BehaviourComparison& c : all.behaviours) {
    context.out << fmt::format("{:<26} {:>6} {:>6} {:>+9.3f} [{:+.3f}, {:+.3f}] {:>10.3g}\n",
                               c.name, c.episodes_a, c.episodes_b, c.difference.estimate,
                               c.difference.low, c.difference.high, c.mcnemar_p);
  }
  bool passed = true;
  for (const analysis::GateResult& g : result.gates) {
    passed = passed && g.passed;
    if (!g.passed) {
      context.out << "compare: gate " << g.gate->text << " fails on " << g.family << ": " << g.why
                  << "\n";
    }
  }
  if (!gates.empty() && passed) {
    context.out << "compare: all " << result.gates.size() << " gate checks pass\n";
  }
  ReportIdentity identity;
  identity.command = absl::StrCat("tarmac compare --a ", a_, " --b ", b_, " --suite ", suite_,
                                  gate_.empty() ? "" : " --gate " + gate_);
  identity.sources = {a_, b_};
  identity.behaviours = behaviours_.empty() ? std::string("built-in") : behaviours_;
  identity.run_dir = std::filesystem::absolute(out_).lexically_normal().string();
  identity.policies = {{a_, (*a)->Version()}, {b_, (*b)->Version()}};
  identity.suite = suite_;
  identity.config_digest = ConfigDigest(context.config);
  if (absl::Status s = WriteCompareReport(result, identity, out_); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << "compare: wrote " << out_ << "/compare.json and " << out_ << "/compare.html\n";
  return passed ? kExitOk : kExitGateFailed;
}

}  // namespace tarmac::cli
