#ifndef TARMAC_ENVS_SCENARIO_RECORD_H_
#define TARMAC_ENVS_SCENARIO_RECORD_H_

#include "absl/status/statusor.h"
#include "tarmac/envs/scenario.h"
#include "tarmac/schemas/scenario_set.h"

namespace tarmac::envs {

// A scenario as the bulk wire format holds it (schemas/scenario_set.capnp), every field exact.
schemas::ScenarioRecord ScenarioToRecord(const Scenario& scenario);
// The scenario a record holds: its road rebuilt, then CheckScenario. InvalidArgument (one
// sentence naming the scenario and the field) for a record that cannot be driven. O(size).
absl::StatusOr<Scenario> ScenarioFromRecord(const schemas::ScenarioRecord& record);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_SCENARIO_RECORD_H_
