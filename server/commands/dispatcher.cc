#include "server/commands/dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <optional>
#include <thread>

#include "core/base/ascii.h"
#include "core/base/hash.h"
#include "persistence/write_log.h"
#include "server/acl/acl_check.h"
#include "server/aof.h"
#include "server/client_state.h"
#include "server/commands/errors.h"
#include "server/commands/oom_check.h"
#include "server/commands/script_runner.h"
#include "server/commands/script_signals.h"
#include "server/key_ttl_policy.h"
#include "server/log.h"
#include "server/notify.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/replication/replica.h"
#include "server/scripting/script_registry.h"
#include "server/server.h"
#include "server/tracking.h"

namespace tessera::server {

namespace {

// "unknown command 'x', with args beginning with: 'a' 'b' " (Redis caps the list at 128 bytes
// and prints each argument with "%s", which stops at a NUL).  Its cost is bounded whatever the
// arguments: at most 128 bytes of the name and about 128 more of the list.
std::string UnknownCommandError(ArgList args) {
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    size_t room = 128 - list.size();
    list += "'";
    list += CStringPrefix(args[i]).substr(0, room);
    list += "' ";
  }
  return fmt::format("ERR unknown command '{}', with args beginning with: {}",
                     CStringPrefix(args[0]).substr(0, 128), list);
}

bool ArityOk(const CommandSpec& spec, size_t argc) {
  return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity)
                        : argc >= static_cast<size_t>(-spec.arity);
}

// How long a command waiting for a shard sleeps before it looks at the running script again.
constexpr std::chrono::milliseconds kBusyPollSlice{1};

// True iff a script runs and has run past busy-reply-threshold (Redis's scriptIsTimedout).
bool ScriptTimedOut(Server& server, int64_t threshold_ms) {
  return server.scripts().running() &&
         server.scripts().TimedOut(server.ScriptClockUs(), threshold_ms);
}

// True while this thread serves other clients from inside a busy script's hook
// (BusyServeScope): the script holds the shard locks, so nothing served may take one.
thread_local bool serving_beside_busy_script = false;

// Locks the distinct shards of the keys (every shard when `all_shards`), in ascending order,
// and unlocks them on destruction.
//
// A command of another client must not sleep on a shard mutex a script holds: past
// busy-reply-threshold it has to answer -BUSY, and its worker must stay free to serve SCRIPT
// KILL.  So when `busy` is given, a lock that is not free at once is waited for in slices of
// a millisecond, and the constructor gives up (busy() true, nothing held) once a script has
// run past the threshold, whether it started before or after the command began to wait.
class ShardLocks {
 public:
  // Also hands the keys' hashes to `db` so its lookups need not hash them again.
  // With `aside` (the command, when its client may keep keys aside: not inside EXEC or a
  // script), a snapshot still to write a locked shard keeps just the command's keys there as
  // they were (SnapshotHook::SaveKeyAside) when the command's keys are all it touches
  // (KeysCoverEffects); otherwise the shard is written before the command runs.
  ShardLocks(keyspace::Keyspace& ks, ArgList args, const std::vector<int>& key_positions,
             keyspace::DbAccess& db, bool all_shards = false, Server* busy = nullptr,
             int64_t threshold_ms = 0, const CommandSpec* aside = nullptr)
      : ks_(ks) {
    if (all_shards) {
      for (unsigned s = 0; s < ks.shard_count(); ++s) overflow_.push_back(s);
    }
    for (int pos : key_positions) {
      uint64_t hash = HashBytes(args[pos]);
      db.RememberHash(args[pos], hash);
      if (all_shards) continue;
      unsigned s = ks.ShardOfHash(hash);
      if (count_ < small_.size()) {
        small_[count_++] = s;
      } else {
        overflow_.push_back(s);
      }
    }
    if (!overflow_.empty()) {
      overflow_.insert(overflow_.end(), small_.begin(), small_.begin() + count_);
      std::sort(overflow_.begin(), overflow_.end());
      overflow_.erase(std::unique(overflow_.begin(), overflow_.end()), overflow_.end());
      shards_ = overflow_.data();
      count_ = overflow_.size();
    } else {
      if (count_ > 1) {
        std::sort(small_.begin(), small_.begin() + count_);
        count_ = std::unique(small_.begin(), small_.begin() + count_) - small_.begin();
      }
      shards_ = small_.data();
    }
    for (size_t i = 0; i < count_; ++i) {
      if (!Acquire(ks_.shard(shards_[i]).mutex(), busy, threshold_ms)) {
        busy_ = true;
        break;
      }
      locked_ = i + 1;
    }
    if (busy_) {
      Release();
      return;
    }
    // The locks were taken with any snapshot hook left pending (a snapshot started and has
    // not written the shard yet): rare, so only then is the command judged.
    bool pending = false;
    for (size_t i = 0; i < count_ && !pending; ++i) {
      pending = ks_.shard(shards_[i]).mutex().pending_hook() != nullptr;
    }
    if (!pending) return;
    const bool keep_aside = aside != nullptr && !all_shards && KeysCoverEffects(*aside);
    for (size_t i = 0; i < count_; ++i) {
      keyspace::ShardMutex& mu = ks_.shard(shards_[i]).mutex();
      keyspace::SnapshotHook* hook = mu.pending_hook();
      if (hook == nullptr) continue;
      if (!keep_aside) {
        mu.RunPendingHook();
        continue;
      }
      for (int pos : key_positions) {
        const uint64_t hash = HashBytes(args[pos]);
        if (ks_.ShardOfHash(hash) == shards_[i]) {
          hook->SaveKeyAside(shards_[i], db.db(), args[pos], hash);
        }
      }
    }
  }
  ~ShardLocks() { Release(); }
  bool busy() const { return busy_; }

 private:
  // Whether the keys ExtractKeys found are everything `spec` touches, in the client's
  // database: not for scripts and functions (their calls may use keys they did not declare),
  // MOVE and COPY (another database), MIGRATE and DEBUG, or SCAN and RANDOMKEY (they find
  // their keys themselves).
  static bool KeysCoverEffects(const CommandSpec& spec) {
    if (spec.touches_arbitrary_keys) return false;
    const std::string& n = spec.parent != nullptr ? spec.parent->name : spec.name;
    static constexpr std::string_view kExcluded[] = {"eval",    "evalsha",  "eval_ro", "evalsha_ro",
                                                     "fcall",   "fcall_ro", "move",    "copy",
                                                     "migrate", "debug"};
    return std::find(std::begin(kExcluded), std::end(kExcluded), n) == std::end(kExcluded);
  }
  // Takes the lock with any snapshot hook left pending (the constructor deals with it).
  static bool Acquire(keyspace::ShardMutex& mu, Server* busy, int64_t threshold_ms) {
    if (mu.try_lock_keep_hook()) return true;
    if (busy == nullptr) {
      mu.lock_keep_hook();
      return true;
    }
    while (!mu.try_lock_for_keep_hook(kBusyPollSlice)) {
      if (ScriptTimedOut(*busy, threshold_ms)) return false;
    }
    return true;
  }
  void Release() {
    for (size_t i = locked_; i > 0; --i) ks_.shard(shards_[i - 1]).mutex().unlock();
    locked_ = 0;
  }

  keyspace::Keyspace& ks_;
  std::array<unsigned, 16> small_;
  size_t count_ = 0;
  size_t locked_ = 0;
  const unsigned* shards_ = nullptr;
  std::vector<unsigned> overflow_;
  bool busy_ = false;
};

// The -BUSY reply for the script running now.
std::string_view BusyError(Server& server) {
  return server.scripts().running_eval() ? errors::kBusyScript : errors::kBusyFunction;
}

// The command spec `args` names, subcommand resolved; nullptr if none.
const CommandSpec* ResolveSpec(Server& server, ArgList args) {
  const CommandSpec* spec = server.commands().Find(args[0]);
  if (spec == nullptr || spec->subcommands.empty() || args.size() < 2) return spec;
  return CommandTable::FindSub(*spec, args[1]);
}

