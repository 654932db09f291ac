#ifndef TARMAC_CLI_FINETUNE_COMMAND_H_
#define TARMAC_CLI_FINETUNE_COMMAND_H_

#include <string>

#include "command.h"

namespace tarmac::cli {

// `tarmac finetune --from CKPT --focus SUITE [--mix M] [--minutes M] [--out DIR] [--resume DIR]`:
// targeted alignment of an existing policy. The tarmac train loop started from --from: the
// expert's demos, then closed-loop SFT (the policy drives the focus cases, the expert labels
// what it visits, tagged dagger and focus, cloned with the demos), then SAC with a KL anchor to
// the frozen starting policy on a curriculum of the focus cases (jittered) and the env's own
// draw, the focus events oversampled; then verification: `compare` of start and result with
// the gate on the focus suite, train.suite and finetune.guard_suites. Exit 3 when a gate fails.
// With --reward-a FILE --reward-b FILE (env.reward.* weights): both fine-tunings from the same
// start and seeds, in OUT/a and OUT/b, then their comparison on the focus suite and train.suite
// (per family, behaviour and reward term, with intervals) in OUT/ab/.
class FinetuneCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  std::string resume_dir_;
  std::string reward_a_, reward_b_;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_FINETUNE_COMMAND_H_
