#ifndef TARMAC_CLI_EVALUATION_RUN_H_
#define TARMAC_CLI_EVALUATION_RUN_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "report.h"
#include "tarmac/cli/config.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/policy.h"

namespace tarmac::cli {

// The policy `--policy` names: "expert", or the actor of the newest checkpoint in a directory
// (or a checkpoint file), acting with its mean action; either followed by "+delay=SECONDS"
// reacts that much later (envs::DelayedPolicy). InvalidArgument (one sentence) when the
// checkpoint is missing, unreadable or trained on another observation size than the config's
// env. When `log` is given, says which checkpoint file was loaded and which newer ones were
// skipped as unreadable.
absl::StatusOr<std::unique_ptr<envs::Policy>> LoadEvaluationPolicy(const std::string& name,
                                                                   const Config& config,
                                                                   std::ostream* log = nullptr);

// Runs `policy` (and the expert, and `baseline` when given) on every seed of `suite`; progress
// after each entry goes to `progress` when not null. Progress in each score is measured against
// the expert's distance on the same seed. Blocks; O(episodes * steps).
// Entries that name a registered env run it through Env and Policy alone (summaries, no
// trajectories); InvalidArgument when such an env offers no expert to compare with.
// With `log_dir`, every driving episode of `policy` is also written there as
// <family>-<seed>.episode.zst, its summary rescored and carrying the behaviour metrics
// (Internal when a file cannot be written).
absl::StatusOr<EvaluationReport> EvaluateOnSuite(
    envs::Policy& policy, const std::string& policy_name, envs::Policy* baseline,
    const std::string& baseline_name, const envs::Suite& suite, const envs::EnvConfig& env_config,
    std::ostream* progress, const std::string& log_dir = "");

// Where `tarmac eval --log-episodes --out DIR` writes its logs: DIR/episodes.
inline std::string EpisodeLogDir(const std::string& out) { return out + "/episodes"; }

// The file an evaluation logs the episode of (family, seed) to, under `log_dir`.
std::string EpisodeLogPath(const std::string& log_dir, absl::string_view family,
                           std::uint64_t seed);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EVALUATION_RUN_H_
