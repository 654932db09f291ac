// A local "cluster" of real processes: a replay shard (`tarmac replay-server`), a learner and
// rollout actors, scraped by a real Prometheus with the shipped config and rules. Every
// Grafana panel and every recording/alert rule is evaluated through Prometheus's HTTP API;
// then the fleet grows from 1 to 4 actor processes and shrinks back while the learner trains.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "redis_server.h"
#include "subprocess.h"

namespace tarmac::monitoring {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The value of an unlabelled sample on a /metrics page, or -1.
double Scrape(int port, const std::string& name) {
  auto page = testing::HttpGet(port, "/metrics", std::chrono::seconds(2));
  if (!page.ok() || page->status != 200) return -1;
  std::istringstream in(page->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

template <class Predicate>
bool WaitFor(Predicate done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// One shard, one learner; actors are added by the tests. Small networks so two cores keep up.
class Fleet : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_port_ = testing::FreeLoopbackPort();
    auto redis = testing::Subprocess::Start(
        {TARMAC_BINARY, "replay-server", "--port", std::to_string(redis_port_), "--dir",
         dir_.path() + "/replay", "--appendonly", "yes"},
        dir_.path() + "/replay.log");
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    ASSERT_TRUE(WaitFor(
        [&] {
          redisContext* c = redisConnect("127.0.0.1", redis_port_);
          const bool ok = c != nullptr && c->err == 0;
          if (c != nullptr) redisFree(c);
          return ok;
        },
        std::chrono::seconds(10)));
    learner_port_ = testing::FreeLoopbackPort();
    auto learner = testing::Subprocess::Start(
        {TARMAC_BINARY, "learner", "--redis", url(), "--metrics-port",
         std::to_string(learner_port_), "--checkpoint-dir", dir_.path() + "/ckpt", "--set",
         "learner.hidden_units=64", "--set", "learner.batch_size=64", "--set",
         "learner.min_replay=300", "--set", "learner.publish_every=10", "--set",
         "learner.threads=1"},
        dir_.path() + "/learner.log");
    ASSERT_TRUE(learner.ok()) << learner.status();
    learner_ = std::move(*learner);
  }

  void TearDown() override {
    for (auto& a : actors_) a.process.Stop(SIGTERM, std::chrono::seconds(20));
    learner_.Stop(SIGTERM, std::chrono::seconds(30));
    redis_.Stop(SIGTERM);
  }

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(redis_port_); }

  struct Actor {
    testing::Subprocess process;
    int port = 0;
    std::string log;
  };

  // Starts one actor process and waits until it serves /metrics.
  Actor& AddActor() {
    Actor a;
    a.port = testing::FreeLoopbackPort();
    a.log = dir_.path() + "/actor-" + std::to_string(actors_.size()) + ".log";
    auto p = testing::Subprocess::Start(
        {TARMAC_BINARY, "actor", "--redis", url(), "--actors", "1", "--envs-per-actor", "8",
         "--metrics-port", std::to_string(a.port), "--set", "actor.hidden_units=64", "--set",
         "actor.heartbeat_seconds=1"},
        a.log);
    EXPECT_TRUE(p.ok()) << p.status();
    a.process = std::move(*p);
    actors_.push_back(std::move(a));
    Actor& added = actors_.back();
    EXPECT_TRUE(WaitFor([&] { return Scrape(added.port, "tarmac_env_steps_total") >= 0; },
                        std::chrono::seconds(20)))
        << Read(added.log);
    return added;
  }

  double Alive() const { return Scrape(learner_port_, "tarmac_actors_alive"); }
  double Updates() const { return Scrape(learner_port_, "tarmac_learner_updates_total"); }

  testing::TempDir dir_;
  int redis_port_ = 0, learner_port_ = 0;
  testing::Subprocess redis_, learner_;
  std::deque<Actor> actors_;
};

// Every expression the dashboard and the rules files hold.
struct Expressions {
  std::vector<std::pair<std::string, std::vector<std::string>>> panels;  // title -> exprs
  std::vector<std::string> rules;
};

Expressions LoadExpressions() {
  Expressions e;
  const json board =
      json::parse(Read(std::string(TARMAC_SOURCE_DIR) + "/monitoring/grafana/tarmac.json"));
  for (const auto& panel : board["panels"]) {
    if (panel["type"] == "row") continue;
    std::vector<std::string> exprs;
    for (const auto& t : panel["targets"]) exprs.push_back(t["expr"]);
    e.panels.emplace_back(panel["title"], exprs);
  }
  const YAML::Node rules =
      YAML::LoadFile(std::string(TARMAC_SOURCE_DIR) + "/monitoring/prometheus/rules.yml");
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) e.rules.push_back(rule["expr"].as<std::string>());
  }
  return e;
}

