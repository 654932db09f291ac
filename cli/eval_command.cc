#include "eval_command.h"

#include <chrono>

#include "exit_codes.h"
#include "report.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/policy.h"
#include "tarmac/learner/network_policy.h"

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
  // The policy under evaluation: the expert, or the actor of the newest checkpoint in a
  // directory (or a checkpoint file), run deterministically (its mean action).
  std::unique_ptr<envs::Policy> policy;
  if (policy_ == "expert") {
    policy = std::make_unique<envs::ExpertPolicy>();
  } else {
    auto net = learner::InferencePolicy::FromCheckpoint(policy_);
    if (!net.ok()) {
      context.err << "tarmac: --policy " << policy_ << ": " << net.status().message() << ".\n";
      return kExitUsage;
    }
    auto probe =
        envs::EnvBatch::Create(EnvNameFrom(context.config), 1, 1, EnvConfigFrom(context.config));
    if (!probe.ok()) {
      context.err << "tarmac: " << probe.status().message() << ".\n";
      return kExitUsage;
    }
    const auto& arch = (*net)->architecture();
    if (arch.obs_dim != static_cast<std::uint32_t>((*probe)->spec().observation_size) ||
        arch.action_dim != static_cast<std::uint32_t>((*probe)->spec().action_size)) {
      context.err << "tarmac: --policy " << policy_ << " was trained on observations of "
                  << arch.obs_dim << " floats, but the driving envs have "
                  << (*probe)->spec().observation_size << ".\n";
      return kExitUsage;
    }
    policy = std::make_unique<learner::NetworkPolicy>(
        std::shared_ptr<const learner::InferencePolicy>(std::move(*net)));
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
      seed.policy = policy_ == "expert" ? seed.expert
                                        : envs::RunEpisode(*policy, entry.family, entry.config,
                                                           seed.seed, env_config);
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
