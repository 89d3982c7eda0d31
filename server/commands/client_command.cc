// CLIENT and its subcommands.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "server/blocking.h"
#include "server/commands/args.h"
#include "server/commands/client_info.h"
#include "server/commands/client_tracking.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/replication/primary.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// How long CLIENT UNBLOCK waits for the unblocked client's worker to count its command.
constexpr int kUnblockCountWaitMs = 1000;

constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// Client types of CLIENT LIST/KILL TYPE.  Masters do not exist yet (we are no one's replica).
enum class ClientType { kNormal, kPubSub, kReplica, kMaster };

// Parses a type name; false for an unknown one.
bool ParseClientType(std::string_view t, ClientType* out) {
  if (EqualsNoCase(t, "normal")) {
    *out = ClientType::kNormal;
  } else if (EqualsNoCase(t, "pubsub")) {
    *out = ClientType::kPubSub;
  } else if (EqualsNoCase(t, "replica") || EqualsNoCase(t, "slave")) {
    *out = ClientType::kReplica;
  } else if (EqualsNoCase(t, "master")) {
    *out = ClientType::kMaster;
  } else {
    return false;
  }
  return true;
}

ClientType TypeOf(const ClientState& c) {
  if (c.replica) return ClientType::kReplica;
  if (c.master) return ClientType::kMaster;
  return c.HasSubscriptions() ? ClientType::kPubSub : ClientType::kNormal;
}

// In Redis's order (catClientInfoString); client tracking adds its t/R/B after b.
std::string ClientFlags(Server& server, const ClientState& c) {
  std::string f;
  // Redis's order (catClientInfoString).
  if (c.replica) f += 'S';
  if (c.master) f += 'M';
  if (c.monitor) f += 'O';
  if (c.HasSubscriptions()) f += 'P';
  if (c.multi_count.load(std::memory_order_relaxed) >= 0) f += 'x';
  if (server.blocking().IsBlocked(c.id)) f += 'b';
  AppendTrackingFlags(c, &f);
  if (server.watches().watched_keys() > 0 && server.watches().IsDirty(c.id)) f += 'd';
  if (c.is_unix) f += 'U';
  if (c.no_evict) f += 'e';
  if (c.no_touch) f += 'T';
  return f.empty() ? "N" : f;
}

}  // namespace

std::string ClientInfoLine(Server& server, const ClientState& c, int64_t now_ms) {
  std::string cmd = "NULL";
  int id = c.last_command_id.load(std::memory_order_relaxed);
  if (id >= 0) cmd = server.commands().all()[static_cast<size_t>(id)]->full_name;
  ConnectionControl::BufferInfo b;
  if (c.control != nullptr) b = c.control->Buffers();
  uint64_t multi_mem = c.multi_mem.load(std::memory_order_relaxed);
  size_t tot_mem = c.control != nullptr ? c.control->TotalMemoryBytes() : 0;
  tot_mem += multi_mem;
  int64_t last = c.last_interaction_ms.load(std::memory_order_relaxed);
  // Redis prints idle and age from its cached second, so both count whole seconds.
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} "
      "ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} "
      "oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={} lib-name={} "
      "lib-ver={}",
      c.id, c.addr, c.laddr, c.fd, c.name, (now_ms - c.created_ms) / 1000, (now_ms - last) / 1000,
      ClientFlags(server, c), c.db, c.sub_count.load(std::memory_order_relaxed),
      c.psub_count.load(std::memory_order_relaxed), c.ssub_count.load(std::memory_order_relaxed),
      c.multi_count.load(std::memory_order_relaxed), b.qbuf, b.qbuf_free, b.argv_mem, multi_mem,
      b.rbs, b.rbp, b.obl, b.oll, b.omem, tot_mem, b.writing ? "rw" : "r", cmd, c.user_name,
      TrackingRedirectField(c), c.resp, c.lib_name, c.lib_ver);
}

namespace {

// How long CLIENT LIST waits for the other workers to run their pending input.
constexpr int kListSyncWaitMs = 100;

void ClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.client.id)); }

bool ValidName(std::string_view name) {
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return c >= '!' && c <= '~'; });
}

void ClientSetName(CommandContext& ctx) {
  if (!ValidName(ctx.args[2])) {
    ctx.reply.Error(kBadClientName);
    return;
  }
  ctx.server.clients().SetName(&ctx.client, std::string(ctx.args[2]));
  ctx.reply.Ok();
}

void ClientGetName(CommandContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
}

