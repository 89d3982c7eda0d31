// SCRIPT DEBUG YES|SYNC|NO and the debugging session an EVAL then runs in (Redis's LDB; the
// protocol and the debugger are server/scripting/lua_debugger.h).
//
// A session belongs to the EVAL of a client in debug mode: it starts before the EVAL parses
// its arguments, its script runs with the debugger's line hook, and it ends with
// "<endsession>", the EVAL's reply, and the client closed (Redis's ldbEndSession).  The
// worker serving the client runs the session: it reads the client's socket synchronously
// (connection_debug.cc) and holds every shard while the script runs, so no command of any
// worker sees the keyspace until the session ends, as no client of Redis is served during a
// synchronous session.
//
// SYNC keeps the script's writes, as Redis.  YES: Redis forks, the child runs the session
// and its changes vanish with it while the parent goes on serving.  We do not fork: a YES
// session runs like a SYNC one and its writes are undone when it ends (before-images taken
// before each write, keyspace/undo.h; write-log records, ready keys and keyspace events cut;
// script_locks.h's UndoOnly).  Differences from Redis, in server/scripting/README.md.
#pragma once

#include "server/commands/command.h"

namespace tessera::server {

namespace scripting {
class LuaDebugger;
}

// SCRIPT DEBUG's handler.
void ScriptDebugCommand(CommandContext& ctx);

// EVAL/EVAL_RO of a client in debug mode: opens the session, calls `eval` with its debugger
// (null when the client has no socket to debug on: the script then runs undebugged), ends
// the session and marks the client to close after the reply.
void RunDebugSession(CommandContext& ctx,
                     void (*eval)(CommandContext&, bool read_only,
                                  scripting::LuaDebugger* debugger),
                     bool read_only);

}  // namespace tessera::server
