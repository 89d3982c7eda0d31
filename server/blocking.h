// Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...), shared by every worker (DESIGN 2).
//
// A blocking command that finds nothing to serve leaves a Waiter here: a copy of its arguments,
// its keys and deadline, and a `deliver` function that hands reply bytes to the client's owner
// (a message to its worker; the waiter's connection is never touched from another thread).
// When a command creates one of the keys with the wanted type, the thread that ran it calls
// ServeBlockedClients() (dispatcher.cc) after releasing its locks.  A writer looks for waiters
// under its shard locks, and a blocking command, once registered, looks at its keys once more
// the same way, so a write landing between its first look and its registration still serves
// it (one of the two sees the other).  Waiters are taken in the order they blocked (FIFO per
// key), each re-runs its own command under its keys' locks, and its reply travels to its
// worker (BlockedEnd).  So a push on worker A serves a client of worker B before A's client
// gets its own reply, as Redis serves blocked clients before the next command.
//
// A waiter has one owner at a time: Claim() lends it to a serving thread; the owner's
// timeout, a disconnect or CLIENT UNBLOCK remove it only while nobody serves it, and otherwise
// leave a note that the serving thread acts on when it gives the waiter back (Release()).
// Every state change happens under one mutex; no lock is held while a command runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/acl/user.h"
#include "server/client_state.h"
#include "server/commands/command.h"

namespace tessera::server {

// The error CLIENT UNBLOCK ... ERROR ends a blocked command with (Redis's text).
inline constexpr std::string_view kClientUnblocked =
    "UNBLOCKED client unblocked via CLIENT UNBLOCK";

// The error of clients blocked when the server becomes a replica (Redis's text).
inline constexpr std::string_view kRoleChangeUnblocked =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> "
    "replica?)";

struct Waiter {
  enum class Cancel : uint8_t {
    kNone,
    kTimeout,
    kDisconnect,
    kUnblockTimeout,
    kUnblockError,
    kRoleChange,  // the server became a replica (REPLICAOF)
  };

  uint64_t client_id = 0;
  int db = 0;
  int resp = 2;
  bool no_touch = false;
  const CommandSpec* spec = nullptr;
  std::vector<std::string> args;
  // The client's user when it blocked: the command is checked again when served, as Redis
  // reprocesses it (its permissions may have changed meanwhile).
  std::shared_ptr<const acl::User> user;
  BlockRequest request;
  std::function<void(BlockedEnd)> deliver;
  // Guarded by the registry's mutex.
  bool serving = false;
  Cancel cancel = Cancel::kNone;
};

class BlockingRegistry {
 public:
  // Parks `client`'s command.  `args` and `request` are copied.  REQUIRES: the client is not
  // blocked already and has a deliver_blocked_reply function.
  void Block(const ClientState& client, const CommandSpec& spec, ArgList args,
             BlockRequest request);

  // Takes the first waiter on (db, key) that is not being served, not cancelled and not in
  // `skip`, and marks it served.  Returns null when there is none.
  std::shared_ptr<Waiter> Claim(int db, const std::string& key, const std::vector<Waiter*>& skip);
  // Ends a Claim().  `reply` set: the command ran (after logging up to `logged_mark`, 0 if
  // nothing); the waiter is removed and the reply delivered.  Unset: the waiter goes back to
  // waiting, unless it was cancelled meanwhile, in which case it is removed now and gets its
  // cancellation reply.
  void Release(const std::shared_ptr<Waiter>& w, std::string* reply, uint64_t logged_mark = 0);

  // The owner's deadline passed, or its connection closed.  Returns true iff the waiter was
  // removed by this call (a timeout then replies on its own); false when a serving thread
  // holds it, which will deliver a reply (or, for a disconnect, drop it).
  bool Cancel(uint64_t client_id, bool disconnect);
  // CLIENT UNBLOCK id [TIMEOUT|ERROR]: returns true iff the client was blocked here; its
  // reply (null, or the -UNBLOCKED error) is delivered through its deliver function.  Sets
  // *served_now when a serving thread holds the waiter: that thread then either runs the
  // command or delivers the cancellation.
  bool Unblock(uint64_t client_id, bool error, bool* served_now = nullptr);
  // REPLICAOF on a primary (Redis's disconnectAllBlockedClients): every blocked client gets
  // -UNBLOCKED ... (master -> replica?); returns their IDs (the caller closes them after).
  std::vector<uint64_t> UnblockAllForRoleChange();

  // Every (db, key) some client waits on whose db is `db1` or `db2` (SWAPDB wakes them).
  std::vector<std::pair<int, std::string>> KeysInDbs(int db1, int db2) const;

  bool IsBlocked(uint64_t client_id) const;
  // INFO blocked_clients: clients blocked on keys plus those CLIENT PAUSE holds (Redis counts
  // both, and the test suite waits on the count).
  size_t blocked_clients() const {
    return blocked_.load(std::memory_order_relaxed) + postponed_.load(std::memory_order_relaxed);
  }
  // Clients blocked on keys only (whether a write must look for ready keys).
  size_t key_blocked_clients() const { return blocked_.load(std::memory_order_relaxed); }
  // A connection entering (+1) or leaving (-1) a CLIENT PAUSE hold.
  void AddPostponed(int delta) { postponed_.fetch_add(delta, std::memory_order_relaxed); }
  size_t blocking_keys() const;
  // Keys some client waits on that wake it also when deleted (XREADGROUP).
  size_t blocking_keys_on_nokey() const;

 private:
  struct KeyRef {
    int db;
    std::string key;
    bool operator<(const KeyRef& o) const { return db != o.db ? db < o.db : key < o.key; }
  };
  // Removes `w` from every index.  REQUIRES: mu_ held.
  void RemoveLocked(const std::shared_ptr<Waiter>& w);
  // The reply a cancelled waiter gets (null for a timeout, the error for CLIENT UNBLOCK ...
  // ERROR, nothing for a disconnect).
  static std::string CancelReply(const Waiter& w);

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Waiter>> by_client_;
  std::map<KeyRef, std::deque<std::shared_ptr<Waiter>>> by_key_;
  std::atomic<size_t> blocked_{0};
  std::atomic<size_t> postponed_{0};
};

// Keys the server removed by itself on this thread (active expiry, eviction) while clients
// were blocked on keys.  An XREADGROUP waiter on such a key wakes with its NOGROUP error, as in
// Redis; the other waiters find no value of their type and keep waiting.  The thread serves
// them once it holds no shard lock: the worker's cron after its expiry and eviction steps, the
// dispatcher after a command's eviction step.
void NoteRemovedByServer(Server& server, int db, std::string_view key);
std::vector<keyspace::DbAccess::ReadyKey>& KeysRemovedByServer();

}  // namespace tessera::server
