// Throughput of the replay module against raw Redis on the same server: INSERT (64 items per
// command), SAMPLE (256) and UPDATE (256) items/s next to `redis-benchmark -P 64` SET/GET
// requests/s with the same 600-byte payload, memory per item at 10^6 items, and Redis's CPU per
// item of an exactly-once (sequenced) insert: native PRODUCER/SEQ against the former Lua script.
// Starts its own redis-server with the module on a free loopback port.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ratio_reporter.h"
#include "redis_server.h"
#include "subprocess.h"

namespace {

constexpr std::size_t kPayloadBytes = 600;
constexpr int kInsertBatch = 64;
constexpr int kSampleBatch = 256;
constexpr int kUpdateBatch = 256;
constexpr int kPipeline = 8;  // commands in flight per round trip

tarmac::testing::RedisServer* g_server = nullptr;

redisContext* Connect() {
  redisContext* c = redisConnect("127.0.0.1", g_server->port());
  if (c == nullptr || c->err != 0) std::abort();
  return c;
}

// Sends `commands` kPipeline at a time and reads every reply; aborts on an error reply.
void RunPipelined(redisContext* c, const std::vector<std::vector<std::string>>& commands) {
  for (const auto& command : commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : command) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data());
  }
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(c, &reply) != REDIS_OK) std::abort();
    auto* r = static_cast<redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR) {
      std::fprintf(stderr, "bench: %s\n", r->str);
      std::abort();
    }
    freeReplyObject(r);
  }
}

std::vector<std::string> InsertCommand(const std::string& payload) {
  std::vector<std::string> cmd = {"REPLAY.INSERT", "bench", "VERSION", "1",
                                  std::to_string(kInsertBatch)};
  for (int i = 0; i < kInsertBatch; ++i) {
    cmd.push_back(i % 2 ? "*" : "1.5");
    cmd.push_back("0");
    cmd.push_back(payload);
  }
  return cmd;
}

void Record(benchmark::State& state, const char* name, double items_per_iteration) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items_per_iteration));
  (void)name;
}

void BM_ReplayInsert(benchmark::State& state) {
  redisContext* c = Connect();
  const std::vector<std::vector<std::string>> commands(
      kPipeline, InsertCommand(std::string(kPayloadBytes, 'p')));
  for (auto _ : state) RunPipelined(c, commands);
  Record(state, "insert", kPipeline * kInsertBatch);
  redisFree(c);
}

void BM_ReplaySample(benchmark::State& state) {
  redisContext* c = Connect();
  const std::vector<std::vector<std::string>> commands(
      kPipeline, {"REPLAY.SAMPLE", "bench", std::to_string(kSampleBatch), "BETA", "0.4", "PACKED"});
  for (auto _ : state) RunPipelined(c, commands);
  Record(state, "sample", kPipeline * kSampleBatch);
  redisFree(c);
}

void BM_ReplayUpdate(benchmark::State& state) {
  redisContext* c = Connect();
  // Ids of the items currently in the table, from one sample.
  auto* reply = static_cast<redisReply*>(redisCommand(c, "REPLAY.SAMPLE bench %d", kUpdateBatch));
  std::vector<std::string> ids;
  for (std::size_t i = 2; i < reply->elements; ++i) {
    ids.push_back(std::to_string(reply->element[i]->element[0]->integer));
  }
  freeReplyObject(reply);
  std::vector<std::string> update = {"REPLAY.UPDATE", "bench", std::to_string(ids.size())};
  std::mt19937 rng(1);
  for (const std::string& id : ids) {
    update.push_back(id);
    update.push_back(std::to_string(0.1 + (rng() % 1000) / 100.0));
  }
  const std::vector<std::vector<std::string>> commands(kPipeline, update);
  for (auto _ : state) RunPipelined(c, commands);
  Record(state, "update", kPipeline * static_cast<double>(ids.size()));
  redisFree(c);
}

