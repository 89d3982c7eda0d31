// The server's ACL users, the ACL log and the ACL file (Redis 7.2's acl.c, minus modules).
//
// Users are immutable snapshots (shared_ptr<const User>, see user.h) kept in name order (ACL
// LIST and USERS list them so, like Redis's radix tree).  A change builds a new snapshot and
// swaps it in under mu_, then bumps epoch().  A client keeps its own snapshot and re-reads it
// when the epoch moved (one relaxed atomic load per command), so a connection sees a changed
// user at its next command and learns there that its user is gone.
//
// Thread safety: every method may be called from any worker.  mu_ guards the user map and the
// log; no method calls out (to the client registry, the config) while holding it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/acl/user.h"

namespace tessera::server::acl {

// ACL LOG entries, as Redis 7.2 keeps them.
enum class LogContext : uint8_t { kTopLevel, kMulti, kLua, kModule };

struct LogEntry {
  uint64_t count = 1;
  Denial reason = Denial::kCommand;
  LogContext context = LogContext::kTopLevel;
  std::string object;  // command name, key, channel, or "AUTH" for a failed login
  std::string username;
  int64_t updated_ms = 0;  // last occurrence (Redis's ctime)
  std::string client_info;
  int64_t entry_id = 0;
  int64_t created_ms = 0;
};

// INFO stats' acl_access_denied_* counters.
struct DenialCounters {
  uint64_t auth = 0;
  uint64_t command = 0;
  uint64_t key = 0;
  uint64_t channel = 0;
};

class AclRegistry {
 public:
  using UserPtr = std::shared_ptr<const User>;

  // Starts with the `default` user: on nopass ~* &* +@all.
  explicit AclRegistry(const CommandTable* table);

  // acl-pubsub-default: whether new users get every channel (allchannels) or none.
  void set_channels_default_all(bool all);

  // The user called `name`, or null.
  UserPtr Find(std::string_view name) const;
  UserPtr default_user() const { return Find("default"); }
  // True iff a new connection must AUTH: `default` has a password or is off.
  bool DefaultRequiresAuth() const {
    return default_requires_auth_.load(std::memory_order_relaxed);
  }
  // Moves whenever any user changes or goes; clients re-read their user when it did.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  // The user `name` if `password` opens it, else null.
  UserPtr Authenticate(std::string_view name, std::string_view password) const;

  // ACL SETUSER: "" on success, else the error text (without "ERR ").  All or nothing.
  // *before receives the previous snapshot (null for a new user).
  std::string SetUser(std::string_view name, std::span<const std::string_view> rules,
                      UserPtr* before = nullptr);
  // requirepass: resetpass then >password, or nopass when empty.
  void SetDefaultPassword(std::string_view password);
  // ACL DELUSER: removes the users that exist; returns how many.  REQUIRES: no name is
  // "default" (the caller replies with Redis's error).
  int DelUsers(std::span<const std::string_view> names);

  std::vector<UserPtr> Users() const;
  const RuleContext& rule_context() const { return ctx_; }

  // Config-file `user` lines, checked at load time (REQUIRES: before workers start).  Returns
  // "" or Redis's reason.  Names must be unique.
  std::string AddConfiguredUser(std::span<const std::string_view> argv_after_user);
  bool has_configured_users() const { return !configured_.empty(); }
  // Applies the configured users; "" or the error.
  std::string LoadConfiguredUsers();

  // The ACL file: "user <name> <rules>" per line.  LoadFile replaces every user, or nothing
  // if any line is bad (then returns Redis's error text; "" on success).  `file_name` is the
  // aclfile as configured, used in messages.
  std::string LoadFileText(std::string_view text, std::string_view file_name);
  std::string SaveFileText() const;

  // ---- ACL LOG ----
  void AddLogEntry(Denial reason, LogContext context, std::string object, std::string username,
                   std::string client_info, int64_t now_ms, size_t max_len);
  std::vector<LogEntry> LogEntries(size_t count) const;  // newest first
  void ResetLog();
  void TrimLog(size_t max_len);
  DenialCounters counters() const;
  void ResetCounters();  // CONFIG RESETSTAT

 private:
  void Publish(std::map<std::string, UserPtr, std::less<>> users);  // REQUIRES: mu_ held
  uint64_t NextUid() { return next_uid_++; }                        // REQUIRES: mu_ held
  UserPtr MakeDefaultUser();

  RuleContext ctx_;
  mutable std::mutex mu_;
  std::map<std::string, UserPtr, std::less<>> users_;  // guarded by mu_
  std::vector<std::vector<std::string>> configured_;   // start-up only
  uint64_t next_uid_ = 1;                              // guarded by mu_
  std::atomic<uint64_t> epoch_{1};
  std::atomic<bool> default_requires_auth_{false};
  std::deque<LogEntry> log_;  // newest first; guarded by mu_
  int64_t log_next_id_ = 0;   // guarded by mu_
  DenialCounters counters_;   // guarded by mu_
};

}  // namespace tessera::server::acl