void ClientSetInfo(CommandContext& ctx) {
  std::string_view attr = ctx.args[2];
  std::string value(ctx.args[3]);
  bool is_name = EqualsNoCase(attr, "lib-name");
  if (!is_name && !EqualsNoCase(attr, "lib-ver")) {
    ctx.reply.Error(fmt::format("ERR Unrecognized option '{}'", CStringPrefix(attr)));
    return;
  }
  if (!std::all_of(value.begin(), value.end(),
                   [](unsigned char c) { return c >= '!' && c <= '~'; })) {
    ctx.reply.Error(fmt::format(
        "ERR {} cannot contain spaces, newlines or special characters.", attr));
    return;
  }
  ctx.server.clients().SetLibInfo(&ctx.client, is_name ? &value : nullptr,
                                  is_name ? nullptr : &value);
  ctx.reply.Ok();
}

// Parses "TYPE x" and "ID a b c" filters of CLIENT LIST.  Returns false after replying.
void ClientList(CommandContext& ctx) {
  std::vector<uint64_t> ids;
  std::optional<ClientType> type;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (EqualsNoCase(ctx.args[i], "type") && i + 1 < ctx.args.size()) {
      std::string_view t = ctx.args[++i];
      ClientType parsed;
      if (!ParseClientType(t, &parsed)) {
        ctx.reply.Error(fmt::format("ERR Unknown client type '{}'", CStringPrefix(t)));
        return;
      }
      type = parsed;
      continue;
    }
    if (EqualsNoCase(ctx.args[i], "id") && i + 1 < ctx.args.size()) {
      for (++i; i < ctx.args.size(); ++i) {
        int64_t id;
        if (!ParseInt64(ctx.args[i], &id) || id <= 0) {
          ctx.reply.Error("ERR Invalid client ID");
          return;
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
      break;
    }
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  // What other clients sent before this command arrived is read first (their query buffers,
  // tot-mem), as Redis's one loop would have read it.  Not inside MULTI, which may hold
  // every shard lock that the other workers' pending commands wait for.
  if (ctx.client.control != nullptr && ctx.may_block) {
    ctx.server.clients().SyncOtherWorkers(ctx.client.owner, ctx.server.io_threads(),
                                          kListSyncWaitMs);
  }
  std::string out;
  int64_t now = ctx.server.NowMs();
  ctx.server.clients().ForEach([&](const ClientState& c, int) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c.id) == ids.end()) return;
    if (type && TypeOf(c) != *type) return;
    out += ClientInfoLine(ctx.server, c, now);
    out += '\n';
  });
  // The client running the command may be absent from the registry in in-process tests.
  if (out.empty() && ids.empty() && (!type || TypeOf(ctx.client) == *type) &&
      ctx.client.control == nullptr) {
    out = ClientInfoLine(ctx.server, ctx.client, now) + "\n";
  }
  ctx.reply.Verbatim(out);
}

void ClientInfo(CommandContext& ctx) {
  std::string line;
  int64_t now = ctx.server.NowMs();
  // Read our own fields directly: only this thread writes them.
  line = ClientInfoLine(ctx.server, ctx.client, now) + "\n";
  ctx.reply.Verbatim(line);
}

struct KillFilter {
  std::optional<uint64_t> id;
  std::string addr, laddr, user;
  std::optional<ClientType> type;
  bool skipme = true;
  int64_t max_age_s = 0;
};

