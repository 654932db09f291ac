#ifndef TARMAC_BUFFER_SHARD_ENDPOINT_H_
#define TARMAC_BUFFER_SHARD_ENDPOINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tarmac::buffer {

// Where one replay shard lives: redis://[user[:password]@]host[:port] or
// unix:///path/to/redis.sock[?user=U&password=P]. Plain data.
struct ShardEndpoint {
  std::string host;  // empty for unix sockets
  int port = 6379;
  std::string unix_path;
  std::string user;
  std::string password;

  // InvalidArgument naming the URL and what is wrong with it.
  static absl::StatusOr<ShardEndpoint> Parse(absl::string_view url);
  // A comma-separated list, one URL per shard.
  static absl::StatusOr<std::vector<ShardEndpoint>> ParseList(absl::string_view urls);

  // The URL without the password, for logs and errors.
  std::string ToString() const;
};

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_SHARD_ENDPOINT_H_
