#include "tarmac/envs/metrics.h"

#include <algorithm>

namespace tarmac::envs {

double ClosedLoopScore(const ScoreInputs& in) {
  const double multiplier = (in.at_fault_collision ? 0.0 : 1.0) * (in.off_road ? 0.0 : 1.0) *
                            (in.progress_ratio >= 0.2 ? 1.0 : 0.0);
  const double progress = std::clamp(in.progress_ratio, 0.0, 1.0);
  const double ttc = in.ttc_violated ? 0.0 : 1.0;
  const double speed = std::clamp(in.speed_compliance, 0.0, 1.0);
  const double comfort = in.comfort_violated ? 0.0 : 1.0;
  return multiplier * (5.0 * progress + 5.0 * ttc + 4.0 * speed + 2.0 * comfort) / 16.0;
}

}  // namespace tarmac::envs
