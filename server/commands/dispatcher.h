// The dispatcher: runs one parsed command for one client (DESIGN 5).
//
// Order of checks follows Redis's processCommand (reference 3.1): the cross-protocol guard,
// lookup (unknown command / subcommand), arity, protected commands (DEBUG), authentication,
// ACL (command, keys, channels; server/acl), the RESP2 Pub/Sub context, MULTI queueing, CLIENT
// PAUSE; then the shards of the command's keys are locked in ascending order, the handler runs, the
// locks are released, and statistics, slowlog and MONITOR are fed. Everything that applies to every
// command lives here and nowhere else.
#pragma once

#include <memory>

#include "core/resp/reply_builder.h"
#include "server/commands/command.h"
#include "server/stats.h"

namespace tessera::server {

enum class DispatchResult {
  kDone,    // the command ran or was rejected with an error reply
  kClose,   // close the connection without a reply (cross-protocol guard)
  kPaused,  // CLIENT PAUSE holds this command: run it again later, nothing was replied
  kBlocked, // a blocking command parked the client (BlockingRegistry); its reply comes later
};

// `clock_us` is the wall clock in Unix microseconds when the command starts; Dispatch sets it
// to the time the command ended.  A connection reads the clock once per batch and threads it
// through its commands, so each command costs one clock read, not two.
DispatchResult Dispatch(Server& server, ClientState& client, WorkerStats& stats, ArgList args,
                        resp::ReplyBuilder& reply, int64_t& clock_us);

// While alive, a command dispatched on this thread with exactly `args` (same array, same size)
// whose effect is the command as sent is logged by copying `bytes`, which must be exactly the
// RESP encoding of `args` (resp::RequestParser::Verbatim), instead of encoding the arguments
// again; any other command (a script's, a transaction's queued ones) is encoded as before.
// Restores the previous scope on destruction, so scopes may nest.
class VerbatimRequestScope {
 public:
  VerbatimRequestScope(ArgList args, std::string_view bytes);
  ~VerbatimRequestScope();
  VerbatimRequestScope(const VerbatimRequestScope&) = delete;
  VerbatimRequestScope& operator=(const VerbatimRequestScope&) = delete;

 private:
  ArgList saved_args_;
  std::string_view saved_bytes_;
};

// A blocked command of `client` that ended without running again (a timeout, CLIENT
// UNBLOCK, a change of role, WAIT's and WAITAOF's end) with `reply`: counted now in INFO
// commandstats (and errorstats when `reply` is an error) with the time its first run took, as
// Redis's updateStatsOnUnblock.  Does nothing when nothing is left to count.
void CountUnblocked(Server& server, WorkerStats& stats, ClientState& client,
                    std::string_view reply);

// Serves the clients blocked on `ready` keys (see server/blocking.h), in the order they
// blocked, and empties `ready`.  Called with no shard lock held.
void ServeBlockedClients(Server& server, WorkerStats& stats,
                         std::vector<keyspace::DbAccess::ReadyKey>& ready);

// For a handler that locks shards itself (FLUSHALL, SWAPDB): records the command's effect in
// the write log while it still holds those locks (the dispatcher would only log after they were
// released, when another write could already have been logged ahead of it).  Uses ctx.effects
// when set, else the arguments; the dispatcher then logs nothing more for the command.
void LogEffectsNow(CommandContext& ctx);

// A point in this thread's pending effects (the write log batch of the running command and
// the keys its commands made ready for blocked clients), to which a script that restarts
// rolls back everything its abandoned attempt added (script_locks.h).
struct EffectsMark {
  size_t bytes = 0;
  size_t commands = 0;
  size_t segments = 0;
  size_t ready_keys = 0;
};
EffectsMark MarkEffects();
void RollBackEffects(const EffectsMark& mark);

// EXEC's table entry.  Dispatch recognises it and runs the transaction itself, since EXEC
// dispatches the queued commands (see transaction_family.cc for MULTI, WATCH and the rest).
void ExecCommand(CommandContext& ctx);

// EVAL and FCALL (skip_monitor) feed MONITOR themselves before their script runs, so the
// script's commands follow them, as in Redis.
void FeedMonitorsBeforeScript(Server& server, const ClientState& client, ArgList args);

// While alive, this thread serves other clients from inside the instruction hook of a script
// that has run past busy-reply-threshold (script_runner.h, net/worker.h).  Their commands see
// none of the script's pending state (its effects not yet in the write log, the keys it made
// ready for blocked clients), which comes back on destruction, and a command that would lock
// a shard (the script holds them) is answered -BUSY before it tries.  Does not nest.
class BusyServeScope {
 public:
  BusyServeScope();
  ~BusyServeScope();
  BusyServeScope(const BusyServeScope&) = delete;
  BusyServeScope& operator=(const BusyServeScope&) = delete;
  // True while a scope is alive on this thread.
  static bool Active();

 private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

// Redis's sdscatrepr(): a quoted, escaped form of a string (MONITOR, CLIENT LIST cmd names).
void AppendQuoted(std::string* out, std::string_view s);

}  // namespace tessera::server
