// The driving envs: one per scenario family, and one that mixes them by seed.
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/registry.h"

namespace tarmac::envs {
namespace {

std::unique_ptr<Env> MakeDriving(const char* name, std::optional<ScenarioFamily> family) {
  DrivingEnvOptions options;
  options.name = name;
  options.family = family;
  return std::make_unique<DrivingEnv>(options);
}

}  // namespace

TARMAC_REGISTER_ENV("driving-v0", "All seven scenario families, picked by seed",
                    MakeDriving("driving-v0", std::nullopt));
TARMAC_REGISTER_ENV("highway-v0", "Cruising in moderate three-lane traffic",
                    MakeDriving("highway-v0", ScenarioFamily::kHighway));
TARMAC_REGISTER_ENV("dense-v0", "Slow, dense three-lane traffic",
                    MakeDriving("dense-v0", ScenarioFamily::kDense));
TARMAC_REGISTER_ENV("merge-v0", "Merging from an ending acceleration lane",
                    MakeDriving("merge-v0", ScenarioFamily::kMerge));
TARMAC_REGISTER_ENV("cut_in-v0", "A vehicle cuts in with a drawn gap and TTC",
                    MakeDriving("cut_in-v0", ScenarioFamily::kCutIn));
TARMAC_REGISTER_ENV("lead_brake-v0", "The lead vehicle brakes at 6-8 m/s^2",
                    MakeDriving("lead_brake-v0", ScenarioFamily::kLeadBrake));
TARMAC_REGISTER_ENV("stalled-v0", "A stopped vehicle blocks the ego lane",
                    MakeDriving("stalled-v0", ScenarioFamily::kStalled));
TARMAC_REGISTER_ENV("curve-v0", "Two-lane road with a 150-400 m radius curve",
                    MakeDriving("curve-v0", ScenarioFamily::kCurve));

}  // namespace tarmac::envs
