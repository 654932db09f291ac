#ifndef TARMAC_CLI_SCENARIO_FILE_H_
#define TARMAC_CLI_SCENARIO_FILE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::cli {

// Scenario files: one concrete episode as YAML (README "Bringing your own scenarios" documents
// the format): road, speed limit, ego start, entering traffic, behavioural agents with a driver
// and scripted manoeuvres, logged agents with a timed track, and the parameters a generated
// episode drew. `tarmac scenario export` writes one, `check` validates one, a suite entry
// `scenario: FILE` or `scenarios: DIR` drives them.

// Parses a scenario file. Errors are one sentence naming `origin` and the field
// ("cut.yaml: agents[2].driver: unknown key 'v1'; ..."): YAML syntax, unknown keys, missing or
// mistyped values, and everything envs::CheckScenario refuses (non-physical values, overlapping
// agents at t = 0). The scenario's name defaults to the file's stem. O(size).
absl::StatusOr<envs::Scenario> ParseScenarioFile(absl::string_view text, absl::string_view origin);
absl::StatusOr<envs::Scenario> LoadScenarioFile(const std::string& path);

// Every scenario file (*.yaml, *.yml) and scenario set (*.scenarios) directly in `dir`, by file
// name; InvalidArgument naming the first bad one, or a folder that holds none.
absl::StatusOr<std::vector<std::shared_ptr<const envs::Scenario>>> LoadScenarioFolder(
    const std::string& dir);

// Scenario sets: many scenarios in one Cap'n Proto file (`*.scenarios`,
// schemas/scenario_set.capnp), for bulk; the same content as the YAML files, loaded without
// parsing text. InvalidArgument naming `origin` for bytes that are not a set or a scenario in
// it that CheckScenario refuses. O(size).
absl::StatusOr<std::vector<std::shared_ptr<const envs::Scenario>>> ParseScenarioSet(
    absl::string_view bytes, absl::string_view origin);
std::string ScenarioSetBytes(const std::vector<std::shared_ptr<const envs::Scenario>>& scenarios);

// The scenarios at `path`: a scenario file, a scenario set, or a folder of either.
absl::StatusOr<std::vector<std::shared_ptr<const envs::Scenario>>> LoadScenarios(
    const std::string& path);

// The scenario as a scenario file: every number in the shortest text that reads back to the
// same double, so the file drives bit-identically the episode `scenario` describes.
std::string ScenarioFileText(const envs::Scenario& scenario);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_SCENARIO_FILE_H_
