#include "eval_command.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "evaluation_run.h"
#include "exit_codes.h"
#include "report.h"
#include "report_figures.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"

namespace tarmac::cli {

CLI::App* EvalCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "eval", "Run a policy and the expert on a scenario suite; write report.json/html");
  flags.Bind(*sub, "--env", "env.name");
  sub->add_option("--policy", policies_,
                  "expert, a checkpoint directory or file, either +delay=SECONDS; repeat to "
                  "evaluate several on the same seeds (default: expert)");
  sub->add_option("--baseline", baseline_,
                  "A policy the others are compared with, seed by seed (default: the first "
                  "--policy when there are several, else the expert)");
  sub->add_option("--suite", suite_, "Suite file, e.g. configs/suites/default.yaml")->required();
  sub->add_option("--out", out_, "Directory for report.json and report.html")
      ->capture_default_str();
  sub->add_flag("--log-episodes", log_episodes_,
                "Also write every episode of the policy to DIR/episodes/<family>-<seed>" +
                    std::string(schemas::kEpisodeLogSuffix) + " for `tarmac mine`");
  return sub;
}

int EvalCommand::Run(const CommandContext& context) {
  std::vector<std::string> names =
      policies_.empty() ? std::vector<std::string>{"expert"} : policies_;
  if (!baseline_.empty()) names.push_back(baseline_);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i)) {
      context.err << "tarmac: the policy " << names[i]
                  << " is given twice; name each policy once (--baseline counts as one).\n";
      return kExitUsage;
    }
  }
  std::vector<std::unique_ptr<envs::Policy>> loaded;
  std::vector<NamedPolicy> policies;
  for (const std::string& name : names) {
    auto policy = LoadEvaluationPolicy(name, context.config, &context.out);
    if (!policy.ok()) {
      context.err << "tarmac: " << policy.status().message() << ".\n";
      return kExitUsage;
    }
    loaded.push_back(std::move(*policy));
    policies.push_back({name, loaded.back().get()});
  }
  const int reference = !baseline_.empty() ? static_cast<int>(names.size()) - 1
                        : names.size() > 1 ? 0
                                           : -1;
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
  absl::StatusOr<EvaluationReport> report =
      EvaluateOnSuite(policies, reference, *suite, *env_config, &context.out,
                      log_episodes_ ? EpisodeLogDir(out_) : "");
  if (!report.ok()) {
    context.err << "tarmac: " << report.status().message() << ".\n";
    return kExitUsage;
  }
  std::string command = "tarmac eval";
  for (const std::string& name : policies_) command += " --policy " + name;
  if (!baseline_.empty()) command += " --baseline " + baseline_;
  command += " --suite " + suite_ + " --out " + out_;
  report->identity = {command,
                      {},
                      "",
                      std::filesystem::absolute(out_).lexically_normal().string(),
                      report->policies,
                      suite->name,
                      ConfigDigest(context.config)};
  context.out << TerminalTable(*report, Tabulate(*report));
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
