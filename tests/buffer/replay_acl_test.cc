// Least privilege on a real replay server started as `tarmac replay-server --acl` starts it
// (RedisServerArgv with acl on): each role can do its job through tarmac's own clients, and an
// actor's credential cannot touch weights, tables or the server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "redis_server.h"
#include "subprocess.h"
#include "tarmac/buffer/control_client.h"
#include "tarmac/buffer/replay_client.h"
#include "tarmac/buffer/replay_server.h"

namespace tarmac::buffer {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using testing::ReplyText;
using ::testing::StartsWith;

// The admin's has a quote and a backslash: a replica's secrets.conf must escape them.
const ReplayAclPasswords kPasswords{"actor-password-0123456789", "learner-password-0123456789",
                                    "admin-pass\"word\\0123456789"};

struct Connection {
  redisContext* context = nullptr;
  ~Connection() {
    if (context != nullptr) redisFree(context);
  }
  std::string Run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (reply == nullptr) return "(connection lost)";
    std::string text = ReplyText(reply);
    freeReplyObject(reply);
    return text;
  }
};

// Refused by the ACL, or (DEBUG, MODULE LOAD/UNLOAD) by Redis 7's enable-*-command defaults
// before the ACL is asked.
auto Refused() {
  return AnyOf(StartsWith("NOPERM"), StartsWith("ERR DEBUG command not allowed"),
               StartsWith("ERR MODULE command not allowed"));
}

class ReplayAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.port = testing::FreeLoopbackPort();
    options_.dir = dir_.path();
    options_.appendonly = false;
    options_.acl = true;
    options_.acl_passwords = kPasswords;
    auto argv = RedisServerArgv(options_);
    ASSERT_TRUE(argv.ok()) << argv.status();
    auto process = testing::Subprocess::Start(*argv, dir_.path() + "/redis.log");
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = std::move(*process);
    for (int attempt = 0; attempt < 100; ++attempt) {  // bounded: 10 s
      auto admin = Connect("admin", kPasswords.admin);
      if (admin != nullptr && admin->Run({"PING"}) == "PONG") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the ACL replay server did not come up on port " << options_.port;
  }

  std::unique_ptr<Connection> Connect(const std::string& user, const std::string& password) {
    auto c = std::make_unique<Connection>();
    c->context = redisConnect("127.0.0.1", options_.port);
    if (c->context == nullptr || c->context->err != 0) return nullptr;
    if (!user.empty() && c->Run({"AUTH", user, password}) != "OK") return nullptr;
    return c;
  }

  ShardEndpoint Endpoint(const std::string& user, const std::string& password) const {
    ShardEndpoint e;
    e.host = "127.0.0.1";
    e.port = options_.port;
    e.user = user;
    e.password = password;
    return e;
  }

  // As the actor: creates `rl` and inserts two items as producer p1 (its sequence is then 2).
  std::unique_ptr<ReplayClient> ActorWithTwoItems() const {
    ReplayClientOptions o;
    o.shards = {Endpoint("actor", kPasswords.actor)};
    auto actor = ReplayClient::Connect(o);
    if (!actor.ok()) {
      ADD_FAILURE() << actor.status();
      return nullptr;
    }
    TableSpec spec;
    spec.name = "rl";
    spec.capacity = 100;
    if (absl::Status s = (*actor)->CreateTable(spec); !s.ok()) {
      ADD_FAILURE() << s;
      return nullptr;
    }
    const InsertItem items[] = {{1.0, 0, "a"}, {2.0, 0, "b"}};
    const SequencedBatch batch{7, items};
    const SequencedResult inserted = (*actor)->InsertSequenced(0, "rl", "p1", 0, {&batch, 1});
    if (!inserted.status.ok()) {
      ADD_FAILURE() << inserted.status;
      return nullptr;
    }
    return *std::move(actor);
  }

  testing::TempDir dir_;
  ReplayServerOptions options_;
  testing::Subprocess process_;
};

