#ifndef TARMAC_CLI_LEARNER_COMMAND_H_
#define TARMAC_CLI_LEARNER_COMMAND_H_

#include "command.h"

namespace tarmac::cli {

// `tarmac learner --redis URL[,URL]`: SAC or BC on the replay, weights published to the fleet,
// checkpoints, until SIGTERM/SIGINT (then a final checkpoint) or learner.max_updates.
class LearnerCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app, FlagBindings& flags) override;
  int Run(const CommandContext& context) override;

 private:
  bool resume_ = false;
};

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_LEARNER_COMMAND_H_
