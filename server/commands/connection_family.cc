// Connection commands: PING ECHO QUIT RESET AUTH HELLO CLIENT MONITOR SHUTDOWN.
#include <fmt/format.h>

#include <algorithm>

#include "core/base/glob.h"
#include "server/acl/acl_check.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/script_runner.h"
#include "server/replication/replica.h"
#include "server/server.h"
#include "server/version.h"

namespace tessera::server {

namespace {

constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

void Ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.reply.Error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  // A RESP2 subscriber gets ["pong", message-or-empty], the only reply shape it can read.
  if (ctx.client.in_pubsub && ctx.client.resp == 2) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : std::string_view());
    return;
  }
  if (ctx.args.size() == 2) {
    ctx.reply.Bulk(ctx.args[1]);
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

void Echo(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

void Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  if (ctx.client.control) ctx.client.control->CloseAfterReply();
}

// Logs the client in as `user` if `pass` opens it; else logs the failure (ACL LOG, reason
// "auth") and returns false.
bool TryAuthenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  std::shared_ptr<const acl::User> u = ctx.server.acl().Authenticate(user, pass);
  if (u == nullptr) {
    LogAuthFailure(ctx.server, ctx.client, user, ctx.args[0]);
    return false;
  }
  AuthenticateClient(ctx.server, ctx.client, std::move(u));
  return true;
}

void Auth(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  ctx.redacted_args.push_back(1);
  std::string_view user = "default";
  std::string_view pass = ctx.args[1];
  if (ctx.args.size() == 3) {
    user = ctx.args[1];
    pass = ctx.args[2];
    ctx.redacted_args.push_back(2);
  } else {
    std::shared_ptr<const acl::User> d = ctx.server.acl().default_user();
    if (d != nullptr && d->nopass()) {
      ctx.reply.Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
  }
  if (!TryAuthenticate(ctx, user, pass)) {
    ctx.reply.Error(errors::kWrongPass);
    return;
  }
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return c >= '!' && c <= '~'; });
}

void ReplyHello(CommandContext& ctx) {
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client.resp);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk(ctx.server.replica_link().is_replica() ? "replica" : "master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

void Hello(CommandContext& ctx) {
  int64_t version = 0;
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    if (!ParseInt64(ctx.args[1], &version)) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version < 2 || version > 3) {
      ctx.reply.Error(errors::kNoProto);
      return;
    }
    i = 2;
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (; i < ctx.args.size(); ++i) {
    size_t more = ctx.args.size() - i - 1;
    if (EqualsNoCase(ctx.args[i], "auth") && more >= 2) {
      user = ctx.args[i + 1];
      pass = ctx.args[i + 2];
      has_auth = true;
      // Kept out of SLOWLOG, as Redis redacts them.
      ctx.redacted_args.push_back(static_cast<int>(i + 1));
      ctx.redacted_args.push_back(static_cast<int>(i + 2));
      i += 2;
    } else if (EqualsNoCase(ctx.args[i], "setname") && more >= 1) {
      name = ctx.args[i + 1];
      has_name = true;
      i += 1;
    } else {
      ctx.reply.Error(
          fmt::format("ERR Syntax error in HELLO option '{}'", CStringPrefix(ctx.args[i])));
      return;
    }
  }
  if (has_auth) {
    if (!TryAuthenticate(ctx, user, pass)) {
      ctx.reply.Error(errors::kWrongPass);
      return;
    }
  }
  if (!ctx.client.authenticated && ctx.server.acl().DefaultRequiresAuth()) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (has_name) {
    if (!ValidClientName(name)) {
      ctx.reply.Error(kBadClientName);
      return;
    }
    ctx.server.clients().SetName(&ctx.client, std::string(name));
  }
  if (version != 0) {
    ctx.client.resp = static_cast<int>(version);
    ctx.reply.set_protocol(ctx.client.resp);
  }
  ReplyHello(ctx);
}

