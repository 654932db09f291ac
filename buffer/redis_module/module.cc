// RedisModule_OnLoad and the native type "tarmac-pr": RDB save/load, AOF rewrite, MEMORY USAGE.
#include "module.h"

#include <cstdlib>
#include <string>
#include <string_view>

#include "module_allocator.h"
#include "replay_table.h"

namespace tarmac::replay {

RedisModuleType* g_table_type = nullptr;
std::size_t g_max_payload_bytes = std::size_t{4} << 20;

namespace {

constexpr int kEncodingVersion = 1;
constexpr std::size_t kItemsPerBlob = 1024;

// Loads a table, or logs why not and returns null (Redis then refuses the file). A file cut
// short is one of those: with kOptionsHandleIoErrors a short read sets IsIOError and returns
// empty values instead of stopping the server.
void* RdbLoad(RedisModuleIO* rdb, int encver) {
  if (encver != kEncodingVersion) {
    api.LogIOError(rdb, "warning",
                   "tarmac_replay: cannot load encoding version %d (this module reads %d); load "
                   "this file with the tarmac that wrote it",
                   encver, kEncodingVersion);
    return nullptr;
  }
  const auto cut_short = [rdb] {
    if (api.IsIOError(rdb) == 0) return false;
    api.LogIOError(rdb, "warning", "tarmac_replay: the replay table ends early (a cut file)");
    return true;
  };
  std::size_t len = 0;
  char* header = api.LoadStringBuffer(rdb, &len);
  if (header == nullptr || cut_short()) {
    if (header != nullptr) api.Free(header);
    return nullptr;
  }
  std::string error;
  std::unique_ptr<ReplayTable> table = ReplayTable::RestoreHeader({header, len}, &error);
  api.Free(header);
  if (!table) {
    api.LogIOError(rdb, "warning", "tarmac_replay: %s", error.c_str());
    return nullptr;
  }
  const std::uint64_t blobs = api.LoadUnsigned(rdb);
  if (cut_short()) return nullptr;
  for (std::uint64_t i = 0; i < blobs; ++i) {
    char* items = api.LoadStringBuffer(rdb, &len);
    if (items == nullptr || cut_short()) {
      if (items != nullptr) api.Free(items);
      return nullptr;
    }
    const bool ok = table->RestoreItems({items, len}, &error);
    api.Free(items);
    if (!ok) {
      api.LogIOError(rdb, "warning", "tarmac_replay: %s", error.c_str());
      return nullptr;
    }
  }
  return table.release();
}

void RdbSave(RedisModuleIO* rdb, void* value) {
  const auto* table = static_cast<const ReplayTable*>(value);
  const std::string header = table->SerializeHeader();
  api.SaveStringBuffer(rdb, header.data(), header.size());
  std::uint64_t blobs = 0;
  table->SerializeItems(kItemsPerBlob, [&](std::string_view) { ++blobs; });
  api.SaveUnsigned(rdb, blobs);
  table->SerializeItems(kItemsPerBlob, [&](std::string_view blob) {
    api.SaveStringBuffer(rdb, blob.data(), blob.size());
  });
}

void AofRewrite(RedisModuleIO* aof, RedisModuleString* key, void* value) {
  const auto* table = static_cast<const ReplayTable*>(value);
  const std::string header = table->SerializeHeader();
  api.EmitAOF(aof, "REPLAY._RESTORE", "scb", key, "HEADER", header.data(), header.size());
  table->SerializeItems(kItemsPerBlob, [&](std::string_view blob) {
    api.EmitAOF(aof, "REPLAY._RESTORE", "scb", key, "ITEMS", blob.data(), blob.size());
  });
}

std::size_t MemUsage(const void* value) {
  return static_cast<const ReplayTable*>(value)->MemoryBytes();
}

void FreeTable(void* value) { delete static_cast<ReplayTable*>(value); }

// Module arguments: MAX_PAYLOAD bytes.
bool ParseModuleArgs(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  for (int i = 0; i < argc; i += 2) {
    std::size_t len = 0;
    const char* name_ptr = api.StringPtrLen(argv[i], &len);
    const std::string name(name_ptr, len);
    if (i + 1 >= argc) {
      api.Log(ctx, "warning", "tarmac_replay: module argument %s needs a value", name.c_str());
      return false;
    }
    const char* value_ptr = api.StringPtrLen(argv[i + 1], &len);
    const std::string value(value_ptr, len);
    if (name == "MAX_PAYLOAD") {
      char* end = nullptr;
      const unsigned long long bytes = std::strtoull(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || bytes == 0 || bytes > (1ULL << 32)) {
        api.Log(ctx, "warning", "tarmac_replay: MAX_PAYLOAD must be 1..4294967296 bytes");
        return false;
      }
      g_max_payload_bytes = bytes;
    } else {
      api.Log(ctx, "warning", "tarmac_replay: unknown module argument %s (known: MAX_PAYLOAD)",
              name.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace tarmac::replay

extern "C" __attribute__((visibility("default"))) int RedisModule_OnLoad(RedisModuleCtx* ctx,
                                                                         RedisModuleString** argv,
                                                                         int argc) {
  using namespace tarmac::replay;  // NOLINT(google-build-using-namespace): C entry point
  if (LoadRedisApi(ctx) != kRedisOk) return kRedisErr;
  api.SetModuleAttribs(ctx, "tarmac_replay", 1, kRedisApiVersion1);
  SetModuleAllocator(api.Alloc, api.Free);
  api.SetModuleOptions(ctx, kOptionsHandleIoErrors);
  if (!ParseModuleArgs(ctx, argv, argc)) return kRedisErr;

  RedisModuleTypeMethods methods = {};
  methods.version = kTypeMethodVersion1;
  methods.rdb_load = RdbLoad;
  methods.rdb_save = RdbSave;
  methods.aof_rewrite = AofRewrite;
  methods.mem_usage = MemUsage;
  methods.free = FreeTable;
  g_table_type = api.CreateDataType(ctx, "tarmac-pr", kEncodingVersion, &methods);
  if (g_table_type == nullptr) return kRedisErr;
  return RegisterCommands(ctx);
}
