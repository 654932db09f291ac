#ifndef TARMAC_ENVS_METRICS_H_
#define TARMAC_ENVS_METRICS_H_

namespace tarmac::envs {

// What the nuPlan-style closed-loop score of an episode is computed from.
struct ScoreInputs {
  bool at_fault_collision = false;
  bool off_road = false;
  double progress_ratio = 0.0;    // ego progress / reference progress (expert or speed limit)
  bool ttc_violated = false;      // a near miss (TTC below its threshold) happened
  double speed_compliance = 1.0;  // fraction of steps within the speed limit (+5 %)
  bool comfort_violated = false;  // a nuPlan comfort bound was exceeded
};

// multipliers (no at-fault collision, drivable area, making progress: ratio >= 0.2) times the
// weighted average (progress 5, TTC 5, speed limit 4, comfort 2) / 16, in [0, 1].
double ClosedLoopScore(const ScoreInputs& in);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_METRICS_H_
