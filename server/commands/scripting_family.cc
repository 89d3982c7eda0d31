// EVAL scripts: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/DEBUG/HELP
// (SCRIPT DEBUG and the debugging session: script_debug.h).
//
// A script is named by the SHA-1 of its body and kept in the shared cache (ScriptRegistry);
// each worker compiles it into its own Lua engine on first use.  How a script runs (every
// shard locked, redis.call through Dispatch, busy handling) is script_runner.h.  FUNCTION and
// FCALL are function_family.cc.
#include <fmt/format.h>

#include "core/base/ascii.h"
#include "core/base/numbers.h"
#include "core/base/sha1.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/dispatcher.h"
#include "server/commands/errors.h"
#include "server/commands/script_debug.h"
#include "server/commands/script_runner.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using scripting::CachedScript;

using scripting::LuaEngine;

// Compiles `body` into this thread's engine under `sha` and caches it.  Returns null after
// replying Redis's error.
const LuaEngine::EvalScript* CreateScript(CommandContext& ctx, const std::string& sha,
                                          std::string_view body) {
  std::string error;
  size_t shebang_len = 0;
  uint32_t flags = 0;
  if (!scripting::ParseEvalShebang(body, &flags, &shebang_len, &error)) {
    ctx.reply.Error(error);
    return nullptr;
  }
  LuaEngine& engine = ctx.server.scripts().EngineForThisThread();
  if (!engine.CompileScript(sha, scripting::ScriptSource(body, shebang_len), &error)) {
    ctx.reply.Error("ERR " + error);
    return nullptr;
  }
  ctx.server.scripts().AddScript(sha, std::string(body), flags);
  return engine.RememberEval(body, sha, flags);
}

// The cached script compiled into this thread's engine (its first use on this thread).
const LuaEngine::EvalScript* CompileCached(CommandContext& ctx, const std::string& sha,
                                           const CachedScript& script) {
  LuaEngine& engine = ctx.server.scripts().EngineForThisThread();
  if (!engine.HasScript(sha)) {
    size_t shebang_len = 0;
    uint32_t flags = 0;
    std::string error;
    scripting::ParseEvalShebang(script.body, &flags, &shebang_len, &error);
    engine.CompileScript(sha, scripting::ScriptSource(script.body, shebang_len), &error);
  }
  return engine.RememberEval(script.body, sha, script.flags);
}

// The script to run: this thread's engine knows it (by body for EVAL, by sha for EVALSHA,
// without SHA-1 or the shared cache's lock), else from the shared cache, else (EVAL) new.
// Returns null after replying an error.
[[gnu::always_inline]] inline const LuaEngine::EvalScript* FindOrCreateScript(CommandContext& ctx,
                                                                              bool evalsha) {
  LuaEngine& engine = ctx.server.scripts().EngineForThisThread();
  std::string sha;
  if (evalsha) {
    sha = AsciiLower(ctx.args[1]);
    if (const LuaEngine::EvalScript* known = engine.FindEvalBySha(sha)) return known;
  } else {
    if (const LuaEngine::EvalScript* known = engine.FindEvalByBody(ctx.args[1])) return known;
    sha = Sha1Hex(ctx.args[1]);
  }
  std::optional<CachedScript> cached = ctx.server.scripts().FindScript(sha);
  if (cached) {
    const LuaEngine::EvalScript* compiled = CompileCached(ctx, sha, *cached);
    if (compiled == nullptr) ctx.reply.Error(errors::kNoScript);  // it failed to compile
    return compiled;
  }
  if (evalsha) {
    ctx.reply.Error(errors::kNoScript);
    return nullptr;
  }
  return CreateScript(ctx, sha, ctx.args[1]);
}

// EVAL's work after the debug-mode check; `debugger`: the session's (script_debug.h), or null.
// Inlined in both callers, so that the ordinary EVAL costs what it did before debugging.
[[gnu::always_inline]] inline void EvalBody(CommandContext& ctx, bool evalsha, bool read_only,
                                            scripting::LuaDebugger* debugger) {
  int64_t numkeys = 0;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &numkeys)) return;
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    return ctx.reply.Error(errors::kNumKeysTooBig);
  }
  if (numkeys < 0) return ctx.reply.Error(errors::kNumKeysNegative);
  const LuaEngine::EvalScript* script = FindOrCreateScript(ctx, evalsha);
  if (script == nullptr) return;
  auto n = static_cast<size_t>(numkeys);
  ScriptRun run;
  run.name = script->sha;
  run.eval_ref = script->ref;
  run.eval_mode = true;
  run.flags = script->flags;
  run.read_only = read_only;
  run.keys = ctx.args.subspan(3, n);
  run.argv = ctx.args.subspan(3 + n);
  run.debugger = debugger;
  RunScript(ctx, run);
}

[[gnu::noinline]] void EvalDebugged(CommandContext& ctx, bool read_only,
                                    scripting::LuaDebugger* debugger) {
  EvalBody(ctx, false, read_only, debugger);
}

void EvalGeneric(CommandContext& ctx, bool evalsha, bool read_only) {
  FeedMonitorsBeforeScript(ctx.server, ctx.client, ctx.args);
  if (evalsha && ctx.args[1].size() != 40) return ctx.reply.Error(errors::kNoScript);
  if (ctx.client.lua_debug != ClientState::LuaDebug::kOff) [[unlikely]] {
    if (evalsha) return ctx.reply.Error(errors::kScriptDebugEvalsha);
    return RunDebugSession(ctx, EvalDebugged, read_only);
  }
  EvalBody(ctx, evalsha, read_only, nullptr);
}

