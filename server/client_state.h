// What the server knows about one client connection, apart from its socket and buffers.
//
// The owning worker writes these fields; other threads read them only for CLIENT LIST/INFO and
// INFO clients, so the fields they read are atomics or are written under the registry mutex
// (see ClientRegistry).  Core and command code see a client only through this struct, which
// keeps server/commands free of libuv.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/scripting/lua_debugger.h"  // DebugChannel

namespace tessera::server {

enum class ReplyMode : uint8_t { kOn, kOff, kSkipNext, kSkipThis };

namespace acl {
class User;  // server/acl/user.h
}
struct ClientPubSub;  // server/pubsub.h
class PushTarget;     // server/pubsub.h
struct CommandSpec;   // server/commands/command.h

// How a client's blocked command (BLPOP, XREAD...) ended, handed to the client's owner.
struct BlockedEnd {
  std::string reply;
  // It ran again where it was served, which counted it and logged its writes; false when it
  // timed out, or CLIENT UNBLOCK or a change of role ended it.
  bool ran = false;
  // The write log mark just past what it logged when served (0: nothing): its client's
  // WAIT and WAITAOF then wait for that write, as they promise (Redis 7.2 takes c->woff
  // before it propagates a served command, so its WAIT does not wait for it).
  uint64_t logged_mark = 0;
};

// Actions only the connection's owner can take; the net layer implements them.
class ConnectionControl {
 public:
  virtual ~ConnectionControl() = default;
  // Close after the replies produced so far are written (QUIT, protocol errors, KILL).
  virtual void CloseAfterReply() = 0;
  // Close now, dropping pending output (CLIENT KILL of another client, as Redis's freeClient).
  virtual void CloseNow() = 0;
  // Starts receiving every command the server runs (MONITOR).
  virtual void BecomeMonitor() = 0;
  // Bytes of query buffer and pending output, for CLIENT LIST.
  virtual size_t QueryBufferBytes() const = 0;
  virtual size_t OutputBufferBytes() const = 0;
  // CLIENT LIST's buffer fields, in Redis's model: a reply buffer of `rbs` bytes holding the
  // first `obl` bytes of pending output (peak `rbp` since its last reset), and the rest as
  // `oll` blocks of `omem` bytes; `writing`: output waits for the socket (events=rw).
  struct BufferInfo {
    size_t qbuf = 0, qbuf_free = 0, argv_mem = 0;
    size_t rbs = 0, rbp = 0, obl = 0, oll = 0, omem = 0;
    bool writing = false;
  };
  virtual BufferInfo Buffers() const = 0;
  // Everything the connection holds: its struct, buffers' capacity, subscriptions (CLIENT
  // LIST tot-mem).  Like the two above, read from other workers without a lock: it must only
  // read sizes, never walk the owner's containers.
  virtual size_t TotalMemoryBytes() const = 0;
  // The reply of this client's blocked command (BLPOP...): append it and go on with the input.
  virtual void DeliverBlockedReply(std::string reply) = 0;
  // Counts the blocked command now, ended with `reply` (CountUnblocked), if not counted yet.
  virtual void CountUnblockedNow(std::string_view /*reply*/) {}
  // Its command held by CLIENT PAUSE may run now (server/pause_queue.h): try it at once.
  virtual void ResumeHeld() {}
  // Called from the instruction hook of this client's script once it has run past
  // busy-reply-threshold: serves the worker's other clients once (script_runner.h).
  virtual void ServeOthersWhileScriptBusy() {}
  // SCRIPT DEBUG: blocking I/O on this client's socket for its debugging session, which runs
  // inside the EVAL command (null when the client has no socket).
  virtual std::unique_ptr<scripting::DebugChannel> OpenDebugChannel() { return nullptr; }
};

// How many arguments a command has and their bytes (CLIENT LIST's argv-mem, multi-mem).
struct ArgSizes {
  size_t count = 0;
  size_t bytes = 0;
};

struct ClientState {
  uint64_t id = 0;
  int db = 0;
  int resp = 2;
  // True once AUTH/HELLO succeeded.  Until then the client runs as `default`, and may run
  // commands only while `default` needs no password (AclRegistry::DefaultRequiresAuth).
  bool authenticated = false;
  // ACL (server/acl): the user's snapshot, re-read when the registry's epoch differs from
  // `acl_epoch` (null until the first command).  Owner thread only.  `user_name` is written
  // under ClientRegistry's mutex (CLIENT LIST reads it from other workers).
  std::shared_ptr<const acl::User> user;
  uint64_t acl_epoch = 0;
  std::string user_name = "default";
  // The AOF loader's client: its commands run while the server is loading, and bypass MISCONF
  // and CLIENT PAUSE, as Redis's AOF client does.
  bool aof_loader = false;
  bool is_local = true;   // loopback or unix socket (enable-debug-command local)
  bool is_unix = false;
  bool no_evict = false;
  // Client eviction (server/client_eviction.h): the bytes this client last reported into the
  // clients' total (written by the owner), and whether an eviction chose it already.
  std::atomic<uint64_t> reported_memory{0};
  std::atomic<bool> reported_as_replica{false};  // which total holds reported_memory
  std::atomic<bool> evicting{false};
  // Its bytes once chosen or closed, until its memory is freed (ClientEviction::closing).
  std::atomic<uint64_t> closing_bytes{0};
  bool no_touch = false;
  bool monitor = false;
  // Sent SYNC or PSYNC: it receives the replication stream (server/replication/primary.h) and
  // must not be answered; `rdb_only`: REPLCONF rdb-only 1, it wants the snapshot and no stream.
  bool replica = false;
  bool rdb_only = false;
  // The master client: this server is a replica and this connection brings its primary's
  // stream (server/replication/replica.h).  Its commands run unchecked and unanswered, but for
  // REPLCONF GETACK, which sets `master_force_reply` for its reply to go out.
  bool master = false;
  bool master_force_reply = false;
  // WAIT: blocked until enough replicas acknowledged `woff`, the replicas' stream offset
  // (WriteLog::offset) just past this client's last command that added to it (c->woff).
  bool waiting_for_acks = false;
  // SHUTDOWN: blocked until the shutdown fails or is aborted (server/shutdown.h).
  bool waiting_for_shutdown = false;
  uint64_t woff = 0;
  // WAITAOF's local offset: the write log mark just past this client's last logged command
  // (the same instant as `woff`, in the marks the AOF writer's fsyncs are counted in).
  uint64_t aof_woff = 0;
  // REPLCONF listening-port / ip-address, which replicas send before PSYNC (INFO shows them).
  int repl_listening_port = 0;
  std::string repl_announced_ip;
  ReplyMode reply_mode = ReplyMode::kOn;
  int64_t block_deadline_ms = 0;  // of the command blocked now (Unix ms; 0 = none)
  // The blocked command, while INFO commandstats has still to count it, and how long its
  // first run took: Redis counts a blocked command when it ends (CountUnblocked), unless it
  // runs again when served, which counts it where it runs.  Null when none.
  const CommandSpec* uncounted_block = nullptr;
  int64_t uncounted_block_us = 0;
  // MULTI/EXEC.  `multi_dirty`: a command was rejected while queueing (EXECABORT).
  // `watch_expiries`: expiry times of watched keys that had one at WATCH time (EXEC fails
  // once one has passed, as Redis's isWatchedKeyExpired).  `in_exec`: EXEC is running this
  // client's queued commands.
  bool in_multi = false;
  bool multi_dirty = false;
  bool in_exec = false;
  // The client a script's redis.call runs as (Redis's lua client): never BUSY, never queued.
  // `script_time_us`: the script's start (Unix us), the time its commands see (TIME too).
  bool in_script = false;
  int64_t script_time_us = 0;
  // SCRIPT DEBUG YES|SYNC: the client's next EVAL runs in a debugging session.
  enum class LuaDebug : uint8_t { kOff, kYes, kSync };
  LuaDebug lua_debug = LuaDebug::kOff;
  std::vector<std::vector<std::string>> queued;
  std::vector<int64_t> watch_expiries;
  // CLIENT LIST's multi= and multi-mem=, which other workers read: the number of queued
  // commands (-1 outside MULTI) and their bytes counted as Redis counts them (argument bytes
  // plus a pointer per argument).  Written with `queued` (NoteQueued, NoteMulti).
  std::atomic<int> multi_count{-1};
  std::atomic<uint64_t> multi_mem{0};
  void NoteQueued(ArgSizes sizes) {
    multi_count.fetch_add(1, std::memory_order_relaxed);
    multi_mem.fetch_add(sizes.bytes + sizes.count * sizeof(void*), std::memory_order_relaxed);
  }
  void NoteMulti(bool on) {
    multi_count.store(on ? 0 : -1, std::memory_order_relaxed);
    multi_mem.store(0, std::memory_order_relaxed);
  }
  int fd = -1;
  std::string addr;   // "ip:port" or "path:0" for unix sockets
  std::string laddr;
  int64_t created_ms = 0;
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<int> last_command_id{-1};
  std::atomic<uint64_t> commands_processed{0};
  // Written under ClientRegistry's mutex (CLIENT SETNAME, HELLO SETNAME, CLIENT SETINFO).
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  ConnectionControl* control = nullptr;  // null in in-process tests
  int owner = 0;                         // index of the worker that owns the connection
  // Pub/Sub (server/pubsub.h).  `pubsub` stays null until the first subscription and
  // `in_pubsub` is Redis's CLIENT_PUBSUB flag (RESP2 context rules, PING's shape); both are
  // the owner's only.  The counts are atomics because CLIENT LIST reads them from any worker.
  // `push` receives published messages on the owner's thread.  `reply_is_push`: the command
  // that just ran answered with push messages (SUBSCRIBE...), which CLIENT REPLY OFF keeps.
  std::shared_ptr<ClientPubSub> pubsub;
  bool in_pubsub = false;
  bool reply_is_push = false;
  PushTarget* push = nullptr;
  // Messages this client published to itself: the connection appends them after the reply of
  // the command that published them (after EXEC's reply in a transaction), as Redis 7.2.
  std::string pending_pushes;
  std::atomic<uint32_t> sub_count{0};
  std::atomic<uint32_t> psub_count{0};
  std::atomic<uint32_t> ssub_count{0};
  // True iff the client has any subscription (what CLIENT LIST shows as the P flag); any
  // thread may call it.
  bool HasSubscriptions() const {
    return sub_count.load(std::memory_order_relaxed) + psub_count.load(std::memory_order_relaxed) +
               ssub_count.load(std::memory_order_relaxed) >
           0;
  }
  // Client-side caching (server/tracking.h): TrackingFlag bits and the REDIRECT id, written
  // by the owner, atomics because CLIENT LIST reads them from any worker; the BCAST prefixes,
  // sorted, owner only.  `script_caller`: on a Lua client, the client whose script it runs
  // (tracking remembers the script's reads for it, and its writes are that client's own).
  std::atomic<uint32_t> tracking_flags{0};
  std::atomic<uint64_t> tracking_redirect{0};
  std::vector<std::string> tracking_prefixes;
  ClientState* script_caller = nullptr;
  // Hands the end of a blocked command to this client (BlockingRegistry).  Set by the owner;
  // may be called from any thread, also after the client is gone.
  std::function<void(BlockedEnd)> deliver_blocked_reply;
};

}  // namespace tessera::server
