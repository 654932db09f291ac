#include "tarmac/buffer/shard_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarmac::buffer {
namespace {

using ::testing::HasSubstr;

TEST(ShardEndpointTest, ParsesTcpUrls) {
  auto e = ShardEndpoint::Parse("redis://learner:s3cret@replay-0.replay:6380");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "replay-0.replay");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->user, "learner");
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->ToString(), "redis://learner:***@replay-0.replay:6380");

  auto plain = ShardEndpoint::Parse("redis://127.0.0.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 6379);
  auto password_only = ShardEndpoint::Parse("redis://:pw@h:1/0");
  ASSERT_TRUE(password_only.ok());
  EXPECT_EQ(password_only->password, "pw");
  EXPECT_EQ(password_only->user, "");
}

TEST(ShardEndpointTest, ParsesUnixSockets) {
  auto e = ShardEndpoint::Parse("unix:///tmp/tarmac/redis.sock?password=pw");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->unix_path, "/tmp/tarmac/redis.sock");
  EXPECT_EQ(e->password, "pw");
}

TEST(ShardEndpointTest, RefusesBadUrlsWithOneSentence) {
  EXPECT_THAT(ShardEndpoint::Parse("http://x:1").status().message(),
              HasSubstr("replay URL 'http://x:1' has an unknown scheme"));
  EXPECT_THAT(ShardEndpoint::Parse("redis://host:99999").status().message(),
              HasSubstr("has an invalid port"));
  EXPECT_THAT(ShardEndpoint::Parse("redis://:7").status().message(), HasSubstr("has no host"));
  EXPECT_THAT(ShardEndpoint::Parse("unix://relative.sock").status().message(),
              HasSubstr("needs an absolute path"));
}

TEST(ShardEndpointTest, ParsesLists) {
  auto list = ShardEndpoint::ParseList("redis://a:1, redis://b:2,unix:///c.sock");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[1].host, "b");
  EXPECT_FALSE(ShardEndpoint::ParseList("").ok());
  EXPECT_FALSE(ShardEndpoint::ParseList("redis://a:1,bogus").ok());
}

}  // namespace
}  // namespace tarmac::buffer
