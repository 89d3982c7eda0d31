// Functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/HELP and FCALL / FCALL_RO.
//
// A library is Lua code starting with "#!lua name=<lib>" that registers functions with
// redis.register_function.  FUNCTION LOAD runs the code in this worker's engine to learn (and
// check) its functions, then stores the library in the shared ScriptRegistry; every engine
// reloads the libraries when the registry's generation changes.  FCALL runs a function like
// EVAL runs a script (script_runner.h).  FUNCTION DUMP and RESTORE use Redis's DUMP payload
// (each library as RDB opcode FUNCTION2 + its code as an RDB string, then RDB version 11 and
// a CRC-64); we write strings uncompressed and read LZF-compressed ones, so payloads move
// between Redis and Tessera both ways.  Functions live in memory only until RDB carries them.
#include <fmt/format.h>

#include "core/base/ascii.h"
#include "core/base/crc64.h"
#include "core/base/glob.h"
#include "core/base/lzf.h"
#include "core/base/numbers.h"
#include "core/base/split_args.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/dispatcher.h"
#include "server/commands/errors.h"
#include "server/commands/function_family.h"
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

// Checks and compiles library `code` (in this thread's engine, without installing it), as
// FUNCTION LOAD and RESTORE do.  Returns false with Redis's error text.
bool CompileLibrary(Server& server, std::string_view code, Library* lib, std::string* error) {
  std::string engine_name;
  size_t shebang_len = 0;
  if (!ParseLibraryShebang(code, &engine_name, &lib->name, &shebang_len, error)) return false;
  if (!ValidLibraryName(lib->name)) {
    *error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return false;
  }
  if (!EqualsNoCase(engine_name, "lua")) {
    *error = fmt::format("ERR Engine '{}' not found", engine_name);
    return false;
  }
  lib->code = std::string(code);
  scripting::LuaEngine& engine = server.scripts().EngineForThisThread();
  if (!engine.LoadLibrary(code.substr(shebang_len), /*install=*/false, &lib->functions, error)) {
    *error = "ERR " + *error;
    return false;
  }
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
  std::string error;
  Library lib;
  std::string engine_name;
  size_t shebang_len = 0;
  // The name is checked against the registry before the code runs, as in Redis.
  if (ParseLibraryShebang(code, &engine_name, &lib.name, &shebang_len, &error) &&
      ValidLibraryName(lib.name) && EqualsNoCase(engine_name, "lua") && !replace &&
      ctx.server.scripts().HasLibrary(lib.name)) {
    return ctx.reply.Error(fmt::format("ERR Library '{}' already exists", lib.name));
  }
  lib = Library();
  if (!CompileLibrary(ctx.server, code, &lib, &error)) return ctx.reply.Error(error);
  std::string name = lib.name;
  if (!ctx.server.scripts().PutLibrary(std::move(lib), replace, &error)) {
    return ctx.reply.Error(error);
  }
  ctx.dirty++;
  ctx.reply.Bulk(name);
}

// ---- DUMP / RESTORE ----

constexpr unsigned char kRdbOpcodeFunction2 = 245;
constexpr unsigned char kRdbOpcodeFunctionPreGa = 246;
constexpr uint16_t kRdbVersion = 11;  // Redis 7.2