// The flags CLIENT PAUSE judges a command by (Redis's getCommandFlags): a script that declares
// its flags (a shebang, or a function's flags) writes unless it says no-writes and is never
// may_replicate; EVAL without a shebang, or a script not found, keeps the command's flags.
uint32_t PauseFlags(Server& server, const CommandSpec& spec, ArgList args) {
  const std::string& n = spec.name;
  bool eval = n == "eval" || n == "eval_ro";
  bool evalsha = n == "evalsha" || n == "evalsha_ro";
  bool fcall = n == "fcall" || n == "fcall_ro";
  if ((!eval && !evalsha && !fcall) || args.size() < 2) return spec.flags;
  uint32_t script = scripting::kScriptEvalCompat;
  if (eval) {
    size_t shebang_len = 0;
    std::string error;
    if (!scripting::ParseEvalShebang(args[1], &script, &shebang_len, &error)) return spec.flags;
  } else if (evalsha) {
    std::optional<scripting::CachedScript> s = server.scripts().FindScript(AsciiLower(args[1]));
    if (!s) return spec.flags;
    script = s->flags;
  } else {
    auto f = server.scripts().FindFunction(std::string(args[1]));
    if (!f) return spec.flags;
    script = f->second.flags;
  }
  if ((script & scripting::kScriptEvalCompat) != 0) return spec.flags;
  uint32_t flags = spec.flags & ~(kWrite | kMayReplicate);
  if ((script & scripting::kScriptNoWrites) == 0) flags |= kWrite;
  return flags;
}

// Whether a queued command of `client`'s transaction has `flag` (`with` true) or lacks it
// (false): Redis's mstate.cmd_flags and cmd_inv_flags.
bool QueuedAny(Server& server, const ClientState& client, uint32_t flag, bool with) {
  std::vector<std::string_view> argv;
  for (const auto& command : client.queued) {
    argv.assign(command.begin(), command.end());
    const CommandSpec* spec = ResolveSpec(server, argv);
    if (spec != nullptr && ((spec->flags & flag) != 0) == with) return true;
  }
  return false;
}

// EXEC is held like the most writing of its queued commands.
uint32_t QueuedPauseFlags(Server& server, const ClientState& client) {
  uint32_t flags = 0;
  std::vector<std::string_view> argv;
  for (const auto& command : client.queued) {
    argv.assign(command.begin(), command.end());
    if (const CommandSpec* spec = ResolveSpec(server, argv)) {
      flags |= PauseFlags(server, *spec, argv);
    }
  }
  return flags;
}

bool IsPausedFor(Server& server, uint32_t flags, int64_t now_ms) {
  if (!server.WritesPaused(now_ms)) return false;
  if (!server.pause_writes_only.load(std::memory_order_relaxed)) return true;
  return (flags & (kWrite | kMayReplicate)) != 0;
}

void FeedMonitors(Server& server, const ClientState& client, ArgList args, int64_t now_us) {
  std::string line = fmt::format("+{}.{:06d} [{} {}]", now_us / 1000000, now_us % 1000000,
                                 client.db, client.is_unix ? "unix:" + client.addr : client.addr);
  // AUTH hides every argument; HELLO and MIGRATE hide their credentials only (the handler's
  // redacted_args, already applied to `args`).
  bool redact = EqualsIgnoreCase(args[0], "auth");
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    if (redact && i > 0) {
      line += "\"(redacted)\"";
    } else {
      AppendQuoted(&line, args[i]);
    }
  }
  line += "\r\n";
  server.feed_monitors(std::move(line));
}

// The NOPERM error for a denied command, or "" (ACL LOG entry included).  Inside EXEC a
// command admitted at queue time may have lost its permission since: Redis words that case
// differently.
std::string CheckAcl(Server& server, ClientState& client, const CommandSpec& spec, ArgList args) {
  acl::LogContext context =
      client.in_multi || client.in_exec ? acl::LogContext::kMulti : acl::LogContext::kTopLevel;
  acl::Denial denial;
  std::string message = CheckAclAndLog(server, *client.user, client, spec, args, context, &denial);
  if (message.empty()) return message;
  if (!client.in_exec) return "NOPERM " + message;
  std::string_view reason = denial == acl::Denial::kCommand
                                ? "no permission to execute the command or subcommand"
                            : denial == acl::Denial::kKey
                                ? "no permission to touch the specified keys"
                                : "no permission to access one of the channels used as arguments";
  return fmt::format(
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
      "EXEC call. This command is no longer allowed for the following reason: {}",
      reason);
}

// A blocked command is checked again when it is served, with its user as it is now.
std::string BlockedCommandAclDenial(Server& server, const Waiter& w, ArgList argv) {
  if (w.user == nullptr) return "";
  std::shared_ptr<const acl::User> now = server.acl().Find(w.user->name());
  const acl::User& user = now != nullptr && now->uid() == w.user->uid() ? *now : *w.user;
  if (user.unrestricted()) return "";
  ClientState info;
  info.id = w.client_id;
  info.db = w.db;
  info.user_name = user.name();
  std::string message =
      CheckAclAndLog(server, user, info, *w.spec, argv, acl::LogContext::kTopLevel);
  return message.empty() ? message : "NOPERM " + message;
}

// Commands that run at once inside MULTI rather than being queued (Redis's processCommand).
bool IsTransactionControl(const CommandSpec& spec) {
  if (spec.parent != nullptr) return false;
  const std::string& n = spec.name;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset";
}

// Keys made ready by the commands of the EXEC running on this thread.
thread_local std::vector<keyspace::DbAccess::ReadyKey> exec_ready_keys;

// The write log's view of the command running on this thread (DESIGN 6).  Effects gather here
// while the command runs; a transaction or a script gathers those of all its commands.  When
// the outermost command ends, still under its shard locks, the batch goes to the write log in
// one append, wrapped in MULTI ... EXEC when it holds more than one command so that a replica
// or an AOF replay applies it atomically.  As Redis counts them (propagatePendingCommands),
// replica-only commands (PUBLISH) count toward that "more than one": the AOF then gets the
// MULTI ... EXEC around its own commands, or around none.
struct PendingEffects {
  // A run of effects in one database and for the same readers; it ends where the next begins.
  struct Segment {
    int db;
    bool aof;  // false: for the replicas only
    size_t begin;
  };
  int nesting = 0;  // open EXEC and handler scopes; the batch is appended when it returns to 0
  std::string bytes;  // the effects' commands, with no SELECT among them
  std::vector<Segment> segments;
  size_t commands = 0;
  std::vector<keyspace::DbAccess::DeletedKey> expired;  // lazily expired keys of one command
  bool unwrapped = false;  // SCAN or RANDOMKEY run directly: no MULTI ... EXEC around the batch
};
thread_local PendingEffects pending_effects;

// Counts one more effect of the batch, in database `db`, for the AOF and the replicas or
// (`aof` false) the replicas only.  The caller appends the effect's bytes.
std::string& BeginEffect(int db, bool aof = true) {
  PendingEffects& p = pending_effects;
  if (p.segments.empty() || p.segments.back().db != db || p.segments.back().aof != aof) {
    p.segments.push_back({db, aof, p.bytes.size()});
  }
  ++p.commands;
  return p.bytes;
}

void AddEffect(int db, std::span<const std::string_view> argv, bool aof = true) {
  persistence::AppendRespCommand(&BeginEffect(db, aof), argv);
}

// The effect of a command as sent, already encoded (VerbatimRequestScope).
void AddEncodedEffect(int db, std::string_view command, bool aof = true) {
  BeginEffect(db, aof).append(command);
}

// The request whose bytes may be logged as they are (VerbatimRequestScope).
thread_local ArgList verbatim_args;
thread_local std::string_view verbatim_bytes;
// The write log mark of this thread's last append of a command's effects, until Dispatch
// gives it to the command's client (WAITAOF's ClientState::aof_woff); 0: none since.
thread_local uint64_t logged_mark = 0;

void AddEffect(int db, const std::vector<std::string>& argv) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  AddEffect(db, views);
}

