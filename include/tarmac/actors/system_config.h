#ifndef TARMAC_ACTORS_SYSTEM_CONFIG_H_
#define TARMAC_ACTORS_SYSTEM_CONFIG_H_

#include <caf/actor_system_config.hpp>

namespace tarmac::actors {

// The scheduler every tarmac process uses: as many worker threads as cores (CAF 0.17 defaults
// to at least four) and the "sharing" policy, whose idle workers block on a condition variable
// instead of polling and sleeping (the work-stealing default burns a few percent of a core per
// idle worker, and env actors are CPU-bound anyway). Heavy work runs in detached actors.
void ConfigureActorSystem(caf::actor_system_config& cfg);

}  // namespace tarmac::actors

#endif  // TARMAC_ACTORS_SYSTEM_CONFIG_H_
