// RedisConnection's pipelines against a real redis-server: the commands it frames itself
// (arguments written in place or copied in with the framing, more pieces than one sendmsg
// takes, a payload larger than the socket's buffer) arrive byte for byte.
#include "redis_connection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "redis_server.h"

namespace tarmac::buffer {
namespace {

// `size` bytes of every value 0..255 in turn, "\r\n" and NULs included.
std::string Binary(std::size_t size, int seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + seed) & 0xff);
  return s;
}

TEST(RedisConnectionTest, PipelinedArgumentsOfEverySizeArriveByteForByte) {
  testing::RedisServer::Options options;
  options.load_module = false;
  auto server = testing::RedisServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  RedisConnection connection(*ShardEndpoint::Parse((*server)->url()), RedisConnection::Options{});
  // Sizes around the in-place threshold, empty, and 8 MB (sendmsg writes it in parts); then 1500
  // commands of three pieces each, past the 1024 pieces one sendmsg takes.
  std::vector<std::string> values;
  for (std::size_t size : {0, 1, 2, 63, 64, 65, 1000, 8 << 20}) values.push_back(Binary(size, 1));
  for (int k = 0; k < 1500; ++k) values.push_back(Binary(100 + k % 7, k));
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < values.size(); ++k) keys.push_back("key:" + std::to_string(k));
  std::vector<CommandView> sets;  // views into keys and values, which stay put from here
  for (std::size_t k = 0; k < values.size(); ++k) sets.push_back({"SET", keys[k], values[k]});
  auto replies = connection.PipelineViews(sets);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), values.size());
  for (const Reply& r : *replies) {
    ASSERT_EQ(r->type, REDIS_REPLY_STATUS) << std::string(r->str, r->len);
  }
  std::vector<Command> gets;
  for (const std::string& key : keys) gets.push_back({"GET", key});
  auto got = connection.Pipeline(gets);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    SCOPED_TRACE(k);
    ASSERT_EQ((*got)[k]->type, REDIS_REPLY_STRING);
    EXPECT_EQ(std::string((*got)[k]->str, (*got)[k]->len), values[k]);
  }
}

}  // namespace
}  // namespace tarmac::buffer