// The command as sent, as an effect (its request bytes when they are at hand).
void AddCommandEffect(int db, ArgList args, bool aof) {
  if (args.data() == verbatim_args.data() && args.size() == verbatim_args.size() &&
      !verbatim_bytes.empty()) {
    AddEncodedEffect(db, verbatim_bytes, aof);
  } else {
    AddEffect(db, args, aof);
  }
}

// Records what `ctx`'s command changed: keys it found expired, then its own effect.  Counts
// its changes in `stats`.  Runs under the command's shard locks.
void RecordEffects(Server& server, CommandContext& ctx, WorkerStats& stats, int db_before,
                   ArgList args) {
  if (ctx.dirty > 0) stats.dirty.Add(static_cast<uint64_t>(ctx.dirty));
  if (!ctx.logging) return;
  for (const auto& dead : pending_effects.expired) {
    std::string_view del[] = {ExpiredKeyDeleteCommand(server.config()), dead.key};
    AddEffect(dead.db, del);
  }
  pending_effects.expired.clear();
  if (ctx.suppress_log) return;
  if (ctx.dirty <= 0) {
    // Redis's forceCommandPropagation(c, PROPAGATE_REPL): PUBLISH goes to the replicas (once
    // a replica ever attached, as Redis's backlog) and never to the AOF.
    if (ctx.force_replicas && server.write_log().replicating()) {
      AddCommandEffect(db_before, args, /*aof=*/false);
    }
    return;
  }
  if (ctx.effects.empty()) {
    if (ctx.effects_only) return;
    if (args.data() == verbatim_args.data() && args.size() == verbatim_args.size() &&
        !verbatim_bytes.empty() && pending_effects.commands == 0 && pending_effects.nesting == 0) {
      // A lone command (most writes): straight into the log, as FlushEffects would.
      logged_mark = server.write_log().Append(db_before, verbatim_bytes);
      return;
    }
    AddCommandEffect(db_before, args, /*aof=*/true);
  } else {
    for (const auto& effect : ctx.effects) AddEffect(db_before, effect);
  }
}

// Appends the gathered batch to the write log once the outermost command is done.
void FlushEffects(Server& server) {
  static constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
  static constexpr std::string_view kExec = "*1\r\n$4\r\nEXEC\r\n";
  PendingEffects& p = pending_effects;
  if (p.nesting > 0) return;
  const bool unwrapped = std::exchange(p.unwrapped, false);
  if (p.commands == 0) return;
  const bool wrap = p.commands > 1 && !unwrapped;
  if (p.segments.size() == 1 && p.segments[0].aof) {
    // One database, every effect for both streams (nearly every batch).
    if (wrap) {
      std::string wrapped;
      wrapped.reserve(kMulti.size() + p.bytes.size() + kExec.size());
      wrapped += kMulti;
      wrapped += p.bytes;
      wrapped += kExec;
      p.bytes.swap(wrapped);
    }
    logged_mark = server.write_log().Append(p.segments[0].db, p.bytes);
  } else {
    thread_local std::vector<persistence::LogRecord> records;
    records.clear();
    if (wrap) records.push_back({-1, true, kMulti});
    for (size_t i = 0; i < p.segments.size(); ++i) {
      const size_t begin = p.segments[i].begin;
      const size_t end = i + 1 < p.segments.size() ? p.segments[i + 1].begin : p.bytes.size();
      records.push_back({p.segments[i].db, p.segments[i].aof,
                         std::string_view(p.bytes).substr(begin, end - begin)});
    }
    if (wrap) records.push_back({-1, true, kExec});
    logged_mark = server.write_log().AppendRecords(records);
  }
  p.bytes.clear();
  p.segments.clear();
  p.commands = 0;
}

// Client-side caching once a command ran: the keys a tracking client read are remembered
// (Redis's call(): read-only commands, a script's read-only calls for the script's caller,
// not EVAL_RO/EVALSHA_RO/FCALL_RO themselves), then CLIENT CACHING is forgotten unless the
// command was a CLIENT subcommand or the client is in MULTI.
void AfterCommandTracking(Server& server, ClientState& client, const CommandSpec& spec,
                          ArgList args, const std::vector<int>& keys) {
  ClientState& caller = client.script_caller != nullptr ? *client.script_caller : client;
  uint32_t flags = caller.tracking_flags.load(std::memory_order_relaxed);
  if (flags == 0) return;
  bool caching = (flags & kTrackingCaching) != 0;
  if ((flags & (kTrackingOn | kTrackingBcast)) == kTrackingOn && (spec.flags & kReadOnly) != 0 &&
      !keys.empty() && spec.name != "eval_ro" && spec.name != "evalsha_ro" &&
      spec.name != "fcall_ro" && !((flags & kTrackingOptIn) != 0 && !caching) &&
      !((flags & kTrackingOptOut) != 0 && caching)) {
    server.tracking().RememberKeys(caller.id, args, keys);
  }
  if (caching && !client.in_multi && !client.in_exec &&
      (spec.parent == nullptr || spec.parent->name != "client")) {
    caller.tracking_flags.fetch_and(~uint32_t{kTrackingCaching}, std::memory_order_relaxed);
  }
}

void EndTransaction(Server& server, ClientState& client) {
  client.in_multi = false;
  client.multi_dirty = false;
  client.queued.clear();
  client.NoteMulti(false);
  client.watch_expiries.clear();
  server.watches().UnwatchAll(client.id);
}

// The positions of the keys whose shards the dispatcher locks for `args` (none for names a
// key spec marks not_key, SPUBLISH's channel: they are never looked up).
void LockedKeyPositions(const CommandSpec& spec, ArgList args, std::vector<int>* positions) {
  positions->clear();
  ExtractKeys(spec, args, positions);
  if ((spec.keys.flags & kKeyNotKey) != 0) positions->clear();
}

// The shards a transaction locks (DESIGN 3): those of the keys its commands name, found as
// Dispatch() finds them, so that no command inside EXEC locks a shard outside the set.  Every
// shard (returns false) when a command names no key (whatever it touches, it is not through
// a key: FLUSHALL, KEYS, SCAN, SWAPDB, DBSIZE, RANDOMKEY, SELECT, DEBUG, INFO...), locks
// shards itself (kAllShards), or may reach keys no argument names (SORT BY/GET, EVAL, FCALL).
bool TransactionShards(Server& server, const std::vector<std::vector<std::string>>& queued,
                       keyspace::ShardSet* shards) {
  keyspace::Keyspace& ks = server.keyspace();
  std::vector<std::string_view> argv;
  std::vector<int> positions;
  for (const auto& command : queued) {
    argv.assign(command.begin(), command.end());
    const CommandSpec* spec = ResolveSpec(server, argv);
    if (spec == nullptr || (spec->flags & kAllShards) != 0) return false;
    if (spec->locks_all_shards != nullptr && spec->locks_all_shards(argv)) return false;
    // A script inside EXEC cannot restart to take a shard it did not declare (the commands
    // before it ran already): it runs holding every shard (script_locks.h).
    if (IsScriptCommand(*spec)) return false;
    LockedKeyPositions(*spec, argv, &positions);
    if (positions.empty()) return false;
    for (int pos : positions) shards->set(ks.ShardOf(argv[pos]));
  }
  return true;
}

// Locks a transaction's shards (every shard when `shards` is null) in ascending order, and
// marks this thread as holding them, so the commands' own locking becomes a no-op.  Like
// ShardLocks, it never sleeps on a busy script's locks: once a script has run past
// busy-reply-threshold it gives up (busy() true, nothing held) and EXEC answers -BUSY.
class ExecLocks {
 public:
  ExecLocks(Server& server, const keyspace::ShardSet* shards, int64_t threshold_ms)
      : ks_(server.keyspace()), shards_(shards) {
    for (unsigned i = 0; i < ks_.shard_count(); ++i) {
      if (Covers(i) && !Acquire(server, ks_.shard(i).mutex(), threshold_ms)) {
        busy_ = true;
        Unlock(i);
        return;
      }
    }
    if (shards_ == nullptr) {
      all_.emplace();
    } else {
      some_.emplace(shards_);
    }
  }
  ~ExecLocks() {
    if (busy_) return;
    all_.reset();
    some_.reset();
    Unlock(ks_.shard_count());
  }
  bool busy() const { return busy_; }

