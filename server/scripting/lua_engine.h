// One Lua 5.1 interpreter with Redis 7.2's scripting environment (EVAL scripts and FUNCTION
// libraries), the sandbox, and the conversions between Lua values and RESP.
//
// Ownership and threads: an engine belongs to one worker thread (script_registry.h hands each
// thread its own); nothing here is shared or locked.  Scripts are compiled into the engine
// from the shared script cache on first use, so every worker can run every script.
//
// Sandbox (shared/reference §1): only base, table, string, math, cjson, bit (Debian's), and
// cmsgpack and struct (ours) are loaded (no os, io, package, require, loadfile, dofile, print, debug).  Stock Lua
// 5.1 has no read-only tables (Redis patches its copy), so protection is built from proxies:
// the globals table and every library table a script can reach are empty tables whose
// metatable reads through to the real table and refuses writes with Redis's "Attempt to
// modify a readonly table"; setmetatable/rawset refuse proxies, getfenv never hands out the
// real globals, setfenv cannot replace a thread's globals or a C function's environment.  The
// string metatable is hidden behind a read-only view (CVE-2025-46818).  loadstring/load refuse
// bytecode; unpack and bit.tohex are bounded (CVE-2025-46817, CVE-2024-31449); cjson.encode
// refuses strings big enough to overflow its buffer arithmetic (CVE-2022-24834).
//
// Errors: a script error reaches the client as Redis words it, "ERR user_script:1: ... script:
// <sha>, on @user_script:1.", with CR/LF mapped to spaces (CVE-2025-67733).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/resp/reply_builder.h"

struct lua_State;

namespace tessera::server::scripting {

struct ReplyErrors;  // lua_convert.h
class LuaDebugger;   // lua_debugger.h

using ArgSpan = std::span<const std::string_view>;

// What a running script asks of whoever runs it (the EVAL/FCALL command code).
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // redis.call / redis.pcall: runs `args` as a command.  Either sets *error to Redis's
  // rejection text (e.g. "Unknown Redis command called from script"), or appends the
  // command's reply, in protocol `resp`, to *reply.
  virtual void Call(ArgSpan args, int resp, std::string* reply, std::string* error) = 0;
  // redis.acl_check_cmd: kUnknown if `args` names no command, else whether the script's
  // user may run it (command, keys and channels).
  enum class AclVerdict { kUnknown, kDenied, kAllowed };
  virtual AclVerdict CheckAcl(ArgSpan args) = 0;
  // Called every 100000 Lua instructions; true iff the script must stop (SCRIPT KILL).
  virtual bool Interrupted() = 0;
};

// A function registered by a library (FUNCTION LOAD): its name and Redis's flags.
struct FunctionInfo {
  std::string name;
  std::string description;  // "" when none
  uint32_t flags = 0;       // ScriptFlag bits (script_registry.h)
};

class LuaEngine {
 public:
  LuaEngine();
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // Compiles an EVAL script body (its shebang line already blanked) under `sha`.  Returns
  // false with Redis's "Error compiling script (new function): ..." text in *error.
  bool CompileScript(const std::string& sha, std::string_view body, std::string* error);
  bool HasScript(const std::string& sha) const;

  // EVAL's lookup without hashing the body: SHA-1 of a small script costs more than the rest
  // of its set-up, so the scripts this engine compiled are found by their exact body (and by
  // sha), with their flags and a registry reference to their function.  The engine is rebuilt
  // when SCRIPT FLUSH bumps the registry's generation, so an entry never outlives the shared
  // cache's entry it mirrors.
  struct EvalScript {
    std::string body;
    std::string sha;  // lower case
    uint32_t flags = 0;
    int ref = 0;  // the compiled function, in LUA_REGISTRYINDEX
  };
  const EvalScript* FindEvalByBody(std::string_view body) const;
  const EvalScript* FindEvalBySha(std::string_view sha) const;
  // Remembers a script CompileScript compiled under `sha`.  Returns null if it has not.
  const EvalScript* RememberEval(std::string_view body, const std::string& sha, uint32_t flags);

  // Runs a compiled script (`eval_mode`) or a library function with KEYS and ARGV, and writes
  // its result (or its error) to `reply`.  `name` is the sha or the function name, as error
  // texts show it.  `eval_ref` is the script's EvalScript::ref (0: found by name).  `resp`
  // starts at 2; the script may change it with redis.setresp.  The error replies written
  // are noted in *errors (for the error statistics) when given.
  void Run(std::string_view name, bool eval_mode, ArgSpan keys, ArgSpan argv, ScriptHost& host,
           bool with_hook, resp::ReplyBuilder& reply, int eval_ref = 0,
           ReplyErrors* errors = nullptr);
  // Run in a SCRIPT DEBUG session: `debugger`'s line hook replaces the busy hook.
  void RunDebugged(std::string_view name, bool eval_mode, ArgSpan keys, ArgSpan argv,
                   ScriptHost& host, resp::ReplyBuilder& reply, int eval_ref, ReplyErrors* errors,
                   LuaDebugger* debugger);

  // Runs library `code` (its shebang blanked) in a fresh sandbox where only
  // redis.register_function (and the logging API) exist, collecting the functions it
  // registers into *functions.  When `install` is true the functions also become callable in
  // this engine.  Returns false with Redis's error text in *error.
  bool LoadLibrary(std::string_view code, bool install, std::vector<FunctionInfo>* functions,
                   std::string* error);
  bool HasFunction(const std::string& name) const;

  // Bytes the interpreter uses (INFO used_memory_lua, FUNCTION STATS).
  size_t MemoryBytes() const;

 private:
  // Run and RunDebugged (`debugger` null iff !kDebug): the ordinary run has no debugger test.
  template <bool kDebug>
  void RunImpl(std::string_view name, bool eval_mode, ArgSpan keys, ArgSpan argv, ScriptHost& host,
               bool with_hook, resp::ReplyBuilder& reply, int eval_ref, ReplyErrors* errors,
               LuaDebugger* debugger);

  lua_State* L_;
  int runs_since_gc_ = 0;
  std::vector<std::unique_ptr<EvalScript>> evals_;
  std::unordered_map<std::string_view, const EvalScript*> evals_by_body_;  // views of evals_
  std::unordered_map<std::string_view, const EvalScript*> evals_by_sha_;
  bool eval_globals_set_ = false;  // KEYS and ARGV of the last EVAL are still set
};

}  // namespace tessera::server::scripting
