// A command-level fuzzer against a live redis-server with the module: a seeded random sequence of
// REPLAY.* commands, valid and malformed (wrong counts, huge counts, NaN/inf/negative priorities,
// duplicate and unknown ids, oversized payloads, unknown options), with DEBUG RELOAD interleaved.
// A model of the table (FIFO eviction, running max priority) predicts every valid command's
// effect; after each command: the server answers, an error changed nothing, and the table matches
// the model: size <= capacity, the tree's total mass equals sum(priority^alpha) to a relative
// 1e-9, ids increase, the INFO counters agree. Bounded: kCommands commands per seed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fault_support.h"

namespace tarmac::faults {
namespace {

constexpr int kCommands = 2500;
constexpr std::uint64_t kCapacity = 300;
constexpr double kAlpha = 0.6;
constexpr std::size_t kMaxPayload = 2048;

struct Info {
  std::map<std::string, std::string> fields;
  double Number(const std::string& name) const { return std::stod(fields.at(name)); }
  std::uint64_t Count(const std::string& name) const { return std::stoull(fields.at(name)); }
};

Info ReadInfo(RedisServer& server) {
  Info info;
  RedisServer::Reply r = server.Run({"REPLAY.INFO", "rl"});
  EXPECT_TRUE(r && r->type == REDIS_REPLY_ARRAY);
  for (std::size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
    info.fields[r->element[i]->str] = testing::ReplyText(r->element[i + 1]);
  }
  return info;
}

// What the table should hold.
struct Model {
  std::deque<std::uint64_t> order;  // ids, oldest first (FIFO eviction)
  std::map<std::uint64_t, double> priority;
  double running_max = 0.0;
  std::uint64_t inserts = 0, evictions = 0, updates = 0, stale = 0;

  double Mass() const {
    double mass = 0.0;
    for (const auto& [id, p] : priority) mass += std::pow(p, kAlpha);
    return mass;
  }
};

class CommandFuzzer {
 public:
  CommandFuzzer(RedisServer& server, std::uint64_t seed) : server_(server), rng_(seed) {}

  // One random command; returns it for failure messages.
  std::vector<std::string> Next() {
    const int kind = Uniform(0, 99);
    if (kind < 35) return Insert();
    if (kind < 55) return Update();
    if (kind < 75) return Sample();
    if (kind < 97) return Malformed();
    return {"DEBUG", "RELOAD"};
  }

  // Applies a valid command's reply to the model.
  void Apply(const std::vector<std::string>& command, const redisReply* reply) {
    if (command[0] == "REPLAY.INSERT") {
      for (std::size_t i = 0; i < reply->elements; ++i) {
        const std::string& p = command[5 + 3 * i];
        const double priority = p == "*" ? model_.running_max : std::stod(p);
        model_.running_max = std::max(model_.running_max, priority);
        if (model_.order.size() == kCapacity) {
          model_.priority.erase(model_.order.front());
          model_.order.pop_front();
          ++model_.evictions;
        }
        const auto id = static_cast<std::uint64_t>(reply->element[i]->integer);
        EXPECT_TRUE(model_.order.empty() || id > model_.order.back()) << "ids increase";
        model_.order.push_back(id);
        model_.priority[id] = priority;
        ++model_.inserts;
      }
    } else if (command[0] == "REPLAY.UPDATE") {
      for (std::size_t k = 3; k + 1 < command.size(); k += 2) {
        const std::uint64_t id = std::stoull(command[k]);
        const double p = std::stod(command[k + 1]);
        auto it = model_.priority.find(id);
        if (it == model_.priority.end()) {
          ++model_.stale;
          continue;
        }
        it->second = p;
        model_.running_max = std::max(model_.running_max, p);
        ++model_.updates;
      }
    }
  }