void AppendRdbString(std::string* out, std::string_view s) {
  uint64_t n = s.size();
  if (n < 64) {
    out->push_back(static_cast<char>(n));
  } else if (n < 16384) {
    out->push_back(static_cast<char>(0x40 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  out->append(s);
}

// An RDB length (or, with *encoded, a string encoding) at data[*pos], below `end`.
bool ReadRdbLength(std::string_view data, size_t* pos, size_t end, uint64_t* len, bool* encoded) {
  if (*pos >= end) return false;
  auto b = static_cast<unsigned char>(data[(*pos)++]);
  *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3f;
      return true;
    case 1:
      if (*pos >= end) return false;
      *len = ((uint64_t{b} & 0x3f) << 8) | static_cast<unsigned char>(data[(*pos)++]);
      return true;
    case 2: {
      int bytes = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (bytes == 0 || end - *pos < static_cast<size_t>(bytes)) return false;
      *len = 0;
      for (int i = 0; i < bytes; ++i)
        *len = (*len << 8) | static_cast<unsigned char>(data[(*pos)++]);
      return true;
    }
    default:
      *encoded = true;
      *len = b & 0x3f;
      return true;
  }
}

bool ReadRdbString(std::string_view data, size_t* pos, size_t end, std::string* out) {
  uint64_t len = 0;
  bool encoded = false;
  if (!ReadRdbLength(data, pos, end, &len, &encoded)) return false;
  if (!encoded) {
    if (end - *pos < len) return false;
    out->assign(data.substr(*pos, len));
    *pos += len;
    return true;
  }
  if (len <= 2) {  // INT8, INT16, INT32, little-endian
    size_t bytes = size_t{1} << len;
    if (end - *pos < bytes) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(data[*pos + i])) << (8 * i);
    }
    *pos += bytes;
    int64_t signed_v = bytes == 1   ? static_cast<int8_t>(v)
                       : bytes == 2 ? static_cast<int16_t>(v)
                                    : static_cast<int32_t>(v);
    *out = std::to_string(signed_v);
    return true;
  }
  if (len != 3) return false;  // only LZF remains
  uint64_t clen = 0;
  uint64_t ulen = 0;
  bool enc = false;
  if (!ReadRdbLength(data, pos, end, &clen, &enc) || enc) return false;
  if (!ReadRdbLength(data, pos, end, &ulen, &enc) || enc) return false;
  if (end - *pos < clen || ulen > (uint64_t{1} << 32)) return false;
  bool ok = LzfDecompress(data.substr(*pos, clen), ulen, out);
  *pos += clen;
  return ok;
}

void FunctionDump(CommandContext& ctx) {
  std::string payload;
  for (const Library& lib : ctx.server.scripts().Libraries()) {
    payload.push_back(static_cast<char>(kRdbOpcodeFunction2));
    AppendRdbString(&payload, lib.code);
  }
  payload.push_back(static_cast<char>(kRdbVersion & 0xff));
  payload.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  ctx.reply.Bulk(payload);
}

// Redis's verifyDumpPayload: RDB version and CRC-64 footer.
bool DumpPayloadOk(std::string_view data) {
  if (data.size() < 10) return false;
  const auto* footer = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 10);
  uint16_t version = static_cast<uint16_t>(footer[0] | (footer[1] << 8));
  if (version > kRdbVersion) return false;
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) crc |= static_cast<uint64_t>(footer[2 + i]) << (8 * i);
  return Crc64(0, data.substr(0, data.size() - 8)) == crc;
}

void FunctionRestore(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    return ctx.reply.Error(
        fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION "
                    "HELP.",
                    CStringPrefix(ctx.args[1]).substr(0, 128)));
  }
  enum { kAppend, kReplace, kFlush } policy = kAppend;
  if (ctx.args.size() == 4) {
    if (EqualsNoCase(ctx.args[3], "append")) {
      policy = kAppend;
    } else if (EqualsNoCase(ctx.args[3], "replace")) {
      policy = kReplace;
    } else if (EqualsNoCase(ctx.args[3], "flush")) {
      policy = kFlush;
    } else {
      return ctx.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::string_view data = ctx.args[2];
  if (!DumpPayloadOk(data))
    return ctx.reply.Error("ERR DUMP payload version or checksum are wrong");
  std::vector<Library> libs;
  size_t pos = 0;
  size_t end = data.size() - 10;
  std::string error;
  while (pos < end) {
    auto type = static_cast<unsigned char>(data[pos++]);
    if (type == kRdbOpcodeFunctionPreGa) {
      return ctx.reply.Error("ERR Pre-GA function format not supported");
    }
    if (type != kRdbOpcodeFunction2) return ctx.reply.Error("ERR given type is not a function");
    std::string code;
    if (!ReadRdbString(data, &pos, end, &code)) {
      return ctx.reply.Error("ERR Failed loading library payload");
    }
    Library lib;
    if (!CompileLibrary(ctx.server, code, &lib, &error)) return ctx.reply.Error(error);
    for (const Library& other : libs) {
      if (other.name == lib.name) {
        return ctx.reply.Error(fmt::format("ERR Library '{}' already exists", lib.name));
      }
    }
    libs.push_back(std::move(lib));
  }
  if (policy == kFlush) {
    ctx.server.scripts().SetLibraries(std::move(libs));
  } else if (!ctx.server.scripts().JoinLibraries(std::move(libs), policy == kReplace, &error)) {
    return ctx.reply.Error(error);
  }
  ctx.dirty++;
  ctx.reply.Ok();
}

void FunctionDelete(CommandContext& ctx) {
  if (!ctx.server.scripts().DeleteLibrary(std::string(ctx.args[2]))) {
    return ctx.reply.Error(errors::kLibraryNotFound);
  }
  ctx.dirty++;
  ctx.reply.Ok();
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    return ctx.reply.Error(
        fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION "
                    "HELP.",
                    CStringPrefix(ctx.args[1]).substr(0, 128)));
  }
  if (ctx.args.size() == 3 && !EqualsNoCase(ctx.args[2], "async") &&
      !EqualsNoCase(ctx.args[2], "sync")) {
    return ctx.reply.Error(errors::kFunctionFlushOption);
  }
  const bool async =
      ctx.args.size() == 3
          ? EqualsNoCase(ctx.args[2], "async")
          : ctx.server.config().lazyfree_lazy_user_flush.load(std::memory_order_relaxed);
  ctx.server.scripts().FlushLibraries(async ? &ctx.server.lazy_free() : nullptr);
  ctx.dirty++;
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
  FeedMonitorsBeforeScript(ctx.server, ctx.client, ctx.args);
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
  CommandSpec spec = MakeSpec(
      std::move(name), -3, kNoScript | kSkipMonitor | kStale | (ro ? kReadOnly : kMayReplicate),
      KeySpec{}, kAclSlow | kAclScripting, handler, "scripting", "7.0.0",
      "The cost of the function run.", summary,
      {Str("function"), Int("numkeys"), Key("key").Opt().Multi(), Str("arg").Opt().Multi()});
  SetScriptKeys(&spec, ro);
  return spec;
}

}  // namespace

