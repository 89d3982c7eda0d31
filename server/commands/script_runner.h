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
// command fails with Redis's error), then runs it.  REQUIRES: the dispatcher locked the
// declared keys' shards (every shard when LocksAllShards, or inside EXEC); they are held
// again, and only they, on return.  The script is compiled in this thread's engine.
void RunScript(CommandContext& ctx, const ScriptRun& run);

// The keys of EVAL/FCALL-style arguments: numkeys at index 2, the keys after it.
bool ScriptKeys(ArgList args, std::vector<int>* out);
// True iff the script declares no key: the dispatcher then locks every shard.
bool LocksAllShards(ArgList args);
// EVAL, EVALSHA, FCALL and their _RO forms (EXEC runs them holding every shard).
bool IsScriptCommand(const CommandSpec& spec);

}  // namespace tessera::server
