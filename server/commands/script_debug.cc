#include "server/commands/script_debug.h"

#include "core/base/ascii.h"
#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/errors.h"
#include "server/log.h"
#include "server/scripting/lua_debugger.h"
#include "server/server.h"

namespace tessera::server {

void ScriptDebugCommand(CommandContext& ctx) {
  // Redis's test: replies not yet written (a pipeline, or inside EXEC) refuse it, since the
  // session would write its own output ahead of them.
  if (ctx.client.control != nullptr && ctx.client.control->OutputBufferBytes() != 0) {
    return ctx.reply.Error(errors::kScriptDebugPipeline);
  }
  std::string_view mode = ctx.args[2];
  if (EqualsNoCase(mode, "no")) {
    ctx.client.lua_debug = ClientState::LuaDebug::kOff;
  } else if (EqualsNoCase(mode, "yes")) {
    ctx.client.lua_debug = ClientState::LuaDebug::kYes;
  } else if (EqualsNoCase(mode, "sync")) {
    ctx.client.lua_debug = ClientState::LuaDebug::kSync;
  } else {
    return ctx.reply.Error(errors::kScriptDebugOption);
  }
  ctx.reply.Ok();
}

void RunDebugSession(CommandContext& ctx,
                     void (*eval)(CommandContext&, bool, scripting::LuaDebugger*), bool read_only) {
  std::unique_ptr<scripting::DebugChannel> channel;
  if (ctx.client.control != nullptr) channel = ctx.client.control->OpenDebugChannel();
  if (channel == nullptr) return eval(ctx, read_only, nullptr);
  const bool sync = ctx.client.lua_debug == ClientState::LuaDebug::kSync;
  LogRaw(LogLevel::kNotice, sync
                                ? "Redis synchronous debugging eval session started"
                                : "Lua debugging eval session started (its writes will be undone)");
  int64_t threshold_ms = ctx.server.config().busy_reply_threshold.load(std::memory_order_relaxed);
  {
    scripting::LuaDebugger debugger(channel.get(), ctx.args[1], threshold_ms);
    eval(ctx, read_only, &debugger);
    debugger.EndSession();
  }
  LogRaw(LogLevel::kNotice, sync ? "Redis synchronous debugging eval session ended"
                                 : "Lua debugging eval session ended (its writes were undone)");
  // The end of the session is the end of the connection, after the EVAL's reply.
  ctx.client.lua_debug = ClientState::LuaDebug::kOff;
  ctx.client.control->CloseAfterReply();
}

}  // namespace tessera::server