void Reset(CommandContext& ctx) {
  ClientState& c = ctx.client;
  c.db = 0;
  c.resp = 2;
  ctx.reply.set_protocol(2);
  c.reply_mode = ReplyMode::kOn;
  c.no_evict = false;
  c.no_touch = false;
  c.in_multi = false;
  c.multi_dirty = false;
  c.queued.clear();
  c.NoteMulti(false);
  c.watch_expiries.clear();
  ctx.server.watches().UnwatchAll(c.id);
  ctx.server.tracking().Disable(c);
  ctx.server.pubsub().UnsubscribeAll(c);  // silently, as Redis
  // Back to `default`, logged in only if it needs no password (Redis's clientSetDefaultAuth).
  c.authenticated = !ctx.server.acl().DefaultRequiresAuth();
  if (c.user_name != "default") ctx.server.clients().SetUserName(&c, "default");
  c.user = nullptr;
  c.acl_epoch = 0;
  ctx.server.clients().SetName(&c, "");
  ctx.reply.SimpleString("RESET");
}

void Monitor(CommandContext& ctx) {
  if (ctx.client.control == nullptr) {
    ctx.reply.Error("ERR MONITOR is not available on this connection");
    return;
  }
  ctx.client.control->BecomeMonitor();
  ctx.reply.Ok();
}

void Shutdown(CommandContext& ctx) {
  ShutdownRequest req;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsNoCase(a, "nosave")) {
      req.nosave = true;
    } else if (EqualsNoCase(a, "save")) {
      req.save = true;
    } else if (EqualsNoCase(a, "now")) {
      req.now = true;
    } else if (EqualsNoCase(a, "force")) {
      req.force = true;
    } else if (EqualsNoCase(a, "abort") && ctx.args.size() == 2) {
      ctx.reply.Error("ERR No shutdown in progress.");
      return;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  if (req.nosave && req.save) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  // Past busy-reply-threshold only SHUTDOWN NOSAVE goes on (Redis): a save would need the
  // shard locks the script holds.
  if (!req.nosave && ScriptTimedOut(ctx.server)) {
    ctx.reply.Error(BusyScriptError(ctx.server));
    return;
  }
  std::string error;
  if (!ctx.server.request_shutdown || !ctx.server.request_shutdown(req, &error)) {
    ctx.reply.Error(error.empty() ? "ERR Errors trying to SHUTDOWN. Check logs." : error);
    return;
  }
  // On success Redis sends no reply: the connection closes with the server.
  if (ctx.client.control) ctx.client.control->CloseAfterReply();
}

}  // namespace

// CLIENT subcommands live in client_command.cc.
void AddClientCommand(CommandTable* table);

void RegisterConnectionFamily(CommandTable* table) {
  auto add = [&](std::string name, int arity, uint32_t flags, uint64_t acl, Handler h,
                 std::string_view summary, std::string_view since,
                 std::string_view group = "connection") {
    table->Add(MakeSpec(std::move(name), arity, flags, KeySpec{}, acl, h, group, since, "O(1)",
                        summary));
  };
  add("ping", -1, kFast | kSentinel | kPubSubContext, kAclFast | kAclConnection, Ping,
      "Answers PONG, or echoes the given message.", "1.0.0");
  add("echo", 2, kLoading | kStale | kFast, kAclFast | kAclConnection, Echo,
      "Answers with the argument it was sent.", "1.0.0");
  add("quit", -1, kAllowBusy | kNoAuth | kNoScript | kLoading | kStale | kFast | kPubSubContext,
      kAclFast | kAclConnection, Quit, "Closes the connection after replying.", "1.0.0");
  add("auth", -2, kNoScript | kLoading | kStale | kFast | kNoAuth | kSentinel | kAllowBusy,
      kAclFast | kAclConnection, Auth, "Logs the connection in with a password (and a user name).",
      "1.0.0");
  add("hello", -1, kNoScript | kLoading | kStale | kFast | kNoAuth | kSentinel | kAllowBusy,
      kAclFast | kAclConnection, Hello,
      "Negotiates the protocol version and returns details about the server.", "6.0.0");
  add("reset", 1,
      kNoScript | kLoading | kStale | kFast | kNoAuth | kSentinel | kAllowBusy | kPubSubContext,
      kAclFast | kAclConnection, Reset, "Resets the connection to its initial state.", "6.2.0");
  add("monitor", 1, kAdmin | kNoScript | kLoading | kStale, kAclAdmin | kAclSlow | kAclDangerous,
      Monitor, "Streams every command the server runs to this connection.", "1.0.0", "server");
  add("shutdown", -1, kAdmin | kNoScript | kLoading | kStale | kNoMulti | kSentinel | kAllowBusy,
      kAclAdmin | kAclSlow | kAclDangerous, Shutdown, "Stops the server, closing every connection.",
      "1.0.0", "server");
  AddClientCommand(table);
}

}  // namespace tessera::server
