#include "tarmac/buffer/control_client.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "redis_connection.h"

namespace tarmac::buffer {
namespace {

constexpr char kLatestKey[] = "tarmac:weights:latest";
constexpr char kActorPrefix[] = "tarmac:actors:";

std::string WeightsKey(std::uint64_t version) { return absl::StrCat("tarmac:weights:", version); }

absl::Status ErrorReply(const Reply& reply, absl::string_view what) {
  if (!reply) return absl::UnavailableError(absl::StrCat(what, ": no reply"));
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", std::string(reply->str, reply->len)));
  }
  return absl::OkStatus();
}

RedisConnection::Options ConnectionOptions(std::chrono::milliseconds timeout) {
  RedisConnection::Options options;
  options.timeout = timeout;
  return options;
}

}  // namespace

ControlClient::ControlClient(std::unique_ptr<RedisConnection> connection)
    : connection_(std::move(connection)) {}
ControlClient::~ControlClient() = default;

absl::StatusOr<std::unique_ptr<ControlClient>> ControlClient::Connect(
    const ShardEndpoint& endpoint, std::chrono::milliseconds timeout) {
  auto connection = std::make_unique<RedisConnection>(endpoint, ConnectionOptions(timeout));
  auto ping = connection->Pipeline({{"PING"}});
  if (!ping.ok()) return ping.status();
  if (auto s = ErrorReply((*ping)[0], "PING"); !s.ok()) return s;
  return std::unique_ptr<ControlClient>(new ControlClient(std::move(connection)));
}