// Redis's own CPU (user + sys, INFO cpu) in microseconds.
double RedisCpuMicros(redisContext* c) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO cpu"));
  double total = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(r->str, r->len), "\r\n")) {
    for (const char* field : {"used_cpu_sys:", "used_cpu_user:"}) {
      if (absl::StartsWith(line, field)) {
        double v = 0;
        if (absl::SimpleAtod(line.substr(std::strlen(field)), &v)) total += v * 1e6;
      }
    }
  }
  freeReplyObject(r);
  return total;
}

// The exactly-once protocol before REPLAY.INSERT took PRODUCER/SEQ: a Lua script that checks a
// counter key, calls REPLAY.INSERT and advances the key. Kept here as the baseline of
// BM_SequencedInsert.
constexpr char kLuaSequencedInsert[] = R"lua(
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if seen ~= tonumber(ARGV[1]) then return {err = 'OUTOFORDER ' .. seen} end
local r = redis.pcall('REPLAY.INSERT', unpack(ARGV, 2))
if type(r) == 'table' and r.err then return r end
redis.call('SET', KEYS[1], seen + #r, 'PX', 604800000)
return r
)lua";

// Sequenced inserts of one producer, 64 items a command, 8 commands a round trip: natively
// (state.range(0) == 1) or through the Lua script. Reports Redis's CPU per item.
void BM_SequencedInsert(benchmark::State& state) {
  const bool native = state.range(0) == 1;
  redisContext* c = Connect();
  const std::string payload(kPayloadBytes, 's');
  // A fresh producer per run: the framework calls this function more than once.
  static int runs = 0;
  const std::string producer = (native ? "bench-native-" : "bench-lua-") + std::to_string(++runs);
  std::uint64_t sequence = 0;
  std::vector<std::vector<std::string>> commands(kPipeline);
  const double cpu_before = RedisCpuMicros(c);
  for (auto _ : state) {
    for (auto& command : commands) {
      const std::vector<std::string> insert = InsertCommand(payload);
      if (native) {
        command = {"REPLAY.INSERT", "bench", "PRODUCER", producer, "SEQ", std::to_string(sequence)};
        command.insert(command.end(), insert.begin() + 2, insert.end());
      } else {
        command = {"EVAL", kLuaSequencedInsert, "1", "tarmac:produced:bench:" + producer,
                   std::to_string(sequence)};
        command.insert(command.end(), insert.begin() + 1, insert.end());
      }
      sequence += kInsertBatch;
    }
    RunPipelined(c, commands);
  }
  const double items = static_cast<double>(state.iterations()) * kPipeline * kInsertBatch;
  state.counters["redis_us_per_item"] = (RedisCpuMicros(c) - cpu_before) / items;
  Record(state, "sequenced", kPipeline * kInsertBatch);
  redisFree(c);
}

BENCHMARK(BM_ReplayInsert)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_SequencedInsert)->Arg(0)->Arg(1)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_ReplaySample)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_ReplayUpdate)->UseRealTime()->MinTime(2.0);

