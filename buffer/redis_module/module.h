#ifndef TARMAC_BUFFER_REDIS_MODULE_MODULE_H_
#define TARMAC_BUFFER_REDIS_MODULE_MODULE_H_

#include <cstddef>

#include "redis_api.h"

namespace tarmac::replay {

// The registered native type "tarmac-pr" (set in RedisModule_OnLoad).
extern RedisModuleType* g_table_type;
// Largest payload REPLAY.INSERT accepts (module argument MAX_PAYLOAD, default 4 MiB).
extern std::size_t g_max_payload_bytes;

// Registers every REPLAY.* command; kRedisErr when Redis refuses one.
int RegisterCommands(RedisModuleCtx* ctx);

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_MODULE_H_
