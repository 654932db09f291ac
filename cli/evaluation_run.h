#ifndef TARMAC_CLI_EVALUATION_RUN_H_
#define TARMAC_CLI_EVALUATION_RUN_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "report.h"
#include "tarmac/cli/config.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

namespace tarmac::cli {

// The policy `--policy` names: "expert", "log" (a scenario file's logged ego, envs::LogPolicy),
// or the actor of the newest checkpoint in a directory
// (or a checkpoint file), acting with its mean action; either followed by "+delay=SECONDS"
// reacts that much later (envs::DelayedPolicy), or by "+blind_cut_in=METRES" ignores cut-ins
// closer than that until they settle (envs::CutInBlindPolicy). InvalidArgument (one sentence) when
// the checkpoint is missing, unreadable or trained on another observation size than the config's
// env. When `log` is given, says which checkpoint file was loaded and which newer ones were
// skipped as unreadable.
absl::StatusOr<std::unique_ptr<envs::Policy>> LoadEvaluationPolicy(const std::string& name,
                                                                   const Config& config,
                                                                   std::ostream* log = nullptr);

// OK unless `policy` is "log" and an entry of `suite` is not a scenario with a logged ego
// (InvalidArgument naming the entry).
absl::Status CheckLoggedEgos(const std::string& policy, const envs::Suite& suite);

// A policy to evaluate and the name reports give it.
struct NamedPolicy {
  std::string name;
  envs::Policy* policy = nullptr;  // not owned; "expert" may be any policy (the env's expert runs)
};

// Runs every policy of `policies` (and the expert) on every seed of `suite`, common random
// numbers: each drives the same scenarios. `reference` indexes the policy the others are
// compared with (-1: the expert). Progress after each entry goes to `progress` when not null.
// Each score's progress is measured against the expert's distance on the same seed. Blocks;
// O(policies * episodes * steps). Entries that name a registered env run it through Env and
// Policy alone (summaries, no trajectories); InvalidArgument when such an env offers no expert.
// With `log_dir`, every driving episode of policies[0] is also written there as
// <family>-<seed>.episode.zst (with several policies, each policy's under
// `log_dir`/PolicyLogName(name)), its summary rescored and carrying the behaviour metrics
// (Internal when a file cannot be written). The worst seeds (WorstSeeds, 3) are driven again
// with logging for the report's scenes.
absl::StatusOr<EvaluationReport> EvaluateOnSuite(const std::vector<NamedPolicy>& policies,
                                                 int reference, const envs::Suite& suite,
                                                 const envs::EnvConfig& env_config,
                                                 std::ostream* progress,
                                                 const std::string& log_dir = "");

// A policy's name as a directory name: characters other than letters, digits, '.', '-' and
// '_' become '_' ("runs/a/checkpoints" -> "runs_a_checkpoints").
std::string PolicyLogName(const std::string& name);

// Where `tarmac eval --log-episodes --out DIR` writes its logs: DIR/episodes.
inline std::string EpisodeLogDir(const std::string& out) { return out + "/episodes"; }

// The file an evaluation logs the episode of (family, seed) to, under `log_dir`.
std::string EpisodeLogPath(const std::string& log_dir, absl::string_view family,
                           std::uint64_t seed);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EVALUATION_RUN_H_
