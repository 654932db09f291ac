#include "finetune_command.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "compare_report.h"
#include "evaluation_run.h"
#include "exit_codes.h"
#include "policy_comparison.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/learner/checkpoint_files.h"
#include "train_command.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;

// The config of one arm of a reward A/B: the invocation's with `file` merged over it. The file
// may set env.reward.* keys only (InvalidArgument otherwise, or for a file that sets none).
absl::StatusOr<Config> RewardArm(const Config& invocation, const std::string& file,
                                 const std::string& flag) {
  Config arm = invocation;
  if (absl::Status s = arm.MergeYamlFile(file); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", s.message()));
  }
  int set = 0;
  for (const auto& [name, key] : arm.schema().keys()) {
    if (arm.Origin(name) != file) continue;
    if (!absl::StartsWith(name, "env.reward.")) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " ", file, " sets ", name, "; a reward file sets env.reward.* keys only"));
    }
    ++set;
  }
  if (set == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", file, " sets no env.reward.* key; give the reward weights to try"));
  }
  return arm;
}

// Both arms' fine-tuned policies compared on one suite: terminal tables, <out>/ab/<label>/.
int CompareArms(const CommandContext& context, const std::string& out, const envs::Suite& suite,
                const std::string& label) {
  const envs::EnvConfig env = *EnvConfigFrom(context.config);  // checked before the arms ran
  const std::string a_dir = out + "/a/checkpoints", b_dir = out + "/b/checkpoints";
  auto a = LoadEvaluationPolicy(a_dir, context.config);
  auto b = LoadEvaluationPolicy(b_dir, context.config);
  auto behaviours = analysis::BehavioursFrom(context.config.GetString("actor.behaviours"));
  if (!a.ok() || !b.ok() || !behaviours.ok()) {
    context.err << "tarmac: "
                << (!a.ok()   ? a.status().message()
                    : !b.ok() ? b.status().message()
                              : behaviours.status().message())
                << ".\n";
    return kExitFailure;
  }
  const std::string name = suite.name.empty() ? label : suite.name;
  const CompareResult result = ComparePolicies(**a, "reward A", **b, "reward B", suite, name, env,
                                               *behaviours, {}, 2000, context.out);
  context.out << "reward A/B on " << name << " (A: " << a_dir << ", B: " << b_dir << "):\n";
  PrintComparison(result, context.out);
  ReportIdentity identity;
  identity.command = "tarmac finetune --reward-a --reward-b (comparison)";
  identity.sources = {a_dir, b_dir};
  identity.behaviours = "built-in";
  const std::string dir = out + "/ab/" + label;
  identity.run_dir = fs::absolute(dir).lexically_normal().string();
  identity.policies = {{"reward A", (*a)->Version()}, {"reward B", (*b)->Version()}};
  identity.suite = name;
  identity.config_digest = ConfigDigest(context.config);
  if (absl::Status s = WriteCompareReport(result, identity, dir); !s.ok()) {
    context.err << "tarmac: " << s.message() << ".\n";
    return kExitFailure;
  }
  context.out << "finetune: wrote " << dir << "/compare.json and compare.html\n";
  return kExitOk;
}

}  // namespace

CLI::App* FinetuneCommand::Register(CLI::App& app, FlagBindings& flags) {
  CLI::App* sub = app.add_subcommand(
      "finetune",
      "Align a policy on a behaviour's cases: closed-loop SFT, anchored RL, verified by compare");
  flags.Bind(*sub, "--from", "finetune.from");
  flags.Bind(*sub, "--focus", "finetune.focus");
  flags.Bind(*sub, "--mix", "finetune.mix");
  flags.Bind(*sub, "--minutes", "finetune.minutes");
  flags.Bind(*sub, "--out", "finetune.out");
  flags.Bind(*sub, "--anchor-weight", "finetune.anchor_weight");
  flags.Bind(*sub, "--redis", "replay.urls");
  flags.Bind(*sub, "--metrics-port", "metrics.port");
  sub->add_option("--resume", resume_dir_, "Continue the fine-tuning in this directory");
  sub->add_option("--reward-a", reward_a_,
                  "Reward A/B: a file of env.reward.* weights; with --reward-b, two fine-tunings "
                  "from the same start and seeds (OUT/a, OUT/b), then their comparison (OUT/ab)");
  sub->add_option("--reward-b", reward_b_, "Reward A/B: the other file of env.reward.* weights");
  return sub;
}

int FinetuneCommand::Run(const CommandContext& context) {
  if (reward_a_.empty() && reward_b_.empty()) {
    return RunTrainingLoop(context, resume_dir_, RunKind::kFinetune);
  }
  const auto usage = [&](absl::string_view message) {
    context.err << "tarmac: " << message << ".\n";
    return kExitUsage;
  };
  if (reward_a_.empty() || reward_b_.empty()) {
    return usage("a reward A/B needs both --reward-a FILE and --reward-b FILE");
  }
  if (!resume_dir_.empty()) {
    return usage(
        absl::StrCat("a reward A/B is not resumed as a whole; continue an unfinished arm "
                     "with tarmac finetune --resume OUT/a (or OUT/b), then run the A/B "
                     "again with another --out"));
  }
  auto arm_a = RewardArm(context.config, reward_a_, "--reward-a");
  if (!arm_a.ok()) return usage(arm_a.status().message());
  auto arm_b = RewardArm(context.config, reward_b_, "--reward-b");
  if (!arm_b.ok()) return usage(arm_b.status().message());
  const std::string out = context.config.GetString("finetune.out");
  // Both arms are checked (start, focus, run directory) before either starts.
  for (auto* arm : {&*arm_a, &*arm_b}) {
    const std::string dir = out + (arm == &*arm_a ? "/a" : "/b");
    if (absl::Status s = arm->Set("finetune.out", dir, "--reward-a/--reward-b"); !s.ok()) {
      return usage(s.message());
    }
    if (fs::exists(dir + "/state.json")) {
      return usage(absl::StrCat(dir, " already holds a run; choose another --out"));
    }
  }
  auto env = EnvConfigFrom(context.config);
  if (!env.ok()) return usage(env.status().message());
  auto focus = LoadRunSuite(context.config.GetString("finetune.focus"), *env);
  if (!focus.ok()) return usage(focus.status().message());
  for (const auto& [arm, name] : {std::pair{&*arm_a, "A"}, std::pair{&*arm_b, "B"}}) {
    context.out << "finetune: reward " << name << " arm in " << arm->GetString("finetune.out")
                << "\n";
    const int code = RunTrainingLoop({*arm, context.out, context.err}, "", RunKind::kFinetune);
    if (code != kExitOk && code != kExitGateFailed) return code;
  }
  auto suite = LoadRunSuite(context.config.GetString("train.suite"), *env);
  if (!suite.ok()) return usage(suite.status().message());
  for (const auto& [s, label] : {std::pair{&*focus, "focus"}, std::pair{&*suite, "suite"}}) {
    if (int code = CompareArms(context, out, *s, label); code != kExitOk) return code;
  }
  return kExitOk;
}

}  // namespace tarmac::cli
