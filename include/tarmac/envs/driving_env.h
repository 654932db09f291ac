#ifndef TARMAC_ENVS_DRIVING_ENV_H_
#define TARMAC_ENVS_DRIVING_ENV_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tarmac/envs/env.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/events.h"
#include "tarmac/envs/scenario.h"
#include "tarmac/envs/traffic.h"
#include "tarmac/envs/vehicle.h"

namespace tarmac::envs {

struct DrivingEnvOptions {
  std::string name = "driving-v0";
  // The family every episode uses; unset: the seed picks one of the seven.
  std::optional<ScenarioFamily> family;
  ScenarioConfig scenario;
  RewardConfig reward;
  EventThresholds events;

  // The options of a registered driving env under `config` (from configs/default.yaml).
  static DrivingEnvOptions From(const EnvConfig& config, std::string name,
                                std::optional<ScenarioFamily> family);
  VehicleParams ego = VehicleParams::Car();
  int nearest_vehicles = 8;  // K
  int history = 0;           // past frames appended to the observation (env.history)
};

// Observation layout (floats, all roughly in [-1, 1]):
//   [0, 10)   ego: speed/30, accel/8, steer/0.6, heading error vs road (rad), offset from lane
//             centre / lane width, yaw rate, lane index / 3, left lane exists, right lane exists,
//             speed limit / 30
//   [10, 20)  lane preview at 10, 20, 40, 60, 80 m: curvature*100 and the ego lane centre's
//             lateral offset in the ego frame / 10, interleaved
//   [20, 20+7K) K nearest vehicles by distance, each: present, dx/50, dy/10 (ego frame),
//             dvx/30, dvy/10, relative heading, length/10; absent ones are zeros
//   [20+7K, 30+7K) the leaders IDM would follow, in the ego lane, the lane to its left and the
//             one to its right (vehicles changing lanes count in their target lane): present,
//             gap bumper to bumper / 100 (capped at 1.5), (leader speed - ego speed) / 30;
//             then the distance to where the ego lane ends / 150 (1 when beyond 150 m)
inline constexpr int kEgoFeatures = 10;
inline constexpr int kPreviewFeatures = 10;
inline constexpr int kVehicleFeatures = 7;
inline constexpr int kLeaderFeatures = 10;
// With env.history H the observation is H + 1 such frames, the current one first, then the H
// before it, newest first; an episode starts with H copies of its first frame.

// Highways with IDM/MOBIL traffic and the seven scenario families, the ego on the bicycle
// model; rewards by term, driving events and nuPlan-style episode metrics.
class DrivingEnv : public Env {
 public:
  explicit DrivingEnv(DrivingEnvOptions options);

  const EnvSpec& spec() const override { return spec_; }
  void Reset(std::uint64_t seed, absl::Span<float> observation) override;
  StepResult Step(absl::Span<const float> action, absl::Span<float> observation,
                  absl::Span<float> reward_terms) override;
  schemas::EpisodeSummary Summary() const override;
  // The expert planner (ExpertPolicy).
  std::unique_ptr<Policy> MakeExpert() const override;
  // The family (unset: by seed) and ranges of the episodes from the next Reset on (a scenario
  // mix's draw). The step length stays the env's.
  void SetScenario(std::optional<ScenarioFamily> family, const ScenarioConfig& config);
  // Every episode from the next Reset on drives `scenario` (a scenario file's, which passed
  // CheckScenario) whatever seed Reset is given; its entering traffic draws from its own seed.
  // Null, or SetScenario, goes back to generating episodes.
  void SetFixedScenario(std::shared_ptr<const Scenario> scenario);

  // Read access for the expert planner, tests and reports.
  const Scenario& scenario() const { return scenario_; }
  const VehicleState& ego() const { return ego_; }
  const VehicleParams& ego_params() const { return options_.ego; }
  Frenet ego_frenet() const { return ego_frenet_; }
  const Traffic& traffic() const { return *traffic_; }
  // The vehicle the ego follows in its nearest lane after the last Reset or Step, as
  // Traffic::LeaderOf finds it (gap, speed and index in traffic(); none when nothing leads).
  const std::optional<std::pair<Leader, int>>& ego_leader() const { return ego_leader_; }
  double time() const { return step_ * scenario_.dt; }

 private:
  // The current frame into the first frame_size_ floats, the past frames after it.
  void Observe(absl::Span<float> observation);
  void ObserveFrame(absl::Span<float> frame) const;
  void RunScripts();
  void EnterTraffic();
  void EnterLogged();  // the logged agents whose tracks begin now
  double Uniform();    // from entry_rng_: the episode's own stream for entering traffic

  DrivingEnvOptions options_;
  EnvSpec spec_;
  int frame_size_ = 0;
  std::vector<float> past_;  // options_.history frames, newest first
  BicycleModel model_;
  std::shared_ptr<const Scenario> fixed_;
  Scenario scenario_;
  std::optional<Traffic> traffic_;
  VehicleState ego_;
  Frenet ego_frenet_;
  std::optional<std::pair<Leader, int>> ego_leader_;
  int step_ = 0;
  std::vector<bool> script_started_;
  std::size_t logged_entered_ = 0;  // scenario_.logged, sorted by start, before this entered
  std::vector<int> hits_;           // reused every step
  std::uint64_t entry_rng_ = 0;     // splitmix64 state
  bool done_ = false;

  // Episode bookkeeping.
  struct Episode {
    double start_s = 0.0;
    double episode_return = 0.0;
    std::vector<double> term_returns;
    std::vector<schemas::EventOccurrence> events;
    bool collided = false;
    bool at_fault = false;
    bool off_road = false;
    bool near_miss = false;
    int comfort_steps = 0;
    int overspeed_steps = 0;
    double max_abs_jerk = 0.0;
    double max_abs_lat_accel = 0.0;
    double min_ttc = 1e9;
    double straddle_seconds = 0.0;
    int leader_id = 0;
    schemas::EventMask previous_events = 0;
    schemas::Outcome outcome = schemas::Outcome::kTimeLimit;
  } episode_;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_DRIVING_ENV_H_
