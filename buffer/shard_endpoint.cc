#include "tarmac/buffer/shard_endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tarmac::buffer {
namespace {

absl::Status Bad(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("replay URL '", url, "' ", why,
                                                 "; use redis://[user:password@]host:port or "
                                                 "unix:///path/to/redis.sock"));
}

}  // namespace

absl::StatusOr<ShardEndpoint> ShardEndpoint::Parse(absl::string_view url) {
  ShardEndpoint e;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "unix://") || absl::ConsumePrefix(&rest, "unix:")) {
    const std::size_t q = rest.find('?');
    e.unix_path = std::string(rest.substr(0, q));
    if (e.unix_path.empty() || e.unix_path[0] != '/') return Bad(url, "needs an absolute path");
    if (q != absl::string_view::npos) {
      for (absl::string_view pair : absl::StrSplit(rest.substr(q + 1), '&')) {
        std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, '=');
        if (kv.first == "user") {
          e.user = std::string(kv.second);
        } else if (kv.first == "password") {
          e.password = std::string(kv.second);
        } else {
          return Bad(url, absl::StrCat("has unknown parameter '", kv.first, "'"));
        }
      }
    }
    return e;
  }
  if (!absl::ConsumePrefix(&rest, "redis://")) return Bad(url, "has an unknown scheme");
  const std::size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = credentials.find(':');
    if (colon == absl::string_view::npos) {
      e.password = std::string(credentials);
    } else {
      e.user = std::string(credentials.substr(0, colon));
      e.password = std::string(credentials.substr(colon + 1));
    }
  }
  rest = rest.substr(0, rest.find('/'));  // a /db suffix is ignored: tables live in db 0
  const std::size_t colon = rest.rfind(':');
  e.host = std::string(rest.substr(0, colon));
  if (colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &e.port) || e.port <= 0 || e.port > 65535) {
      return Bad(url, "has an invalid port");
    }
  }
  if (e.host.empty()) return Bad(url, "has no host");
  return e;
}

absl::StatusOr<std::vector<ShardEndpoint>> ShardEndpoint::ParseList(absl::string_view urls) {
  std::vector<ShardEndpoint> shards;
  for (absl::string_view url : absl::StrSplit(urls, ',', absl::SkipWhitespace())) {
    absl::StatusOr<ShardEndpoint> e = Parse(absl::StripAsciiWhitespace(url));
    if (!e.ok()) return e.status();
    shards.push_back(*std::move(e));
  }
  if (shards.empty()) {
    return absl::InvalidArgumentError("no replay URL given; use --redis redis://host:port");
  }
  return shards;
}

std::string ShardEndpoint::ToString() const {
  const std::string who = user.empty() && password.empty() ? "" : absl::StrCat(user, ":***@");
  if (!unix_path.empty()) return absl::StrCat("unix://", unix_path);
  return absl::StrCat("redis://", who, host, ":", port);
}

}  // namespace tarmac::buffer