absl::Status ControlClient::PublishWeights(std::uint64_t version, absl::string_view blob) {
  std::vector<Command> commands = {{"MULTI"},
                                   {"SET", WeightsKey(version), std::string(blob)},
                                   {"SET", kLatestKey, absl::StrCat(version)},
                                   {"PUBLISH", kWeightsChannel, absl::StrCat(version)}};
  if (version > static_cast<std::uint64_t>(kKeptWeightVersions)) {
    commands.push_back({"DEL", WeightsKey(version - kKeptWeightVersions)});
  }
  commands.push_back({"EXEC"});
  auto replies = connection_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const Reply& reply : *replies) {
    if (auto s = ErrorReply(reply, "publishing weights"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::uint64_t> ControlClient::LatestWeightsVersion() {
  auto replies = connection_->Pipeline({{"GET", kLatestKey}});
  if (!replies.ok()) return replies.status();
  const Reply& reply = (*replies)[0];
  if (auto s = ErrorReply(reply, "reading the latest weights version"); !s.ok()) return s;
  std::uint64_t version = 0;
  if (reply->type != REDIS_REPLY_STRING ||
      !absl::SimpleAtoi(absl::string_view(reply->str, reply->len), &version)) {
    return absl::NotFoundError("no policy weights have been published yet");
  }
  return version;
}

absl::StatusOr<std::string> ControlClient::FetchWeights(std::uint64_t version) {
  auto replies = connection_->Pipeline({{"GET", WeightsKey(version)}});
  if (!replies.ok()) return replies.status();
  const Reply& reply = (*replies)[0];
  if (auto s = ErrorReply(reply, "fetching weights"); !s.ok()) return s;
  if (reply->type != REDIS_REPLY_STRING) {
    return absl::NotFoundError(
        absl::StrCat("policy weights version ", version, " are not stored (superseded?)"));
  }
  return std::string(reply->str, reply->len);
}

absl::Status ControlClient::Heartbeat(absl::string_view id,
                                      const std::map<std::string, std::string>& fields,
                                      std::chrono::milliseconds ttl) {
  const std::string key = absl::StrCat(kActorPrefix, id);
  Command hset = {"HSET", key};
  for (const auto& [name, value] : fields) {
    hset.push_back(name);
    hset.push_back(value);
  }
  if (fields.empty()) hset.insert(hset.end(), {"alive", "1"});
  auto replies = connection_->Pipeline({hset, {"PEXPIRE", key, absl::StrCat(ttl.count())}});
  if (!replies.ok()) return replies.status();
  for (const Reply& reply : *replies) {
    if (auto s = ErrorReply(reply, "writing the heartbeat"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ControlClient::Unregister(absl::string_view id) {
  auto replies = connection_->Pipeline({{"DEL", absl::StrCat(kActorPrefix, id)}});
  if (!replies.ok()) return replies.status();
  return ErrorReply((*replies)[0], "removing the heartbeat");
}

absl::Status ControlClient::PublishEpisodes(const std::vector<std::string>& summaries,
                                            std::size_t max_len) {
  if (summaries.empty()) return absl::OkStatus();
  const std::string cap = absl::StrCat(max_len);
  std::vector<CommandView> commands;
  commands.reserve(summaries.size());
  for (const std::string& summary : summaries) {
    commands.push_back({"XADD", kEpisodesStream, "MAXLEN", "~", cap, "*", "summary", summary});
  }
  auto replies = connection_->PipelineViews(commands);
  if (!replies.ok()) return replies.status();
  for (const Reply& reply : *replies) {
    if (auto s = ErrorReply(reply, "publishing episode summaries"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ControlClient::RecentEpisodes(std::size_t count) {
  auto replies = connection_->Pipeline(
      {{"XREVRANGE", kEpisodesStream, "+", "-", "COUNT", absl::StrCat(count)}});
  if (!replies.ok()) return replies.status();
  const redisReply* r = (*replies)[0].get();
  if (auto s = ErrorReply((*replies)[0], "reading tarmac:episodes"); !s.ok()) return s;
  std::vector<std::string> out;
  if (r->type != REDIS_REPLY_ARRAY) return out;
  // Each entry: [id, [field, value, ...]]; newest first.
  for (std::size_t i = r->elements; i-- > 0;) {
    const redisReply* entry = r->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
    const redisReply* fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY) continue;
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (absl::string_view(fields->element[f]->str, fields->element[f]->len) == "summary") {
        out.emplace_back(fields->element[f + 1]->str, fields->element[f + 1]->len);
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ControlClient::LiveActors() {
  std::vector<std::string> ids;
  std::string cursor = "0";
  for (int round = 0; round < 100000; ++round) {
    auto replies = connection_->Pipeline(
        {{"SCAN", cursor, "MATCH", absl::StrCat(kActorPrefix, "*"), "COUNT", "1000"}});
    if (!replies.ok()) return replies.status();
    const Reply& reply = (*replies)[0];
    if (auto s = ErrorReply(reply, "listing actors"); !s.ok()) return s;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
      return absl::InternalError("SCAN returned an unexpected reply");
    }
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    const redisReply* keys = reply->element[1];
    for (std::size_t i = 0; i < keys->elements; ++i) {
      ids.emplace_back(keys->element[i]->str + sizeof(kActorPrefix) - 1,
                       keys->element[i]->len - (sizeof(kActorPrefix) - 1));
    }
    if (cursor == "0") break;
  }
  return ids;
}

struct WeightsSubscription::Impl {
  std::unique_ptr<RedisConnection> connection;
  bool subscribed = false;

  absl::Status Subscribe() {
    if (auto s = connection->Send({{"SUBSCRIBE", ControlClient::kWeightsChannel}}); !s.ok())
      return s;
    auto replies = connection->Receive(1);
    if (!replies.ok()) return replies.status();
    if (auto s = ErrorReply((*replies)[0], "subscribing to weights"); !s.ok()) return s;
    subscribed = true;
    return absl::OkStatus();
  }
};

WeightsSubscription::WeightsSubscription(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WeightsSubscription::~WeightsSubscription() = default;

absl::StatusOr<std::unique_ptr<WeightsSubscription>> WeightsSubscription::Connect(
    const ShardEndpoint& endpoint) {
  auto impl = std::make_unique<Impl>();
  impl->connection =
      std::make_unique<RedisConnection>(endpoint, ConnectionOptions(std::chrono::seconds(2)));
  if (auto s = impl->Subscribe(); !s.ok()) return s;
  return std::unique_ptr<WeightsSubscription>(new WeightsSubscription(std::move(impl)));
}

absl::StatusOr<std::optional<std::uint64_t>> WeightsSubscription::Wait(
    std::chrono::milliseconds timeout) {
  if (!impl_->subscribed) {
    if (auto s = impl_->Subscribe(); !s.ok()) return s;
  }
  std::optional<std::uint64_t> newest;
  std::chrono::milliseconds wait = timeout;
  for (int drained = 0; drained < 1024; ++drained) {
    auto reply = impl_->connection->Poll(wait);
    if (!reply.ok()) {
      impl_->subscribed = false;
      return reply.status();
    }
    if (*reply == nullptr) break;
    wait = std::chrono::milliseconds(0);  // drain what is already there, then return
    const redisReply* r = reply->get();
    std::uint64_t version = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[2]->type == REDIS_REPLY_STRING &&
        absl::SimpleAtoi(absl::string_view(r->element[2]->str, r->element[2]->len), &version)) {
      if (!newest || version > *newest) newest = version;
    }
  }
  return newest;
}

}  // namespace tarmac::buffer
