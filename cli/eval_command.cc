#include "eval_command.h"

#include <chrono>

#include "exit_codes.h"
#include "report.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/policy.h"

namespace tarmac::cli {

CLI::App* EvalCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub = app.add_subcommand(
      "eval", "Run a policy and the expert on a scenario suite; write report.json/html");
  sub->add_option("--policy", policy_, "expert, or a checkpoint directory")->capture_default_str();
  sub->add_option("--suite", suite_, "Suite file, e.g. configs/suites/default.yaml")->required();
  sub->add_option("--out", out_, "Directory for report.json and report.html")
      ->capture_default_str();
  return sub;
}

int EvalCommand::Run(const CommandContext& context) {
  if (policy_ != "expert") {
    context.err << "tarmac: --policy '" << policy_
                << "' is not available: learned policies load once the learner is built; use "
                   "--policy expert.\n";
    return kExitUsage;
  }
  const envs::EnvConfig env_config = EnvConfigFrom(context.config);
  absl::StatusOr<envs::Suite> suite = LoadSuite(suite_, env_config.scenario);
  if (!suite.ok()) {
    context.err << "tarmac: " << suite.status().message() << ".\n";
    return kExitUsage;
  }
  int total = 0;
  for (const auto& e : suite->entries) total += e.count;
  EvaluationReport report;
  report.suite = suite->name;
  report.policy = policy_;
  const auto started = std::chrono::steady_clock::now();
  envs::ExpertPolicy expert;
  int done = 0;
  for (const envs::SuiteEntry& entry : suite->entries) {
    for (int i = 0; i < entry.count; ++i) {
      EvaluatedSeed seed;
      seed.family = entry.family;
      seed.seed = entry.first_seed + static_cast<std::uint64_t>(i);
      seed.config = entry.config;
      seed.expert = envs::RunEpisode(expert, entry.family, entry.config, seed.seed, env_config);
      seed.policy = seed.expert;  // the only policy for now; a learned one runs here
      const double reference = seed.expert.summary.distance_m;
      envs::RescoreAgainstReference(reference, &seed.policy);
      envs::RescoreAgainstReference(reference, &seed.expert);
      report.seeds.push_back(std::move(seed));
      ++done;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    context.out << "eval: " << envs::FamilyName(entry.family) << " done, " << done << "/" << total
                << " episodes, " << static_cast<int>(elapsed) << " s\n";
  }
  if (absl::Status s = WriteReport(report, out_); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << "eval: wrote " << out_ << "/report.json and " << out_ << "/report.html\n";
  return kExitOk;
}

}  // namespace tarmac::cli
