// FUNCTION: the parts that are true without a scripting engine.
//
// Tessera has no Lua engine yet, so no library can ever be loaded: FUNCTION FLUSH has nothing
// to delete and FUNCTION LIST has nothing to list, which are exactly Redis's answers for an
// empty function registry.  FUNCTION LOAD and the rest are not registered (unknown
// subcommand) until scripting exists.  The Redis test suite sends FUNCTION FLUSH before every
// server block.
#include <fmt/format.h>

#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"

namespace tessera::server {

namespace {

void FunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() == 3 && !EqualsNoCase(ctx.args[2], "async") &&
      !EqualsNoCase(ctx.args[2], "sync")) {
    ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.reply.Ok();
}

void FunctionList(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (EqualsNoCase(ctx.args[i], "withcode")) continue;
    if (EqualsNoCase(ctx.args[i], "libraryname") && i + 1 < ctx.args.size()) {
      ++i;
      continue;
    }
    ctx.reply.Error(fmt::format("ERR Unknown argument {}", CStringPrefix(ctx.args[i])));
    return;
  }
  ctx.reply.ArrayHeader(0);
}

void FunctionHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LIST [LIBRARYNAME <library_name_pattern>] [WITHCODE]",
      "    Return general information on all the libraries (none can be loaded: this server",
      "    has no scripting engine yet).",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler h,
                std::string_view summary) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{}, kAclSlow | kAclScripting, h,
                  "scripting", "7.0.0", "O(N) where N is the number of functions", summary);
}

}  // namespace

void RegisterScriptingFamily(CommandTable* table) {
  CommandSpec function;
  function.name = "function";
  function.arity = -2;
  function.acl = kAclSlow;
  function.summary = "A container for function commands.";
  function.since = "7.0.0";
  function.group = "scripting";
  function.complexity = "Depends on subcommand.";
  function.subcommands = {
      Sub("flush", -2, kWrite | kNoScript, FunctionFlush, "Deletes all function libraries."),
      Sub("list", -2, kNoScript, FunctionList, "Lists the function libraries."),
      Sub("help", 2, kLoading | kStale, FunctionHelp, "Lists the FUNCTION subcommands."),
  };
  table->Add(std::move(function));
}

}  // namespace tessera::server
