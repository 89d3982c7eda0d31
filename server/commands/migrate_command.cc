// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
//         [AUTH2 username password] [KEYS key [key ...]]
//
// Moves keys to another server as Redis does: DUMP payloads sent as RESTORE commands over a
// connection cached per target (with the database it last selected), the local keys deleted
// once the target accepted them (unless COPY), one retry on a connection that broke before
// any reply.  The command runs under the locks of its keys, so the keys cannot change between
// being sent and being deleted; other clients of those shards wait for the target's replies,
// as every client of Redis does.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/numbers.h"
#include "persistence/rdb_writer.h"
#include "persistence/write_log.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/server_family.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// A cached connection to a target.  Taken out of the cache while a MIGRATE uses it, so two
// MIGRATEs never share one; put back afterwards unless it failed.
struct MigrateSocket {
  int fd = -1;
  int64_t last_dbid = -1;
  int64_t last_use_ms = 0;
};

// Redis keeps at most 64 cached sockets and closes those idle for 10 seconds.
constexpr size_t kMaxCached = 64;
constexpr int64_t kIdleCloseMs = 10000;

std::mutex cache_mu;
std::multimap<std::string, MigrateSocket>& Cache() {
  static auto* cache = new std::multimap<std::string, MigrateSocket>();
  return *cache;
}

int ConnectWithTimeout(const std::string& host, const std::string& port, int64_t timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (::poll(&p, 1, static_cast<int>(timeout_ms)) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  return fd;
}

MigrateSocket TakeSocket(const std::string& target, const std::string& host,
                         const std::string& port, int64_t timeout_ms) {
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    auto it = Cache().find(target);
    while (it != Cache().end() && it->first == target) {
      MigrateSocket s = it->second;
      it = Cache().erase(it);
      if (Server::MonotonicUs() / 1000 - s.last_use_ms <= kIdleCloseMs) return s;
      ::close(s.fd);
    }
  }
  MigrateSocket s;
  s.fd = ConnectWithTimeout(host, port, timeout_ms);
  return s;
}

void ReturnSocket(const std::string& target, MigrateSocket s) {
  s.last_use_ms = Server::MonotonicUs() / 1000;
  std::lock_guard<std::mutex> lock(cache_mu);
  if (Cache().size() >= kMaxCached) {
    ::close(Cache().begin()->second.fd);
    Cache().erase(Cache().begin());
  }
  Cache().emplace(target, s);
}

bool WriteAll(int fd, const std::string& bytes, int64_t timeout_ms) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + pos, bytes.size() - pos, MSG_NOSIGNAL);
    if (n > 0) {
      pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_ms)) != 1) {
      errno = ETIMEDOUT;
      return false;
    }
  }
  return true;
}

// Reads one reply line (the target answers +OK or -ERR... to AUTH, SELECT and RESTORE).
bool ReadLine(int fd, std::string* line, int64_t timeout_ms) {
  line->clear();
  for (;;) {
    char c;
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n == 1) {
      if (c == '\n') {
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      if (line->size() < 1024) line->push_back(c);
      continue;
    }
    if (n == 0) return false;
    if (errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_ms)) != 1) {
      errno = ETIMEDOUT;
      return false;
    }
  }
}