TEST_F(ReplayAclTest, TheAclFileHoldsOnlyHashesAndOnlyItsOwnerReadsIt) {
  const std::string path = dir_.path() + "/users.acl";
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  const std::string text = ReplayAclFile(kPasswords);
  EXPECT_EQ(text.find(kPasswords.actor), std::string::npos);
  EXPECT_EQ(text.find(kPasswords.admin), std::string::npos);
  // SHA-256 of the actor's password, as Redis stores it.
  EXPECT_THAT(text, HasSubstr("#1a2aab8182487340e527840032e7da2b6adcf29c35ae4a688d4088a558499754"));
}

TEST_F(ReplayAclTest, EveryRoleDoesItsJobThroughTarmacsClients) {
  // Actor: create the table, insert exactly-once, read its sequence, heartbeat, episodes,
  // read weights.
  std::unique_ptr<ReplayClient> actor = ActorWithTwoItems();
  ASSERT_NE(actor, nullptr);
  EXPECT_EQ(*actor->ProducedCount(0, "rl", "p1"), 2U);
  auto actor_control = ControlClient::Connect(Endpoint("actor", kPasswords.actor));
  ASSERT_TRUE(actor_control.ok()) << actor_control.status();
  ASSERT_TRUE((*actor_control)
                  ->Heartbeat("p1", {{"env_steps", "10"}}, std::chrono::milliseconds(5000))
                  .ok());
  ASSERT_TRUE((*actor_control)->PublishEpisodes({"summary"}, 100).ok());
  auto subscription = WeightsSubscription::Connect(Endpoint("actor", kPasswords.actor));
  ASSERT_TRUE(subscription.ok()) << subscription.status();

  // Learner: sample, update priorities, table info, publish weights, read the fleet.
  ReplayClientOptions learner_options;
  learner_options.shards = {Endpoint("learner", kPasswords.learner)};
  auto learner = ReplayClient::Connect(learner_options);
  ASSERT_TRUE(learner.ok()) << learner.status();
  auto sampled = (*learner)->Sample("rl", 4);
  ASSERT_TRUE(sampled.ok()) << sampled.status();
  EXPECT_TRUE((*learner)->Totals("rl").ok());
  EXPECT_TRUE((*learner)->Memory().ok());
  auto learner_control = ControlClient::Connect(Endpoint("learner", kPasswords.learner));
  ASSERT_TRUE(learner_control.ok());
  ASSERT_TRUE((*learner_control)->PublishWeights(3, "blob").ok());
  EXPECT_EQ(*(*learner_control)->LiveActors(), std::vector<std::string>{"p1"});
  EXPECT_EQ((*learner_control)->RecentEpisodes(5)->size(), 1U);

  // The actor reads what the learner published, and hears the announcement.
  EXPECT_EQ(*(*actor_control)->LatestWeightsVersion(), 3U);
  EXPECT_EQ(*(*actor_control)->FetchWeights(3), "blob");
  ASSERT_TRUE((*learner_control)->PublishWeights(4, "blob4").ok());
  std::optional<std::uint64_t> heard;
  for (int i = 0; i < 20 && !heard; ++i) {
    auto waited = (*subscription)->Wait(std::chrono::milliseconds(100));
    if (waited.ok()) heard = *waited;
  }
  EXPECT_EQ(heard, std::optional<std::uint64_t>(4));
  ASSERT_TRUE((*actor_control)->Unregister("p1").ok());
}

