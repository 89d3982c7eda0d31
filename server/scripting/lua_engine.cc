#include "server/scripting/lua_engine.h"

extern "C" {
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

#include <climits>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/base/ascii.h"
#include "core/base/sha1.h"
#include "server/log.h"
#include "server/scripting/lua_convert.h"
#include "server/scripting/lua_debugger.h"
#include "server/scripting/lua_msgpack.h"
#include "server/scripting/lua_sandbox.h"
#include "server/scripting/lua_struct.h"
#include "server/scripting/script_registry.h"
#include "server/server.h"
#include "server/version.h"

namespace tessera::server::scripting {

namespace {

// Registry keys.
constexpr const char* kLoadKey = "tessera.load";            // light userdata: the LoadState
constexpr const char* kFunctionsKey = "tessera.functions";  // name -> function

// What redis.* functions need while a script runs.
struct RunState {
  ScriptHost* host;
  int resp = 2;
  bool killed = false;
  LuaDebugger* debugger = nullptr;  // SCRIPT DEBUG session (lua_debugger.h)
};

// While FUNCTION LOAD runs a library's code.
struct LoadState {
  std::vector<FunctionInfo>* functions;
  std::vector<int> refs;  // registry references of the callbacks, parallel to *functions
  int64_t deadline_us;
};

// The run of this thread's engine, or null outside LuaEngine::Run (an engine is used by its
// own thread only, and one script runs at a time on a thread).  A thread-local rather than a
// registry entry: every redis.call asks for it.
thread_local RunState* current_run = nullptr;

RunState* GetRun(lua_State*) { return current_run; }

LoadState* GetLoad(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadKey);
  auto* load = static_cast<LoadState*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return load;
}

// Pushes the error table for `message` and raises it.
int RaiseError(lua_State* L, std::string_view message) {
  PushErrorTable(L, message);
  return lua_error(L);
}

// ---- redis.call / redis.pcall ----

// The Lua arguments 1..n as command arguments in *args, each a view of a Lua string left on
// the stack (a number is replaced by its string in Redis's layout first), so they stay valid
// until the caller pops them.  Returns false (with the error table pushed) when there are
// none or one is not a string or number.
bool ArgsFromLua(lua_State* L, std::vector<std::string_view>* args) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushErrorTable(L, "Please specify at least one argument for this redis lib call");
    return false;
  }
  args->clear();
  for (int i = 1; i <= argc; ++i) {
    if (lua_type(L, i) == LUA_TNUMBER) {
      char buf[32];
      size_t n = FpconvDtoaForLua(lua_tonumber(L, i), buf);
      lua_pushlstring(L, buf, n);
      lua_replace(L, i);
    }
    size_t len = 0;
    const char* s = lua_type(L, i) == LUA_TSTRING ? lua_tolstring(L, i, &len) : nullptr;
    if (s == nullptr) {
      lua_settop(L, 0);
      PushErrorTable(L, "Lua redis lib command arguments must be strings or integers");
      return false;
    }
    args->emplace_back(s, len);
  }
  return true;
}

// redis.call's nesting on this thread (a debug hook calling redis.call from inside
// redis.call is refused, as Redis refuses it).
thread_local int call_depth = 0;

// A redis.call the host refused: its error table, marked as counted already.
void PushCallError(lua_State* L, std::string_view error) {
  PushErrorTable(L, error);
  lua_pushstring(L, "ignore_error_stats_update");
  lua_pushboolean(L, 1);
  lua_settable(L, -3);
}

// DoCall in a debugging session: while the user steps, the command and its reply are logged
// (Redis's ldbIsEnabled test).  Kept apart so that the ordinary call pays one test.
[[gnu::noinline]] bool DoCallDebugged(lua_State* L, RunState* run,
                                      const std::vector<std::string_view>& args,
                                      LuaDebugger* debugger) {
  const bool log = debugger->stepping();
  if (log) debugger->LogCommand(args);
  std::string reply;
  std::string error;
  ++call_depth;
  run->host->Call(args, run->resp, &reply, &error);
  --call_depth;
  lua_settop(L, 0);
  if (!error.empty()) {
    PushCallError(L, error);
    return true;
  }
  PushReply(L, reply);
  if (log) debugger->LogReply(reply);
  return !reply.empty() && reply[0] == '-';
}

