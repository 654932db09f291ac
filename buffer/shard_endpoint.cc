#include "tarmac/buffer/shard_endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tarmac::buffer {
namespace {

absl::Status Bad(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("replay URL '", url, "' ", why,
                   "; use redis://[user:password@]host:port, unix:///path/to/redis.sock or "
                   "sentinel://host:port[,host:port...]/master-name"));
}

// "user:password" or "password" before an '@', taken off the front of *rest.
void ConsumeCredentials(absl::string_view* rest, ShardEndpoint* e) {
  const std::size_t at = rest->rfind('@');
  if (at == absl::string_view::npos) return;
  absl::string_view credentials = rest->substr(0, at);
  *rest = rest->substr(at + 1);
  const std::size_t colon = credentials.find(':');
  if (colon == absl::string_view::npos) {
    e->password = std::string(credentials);
  } else {
    e->user = std::string(credentials.substr(0, colon));
    e->password = std::string(credentials.substr(colon + 1));
  }
}

// host[:port]; false when the port is not 1..65535 or the host is empty.
bool ParseHostPort(absl::string_view text, std::string* host, int* port) {
  const std::size_t colon = text.rfind(':');
  *host = std::string(text.substr(0, colon));
  if (colon != absl::string_view::npos &&
      (!absl::SimpleAtoi(text.substr(colon + 1), port) || *port <= 0 || *port > 65535)) {
    return false;
  }
  return !host->empty();
}

absl::StatusOr<ShardEndpoint> ParseSentinel(absl::string_view url, absl::string_view rest) {
  ShardEndpoint e;
  e.host.clear();
  ConsumeCredentials(&rest, &e);
  const std::size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash + 1 == rest.size()) {
    return Bad(url, "names no master after the Sentinels (sentinel://host:port/master-name)");
  }
  e.master_name = std::string(rest.substr(slash + 1));
  for (absl::string_view address : absl::StrSplit(rest.substr(0, slash), ',')) {
    ShardEndpoint::HostPort sentinel;
    if (!ParseHostPort(address, &sentinel.host, &sentinel.port)) {
      return Bad(url, absl::StrCat("has an invalid Sentinel address '", address, "'"));
    }
    e.sentinels.push_back(std::move(sentinel));
  }
  return e;
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
  if (absl::ConsumePrefix(&rest, "sentinel://")) return ParseSentinel(url, rest);
  if (!absl::ConsumePrefix(&rest, "redis://")) return Bad(url, "has an unknown scheme");
  ConsumeCredentials(&rest, &e);
  rest = rest.substr(0, rest.find('/'));  // a /db suffix is ignored: tables live in db 0
  if (!ParseHostPort(rest, &e.host, &e.port)) {
    return Bad(url, e.host.empty() ? "has no host" : "has an invalid port");
  }
  return e;
}

absl::StatusOr<std::vector<ShardEndpoint>> ShardEndpoint::ParseList(absl::string_view urls) {
  // Split at commas, then glue a piece without a scheme to the URL before it (the further
  // Sentinels of a sentinel:// URL).
  std::vector<std::string> pieces;
  for (absl::string_view piece : absl::StrSplit(urls, ',', absl::SkipWhitespace())) {
    piece = absl::StripAsciiWhitespace(piece);
    if (!pieces.empty() && !absl::StrContains(piece, "://") &&
        absl::StartsWith(pieces.back(), "sentinel://")) {
      absl::StrAppend(&pieces.back(), ",", piece);
    } else {
      pieces.emplace_back(piece);
    }
  }
  std::vector<ShardEndpoint> shards;
  for (const std::string& url : pieces) {
    absl::StatusOr<ShardEndpoint> e = Parse(url);
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
  if (!sentinels.empty()) {
    std::vector<std::string> addresses;
    for (const HostPort& s : sentinels) addresses.push_back(absl::StrCat(s.host, ":", s.port));
    return absl::StrCat("sentinel://", who, absl::StrJoin(addresses, ","), "/", master_name);
  }
  return absl::StrCat("redis://", who, host, ":", port);
}

}  // namespace tarmac::buffer