TEST_F(ReplayAclTest, AnActorCannotWriteWeightsDeleteATableOrRunTheServer) {
  auto admin = Connect("admin", kPasswords.admin);
  ASSERT_NE(admin, nullptr);
  ASSERT_EQ(admin->Run({"REPLAY.CREATE", "rl", "CAPACITY", "10"}), "OK");
  ASSERT_EQ(admin->Run({"SET", "tarmac:weights:latest", "1"}), "OK");
  auto actor = Connect("actor", kPasswords.actor);
  ASSERT_NE(actor, nullptr);
  const std::vector<std::vector<std::string>> forbidden = {
      {"SET", "tarmac:weights:latest", "666"},
      {"SET", "tarmac:weights:666", "blob"},
      {"DEL", "tarmac:weights:latest"},
      {"PUBLISH", "tarmac:weights", "666"},
      {"MULTI"},
      {"DEL", "rl"},
      {"UNLINK", "rl"},
      {"RENAME", "rl", "gone"},
      {"REPLAY.UPDATE", "rl", "0", "1"},
      {"REPLAY.CONFIG", "rl", "SPI", "1"},
      {"FLUSHALL"},
      {"FLUSHDB"},
      {"CONFIG", "SET", "appendonly", "no"},
      {"CONFIG", "GET", "requirepass"},
      {"MODULE", "LIST"},
      {"MODULE", "UNLOAD", "replay"},
      {"DEBUG", "RELOAD"},
      {"KEYS", "*"},
      {"ACL", "SETUSER", "actor", "+@all"},
      {"EVAL", "return redis.call('SET', 'tarmac:weights:latest', '666')", "0"},
      {"SHUTDOWN", "NOSAVE"},
      {"REPLICAOF", "127.0.0.1", "1"},
  };
  for (const auto& command : forbidden) {
    EXPECT_THAT(actor->Run(command), Refused()) << command[0] << " " << command.size();
  }
  // Nothing changed.
  EXPECT_EQ(admin->Run({"GET", "tarmac:weights:latest"}), "1");
  EXPECT_EQ(admin->Run({"EXISTS", "rl"}), "1");
  EXPECT_EQ(admin->Run({"DBSIZE"}), "2");
}

TEST_F(ReplayAclTest, ALearnerCannotDeleteTablesOrRunTheServerAndNobodyElseGetsIn) {
  auto admin = Connect("admin", kPasswords.admin);
  ASSERT_NE(admin, nullptr);
  ASSERT_EQ(admin->Run({"REPLAY.CREATE", "rl", "CAPACITY", "10"}), "OK");
  auto learner = Connect("learner", kPasswords.learner);
  ASSERT_NE(learner, nullptr);
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"DEL", "rl"},
                                             {"FLUSHALL"},
                                             {"CONFIG", "SET", "appendonly", "no"},
                                             {"MODULE", "LIST"},
                                             {"DEBUG", "RELOAD"},
                                             {"SET", "rl", "x"},
                                             {"HSET", "tarmac:actors:fake", "a", "b"},
                                             {"XADD", "tarmac:episodes", "*", "summary", "x"}}) {
    EXPECT_THAT(learner->Run(command), Refused()) << command[0];
  }
  // No default user, and a wrong password is refused.
  auto anonymous = Connect("", "");
  ASSERT_NE(anonymous, nullptr);
  EXPECT_THAT(anonymous->Run({"PING"}), StartsWith("NOAUTH"));
  EXPECT_EQ(Connect("actor", kPasswords.learner), nullptr);
  EXPECT_EQ(Connect("default", ""), nullptr);
  // The admin may do everything.
  EXPECT_EQ(admin->Run({"FLUSHALL"}), "OK");
  EXPECT_EQ(admin->Run({"DBSIZE"}), "0");
}

