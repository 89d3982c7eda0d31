// Functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/HELP and FCALL / FCALL_RO.
//
// A library is Lua code starting with "#!lua name=<lib>" that registers functions with
// redis.register_function.  FUNCTION LOAD runs the code in this worker's engine to learn (and
// check) its functions, then stores the library in the shared ScriptRegistry; every engine
// reloads the libraries when the registry's generation changes.  FCALL runs a function like
// EVAL runs a script (script_runner.h).  FUNCTION DUMP and RESTORE need the RDB payload
// format (crc64, RDB string encoding), which the persistence issue brings; until then they
// are not registered.  Functions live in memory only until RDB carries them.
#include <fmt/format.h>

#include "core/base/ascii.h"
#include "core/base/glob.h"
#include "core/base/numbers.h"
#include "core/base/split_args.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/script_runner.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using scripting::Library;

bool ValidLibraryName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

// Redis's functionExtractLibMetaData: "#!<engine> name=<lib>" on the first line.
bool ParseLibraryShebang(std::string_view code, std::string* engine, std::string* name,
                         size_t* shebang_len, std::string* error) {
  if (code.substr(0, 2) != "#!") {
    *error = "ERR Missing library metadata";
    return false;
  }
  size_t end = code.find('\n');
  if (end == std::string_view::npos) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  std::string_view line = code.substr(0, end);
  line = line.substr(0, line.find('\0'));
  std::vector<std::string> parts;
  if (!SplitArgs(line, &parts) || parts.empty()) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  *engine = parts[0].substr(2);
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 && EqualsNoCase(std::string_view(parts[i]).substr(0, 5), "name=")) {
      if (have_name) {
        *error = "ERR Invalid metadata value, name argument was given multiple times";
        return false;
      }
      *name = parts[i].substr(5);
      have_name = true;
      continue;
    }
    *error = "ERR Invalid metadata value given: " + parts[i];
    return false;
  }
  if (!have_name) {
    *error = "ERR Library name was not given";
    return false;
  }
  *shebang_len = end;
  return true;
}

void FunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t pos = 2;
  while (pos < ctx.args.size() - 1) {
    std::string_view arg = ctx.args[pos++];
    if (EqualsNoCase(arg, "replace")) {
      replace = true;
      continue;
    }
    return ctx.reply.Error(fmt::format("ERR Unknown option given: {}", CStringPrefix(arg)));
  }
  if (pos >= ctx.args.size()) return ctx.reply.Error("ERR Function code is missing");
  std::string_view code = ctx.args[pos];
  std::string engine_name, name, error;
  size_t shebang_len = 0;
  if (!ParseLibraryShebang(code, &engine_name, &name, &shebang_len, &error)) {
    return ctx.reply.Error(error);
  }
  if (!ValidLibraryName(name)) {
    return ctx.reply.Error(
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long");
  }
  if (!EqualsNoCase(engine_name, "lua")) {
    return ctx.reply.Error(fmt::format("ERR Engine '{}' not found", engine_name));
  }
  scripting::ScriptRegistry& registry = ctx.server.scripts();
  if (!replace && registry.HasLibrary(name)) {
    return ctx.reply.Error(fmt::format("ERR Library '{}' already exists", name));
  }
  Library lib;
  lib.name = name;
  lib.code = std::string(code);
  // Validate in this thread's engine without installing: the registry's new generation makes
  // every engine (this one included) load the library afresh.
  scripting::LuaEngine& engine = registry.EngineForThisThread();
  if (!engine.LoadLibrary(code.substr(shebang_len), /*install=*/false, &lib.functions, &error)) {
    return ctx.reply.Error("ERR " + error);
  }
  if (!registry.PutLibrary(std::move(lib), replace, &error)) return ctx.reply.Error(error);
  ctx.reply.Bulk(name);
}