  Model& model() { return model_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string Priority() {
    const double p = std::exp(std::uniform_real_distribution<double>(-6.0, 4.0)(rng_));
    char text[32];
    std::snprintf(text, sizeof(text), "%.17g", p);
    return text;
  }
  std::string Payload() { return std::string(static_cast<std::size_t>(Uniform(0, 600)), 'p'); }
  // An id that exists (mostly) or not.
  std::string Id() {
    if (!model_.order.empty() && Uniform(0, 9) < 8) {
      return std::to_string(model_.order[static_cast<std::size_t>(
          Uniform(0, static_cast<int>(model_.order.size()) - 1))]);
    }
    return std::to_string(std::uniform_int_distribution<std::uint64_t>()(rng_));
  }

  std::vector<std::string> Insert() {
    const int n = Uniform(1, 40);
    std::vector<std::string> c = {"REPLAY.INSERT", "rl", "VERSION", std::to_string(Uniform(0, 9)),
                                  std::to_string(n)};
    for (int i = 0; i < n; ++i) {
      c.push_back(Uniform(0, 4) == 0 ? "*" : Priority());
      c.push_back(std::to_string(Uniform(0, 127)));
      c.push_back(Payload());
    }
    return c;
  }
  std::vector<std::string> Update() {
    const int n = Uniform(1, 20);
    std::vector<std::string> c = {"REPLAY.UPDATE", "rl", std::to_string(n)};
    std::string repeated;
    for (int i = 0; i < n; ++i) {
      // Duplicate ids in one command: the last priority wins.
      c.push_back(!repeated.empty() && Uniform(0, 3) == 0 ? repeated : Id());
      repeated = c.back();
      c.push_back(Priority());
    }
    return c;
  }
  std::vector<std::string> Sample() {
    std::vector<std::string> c = {"REPLAY.SAMPLE", "rl", std::to_string(Uniform(1, 512))};
    if (Uniform(0, 1) == 0) c.insert(c.end(), {"BETA", std::to_string(Uniform(0, 10) / 10.0)});
    if (Uniform(0, 1) == 0) c.insert(c.end(), {"SEED", std::to_string(Uniform(0, 1000))});
    if (Uniform(0, 2) == 0) c.insert(c.end(), {"TAGS", "64", "0.25", "0", "0.75"});
    if (Uniform(0, 1) == 0) c.push_back("PACKED");
    return c;
  }
  std::vector<std::string> Malformed() {
    static const char* kBadNumbers[] = {"nan",
                                        "NaN",
                                        "inf",
                                        "-inf",
                                        "-1",
                                        "1e400",
                                        "",
                                        "0x10",
                                        "abc",
                                        "-0.5",
                                        "18446744073709551616",
                                        "1e-400x"};
    const std::string bad = kBadNumbers[Uniform(0, 11)];
    switch (Uniform(0, 11)) {
      case 0:
        return {"REPLAY.INSERT", "rl", "VERSION", "1", "1", bad, "0", "x"};
      case 1:
        return {"REPLAY.INSERT", "rl", "VERSION", "1", "3", "1", "0", "x"};  // short
      case 2:
        return {"REPLAY.INSERT",
                "rl",
                "VERSION",
                "1",
                "1",
                "1",
                "0",
                std::string(kMaxPayload + 1, 'x')};
      case 3:
        return {"REPLAY.INSERT", "rl", "VERSION", bad, "1", "1", "0", "x"};
      case 4:
        return {"REPLAY.UPDATE", "rl", "1", Id(), bad};
      case 5:
        return {"REPLAY.UPDATE", "rl", "2", Id(), "1"};  // one pair short
      case 6:
        return {"REPLAY.UPDATE", "rl", "4294967296000", Id(), "1"};
      case 7:
        return {"REPLAY.SAMPLE", "rl", "99999999999"};
      case 8:
        return {"REPLAY.SAMPLE", "rl", "8", "BETA", bad};
      case 9:
        return {"REPLAY.SAMPLE", "rl", "8", "TAGS", "64", bad};
      case 10:
        return {"REPLAY.SAMPLE", "rl", "8", "NOSUCH"};
      default:
        return {"REPLAY.INSERT", "nosuchtable", "VERSION", "1", "1", "1", "0", "x"};
    }
  }

  RedisServer& server_;
  std::mt19937_64 rng_;
  Model model_;
};

std::string Joined(const std::vector<std::string>& command) {
  std::string text;
  for (const std::string& a : command) text += (a.size() > 40 ? a.substr(0, 40) + "..." : a) + " ";
  return text;
}

class CommandFuzzTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(CommandFuzzTest, EveryCommandKeepsTheTableEqualToItsModel) {
  RedisServer::Options options;
  options.module_args = "MAX_PAYLOAD " + std::to_string(kMaxPayload);
  auto server = StartServer(options);
  ASSERT_TRUE(server);
  ASSERT_EQ(server->RunText(
                {"REPLAY.CREATE", "rl", "CAPACITY", std::to_string(kCapacity), "ALPHA", "0.6"}),
            "OK");
  CommandFuzzer fuzzer(*server, GetParam());
  fuzzer.model().running_max = ReadInfo(*server).Number("max_priority");
  std::uint64_t last_next_id = ReadInfo(*server).Count("next_id");
  int errors = 0, reloads = 0;
  for (int step = 0; step < kCommands; ++step) {
    const std::vector<std::string> command = fuzzer.Next();
    const Info before = ReadInfo(*server);
    RedisServer::Reply reply = server->Run(command);
    ASSERT_TRUE(reply) << "the server went away after: " << Joined(command);
    ASSERT_EQ(server->RunText({"PING"}), "PONG");
    const Info after = ReadInfo(*server);
    if (reply->type == REDIS_REPLY_ERROR) {
      ++errors;
      EXPECT_EQ(after.fields, before.fields)
          << "an error changed the table: " << Joined(command) << " -> " << reply->str;
      // One sentence, starting with its code.
      EXPECT_THAT(std::string(reply->str), ::testing::MatchesRegex("[A-Z]+ .+"));
      continue;
    }
    if (command[0] == "DEBUG") {
      ++reloads;
      // memory_bytes may differ by a few bytes (allocation sizes after a reload); the rest not.
      auto without_memory = [](Info info) {
        info.fields.erase("memory_bytes");
        return info.fields;
      };
      EXPECT_EQ(without_memory(after), without_memory(before)) << "DEBUG RELOAD changed the table";
    }
    fuzzer.Apply(command, reply.get());
    const Model& m = fuzzer.model();
    ASSERT_EQ(after.Count("size"), m.order.size()) << Joined(command);
    ASSERT_LE(after.Count("size"), kCapacity);
    ASSERT_EQ(after.Count("inserts"), m.inserts);
    ASSERT_EQ(after.Count("evictions"), m.evictions);
    ASSERT_EQ(after.Count("updates"), m.updates) << Joined(command);
    ASSERT_EQ(after.Count("stale_updates"), m.stale);
    ASSERT_GE(after.Count("next_id"), last_next_id);
    last_next_id = after.Count("next_id");
    const double mass = m.Mass();
    ASSERT_NEAR(after.Number("total_mass"), mass, 1e-9 * std::max(1.0, mass)) << Joined(command);
    ASSERT_DOUBLE_EQ(after.Number("max_priority"), m.running_max);
  }
  EXPECT_GT(errors, kCommands / 10);
  EXPECT_GT(reloads, 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, CommandFuzzTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace tarmac::faults
