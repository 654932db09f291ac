#include "learner_command.h"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "exit_codes.h"
#include "job_settings.h"
#include "tarmac/actors/system_config.h"
#include "tarmac/learner/sac_trainer.h"

namespace tarmac::cli {

CLI::App* LearnerCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "learner", "Train SAC / behaviour cloning on the replay and publish weights to the actors");
  flags.Bind(*sub, "--redis", "replay.urls");
  flags.Bind(*sub, "--device", "learner.device");
  flags.Bind(*sub, "--algo", "learner.algo");
  flags.Bind(*sub, "--bc-weight", "learner.bc_weight");
  flags.Bind(*sub, "--env", "env.name");
  flags.Bind(*sub, "--metrics-port", "metrics.port");
  flags.Bind(*sub, "--checkpoint-dir", "learner.checkpoint_dir");
  flags.Bind(*sub, "--max-updates", "learner.max_updates");
  flags.Bind(*sub, "--until-step", "learner.until_step");
  flags.Bind(*sub, "--init", "learner.init");
  sub->add_flag("--resume", resume_, "Continue from the newest checkpoint (learner.resume)");
  return sub;
}

int LearnerCommand::Run(const CommandContext& context) {
  auto options = LearnerOptionsFrom(context.config);
  if (!options.ok()) {
    context.err << "tarmac: " << options.status().message() << ".\n";
    return kExitUsage;
  }
  if (resume_) options->resume = true;
  if (!options->init.empty()) {
    auto init = learner::CheckInitCheckpoint(options->init, options->sac, options->shape);
    if (!init.ok()) {
      context.err << "tarmac: --init: " << init.status().message() << ".\n";
      return kExitUsage;
    }
    options->init = init->path;
  }
  int exit_code = kExitOk;
  auto result = RunJobCommand(context, &exit_code, [&](auto& system, auto& metrics, auto& stop) {
    return actors::RunLearnerJob(system, *options, metrics, stop);
  });
  if (!result) return exit_code;
  const double wait = result->seconds > 0 ? result->sample_wait_seconds / result->seconds : 0.0;
  const std::string bc_loss =
      result->first_bc_loss == 0.0
          ? std::string()
          : absl::StrFormat(", BC loss %.4g -> %.4g (means of the first and last %d updates)",
                            result->first_bc_loss, result->last_bc_loss,
                            actors::LearnerJobResult::kLossWindow);
  spdlog::info(
      "learner done: {} updates this run (step {}), policy v{}, {:.1f} updates/s, {:.1f}% of "
      "the time waiting for samples ({:.2f}% after the first batches){}{}{}",
      result->updates, result->learner_step, result->policy_version,
      result->seconds > 0 ? result->updates / result->seconds : 0.0, 100.0 * wait,
      100.0 * result->SampleWaitShareAfterStart(), bc_loss,
      result->checkpoint.empty() ? "" : ", checkpoint ", result->checkpoint);
  return exit_code;
}

}  // namespace tarmac::cli
