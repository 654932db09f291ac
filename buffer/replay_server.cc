#include "tarmac/buffer/replay_server.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::buffer {
namespace {

namespace fs = std::filesystem;
constexpr char kModuleName[] = "tarmac_replay.so";
constexpr char kAclFileName[] = "users.acl";
constexpr char kSecretsConfName[] = "secrets.conf";

// Redis ACL files take a password as '#' and its SHA-256 in hex, so none is stored in clear.
std::string PasswordHash(absl::string_view password) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(password.data(), password.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

absl::Status CheckAclPassword(absl::string_view role, const std::string& password) {
  const std::string variable =
      absl::StrCat("TARMAC_REDIS_", absl::AsciiStrToUpper(role), "_PASSWORD");
  if (password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay.acl needs a password for the ", role, " user; set ", variable));
  }
  if (password.size() < kMinAclPasswordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(variable, " is ", password.size(),
                                                   " bytes; use at least ", kMinAclPasswordBytes,
                                                   " (e.g. `openssl rand -hex 32`)"));
  }
  return absl::OkStatus();
}

// "host:port" of replay.replicaof; InvalidArgument naming the value otherwise.
absl::StatusOr<std::pair<std::string, int>> ParsePrimary(absl::string_view value) {
  const std::size_t colon = value.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay.replicaof '", value,
                     "' is not host:port of the primary (e.g. replay-0.replay:6379)"));
  }
  return std::pair{std::string(value.substr(0, colon)), port};
}

// A value for a redis.conf line: double-quoted, with the escapes Redis's parser reads back.
std::string ConfigQuote(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string ReplayAclFile(const ReplayAclPasswords& passwords) {
  constexpr char kTables[] = "~rl ~demos";
  // Root rights, then selectors in parentheses: each grants its commands on its keys only.
  const std::string actor =
      absl::StrCat("user actor on #", PasswordHash(passwords.actor),
                   " resetkeys resetchannels -@all +ping +role +wait +replay.create +replay.insert "
                   "+replay.producer ",
                   kTables, " +subscribe &tarmac:weights", " (+get %R~tarmac:weights:*)",
                   " (+hset +pexpire +del ~tarmac:actors:*)", " (+xadd ~tarmac:episodes)");
  const std::string learner = absl::StrCat(
      "user learner on #", PasswordHash(passwords.learner),
      " resetkeys resetchannels -@all +ping +role +info +multi +exec +scan",
      " +replay.create +replay.config +replay.sample +replay.update +replay.info +replay.mass",
      " +replay.producer ", kTables, " +publish &tarmac:weights",
      " (+get +set +del ~tarmac:weights:*)", " (+hgetall %R~tarmac:actors:*)",
      " (+xrevrange +xrange +xlen %R~tarmac:episodes)");
  const std::string admin =
      absl::StrCat("user admin on #", PasswordHash(passwords.admin), " ~* &* +@all");
  return absl::StrCat("user default off resetkeys resetchannels -@all\n", actor, "\n", learner,
                      "\n", admin, "\n");
}

const util::OptionTable<ReplayServerOptions>& ReplayServerOptionTable() {
  using O = ReplayServerOptions;
  static const auto* const table = [] {
    auto* t = new util::OptionTable<O>();
    t->Int("replay.port", &O::port, 0, 65535,
           "TCP port of `tarmac replay-server` (0: unix socket only).");
    t->String("replay.bind", &O::bind, "Address the replay server listens on.");
    t->String("replay.dir", &O::dir, "Data directory of the replay server (RDB and AOF files).");
    t->Bool("replay.appendonly", &O::appendonly, "Log every write to the AOF (survives a crash).");
    t->Choice("replay.appendfsync", &O::appendfsync, {"always", "everysec", "no"},
              "AOF fsync policy: always loses nothing acknowledged, everysec at most 1 s.");
    t->Int("replay.max_payload_bytes", &O::max_payload_bytes, 1, 4294967296.0,
           "Largest item payload the replay module accepts.");
    t->String("replay.module", &O::module_path,
              "Path of tarmac_replay.so; empty finds it beside the binary.");
    t->String("replay.maxmemory", &O::maxmemory,
              "Memory limit of the replay server (e.g. 8gb; empty: none); full: writes refused.");
    t->Bool("replay.acl", &O::acl,
            "Least privilege: actor, learner and admin users, passwords from "
            "TARMAC_REDIS_{ACTOR,LEARNER,ADMIN}_PASSWORD; no default user.");
    t->String("replay.replicaof", &O::replicaof,
              "Follow this primary (host:port) as a replica with the same users; empty: a "
              "primary.");
    return t;
  }();
  return *table;
}

absl::Status ReplayServerOptions::Validate() const {
  if (absl::Status s = ReplayServerOptionTable().Check(*this); !s.ok()) return s;
  if (port == 0 && unix_socket.empty()) {
    return absl::InvalidArgumentError("the replay server needs a TCP port or a unix socket");
  }
  if (acl) {
    if (!password.empty()) {
      return absl::InvalidArgumentError(
          "replay.acl replaces the single password; unset TARMAC_REDIS_PASSWORD on the server");
    }
    for (const auto& [role, value] :
         {std::pair<absl::string_view, const std::string&>{"actor", acl_passwords.actor},
          {"learner", acl_passwords.learner},
          {"admin", acl_passwords.admin}}) {
      if (absl::Status s = CheckAclPassword(role, value); !s.ok()) return s;
    }
  }
  if (!replicaof.empty()) {
    if (auto primary = ParsePrimary(replicaof); !primary.ok()) return primary.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FindReplayModule() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("TARMAC_REPLAY_MODULE"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path();
    candidates.push_back(dir.parent_path() / "buffer" / "redis_module" / kModuleName);
    candidates.push_back(dir / kModuleName);
    candidates.push_back(dir.parent_path() / "lib" / "tarmac" / kModuleName);
  }
#ifdef TARMAC_BUILT_MODULE_PATH
  candidates.emplace_back(TARMAC_BUILT_MODULE_PATH);
#endif
  std::vector<std::string> looked;
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec)) return fs::absolute(candidate).string();
    looked.push_back(candidate.string());
  }
  return absl::NotFoundError(
      absl::StrCat("cannot find ", kModuleName, " (looked in ", absl::StrJoin(looked, ", "),
                   "); set TARMAC_REPLAY_MODULE or replay.module to its path"));
}

