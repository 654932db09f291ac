#ifndef TARMAC_BUFFER_REDIS_MODULE_REDIS_API_H_
#define TARMAC_BUFFER_REDIS_MODULE_REDIS_API_H_

// The subset of the Redis module API (Redis 7.0, API version 1) that tarmac_replay uses. No
// Debian package ships redismodule.h, so the types and signatures are declared here from the
// module API reference, and every function is fetched by name with RedisModule_GetApi, the
// first pointer of the context passed to RedisModule_OnLoad.

#include <cstddef>
#include <cstdint>

extern "C" {
typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleKey RedisModuleKey;
typedef struct RedisModuleType RedisModuleType;
typedef struct RedisModuleIO RedisModuleIO;
typedef struct RedisModuleDigest RedisModuleDigest;
typedef struct RedisModuleServerInfoData RedisModuleServerInfoData;

typedef int (*RedisModuleCmdFunc)(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
typedef void* (*RedisModuleTypeLoadFunc)(RedisModuleIO* rdb, int encver);
typedef void (*RedisModuleTypeSaveFunc)(RedisModuleIO* rdb, void* value);
typedef void (*RedisModuleTypeRewriteFunc)(RedisModuleIO* aof, RedisModuleString* key, void* value);
typedef size_t (*RedisModuleTypeMemUsageFunc)(const void* value);
typedef void (*RedisModuleTypeDigestFunc)(RedisModuleDigest* digest, void* value);
typedef void (*RedisModuleTypeFreeFunc)(void* value);

// Version 1 of the type-methods struct: the fields up to `free`.
typedef struct RedisModuleTypeMethods {
  uint64_t version;
  RedisModuleTypeLoadFunc rdb_load;
  RedisModuleTypeSaveFunc rdb_save;
  RedisModuleTypeRewriteFunc aof_rewrite;
  RedisModuleTypeMemUsageFunc mem_usage;
  RedisModuleTypeDigestFunc digest;
  RedisModuleTypeFreeFunc free;
} RedisModuleTypeMethods;
}

namespace tarmac::replay {

inline constexpr int kRedisOk = 0;
inline constexpr int kRedisErr = 1;
inline constexpr int kRedisApiVersion1 = 1;
inline constexpr int kRedisRead = 1 << 0;
inline constexpr int kRedisWrite = 1 << 1;
inline constexpr int kKeyTypeEmpty = 0;
inline constexpr int kKeyTypeModule = 6;
inline constexpr long kPostponedLength = -1;
inline constexpr uint64_t kTypeMethodVersion1 = 1;
inline constexpr int kLogWarning = 0;
// RedisModule_SetModuleOptions: a short read in rdb_load is reported (IsIOError) instead of
// panicking the server.
inline constexpr int kOptionsHandleIoErrors = 1 << 0;
inline constexpr int kCtxFlagsReadonly = 1 << 4;     // a replica with replica-read-only
inline constexpr int kCtxFlagsReplicated = 1 << 12;  // sent over the replication link
inline constexpr int kCtxFlagsLoading = 1 << 13;     // loading the AOF or RDB

// Function pointers filled by LoadRedisApi; null until then.
struct RedisApi {
  int (*GetApi)(const char*, void*);
  void (*SetModuleAttribs)(RedisModuleCtx*, const char*, int, int);
  int (*CreateCommand)(RedisModuleCtx*, const char*, RedisModuleCmdFunc, const char*, int, int,
                       int);
  RedisModuleType* (*CreateDataType)(RedisModuleCtx*, const char*, int, RedisModuleTypeMethods*);
  int (*ModuleTypeSetValue)(RedisModuleKey*, RedisModuleType*, void*);
  RedisModuleType* (*ModuleTypeGetType)(RedisModuleKey*);
  void* (*ModuleTypeGetValue)(RedisModuleKey*);
  void* (*OpenKey)(RedisModuleCtx*, RedisModuleString*, int);
  void (*CloseKey)(RedisModuleKey*);
  int (*KeyType)(RedisModuleKey*);
  int (*ReplyWithError)(RedisModuleCtx*, const char*);
  int (*ReplyWithSimpleString)(RedisModuleCtx*, const char*);
  int (*ReplyWithLongLong)(RedisModuleCtx*, long long);
  int (*ReplyWithDouble)(RedisModuleCtx*, double);
  int (*ReplyWithArray)(RedisModuleCtx*, long);
  void (*ReplySetArrayLength)(RedisModuleCtx*, long);
  int (*ReplyWithStringBuffer)(RedisModuleCtx*, const char*, size_t);
  int (*WrongArity)(RedisModuleCtx*);
  const char* (*StringPtrLen)(const RedisModuleString*, size_t*);
  RedisModuleString* (*CreateString)(RedisModuleCtx*, const char*, size_t);
  void (*FreeString)(RedisModuleCtx*, RedisModuleString*);
  int (*Replicate)(RedisModuleCtx*, const char*, const char*, ...);
  int (*ReplicateVerbatim)(RedisModuleCtx*);
  long long (*Milliseconds)(void);
  void* (*Alloc)(size_t);
  void (*Free)(void*);
  void (*SaveUnsigned)(RedisModuleIO*, uint64_t);
  uint64_t (*LoadUnsigned)(RedisModuleIO*);
  void (*SaveStringBuffer)(RedisModuleIO*, const char*, size_t);
  char* (*LoadStringBuffer)(RedisModuleIO*, size_t*);
  void (*EmitAOF)(RedisModuleIO*, const char*, const char*, ...);
  void (*Log)(RedisModuleCtx*, const char*, const char*, ...);
  void (*LogIOError)(RedisModuleIO*, const char*, const char*, ...);
  int (*GetContextFlags)(RedisModuleCtx*);
  RedisModuleServerInfoData* (*GetServerInfo)(RedisModuleCtx*, const char*);
  void (*FreeServerInfo)(RedisModuleCtx*, RedisModuleServerInfoData*);
  unsigned long long (*ServerInfoGetFieldUnsigned)(RedisModuleServerInfoData*, const char*, int*);
  void (*SetModuleOptions)(RedisModuleCtx*, int);
  int (*IsIOError)(RedisModuleIO*);
};

extern RedisApi api;

// Fetches every function above; kRedisErr (and a message on stderr) if one is missing.
int LoadRedisApi(RedisModuleCtx* ctx);

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_REDIS_API_H_