// Lua errors are longjmps (Debian's Lua is C): the C++ objects of a call live in this inner
// function, and the caller raises only after they are gone.  Returns true iff the value
// pushed is an error to raise.
bool DoCall(lua_State* L, RunState* run) {
  // The argument views, reused from call to call (one call at a time per thread).
  thread_local std::vector<std::string_view> reused;
  std::vector<std::string_view> nested;
  std::vector<std::string_view>& args = call_depth == 0 ? reused : nested;
  if (!ArgsFromLua(L, &args)) return true;
  if (call_depth > 0) {
    lua_settop(L, 0);
    PushErrorTable(L,
                   "luaRedisGenericCommand() recursive call detected. "
                   "Are you doing funny stuff with Lua debug hooks?");
    return false;
  }
  if (run->debugger != nullptr) [[unlikely]] {
    return DoCallDebugged(L, run, args, run->debugger);
  }
  std::string reply;
  std::string error;
  ++call_depth;
  run->host->Call(args, run->resp, &reply, &error);
  --call_depth;
  lua_settop(L, 0);  // the arguments' strings are no longer needed
  if (!error.empty()) {
    PushCallError(L, error);
    return true;
  }
  PushReply(L, reply);
  return !reply.empty() && reply[0] == '-';
}

int GenericCall(lua_State* L, bool raise) {
  RunState* run = GetRun(L);
  if (run == nullptr) {
    return RaiseError(L, "redis.call/pcall can only be called inside a script invocation");
  }
  bool is_error = DoCall(L, run);
  if (raise && is_error) return lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return GenericCall(L, true); }
int RedisPcall(lua_State* L) { return GenericCall(L, false); }

// ---- the rest of the redis table ----

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s == nullptr ? std::string_view() : std::string_view(s, len));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  std::string err = lua_tostring(L, -1);  // stops at a NUL, as Redis's sdsnew
  if (err.empty() || err[0] != '-') err.insert(0, "-");
  PushErrorTable(L, err);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

constexpr int kReplAof = 1;
constexpr int kReplReplica = 2;

