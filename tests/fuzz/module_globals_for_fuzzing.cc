// The globals module.cc defines inside Redis, for the command layer linked without it.
#include "module.h"

namespace tarmac::replay {

RedisModuleType* g_table_type = nullptr;
std::size_t g_max_payload_bytes = 64;

}  // namespace tarmac::replay
