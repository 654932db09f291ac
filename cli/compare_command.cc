#include "compare_command.h"

#include <filesystem>

#include "compare_report.h"
#include "evaluation_run.h"
#include "exit_codes.h"
#include "policy_comparison.h"
#include "tarmac/analysis/behaviour_metrics.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/comparison.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/evaluation.h"

namespace tarmac::cli {
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
  std::vector<std::string> behaviour_names;
  for (const analysis::Behaviour& b : *behaviours) behaviour_names.push_back(b.name);
  std::vector<analysis::Gate> gates;
  if (!gate_.empty()) {
    auto loaded = analysis::LoadGates(gate_, analysis::ComparedQuantities(), behaviour_names);
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
  const std::string suite_label = suite->name.empty() ? suite_ : suite->name;
  for (const std::string& name : {a_, b_}) {
    if (absl::Status s = CheckLoggedEgos(name, *suite); !s.ok()) return usage(s.message());
  }
  auto a = LoadEvaluationPolicy(a_, context.config, &context.out);
  if (!a.ok()) return usage(absl::StrCat("--a: ", a.status().message()));
  auto b = LoadEvaluationPolicy(b_, context.config, &context.out);
  if (!b.ok()) return usage(absl::StrCat("--b: ", b.status().message()));

  const CompareResult result = ComparePolicies(**a, a_, **b, b_, *suite, suite_label, *env_config,
                                               *behaviours, gates, resamples_, context.out);
  const bool passed = PrintComparison(result, context.out);
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
