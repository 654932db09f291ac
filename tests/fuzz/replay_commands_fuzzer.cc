// Drives random REPLAY.* command sequences through the module's command layer, in-process, with
// a stand-in for the Redis module API: a key space, a reply recorder, and a replica key space
// that executes whatever the commands replicate. After every input: no crash, no sanitizer
// report, every table within its capacity with finite mass, and the replica identical.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_targets.h"
#include "module.h"
#include "replay_table.h"

struct RedisModuleString {
  std::string s;
};

namespace {

using tarmac::replay::api;
using tarmac::replay::ReplayTable;

struct Value {
  std::unique_ptr<ReplayTable> table;  // null: a plain string key
};
using KeySpace = std::map<std::string, Value>;

}  // namespace

struct RedisModuleCtx {
  KeySpace* keys = nullptr;
  std::vector<std::vector<std::string>> replicated;
  long open_arrays = 0;
};

struct RedisModuleKey {
  RedisModuleCtx* ctx;
  std::string name;
};

namespace {

std::map<std::string, RedisModuleCmdFunc> g_commands;
RedisModuleType* const kTableType = reinterpret_cast<RedisModuleType*>(0x7a11);

int FakeCreateCommand(RedisModuleCtx*, const char* name, RedisModuleCmdFunc f, const char*, int,
                      int, int) {
  g_commands[name] = f;
  return 0;
}
void* FakeOpenKey(RedisModuleCtx* ctx, RedisModuleString* name, int) {
  return new RedisModuleKey{ctx, name->s};
}
void FakeCloseKey(RedisModuleKey* key) { delete key; }
int FakeKeyType(RedisModuleKey* key) {
  auto it = key->ctx->keys->find(key->name);
  if (it == key->ctx->keys->end()) return 0;
  return it->second.table ? 6 : 1;
}
RedisModuleType* FakeGetType(RedisModuleKey* key) {
  auto it = key->ctx->keys->find(key->name);
  return it != key->ctx->keys->end() && it->second.table ? kTableType : nullptr;
}
void* FakeGetValue(RedisModuleKey* key) { return key->ctx->keys->at(key->name).table.get(); }
int FakeSetValue(RedisModuleKey* key, RedisModuleType*, void* value) {
  (*key->ctx->keys)[key->name].table.reset(static_cast<ReplayTable*>(value));
  return 0;
}
int FakeReplyError(RedisModuleCtx*, const char* message) {
  TARMAC_FUZZ_CHECK(message != nullptr && message[0] != '\0');
  TARMAC_FUZZ_CHECK(std::string(message).find('\n') == std::string::npos);
  return 0;
}
int FakeReplySimple(RedisModuleCtx*, const char*) { return 0; }
int FakeReplyLongLong(RedisModuleCtx*, long long) { return 0; }
int FakeReplyDouble(RedisModuleCtx*, double) { return 0; }
int FakeReplyArray(RedisModuleCtx*, long) { return 0; }
void FakeSetArrayLength(RedisModuleCtx*, long) {}
int FakeReplyBuffer(RedisModuleCtx*, const char* p, size_t n) {
  TARMAC_FUZZ_CHECK(n == 0 || p != nullptr);
  return 0;
}
int FakeWrongArity(RedisModuleCtx*) { return 0; }
const char* FakePtrLen(const RedisModuleString* s, size_t* len) {
  *len = s->s.size();
  return s->s.data();
}
long long g_now = 1000;
long long FakeMilliseconds() { return g_now += 7; }

// Records what a command replicates, decoding the format as RedisModule_Replicate does.
int FakeReplicate(RedisModuleCtx* ctx, const char* command, const char* fmt, ...) {
  std::vector<std::string> argv = {command};
  va_list ap;
  va_start(ap, fmt);
  for (const char* f = fmt; *f != '\0'; ++f) {
    if (*f == 's') {
      argv.push_back(va_arg(ap, RedisModuleString*)->s);
    } else if (*f == 'l') {
      argv.push_back(std::to_string(va_arg(ap, long long)));
    } else if (*f == 'c') {
      argv.emplace_back(va_arg(ap, const char*));
    } else if (*f == 'b') {
      const char* p = va_arg(ap, const char*);
      const size_t n = va_arg(ap, size_t);
      argv.emplace_back(p, n);
    } else if (*f == 'v') {
      RedisModuleString** v = va_arg(ap, RedisModuleString**);
      const size_t n = va_arg(ap, size_t);
      for (size_t i = 0; i < n; ++i) argv.push_back(v[i]->s);
    } else {
      TARMAC_FUZZ_CHECK(false && "unknown Replicate format");
    }
  }
  va_end(ap);
  ctx->replicated.push_back(std::move(argv));
  return 0;
}

// Runs one command; returns what it replicated (the command itself when verbatim).
std::vector<std::vector<std::string>> Execute(KeySpace& keys, const std::vector<std::string>& argv,
                                              bool* verbatim) {
  RedisModuleCtx ctx;
  ctx.keys = &keys;
  std::vector<RedisModuleString> strings(argv.size());
  std::vector<RedisModuleString*> pointers;
  for (size_t i = 0; i < argv.size(); ++i) {
    strings[i].s = argv[i];
    pointers.push_back(&strings[i]);
  }
  static bool replicated_verbatim = false;
  replicated_verbatim = false;
  api.ReplicateVerbatim = [](RedisModuleCtx*) {
    replicated_verbatim = true;
    return 0;
  };
  std::string name = argv[0];
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = g_commands.find(name);
  if (it != g_commands.end()) it->second(&ctx, pointers.data(), static_cast<int>(argv.size()));
  *verbatim = replicated_verbatim;
  return std::move(ctx.replicated);
}

void Init() {
  api.CreateCommand = FakeCreateCommand;
  api.OpenKey = FakeOpenKey;
  api.CloseKey = FakeCloseKey;
  api.KeyType = FakeKeyType;
  api.ModuleTypeGetType = FakeGetType;
  api.ModuleTypeGetValue = FakeGetValue;
  api.ModuleTypeSetValue = FakeSetValue;
  api.ReplyWithError = FakeReplyError;
  api.ReplyWithSimpleString = FakeReplySimple;
  api.ReplyWithLongLong = FakeReplyLongLong;
  api.ReplyWithDouble = FakeReplyDouble;
  api.ReplyWithArray = FakeReplyArray;
  api.ReplySetArrayLength = FakeSetArrayLength;
  api.ReplyWithStringBuffer = FakeReplyBuffer;
  api.WrongArity = FakeWrongArity;
  api.StringPtrLen = FakePtrLen;
  api.Replicate = FakeReplicate;
  api.Milliseconds = FakeMilliseconds;
  // No server memory to compare a capacity with: REPLAY.CREATE's TOOBIG check is skipped.
  api.GetContextFlags = [](RedisModuleCtx*) { return 0; };
  api.GetServerInfo = [](RedisModuleCtx*, const char*) -> RedisModuleServerInfoData* {
    return nullptr;
  };
  api.FreeServerInfo = [](RedisModuleCtx*, RedisModuleServerInfoData*) {};
  api.ServerInfoGetFieldUnsigned = [](RedisModuleServerInfoData*, const char*, int* error) {
    *error = 1;
    return 0ULL;
  };
  tarmac::replay::g_table_type = kTableType;
  tarmac::replay::g_max_payload_bytes = 64;
  tarmac::replay::RegisterCommands(nullptr);
}

std::string Arg(FuzzedDataProvider& in) {
  static const char* const kWords[] = {"rl",
                                       "t2",
                                       "plain",
                                       "CAPACITY",
                                       "ALPHA",
                                       "EVICT",
                                       "fifo",
                                       "minprio",
                                       "MAX_TIMES_SAMPLED",
                                       "SPI",
                                       "MIN_SIZE",
                                       "TOLERANCE",
                                       "VERSION",
                                       "BETA",
                                       "SEED",
                                       "TAGS",
                                       "*",
                                       "0",
                                       "1",
                                       "2",
                                       "3",
                                       "5",
                                       "0.5",
                                       "nan",
                                       "inf",
                                       "-1",
                                       "1e308",
                                       "18446744073709551615",
                                       "HEADER",
                                       "ITEMS",
                                       "PRODUCER",
                                       "SEQ",
                                       "w1",
                                       "",
                                       "x",
                                       "4",
                                       "8",
                                       "64"};
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return std::to_string(in.ConsumeIntegralInRange<int>(-2, 70));
    case 1:
      return std::to_string(in.ConsumeFloatingPoint<double>());
    case 2:
      return in.ConsumeRandomLengthString(80);
    default:
      return kWords[in.ConsumeIntegralInRange<size_t>(0, std::size(kWords) - 1)];
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool initialised = (Init(), true);
  (void)initialised;
  static const char* const kCommands[] = {
      "REPLAY.CREATE", "REPLAY.INSERT",  "REPLAY.SAMPLE",   "REPLAY.UPDATE",   "REPLAY.INFO",
      "REPLAY.MASS",   "REPLAY._INSERT", "REPLAY._SAMPLED", "REPLAY._RESTORE", "REPLAY.PRODUCER"};
  FuzzedDataProvider in(data, size);
  KeySpace primary, replica;
  primary["plain"] = Value{};
  replica["plain"] = Value{};
  for (int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
    std::vector<std::string> argv = {
        kCommands[in.ConsumeIntegralInRange<size_t>(0, std::size(kCommands) - 1)]};
    const int args = in.ConsumeIntegralInRange(0, 16);
    for (int i = 0; i < args; ++i) argv.push_back(Arg(in));
    bool verbatim = false;
    static const bool verbose = std::getenv("TARMAC_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
      std::fprintf(stderr, "cmd:");
      for (const std::string& a : argv) std::fprintf(stderr, " [%s]", a.substr(0, 24).c_str());
      std::fprintf(stderr, "\n");
    }
    for (const auto& effect : Execute(primary, argv, &verbatim)) {
      if (verbose) std::fprintf(stderr, "  replicates %s\n", effect[0].c_str());
      bool ignored = false;
      Execute(replica, effect, &ignored);
    }
    if (verbatim) {
      bool ignored = false;
      Execute(replica, argv, &ignored);
    }
  }
  for (const auto& [name, value] : primary) {
    if (!value.table) continue;
    const ReplayTable& t = *value.table;
    TARMAC_FUZZ_CHECK(t.size() <= t.options().capacity);
    TARMAC_FUZZ_CHECK(std::isfinite(t.total_mass()) && t.total_mass() >= 0);
    auto twin = replica.find(name);
    TARMAC_FUZZ_CHECK(twin != replica.end() && twin->second.table);
    if (!t.SameContents(*twin->second.table)) {
      const ReplayTable& r = *twin->second.table;
      std::fprintf(
          stderr, "table '%s' differs: size %zu/%zu inserts %lu/%lu samples %lu/%lu mass %g/%g\n",
          name.c_str(), t.size(), r.size(), (unsigned long)t.inserts(), (unsigned long)r.inserts(),
          (unsigned long)t.samples(), (unsigned long)r.samples(), t.total_mass(), r.total_mass());
    }
    TARMAC_FUZZ_CHECK(t.SameContents(*twin->second.table));
  }
  return 0;
}
