#ifndef TARMAC_BUFFER_CONTROL_CLIENT_H_
#define TARMAC_BUFFER_CONTROL_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tarmac/buffer/shard_endpoint.h"

namespace tarmac::buffer {

class RedisConnection;

// Redis keys outside replay tables, all on the first shard (the control shard):
//   tarmac:weights:<version>  PolicyWeights blobs (the newest kKeptWeightVersions are kept)
//   tarmac:weights:latest     the newest published version (decimal)
//   tarmac:weights            pub/sub channel; the message is the new version (decimal)
//   tarmac:actors:<id>        hash of one rollout process's heartbeat, with a TTL
//   tarmac:episodes           stream of every training episode's EpisodeSummary (field
//                             "summary"), capped near its newest N entries (XADD MAXLEN ~)
// Not thread-safe: one client per thread.
class ControlClient {
 public:
  static constexpr int kKeptWeightVersions = 8;
  static constexpr char kWeightsChannel[] = "tarmac:weights";
  static constexpr char kEpisodesStream[] = "tarmac:episodes";

  // Unavailable when the shard cannot be reached.
  static absl::StatusOr<std::unique_ptr<ControlClient>> Connect(
      const ShardEndpoint& endpoint,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Stores the blob, moves tarmac:weights:latest, publishes the version and drops the version
  // kKeptWeightVersions older, in one round trip (MULTI/EXEC: readers never see `latest` point
  // at a missing blob). Unavailable when Redis is lost.
  absl::Status PublishWeights(std::uint64_t version, absl::string_view blob);
  // NotFound when nothing was published yet.
  absl::StatusOr<std::uint64_t> LatestWeightsVersion();
  // NotFound when the version is not (or no longer) stored.
  absl::StatusOr<std::string> FetchWeights(std::uint64_t version);

  // Writes tarmac:actors:<id> with `fields` and a TTL; removes it with Unregister.
  absl::Status Heartbeat(absl::string_view id, const std::map<std::string, std::string>& fields,
                         std::chrono::milliseconds ttl);
  absl::Status Unregister(absl::string_view id);
  // Live heartbeats (SCAN, O(keys)).
  absl::StatusOr<std::vector<std::string>> LiveActors();

  // Appends encoded EpisodeSummary messages to tarmac:episodes in one round trip, trimming it
  // to about `max_len` entries. Unavailable when Redis is lost.
  absl::Status PublishEpisodes(const std::vector<std::string>& summaries, std::size_t max_len);
  // The newest `count` entries of tarmac:episodes (oldest first), as the bytes published:
  // decode them with schemas::DecodeEpisodeSummary. Empty when there is no stream.
  absl::StatusOr<std::vector<std::string>> RecentEpisodes(std::size_t count);

 private:
  explicit ControlClient(std::unique_ptr<RedisConnection> connection);
  std::unique_ptr<RedisConnection> connection_;
};

// A SUBSCRIBE connection to the weights channel. Wait blocks up to `timeout` (poll on the
// socket, so the connection survives quiet periods) and returns the newest version announced
// since the last call, or nullopt. Reconnects (and resubscribes) after a lost connection,
// returning Unavailable for that call. Not thread-safe.
class WeightsSubscription {
 public:
  static absl::StatusOr<std::unique_ptr<WeightsSubscription>> Connect(
      const ShardEndpoint& endpoint);
  ~WeightsSubscription();
  WeightsSubscription(const WeightsSubscription&) = delete;
  WeightsSubscription& operator=(const WeightsSubscription&) = delete;

  absl::StatusOr<std::optional<std::uint64_t>> Wait(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit WeightsSubscription(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_CONTROL_CLIENT_H_