int RedisSetRepl(lua_State* L) {
  if (GetRun(L) == nullptr)
    return RaiseError(L, "redis.set_repl() can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.set_repl() requires one argument.");
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~(kReplAof | kReplReplica)) != 0) {
    return RaiseError(L,
                      "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                      "REPL_NONE.");
  }
  return 0;  // every effect goes to the write log once it exists; nothing to select yet
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// redis.breakpoint(): true (and a stop at the next line) iff a debugging session runs.
int RedisBreakpoint(lua_State* L) {
  LuaDebugger* debugger = LuaDebugger::Active();
  if (debugger != nullptr) debugger->RequestBreak();
  lua_pushboolean(L, debugger != nullptr);
  return 1;
}

// redis.debug(...): a log line in the debugging session, nothing without one.
int RedisDebug(lua_State* L) {
  if (LuaDebugger* debugger = LuaDebugger::Active()) debugger->LogDebugCall(L);
  return 0;
}

// 0: allowed, 1: arguments refused (error table pushed), 2: unknown command, 3: denied.
int CheckCmd(lua_State* L, RunState* run) {
  std::vector<std::string_view> args;
  if (!ArgsFromLua(L, &args)) return 1;
  ScriptHost::AclVerdict verdict = run->host->CheckAcl(args);
  lua_settop(L, 0);
  switch (verdict) {
    case ScriptHost::AclVerdict::kUnknown:
      return 2;
    case ScriptHost::AclVerdict::kDenied:
      return 3;
    case ScriptHost::AclVerdict::kAllowed:
      return 0;
  }
  return 2;
}

int RedisAclCheckCmd(lua_State* L) {
  RunState* run = GetRun(L);
  if (run == nullptr) {
    return RaiseError(L, "redis.acl_check_cmd can only be called inside a script invocation");
  }
  int result = CheckCmd(L, run);
  switch (result) {
    case 1:
      return lua_error(L);
    case 2:
      return RaiseError(L, "Invalid command passed to redis.acl_check_cmd()");
  }
  lua_pushboolean(L, result == 0);
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return RaiseError(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return RaiseError(L, "Invalid debug level.");
  auto log_level = static_cast<LogLevel>(level);
  if (log_level < GetLogLevel()) return 0;
  std::string line;
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (i != 2) line.push_back(' ');
    line.append(s, len);
  }
  LogRaw(log_level, line);
  return 0;
}

int RedisSetResp(lua_State* L) {
  RunState* run = GetRun(L);
  if (run == nullptr)
    return RaiseError(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.setresp() requires one argument.");
  int resp = static_cast<int>(lua_tonumber(L, -1));
  if (resp != 2 && resp != 3) return RaiseError(L, "RESP version must be 2 or 3.");
  run->resp = resp;
  return 0;
}

// ---- math.random: Redis's rand48, one sequence per engine ----

struct Rand48 {
  uint64_t x = 0x1234ABCD330EULL;
  int32_t Next() {
    x = (0x5DEECE66DULL * x + 0xB) & ((1ULL << 48) - 1);
    return static_cast<int32_t>(x >> 17);
  }
};

Rand48* GetRand(lua_State* L) {
  return static_cast<Rand48*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int MathRandom(lua_State* L) {
  constexpr int32_t kMax = INT32_MAX;
  lua_Number r = static_cast<lua_Number>(GetRand(L)->Next() % kMax) / kMax;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (static_cast<double>(u) - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  auto seed = static_cast<uint32_t>(luaL_checkint(L, 1));
  GetRand(L)->x = (uint64_t{seed} << 16) | 0x330E;
  return 0;
}

void SetFunction(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

// The redis table of EVAL and FCALL (`library` false) or of FUNCTION LOAD's library code.
void PushRedisTable(lua_State* L, bool library) {
  lua_newtable(L);
  if (!library) {
    SetFunction(L, "call", RedisCall);
    SetFunction(L, "pcall", RedisPcall);
    SetFunction(L, "setresp", RedisSetResp);
    SetFunction(L, "set_repl", RedisSetRepl);
    SetFunction(L, "replicate_commands", RedisReplicateCommands);
    SetFunction(L, "breakpoint", RedisBreakpoint);
    SetFunction(L, "debug", RedisDebug);
    SetFunction(L, "acl_check_cmd", RedisAclCheckCmd);
    SetNumber(L, "REPL_NONE", 0);
    SetNumber(L, "REPL_AOF", kReplAof);
    SetNumber(L, "REPL_SLAVE", kReplReplica);
    SetNumber(L, "REPL_REPLICA", kReplReplica);
    SetNumber(L, "REPL_ALL", kReplAof | kReplReplica);
  }
  SetFunction(L, "sha1hex", RedisSha1Hex);
  SetFunction(L, "error_reply", RedisErrorReply);
  SetFunction(L, "status_reply", RedisStatusReply);
  SetFunction(L, "log", RedisLog);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", 0x00070204);  // 7.2.4, as Redis packs it
}

// ---- FUNCTION LOAD: redis.register_function ----

uint32_t ParseFunctionFlags(lua_State* L, bool* ok) {
  uint32_t flags = 0;
  *ok = true;
  for (int j = 1;; ++j) {
    lua_pushnumber(L, j);
    lua_gettable(L, -2);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    uint32_t flag = lua_isstring(L, -1) ? ScriptFlagFromName(lua_tostring(L, -1)) : 0;
    lua_pop(L, 1);
    if (flag == 0) {
      *ok = false;
      return 0;
    }
    flags |= flag;
  }
  return flags;
}

// Reads redis.register_function's arguments; returns nullptr on success (the callback left on
// the stack top) or Redis's error text.
const char* ReadRegisterArgs(lua_State* L, FunctionInfo* info) {
  int argc = lua_gettop(L);
  if (argc < 1 || argc > 2) return "wrong number of arguments to redis.register_function";
  if (argc == 2) {
    if (!lua_isstring(L, 1)) return "first argument to redis.register_function must be a string";
    if (!lua_isfunction(L, 2)) {
      return "second argument to redis.register_function must be a function";
    }
    size_t len = 0;
    const char* name = lua_tolstring(L, 1, &len);
    info->name.assign(name, len);
    return nullptr;
  }
  if (!lua_istable(L, 1)) {
    return "calling redis.register_function with a single argument is only applicable to Lua "
           "table (representing named arguments).";
  }
  bool have_callback = false;
  bool have_name = false;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (!lua_isstring(L, -2))
      return "named argument key given to redis.register_function is not a string";
    std::string key = lua_tostring(L, -2);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "function_name") {
      if (!lua_isstring(L, -1)) {
        return "function_name argument given to redis.register_function must be a string";
      }
      size_t len = 0;
      const char* name = lua_tolstring(L, -1, &len);
      info->name.assign(name, len);
      have_name = true;
    } else if (key == "description") {
      if (!lua_isstring(L, -1)) {
        return "description argument given to redis.register_function must be a string";
      }
      size_t len = 0;
      const char* desc = lua_tolstring(L, -1, &len);
      info->description.assign(desc, len);
    } else if (key == "callback") {
      if (!lua_isfunction(L, -1)) {
        return "callback argument given to redis.register_function must be a function";
      }
      lua_pushvalue(L, -1);
      lua_setfield(L, LUA_REGISTRYINDEX, "tessera.callback");
      have_callback = true;
    } else if (key == "flags") {
      if (!lua_istable(L, -1)) {
        return "flags argument to redis.register_function must be a table representing "
               "function flags";
      }
      bool ok = false;
      info->flags = ParseFunctionFlags(L, &ok);
      if (!ok) return "unknown flag given";
    } else {
      return "unknown argument given to redis.register_function";
    }
    lua_pop(L, 1);
  }
  if (!have_name) return "redis.register_function must get a function name argument";
  if (!have_callback) return "redis.register_function must get a callback argument";
  lua_settop(L, 0);
  lua_getfield(L, LUA_REGISTRYINDEX, "tessera.callback");
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "tessera.callback");
  return nullptr;
}

bool ValidFunctionName(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

// Returns nullptr after registering the function, or the error to raise.
const char* RegisterFunction(lua_State* L, LoadState* load) {
  FunctionInfo info;
  if (const char* err = ReadRegisterArgs(L, &info)) return err;
  if (!ValidFunctionName(info.name)) {
    // Redis says "Library" here too.
    return "Library names can only contain letters, numbers, or underscores(_) and must be at "
           "least one character long";
  }
  for (const FunctionInfo& f : *load->functions) {
    if (AsciiLower(f.name) == AsciiLower(info.name))
      return "Function already exists in the library";
  }
  load->refs.push_back(luaL_ref(L, LUA_REGISTRYINDEX));  // pops the callback
  load->functions->push_back(std::move(info));
  return nullptr;
}

int RedisRegisterFunction(lua_State* L) {
  LoadState* load = GetLoad(L);
  if (load == nullptr) {
    return RaiseError(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  if (const char* err = RegisterFunction(L, load)) return RaiseError(L, err);
  return 0;
}

void LoadHook(lua_State* L, lua_Debug*) {
  LoadState* load = GetLoad(L);
  if (load != nullptr && Server::MonotonicUs() > load->deadline_us) {
    lua_sethook(L, LoadHook, LUA_MASKLINE, 0);
    RaiseError(L, "FUNCTION LOAD timeout");
  }
}

// ---- running ----

void RunHook(lua_State* L, lua_Debug*) {
  RunState* run = GetRun(L);
  if (run == nullptr) return;
  if (run->killed || run->host->Interrupted()) {
    run->killed = true;
    // From now on every line raises again, so a pcall in the script cannot swallow it.
    lua_sethook(L, RunHook, LUA_MASKLINE, 0);
    RaiseError(L, "Script killed by user with SCRIPT KILL...");
  }
}

// The hook of a debugged script (every line, and every 100000 instructions).
void DebugHook(lua_State* L, lua_Debug* ar) {
  RunState* run = GetRun(L);
  if (run == nullptr || run->debugger == nullptr) return;
  const char* error = run->debugger->OnHook(L, ar);
  if (error != nullptr) RaiseError(L, error);
}

void PushArray(lua_State* L, ArgSpan items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

}  // namespace

LuaEngine::LuaEngine() : L_(luaL_newstate()) {
  lua_State* L = L_;
  // The libraries Redis loads, minus debug (our error handler is written in C).
  const std::pair<const char*, lua_CFunction> kLibs[] = {
      {"", luaopen_base},
      {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string},
      {LUA_MATHLIBNAME, luaopen_math},
      {"cjson", luaopen_cjson},
      {"bit", luaopen_bit},
  };
  for (const auto& [name, open] : kLibs) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    // Debian's cjson returns its table without setting a global; name every module here.
    if (name[0] != '\0' && lua_istable(L, -1)) {
      lua_setglobal(L, name);
    } else {
      lua_pop(L, 1);
    }
  }
  OpenMsgpack(L);
  OpenStruct(L);
  // Globals Redis removes (luaopen_base defines them).
  for (const char* name : {"print", "dofile", "loadfile", "require", "module"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  PushRedisTable(L, /*library=*/false);
  lua_setglobal(L, "redis");
  lua_getglobal(L, "math");
  auto* rand = static_cast<Rand48*>(lua_newuserdata(L, sizeof(Rand48)));
  new (rand) Rand48();
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, MathRandom, 1);
  lua_setfield(L, -3, "random");
  lua_pushcclosure(L, MathRandomSeed, 1);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  // The `redis` table library code sees while FUNCTION LOAD runs it (lua_sandbox.h).
  PushRedisTable(L, /*library=*/true);
  SetFunction(L, "register_function", RedisRegisterFunction);
  InstallSandbox(L);  // pops the library table
}

LuaEngine::~LuaEngine() { lua_close(L_); }

size_t LuaEngine::MemoryBytes() const {
  return static_cast<size_t>(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<size_t>(lua_gc(L_, LUA_GCCOUNTB, 0));
}

bool LuaEngine::CompileScript(const std::string& sha, std::string_view body, std::string* error) {
  lua_State* L = L_;
  ResetGlobals(L);
  if (LoadChunk(L, body, "@user_script") != 0) {
    *error = "Error compiling script (new function): ";
    *error += lua_tostring(L, -1);
    lua_pop(L, 1);
    return false;
  }
  std::string key = "f_" + sha;
  lua_setfield(L, LUA_REGISTRYINDEX, key.c_str());
  return true;
}

bool LuaEngine::HasScript(const std::string& sha) const {
  std::string key = "f_" + sha;
  lua_getfield(L_, LUA_REGISTRYINDEX, key.c_str());
  bool found = lua_isfunction(L_, -1);
  lua_pop(L_, 1);
  return found;
}

bool LuaEngine::HasFunction(const std::string& name) const {
  lua_getfield(L_, LUA_REGISTRYINDEX, kFunctionsKey);
  lua_getfield(L_, -1, AsciiLower(name).c_str());
  bool found = lua_isfunction(L_, -1);
  lua_pop(L_, 2);
  return found;
}

const LuaEngine::EvalScript* LuaEngine::FindEvalByBody(std::string_view body) const {
  auto it = evals_by_body_.find(body);
  return it == evals_by_body_.end() ? nullptr : it->second;
}

const LuaEngine::EvalScript* LuaEngine::FindEvalBySha(std::string_view sha) const {
  auto it = evals_by_sha_.find(sha);
  return it == evals_by_sha_.end() ? nullptr : it->second;
}

const LuaEngine::EvalScript* LuaEngine::RememberEval(std::string_view body, const std::string& sha,
                                                     uint32_t flags) {
  if (const EvalScript* known = FindEvalBySha(sha)) return known;
  lua_State* L = L_;
  lua_getfield(L, LUA_REGISTRYINDEX, ("f_" + sha).c_str());
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return nullptr;
  }
  auto script = std::make_unique<EvalScript>();
  script->body = std::string(body);
  script->sha = sha;
  script->flags = flags;
  script->ref = luaL_ref(L, LUA_REGISTRYINDEX);  // pops the function
  const EvalScript* added = evals_.emplace_back(std::move(script)).get();
  evals_by_body_.emplace(added->body, added);
  evals_by_sha_.emplace(added->sha, added);
  return added;
}

template <bool kDebug>
[[gnu::always_inline]] inline void LuaEngine::RunImpl(std::string_view name, bool eval_mode,
                                                      ArgSpan keys, ArgSpan argv, ScriptHost& host,
                                                      bool with_hook, resp::ReplyBuilder& reply,
                                                      int eval_ref, ReplyErrors* errors,
                                                      LuaDebugger* debugger) {
  lua_State* L = L_;
  ResetGlobals(L);
  lua_settop(L, 0);
  RunState run{&host};
  RunState* outer_run = std::exchange(current_run, &run);
  if constexpr (kDebug) {
    run.debugger = debugger;
    LuaDebugger::SetActive(debugger);
    lua_sethook(L, DebugHook, LUA_MASKLINE | LUA_MASKCOUNT, 100000);
    with_hook = true;
  } else if (with_hook) {
    lua_sethook(L, RunHook, LUA_MASKCOUNT, 100000);
  }

  lua_pushcfunction(L, ErrorHandler);
  int nargs = 0;
  if (eval_mode) {
    if (eval_ref != 0) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, eval_ref);
    } else {
      lua_getfield(L, LUA_REGISTRYINDEX, ("f_" + std::string(name)).c_str());
    }
    PushRealGlobals(L);
    PushArray(L, keys);
    lua_setfield(L, -2, "KEYS");
    PushArray(L, argv);
    lua_setfield(L, -2, "ARGV");
    lua_pop(L, 1);
    eval_globals_set_ = true;
  } else {
    // Functions have no KEYS or ARGV (as in Redis, where they live in a Lua state of their
    // own): the last EVAL's are removed first.
    if (eval_globals_set_) {
      lua_pushnil(L);
      SetRealGlobal(L, "KEYS");
      lua_pushnil(L);
      SetRealGlobal(L, "ARGV");
      eval_globals_set_ = false;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
    lua_getfield(L, -1, AsciiLower(name).c_str());  // function names ignore case
    lua_remove(L, -2);
    PushArray(L, keys);
    PushArray(L, argv);
    nargs = 2;
  }
  int err = lua_pcall(L, nargs, 1, 1);
  if (with_hook) lua_sethook(L, nullptr, 0, 0);
  if (err != 0) {
    ReplyScriptError(L, name, reply, errors);
  } else {
    LuaToReply(L, run.resp, reply, errors);
  }
  lua_settop(L, 0);
  current_run = outer_run;
  if constexpr (kDebug) LuaDebugger::SetActive(nullptr);
  // KEYS and ARGV stay until the next run replaces them (an EVAL) or removes them (an FCALL),
  // as in Redis, which never clears them: nothing else runs code in between.
  // As Redis: a small GC step every 50 runs keeps garbage from piling up between scripts.
  if (++runs_since_gc_ >= 50) {
    lua_gc(L, LUA_GCSTEP, 50);
    runs_since_gc_ = 0;
  }
}

void LuaEngine::Run(std::string_view name, bool eval_mode, ArgSpan keys, ArgSpan argv,
                    ScriptHost& host, bool with_hook, resp::ReplyBuilder& reply, int eval_ref,
                    ReplyErrors* errors) {
  RunImpl<false>(name, eval_mode, keys, argv, host, with_hook, reply, eval_ref, errors, nullptr);
}

void LuaEngine::RunDebugged(std::string_view name, bool eval_mode, ArgSpan keys, ArgSpan argv,
                            ScriptHost& host, resp::ReplyBuilder& reply, int eval_ref,
                            ReplyErrors* errors, LuaDebugger* debugger) {
  RunImpl<true>(name, eval_mode, keys, argv, host, true, reply, eval_ref, errors, debugger);
}

bool LuaEngine::LoadLibrary(std::string_view code, bool install,
                            std::vector<FunctionInfo>* functions, std::string* error) {
  lua_State* L = L_;
  ResetGlobals(L);
  lua_settop(L, 0);
  if (LoadChunk(L, code, "@user_function") != 0) {
    *error = "Error compiling function: ";
    *error += lua_tostring(L, -1);
    lua_settop(L, 0);
    return false;
  }
  LoadState load{functions, {}, Server::MonotonicUs() + 500000};
  lua_pushlightuserdata(L, &load);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadKey);
  SetLibraryLoading(L, true);
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, 100000);
  int err = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, nullptr, 0, 0);
  SetLibraryLoading(L, false);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadKey);
  bool ok = err == 0;
  if (!ok) {
    *error = "Error registering functions: " + ErrorMessage(L);
  } else if (functions->empty()) {
    *error = "No functions registered";
    ok = false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  for (size_t i = 0; i < load.refs.size(); ++i) {
    if (ok && install) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, load.refs[i]);
      lua_setfield(L, -2, AsciiLower((*functions)[i].name).c_str());
    }
    luaL_unref(L, LUA_REGISTRYINDEX, load.refs[i]);
  }
  lua_settop(L, 0);
  return ok;
}

}  // namespace tessera::server::scripting
