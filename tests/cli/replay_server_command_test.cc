// `tarmac replay-server` becomes a redis-server with the module loaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>

#include <thread>

#include "redis_server.h"
#include "subprocess.h"

namespace tarmac::cli {
namespace {

using ::testing::HasSubstr;

TEST(ReplayServerCommandTest, ServesReplayTablesAndPersistsThem) {
  testing::TempDir dir;
  const int port = testing::FreeLoopbackPort();
  auto server =
      testing::Subprocess::Start({TARMAC_BINARY, "replay-server", "--port", std::to_string(port),
                                  "--dir", dir.path() + "/data", "--appendonly", "yes"},
                                 dir.path() + "/out.log");
  ASSERT_TRUE(server.ok()) << server.status();
  redisContext* c = nullptr;
  for (int i = 0; i < 200 && (c == nullptr || c->err != 0); ++i) {
    if (c != nullptr) redisFree(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    c = redisConnect("127.0.0.1", port);
  }
  ASSERT_TRUE(c != nullptr && c->err == 0) << "replay-server never listened";
  auto* reply = static_cast<redisReply*>(redisCommand(c, "REPLAY.CREATE rl CAPACITY 8"));
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(testing::ReplyText(reply), "OK");
  freeReplyObject(reply);
  reply = static_cast<redisReply*>(redisCommand(c, "CONFIG GET appendonly"));
  EXPECT_EQ(testing::ReplyText(reply), "[appendonly, yes]");
  freeReplyObject(reply);
  redisFree(c);
  server->Stop(SIGTERM);
  EXPECT_FALSE(server->Running());
}

TEST(ReplayServerCommandTest, BadFlagsAreOneSentence) {
  auto r = testing::RunCommand({TARMAC_BINARY, "replay-server", "--port", "70000"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_EQ(r->err,
            "tarmac: key 'replay.port' given by --port is 70000, above the maximum 65535.\n");
}

}  // namespace
}  // namespace tarmac::cli
