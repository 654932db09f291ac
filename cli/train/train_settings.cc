#include "train_settings.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tarmac::cli::train {
namespace {

// The key a train.* setting is read from: train.* when it was set explicitly, else the
// actor/learner/replay key it overrides when that one was, else train.*'s own default. So
// `--set actor.envs_per_actor=32` takes effect in tarmac train too, and an explicit train.*
// value always wins.
std::string Source(const Config& c, const std::string& train_key, const std::string& section_key) {
  if (c.Origin(train_key) != "default") return train_key;
  if (c.Origin(section_key) != "default") return section_key;
  return train_key;
}

}  // namespace

TrainSettings TrainSettings::From(const Config& c) {
  TrainSettings t;
  t.out = c.GetString("train.out");
  t.minutes = c.GetDouble("train.minutes");
  t.updates = static_cast<std::uint64_t>(c.GetInt("train.updates"));
  t.actors = static_cast<int>(c.GetInt(Source(c, "train.actors", "actor.actors")));
  t.envs_per_actor =
      static_cast<int>(c.GetInt(Source(c, "train.envs_per_actor", "actor.envs_per_actor")));
  t.demo_steps = static_cast<std::uint64_t>(c.GetInt("train.demo_steps"));
  t.sft_updates = static_cast<std::uint64_t>(c.GetInt("train.sft_updates"));
  t.setup_fraction = c.GetDouble("train.setup_fraction");
  t.bc_weight = c.GetDouble(Source(c, "train.bc_weight", "learner.bc_weight"));
  t.critic_warmup_updates = static_cast<std::uint64_t>(c.GetInt("train.critic_warmup_updates"));
  t.samples_per_insert =
      c.GetDouble(Source(c, "train.samples_per_insert", "replay.samples_per_insert"));
  t.queue_limit =
      static_cast<std::size_t>(c.GetInt(Source(c, "train.queue_limit", "actor.queue_limit")));
  t.suite = c.GetString("train.suite");
  t.progress_seconds = c.GetDouble("train.progress_seconds");
  t.curve_seconds = c.GetDouble("train.curve_seconds");
  return t;
}

void TrainSettings::Record(Config& c) const {
  const auto record = [&c](const std::string& train_key, const std::string& section_key,
                           const std::string& value) {
    const std::string source = Source(c, train_key, section_key);
    if (source == train_key) return;  // already what the run uses
    (void)c.Set(train_key, value, c.Origin(source) + " via " + section_key);
  };
  record("train.actors", "actor.actors", std::to_string(actors));
  record("train.envs_per_actor", "actor.envs_per_actor", std::to_string(envs_per_actor));
  record("train.bc_weight", "learner.bc_weight", absl::StrCat(bc_weight));
  record("train.samples_per_insert", "replay.samples_per_insert", absl::StrCat(samples_per_insert));
  record("train.queue_limit", "actor.queue_limit", std::to_string(queue_limit));
}

}  // namespace tarmac::cli::train