void ClientKill(CommandContext& ctx) {
  KillFilter f;
  bool old_style = ctx.args.size() == 3;
  if (old_style) {
    f.addr = ctx.args[2];
    f.skipme = false;
  } else {
    if ((ctx.args.size() - 2) % 2 != 0) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
      std::string_view opt = ctx.args[i], val = ctx.args[i + 1];
      if (EqualsNoCase(opt, "id")) {
        int64_t id;
        if (!ParseInt64(val, &id) || id <= 0) {
          ctx.reply.Error("ERR client-id should be greater than 0");
          return;
        }
        f.id = static_cast<uint64_t>(id);
      } else if (EqualsNoCase(opt, "type")) {
        ClientType parsed;
        if (!ParseClientType(val, &parsed)) {
          ctx.reply.Error(fmt::format("ERR Unknown client type '{}'", CStringPrefix(val)));
          return;
        }
        f.type = parsed;
      } else if (EqualsNoCase(opt, "addr")) {
        f.addr = val;
      } else if (EqualsNoCase(opt, "laddr")) {
        f.laddr = val;
      } else if (EqualsNoCase(opt, "user")) {
        if (ctx.server.acl().Find(val) == nullptr) {
          ctx.reply.Error(fmt::format("ERR No such user '{}'", CStringPrefix(val)));
          return;
        }
        f.user = val;
      } else if (EqualsNoCase(opt, "skipme")) {
        if (EqualsNoCase(val, "yes")) {
          f.skipme = true;
        } else if (EqualsNoCase(val, "no")) {
          f.skipme = false;
        } else {
          ctx.reply.Error(errors::kSyntax);
          return;
        }
      } else if (EqualsNoCase(opt, "maxage")) {
        if (!ParseInt64(val, &f.max_age_s)) {
          ctx.reply.Error(errors::kSyntax);
          return;
        }
      } else {
        ctx.reply.Error(errors::kSyntax);
        return;
      }
    }
  }
  std::vector<uint64_t> victims;
  bool kill_self = false;
  int64_t now = ctx.server.NowMs();
  ctx.server.clients().ForEach([&](const ClientState& c, int) {
    if (f.id && c.id != *f.id) return;
    if (!f.addr.empty() && c.addr != f.addr) return;
    if (!f.laddr.empty() && c.laddr != f.laddr) return;
    if (!f.user.empty() && c.user_name != f.user) return;
    if (f.type && TypeOf(c) != *f.type) return;
    if (f.max_age_s > 0 && (now - c.created_ms) / 1000 < f.max_age_s) return;
    if (c.id == ctx.client.id) {
      if (f.skipme) return;
      kill_self = true;
      return;
    }
    victims.push_back(c.id);
  });
  for (uint64_t id : victims) {
    ctx.server.clients().RunOnOwner(id, [](ClientState* c) {
      // At once, as Redis frees them: a client that does not read must not linger.
      if (c->control) c->control->CloseNow();
    });
  }
  size_t killed = victims.size() + (kill_self ? 1 : 0);
  if (old_style) {
    if (killed == 0) {
      ctx.reply.Error("ERR No such client");
      return;
    }
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(static_cast<int64_t>(killed));
  }
  if (kill_self && ctx.client.control) ctx.client.control->CloseAfterReply();
}

