#ifndef TARMAC_TESTS_ANALYSIS_EPISODE_BUILDER_H_
#define TARMAC_TESTS_ANALYSIS_EPISODE_BUILDER_H_

#include <cstddef>

#include "tarmac/schemas/episode_log.h"
#include "tarmac/schemas/event.h"

namespace tarmac::analysis::testing {

// A hand-built episode: `steps` steps of dt = 0.1 s at a constant 20 m/s in lane 0, no leader,
// straight road. Tests then edit the steps to stage what they measure.
inline schemas::EpisodeLog StraightEpisode(std::size_t steps, const char* scenario = "highway") {
  schemas::EpisodeLog log;
  log.scenario = scenario;
  log.dt = 0.1;
  log.speed_limit = 30.0;
  for (std::size_t i = 0; i < steps; ++i) {
    schemas::LoggedStep step;
    step.ego.speed = 20.0;
    step.ego.s = step.ego.x = 2.0 * static_cast<double>(i);
    if (i > 0) step.action = {0.0F, 0.0F};
    log.steps.push_back(step);
  }
  return log;
}

inline void MarkEvent(schemas::EpisodeLog* log, std::size_t step, schemas::Event event) {
  log->steps[step].events |= schemas::EventBit(event);
}

}  // namespace tarmac::analysis::testing

#endif  // TARMAC_TESTS_ANALYSIS_EPISODE_BUILDER_H_