void EvalCmd(CommandContext& ctx) { EvalGeneric(ctx, false, false); }
void EvalRoCmd(CommandContext& ctx) { EvalGeneric(ctx, false, true); }
void EvalShaCmd(CommandContext& ctx) { EvalGeneric(ctx, true, false); }
void EvalShaRoCmd(CommandContext& ctx) { EvalGeneric(ctx, true, true); }

// ---- SCRIPT ----

void ScriptLoad(CommandContext& ctx) {
  std::string sha = Sha1Hex(ctx.args[2]);
  std::optional<CachedScript> script = ctx.server.scripts().FindScript(sha);
  if (!script && CreateScript(ctx, sha, ctx.args[2]) == nullptr) return;
  ctx.reply.Bulk(sha);
}

void ScriptExists(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    // Redis's script dictionary compares shas without case.
    ctx.reply.Integer(ctx.server.scripts().HasScript(AsciiLower(ctx.args[i])) ? 1 : 0);
  }
}

void ScriptFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3 || (ctx.args.size() == 3 && !EqualsNoCase(ctx.args[2], "sync") &&
                              !EqualsNoCase(ctx.args[2], "async"))) {
    return ctx.reply.Error(errors::kScriptFlushOption);
  }
  const bool async =
      ctx.args.size() == 3
          ? EqualsNoCase(ctx.args[2], "async")
          : ctx.server.config().lazyfree_lazy_user_flush.load(std::memory_order_relaxed);
  ctx.server.scripts().FlushScripts(async ? &ctx.server.lazy_free() : nullptr);
  ctx.reply.Ok();
}

void ReplyKill(CommandContext& ctx, bool eval) {
  using Kill = scripting::ScriptRegistry::KillResult;
  switch (ctx.server.scripts().RequestKill(eval)) {
    case Kill::kOk:
      return ctx.reply.Ok();
    case Kill::kNotBusy:
      return ctx.reply.Error(errors::kNotBusy);
    case Kill::kUnkillable:
      return ctx.reply.Error(errors::kUnkillable);
    case Kill::kWrongKind:
      return ctx.reply.Error(eval ? errors::kBusyFunction : errors::kBusyScript);
  }
}

void ScriptKill(CommandContext& ctx) { ReplyKill(ctx, /*eval=*/true); }

void ScriptHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

CommandSpec Eval(std::string name, Handler handler, bool ro, bool sha, std::string_view since,
                 std::string_view summary) {
  using namespace argdoc;
  CommandSpec spec = MakeSpec(std::move(name), -3,
                              kNoScript | kSkipMonitor | kStale | (ro ? kReadOnly : kMayReplicate),
                              KeySpec{}, kAclSlow | kAclScripting, handler, "scripting", since,
                              "The cost of the script run.", summary,
                              {Str(sha ? "sha1" : "script"), Int("numkeys"),
                               Key("key").Opt().Multi(), Str("arg").Opt().Multi()});
  SetScriptKeys(&spec, ro);
  if (sha) spec.key_specs[0].notes = {};  // Redis's EVALSHA specs carry no notes
  return spec;
}

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler h, std::string_view since,
                std::string_view complexity, std::string_view summary,
                std::vector<ArgDoc> arguments = {}) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{}, kAclSlow | kAclScripting, h,
                  "scripting", since, complexity, summary, std::move(arguments));
}

}  // namespace

void RegisterFunctionFamily(CommandTable* table);

void RegisterScriptingFamily(CommandTable* table) {
  using namespace argdoc;
  table->Add(Eval("eval", EvalCmd, false, false, "2.6.0",
                  "Runs a Lua script atomically, with keys and arguments."));
  table->Add(Eval("evalsha", EvalShaCmd, false, true, "2.6.0",
                  "Runs a cached Lua script named by its SHA-1."));
  table->Add(
      Eval("eval_ro", EvalRoCmd, true, false, "7.0.0", "Runs a Lua script that may not write."));
  table->Add(Eval("evalsha_ro", EvalShaRoCmd, true, true, "7.0.0",
                  "Runs a cached Lua script by its SHA-1; it may not write."));

  CommandSpec script = MakeContainerSpec("script", "scripting", "2.6.0",
                                         "Subcommands that manage the script cache.");
  script.subcommands = {
      Sub("debug", 3, kNoScript, ScriptDebugCommand, "3.2.0", "O(1)",
          "Selects the script debugger's mode for the client's next EVAL.",
          {OneOf("mode",
                 {PureToken("yes", "YES"), PureToken("sync", "SYNC"), PureToken("no", "NO")})}),
      Sub("exists", -3, kNoScript, ScriptExists, "2.6.0", "O(N) for N hashes checked.",
          "Tells which of the given SHA-1s are cached scripts.", {Str("sha1").Multi()}),
      Sub("flush", -2, kNoScript, ScriptFlush, "2.6.0", "O(N) in the number of cached scripts.",
          "Empties the script cache.",
          {OneOf("flush-type", {PureToken("async", "ASYNC"), PureToken("sync", "SYNC")}).Opt()}),
      Sub("help", 2, kLoading | kStale, ScriptHelp, "5.0.0", "O(1)",
          "Lists the subcommands with a line on each."),
      Sub("kill", 2, kNoScript | kAllowBusy, ScriptKill, "2.6.0", "O(1)",
          "Stops the running script, if it has not written yet."),
      Sub("load", 3, kNoScript | kStale, ScriptLoad, "2.6.0", "O(N) in the script's length.",
          "Caches a script without running it and returns its SHA-1.", {Str("script")}),
  };
  table->Add(std::move(script));
  RegisterFunctionFamily(table);
}

}  // namespace tessera::server
