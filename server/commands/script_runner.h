// Runs one EVAL script or FCALL function for one client (shared by scripting_family.cc and
// function_family.cc).
//
// Atomicity: the command (EVAL, EVALSHA, FCALL and their _RO forms) locks every shard, in
// ascending order, before the script starts, like EXEC, and marks its thread as holding them
// (ShardMutex::ScopedAllShardsHeld), so each redis.call goes through the ordinary Dispatch()
// path (arity, flags, statistics, MONITOR, blocked clients, WATCH) with its own shard
// locking becoming a no-op.  No other command of any worker sees a script half done.
//
// Why not lock only the declared KEYS' shards: scripts touch keys they did not declare
// (libraries build names from a prefix), and a script that wrote and then needs a shard it
// does not hold can neither wait for it out of order (deadlock with a command holding it and
// waiting, in order, for one of ours) nor restart (its writes are visible to itself and would
// repeat) without an undo log of every write.  Growing by try_lock and restarting before the
// first write handles the common cases but not that one, so it is left for a follow-up with
// an undo log; correctness first.  Scripts therefore run one at a time, as in Redis, while
// commands without scripts keep running in parallel between them.
//
// Busy scripts: the running script is registered in ScriptRegistry; other clients' commands
// wait for it by polling their shard locks and get -BUSY once it has run past
// busy-reply-threshold (dispatcher.cc); SCRIPT KILL / FUNCTION KILL from another worker sets
// a flag the script's instruction hook checks every 100000 instructions.  Clients of the
// worker running the script wait for it (Redis serves them from inside the hook; libuv's loop
// cannot be re-entered from a callback), so with io-threads 1 a script that never ends can
// only be stopped by the signal that stops the server.
#pragma once

#include <cstdint>
#include <string>

#include "server/commands/command.h"
#include "server/scripting/lua_engine.h"

namespace tessera::server {

struct ScriptRun {
  std::string name;        // sha (EVAL) or function name (FCALL)
  bool eval_mode = true;   // EVAL/EVALSHA (KEYS and ARGV globals) or FCALL
  uint32_t flags = 0;      // scripting::ScriptFlag bits
  bool read_only = false;  // EVAL_RO, EVALSHA_RO, FCALL_RO
  scripting::ArgSpan keys;
  scripting::ArgSpan argv;
};

// Checks the script's flags against the command (a script that may write run by an _RO
// command fails with Redis's error), then runs it.  REQUIRES: every shard locked by the
// dispatcher (the spec's locks_all_shards); the script is compiled in this thread's engine.
void RunScript(CommandContext& ctx, const ScriptRun& run);

// The keys of EVAL/FCALL-style arguments: numkeys at index 2, the keys after it.
bool ScriptKeys(ArgList args, std::vector<int>* out);
bool LocksAllShards(ArgList args);

}  // namespace tessera::server
