#ifndef TARMAC_BUFFER_REDIS_CONNECTION_H_
#define TARMAC_BUFFER_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/buffer/shard_endpoint.h"

namespace tarmac::buffer {

// Owned hiredis reply.
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One command as its arguments (binary-safe).
using Command = std::vector<std::string>;
// The same over arguments the caller keeps alive until the call returns (no copy of payloads).
using CommandView = std::vector<absl::string_view>;

// One hiredis connection to one shard: connect (with AUTH), timeouts on every call, reconnect
// with exponential backoff, pipelines of commands. Not thread-safe; non-copyable.
class RedisConnection {
 public:
  struct Options {
    std::chrono::milliseconds timeout{2000};
    int connect_attempts = 5;
    std::chrono::milliseconds backoff_initial{50};
    std::chrono::milliseconds backoff_max{2000};
  };

  RedisConnection(ShardEndpoint endpoint, Options options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends every command, then reads every reply (one round trip). Reconnects first when the
  // connection is down. Unavailable when the shard cannot be reached or the connection breaks
  // (the commands may or may not have been applied then). Error replies are returned as
  // replies, not as errors. Blocks up to the timeout per reply.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<Command>& commands);
  // The same over CommandViews.
  absl::StatusOr<std::vector<Reply>> PipelineViews(const std::vector<CommandView>& commands);

  // Pipeline in two halves, so that several shards work at once: Send buffers and writes the
  // commands; Receive reads `count` replies.
  absl::Status Send(const std::vector<Command>& commands);
  absl::StatusOr<std::vector<Reply>> Receive(std::size_t count);

  // For a connection in pub/sub mode: a pushed message if one arrives within `timeout` (null
  // Reply when none), without tearing the connection down on a quiet period. Unavailable when
  // the connection is lost (call Send again to reconnect).
  absl::StatusOr<Reply> Poll(std::chrono::milliseconds timeout);

  const ShardEndpoint& endpoint() const { return endpoint_; }

 private:
  template <class C>
  absl::Status SendAll(const std::vector<C>& commands);
  absl::Status EnsureConnected();
  absl::Status ConnectOnce();
  void Drop();

  ShardEndpoint endpoint_;
  Options options_;
  redisContext* context_ = nullptr;
};

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_REDIS_CONNECTION_H_