void FunctionDelete(CommandContext& ctx) {
  if (!ctx.server.scripts().DeleteLibrary(std::string(ctx.args[2]))) {
    return ctx.reply.Error(errors::kLibraryNotFound);
  }
  ctx.reply.Ok();
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3 || (ctx.args.size() == 3 && !EqualsNoCase(ctx.args[2], "async") &&
                              !EqualsNoCase(ctx.args[2], "sync"))) {
    return ctx.reply.Error(errors::kFunctionFlushOption);
  }
  ctx.server.scripts().FlushLibraries();
  ctx.reply.Ok();
}

void FunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (!with_code && EqualsNoCase(ctx.args[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!pattern && EqualsNoCase(ctx.args[i], "libraryname")) {
      if (i >= ctx.args.size() - 1) {
        return ctx.reply.Error("ERR library name argument was not given");
      }
      pattern = ctx.args[++i];
      continue;
    }
    return ctx.reply.Error(fmt::format("ERR Unknown argument {}", CStringPrefix(ctx.args[i])));
  }
  std::vector<Library> libs = ctx.server.scripts().Libraries();
  size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  for (const Library& lib : libs) {
    if (pattern && !GlobMatch(*pattern, lib.name, /*nocase=*/true)) continue;
    ++n;
    ctx.reply.MapHeader(with_code ? 4 : 3);
    ctx.reply.Bulk("library_name");
    ctx.reply.Bulk(lib.name);
    ctx.reply.Bulk("engine");
    ctx.reply.Bulk("LUA");
    ctx.reply.Bulk("functions");
    ctx.reply.ArrayHeader(lib.functions.size());
    for (const scripting::FunctionInfo& f : lib.functions) {
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(f.name);
      ctx.reply.Bulk("description");
      if (f.description.empty()) {
        ctx.reply.Null();
      } else {
        ctx.reply.Bulk(f.description);
      }
      ctx.reply.Bulk("flags");
      std::vector<std::string_view> names = scripting::ScriptFlagNames(f.flags);
      ctx.reply.SetHeader(names.size());
      for (std::string_view flag : names) ctx.reply.SimpleString(flag);
    }
    if (with_code) {
      ctx.reply.Bulk("library_code");
      ctx.reply.Bulk(lib.code);
    }
  }
  ctx.reply.EndDeferred(at, 'A', n);
}

void FunctionStats(CommandContext& ctx) {
  scripting::ScriptRegistry& registry = ctx.server.scripts();
  bool running = registry.running();
  if (running && registry.running_eval()) return ctx.reply.Error(errors::kBusyScript);
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("running_script");
  if (!running) {
    ctx.reply.Null();
  } else {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(registry.running_name());
    ctx.reply.Bulk("command");
    std::vector<std::string> command = registry.running_command();
    ctx.reply.ArrayHeader(command.size());
    for (const std::string& arg : command) ctx.reply.Bulk(arg);
    ctx.reply.Bulk("duration_ms");
    ctx.reply.Integer((ctx.server.ScriptClockUs() - registry.running_since_us()) / 1000);
  }
  ctx.reply.Bulk("engines");
  ctx.reply.MapHeader(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.MapHeader(2);
  std::vector<Library> libs = registry.Libraries();
  size_t functions = 0;
  for (const Library& lib : libs) functions += lib.functions.size();
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(libs.size()));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(functions));
}

void FunctionKill(CommandContext& ctx) {
  using Kill = scripting::ScriptRegistry::KillResult;
  switch (ctx.server.scripts().RequestKill(/*eval=*/false)) {
    case Kill::kOk:
      return ctx.reply.Ok();
    case Kill::kNotBusy:
      return ctx.reply.Error(errors::kNotBusy);
    case Kill::kUnkillable:
      return ctx.reply.Error(errors::kUnkillable);
    case Kill::kWrongKind:
      return ctx.reply.Error(errors::kBusyScript);
  }
}

void FunctionHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
      "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void FcallGeneric(CommandContext& ctx, bool read_only) {
  std::string name(ctx.args[1]);
  auto found = ctx.server.scripts().FindFunction(name);
  if (!found) return ctx.reply.Error(errors::kFunctionNotFound);
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[2], &numkeys)) return ctx.reply.Error("ERR Bad number of keys provided");
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    return ctx.reply.Error(errors::kNumKeysTooBig);
  }
  if (numkeys < 0) return ctx.reply.Error(errors::kNumKeysNegative);
  // The engine was rebuilt with every library if they changed since it last ran.
  scripting::LuaEngine& engine = ctx.server.scripts().EngineForThisThread();
  if (!engine.HasFunction(name)) return ctx.reply.Error(errors::kFunctionNotFound);
  auto n = static_cast<size_t>(numkeys);
  ScriptRun run;
  run.name = found->second.name;  // as registered: names ignore case
  run.eval_mode = false;
  run.flags = found->second.flags;
  run.read_only = read_only;
  run.keys = ctx.args.subspan(3, n);
  run.argv = ctx.args.subspan(3 + n);
  RunScript(ctx, run);
}

void FcallCmd(CommandContext& ctx) { FcallGeneric(ctx, false); }
void FcallRoCmd(CommandContext& ctx) { FcallGeneric(ctx, true); }

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler h, std::string_view complexity,
                std::string_view summary, std::vector<ArgDoc> arguments = {}) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{}, kAclSlow | kAclScripting, h,
                  "scripting", "7.0.0", complexity, summary, std::move(arguments));
}

CommandSpec Fcall(std::string name, Handler handler, bool ro, std::string_view summary) {
  using namespace argdoc;
  uint32_t key_flags = ro ? (kKeyRO | kKeyAccess) : (kKeyRW | kKeyAccess | kKeyUpdate);
  CommandSpec spec = MakeSpec(
      std::move(name), -3, kNoScript | kSkipMonitor | kStale | (ro ? kReadOnly : kMayReplicate),
      KeySpec{}, kAclSlow | kAclScripting, handler, "scripting", "7.0.0",
      "Depends on the function that is executed.", summary,
      {Str("function"), Int("numkeys"), Key("key").Opt().Multi(), Str("arg").Opt().Multi()});
  spec.keys.flags = key_flags;
  spec.key_specs = {KeySpec{2, 0, 1, key_flags, {}, /*keynum=*/true}};
  spec.key_extractor = ScriptKeys;
  spec.locks_all_shards = LocksAllShards;
  return spec;
}

}  // namespace

void RegisterFunctionFamily(CommandTable* table) {
  using namespace argdoc;
  table->Add(Fcall("fcall", FcallCmd, false, "Invokes a function."));
  table->Add(Fcall("fcall_ro", FcallRoCmd, true, "Invokes a read-only function."));
  CommandSpec function;
  function.name = "function";
  function.arity = -2;
  function.acl = kAclSlow;
  function.summary = "A container for function commands.";
  function.since = "7.0.0";
  function.group = "scripting";
  function.complexity = "Depends on subcommand.";
  function.subcommands = {
      Sub("delete", 3, kNoScript | kWrite, FunctionDelete, "O(1)",
          "Deletes a library and its functions.", {Str("library-name")}),
      Sub("flush", -2, kNoScript | kWrite, FunctionFlush,
          "O(N) where N is the number of functions deleted", "Deletes all libraries and functions.",
          {OneOf("flush-type", {PureToken("async", "ASYNC"), PureToken("sync", "SYNC")}).Opt()}),
      Sub("help", 2, kLoading | kStale, FunctionHelp, "O(1)",
          "Returns helpful text about the "
          "different subcommands."),
      Sub("kill", 2, kNoScript | kAllowBusy, FunctionKill, "O(1)",
          "Terminates a function during execution."),
      Sub("list", -2, kNoScript, FunctionList, "O(N) where N is the number of functions",
          "Returns information about all libraries.",
          {Pattern("library-name-pattern").Tok("LIBRARYNAME").Opt(),
           PureToken("withcode", "WITHCODE").Opt()}),
      Sub("load", -3, kNoScript | kWrite | kDenyOom, FunctionLoad,
          "O(1) (considering compilation time is redundant)", "Creates a library.",
          {PureToken("replace", "REPLACE").Opt(), Str("function-code")}),
      Sub("stats", 2, kNoScript | kAllowBusy, FunctionStats, "O(1)",
          "Returns information about a function during execution."),
  };
  table->Add(std::move(function));
}

}  // namespace tessera::server