 private:
  bool Covers(unsigned i) const { return shards_ == nullptr || shards_->test(i); }
  static bool Acquire(Server& server, keyspace::ShardMutex& mu, int64_t threshold_ms) {
    while (!mu.try_lock_raw_for(kBusyPollSlice)) {
      if (ScriptTimedOut(server, threshold_ms)) return false;
    }
    return true;
  }
  // Unlocks the covered shards below `end`, highest first.
  void Unlock(unsigned end) {
    for (unsigned i = end; i > 0; --i) {
      if (Covers(i - 1)) ks_.shard(i - 1).mutex().unlock_raw();
    }
  }

  keyspace::Keyspace& ks_;
  const keyspace::ShardSet* shards_;
  bool busy_ = false;
  std::optional<keyspace::ShardMutex::ScopedAllShardsHeld> all_;
  std::optional<keyspace::ShardMutex::ScopedShardsHeld> some_;
};

// Runs the transaction.  Sets *busy, changing nothing, when a busy script holds a shard it
// needs (the caller rejects EXEC with -BUSY as Redis's processCommand would).
DispatchResult Exec(Server& server, ClientState& client, WorkerStats& stats,
                    resp::ReplyBuilder& reply, int64_t& clock_us, int64_t busy_threshold_ms,
                    bool* busy) {
  if (!client.in_multi) {
    reply.Error(errors::kExecWithoutMulti);
    server.error_stats().Count("ERR");
    return DispatchResult::kDone;
  }
  if (client.multi_dirty) {
    reply.Error(errors::kExecAbort);
    server.error_stats().Count("EXECABORT");
    EndTransaction(server, client);
    return DispatchResult::kDone;
  }
  int64_t now_ms = server.NowMs();
  bool watched_expired = std::any_of(client.watch_expiries.begin(), client.watch_expiries.end(),
                                     [&](int64_t at) { return at <= now_ms; });
  if (watched_expired || server.watches().IsDirty(client.id)) {
    reply.NullArray();
    EndTransaction(server, client);
    return DispatchResult::kDone;
  }
  keyspace::ShardSet shards;
  bool some_shards = TransactionShards(server, client.queued, &shards);
  {
    ExecLocks locks(server, some_shards ? &shards : nullptr, busy_threshold_ms);
    if (locks.busy()) {
      *busy = true;
      return DispatchResult::kDone;
    }
    server.watches().UnwatchAll(client.id);
    std::vector<std::vector<std::string>> queued = std::move(client.queued);
    client.in_multi = false;
    client.NoteMulti(false);
    client.in_exec = true;
    reply.ArrayHeader(queued.size());
    std::vector<std::string_view> argv;
    ++pending_effects.nesting;
    for (const auto& command : queued) {
      argv.assign(command.begin(), command.end());
      Dispatch(server, client, stats, argv, reply, clock_us);
    }
    --pending_effects.nesting;
    FlushEffects(server);
  }
  client.in_exec = false;
  EndTransaction(server, client);
  if (!exec_ready_keys.empty()) ServeBlockedClients(server, stats, exec_ready_keys);
  return DispatchResult::kDone;
}

}  // namespace

namespace {

// WAIT's offset (Redis's c->woff): the replicas' stream just past this client's last command
// that added to it.  Another thread's bytes may be counted too: a replica that acknowledges
// them acknowledged this client's.
void NoteWriteOffset(Server& server, ClientState& client, uint64_t mark) {
  const uint64_t now = server.write_log().offset();
  if (now != mark) client.woff = now;
}

}  // namespace

VerbatimRequestScope::VerbatimRequestScope(ArgList args, std::string_view bytes)
    : saved_args_(verbatim_args), saved_bytes_(verbatim_bytes) {
  verbatim_args = args;
  verbatim_bytes = bytes;
}

VerbatimRequestScope::~VerbatimRequestScope() {
  verbatim_args = saved_args_;
  verbatim_bytes = saved_bytes_;
}

EffectsMark MarkEffects() {
  const PendingEffects& p = pending_effects;
  return EffectsMark{p.bytes.size(), p.commands, p.segments.size(), exec_ready_keys.size()};
}

void RollBackEffects(const EffectsMark& mark) {
  PendingEffects& p = pending_effects;
  p.bytes.resize(mark.bytes);
  p.commands = mark.commands;
  p.segments.resize(mark.segments);
  p.expired.clear();
  if (exec_ready_keys.size() > mark.ready_keys) exec_ready_keys.resize(mark.ready_keys);
}

void CommandContext::NotifySlow(uint32_t type, std::string_view event, std::string_view key,
                                int db_index) {
  if (HeldSignals* held = HeldSignals::Active()) {
    held->Hold(
        [&server = server, type, event = std::string(event), key = std::string(key), db_index,
         client = &client] { NotifyKeyspaceEvent(server, type, event, key, db_index, client); });
    return;
  }
  NotifyKeyspaceEvent(server, type, event, key, db_index, &client);
}

void CommandContext::KeyModifiedSlow(std::string_view key, int db_index) {
  if (modified_keys != nullptr) modified_keys->emplace_back(db_index, std::string(key));
  SignalOrHold([&server = server, key = std::string(key), db_index, client = &client] {
    if (server.watches().watched_keys() > 0) server.watches().Touch(db_index, key);
    server.tracking().InvalidateKey(db_index, key, client);
  });
}

namespace {

// Reports what DbAccess's table operations did to keys by themselves during one command:
// keys found expired, keys added, reads that missed (keyspace events).
class CommandKeyEvents final : public keyspace::KeyEventHook {
 public:
  CommandKeyEvents(Server& server, ClientState* publisher)
      : server_(server), publisher_(publisher) {}

  // Each signal is made at once, or held while a script may still roll back (HeldSignals).
  void KeyExpired(int db, std::string_view key) override {
    SignalOrHold([&server = server_, db, key = std::string(key), publisher = publisher_] {
      KeyRemovedByServer(server, db, key, kNotifyExpired, "expired", publisher);
    });
  }
  void FieldsExpired(int db, std::string_view key, bool key_deleted) override {
    SignalOrHold(
        [&server = server_, db, key = std::string(key), key_deleted, publisher = publisher_] {
          NotifyKeyspaceEvent(server, kNotifyHash, "hexpired", key, db, publisher);
          if (key_deleted) NotifyKeyspaceEvent(server, kNotifyGeneric, "del", key, db, publisher);
          server.tracking().InvalidateKey(db, key, publisher, /*client_wrote=*/false);
        });
  }
  void KeyAdded(int db, std::string_view key) override {
    SignalOrHold([&server = server_, db, key = std::string(key), publisher = publisher_] {
      NotifyKeyspaceEvent(server, kNotifyNew, "new", key, db, publisher);
    });
  }
  void KeyMissed(int db, std::string_view key) override {
    if (!all_misses_ && std::find(read_keys_.begin(), read_keys_.end(), key) == read_keys_.end()) {
      return;  // a key the command writes: Redis's write lookups report no miss
    }
    // Once per key and command, however often our operations look it up.
    std::string missed = std::to_string(db) + ":" + std::string(key);
    if (std::find(missed_.begin(), missed_.end(), missed) != missed_.end()) return;
    missed_.push_back(std::move(missed));
    SignalOrHold([&server = server_, db, key = std::string(key), publisher = publisher_] {
      NotifyKeyspaceEvent(server, kNotifyKeyMiss, "keymiss", key, db, publisher);
    });
  }

  // Which misses count: every one (a read command), or those of the keys read.
  void set_all_misses(bool all) { all_misses_ = all; }
  void add_read_key(std::string_view key) { read_keys_.push_back(key); }

