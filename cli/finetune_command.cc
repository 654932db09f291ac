#include "finetune_command.h"

#include "train_command.h"

namespace tarmac::cli {

CLI::App* FinetuneCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "finetune",
      "Align a policy on a behaviour's cases: closed-loop SFT, anchored RL, verified by compare");
  flags.Bind(*sub, "--from", "finetune.from");
  flags.Bind(*sub, "--focus", "finetune.focus");
  flags.Bind(*sub, "--mix", "finetune.mix");
  flags.Bind(*sub, "--minutes", "finetune.minutes");
  flags.Bind(*sub, "--out", "finetune.out");
  flags.Bind(*sub, "--anchor-weight", "finetune.anchor_weight");
  flags.Bind(*sub, "--redis", "replay.urls");
  flags.Bind(*sub, "--metrics-port", "metrics.port");
  sub->add_option("--resume", resume_dir_, "Continue the fine-tuning in this directory");
  return sub;
}

int FinetuneCommand::Run(const CommandContext& context) {
  return RunTrainingLoop(context, resume_dir_, RunKind::kFinetune);
}

}  // namespace tarmac::cli
