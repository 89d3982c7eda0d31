// The primary side of replication: SYNC, PSYNC and REPLCONF (server/replication/primary.h).
#include <algorithm>
#include <string>

#include "core/base/ascii.h"
#include "core/base/numbers.h"
#include "server/client_state.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/replication/primary.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// SYNC and PSYNC (Redis's syncCommand): the client becomes a replica and gets a full sync.
// PSYNC never continues from a backlog yet: it always answers +FULLRESYNC.
void SyncCommand(CommandContext& ctx, bool psync) {
  ClientState& c = ctx.client;
  if (c.replica) return;  // as Redis: a second SYNC from a replica is ignored
  if (!ctx.reply.buffer()->empty()) {
    ctx.reply.Error("ERR SYNC and PSYNC are invalid with pending output");
    return;
  }
  if (psync) {
    int64_t offset;
    if (!ParseInt64(ctx.args[2], &offset)) {
      ctx.reply.Error(errors::kNotInteger);
      return;
    }
  }
  ctx.server.replication().AddReplica(c, psync);
}

void Sync(CommandContext& ctx) { SyncCommand(ctx, false); }
void Psync(CommandContext& ctx) { SyncCommand(ctx, true); }

// REPLCONF <option> <value> ... (Redis's replconfCommand, the options a primary understands).
void Replconf(CommandContext& ctx) {
  ArgList args = ctx.args;
  if (args.size() % 2 == 0) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  ReplicationPrimary& repl = ctx.server.replication();
  for (size_t j = 1; j < args.size(); j += 2) {
    std::string_view opt = args[j];
    std::string_view val = args[j + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      int64_t port;
      if (!ParseInt64(val, &port)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      ctx.client.repl_listening_port = static_cast<int>(port);
      repl.SetListeningPort(ctx.client.id, static_cast<int>(port));
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      if (val.size() >= 46) {  // Redis's NET_HOST_STR_LEN
        ctx.reply.Error("ERR REPLCONF ip-address provided by replica instance is too long: " +
                        std::to_string(val.size()) + " bytes");
        return;
      }
      ctx.client.repl_announced_ip = std::string(val);
      repl.SetAnnouncedIp(ctx.client.id, std::string(val));
    } else if (EqualsIgnoreCase(opt, "capa")) {
      // Capabilities: eof and psync2 are what replicas announce; nothing changes here.
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // No reply, ever (Redis's "this command does not reply anything").
      if (!ctx.client.replica) return;
      int64_t offset;
      if (!ParseInt64(val, &offset)) return;
      repl.NoteAck(ctx.client.id, static_cast<uint64_t>(std::max<int64_t>(offset, 0)),
                   ctx.server.NowMs());
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      return;  // asks a replica for an ACK; we are no one's replica: no reply, as Redis
    } else if (EqualsIgnoreCase(opt, "rdb-only")) {
      int64_t v;
      if (!ParseInt64(val, &v)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      if (v < 0 || v > 1) {
        ctx.reply.Error("ERR value is out of range, value must between 0 and 1");
        return;
      }
      ctx.client.rdb_only = v == 1;
    } else {
      ctx.reply.Error("ERR Unrecognized REPLCONF option: " + std::string(opt));
      return;
    }
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterReplicationFamily(CommandTable* table) {
  constexpr uint32_t kSyncFlags = kAdmin | kNoScript | kNoAsyncLoading | kNoMulti;
  table->Add(MakeSpec("sync", 1, kSyncFlags, KeySpec{}, 0, Sync, "server", "1.0.0", "O(1)",
                      "Asks for the whole dataset and then every change: an old replica's "
                      "handshake."));
  table->Add(MakeSpec("psync", -3, kSyncFlags, KeySpec{}, 0, Psync, "server", "2.8.0", "O(1)",
                      "Asks to continue a replication stream, or for the whole dataset when "
                      "that is not possible."));
  table->Add(MakeSpec("replconf", -1, kAdmin | kNoScript | kLoading | kStale | kAllowBusy,
                      KeySpec{}, 0, Replconf, "server", "3.0.0", "O(1)",
                      "Tells the primary a replica's settings and progress (internal)."));
}

}  // namespace tessera::server
