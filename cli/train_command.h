#ifndef TARMAC_CLI_TRAIN_COMMAND_H_
#define TARMAC_CLI_TRAIN_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "command.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/evaluation.h"

namespace tarmac::cli {

// `tarmac train [--env NAME] [--actors N] [--minutes M] [--updates U] [--redis URL[,URL]]
// [--out DIR] [--resume DIR] [--metrics-port P]`: the whole loop on one machine. Starts its own
// redis-server with the replay module (unless --redis names shards), fills `demos` with the
// expert, trains the actor by behaviour cloning, then runs SAC with the BC term while rollout
// actors fill `rl`, all in one actor system; finally evaluates the learned policy, the SFT
// policy and the expert on the suite and writes report.html/report.json beside the
// checkpoints and train.log in the run directory. Ctrl-C stops cleanly (flush, checkpoint,
// stop Redis); --resume DIR continues a run from its checkpoint and replay.
// Which command a run belongs to: tarmac train, or tarmac finetune (a train run started from
// --from with the focus mix, the anchor and the verification; finetune.* in its config).
enum class RunKind { kTrain, kFinetune };

// The whole of `tarmac train` or `tarmac finetune`: plans the run (new, or the one `resume_dir`
// names), refuses bad input before anything starts (exit 2), runs the phases; the exit code.
int RunTrainingLoop(const CommandContext& context, const std::string& resume_dir, RunKind kind);

// The suite a train.* or finetune.* key names: default, validation or selection (built in), or a
// suite file; LoadSuite's refusals.
absl::StatusOr<envs::Suite> LoadRunSuite(const std::string& name, const envs::EnvConfig& env);

class TrainCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::string resume_dir_;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_TRAIN_COMMAND_H_
