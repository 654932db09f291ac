#include "redis_api.h"

#include <cstdio>

namespace tarmac::replay {

RedisApi api = {};

namespace {

template <typename F>
bool Fetch(const char* name, F* slot) {
  if (api.GetApi(name, static_cast<void*>(slot)) != kRedisOk || *slot == nullptr) {
    std::fprintf(stderr, "tarmac_replay: this Redis lacks module API function %s\n", name);
    return false;
  }
  return true;
}

}  // namespace

int LoadRedisApi(RedisModuleCtx* ctx) {
  // The API's own convention: the first field of the load context is RedisModule_GetApi.
  void* get_api = reinterpret_cast<void**>(ctx)[0];
  api.GetApi = reinterpret_cast<int (*)(const char*, void*)>(get_api);
  const bool ok =
      Fetch("RedisModule_SetModuleAttribs", &api.SetModuleAttribs) &&
      Fetch("RedisModule_CreateCommand", &api.CreateCommand) &&
      Fetch("RedisModule_CreateDataType", &api.CreateDataType) &&
      Fetch("RedisModule_ModuleTypeSetValue", &api.ModuleTypeSetValue) &&
      Fetch("RedisModule_ModuleTypeGetType", &api.ModuleTypeGetType) &&
      Fetch("RedisModule_ModuleTypeGetValue", &api.ModuleTypeGetValue) &&
      Fetch("RedisModule_OpenKey", &api.OpenKey) && Fetch("RedisModule_CloseKey", &api.CloseKey) &&
      Fetch("RedisModule_KeyType", &api.KeyType) &&
      Fetch("RedisModule_ReplyWithError", &api.ReplyWithError) &&
      Fetch("RedisModule_ReplyWithSimpleString", &api.ReplyWithSimpleString) &&
      Fetch("RedisModule_ReplyWithLongLong", &api.ReplyWithLongLong) &&
      Fetch("RedisModule_ReplyWithDouble", &api.ReplyWithDouble) &&
      Fetch("RedisModule_ReplyWithArray", &api.ReplyWithArray) &&
      Fetch("RedisModule_ReplySetArrayLength", &api.ReplySetArrayLength) &&
      Fetch("RedisModule_ReplyWithStringBuffer", &api.ReplyWithStringBuffer) &&
      Fetch("RedisModule_WrongArity", &api.WrongArity) &&
      Fetch("RedisModule_StringPtrLen", &api.StringPtrLen) &&
      Fetch("RedisModule_CreateString", &api.CreateString) &&
      Fetch("RedisModule_FreeString", &api.FreeString) &&
      Fetch("RedisModule_Replicate", &api.Replicate) &&
      Fetch("RedisModule_ReplicateVerbatim", &api.ReplicateVerbatim) &&
      Fetch("RedisModule_Milliseconds", &api.Milliseconds) &&
      Fetch("RedisModule_Alloc", &api.Alloc) && Fetch("RedisModule_Free", &api.Free) &&
      Fetch("RedisModule_SaveUnsigned", &api.SaveUnsigned) &&
      Fetch("RedisModule_LoadUnsigned", &api.LoadUnsigned) &&
      Fetch("RedisModule_SaveStringBuffer", &api.SaveStringBuffer) &&
      Fetch("RedisModule_LoadStringBuffer", &api.LoadStringBuffer) &&
      Fetch("RedisModule_EmitAOF", &api.EmitAOF) && Fetch("RedisModule_Log", &api.Log) &&
      Fetch("RedisModule_LogIOError", &api.LogIOError) &&
      Fetch("RedisModule_GetContextFlags", &api.GetContextFlags) &&
      Fetch("RedisModule_GetServerInfo", &api.GetServerInfo) &&
      Fetch("RedisModule_FreeServerInfo", &api.FreeServerInfo) &&
      Fetch("RedisModule_ServerInfoGetFieldUnsigned", &api.ServerInfoGetFieldUnsigned) &&
      Fetch("RedisModule_SetModuleOptions", &api.SetModuleOptions) &&
      Fetch("RedisModule_IsIOError", &api.IsIOError);
  return ok ? kRedisOk : kRedisErr;
}

}  // namespace tarmac::replay