void MigrateCommand(CommandContext& ctx) {
  ArgList args = ctx.args;
  bool copy = false, replace = false;
  std::string_view username, password;
  bool has_password = false, has_username = false;
  size_t first_key = 3, num_keys = 1;
  for (size_t j = 6; j < args.size(); ++j) {
    const size_t more = args.size() - 1 - j;
    if (EqualsNoCase(args[j], "copy")) {
      copy = true;
    } else if (EqualsNoCase(args[j], "replace")) {
      replace = true;
    } else if (EqualsNoCase(args[j], "auth")) {
      if (more < 1) return ctx.reply.Error(errors::kSyntax);
      password = args[++j];
      has_password = true;
      ctx.redacted_args.push_back(static_cast<int>(j));
    } else if (EqualsNoCase(args[j], "auth2")) {
      if (more < 2) return ctx.reply.Error(errors::kSyntax);
      username = args[++j];
      ctx.redacted_args.push_back(static_cast<int>(j));
      password = args[++j];
      ctx.redacted_args.push_back(static_cast<int>(j));
      has_password = has_username = true;
    } else if (EqualsNoCase(args[j], "keys")) {
      if (!args[3].empty()) {
        return ctx.reply.Error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
      }
      first_key = j + 1;
      num_keys = args.size() - j - 1;
      break;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  int64_t timeout, dbid;
  if (!ParseIntArgOrReply(ctx, args[5], &timeout) || !ParseIntArgOrReply(ctx, args[4], &dbid)) {
    return;
  }
  if (timeout <= 0) timeout = 1000;

  std::vector<std::string_view> keys;
  for (size_t j = 0; j < num_keys; ++j) {
    if (ctx.db.Find(args[first_key + j]) != nullptr) keys.push_back(args[first_key + j]);
  }
  if (keys.empty()) return ctx.reply.SimpleString("NOKEY");

  const std::string host(args[1]), port(args[2]);
  const std::string target = host + ":" + port;
  bool may_retry = true;
  for (;;) {
    MigrateSocket sock = TakeSocket(target, host, port, timeout);
    if (sock.fd < 0) return ctx.reply.Error("IOERR error or timeout connecting to the client");
    std::string out;
    if (has_password) {
      std::vector<std::string_view> auth{"AUTH"};
      if (has_username) auth.push_back(username);
      auth.push_back(password);
      persistence::AppendRespCommand(&out, auth);
    }
    const bool select = sock.last_dbid != dbid;
    if (select) {
      std::string db_text = std::to_string(dbid);
      std::string_view sel[] = {"SELECT", db_text};
      persistence::AppendRespCommand(&out, sel);
    }
    std::vector<std::string_view> sent;
    for (std::string_view key : keys) {
      keyspace::Entry* e = ctx.db.Find(key);
      if (e == nullptr) continue;
      int64_t ttl = 0;
      if (e->has_expiry()) {
        ttl = e->expire_at() - ctx.db.now_ms();
        if (ttl < 0) continue;
        if (ttl < 1) ttl = 1;
      }
      std::string ttl_text = std::to_string(ttl);
      std::string payload = persistence::rdb::DumpPayload(*e);
      std::vector<std::string_view> restore{"RESTORE", key, ttl_text, payload};
      if (replace) restore.push_back("REPLACE");
      persistence::AppendRespCommand(&out, restore);
      sent.push_back(key);
    }
    errno = 0;
    bool write_error = false;
    std::string auth_reply, select_reply, line;
    bool socket_error = false;
    if (!WriteAll(sock.fd, out, timeout)) {
      write_error = socket_error = true;
    } else if ((has_password && !ReadLine(sock.fd, &auth_reply, timeout)) ||
               (select && !ReadLine(sock.fd, &select_reply, timeout))) {
      socket_error = true;
    }
    size_t replies = 0;
    std::string target_error;
    std::vector<std::string> deleted;
    if (!socket_error) {
      for (std::string_view key : sent) {
        if (!ReadLine(sock.fd, &line, timeout)) {
          socket_error = true;
          break;
        }
        ++replies;
        const std::string* err = nullptr;
        if (has_password && !auth_reply.empty() && auth_reply[0] == '-') err = &auth_reply;
        else if (select && !select_reply.empty() && select_reply[0] == '-') err = &select_reply;
        else if (!line.empty() && line[0] == '-') err = &line;
        if (err != nullptr) {
          if (target_error.empty()) target_error = err->substr(1);
        } else if (!copy) {
          ctx.db.Delete(key);
          ctx.dirty++;
          ctx.Changed(kNotifyGeneric, "del", key);
          deleted.emplace_back(key);
        }
      }
    }
    if (!deleted.empty()) {
      std::vector<std::string> del{"DEL"};
      del.insert(del.end(), deleted.begin(), deleted.end());
      ctx.Propagate(std::move(del));
    } else {
      ctx.suppress_log = true;
    }
    if (socket_error) {
      const bool timed_out = errno == ETIMEDOUT;
      ::close(sock.fd);
      // A connection that broke before any reply (a cached one the target closed) is tried
      // once more, fresh.
      if (target_error.empty() && replies == 0 && may_retry && !timed_out) {
        may_retry = false;
        continue;
      }
      if (!target_error.empty()) {
        return ctx.reply.Error("ERR Target instance replied with error: " + target_error);
      }
      return ctx.reply.Error(std::string("IOERR error or timeout ") +
                             (write_error ? "writing" : "reading") + " to target instance");
    }
    if (!target_error.empty()) {
      sock.last_dbid = -1;
      ReturnSocket(target, sock);
      return ctx.reply.Error("ERR Target instance replied with error: " + target_error);
    }
    sock.last_dbid = dbid;
    ReturnSocket(target, sock);
    return ctx.reply.Ok();
  }
}

// The keys, found as Redis finds them for COMMAND GETKEYS and ACL checks: its key specs say
// args[3] unless a KEYS keyword shows up searching back from the second-to-last argument; then
// (the KEYS spec being incomplete) its migrateGetKeys scans the options from args[6]: after
// KEYS come the keys, and KEYS with a non-empty key argument names none (the command itself
// answers that syntax error).  A trailing KEYS with nothing after it is no keyword to the spec.
bool MigrateKeys(ArgList args, std::vector<int>* out) {
  if (args.size() < 4) return true;
  bool keyword = false;
  for (size_t i = args.size() - 2; i >= 2; --i) {
    if (EqualsNoCase(args[i], "keys")) {
      keyword = true;
      break;
    }
  }
  for (size_t j = 6; keyword && j < args.size(); ++j) {
    if (EqualsNoCase(args[j], "keys")) {
      if (!args[3].empty()) return true;
      for (size_t k = j + 1; k < args.size(); ++k) out->push_back(static_cast<int>(k));
      return true;
    }
    if (EqualsNoCase(args[j], "auth")) ++j;
    else if (EqualsNoCase(args[j], "auth2")) j += 2;
  }
  out->push_back(3);
  return true;
}

}  // namespace

size_t CloseIdleMigrateSockets() {
  const int64_t now_ms = Server::MonotonicUs() / 1000;
  std::lock_guard<std::mutex> lock(cache_mu);
  for (auto it = Cache().begin(); it != Cache().end();) {
    if (now_ms - it->second.last_use_ms > kIdleCloseMs) {
      ::close(it->second.fd);
      it = Cache().erase(it);
    } else {
      ++it;
    }
  }
  return Cache().size();
}

void RegisterMigrateCommand(CommandTable* table) {
  constexpr uint32_t kFlags = kKeyRW | kKeyAccess | kKeyDelete | kKeyIncomplete;
  CommandSpec s = MakeSpec("migrate", -6, kWrite, KeySpec{3, 3, 1, kFlags},
                           kAclKeyspace | kAclWrite | kAclSlow | kAclDangerous, MigrateCommand,
                           "generic", "2.6.0",
                           "O(N) for N keys, plus a DUMP here and a RESTORE on the target for "
                           "each, and the transfer of the payloads.",
                           "Moves keys to another server: DUMP payloads sent as RESTORE, then "
                           "deleted here unless COPY.");
  // The KEYS option is searched from the end, as Redis's spec does (its last argument).
  KeySpec keys_option{-2, -1, 1, kFlags};
  keys_option.keyword = "KEYS";
  s.key_specs = {KeySpec{3, 3, 1, kKeyRW | kKeyAccess | kKeyDelete}, keys_option};
  s.key_extractor = MigrateKeys;
  table->Add(std::move(s));
}

}  // namespace tessera::server