 private:
  Server& server_;
  ClientState* publisher_;
  bool all_misses_ = true;
  std::vector<std::string_view> read_keys_;
  std::vector<std::string> missed_;
};

// Prepares `ctx` and its DbAccess for the command's key events; `hook` must outlive the
// command.
void SetUpKeyEvents(CommandContext& ctx, CommandKeyEvents* hook,
                    const std::vector<int>& key_positions) {
  const ServerConfig& config = ctx.server.config();
  ctx.notify_flags = config.notify_keyspace_events.load(std::memory_order_relaxed);
  // Modified keys matter to WATCH and to client tracking (KeyModifiedSlow).
  const bool tracking = ctx.server.tracking().armed();
  ctx.key_watchers = ctx.server.watches().watched_keys() > 0 || tracking;
  if (ctx.notify_flags == 0) {
    if (tracking) ctx.db.set_event_hook(hook, false);  // expired keys
    return;
  }
  // Key misses as Redis's read lookups report them: every key of a read command (but OBJECT
  // and MEMORY, which look keys up without reporting), and the keys a write command only
  // reads (its sources).
  const CommandSpec* top = ctx.spec.parent != nullptr ? ctx.spec.parent : &ctx.spec;
  bool misses =
      (ctx.notify_flags & kNotifyKeyMiss) != 0 && top->name != "object" && top->name != "memory";
  // Write commands whose keys Redis looks up as reads: a miss of any key is reported.
  const bool reads_all = top->name == "pfmerge" || top->name == "getdel" || top->name == "getex";
  if (misses && (ctx.spec.flags & kReadOnly) == 0 && !reads_all) {
    hook->set_all_misses(false);
    for (int pos : key_positions) {
      if ((KeyFlagsAt(ctx.spec, pos, ctx.args) & kKeyRO) != 0) hook->add_read_key(ctx.args[pos]);
    }
  }
  ctx.db.set_event_hook(hook, misses);
}

// key-ttl-policy: has a write command's changed keys gathered for the policy (before the
// handler) and applies it to them (after), under the command's locks.  A handler that
// signalled no key gets the keys its key spec names, as for WATCH (TouchUnsignalledKeys).
void PrepareTtlPolicy(CommandContext& ctx, std::vector<std::pair<int, std::string>>* keys) {
  if ((ctx.spec.flags & kWrite) == 0 ||
      !ctx.server.config().key_ttl_policy_on.load(std::memory_order_relaxed)) {
    return;
  }
  keys->clear();
  ctx.modified_keys = keys;
  ctx.key_watchers = true;
}

void ApplyTtlPolicy(CommandContext& ctx, const std::vector<int>& key_positions, int db) {
  if (ctx.modified_keys == nullptr || ctx.dirty <= 0) return;
  if (!ctx.keys_signalled) {
    for (int pos : key_positions) ctx.modified_keys->emplace_back(db, std::string(ctx.args[pos]));
  }
  if (!ctx.modified_keys->empty()) ApplyKeyTtlPolicy(ctx, *ctx.modified_keys);
  ctx.modified_keys = nullptr;
}

// WATCH after a write: a handler that changed something but signalled no key (one not yet
// taught to) has every key it names treated as modified.
void TouchUnsignalledKeys(CommandContext& ctx, const std::vector<int>& key_positions, int db) {
  if ((ctx.spec.flags & kWrite) == 0 || ctx.keys_signalled || ctx.dirty == 0) return;
  if (ctx.server.watches().watched_keys() == 0 && !ctx.server.tracking().armed()) return;
  for (int pos : key_positions) {
    SignalOrHold(
        [&server = ctx.server, db, key = std::string(ctx.args[pos]), client = &ctx.client] {
          if (server.watches().watched_keys() > 0) server.watches().Touch(db, key);
          if (server.tracking().armed()) server.tracking().InvalidateKey(db, key, client);
        });
  }
}

}  // namespace

void LogEffectsNow(CommandContext& ctx) {
  if (!ctx.logging || ctx.suppress_log) return;
  PendingEffects& p = pending_effects;
  if (ctx.effects.empty()) {
    AddEffect(ctx.db.db(), ctx.args);
  } else {
    for (const auto& effect : ctx.effects) AddEffect(ctx.db.db(), effect);
  }
  ctx.suppress_log = true;
  // Only this command's handler scope is open: the batch goes to the log now, under the
  // caller's locks.  Inside a transaction or script it waits for the end of those, which hold
  // every lock until then.
  if (p.nesting == 1) {
    p.nesting = 0;
    FlushEffects(ctx.server);
    p.nesting = 1;
  }
}

void ExecCommand(CommandContext&) {}  // never called: Dispatch runs EXEC itself

struct BusyServeScope::Saved {
  PendingEffects effects;
  std::vector<keyspace::DbAccess::ReadyKey> ready;
};

BusyServeScope::BusyServeScope() : saved_(std::make_unique<Saved>()) {
  saved_->effects = std::move(pending_effects);
  pending_effects = PendingEffects();
  saved_->ready.swap(exec_ready_keys);
  serving_beside_busy_script = true;
}

BusyServeScope::~BusyServeScope() {
  serving_beside_busy_script = false;
  pending_effects = std::move(saved_->effects);
  exec_ready_keys.swap(saved_->ready);
}

bool BusyServeScope::Active() { return serving_beside_busy_script; }

