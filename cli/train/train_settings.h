#ifndef TARMAC_CLI_TRAIN_TRAIN_SETTINGS_H_
#define TARMAC_CLI_TRAIN_TRAIN_SETTINGS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tarmac/cli/config.h"
#include "tarmac/util/option_table.h"

namespace tarmac::cli::train {

// The train.* keys of a merged config; the defaults written here are the section's
// (TrainSettingsTable declares the keys). Immutable once read. Five of them override a key of
// another section within tarmac train (train.actors, train.envs_per_actor, train.queue_limit:
// actor.*; train.bc_weight: learner.bc_weight; train.samples_per_insert: replay.*): the train
// key when set explicitly, else the overridden key when that was set, else train's default.
struct TrainSettings {
  std::string out = "train-out";
  double minutes = 30;
  std::uint64_t updates = 0;
  int actors = 2;
  int envs_per_actor = 16;
  std::uint64_t demo_steps = 400000;
  std::uint64_t sft_updates = 50000;
  int dagger_rounds = 0;
  std::uint64_t dagger_steps = 40000;
  std::uint64_t dagger_updates = 5000;
  double setup_fraction = 0.35;
  double bc_weight = 0.5;
  double alpha = 0.001;
  std::uint64_t critic_pretrain_updates = 5000;
  std::uint64_t critic_warmup_updates = 2000;
  double samples_per_insert = 32;
  std::uint64_t lockstep_steps = 0;  // 0: the RL phase's rollout and learner run side by side
  int rl_learner_threads = 0;
  std::size_t queue_limit = 4096;
  std::string scenario_mix = "rl";  // the RL rollout's mix: rl (built in), a file, or empty
                                    // (actor.scenario_mix)
  std::string suite = "default";
  std::string validation_suite = "validation";
  std::string selection_suite = "selection";
  double selection_checkpoint_seconds = 60;
  int selection_average = 5;  // the learned policy: the weight average of the best this many
  bool selection_collisions_first = true;  // rank by at-fault collisions, then score; else score
  std::uint64_t seed = 1;
  double progress_seconds = 10;
  double curve_seconds = 20;

  static TrainSettings From(const Config& c);
  // Sets the five overriding train.* keys of `c` to the values From chose, so that the run's
  // config.yaml (and a resume that reads it) holds what the run uses.
  void Record(Config& c) const;
  double budget_seconds() const { return minutes * 60.0; }
  // The RL phase learner's torch threads on a machine with `cores`: rl_learner_threads, or half
  // the cores (at least one) when it is 0.
  int RlLearnerThreads(unsigned cores) const {
    return rl_learner_threads > 0 ? rl_learner_threads : std::max(1, static_cast<int>(cores / 2));
  }
};

// The train.* keys.
const util::OptionTable<TrainSettings>& TrainSettingsTable();

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_TRAIN_SETTINGS_H_
