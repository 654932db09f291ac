#include "finetune_settings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tarmac::cli::train {
namespace {

using F = FinetuneSettings;
using util::OptionType;
using util::OptionValue;

// A list-of-strings key.
void AddList(util::OptionTable<F>& t, const std::string& name, std::vector<std::string> F::*field,
             const std::string& help) {
  t.Custom(
      {name, OptionType::kStringList, {}, {}, {}, {}, help},
      [field](const F& f) { return OptionValue(f.*field); },
      [field](F& f, const OptionValue& v) {
        f.*field = std::get<std::vector<std::string>>(v);
        return absl::OkStatus();
      });
}

util::OptionTable<F> BuildTable() {
  util::OptionTable<F> t;
  t.String("finetune.from", &F::from,
           "The checkpoint (file, or the newest in a directory) the fine-tuning starts "
           "from and is anchored to.");
  t.String("finetune.focus", &F::focus,
           "The suite of the behaviour's cases (tarmac mine --export-suite): DAgger "
           "drives them, RL draws finetune.mix of its episodes from them, the result is "
           "verified on them.");
  t.Number("finetune.mix", &F::mix, 0.01, 1,
           "Share of the RL phase's episodes on the focus cases (the rest: the env's own "
           "draw, so the other families stay in view).");
  t.Number("finetune.jitter", &F::jitter, 0, 0.99,
           "Each focus case's drawn parameters move within +-this (relative) each episode, so "
           "the policy does not memorise the seeds (0: replayed exactly).");
  t.Number("finetune.minutes", &F::minutes, 0, 1e7,
           "Wall-clock budget, verification included (0: no limit).");
  t.String("finetune.out", &F::out, "The run's directory.");
  t.Number("finetune.anchor_weight", &F::anchor_weight, 0, 1e6,
           "Weight of the KL anchor to the starting policy in the SAC actor loss (0: none).");
  AddList(t, "finetune.focus_events", &F::focus_events,
          "Events oversampled in RL batches: the focus behaviour's.");
  t.Number("finetune.focus_event_share", &F::focus_event_share, 0, 0.99,
           "Share of each RL batch drawn from items tagged with finetune.focus_events.");
  t.Number("finetune.focus_share", &F::focus_share, 0, 0.7,
           "Share of each closed-loop SFT batch drawn from the focus cases' DAgger labels.");
  t.Int("finetune.dagger_rounds", &F::dagger_rounds, 0, 1000,
        "Closed-loop SFT rounds: the policy drives the focus cases, the expert labels them.");
  t.Int("finetune.dagger_steps", &F::dagger_steps, 1, 1e12, "Env steps labelled per round.");
  t.Int("finetune.dagger_updates", &F::dagger_updates, 0, 1e12,
        "Behaviour-cloning updates after each round (original demos and focus labels).");
  AddList(t, "finetune.guard_suites", &F::guard_suites,
          "Suites (files) the result is verified on besides the focus suite and train.suite.");
  t.String("finetune.gate", &F::gate,
           "Gate of the verification: default (configs/gates/default.yaml, built in), a gate "
           "file, or empty for none; a failed gate makes finetune exit 3.");
  return t;
}

}  // namespace

const util::OptionTable<FinetuneSettings>& FinetuneSettingsTable() {
  static const auto* const table = new util::OptionTable<FinetuneSettings>(BuildTable());
  return *table;
}

FinetuneSettings FinetuneSettings::From(const Config& c) {
  FinetuneSettings f;
  (void)c.Apply(FinetuneSettingsTable(), f);  // checked when merged
  return f;
}

absl::Status FinetuneSettings::Derive(Config& c, const std::string& start,
                                      bool critics_trained) const {
  const auto set = [&c](const char* key, const std::string& value, const char* from) {
    return c.Set(key, value, absl::StrCat("finetune.", from));
  };
  const std::pair<const char*, std::pair<std::string, const char*>> derived[] = {
      {"train.out", {out, "out"}},
      {"train.minutes", {absl::StrCat(minutes), "minutes"}},
      {"learner.init", {start, "from"}},
      {"learner.anchor", {start, "from"}},
      {"learner.anchor_weight", {absl::StrCat(anchor_weight), "anchor_weight"}},
      {"learner.rl_events",
       {absl::StrCat("[", absl::StrJoin(focus_events, ", "), "]"), "focus_events"}},
      {"learner.rl_event_share", {absl::StrCat(focus_event_share), "focus_event_share"}},
      {"train.dagger_rounds", {absl::StrCat(dagger_rounds), "dagger_rounds"}},
      {"train.dagger_steps", {absl::StrCat(dagger_steps), "dagger_steps"}},
      {"train.dagger_updates", {absl::StrCat(dagger_updates), "dagger_updates"}},
      {"train.validation_suite", {"", "focus"}},
      {"train.selection_suite", {"", "focus"}},
  };
  for (const auto& [key, value] : derived) {
    if (absl::Status s = set(key, value.first, value.second); !s.ok()) return s;
  }
  if (critics_trained) {
    if (absl::Status s = set("train.critic_pretrain_updates", "0", "from"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace tarmac::cli::train