void FeedMonitorsBeforeScript(Server& server, const ClientState& client, ArgList args) {
  if (server.clients().monitors.load(std::memory_order_relaxed) == 0 || !server.feed_monitors) {
    return;
  }
  FeedMonitors(server, client, args, Server::RealNowUs());
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\a': *out += "\\a"; break;
      case '\b': *out += "\\b"; break;
      default:
        if (std::isprint(c)) {
          out->push_back(static_cast<char>(c));
        } else {
          *out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  out->push_back('"');
}

DispatchResult Dispatch(Server& server, ClientState& client, WorkerStats& stats, ArgList args,
                        resp::ReplyBuilder& reply, int64_t& clock_us) {
  // WAIT's offset: the log's, past this client's last logged command (Redis's c->woff).
  // Where the replicas' stream stood (only while replicas may exist: a load or two).
  const bool replicating = server.write_log().replicating();
  const uint64_t log_mark = replicating ? server.write_log().offset() : 0;
  // 1. Cross-protocol scripting guard: an HTTP request is not a client.
  if (EqualsIgnoreCase(args[0], "post") || EqualsIgnoreCase(args[0], "host:")) {
    Log(LogLevel::kWarning,
        "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: "
        "commands to Redis. This is likely due to an attacker attempting to use Cross Protocol "
        "Scripting to compromise your Redis instance. Connection aborted.");
    return DispatchResult::kClose;
  }

  // 2. Lookup, then 3. arity (of the container first, then of the subcommand).
  const CommandSpec* spec = server.commands().Find(args[0]);
  if (spec == nullptr) {
    reply.Error(UnknownCommandError(args));
    server.error_stats().Count("ERR");
    if (client.in_multi) client.multi_dirty = true;
    return DispatchResult::kDone;
  }
  // A container called bare runs its own handler when it has one (COMMAND); otherwise (CONFIG)
  // it is an arity error, as in Redis.
  if (!spec->subcommands.empty() && (args.size() > 1 || spec->handler == nullptr)) {
    if (args.size() == 1) {
      reply.Error(errors::WrongArity(spec->name));
      server.error_stats().Count("ERR");
      if (client.in_multi) client.multi_dirty = true;
      return DispatchResult::kDone;
    }
    const CommandSpec* sub = CommandTable::FindSub(*spec, args[1]);
    if (sub == nullptr) {
      reply.Error(fmt::format("ERR unknown subcommand '{}'. Try {} HELP.",
                              CStringPrefix(args[1]).substr(0, 128), AsciiUpper(spec->name)));
      server.error_stats().Count("ERR");
      stats.commands[spec->id].rejected_calls.Add(1);
      if (client.in_multi) client.multi_dirty = true;
      return DispatchResult::kDone;
    }
    spec = sub;
  }
  // CLIENT LIST's cmd=: the command as soon as it is known, so that CLIENT LIST and CLIENT
  // INFO name themselves, as in Redis (EXEC's commands leave it at exec).
  if (!client.in_exec) client.last_command_id.store(spec->id, std::memory_order_relaxed);
  CommandStats& cstats = stats.commands[spec->id];
  auto reject = [&](std::string_view message) {
    cstats.rejected_calls.Add(1);
    if (client.in_multi && spec->handler == ExecCommand) {
      // EXEC itself refused (a busy script, MISCONF...): the transaction is discarded with
      // the reason, as Redis's execCommandAbort() does (an ERR reason without its "ERR ", as
      // Redis's formatted rejections have none: "... because of: wrong number of arguments").
      std::string_view reason = message;
      if (reason.substr(0, 4) == "ERR ") reason.remove_prefix(4);
      EndTransaction(server, client);
      reply.Error(std::string(errors::kExecAbortBecause) + std::string(reason));
      server.error_stats().Count("EXECABORT");
      return DispatchResult::kDone;
    }
    reply.Error(message);
    server.error_stats().Count(message);
    if (client.in_multi) client.multi_dirty = true;  // EXEC will answer EXECABORT
    return DispatchResult::kDone;
  };
  if (!ArityOk(*spec, args.size())) {
    return reject(errors::WrongArity(spec->full_name));
  }

  // 4. Protected commands: DEBUG, and MODULE's LOAD, LOADEX and UNLOAD.
  if ((spec->flags & kProtected) != 0) {
    bool module = spec->parent != nullptr && spec->parent->name == "module";
    ProtectedAction mode =
        module ? server.config().enable_module_command : server.config().enable_debug_command;
    bool allowed = mode == ProtectedAction::kYes ||
                   (mode == ProtectedAction::kLocal && client.is_local);
    if (!allowed) return reject(module ? errors::kModuleDisabled : errors::kDebugDisabled);
  }

  // 5. Authentication: needed until AUTH/HELLO succeeded, unless `default` has no password.
  if (!client.authenticated && (spec->flags & kNoAuth) == 0 && server.acl().DefaultRequiresAuth()) {
    return reject(errors::kNoAuth);
  }

  // 7. ACL: the command, its keys and its channels (a script's commands were checked by
  // its host; EXEC's are checked again as they run; the AOF loader, like Redis's AOF client,
  // has no user and runs everything).
  if (!client.in_script && !client.aof_loader && !client.master && NeedsAclCheck(server, client)) {
    std::string denied = CheckAcl(server, client, *spec, args);
    if (!denied.empty()) return reject(denied);
  }

  // Whether a script has run past busy-reply-threshold (Redis's scriptIsTimedout); a
  // script's own commands are never busy.
  int64_t busy_threshold_ms = server.config().busy_reply_threshold.load(std::memory_order_relaxed);
  bool script_running = !client.in_script && server.scripts().running();
  bool script_timed_out = script_running && ScriptTimedOut(server, busy_threshold_ms);

  // 10. maxmemory: evict; deny-oom commands (and anything queued in MULTI) are refused when
  // nothing could be evicted (an EXEC refused so discards its transaction, in reject()).
  // Not while a script is busy (as Redis): its shards are locked, and on its own worker the
  // script is only paused in its hook.
  if (!script_timed_out) {
    std::string_view oom =
        CheckMaxmemory(server, client, *spec, args,
                       server.has_test_clock() ? server.NowMs() : clock_us / 1000);
    if (!KeysRemovedByServer().empty() && !client.in_exec && !client.in_script) {
      ServeBlockedClients(server, stats, KeysRemovedByServer());  // a stream it evicted
    }
    if (!oom.empty()) return reject(oom);
  }

  // 9. MISCONF: a failed background save stops writes (and PING, as in Redis) while
  // stop-writes-on-bgsave-error is set.
  if (!client.aof_loader && !client.master && server.persistence().WritesRefused() &&
      ((spec->flags & kWrite) != 0 || spec->name == "ping")) {
    return reject(errors::kMisconfRdb);
  }

  // min-replicas-to-write on a primary (-NOREPLICAS); on a replica, writes are its primary's
  // alone while replica-read-only is set (EXEC when it would run one), and with
  // replica-serve-stale-data off a broken link leaves only the commands flagged stale (EXEC's
  // queued commands all must be).  EXEC's own commands were judged with it (Redis checks a
  // transaction as a whole).
  const ReplicationReplica& link = server.replica_link();
  const bool is_replica = link.is_replica();
  const bool obey = client.aof_loader || client.master || client.in_exec;
  const bool exec_queued = spec->handler == ExecCommand && client.in_multi;
  const bool min_replicas =
      !is_replica && server.config().min_replicas_to_write.load(std::memory_order_relaxed) != 0;
  const bool read_only =
      is_replica && server.config().replica_read_only.load(std::memory_order_relaxed);
  if ((min_replicas || read_only) && !obey &&
      ((spec->flags & kWrite) != 0 || (exec_queued && QueuedAny(server, client, kWrite, true)))) {
    if (read_only) return reject(errors::kReadOnlyReplica);
    if (!server.replication().EnoughGoodReplicas(server.NowMs())) {
      return reject(errors::kNoReplicas);
    }
  }

  // The AOF cannot be written: writes stop until it can (Redis's MISCONF for the AOF).
  if ((spec->flags & kWrite) != 0 && server.write_log().enabled() && !client.aof_loader &&
      server.persistence().aof().write_failing()) {
    std::string aof_error = server.persistence().aof().write_error();
    if (!aof_error.empty()) {
      return reject("MISCONF Errors writing to the AOF file: " + aof_error);
    }
  }

  if (is_replica && !link.link_up() && !obey &&
      !server.config().replica_serve_stale_data.load(std::memory_order_relaxed) &&
      ((spec->flags & kStale) == 0 || (exec_queued && QueuedAny(server, client, kStale, false)))) {
    return reject(errors::kMasterDown);
  }

  // 11. Loading the dataset: only commands flagged loading go on.
  if ((spec->flags & kLoading) == 0 && !client.aof_loader &&
      server.persistence().loading.load(std::memory_order_relaxed)) {
    return reject(errors::kLoading);
  }

  // 12. A script has run past busy-reply-threshold: only allow-busy commands go on.
  if (script_timed_out && (spec->flags & kAllowBusy) == 0) {
    return reject(BusyError(server));
  }

  // 14. A RESP2 subscriber may only (un)subscribe, PING, QUIT and RESET (EXEC's commands were
  // admitted when they were queued).
  if (client.in_pubsub && client.resp == 2 && !client.in_exec &&
      (spec->flags & kPubSubContext) == 0) {
    return reject(fmt::format(fmt::runtime(errors::kPubSubContextFmt), spec->full_name));
  }

  // Client-side caching: the tracking table is brought back under tracking-table-max-keys
  // before each command (Redis's processCommand), this client's messages first.
  if (!client.in_exec && server.tracking().tracking_clients() > 0) {
    int64_t max_keys = server.config().tracking_table_max_keys.load(std::memory_order_relaxed);
    server.tracking().EnforceLimit(static_cast<size_t>(max_keys), &client);
  }

  int64_t start_us = clock_us;
  int64_t now_ms = server.has_test_clock() ? server.NowMs() : start_us / 1000;
  // 19. CLIENT PAUSE: a held command waits, unqueued (EXEC as its queued commands; EXEC's and
  // scripts' own commands were judged with them).
  if (!client.in_exec && !client.in_script && !client.aof_loader && server.WritesPaused(now_ms)) {
    uint32_t flags = spec->handler == ExecCommand && client.in_multi
                         ? QueuedPauseFlags(server, client)
                         : PauseFlags(server, *spec, args);
    if (IsPausedFor(server, flags, now_ms)) return DispatchResult::kPaused;
  }

  // 20. Inside MULTI, everything but the transaction commands is queued for EXEC.
  if (client.in_multi && !IsTransactionControl(*spec)) {
    if ((spec->flags & kNoMulti) != 0) return reject(errors::kNotAllowedInMulti);
    client.queued.emplace_back(args.begin(), args.end());
    ArgSizes sizes{args.size(), 0};
    for (std::string_view a : args) sizes.bytes += a.size();
    client.NoteQueued(sizes);
    reply.SimpleString("QUEUED");
    return DispatchResult::kDone;
  }
  if (spec->handler == ExecCommand) {
    if (serving_beside_busy_script) return reject(BusyError(server));
    size_t exec_reply_start = reply.buffer()->size();
    bool exec_busy = false;
    DispatchResult result =
        Exec(server, client, stats, reply, clock_us, busy_threshold_ms, &exec_busy);
    if (replicating) NoteWriteOffset(server, client, log_mark);
    if (logged_mark != 0) client.aof_woff = std::exchange(logged_mark, 0);
    if (exec_busy) return reject(BusyError(server));
    // Counted like any command (INFO commandstats), after the commands it ran.
    int64_t exec_end_us = Server::RealNowUs();
    cstats.calls.Add(1);
    cstats.usec.Add(static_cast<uint64_t>(std::max<int64_t>(0, exec_end_us - start_us)));
    NoteCommandLatency(server, *spec, cstats, std::max<int64_t>(0, exec_end_us - start_us));
    stats.total_commands.Add(1);
    client.commands_processed.fetch_add(1, std::memory_order_relaxed);
    const std::string& exec_out = *reply.buffer();
    if (exec_out.size() > exec_reply_start && exec_out[exec_reply_start] == '-') {
      cstats.failed_calls.Add(1);
    }
    // As in Redis, MONITOR sees EXEC after the commands it ran.
    if (server.clients().monitors.load(std::memory_order_relaxed) > 0 && server.feed_monitors) {
      FeedMonitors(server, client, args, Server::RealNowUs());
    }
    AfterCommandTracking(server, client, *spec, args, {});
    return result;
  }

  // Execute under the shard locks of the command's keys.
  // Reused across commands; one per nesting level (a script's redis.call runs inside EVAL).
  thread_local std::array<std::vector<int>, 4> key_positions_by_depth;
  thread_local size_t depth = 0;
  std::vector<int> deep_positions;
  std::vector<int>& key_positions =
      depth < key_positions_by_depth.size() ? key_positions_by_depth[depth] : deep_positions;
  LockedKeyPositions(*spec, args, &key_positions);
  keyspace::DbAccess db(&server.keyspace(), client.db, now_ms,
                        static_cast<uint32_t>(now_ms / 1000) & 0xFFFFFF);
  ApplyAccessPolicy(server.config(), db);
  ApplyLazyFree(server.config(), server.lazy_free(), db);
  db.set_count_lookups((spec->flags & kReadOnly) != 0);
  db.set_no_touch(client.no_touch);
  // A replica expires nothing itself: its clients read expired keys as missing, and its
  // primary's commands see every key, until the primary's DEL comes (as Redis's replicas).
  db.set_keep_expired((!client.aof_loader && server.WritesPaused(now_ms)) ||
                      (is_replica && !client.master));
  db.set_loading(client.aof_loader || (is_replica && client.master));
  CommandContext ctx{server, client, reply, args, db, *spec};
  ctx.may_block = !client.in_exec;
  ctx.stats = &stats;
  CommandKeyEvents key_events(server, &client);
  SetUpKeyEvents(ctx, &key_events, key_positions);
  std::vector<std::pair<int, std::string>> ttl_policy_keys;
  PrepareTtlPolicy(ctx, &ttl_policy_keys);
  size_t reply_start = reply.buffer()->size();
  int db_before = client.db;
  {
    bool all_shards = spec->locks_all_shards != nullptr && spec->locks_all_shards(args);
    // Served from a busy script's hook, a command that needs a shard cannot have it.
    if (serving_beside_busy_script && (all_shards || !key_positions.empty())) {
      return reject(BusyError(server));
    }
    ShardLocks locks(server.keyspace(), args, key_positions, db, all_shards,
                     client.in_script ? nullptr : &server, busy_threshold_ms,
                     client.in_script || client.in_exec ? nullptr : spec);
    if (locks.busy()) return reject(BusyError(server));
    // Read under the locks: a client that blocks on a key registers before its last look at
    // the key under the key's lock (see the blocking path below), so either it sees this
    // write or this write sees it waiting.
    db.set_track_ready(server.blocking().key_blocked_clients() > 0);
    // Also under the locks: a reader attached at a point of the serial order (AOF enabled at
    // run time, a replica's full sync) holds every lock there, so a command either ran before
    // the point or sees the log enabled.
    ctx.logging = server.write_log().enabled();
    if (ctx.logging) db.set_deleted_names(&pending_effects.expired);
    ++depth;
    if (pending_effects.nesting == 0 && spec->touches_arbitrary_keys)
      pending_effects.unwrapped = true;
    ++pending_effects.nesting;
    spec->handler(ctx);
    --pending_effects.nesting;
    --depth;
    ApplyTtlPolicy(ctx, key_positions, db_before);
    RecordEffects(server, ctx, stats, db_before, args);
    FlushEffects(server);
  }
  if (db.hits() != 0) stats.keyspace_hits.Add(db.hits());
  if (db.misses() != 0) stats.keyspace_misses.Add(db.misses());
  // Keys a script's commands made ready are served once the script's locks are gone.
  if (!client.in_exec && !exec_ready_keys.empty()) {
    ServeBlockedClients(server, stats, exec_ready_keys);
  }
  TouchUnsignalledKeys(ctx, key_positions, db_before);
  AfterCommandTracking(server, client, *spec, args, key_positions);
  if (replicating) NoteWriteOffset(server, client, log_mark);
  if (logged_mark != 0) client.aof_woff = std::exchange(logged_mark, 0);
  if (ctx.ack_wait_deadline_ms >= 0) {
    client.block_deadline_ms = ctx.ack_wait_deadline_ms;
    client.waiting_for_acks = true;
    // WAIT and WAITAOF count when they end (SHUTDOWN's wait for its end is not counted).
    if (!client.waiting_for_shutdown) {
      client.uncounted_block = spec;
      client.uncounted_block_us = std::max<int64_t>(0, Server::RealNowUs() - start_us);
    }
    return DispatchResult::kBlocked;
  }
  if (ctx.block) {
    // Redis counts a blocked command when it is served (ServeBlockedClients), or else when
    // it ends (CountUnblocked), not when it blocks.
    client.uncounted_block = spec;
    client.uncounted_block_us = std::max<int64_t>(0, Server::RealNowUs() - start_us);
    client.block_deadline_ms = ctx.block->deadline_ms;
    std::vector<keyspace::DbAccess::ReadyKey> look_again;
    for (const std::string& key : ctx.block->keys) look_again.push_back({client.db, key});
    server.blocking().Block(client, *spec, args, std::move(*ctx.block));
    // A write on another worker may have filled a key after the handler looked (under the
    // locks) and before the registration just now, and found no waiter to serve.  Any later
    // write finds this one (writers check for waiters under their locks), so one more look
    // under the locks closes the gap: the waiter is served now if a key holds its type.
    ServeBlockedClients(server, stats, look_again);
    clock_us = Server::RealNowUs();
    // MONITOR shows a blocking command once, when it blocks (not again when it is served).
    if (server.clients().monitors.load(std::memory_order_relaxed) > 0 &&
        (spec->flags & (kSkipMonitor | kAdmin)) == 0 && server.feed_monitors) {
      FeedMonitors(server, client, args, clock_us);
    }
    return DispatchResult::kBlocked;
  }
  if (!db.ready_keys().empty()) {
    if (client.in_exec) {
      // Served after EXEC: a transaction is one step for every other client.
      for (auto& r : db.ready_keys()) exec_ready_keys.push_back(std::move(r));
    } else {
      ServeBlockedClients(server, stats, db.ready_keys());
    }
  }
  clock_us = Server::RealNowUs();
  int64_t duration_us = std::max<int64_t>(0, clock_us - start_us);

  // Statistics, slowlog, monitors.
  cstats.calls.Add(1);
  cstats.usec.Add(static_cast<uint64_t>(duration_us));
  NoteCommandLatency(server, *spec, cstats, duration_us);
  stats.total_commands.Add(1);
  client.commands_processed.fetch_add(1, std::memory_order_relaxed);
  std::string& out = *reply.buffer();
  if (out.size() > reply_start && out[reply_start] == '-' && !ctx.reply_errors_counted) {
    cstats.failed_calls.Add(1);
    size_t end = out.find('\r', reply_start);
    server.error_stats().Count(
        std::string_view(out).substr(reply_start + 1, end - reply_start - 1));
  }
  // What SLOWLOG and MONITOR show: the arguments, minus those the handler redacted.
  std::vector<std::string_view> redacted;
  if (!ctx.redacted_args.empty()) {
    redacted.assign(args.begin(), args.end());
    for (int i : ctx.redacted_args) redacted[i] = "(redacted)";
    args = redacted;
  }
  if ((spec->flags & kSkipSlowlog) == 0) {
    int64_t threshold = server.config().slowlog_log_slower_than.load(std::memory_order_relaxed);
    if (threshold >= 0 && duration_us >= threshold) {
      // Only this thread writes the client's name, so reading it here needs no lock.
      server.slowlog().Add(args, now_ms / 1000, duration_us, client.addr, client.name,
                           server.config().slowlog_max_len.load(std::memory_order_relaxed));
    }
  }
  if (server.clients().monitors.load(std::memory_order_relaxed) > 0 &&
      (spec->flags & (kSkipMonitor | kAdmin)) == 0 && server.feed_monitors) {
    FeedMonitors(server, client, args, now_ms * 1000);
  }
  return DispatchResult::kDone;
}

void CountUnblocked(Server& server, WorkerStats& stats, ClientState& client,
                    std::string_view reply) {
  const CommandSpec* spec = std::exchange(client.uncounted_block, nullptr);
  if (spec == nullptr) return;
  CommandStats& cstats = stats.commands[spec->id];
  const bool error = reply.starts_with('-');
  // Redis's counts, quirks included: WAIT and WAITAOF are counted by
  // unblockClientWaitingReplicas, which an unblock with an error (CLIENT UNBLOCK ... ERROR, a
  // change of role) reaches after unblockClientOnError counted them once already; and the
  // WAITAOF whose AOF was turned off gets its error with no failed call.
  const bool waits = spec->name == "wait" || spec->name == "waitaof";
  const bool unblocked_error = error && reply.starts_with("-UNBLOCKED");
  const int calls = waits && unblocked_error ? 2 : 1;
  cstats.calls.Add(calls);
  cstats.usec.Add(static_cast<uint64_t>(client.uncounted_block_us));
  NoteCommandLatency(server, *spec, cstats, client.uncounted_block_us);
  stats.total_commands.Add(calls);
  if (error) {
    if (!waits || unblocked_error) cstats.failed_calls.Add(1);
    server.error_stats().Count(reply.substr(1, reply.find('\r') - 1));
  }
}

void ServeBlockedClients(Server& server, WorkerStats& stats,
                         std::vector<keyspace::DbAccess::ReadyKey>& ready) {
  BlockingRegistry& registry = server.blocking();
  // The served commands' appends are not the dispatching client's: its mark is kept, and each
  // waiter's goes to its own client with its reply (BlockedEnd::logged_mark).
  struct KeepLoggedMark {
    uint64_t saved = std::exchange(logged_mark, 0);
    ~KeepLoggedMark() { logged_mark = saved; }
  } keep_logged_mark;
  std::vector<int> key_positions;
  std::vector<std::string_view> argv;
  // Keys made ready by served commands (BLMOVE's destination) join the queue.
  for (size_t i = 0; i < ready.size(); ++i) {
    int db_index = ready[i].db;
    std::string key = ready[i].key;
    std::vector<Waiter*> skip;  // waiters tried on this key that could not be served
    while (std::shared_ptr<Waiter> w = registry.Claim(db_index, key, skip)) {
      ClientState client;
      client.id = w->client_id;
      client.db = w->db;
      client.resp = w->resp;
      client.no_touch = w->no_touch;
      client.authenticated = true;
      argv.assign(w->args.begin(), w->args.end());
      if (std::string denied = BlockedCommandAclDenial(server, *w, argv); !denied.empty()) {
        std::string out;
        resp::ReplyBuilder reply(&out, w->resp);
        reply.Error(denied);
        stats.commands[w->spec->id].rejected_calls.Add(1);
        server.error_stats().Count(denied);
        registry.Release(w, &out);
        continue;
      }
      key_positions.clear();
      ExtractKeys(*w->spec, argv, &key_positions);
      int64_t now_ms = server.NowMs();
      keyspace::DbAccess db(&server.keyspace(), w->db, now_ms,
                            static_cast<uint32_t>(now_ms / 1000) & 0xFFFFFF);
      ApplyAccessPolicy(server.config(), db);
      ApplyLazyFree(server.config(), server.lazy_free(), db);
      db.set_no_touch(w->no_touch);
      db.set_track_ready(true);
      std::string out;
      resp::ReplyBuilder reply(&out, w->resp);
      CommandContext ctx{server, client, reply, argv, db, *w->spec};
      ctx.stats = &stats;
      CommandKeyEvents key_events(server, nullptr);
      SetUpKeyEvents(ctx, &key_events, key_positions);
      std::vector<std::pair<int, std::string>> ttl_policy_keys;
      PrepareTtlPolicy(ctx, &ttl_policy_keys);
      // The waiter's invalidations follow its reply (Release below), as in Redis.
      TrackingRegistry::Hold held_invalidations(server.tracking());
      bool served = false;
      const int64_t serve_start_us = Server::MonotonicUs();
      {
        ShardLocks locks(server.keyspace(), argv, key_positions, db);
        ctx.logging = server.write_log().enabled();  // under the locks, as in Dispatch
        if (ctx.logging) db.set_deleted_names(&pending_effects.expired);
        // As Redis: serve only when the key now holds the type the client waits for.
        // XREADGROUP also runs when its key went away, to reply with the error that gives.
        // The look has no effects (Redis's LOOKUP_NOEFFECTS): a key found expired stays until
        // a command deletes it, and its DEL is logged then.
        db.set_keep_expired(true);
        const keyspace::Entry* e = db.FindInDb(db_index, key);
        db.set_keep_expired(false);
        if ((e != nullptr && e->type() == w->request.type) || w->request.wake_on_missing) {
          ++pending_effects.nesting;
          w->spec->handler(ctx);
          --pending_effects.nesting;
          served = !ctx.block;
        }
        if (!served) ctx.dirty = 0;
        ApplyTtlPolicy(ctx, key_positions, w->db);
        RecordEffects(server, ctx, stats, w->db, argv);
        FlushEffects(server);
      }
      const uint64_t served_mark = std::exchange(logged_mark, 0);
      if (!served) {
        registry.Release(w, nullptr);
        skip.push_back(w.get());
        continue;
      }
      const int64_t serve_us = Server::MonotonicUs() - serve_start_us;
      stats.commands[w->spec->id].calls.Add(1);
      stats.commands[w->spec->id].usec.Add(static_cast<uint64_t>(serve_us));
      stats.total_commands.Add(1);
      // Redis times the served run alone into the command's histogram.
      if (server.config().latency_tracking.load(std::memory_order_relaxed)) {
        stats.commands[w->spec->id].latency.Record(serve_us * 1000);
      }
      if (!out.empty() && out[0] == '-') {
        stats.commands[w->spec->id].failed_calls.Add(1);
        server.error_stats().Count(std::string_view(out).substr(1, out.find('\r') - 1));
      }
      TouchUnsignalledKeys(ctx, key_positions, w->db);
      registry.Release(w, &out, served_mark);
      held_invalidations.Release();
      for (auto& r : db.ready_keys()) ready.push_back(std::move(r));
    }
  }
  ready.clear();
}

}  // namespace tessera::server