TEST_F(Fleet, EveryDashboardPanelAndRuleEvaluatesOnALiveRun) {
  if (std::string(TARMAC_PROMETHEUS).empty()) GTEST_SKIP() << "prometheus not installed";
  const std::string rules = std::string(TARMAC_SOURCE_DIR) + "/monitoring/prometheus/rules.yml";
  auto check = testing::RunCommand({TARMAC_PROMTOOL, "check", "rules", rules});
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->exit_code, 0) << check->out << check->err;

  std::vector<int> ports = {learner_port_};
  for (int i = 0; i < 2; ++i) ports.push_back(AddActor().port);
  // The shipped config, unchanged, with its targets file written for this run.
  const std::string prom_dir = dir_.path() + "/prometheus";
  fs::create_directories(prom_dir + "/targets");
  fs::copy_file(std::string(TARMAC_SOURCE_DIR) + "/monitoring/prometheus/prometheus.yml",
                prom_dir + "/prometheus.yml");
  fs::copy_file(rules, prom_dir + "/rules.yml");
  json targets = json::array();
  for (int port : ports) targets.push_back({{"targets", {"127.0.0.1:" + std::to_string(port)}}});
  std::ofstream(prom_dir + "/targets/run.json") << targets.dump();
  const int prom_port = testing::FreeLoopbackPort();
  auto prometheus = testing::Subprocess::Start(
      {TARMAC_PROMETHEUS, "--config.file=" + prom_dir + "/prometheus.yml",
       "--storage.tsdb.path=" + prom_dir + "/db",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      prom_dir + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();

  const Expressions expressions = LoadExpressions();
  ASSERT_GE(expressions.panels.size(), 20U);
  ASSERT_GE(expressions.rules.size(), 15U);
  // Status and number of series of one instant query.
  const auto query = [&](const std::string& expr) -> std::pair<std::string, std::size_t> {
    auto r = testing::HttpGet(prom_port, "/api/v1/query?query=" + UrlEncode(expr));
    if (!r.ok()) return {"unreachable", 0};
    const json body = json::parse(r->body, nullptr, false);
    if (body.is_discarded()) return {"not json", 0};
    if (body["status"] != "success") return {body.value("error", "error"), 0};
    return {"success", body["data"]["result"].size()};
  };
  // Every panel has data once a few scrapes and rule evaluations have happened (learning
  // starts, episodes end, weights are swapped); bounded wait.
  std::map<std::string, std::string> missing;
  WaitFor(
      [&] {
        missing.clear();
        for (const auto& [title, exprs] : expressions.panels) {
          for (const std::string& expr : exprs) {
            const auto [status, series] = query(expr);
            if (status != "success" || series == 0) missing[title + ": " + expr] = status;
          }
        }
        return missing.empty();
      },
      std::chrono::seconds(150));
  for (const auto& [panel, status] : missing)
    ADD_FAILURE() << "no data for " << panel << " (" << status << ")";
  // Rules (recording and alerts) all parse and evaluate; alerts need not fire.
  for (const std::string& expr : expressions.rules) {
    EXPECT_EQ(query(expr).first, "success") << expr;
  }
  auto rules_api = testing::HttpGet(prom_port, "/api/v1/rules");
  ASSERT_TRUE(rules_api.ok());
  const json loaded = json::parse(rules_api->body);
  std::size_t rule_count = 0;
  for (const auto& group : loaded["data"]["groups"]) {
    for (const auto& rule : group["rules"]) {
      ++rule_count;
      EXPECT_NE(rule.value("health", ""), "err")
          << rule["name"] << ": " << rule.value("lastError", "");
    }
  }
  EXPECT_EQ(rule_count, expressions.rules.size());
  prometheus->Stop(SIGTERM);
}

TEST_F(Fleet, ActorsComeAndGoWhileTheLearnerKeepsTraining) {
  // TTL of a heartbeat: three periods of 1 s; the learner refreshes the gauge once a second.
  const auto follow = std::chrono::milliseconds(3000 + 1500);
  AddActor();
  ASSERT_TRUE(WaitFor([&] { return Alive() == 1; }, std::chrono::seconds(30))) << Alive();
  ASSERT_TRUE(WaitFor([&] { return Updates() > 0; }, std::chrono::seconds(60)))
      << Read(dir_.path() + "/learner.log");

  for (int i = 0; i < 3; ++i) AddActor();  // each waits until the process serves metrics
  EXPECT_TRUE(WaitFor([&] { return Alive() == 4; }, follow)) << Alive();
  const double updates_at_four = Updates();

  // Shrink: two leave gracefully (SIGTERM: flush, unregister), one is killed.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<std::string> graceful_logs;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(actors_[i].process.Stop(SIGTERM, std::chrono::seconds(20)) >> 8, 130);
    graceful_logs.push_back(actors_[i].log);
  }
  EXPECT_TRUE(WaitFor([&] { return Alive() == 2; }, follow)) << Alive();
  actors_[3].process.Stop(SIGKILL);
  EXPECT_TRUE(WaitFor([&] { return Alive() == 1; }, follow)) << Alive();

  // The learner never stopped.
  EXPECT_TRUE(learner_.Running());
  EXPECT_TRUE(WaitFor([&] { return Updates() > updates_at_four; }, std::chrono::seconds(20)));
  // The first actor leaves too, so that no writer is inserting while the counts are read.
  EXPECT_EQ(actors_[0].process.Stop(SIGTERM, std::chrono::seconds(20)) >> 8, 130);
  graceful_logs.push_back(actors_[0].log);

  // Every transition an actor that left gracefully had acknowledged is in the replay, once.
  redisContext* c = redisConnect("127.0.0.1", redis_port_);
  ASSERT_TRUE(c != nullptr && c->err == 0);
  // A producer's sequence on the rl table: the items its writer got acknowledged.
  const auto sequence = [&](const std::string& producer) -> std::uint64_t {
    auto* reply =
        static_cast<redisReply*>(redisCommand(c, "REPLAY.PRODUCER rl %s", producer.c_str()));
    const std::uint64_t value = reply != nullptr && reply->type == REDIS_REPLY_INTEGER
                                    ? static_cast<std::uint64_t>(reply->integer)
                                    : 0;
    if (reply != nullptr) freeReplyObject(reply);
    return value;
  };
  const std::regex done(
      R"re(actor (\S+) done: \d+ env steps, \d+ transitions \((\d+) written, (\d+) unwritten\))re");
  for (const std::string& log : graceful_logs) {
    std::smatch m;
    const std::string text = Read(log);
    ASSERT_TRUE(std::regex_search(text, m, done)) << text;
    EXPECT_EQ(std::stoull(m[3]), 0U) << "transitions left unwritten at exit";
    EXPECT_GT(std::stoull(m[2]), 0U);
    EXPECT_EQ(sequence(m[1].str()), std::stoull(m[2])) << m[1];
  }
  // And across all writers, the gracefully stopped, the killed and the running: each insert
  // the table counts is one a writer had sequenced.
  std::uint64_t produced = 0;
  auto* producers = static_cast<redisReply*>(redisCommand(c, "REPLAY.PRODUCER rl"));
  ASSERT_TRUE(producers != nullptr && producers->type == REDIS_REPLY_ARRAY);
  EXPECT_GE(producers->elements, 2U * 4) << "every writer that ran has a sequence";
  for (std::size_t i = 1; i < producers->elements; i += 2) {
    produced += static_cast<std::uint64_t>(producers->element[i]->integer);
  }
  freeReplyObject(producers);
  auto* info = static_cast<redisReply*>(redisCommand(c, "REPLAY.INFO rl"));
  ASSERT_NE(info, nullptr);
  std::uint64_t inserts = 0;
  for (std::size_t i = 0; i + 1 < info->elements; i += 2) {
    if (std::string(info->element[i]->str) == "inserts") inserts = info->element[i + 1]->integer;
  }
  freeReplyObject(info);
  EXPECT_GT(inserts, 0U);
  EXPECT_EQ(produced, inserts);
  redisFree(c);
}

}  // namespace
}  // namespace tarmac::monitoring
