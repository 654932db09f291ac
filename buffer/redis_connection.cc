#include "redis_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tarmac::buffer {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// Asks each Sentinel in turn where the primary of `e.master_name` is; the first answer wins.
absl::StatusOr<ShardEndpoint::HostPort> AskSentinels(const ShardEndpoint& e, timeval tv) {
  std::string why = "no Sentinel answered";
  for (const ShardEndpoint::HostPort& sentinel : e.sentinels) {
    redisContext* c = redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, tv);
    if (c == nullptr || c->err != 0) {
      why = absl::StrCat("Sentinel ", sentinel.host, ":", sentinel.port, ": ",
                         c == nullptr ? "out of memory" : c->errstr);
      if (c != nullptr) redisFree(c);
      continue;
    }
    redisSetTimeout(c, tv);
    Reply r(static_cast<redisReply*>(
        redisCommand(c, "SENTINEL get-master-addr-by-name %s", e.master_name.c_str())));
    redisFree(c);
    ShardEndpoint::HostPort primary;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
        absl::SimpleAtoi(absl::string_view(r->element[1]->str, r->element[1]->len),
                         &primary.port)) {
      primary.host.assign(r->element[0]->str, r->element[0]->len);
      return primary;
    }
    why = absl::StrCat("Sentinel ", sentinel.host, ":", sentinel.port, " knows no master '",
                       e.master_name, "'");
  }
  return absl::UnavailableError(
      absl::StrCat("cannot find the primary of ", e.ToString(), ": ", why));
}

}  // namespace

RedisConnection::RedisConnection(ShardEndpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)), options_(options) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

absl::Status RedisConnection::ConnectOnce() {
  const timeval tv = ToTimeval(options_.timeout);
  ShardEndpoint::HostPort address{endpoint_.host, endpoint_.port};
  if (!endpoint_.sentinels.empty()) {
    absl::StatusOr<ShardEndpoint::HostPort> primary = AskSentinels(endpoint_, tv);
    if (!primary.ok()) return primary.status();
    address = *std::move(primary);
  }
  context_ = endpoint_.unix_path.empty()
                 ? redisConnectWithTimeout(address.host.c_str(), address.port, tv)
                 : redisConnectUnixWithTimeout(endpoint_.unix_path.c_str(), tv);
  if (context_ == nullptr || context_->err != 0) {
    const std::string why = context_ == nullptr ? "out of memory" : context_->errstr;
    Drop();
    return absl::UnavailableError(absl::StrCat("cannot connect to replay shard ",
                                               endpoint_.ToString(), " at ", address.host, ":",
                                               address.port, ": ", why));
  }
  redisSetTimeout(context_, tv);
  if (!endpoint_.password.empty()) {
    Reply reply(static_cast<redisReply*>(
        endpoint_.user.empty()
            ? redisCommand(context_, "AUTH %b", endpoint_.password.data(),
                           endpoint_.password.size())
            : redisCommand(context_, "AUTH %b %b", endpoint_.user.data(), endpoint_.user.size(),
                           endpoint_.password.data(), endpoint_.password.size())));
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
      const std::string why = reply ? std::string(reply->str, reply->len) : "no reply";
      Drop();
      return absl::PermissionDeniedError(
          absl::StrCat("replay shard ", endpoint_.ToString(), " refused AUTH: ", why));
    }
  }
  if (!endpoint_.sentinels.empty()) {
    // A Sentinel may still name a primary that has just been demoted or not yet promoted:
    // write only to a server that says it is the primary.
    Reply role(static_cast<redisReply*>(redisCommand(context_, "ROLE")));
    const bool primary = role && role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
                         role->element[0]->type == REDIS_REPLY_STRING &&
                         absl::string_view(role->element[0]->str) == "master";
    if (!primary) {
      Drop();
      return absl::UnavailableError(absl::StrCat("the Sentinels of ", endpoint_.ToString(),
                                                 " name ", address.host, ":", address.port,
                                                 " as the primary, but it is not one (yet)"));
    }
  }
  return absl::OkStatus();
}

absl::Status RedisConnection::EnsureConnected() {
  if (context_ != nullptr) return absl::OkStatus();
  std::chrono::milliseconds backoff = options_.backoff_initial;
  absl::Status last;
  for (int attempt = 0; attempt < options_.connect_attempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, options_.backoff_max);
    }
    last = ConnectOnce();
    if (last.ok() || last.code() == absl::StatusCode::kPermissionDenied) return last;
  }
  return last;
}

