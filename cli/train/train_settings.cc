#include "train_settings.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tarmac::cli::train {
namespace {

using T = TrainSettings;

// The train.* keys that override another section's key inside tarmac train.
struct Override {
  const char* train_key;
  const char* section_key;
};
constexpr Override kOverrides[] = {
    {"train.actors", "actor.actors"},
    {"train.envs_per_actor", "actor.envs_per_actor"},
    {"train.bc_weight", "learner.bc_weight"},
    {"train.samples_per_insert", "replay.samples_per_insert"},
    {"train.queue_limit", "actor.queue_limit"},
};

// The key a train.* setting is read from: train.* when it was set explicitly, else the
// actor/learner/replay key it overrides when that one was, else train.*'s own default. So
// `--set actor.envs_per_actor=32` takes effect in tarmac train too, and an explicit train.*
// value always wins.
std::string Source(const Config& c, const Override& o) {
  if (c.Origin(o.train_key) != "default") return o.train_key;
  if (c.Origin(o.section_key) != "default") return o.section_key;
  return o.train_key;
}

void AddPhaseKeys(util::OptionTable<T>& t) {
  t.String("train.out", &T::out, "Directory of the run: replay data, checkpoints, report, log.");
  t.Number("train.minutes", &T::minutes, 0, 1e7,
           "Wall-clock budget of the whole run, evaluation included (0: no limit).");
  t.Int("train.updates", &T::updates, 0, 1e15,
        "SAC updates of the RL phase (0: until time is up).");
  t.Int("train.demo_steps", &T::demo_steps, 0, 1e12,
        "Expert env steps written to demos before SFT.");
  t.Int("train.sft_updates", &T::sft_updates, 0, 1e12,
        "Behaviour-cloning updates before RL (0: none).");
  t.Int("train.dagger_rounds", &T::dagger_rounds, 0, 1000,
        "DAgger rounds after SFT: the cloned policy drives, the expert labels (0: none).");
  t.Int("train.dagger_steps", &T::dagger_steps, 1, 1e12,
        "Env steps each DAgger round labels into demos.");
  t.Int("train.dagger_updates", &T::dagger_updates, 0, 1e12,
        "Behaviour-cloning updates after each DAgger round's labels.");
  t.Number("train.setup_fraction", &T::setup_fraction, 0.01, 1,
           "Share of the minutes after which demos and SFT stop even if unfinished.");
  t.Int("train.critic_pretrain_updates", &T::critic_pretrain_updates, 0, 1e12,
        "First RL-phase updates that fit only the critics, on the demos (the cloned actor's "
        "values), before the warm-up.");
  t.Int("train.critic_warmup_updates", &T::critic_warmup_updates, 0, 1e12,
        "RL updates that train only the critics before the actor moves.");
  t.Int("train.lockstep_steps", &T::lockstep_steps, 0, 1e12,
        "0: the RL phase's rollout and learner run side by side, paced by "
        "train.samples_per_insert. N: they take turns: the policy drives N env steps (one env "
        "actor, all the envs), then the learner makes as many updates as samples_per_insert "
        "asks for on the table as it stands and publishes; with train.updates as the limit the "
        "whole run follows from train.seed, bit for bit.");
  t.Int("train.rl_learner_threads", &T::rl_learner_threads, 0, 1024,
        "Torch threads of the RL phase's learner (0: half the cores, at least one; more "
        "oversubscribes the cores the rollout, the samplers and Redis need, and in lock-step "
        "turns too the samplers and Redis beside it made 2 threads slower than 1 on 2 cores).");
  t.String("train.scenario_mix", &T::scenario_mix,
           "Scenario mix of the RL phase's rollouts: rl (built in: every family, merges "
           "oversampled to ~36 %), a mix file, or empty for actor.scenario_mix (and if that is "
           "empty too, the env's own draw). Demos and DAgger use the env's own draw.");
  t.String("train.suite", &T::suite, "Final evaluation suite: default (built in) or a suite file.");
  t.String("train.validation_suite", &T::validation_suite,
           "Second evaluation suite, seeds disjoint from the first: validation (built in), a "
           "suite file, or empty for none.");
  t.String("train.selection_suite", &T::selection_suite,
           "Every RL checkpoint drives this suite (seeds disjoint from both evaluation suites) and "
           "the best ones (fewest at-fault collisions, then mean score) make the learned policy: "
           "selection (built in), a suite file, or empty for the newest checkpoint.");
  t.Number("train.selection_checkpoint_seconds", &T::selection_checkpoint_seconds, 1, 1e9,
           "With a selection suite: seconds between checkpoints (at most learner."
           "checkpoint_seconds), all kept as candidates.");
  t.Int("train.selection_average", &T::selection_average, 1, 1000,
        "With a selection suite: the learned policy is the weight average (actor, critics, "
        "normaliser) of this many best-scoring RL checkpoints; 1: the best one itself.");
  t.Enum("train.selection_rank", &T::selection_collisions_first,
         {{"collisions", true}, {"score", false}},
         "How the selection ranks RL checkpoints: collisions (the fewest at-fault collisions on "
         "the selection suite, then the mean score) or score (the mean score alone, where each "
         "at-fault collision already scores its episode 0); the weight average must then match "
         "the best on the same terms.");
  t.Int("train.seed", &T::seed, 1, 1e15,
        "Seeds the run: the learner's networks and noise, the demos' and the rollouts' draws.");
  t.Number("train.progress_seconds", &T::progress_seconds, 0.1, 3600,
           "Seconds between progress lines when stdout is not a terminal.");
  t.Number("train.curve_seconds", &T::curve_seconds, 0.1, 3600,
           "Seconds between learning-curve points.");
}

void AddOverridingKeys(util::OptionTable<T>& t) {
  t.Int("train.actors", &T::actors, 1, 1024,
        "env_batch actors of the rollout (overrides actor.actors; an explicit actor.actors is "
        "used when this is left at its default).");
  t.Int("train.envs_per_actor", &T::envs_per_actor, 1, 65536,
        "Envs each env_batch actor steps (overrides actor.envs_per_actor likewise).");
  t.Number("train.bc_weight", &T::bc_weight, 0, 1e6,
           "Weight of the BC term during the RL phase (overrides learner.bc_weight likewise).");
  t.Number("train.alpha", &T::alpha, 1e-6, 100,
           "Entropy temperature of the RL phase (its learner.initial_alpha; fixed while the BC "
           "term is on, learner.temperature auto).");
  t.Number("train.samples_per_insert", &T::samples_per_insert, 0, 1e6,
           "Sampled/inserted ratio on rl during RL (0: no pacing; overrides "
           "replay.samples_per_insert likewise).");
  t.Int("train.queue_limit", &T::queue_limit, 1, 1e9,
        "Transitions the writer holds before the envs wait (overrides actor.queue_limit "
        "likewise).");
}

util::OptionTable<T> BuildTable() {
  util::OptionTable<T> t;
  AddPhaseKeys(t);
  AddOverridingKeys(t);
  return t;
}

// The table's entry of `key`.
const util::OptionTable<T>::Entry& EntryOf(const std::string& key) {
  for (const auto& entry : TrainSettingsTable().entries()) {
    if (entry.info.name == key) return entry;
  }
  std::abort();  // kOverrides names only declared keys
}

}  // namespace

const util::OptionTable<TrainSettings>& TrainSettingsTable() {
  static const auto* const table = new util::OptionTable<TrainSettings>(BuildTable());
  return *table;
}

TrainSettings TrainSettings::From(const Config& c) {
  TrainSettings t;
  // The values were checked against the keys when they were merged; no entry converts further.
  (void)c.Apply(TrainSettingsTable(), t);
  for (const Override& o : kOverrides) {
    const std::string source = Source(c, o);
    if (source != o.train_key) (void)EntryOf(o.train_key).set(t, c.Value(source));
  }
  return t;
}

void TrainSettings::Record(Config& c) const {
  for (const Override& o : kOverrides) {
    const std::string source = Source(c, o);
    if (source == o.train_key) continue;  // already what the run uses
    const util::OptionValue value = EntryOf(o.train_key).get(*this);
    const std::string text = std::holds_alternative<double>(value)
                                 ? absl::StrCat(std::get<double>(value))
                                 : absl::StrCat(std::get<std::int64_t>(value));
    (void)c.Set(o.train_key, text, c.Origin(source) + " via " + o.section_key);
  }
}

}  // namespace tarmac::cli::train