bool LoadLibraryCode(Server& server, std::string_view code, bool replace, std::string* error) {
  Library lib;
  if (!CompileLibrary(server, code, &lib, error)) return false;
  return server.scripts().PutLibrary(std::move(lib), replace, error);
}

void RegisterFunctionFamily(CommandTable* table) {
  using namespace argdoc;
  table->Add(Fcall("fcall", FcallCmd, false,
                   "Runs a function of a loaded library, with keys and arguments."));
  table->Add(Fcall("fcall_ro", FcallRoCmd, true,
                   "Runs a function flagged no-writes; allowed where writes are not."));
  CommandSpec function =
      MakeContainerSpec("function", "scripting", "7.0.0",
                        "Subcommands that load, list, dump and remove function libraries.");
  function.subcommands = {
      Sub("delete", 3, kNoScript | kWrite, FunctionDelete, "O(1)",
          "Removes a library with all its functions.", {Str("library-name")}),
      Sub("dump", 2, kNoScript, FunctionDump, "O(N) for N functions.",
          "Serializes every library into one payload for FUNCTION RESTORE."),
      Sub("flush", -2, kNoScript | kWrite, FunctionFlush, "O(N) for N functions removed.",
          "Removes every library.",
          {OneOf("flush-type", {PureToken("async", "ASYNC"), PureToken("sync", "SYNC")}).Opt()}),
      Sub("help", 2, kLoading | kStale, FunctionHelp, "O(1)",
          "Lists the subcommands with a line on each."),
      Sub("kill", 2, kNoScript | kAllowBusy, FunctionKill, "O(1)",
          "Stops the running function, if it has not written yet."),
      Sub("list", -2, kNoScript, FunctionList, "O(N) for N functions.",
          "Lists the libraries, their functions and flags, optionally with code.",
          {Pattern("library-name-pattern").Tok("LIBRARYNAME").Opt(),
           PureToken("withcode", "WITHCODE").Opt()}),
      Sub("load", -3, kNoScript | kWrite | kDenyOom, FunctionLoad,
          "O(1) apart from compiling the library.",
          "Loads a library of Lua functions from its source.",
          {PureToken("replace", "REPLACE").Opt(), Str("function-code")}),
      Sub("restore", -3, kNoScript | kWrite | kDenyOom, FunctionRestore,
          "O(N) for the N functions in the payload.",
          "Loads the libraries of a FUNCTION DUMP payload.",
          {Str("serialized-value"),
           OneOf("policy", {PureToken("flush", "FLUSH"), PureToken("append", "APPEND"),
                            PureToken("replace", "REPLACE")})
               .Opt()}),
      Sub("stats", 2, kNoScript | kAllowBusy, FunctionStats, "O(1)",
          "Tells which function or script is running and the engines' counts."),
  };
  table->Add(std::move(function));
}

}  // namespace tessera::server
