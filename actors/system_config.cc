#include "tarmac/actors/system_config.h"

#include <algorithm>
#include <thread>

namespace tarmac::actors {

void ConfigureActorSystem(caf::actor_system_config& cfg) {
  const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", cores);
  cfg.set("scheduler.policy", caf::atom("sharing"));
}

}  // namespace tarmac::actors
