// The primary side of replication: SYNC, PSYNC and REPLCONF (server/replication/primary.h).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/base/ascii.h"
#include "core/base/numbers.h"
#include "server/aof.h"
#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/client_info.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/replication/replica.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// SYNC and PSYNC (Redis's syncCommand): the client becomes a replica and gets a full sync.
// PSYNC never continues from a backlog yet: it always answers +FULLRESYNC.
void SyncCommand(CommandContext& ctx, bool psync) {
  ClientState& c = ctx.client;
  if (c.replica) return;  // as Redis: a second SYNC from a replica is ignored
  // A replica serves replicas only from a dataset its primary gave it.
  if (ctx.server.replica_link().is_replica() && !ctx.server.replica_link().link_up()) {
    ctx.reply.Error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
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
      // REPLCONF ACK <offset> FACK <aof offset>: what the replica's AOF has fsynced (7.2).
      std::optional<uint64_t> fsynced;
      if (args.size() > j + 3 && EqualsIgnoreCase(args[j + 2], "fack")) {
        int64_t fack;
        if (!ParseInt64(args[j + 3], &fack)) return;
        fsynced = static_cast<uint64_t>(std::max<int64_t>(fack, 0));
      }
      repl.NoteAck(ctx.client.id, static_cast<uint64_t>(std::max<int64_t>(offset, 0)), fsynced,
                   ctx.server.NowMs());
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      // From our primary: the ACK is the one reply the master client gets.  From anyone
      // else: nothing, as Redis.
      if (ctx.client.master) {
        const std::vector<std::string> ack = ctx.server.replica_link().AckArgs();
        ctx.reply.ArrayHeader(ack.size());
        for (const std::string& a : ack) ctx.reply.Bulk(a);
        ctx.client.master_force_reply = true;
      }
      return;
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

// REPLICAOF <host> <port> | NO ONE (Redis's replicaofCommand), and its old name SLAVEOF.
void ReplicaOf(CommandContext& ctx) {
  ReplicationReplica& link = ctx.server.replica_link();
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    if (link.BecomePrimary()) {
      Log(LogLevel::kNotice, "MASTER MODE enabled (user request from '{}')",
          ClientInfoLine(ctx.server, ctx.client, ctx.server.NowMs()));
    }
    ctx.reply.Ok();
    return;
  }
  if (ctx.client.replica) {
    ctx.reply.Error("ERR Command is not valid when client is a replica.");
    return;
  }
  int64_t port;
  if (!ParseInt64(ctx.args[2], &port) || port < 0 || port > 65535) {
    ctx.reply.Error("ERR Invalid master port");
    return;
  }
  const std::string host(ctx.args[1]);
  if (!link.SetPrimary(host, static_cast<int>(port))) {
    ctx.reply.SimpleString("OK Already connected to specified master");
    return;
  }
  Log(LogLevel::kNotice, "REPLICAOF {}:{} enabled (user request from '{}')", host, port,
      ClientInfoLine(ctx.server, ctx.client, ctx.server.NowMs()));
  ctx.reply.Ok();
}

// WAIT numreplicas timeout (Redis's waitCommand): the number of replicas that acknowledged
// this client's last write, once `numreplicas` did or the timeout (ms, 0 forever) passed.
// Inside MULTI or a script it answers at once.
void Wait(CommandContext& ctx) {
  if (ctx.server.replica_link().is_replica()) {
    ctx.reply.Error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to "
        "replicas are just local and are not propagated.");
    return;
  }
  int64_t numreplicas;
  if (!ParseInt64(ctx.args[1], &numreplicas)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  int64_t deadline_ms;
  if (!ParseBlockTimeoutMsOrReply(ctx, ctx.args[2], &deadline_ms)) return;
  ReplicationPrimary& repl = ctx.server.replication();
  const int64_t acked = repl.CountAcks(ctx.client.woff);
  if (acked >= numreplicas || !ctx.may_block || ctx.client.in_script) {
    ctx.reply.Integer(acked);
    return;
  }
  repl.AddWaiter(ctx.client.id, ctx.client.woff, numreplicas);
  ctx.ack_wait_deadline_ms = deadline_ms;
}

// WAITAOF numlocal numreplicas timeout (Redis's waitaofCommand): once this server's AOF
// (numlocal 1) and `numreplicas` replicas' AOFs have fsynced this client's last write, or the
// timeout (ms, 0 forever) passed, how many of each did: [local (0 or 1), replicas].  Inside
// MULTI or a script it answers at once.
void WaitAof(CommandContext& ctx) {
  int64_t numlocal;
  int64_t numreplicas;
  if (!ParseInt64(ctx.args[1], &numlocal)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (numlocal < 0 || numlocal > 1) {
    ctx.reply.Error("ERR value is out of range, value must between 0 and 1");
    return;
  }
  if (!ParseInt64(ctx.args[2], &numreplicas)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (numreplicas < 0) {
    ctx.reply.Error("ERR value is out of range, must be positive");
    return;
  }
  int64_t deadline_ms;
  if (!ParseBlockTimeoutMsOrReply(ctx, ctx.args[3], &deadline_ms)) return;
  if (ctx.server.replica_link().is_replica()) {
    ctx.reply.Error(
        "ERR WAITAOF cannot be used with replica instances. Please also note that writes to "
        "replicas are just local and are not propagated.");
    return;
  }
  if (numlocal > 0 && !ctx.server.persistence().aof().on()) {
    ctx.reply.Error(kWaitAofNeedsAof);
    return;
  }
  ReplicationPrimary& repl = ctx.server.replication();
  const int64_t replicas = repl.CountAofAcks(ctx.client.woff);
  const int64_t local = repl.LocalAofAck(ctx.client.aof_woff);
  if ((replicas >= numreplicas && local >= numlocal) || !ctx.may_block || ctx.client.in_script) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(local);
    ctx.reply.Integer(replicas);
    return;
  }
  repl.AddAofWaiter(ctx.client.id, ctx.client.woff, ctx.client.aof_woff, numlocal, numreplicas);
  ctx.ack_wait_deadline_ms = deadline_ms;
}

// ROLE: "master", its offset and its online replicas; or "slave", the primary, the link's
// state and the offset applied (-1 while no master client exists).
void Role(CommandContext& ctx) {
  ReplicationReplica& link = ctx.server.replica_link();
  if (!link.is_replica()) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk("master");
    ctx.reply.Integer(static_cast<int64_t>(ctx.server.replication().master_repl_offset()));
    std::vector<ReplicationPrimary::OnlineReplica> online = ctx.server.replication().Online();
    ctx.reply.ArrayHeader(online.size());
    for (const auto& r : online) {
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(r.ip);
      ctx.reply.Bulk(std::to_string(r.port));
      ctx.reply.Bulk(std::to_string(r.ack_offset));
    }
    return;
  }
  ReplicationReplica::Role r = link.role();
  ctx.reply.ArrayHeader(5);
  ctx.reply.Bulk("slave");
  ctx.reply.Bulk(r.host);
  ctx.reply.Integer(r.port);
  ctx.reply.Bulk(r.state);
  ctx.reply.Integer(r.offset);
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
  constexpr uint32_t kReplicaOfFlags = kAdmin | kNoScript | kStale | kNoAsyncLoading;
  table->Add(MakeSpec("replicaof", 3, kReplicaOfFlags, KeySpec{}, 0, ReplicaOf, "server", "5.0.0",
                      "O(1)", "Makes this server a replica of another one, or a primary again."));
  table->Add(MakeSpec("slaveof", 3, kReplicaOfFlags, KeySpec{}, 0, ReplicaOf, "server", "1.0.0",
                      "O(1)",
                      "Makes this server a replica of another one, or a primary again (the old "
                      "name of REPLICAOF)."));
  table->Add(MakeSpec("wait", 3, 0, KeySpec{}, kAclConnection, Wait, "generic", "3.0.0", "O(1)",
                      "Waits until replicas acknowledged this connection's writes, or a "
                      "timeout."));
  table->Add(MakeSpec("waitaof", 4, kNoScript, KeySpec{}, kAclConnection, WaitAof, "generic",
                      "7.2.0", "O(1)",
                      "Waits until this server's AOF and/or replicas' AOFs have fsynced this "
                      "connection's writes, or a timeout."));
  table->Add(MakeSpec("role", 1, kNoScript | kLoading | kStale | kFast | kSentinel, KeySpec{},
                      kAclAdmin | kAclDangerous, Role, "server", "2.8.12", "O(1)",
                      "Tells whether this server is a primary or a replica, with its replicas or "
                      "its link."));
  table->Add(MakeSpec("replconf", -1, kAdmin | kNoScript | kLoading | kStale | kAllowBusy,
                      KeySpec{}, 0, Replconf, "server", "3.0.0", "O(1)",
                      "Tells the primary a replica's settings and progress (internal)."));
}

}  // namespace tessera::server