bool ParseOnOff(CommandContext& ctx, bool* out) {
  if (EqualsNoCase(ctx.args[2], "on")) {
    *out = true;
  } else if (EqualsNoCase(ctx.args[2], "off")) {
    *out = false;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

void ClientNoEvict(CommandContext& ctx) {
  if (ParseOnOff(ctx, &ctx.client.no_evict)) ctx.reply.Ok();
}

void ClientNoTouch(CommandContext& ctx) {
  if (ParseOnOff(ctx, &ctx.client.no_touch)) ctx.reply.Ok();
}

void ClientReply(CommandContext& ctx) {
  std::string_view mode = ctx.args[2];
  if (EqualsNoCase(mode, "on")) {
    ctx.client.reply_mode = ReplyMode::kOn;
    ctx.reply.Ok();
  } else if (EqualsNoCase(mode, "off")) {
    ctx.client.reply_mode = ReplyMode::kOff;
  } else if (EqualsNoCase(mode, "skip")) {
    if (ctx.client.reply_mode != ReplyMode::kOff) ctx.client.reply_mode = ReplyMode::kSkipNext;
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
}

void ClientPause(CommandContext& ctx) {
  int64_t timeout;
  if (!ParseInt64(ctx.args[2], &timeout) || timeout < 0) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return;
  }
  bool writes_only = false;
  if (ctx.args.size() == 4) {
    if (EqualsNoCase(ctx.args[3], "write")) {
      writes_only = true;
    } else if (!EqualsNoCase(ctx.args[3], "all")) {
      ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  } else if (ctx.args.size() > 4) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  int64_t end = ctx.server.NowMs() + timeout;
  // A new pause never shortens one in force, and ALL wins over WRITE (Redis semantics).
  int64_t current = ctx.server.pause_end_ms.load();
  bool active = current > ctx.server.NowMs();
  if (!active || !writes_only) ctx.server.pause_writes_only.store(writes_only);
  if (!active || end > current) ctx.server.pause_end_ms.store(end);
  ctx.reply.Ok();
}

void ClientUnpause(CommandContext& ctx) {
  ctx.server.pause_end_ms.store(0);
  ctx.server.pause_queue().WakeHead();  // the others follow it in the order they were held
  ctx.reply.Ok();
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 iff the client was blocked on keys or in WAIT or
// WAITAOF.
void ClientUnblock(CommandContext& ctx) {
  int64_t id;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &id)) return;
  bool error = false;
  if (ctx.args.size() == 4) {
    if (EqualsNoCase(ctx.args[3], "error")) {
      error = true;
    } else if (!EqualsNoCase(ctx.args[3], "timeout")) {
      return ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.args.size() > 4) {
    return ctx.reply.Error(errors::kSyntax);
  }
  bool served_now = false;
  bool unblocked =
      id > 0 && (ctx.server.blocking().Unblock(static_cast<uint64_t>(id), error, &served_now) ||
                 ctx.server.replication().Unblock(static_cast<uint64_t>(id), error));
  // The unblocked command counts as a call (failed when it gets the UNBLOCKED error), as in
  // Redis, before this reply: done on its owner's thread, which counts it once, whichever of
  // this and the delivery of its reply comes first.  Not while a push serves it: whether it
  // ran or not, that thread's delivery counts it.
  if (unblocked && !served_now) {
    ctx.server.clients().RunOnOwnerAndWait(
        static_cast<uint64_t>(id), ctx.client.owner,
        [error](ClientState* c) {
          if (c->control != nullptr) {
            c->control->CountUnblockedNow(error ? "-" + std::string(kClientUnblocked) : "");
          }
        },
        kUnblockCountWaitMs);
  }
  ctx.reply.Integer(unblocked ? 1 : 0);
}

void ClientHelp(CommandContext& ctx) {
  // clang-format off
  static const char* kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ID", "    Return the ID of the current connection.",
      "INFO", "    Return information about the current client connection.",
      "KILL <ip:port>", "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME, MAXAGE.",
      "LIST [options ...]", "    Return information about client connections.",
      "GETNAME", "    Return the name of the current connection.",
      "SETNAME <name>", "    Assign the name <name> to the current connection.",
      "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
      "PAUSE <timeout> [WRITE|ALL]", "    Suspend clients for <timeout> milliseconds.",
      "UNPAUSE", "    Stop the current client pause, resuming traffic.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
      "NO-EVICT (ON|OFF)", "    Protect the current client connection from eviction.",
      "NO-TOUCH (ON|OFF)", "    Do not touch the last access time of keys read by this client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
      "TRACKINGINFO", "    Report tracking status for the current connection.",
      "HELP", "    Print this help.",
  };
  // clang-format on
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler h, std::string_view summary) {
  return MakeSpec(std::move(name), arity, flags | kNoScript | kLoading | kStale, KeySpec{},
                  kAclSlow | kAclConnection, h, "connection", "2.4.0", "O(1)", summary);
}

}  // namespace

void AddClientCommand(CommandTable* table) {
  CommandSpec client = MakeContainerSpec(
      "client", "connection", "2.4.0", "Subcommands that inspect and control client connections.");
  client.flags = kSentinel;
  client.subcommands = {
      Sub("id", 2, 0, ClientId, "Returns the unique ID of the connection."),
      Sub("setname", 3, 0, ClientSetName, "Names this connection (CLIENT LIST shows the name)."),
      Sub("getname", 2, 0, ClientGetName, "Returns the connection name."),
      Sub("setinfo", 4, 0, ClientSetInfo, "Records the client library name or version."),
      Sub("list", -2, kAdmin, ClientList, "Lists the open connections."),
      Sub("info", 2, 0, ClientInfo, "Describes this connection."),
      Sub("kill", -3, kAdmin, ClientKill, "Closes the connections that match filters."),
      Sub("no-evict", 3, kAdmin, ClientNoEvict, "Exempts this connection from client eviction."),
      Sub("no-touch", 3, 0, ClientNoTouch, "Leaves key access times untouched for this client."),
      Sub("pause", -3, kAdmin, ClientPause, "Suspends clients' commands for a while."),
      Sub("unpause", 2, kAdmin, ClientUnpause, "Ends a CLIENT PAUSE."),
      Sub("unblock", -3, kAdmin, ClientUnblock,
          "Wakes a client waiting in a blocking command, as on a timeout or with an error."),
      Sub("reply", 3, 0, ClientReply, "Turns the replies to this connection on or off."),
      // The one subcommand a script may call (Redis's table).
      MakeSpec("help", 2, kLoading | kStale, KeySpec{}, kAclSlow | kAclConnection, ClientHelp,
               "connection", "5.0.0", "O(1)", "Lists the CLIENT subcommands."),
      Sub("tracking", -3, 0, ClientTracking, "Controls server-assisted client-side caching."),
      Sub("caching", 3, 0, ClientCaching, "Asks to track, or not, the keys of the next command."),
      Sub("getredir", 2, 0, ClientGetRedir, "Returns the id tracking invalidations go to."),
      Sub("trackinginfo", 2, 0, ClientTrackingInfo, "Describes this connection's tracking."),
  };
  table->Add(std::move(client));
}

}  // namespace tessera::server