absl::StatusOr<std::vector<std::string>> RedisServerArgv(const ReplayServerOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  std::string module = options.module_path;
  if (module.empty()) {
    absl::StatusOr<std::string> found = FindReplayModule();
    if (!found.ok()) return found.status();
    module = *found;
  } else if (!fs::is_regular_file(module)) {
    return absl::NotFoundError(absl::StrCat("replay module '", module, "' does not exist"));
  }
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create the replay data dir '", options.dir, "': ", ec.message()));
  }
  std::vector<std::string> argv = {
      options.redis_server, "--port", std::to_string(options.port), "--bind", options.bind, "--dir",
      fs::absolute(options.dir).string(), "--appendonly", options.appendonly ? "yes" : "no",
      "--appendfsync", options.appendfsync,
      // Replay tables are written constantly: snapshot rarely and
      // let the AOF carry durability.
      "--save", "3600 1", "--loadmodule", module, "MAX_PAYLOAD",
      std::to_string(options.max_payload_bytes)};
  if (!options.unix_socket.empty()) {
    argv.insert(argv.end(), {"--unixsocket", options.unix_socket, "--unixsocketperm", "700"});
  }
  // Passwords in clear (requirepass, a replica's login to its primary) go to a file only the
  // owner reads, passed as the config file; never onto the command line, which `ps` shows.
  std::string secrets;
  if (!options.password.empty()) {
    absl::StrAppend(&secrets, "requirepass ", ConfigQuote(options.password), "\n");
  }
  if (options.acl) {
    const fs::path acl_file = fs::absolute(options.dir) / kAclFileName;
    if (absl::Status s =
            util::WriteFileAtomically(acl_file.string(), ReplayAclFile(options.acl_passwords));
        !s.ok()) {
      return s;
    }
    // Password hashes only, still nobody else's business.
    fs::permissions(acl_file, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, ec);
    argv.insert(argv.end(), {"--aclfile", acl_file.string()});
  }
  if (!options.replicaof.empty()) {
    const auto [host, port] = *ParsePrimary(options.replicaof);
    argv.insert(argv.end(), {"--replicaof", host, std::to_string(port)});
    // The primary's users are the replica's: it logs in as admin, or with the one password.
    if (options.acl) {
      absl::StrAppend(&secrets, "masteruser admin\nmasterauth ",
                      ConfigQuote(options.acl_passwords.admin), "\n");
    } else if (!options.password.empty()) {
      absl::StrAppend(&secrets, "masterauth ", ConfigQuote(options.password), "\n");
    }
  }
  if (!secrets.empty()) {
    const fs::path conf = fs::absolute(options.dir) / kSecretsConfName;
    if (absl::Status s = util::WriteFileAtomically(conf.string(), secrets); !s.ok()) return s;
    fs::permissions(conf, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace,
                    ec);
    argv.insert(argv.begin() + 1, conf.string());  // redis-server [configfile] [options]
  }
  if (!options.maxmemory.empty()) {
    // Replay must never be evicted behind the module's back: a full Redis refuses writes.
    argv.insert(argv.end(), {"--maxmemory", options.maxmemory, "--maxmemory-policy", "noeviction"});
  }
  return argv;
}

}  // namespace tarmac::buffer
