#include "eval_command.h"

#include "evaluation_run.h"
#include "exit_codes.h"
#include "report.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"

namespace tarmac::cli {

CLI::App* EvalCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "eval", "Run a policy and the expert on a scenario suite; write report.json/html");
  flags.Bind(*sub, "--env", "env.name");
  sub->add_option("--policy", policy_, "expert, or a checkpoint directory")->capture_default_str();
  sub->add_option("--suite", suite_, "Suite file, e.g. configs/suites/default.yaml")->required();
  sub->add_option("--out", out_, "Directory for report.json and report.html")
      ->capture_default_str();
  sub->add_flag("--log-episodes", log_episodes_,
                "Also write every episode of the policy to DIR/episodes/<family>-<seed>" +
                    std::string(schemas::kEpisodeLogSuffix) + " for `tarmac mine`");
  return sub;
}

int EvalCommand::Run(const CommandContext& context) {
  auto policy = LoadEvaluationPolicy(policy_, context.config, &context.out);
  if (!policy.ok()) {
    context.err << "tarmac: " << policy.status().message() << ".\n";
    return kExitUsage;
  }
  const absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(context.config);
  if (!env_config.ok()) {
    context.err << "tarmac: " << env_config.status().message() << ".\n";
    return kExitUsage;
  }
  absl::StatusOr<envs::Suite> suite = LoadSuite(suite_, env_config->scenario);
  if (!suite.ok()) {
    context.err << "tarmac: " << suite.status().message() << ".\n";
    return kExitUsage;
  }
  const absl::StatusOr<EvaluationReport> report =
      EvaluateOnSuite(**policy, policy_, nullptr, "", *suite, *env_config, &context.out,
                      log_episodes_ ? EpisodeLogDir(out_) : "");
  if (!report.ok()) {
    context.err << "tarmac: " << report.status().message() << ".\n";
    return kExitUsage;
  }
  if (absl::Status s = WriteReport(*report, out_); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << "eval: wrote " << out_ << "/report.json and " << out_ << "/report.html";
  if (log_episodes_) context.out << " and the episode logs in " << EpisodeLogDir(out_);
  context.out << "\n";
  return kExitOk;
}

}  // namespace tarmac::cli
