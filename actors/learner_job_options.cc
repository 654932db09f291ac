// The learner.* keys of LearnerJobOptions, and its checks.
#include "absl/strings/str_cat.h"
#include "tarmac/actors/learner_job.h"

namespace tarmac::actors {
namespace {

using util::OptionType;
using util::OptionValue;

// A list of event names (`key`) as the mask `field`.
util::OptionTable<LearnerJobOptions>::Setter SetEvents(
    const std::string& key, schemas::EventMask LearnerJobOptions::*field) {
  return [key, field](LearnerJobOptions& o, const OptionValue& v) {
    schemas::EventMask mask = 0;
    for (const std::string& name : std::get<std::vector<std::string>>(v)) {
      auto event = schemas::ParseEvent(name);
      if (!event.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": ", event.status().message()));
      }
      mask |= schemas::EventBit(*event);
    }
    o.*field = mask;
    return absl::OkStatus();
  };
}

util::OptionTable<LearnerJobOptions>::Getter GetEvents(
    schemas::EventMask LearnerJobOptions::*field) {
  return [field](const LearnerJobOptions& o) {
    std::vector<std::string> names;
    for (schemas::Event event : schemas::EventsIn(o.*field)) {
      names.emplace_back(schemas::EventName(event));
    }
    return OptionValue(names);
  };
}

void AddSamplingKeys(util::OptionTable<LearnerJobOptions>& t) {
  using O = LearnerJobOptions;
  t.Int("learner.batch_size", &O::batch_size, 1, 65536, "Items per update.");
  t.Int("learner.samplers", &O::samplers, 1, 64, "Sampler actors.");
  t.Int("learner.prefetch", &O::prefetch, 1, 64, "Batches requested ahead per sampler.");
  t.Number("learner.beta_start", &O::beta_start, 0, 1, "PER importance exponent at the start.");
  t.Int("learner.beta_updates", &O::beta_updates, 0, 1e12, "Updates over which beta anneals to 1.");
  t.Int("learner.min_replay", &O::min_replay, 0, 1e12,
        "Items the table needs before updates start.");
  t.Custom({"learner.demo_events",
            OptionType::kStringList,
            {},
            {},
            {},
            {},
            "Events oversampled in demo batches."},
           GetEvents(&O::demo_event_mask), SetEvents("learner.demo_events", &O::demo_event_mask));
  t.Number("learner.demo_event_share", &O::demo_event_share, 0, 0.99,
           "Share of each demo batch drawn from items tagged with learner.demo_events.");
  t.Custom({"learner.rl_events",
            OptionType::kStringList,
            {},
            {},
            {},
            {},
            "Events oversampled in RL batches (tarmac finetune: the focus behaviour's)."},
           GetEvents(&O::rl_event_mask), SetEvents("learner.rl_events", &O::rl_event_mask));
  t.Number("learner.rl_event_share", &O::rl_event_share, 0, 0.99,
           "Share of each RL batch drawn from items tagged with learner.rl_events (0: plain PER).");
}

void AddScheduleKeys(util::OptionTable<LearnerJobOptions>& t) {
  using O = LearnerJobOptions;
  t.Int("learner.bc_decay_updates", &O::bc_decay_updates, 0, 1e12,
        "Updates over which the BC weight decays linearly to 0 (0: constant).");
  t.Int("learner.actor_warmup_updates", &O::actor_warmup_updates, 0, 1e12,
        "First updates of a run that train only the critics (the actor waits).");
  t.Int("learner.critic_pretrain_updates", &O::critic_pretrain_updates, 0, 1e12,
        "First updates of a run that fit only the critics, on demo batches (before the warm-up).");
  t.Int("learner.publish_every", &O::publish_every, 1, 1e9, "Updates between weight publications.");
  t.Number("learner.checkpoint_seconds", &O::checkpoint_seconds, 0.1, 1e9,
           "Seconds between checkpoints.");
  t.String("learner.checkpoint_dir", &O::checkpoint_dir,
           "Where checkpoints go (ckpt-<step>.pt; empty: none).");
  t.Int("learner.keep_checkpoints", &O::keep_checkpoints, 1, 1000, "Newest checkpoints kept.");
  t.Bool("learner.resume", &O::resume, "Continue from the newest checkpoint.");
  t.String("learner.init", &O::init,
           "With nothing to resume from, start from this checkpoint (file or directory): "
           "networks, normaliser, optimisers and step (empty: fresh networks).");
  t.String("learner.anchor", &O::anchor,
           "Checkpoint (file or directory) whose actor is the frozen reference of the KL anchor "
           "(learner.anchor_weight); tarmac finetune sets its --from (empty: no anchor).");
  t.Int("learner.max_updates", &O::max_updates, 0, 1e15,
        "Stop after this many updates (0: never).");
  t.Int("learner.until_step", &O::until_step, 0, 1e15,
        "Stop once the learner's step, resumed steps included, reaches this: a rerun stage "
        "(e.g. SFT in a restarted pod) ends at once (0: never).");
  t.Number("learner.max_seconds", &O::max_seconds, 0, 1e9,
           "Stop after this many seconds of training (0: never).");
}

util::OptionTable<LearnerJobOptions> BuildTable() {
  // The config's defaults are the struct's, except that a configured learner keeps
  // checkpoints (a library caller that sets no directory gets none).
  LearnerJobOptions defaults;
  defaults.checkpoint_dir = "checkpoints";
  util::OptionTable<LearnerJobOptions> t(defaults);
  t.Include(&LearnerJobOptions::sac, learner::SacOptionTable());
  AddSamplingKeys(t);
  AddScheduleKeys(t);
  return t;
}

}  // namespace

const util::OptionTable<LearnerJobOptions>& LearnerJobOptionTable() {
  static const auto* const table = new util::OptionTable<LearnerJobOptions>(BuildTable());
  return *table;
}

std::vector<std::pair<std::uint64_t, double>> LearnerJobOptions::DemoTagMixture() const {
  std::vector<std::pair<std::uint64_t, double>> mixture;
  double rest = 1.0;
  if (demo_focus_tags != 0 && demo_focus_share > 0.0) {
    mixture.emplace_back(demo_focus_tags, demo_focus_share);
    rest -= demo_focus_share;
  }
  if (demo_event_mask != 0 && demo_event_share > 0.0) {
    mixture.emplace_back(demo_event_mask, demo_event_share);
    rest -= demo_event_share;
  }
  if (mixture.empty()) return {};
  mixture.emplace_back(0, rest);
  return mixture;
}

std::vector<std::pair<std::uint64_t, double>> LearnerJobOptions::RlTagMixture() const {
  if (rl_event_mask == 0 || rl_event_share <= 0.0) return {};
  return {{rl_event_mask, rl_event_share}, {0, 1.0 - rl_event_share}};
}

absl::Status LearnerJobOptions::Validate() const {
  if (shards.empty()) return absl::InvalidArgumentError("the learner needs at least one shard");
  if (absl::Status s = LearnerJobOptionTable().Check(*this); !s.ok()) return s;
  if (demo_focus_share < 0.0 || demo_focus_share + demo_event_share >= 1.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the demo batches' focus share ", demo_focus_share, " and event share ",
                     demo_event_share, " leave no room for the rest; keep their sum below 1"));
  }
  return sac.Validate();
}

}  // namespace tarmac::actors
