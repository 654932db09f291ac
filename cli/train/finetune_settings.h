#ifndef TARMAC_CLI_TRAIN_FINETUNE_SETTINGS_H_
#define TARMAC_CLI_TRAIN_FINETUNE_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tarmac/cli/config.h"
#include "tarmac/util/option_table.h"

namespace tarmac::cli::train {

// The finetune.* keys of a merged config (`tarmac finetune`); the defaults written here are the
// section's. A new finetune run writes what they decide into the train.* and learner.* keys
// the phases read (Derive), so its config.yaml, and a --resume, hold what it runs.
struct FinetuneSettings {
  std::string from;   // the starting checkpoint: file, or the newest in a directory
  std::string focus;  // the suite of the behaviour's cases (tarmac mine --export-suite)
  double mix = 0.5;   // share of RL episodes on the focus cases; the rest: the env's own draw
  double jitter = 0.1;
  double minutes = 20;
  std::string out = "finetune-out";
  double anchor_weight = 1.0;
  std::vector<std::string> focus_events{"hard_brake", "near_miss", "cut_in"};
  double focus_event_share = 0.25;
  double focus_share = 0.5;  // of the closed-loop SFT batches: the focus cases' DAgger labels
  int dagger_rounds = 2;
  std::uint64_t dagger_steps = 20000;
  std::uint64_t dagger_updates = 2000;
  std::vector<std::string> guard_suites;
  std::string gate = "default";

  static FinetuneSettings From(const Config& c);
  // Sets the train.* and learner.* keys a finetune run reads (origin "finetune.<key>"): its out,
  // minutes and DAgger rounds, `start` (--from resolved to its file, so the anchor stays the
  // file the run began from) as learner.init and learner.anchor, the anchor weight, the focus
  // events as learner.rl_events, no validation or selection suite (the verification is the
  // comparison). `critics_trained`: the start has SAC critics, so they are not pre-trained.
  absl::Status Derive(Config& c, const std::string& start, bool critics_trained) const;
};

// The finetune.* keys.
const util::OptionTable<FinetuneSettings>& FinetuneSettingsTable();

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_FINETUNE_SETTINGS_H_