absl::StatusOr<std::vector<Reply>> RedisConnection::Pipeline(const std::vector<Command>& commands) {
  if (absl::Status s = Send(commands); !s.ok()) return s;
  return Receive(commands.size());
}

absl::StatusOr<std::vector<Reply>> RedisConnection::PipelineViews(
    const std::vector<CommandView>& commands) {
  if (absl::Status s = SendAll(commands); !s.ok()) return s;
  return Receive(commands.size());
}

absl::Status RedisConnection::Send(const std::vector<Command>& commands) {
  return SendAll(commands);
}

// Frames the commands in the protocol's multi-bulk form and writes them with sendmsg straight
// from the callers' arguments: hiredis's output buffer would copy every argument twice (when
// formatting, then when appending), ~1 KB per transition for the replay's inserts. Arguments of
// kInPlaceBytes or more are written where they are; the rest are copied in with the framing.
template <class C>
absl::Status RedisConnection::SendAll(const std::vector<C>& commands) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  constexpr std::size_t kInPlaceBytes = 64;
  // A piece is either a span of `framing` (data null) or an argument in place.
  struct Piece {
    const char* data;
    std::size_t offset, size;
  };
  std::string framing;
  std::vector<Piece> pieces;
  std::size_t open = 0;  // where the framing not yet in a piece starts
  for (const C& command : commands) {
    absl::StrAppend(&framing, "*", command.size(), "\r\n");
    for (const auto& arg : command) {
      absl::StrAppend(&framing, "$", arg.size(), "\r\n");
      if (arg.size() >= kInPlaceBytes) {
        pieces.push_back({nullptr, open, framing.size() - open});
        pieces.push_back({arg.data(), 0, arg.size()});
        open = framing.size();
      } else {
        framing.append(arg.data(), arg.size());
      }
      framing.append("\r\n");
    }
  }
  if (open < framing.size()) pieces.push_back({nullptr, open, framing.size() - open});
  std::vector<iovec> iov;
  iov.reserve(pieces.size());
  for (const Piece& p : pieces) {
    const char* data = p.data != nullptr ? p.data : framing.data() + p.offset;
    iov.push_back({const_cast<char*>(data), p.size});
  }
  // Write now, so the server works while other shards are being sent to.
  for (std::size_t first = 0; first < iov.size();) {
    msghdr message{};
    message.msg_iov = &iov[first];
    message.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
    const ssize_t sent = sendmsg(context_->fd, &message, MSG_NOSIGNAL);
    if (sent <= 0) {
      if (sent < 0 && errno == EINTR) continue;
      const std::string why = sent == 0                                 ? "nothing was written"
                              : errno == EAGAIN || errno == EWOULDBLOCK ? "write timed out"
                                                                        : std::strerror(errno);
      Drop();
      return absl::UnavailableError(
          absl::StrCat("lost replay shard ", endpoint_.ToString(), " while sending: ", why));
    }
    for (auto left = static_cast<std::size_t>(sent); left > 0;) {
      const std::size_t step = std::min(left, iov[first].iov_len);
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + step;
      iov[first].iov_len -= step;
      left -= step;
      if (iov[first].iov_len == 0) ++first;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Reply>> RedisConnection::Receive(std::size_t count) {
  if (context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("replay shard ", endpoint_.ToString(), " is not connected"));
  }
  std::vector<Reply> replies;
  replies.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      const std::string why = context_->errstr;
      Drop();
      return absl::UnavailableError(
          absl::StrCat("lost replay shard ", endpoint_.ToString(), " mid-command: ", why));
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

absl::StatusOr<Reply> RedisConnection::Poll(std::chrono::milliseconds timeout) {
  if (context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("the connection to ", endpoint_.ToString(), " is down"));
  }
  const auto take = [this]() -> absl::StatusOr<Reply> {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
      Drop();
      return absl::UnavailableError(absl::StrCat("lost the connection to ", endpoint_.ToString()));
    }
    return Reply(static_cast<redisReply*>(raw));
  };
  auto buffered = take();
  if (!buffered.ok() || *buffered != nullptr) return buffered;
  pollfd fd{context_->fd, POLLIN, 0};
  const int ready = poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready == 0) return Reply(nullptr);
  if (ready < 0 || redisBufferRead(context_) != REDIS_OK) {
    Drop();
    return absl::UnavailableError(absl::StrCat("lost the connection to ", endpoint_.ToString()));
  }
  return take();
}

}  // namespace tarmac::buffer