// requests/s of redis-benchmark for one test ("SET"/"GET"), -P 64, same payload size.
double RedisBenchmark(const std::string& test) {
  auto r = tarmac::testing::RunCommand(
      {"redis-benchmark", "-h", "127.0.0.1", "-p", std::to_string(g_server->port()), "-t", test,
       "-d", std::to_string(kPayloadBytes), "-P", "64", "-n", "2000000", "-c", "1", "-q", "--csv"},
      std::chrono::seconds(120));
  if (!r.ok() || r->exit_code != 0) return 0;
  // "test","rps",... lines; the second field of the data line.
  for (absl::string_view line : absl::StrSplit(r->out, '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() < 2 || fields[0] != "\"" + test + "\"") continue;
    std::string rps = fields[1];
    rps.erase(std::remove(rps.begin(), rps.end(), '"'), rps.end());
    double value = 0;
    if (absl::SimpleAtod(rps, &value)) return value;
  }
  return 0;
}

void MemoryPerItem() {
  redisContext* c = Connect();
  redisReply* r = static_cast<redisReply*>(redisCommand(c, "REPLAY.CREATE mem CAPACITY 1000000"));
  freeReplyObject(r);
  std::vector<std::string> insert = InsertCommand(std::string(kPayloadBytes, 'm'));
  insert[1] = "mem";
  const std::vector<std::vector<std::string>> commands(kPipeline, insert);
  for (int filled = 0; filled < 1'000'000; filled += kPipeline * kInsertBatch) {
    RunPipelined(c, commands);
  }
  r = static_cast<redisReply*>(redisCommand(c, "MEMORY USAGE mem"));
  const double bytes = static_cast<double>(r->integer);
  freeReplyObject(r);
  r = static_cast<redisReply*>(redisCommand(c, "REPLAY.INFO mem"));
  const double size = static_cast<double>(r->element[1]->integer);
  freeReplyObject(r);
  const double overhead = bytes / size - static_cast<double>(kPayloadBytes);
  tarmac::bench::Headline(
      "replay overhead per item", overhead, "bytes", tarmac::bench::Better::kLower,
      absl::StrFormat("memory: %.0f bytes for %.0f items of %zu bytes = %.1f bytes of overhead "
                      "per item",
                      bytes, size, kPayloadBytes, overhead));
  redisFree(c);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto server = tarmac::testing::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = server->get();
  g_server->RunText({"REPLAY.CREATE", "bench", "CAPACITY", "200000", "ALPHA", "0.6"});
  // Start from a full table: inserts then run in the steady state of a replay buffer (each one
  // evicts the oldest item, so memory stays flat, as it does for SET on one key).
  {
    redisContext* c = Connect();
    const std::vector<std::vector<std::string>> commands(
        kPipeline, InsertCommand(std::string(kPayloadBytes, 'w')));
    for (int i = 0; i < 210'000; i += kPipeline * kInsertBatch) RunPipelined(c, commands);
    redisFree(c);
  }
  tarmac::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  const double set = RedisBenchmark("SET");
  const double get = RedisBenchmark("GET");
  const auto rate = [&](const char* name) { return reporter.Counter(name, "items_per_second"); };
  const double insert = rate("BM_ReplayInsert/min_time:2.000/real_time");
  const double sample = rate("BM_ReplaySample/min_time:2.000/real_time");
  const double update = rate("BM_ReplayUpdate/min_time:2.000/real_time");
  std::fprintf(tarmac::bench::Out(), "redis-benchmark -P 64 -d %zu: SET %.0f/s, GET %.0f/s\n",
               kPayloadBytes, set, get);
  tarmac::bench::Ratio("INSERT items/s", "redis-benchmark SET/s (goal >= 0.7)",
                       set > 0 ? insert / set : NAN, tarmac::bench::Better::kHigher);
  tarmac::bench::Ratio("SAMPLE items/s", "redis-benchmark GET/s (goal >= 0.7)",
                       get > 0 ? sample / get : NAN, tarmac::bench::Better::kHigher);
  tarmac::bench::Headline("UPDATE items/s", update, "items/s", tarmac::bench::Better::kHigher,
                          absl::StrFormat("UPDATE %.0f items/s (goal >= 1,000,000)", update));
  const auto redis_cpu = [&](const char* name) {
    return reporter.Counter(name, "redis_us_per_item");
  };
  const double lua = redis_cpu("BM_SequencedInsert/0/min_time:2.000/real_time");
  const double native = redis_cpu("BM_SequencedInsert/1/min_time:2.000/real_time");
  tarmac::bench::Headline(
      "sequenced insert: Redis CPU per item", native, "us", tarmac::bench::Better::kLower,
      absl::StrFormat("sequenced insert, Redis CPU per item: native %.2f us, Lua script %.2f us",
                      native, lua));
  tarmac::bench::Ratio("sequenced insert Redis CPU, native", "Lua script",
                       lua > 0 ? native / lua : NAN, tarmac::bench::Better::kLower);
  MemoryPerItem();
  benchmark::Shutdown();
  return tarmac::bench::Finish();
}
