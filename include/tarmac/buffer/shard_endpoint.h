#ifndef TARMAC_BUFFER_SHARD_ENDPOINT_H_
#define TARMAC_BUFFER_SHARD_ENDPOINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tarmac::buffer {

// Where one replay shard lives: redis://[user[:password]@]host[:port],
// unix:///path/to/redis.sock[?user=U&password=P], or
// sentinel://[user[:password]@]host:port[,host:port...]/master-name: the primary that these
// Sentinels name, asked again on every (re)connect, so clients follow a failover. The
// credentials are the primary's; the Sentinels are asked without. Plain data.
struct ShardEndpoint {
  std::string host;  // empty for unix sockets and Sentinel URLs
  int port = 6379;
  std::string unix_path;
  std::string user;
  std::string password;
  struct HostPort {
    std::string host;
    int port = 26379;
  };
  std::vector<HostPort> sentinels;  // Sentinel URLs only
  std::string master_name;          // Sentinel URLs only

  // InvalidArgument naming the URL and what is wrong with it.
  static absl::StatusOr<ShardEndpoint> Parse(absl::string_view url);
  // A comma-separated list, one URL per shard (a Sentinel URL's own commas stay in it).
  static absl::StatusOr<std::vector<ShardEndpoint>> ParseList(absl::string_view urls);

  // The URL without the password, for logs and errors.
  std::string ToString() const;
};

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_SHARD_ENDPOINT_H_
