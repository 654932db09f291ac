#include "train_settings.h"

namespace tarmac::cli::train {

TrainSettings TrainSettings::From(const Config& c) {
  TrainSettings t;
  t.out = c.GetString("train.out");
  t.minutes = c.GetDouble("train.minutes");
  t.updates = static_cast<std::uint64_t>(c.GetInt("train.updates"));
  t.actors = static_cast<int>(c.GetInt("train.actors"));
  t.envs_per_actor = static_cast<int>(c.GetInt("train.envs_per_actor"));
  t.demo_steps = static_cast<std::uint64_t>(c.GetInt("train.demo_steps"));
  t.sft_updates = static_cast<std::uint64_t>(c.GetInt("train.sft_updates"));
  t.setup_fraction = c.GetDouble("train.setup_fraction");
  t.bc_weight = c.GetDouble("train.bc_weight");
  t.critic_warmup_updates = static_cast<std::uint64_t>(c.GetInt("train.critic_warmup_updates"));
  t.samples_per_insert = c.GetDouble("train.samples_per_insert");
  t.queue_limit = static_cast<std::size_t>(c.GetInt("train.queue_limit"));
  t.suite = c.GetString("train.suite");
  t.progress_seconds = c.GetDouble("train.progress_seconds");
  t.curve_seconds = c.GetDouble("train.curve_seconds");
  return t;
}

}  // namespace tarmac::cli::train
