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

TEST(ShardEndpointTest, ParsesSentinelUrls) {
  auto e = ShardEndpoint::Parse("sentinel://actor:pw@s-0:26379,s-1,10.0.0.7:26380/tarmac-0");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->sentinels.size(), 3U);
  EXPECT_EQ(e->sentinels[0].host, "s-0");
  EXPECT_EQ(e->sentinels[1].port, 26379);
  EXPECT_EQ(e->sentinels[2].port, 26380);
  EXPECT_EQ(e->master_name, "tarmac-0");
  EXPECT_EQ(e->user, "actor");
  EXPECT_EQ(e->password, "pw");
  EXPECT_EQ(e->ToString(), "sentinel://actor:***@s-0:26379,s-1:26379,10.0.0.7:26380/tarmac-0");
  EXPECT_THAT(ShardEndpoint::Parse("sentinel://s-0:26379").status().message(),
              HasSubstr("names no master"));
  EXPECT_THAT(ShardEndpoint::Parse("sentinel://s-0:0/m").status().message(),
              HasSubstr("invalid Sentinel address 's-0:0'"));
  // In a list, a Sentinel URL keeps its own commas.
  auto list = ShardEndpoint::ParseList("sentinel://a:1,b:2/m0, sentinel://c:3,d:4/m1,redis://e:5");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[0].sentinels.size(), 2U);
  EXPECT_EQ((*list)[1].master_name, "m1");
  EXPECT_EQ((*list)[2].host, "e");
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
