// Runs one EVAL script or FCALL function for one client (shared by scripting_family.cc and
// function_family.cc).
//
// Atomicity: a script holds the shards of its declared KEYS (the dispatcher locks them, in
// ascending order, like any command's), or every shard when it declares none, runs inside
// EXEC, or once had to restart.  Each redis.call goes through the ordinary Dispatch() path
// (arity, flags, statistics, MONITOR, blocked clients, WATCH) with its thread marked as
// holding the script's shards (ShardMutex::ScopedShardsHeld / ScopedAllShardsHeld), so the
// call's own shard locking is a no-op.  A call that needs a shard the script does not hold
// takes it with try_lock; when that fails, the attempt is undone and the script runs again
// holding every shard.  script_locks.h is the mechanism (and why not the alternatives).  No
// other command of any worker sees a script half done, and scripts on disjoint shards run
// at once on different workers.
//
// Busy scripts: the running script is registered in ScriptRegistry.  Once it has run past
// busy-reply-threshold it is "timed out", as Redis says, and every other client gets -BUSY
// except for the allow-busy commands (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, MULTI,
// AUTH, HELLO...).  SCRIPT KILL / FUNCTION KILL set a flag that the script's instruction hook
// (every 100000 instructions) turns into the script's error.
//  - Other workers: a command that meets the script's shard locks waits for them in slices of
//    a millisecond and answers -BUSY once the script is timed out (dispatcher.cc's ShardLocks
//    and ExecLocks; EXEC answers Redis's "EXECABORT ... because of: BUSY ...").
//  - The script's own worker: its loop is inside the callback that runs the script, and
//    libuv's uv_run cannot be entered again from there.  So, as Redis's processEventsWhileBlocked
//    does, the hook itself serves the worker's other clients each time it is called once the
//    script is timed out (Host::Interrupted -> ConnectionControl::ServeOthersWhileScriptBusy ->
//    net::Worker::ServeWhileScriptBusy): one poll(2) over the listening sockets and the other
//    connections, accept and read with plain system calls, the ordinary Process() and
//    Dispatch(), then the replies' writes.  BusyServeScope keeps the script's pending write
//    log effects and ready keys apart from what is served, and answers -BUSY before any
//    served command could lock a shard (the script holds them; the thread must never lock a
//    shard it holds); eviction is skipped while a script is timed out, as in Redis.  The
//    script's own connection is neither read nor flushed meanwhile (its pipelined commands
//    wait; if it disconnects, that is seen once the script ends).  Timers, the inbox and the
//    cron of that worker wait for the script, as Redis's time events do.  One difference
//    from Redis: WATCH, allowed while busy, answers -BUSY (its key's shard is the script's).
//  Rejected: running each script on a stack of its own (ucontext or a small fiber) and
//  switching back to the loop from the hook.  The whole loop would then run beside a half-done
//  script whose thread holds the shard locks: every callback (cron expiry and eviction, save
//  points, inbox tasks, timers) would need to learn to keep off the shards, the script's
//  connection would need a suspended state (closes, buffer resizes, flushes, pushes deferred),
//  and every EVAL would pay two stack switches.  Serving from the hook touches only client I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/commands/command.h"
#include "server/scripting/lua_engine.h"

namespace tessera::server {

struct ScriptRun {
  std::string_view name;   // sha (EVAL) or function name (FCALL); outlives the run
  int eval_ref = 0;        // EVAL: the engine's reference to the script (LuaEngine::EvalScript)
  bool eval_mode = true;   // EVAL/EVALSHA (KEYS and ARGV globals) or FCALL
  uint32_t flags = 0;      // scripting::ScriptFlag bits
  bool read_only = false;  // EVAL_RO, EVALSHA_RO, FCALL_RO
  scripting::ArgSpan keys;
  scripting::ArgSpan argv;
  // SCRIPT DEBUG: the session's debugger (script_debug.h), null for an ordinary run.
  scripting::LuaDebugger* debugger = nullptr;
};

// Checks the script's flags against the command (a script that may write run by an _RO
// command fails with Redis's error), then runs it.  A debugged run (`run.debugger`) holds
// every shard for its whole session and, for SCRIPT DEBUG YES, undoes its writes at the end
// (script_debug.h).  REQUIRES: the dispatcher locked the
// declared keys' shards (every shard when LocksAllShards, or inside EXEC); they are held
// again, and only they, on return.  The script is compiled in this thread's engine.
void RunScript(CommandContext& ctx, const ScriptRun& run);

// True iff a script runs and has run past busy-reply-threshold (Redis's scriptIsTimedout).
bool ScriptTimedOut(Server& server);
// The -BUSY error for the script running now (SCRIPT KILL's or FUNCTION KILL's wording).
std::string_view BusyScriptError(Server& server);

// The keys of EVAL/FCALL-style arguments: numkeys at index 2, the keys after it.
bool ScriptKeys(ArgList args, std::vector<int>* out);
// Gives an EVAL/FCALL-style command (read-only when `ro`) its keys: the key spec COMMAND
// shows, ScriptKeys, LocksAllShards and the no_mandatory_keys flag.
void SetScriptKeys(CommandSpec* spec, bool ro);
// True iff the script declares no key: the dispatcher then locks every shard.
bool LocksAllShards(ArgList args);
// EVAL, EVALSHA, FCALL and their _RO forms (EXEC runs them holding every shard).
bool IsScriptCommand(const CommandSpec& spec);

}  // namespace tessera::server