// A replica started as `tarmac replay-server --acl --replicaof` logs in to its primary as admin
// and holds the same users, so after a promotion the actor's credential still writes.
TEST_F(ReplayAclTest, APromotedReplicaTakesTheSameCredentials) {
  testing::TempDir replica_dir;
  ReplayServerOptions replica = options_;
  replica.port = testing::FreeLoopbackPort();
  replica.dir = replica_dir.path();
  replica.replicaof = absl::StrCat("127.0.0.1:", options_.port);
  auto argv = RedisServerArgv(replica);
  ASSERT_TRUE(argv.ok()) << argv.status();
  auto process = testing::Subprocess::Start(*argv, replica_dir.path() + "/redis.log");
  ASSERT_TRUE(process.ok()) << process.status();

  ASSERT_NE(ActorWithTwoItems(), nullptr);

  ShardEndpoint on_replica = Endpoint("actor", kPasswords.actor);
  on_replica.port = replica.port;
  std::unique_ptr<Connection> admin;
  std::string role;
  for (int attempt = 0; attempt < 100; ++attempt) {  // bounded: 10 s to sync
    admin = std::make_unique<Connection>();
    admin->context = redisConnect("127.0.0.1", replica.port);
    if (admin->context != nullptr && admin->context->err == 0 &&
        admin->Run({"AUTH", "admin", kPasswords.admin}) == "OK") {
      role = admin->Run({"INFO", "replication"});
      if (role.find("master_link_status:up") != std::string::npos &&
          admin->Run({"REPLAY.PRODUCER", "rl", "p1"}) == "2") {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_THAT(role, HasSubstr("master_link_status:up"));
  ASSERT_EQ(admin->Run({"REPLAY.PRODUCER", "rl", "p1"}), "2");

  // A replica: the actor logs in and is refused writes; promoted, it writes with the same
  // credential and the producer sequence carries on where the primary left it.
  auto actor_on_replica = Connection{};
  actor_on_replica.context = redisConnect("127.0.0.1", replica.port);
  ASSERT_EQ(actor_on_replica.Run({"AUTH", "actor", kPasswords.actor}), "OK");
  EXPECT_THAT(actor_on_replica.Run({"REPLAY.INSERT", "rl", "1", "c"}), StartsWith("READONLY"));
  ASSERT_EQ(admin->Run({"REPLICAOF", "NO", "ONE"}), "OK");
  ReplayClientOptions promoted_options;
  promoted_options.shards = {on_replica};
  auto promoted = ReplayClient::Connect(promoted_options);
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_EQ(*(*promoted)->ProducedCount(0, "rl", "p1"), 2U);
  const InsertItem items[] = {{1.0, 0, "c"}, {2.0, 0, "d"}};
  const SequencedBatch next{8, items};
  ASSERT_TRUE((*promoted)->InsertSequenced(0, "rl", "p1", 2, {&next, 1}).status.ok());
  EXPECT_EQ(*(*promoted)->ProducedCount(0, "rl", "p1"), 4U);
  EXPECT_THAT(actor_on_replica.Run({"SET", "tarmac:weights:latest", "666"}), Refused());
}

TEST(ReplayAclOptionsTest, AReplicaofThatIsNotHostPortIsOneSentence) {
  ReplayServerOptions options;
  for (const char* bad : {"replay-0", ":6379", "replay-0:", "replay-0:http", "replay-0:70000"}) {
    options.replicaof = bad;
    EXPECT_EQ(options.Validate().message(),
              absl::StrCat("replay.replicaof '", bad,
                           "' is not host:port of the primary (e.g. replay-0.replay:6379)"));
  }
  // Passwords go to a file only its owner reads, not onto the command line.
  testing::TempDir dir;
  options.dir = dir.path();
  options.replicaof = "replay-0.replay:6379";
  options.password = "one-password-for-all";
  auto argv = RedisServerArgv(options);
  ASSERT_TRUE(argv.ok()) << argv.status();  // the module is built beside this test
  const std::string conf = dir.path() + "/secrets.conf";
  EXPECT_THAT(*argv, ::testing::IsSupersetOf(
                         std::vector<std::string>{conf, "--replicaof", "replay-0.replay", "6379"}));
  EXPECT_EQ((*argv)[1], conf);
  for (const std::string& arg : *argv) EXPECT_EQ(arg.find(options.password), std::string::npos);
  std::ifstream in(conf);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}),
            "requirepass \"one-password-for-all\"\nmasterauth \"one-password-for-all\"\n");
  struct stat st {};
  ASSERT_EQ(stat(conf.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(ReplayAclOptionsTest, AMissingOrShortPasswordOrASecondPasswordIsOneSentence) {
  ReplayServerOptions options;
  options.acl = true;
  options.acl_passwords = kPasswords;
  EXPECT_TRUE(options.Validate().ok());
  options.acl_passwords.learner.clear();
  EXPECT_EQ(options.Validate().message(),
            "replay.acl needs a password for the learner user; set TARMAC_REDIS_LEARNER_PASSWORD");
  options.acl_passwords.learner = "short";
  EXPECT_EQ(options.Validate().message(),
            "TARMAC_REDIS_LEARNER_PASSWORD is 5 bytes; use at least 16 (e.g. `openssl rand -hex "
            "32`)");
  options.acl_passwords = kPasswords;
  options.password = "single-password";
  EXPECT_EQ(options.Validate().message(),
            "replay.acl replaces the single password; unset TARMAC_REDIS_PASSWORD on the server");
}

}  // namespace
}  // namespace tarmac::buffer
