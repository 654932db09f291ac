// The driving envs: one per scenario family, and one that mixes them by seed.
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/registry.h"

namespace tarmac::envs {
namespace {

std::unique_ptr<Env> MakeDriving(const EnvConfig& config, const char* name,
                                 std::optional<ScenarioFamily> family) {
  return std::make_unique<DrivingEnv>(DrivingEnvOptions::From(config, name, family));
}

}  // namespace

TARMAC_REGISTER_ENV("driving-v0", "All seven scenario families, picked by seed",
                    MakeDriving(config, "driving-v0", std::nullopt));
TARMAC_REGISTER_ENV("highway-v0", "Cruising in moderate three-lane traffic",
                    MakeDriving(config, "highway-v0", ScenarioFamily::kHighway));
TARMAC_REGISTER_ENV("dense-v0", "Slow, dense three-lane traffic",
                    MakeDriving(config, "dense-v0", ScenarioFamily::kDense));
TARMAC_REGISTER_ENV("merge-v0", "Merging from an ending acceleration lane",
                    MakeDriving(config, "merge-v0", ScenarioFamily::kMerge));
TARMAC_REGISTER_ENV("cut_in-v0", "A vehicle cuts in with a drawn gap and TTC",
                    MakeDriving(config, "cut_in-v0", ScenarioFamily::kCutIn));
TARMAC_REGISTER_ENV("lead_brake-v0", "The lead vehicle brakes at 6-8 m/s^2",
                    MakeDriving(config, "lead_brake-v0", ScenarioFamily::kLeadBrake));
TARMAC_REGISTER_ENV("stalled-v0", "A stopped vehicle blocks the ego lane",
                    MakeDriving(config, "stalled-v0", ScenarioFamily::kStalled));
TARMAC_REGISTER_ENV("curve-v0", "Two-lane road with a 150-400 m radius curve",
                    MakeDriving(config, "curve-v0", ScenarioFamily::kCurve));

}  // namespace tarmac::envs
