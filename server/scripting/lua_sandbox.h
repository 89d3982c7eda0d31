// The sandbox of a Redis scripting engine built from stock Lua 5.1 (see lua_engine.h for the
// list of what it refuses and why).  Read-only tables are proxies: an empty table whose
// metatable reads through to the real table (`__index`) and raises "Attempt to modify a
// readonly table" on writes (`__newindex`); its `__metatable` is a read-only view, so
// getmetatable() never hands out a writable metatable.
#pragma once

#include <string>
#include <string_view>

#include "core/resp/reply_builder.h"
#include "server/scripting/lua_convert.h"

struct lua_State;

namespace tessera::server::scripting {

// Protects everything the globals reach, installs the wrappers, hides the string metatable
// and makes the read-only globals proxy the thread's globals.  Pops the library API `redis`
// table from the stack top.  Call once, after every library is loaded.
void InstallSandbox(lua_State* L);

// Puts the read-only globals back as the thread's globals (a script may have called
// setfenv(0, ...)); called before every compile and run.
void ResetGlobals(lua_State* L);

// luaL_loadbuffer of a text chunk; a precompiled (bytecode) chunk is refused.  Returns 0 or
// a lua_load error status with the message pushed.
int LoadChunk(lua_State* L, std::string_view code, const char* chunkname);

// Pops the value on top and stores it as global `name` behind the protection (KEYS, ARGV).
void SetRealGlobal(lua_State* L, const char* name);
// Pushes the real globals table, behind the protection (to set several at once).
void PushRealGlobals(lua_State* L);

// While `loading` (FUNCTION LOAD runs a library's code), the globals show only the library
// API (`redis` with register_function), as in Redis.
void SetLibraryLoading(lua_State* L, bool loading);

// Replaces the table on top of the stack with its read-only proxy.
void ProtectTable(lua_State* L);

// lua_pcall message handler (Redis's __redis__err__handler): makes any error a table
// {err="ERR ...", source=..., line=...} naming where the script failed.
int ErrorHandler(lua_State* L);

// The message of the error on top (a string, or an error table's `err`), as Redis's
// luaExtractErrorInformation gives it.
std::string ErrorMessage(lua_State* L);

// Pops the error of a failed run and writes Redis's reply for it: "<err> script: <name>, on
// <source>:<line>." when the handler located it.  The error is noted in *errors when given.
void ReplyScriptError(lua_State* L, std::string_view name, resp::ReplyBuilder& reply,
                      ReplyErrors* errors = nullptr);

}  // namespace tessera::server::scripting
