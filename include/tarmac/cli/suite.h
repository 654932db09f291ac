#ifndef TARMAC_CLI_SUITE_H_
#define TARMAC_CLI_SUITE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/envs/scenario_mix.h"

namespace tarmac::cli {

// Parses a scenario suite (YAML; configs/suites/default.yaml documents the format). Errors are
// one sentence naming the file (`origin`), the entry and the key: unknown keys or families,
// counts and seeds out of range, malformed or inconsistent ranges.
// `base` is what entries start from before the suite's own overrides (the env config's).
absl::StatusOr<envs::Suite> ParseSuite(absl::string_view text, absl::string_view origin,
                                       const envs::ScenarioConfig& base = {});
// Every case of a suite's driving entries, each entry's seeds in order: what a scenario mix
// replays. InvalidArgument naming the env of an entry that is not a driving family.
absl::StatusOr<std::vector<envs::ScenarioCase>> SuiteCases(const envs::Suite& suite);

absl::StatusOr<envs::Suite> LoadSuite(const std::string& path,
                                      const envs::ScenarioConfig& base = {});

// The ranges the suite at `path` gives `family` (its first generated entry of that family):
// what a command that drives one family takes from `--suite`. InvalidArgument when the suite
// does not load or has no such entry.
absl::StatusOr<envs::ScenarioConfig> SuiteFamilyRanges(const std::string& path,
                                                       envs::ScenarioFamily family,
                                                       const envs::ScenarioConfig& base);

// Parses a scenario mix (YAML; configs/scenario_mix.yaml documents the format): `sources`, each
// with a name, a weight, and either a family with overrides (or neither: every family by seed)
// or a suite file (relative paths from the mix file's directory) with an optional jitter.
// Errors are one sentence naming the file, the source and the key.
absl::StatusOr<envs::ScenarioMix> ParseScenarioMix(absl::string_view text, absl::string_view origin,
                                                   const envs::ScenarioConfig& base = {});
absl::StatusOr<envs::ScenarioMix> LoadScenarioMix(const std::string& path,
                                                  const envs::ScenarioConfig& base = {});

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_SUITE_H_
