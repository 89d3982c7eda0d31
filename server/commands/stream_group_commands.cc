// Consumer groups: XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP), XACK,
// XPENDING, XCLAIM and XAUTOCLAIM (stream_family.h).  The pending entries list is kept per
// group and per consumer (core/types/stream_value.h); every change here updates both.
#include <sys/sysinfo.h>

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/keyspace/stream_ops.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/stream_family.h"

namespace tessera::server::stream {

namespace {

using types::kInvalidEntriesRead;
using types::StreamConsumer;
using types::StreamGroup;
using types::StreamNack;

void ReplyNoGroup(CommandContext& ctx, std::string_view key, std::string_view group) {
  ctx.reply.Error(fmt::format(fmt::runtime(errors::kStreamNoGroupFmt), ErrArg(key), ErrArg(group)));
}

// --- XGROUP ------------------------------------------------------------------------------

// What every XGROUP subcommand with a key checks first, in Redis's order: the options from
// argument 5 on, the key's type, that the key exists (unless MKSTREAM) and, except for CREATE
// and DESTROY, that the group exists.  Returns false after replying.
struct GroupTarget {
  StreamValue* s = nullptr;
  StreamGroup* g = nullptr;
  bool mkstream = false;
  int64_t entries_read = kInvalidEntriesRead;
};

bool ResolveGroupOrReply(CommandContext& ctx, bool needs_group, GroupTarget* t) {
  const bool create = EqualsNoCase(ctx.args[1], "create");
  const bool setid = EqualsNoCase(ctx.args[1], "setid");
  for (size_t i = 5; i < ctx.args.size();) {
    if (create && EqualsNoCase(ctx.args[i], "mkstream")) {
      t->mkstream = true;
      ++i;
    } else if ((create || setid) && EqualsNoCase(ctx.args[i], "entriesread") &&
               i + 1 < ctx.args.size()) {
      if (!ParseIntArgOrReply(ctx, ctx.args[i + 1], &t->entries_read)) return false;
      if (t->entries_read < 0 && t->entries_read != kInvalidEntriesRead) {
        ctx.reply.Error(errors::kStreamEntriesReadRange);
        return false;
      }
      i += 2;
    } else {
      ReplySubcommandSyntaxError(ctx);
      return false;
    }
  }
  if (!FindStreamOrReply(ctx, ctx.args[2], &t->s)) return false;
  if (t->mkstream) return true;
  if (t->s == nullptr) {
    ctx.reply.Error(errors::kStreamGroupNeedsKey);
    return false;
  }
  t->g = t->s->FindGroup(ctx.args[3]);
  if (t->g == nullptr && needs_group) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kStreamNoGroupForKeyFmt), ErrArg(ctx.args[3]),
                                ErrArg(ctx.args[2])));
    return false;
  }
  return true;
}

void XGroupCreateCmd(CommandContext& ctx) {
  GroupTarget t;
  if (!ResolveGroupOrReply(ctx, false, &t)) return;
  if (ctx.args.size() > 8) return ReplySubcommandSyntaxError(ctx);
  StreamID id;
  if (ctx.args[4] == "$") {
    id = t.s != nullptr ? t.s->last_id() : StreamID{};
  } else if (!ParseIdOrReply(ctx, ctx.args[4], &id, 0, true)) {
    return;
  }
  // Only a stream MKSTREAM creates counts as a modified key (Redis signals nothing else of
  // XGROUP); a group alone is bookkeeping.
  if (t.s == nullptr) {
    t.s = keyspace::CreateStream(ctx.db, ctx.args[2]);
    ctx.KeyModified(ctx.args[2]);
  }
  if (t.s->CreateGroup(ctx.args[3], id, t.entries_read) == nullptr) {
    ctx.reply.Error(errors::kStreamBusyGroup);
    return;
  }
  ctx.dirty++;
  ctx.ChangedUnsignalled();
  ctx.Notify(kNotifyStream, "xgroup-create", ctx.args[2]);
  ctx.reply.Ok();
}

void XGroupSetIdCmd(CommandContext& ctx) {
  GroupTarget t;
  if (!ResolveGroupOrReply(ctx, true, &t)) return;
  if (ctx.args.size() != 5 && ctx.args.size() != 7) return ReplySubcommandSyntaxError(ctx);
  StreamID id;
  if (ctx.args[4] == "$") {
    id = t.s->last_id();
  } else if (!ParseIdOrReply(ctx, ctx.args[4], &id, 0, false)) {
    return;
  }
  t.g->last_id = id;
  t.g->entries_read = t.entries_read;
  ctx.dirty++;
  ctx.ChangedUnsignalled();
  ctx.Notify(kNotifyStream, "xgroup-setid", ctx.args[2]);
  ctx.reply.Ok();
}

void XGroupDestroyCmd(CommandContext& ctx) {
  GroupTarget t;
  if (!ResolveGroupOrReply(ctx, false, &t)) return;
  if (t.g == nullptr) return ctx.reply.Integer(0);
  t.s->DestroyGroup(ctx.args[3]);
  ctx.db.NoteReady(ctx.args[2]);  // its blocked readers get NOGROUP
  ctx.dirty++;
  ctx.ChangedUnsignalled();
  ctx.Notify(kNotifyStream, "xgroup-destroy", ctx.args[2]);
  ctx.reply.Integer(1);
}

void XGroupCreateConsumerCmd(CommandContext& ctx) {
  GroupTarget t;
  if (!ResolveGroupOrReply(ctx, true, &t)) return;
  bool created = t.g->CreateConsumer(ctx.args[4], ctx.db.now_ms()) != nullptr;
  if (created) {
    ctx.dirty++;
    ctx.ChangedUnsignalled();
    ctx.Notify(kNotifyStream, "xgroup-createconsumer", ctx.args[2]);
  }
  ctx.reply.Integer(created ? 1 : 0);
}

void XGroupDelConsumerCmd(CommandContext& ctx) {
  GroupTarget t;
  if (!ResolveGroupOrReply(ctx, true, &t)) return;
  bool existed = t.g->FindConsumer(ctx.args[4]) != nullptr;
  size_t pending = t.g->DeleteConsumer(ctx.args[4]);
  if (existed) {
    ctx.dirty++;
    ctx.ChangedUnsignalled();
    ctx.Notify(kNotifyStream, "xgroup-delconsumer", ctx.args[2]);
  }
  ctx.reply.Integer(static_cast<int64_t>(pending));
}

void XGroupHelpCmd(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "CREATE <key> <groupname> <id|$> [option]",
                     "    Create a consumer group that delivers entries after <id> ($: the last "
                     "one). Options:",
                     "    * MKSTREAM",
                     "      Create an empty stream when the key does not exist.",
                     "    * ENTRIESREAD entries_read",
                     "      Set the group's read counter (used by replication).",
                     "CREATECONSUMER <key> <groupname> <consumer>",
                     "    Add a consumer to a group.",
                     "DELCONSUMER <key> <groupname> <consumer>",
                     "    Remove a consumer and its pending entries from a group.",
                     "DESTROY <key> <groupname>",
                     "    Remove a consumer group.",
                     "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                     "    Move the group's last delivered ID and set its read counter.",
                 });
}

// --- XACK ----------------------------------------------------------------------------------

void XAckCmd(CommandContext& ctx) {
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  StreamGroup* g = s == nullptr ? nullptr : s->FindGroup(ctx.args[2]);
  if (g == nullptr) return ctx.reply.Integer(0);
  std::vector<StreamID> ids(ctx.args.size() - 3);
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (!ParseIdOrReply(ctx, ctx.args[j], &ids[j - 3], 0, true)) return;
  }
  int64_t acked = 0;
  for (StreamID id : ids) {
    auto it = g->pel.find(id);
    if (it == g->pel.end()) continue;
    g->DropPending(it);
    ++acked;
  }
  ctx.dirty += acked;
  ctx.ChangedUnsignalled();
  ctx.reply.Integer(acked);
}

// --- XPENDING ------------------------------------------------------------------------------

void XPendingSummary(CommandContext& ctx, const StreamGroup& g) {
  ctx.reply.ArrayHeader(4);
  ctx.reply.Integer(static_cast<int64_t>(g.pel.size()));
  if (g.pel.empty()) {
    ctx.reply.Null();
    ctx.reply.Null();
    ctx.reply.NullArray();
    return;
  }
  ReplyId(ctx, g.pel.begin()->first);
  ReplyId(ctx, g.pel.rbegin()->first);
  const size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  for (const auto& [name, c] : g.consumers) {
    if (c->pel.empty()) continue;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(std::to_string(c->pel.size()));
    ++n;
  }
  ctx.reply.EndDeferred(at, '*', n);
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
void XPendingCmd(CommandContext& ctx) {
  const size_t argc = ctx.args.size();
  if (argc != 3 && (argc < 6 || argc > 9)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  StreamID start, end;
  int64_t count = 0, min_idle = 0;
  std::string_view consumer_name;
  bool has_consumer = false;
  if (argc >= 6) {
    size_t start_idx = 3;
    if (EqualsNoCase(ctx.args[3], "idle")) {
      if (!ParseIntArgOrReply(ctx, ctx.args[4], &min_idle)) return;
      if (argc < 8) {
        ctx.reply.Error(errors::kSyntax);
        return;
      }
      start_idx += 2;
    }
    if (!ParseIntArgOrReply(ctx, ctx.args[start_idx + 2], &count)) return;
    if (count < 0) count = 0;
    bool ex;
    if (!ParseIntervalIdOrReply(ctx, ctx.args[start_idx], &start, &ex, 0)) return;
    if (ex && !start.Incr()) {
      ctx.reply.Error(errors::kStreamBadStart);
      return;
    }
    if (!ParseIntervalIdOrReply(ctx, ctx.args[start_idx + 1], &end, &ex, UINT64_MAX)) return;
    if (ex && !end.Decr()) {
      ctx.reply.Error(errors::kStreamBadEnd);
      return;
    }
    if (start_idx + 3 < argc) {
      consumer_name = ctx.args[start_idx + 3];
      has_consumer = true;
    }
  }
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  StreamGroup* g = s == nullptr ? nullptr : s->FindGroup(ctx.args[2]);
  if (g == nullptr) return ReplyNoGroup(ctx, ctx.args[1], ctx.args[2]);
  if (argc == 3) return XPendingSummary(ctx, *g);

  const int64_t now = ctx.db.now_ms();
  const size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  auto emit = [&](StreamID id, const StreamNack& nack) {
    if (min_idle != 0 && now - nack.delivery_time < min_idle) return;
    ctx.reply.ArrayHeader(4);
    ReplyId(ctx, id);
    ctx.reply.Bulk(nack.consumer != nullptr ? std::string_view(nack.consumer->name) : "");
    ctx.reply.Integer(std::max<int64_t>(0, now - nack.delivery_time));
    ctx.reply.Integer(static_cast<int64_t>(nack.delivery_count));
    ++n;
    --count;
  };
  if (has_consumer) {
    StreamConsumer* c = g->FindConsumer(consumer_name);
    if (c == nullptr) return ctx.reply.EmptyArray();
    for (auto it = c->pel.lower_bound(start); count > 0 && it != c->pel.end() && it->first <= end;
         ++it) {
      emit(it->first, *it->second);
    }
  } else {
    for (auto it = g->pel.lower_bound(start); count > 0 && it != g->pel.end() && it->first <= end;
         ++it) {
      emit(it->first, *it->second);
    }
  }
  ctx.reply.EndDeferred(at, '*', n);
}

// --- XCLAIM / XAUTOCLAIM ----------------------------------------------------------------------

StreamConsumer* ConsumerForClaim(CommandContext& ctx, StreamGroup* g, std::string_view name) {
  StreamConsumer* c = g->FindConsumer(name);
  if (c == nullptr) {
    c = g->CreateConsumer(name, ctx.db.now_ms());
    NoteConsumerCreated(ctx, ctx.args[1]);  // the claims' XCLAIMs create it on a replay
  }
  c->seen_time = ctx.db.now_ms();
  return c;
}

// Gives the pending entry `nack` (of `id`) to `consumer`.
void MoveNack(StreamNack* nack, StreamID id, StreamConsumer* consumer) {
  if (nack->consumer == consumer) return;
  if (nack->consumer != nullptr) nack->consumer->pel.erase(id);
  consumer->pel[id] = nack;
  nack->consumer = consumer;
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
//        [FORCE] [JUSTID] [LASTID id]
void XClaimCmd(CommandContext& ctx) {
  ctx.effects_only = true;  // logged as the claims it made, never as sent
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  StreamGroup* g = s == nullptr ? nullptr : s->FindGroup(ctx.args[2]);
  if (g == nullptr) return ReplyNoGroup(ctx, ctx.args[1], ctx.args[2]);
  int64_t min_idle;
  if (!ParseInt64(ctx.args[4], &min_idle)) {
    ctx.reply.Error(errors::kStreamClaimMinIdle);
    return;
  }
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamID> ids;
  size_t j = 5;
  for (; j < ctx.args.size(); ++j) {
    StreamID id;
    if (!ParseId(ctx.args[j], &id, 0, true)) break;
    ids.push_back(id);
  }
  const int64_t now = ctx.db.now_ms();
  int64_t retry_count = -1, delivery_time = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.args.size(); ++j) {
    const bool more = j + 1 < ctx.args.size();
    std::string_view opt = ctx.args[j];
    if (EqualsNoCase(opt, "force")) {
      force = true;
    } else if (EqualsNoCase(opt, "justid")) {
      justid = true;
    } else if (EqualsNoCase(opt, "idle") && more) {
      if (!ParseInt64(ctx.args[++j], &delivery_time)) {
        ctx.reply.Error(errors::kStreamClaimIdle);
        return;
      }
      delivery_time = now - delivery_time;
    } else if (EqualsNoCase(opt, "time") && more) {
      if (!ParseInt64(ctx.args[++j], &delivery_time)) {
        ctx.reply.Error(errors::kStreamClaimTime);
        return;
      }
    } else if (EqualsNoCase(opt, "retrycount") && more) {
      if (!ParseInt64(ctx.args[++j], &retry_count)) {
        ctx.reply.Error(errors::kStreamClaimRetry);
        return;
      }
    } else if (EqualsNoCase(opt, "lastid") && more) {
      if (!ParseIdOrReply(ctx, ctx.args[++j], &last_id, 0, true)) return;
    } else {
      ctx.reply.Error(fmt::format(fmt::runtime(errors::kStreamClaimUnknownFmt), ErrArg(opt)));
      return;
    }
  }
  const bool last_id_moved = last_id > g->last_id;
  if (last_id_moved) g->last_id = last_id;
  if (delivery_time == -1 || delivery_time < 0 || delivery_time > now) delivery_time = now;
  StreamConsumer* consumer = ConsumerForClaim(ctx, g, ctx.args[3]);

  const size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  bool claims_logged = false;  // an XCLAIM carries the group's last ID (LASTID)
  for (size_t k = 0; k < ids.size(); ++k) {
    const StreamID id = ids[k];
    std::string_view id_arg = ctx.args[5 + k];  // logged as given, as Redis does
    auto it = g->pel.find(id);
    if (!s->Contains(id)) {
      // An entry deleted from the stream leaves the pending list: logged as a claim by its
      // owner as it was, which a replay drops the same way.
      if (it != g->pel.end()) {
        PropagateClaim(ctx, ctx.args[1], ctx.args[2], *g, id_arg, *it->second);
        claims_logged = true;
        ctx.dirty++;
        ctx.ChangedUnsignalled();
        g->DropPending(it);
      }
      continue;
    }
    if (it == g->pel.end()) {
      if (!force) continue;
      it = g->pel.emplace(id, std::make_unique<StreamNack>(StreamNack{now, 1, nullptr})).first;
    }
    StreamNack* nack = it->second.get();
    if (nack->consumer != nullptr && min_idle != 0 && now - nack->delivery_time < min_idle) {
      continue;
    }
    nack->delivery_time = delivery_time;
    if (retry_count >= 0) {
      nack->delivery_count = static_cast<uint64_t>(retry_count);
    } else if (!justid) {
      ++nack->delivery_count;
    }
    MoveNack(nack, id, consumer);
    PropagateClaim(ctx, ctx.args[1], ctx.args[2], *g, id_arg, *nack);
    claims_logged = true;
    ctx.dirty++;
    ctx.ChangedUnsignalled();
    if (justid) {
      ReplyId(ctx, id);
    } else {
      ReplyEntryById(ctx, *s, id);
    }
    ++n;
    consumer->active_time = now;
  }
  if (last_id_moved && !claims_logged) {
    PropagateGroupLastId(ctx, ctx.args[1], ctx.args[2], *g);
    ctx.dirty++;
    ctx.ChangedUnsignalled();
  }
  ctx.reply.EndDeferred(at, '*', n);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
// Redis allocates COUNT stream IDs up front with ztrymalloc() and answers "Insufficient memory"
// when that fails; we allocate nothing by COUNT, but answer the same where the allocation
// would fail: past RAM + swap under Linux's default heuristic overcommit (and modes 2), past
// the 47-bit address space when overcommit is always allowed.
bool TransientAllocationWouldFail(uint64_t bytes) {
  int mode = 0;
  if (FILE* f = std::fopen("/proc/sys/vm/overcommit_memory", "r")) {
    if (std::fscanf(f, "%d", &mode) != 1) mode = 0;
    std::fclose(f);
  }
  if (mode == 1) return bytes > (uint64_t{1} << 47);
  struct sysinfo si {};
  if (sysinfo(&si) != 0) return false;
  const uint64_t total = (static_cast<uint64_t>(si.totalram) + si.totalswap) * si.mem_unit;
  return bytes > total;
}

void XAutoClaimCmd(CommandContext& ctx) {
  ctx.effects_only = true;  // logged as the claims it made, never as sent
  int64_t min_idle;
  if (!ParseInt64(ctx.args[4], &min_idle)) {
    ctx.reply.Error(errors::kStreamAutoclaimMinIdle);
    return;
  }
  if (min_idle < 0) min_idle = 0;
  StreamID start;
  bool ex;
  if (!ParseIntervalIdOrReply(ctx, ctx.args[5], &start, &ex, 0)) return;
  if (ex && !start.Incr()) {
    ctx.reply.Error(errors::kStreamBadStart);
    return;
  }
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < ctx.args.size(); ++j) {
    if (EqualsNoCase(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[j + 1], &count) || count < 1 || count > INT64_MAX / 16) {
        ctx.reply.Error(errors::kStreamAutoclaimCount);
        return;
      }
      ++j;
    } else if (EqualsNoCase(ctx.args[j], "justid")) {
      justid = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  StreamGroup* g = s == nullptr ? nullptr : s->FindGroup(ctx.args[2]);
  if (g == nullptr) return ReplyNoGroup(ctx, ctx.args[1], ctx.args[2]);
  if (TransientAllocationWouldFail(static_cast<uint64_t>(count) * 16)) {
    ctx.reply.Error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
    return;
  }
  StreamConsumer* consumer = ConsumerForClaim(ctx, g, ctx.args[3]);

  const int64_t now = ctx.db.now_ms();
  int64_t attempts = count * kAttemptsFactor;
  std::vector<StreamID> deleted;
  std::string entries;
  resp::ReplyBuilder entry_reply(&entries, ctx.reply.protocol());
  CommandContext entry_ctx{ctx.server, ctx.client, entry_reply, ctx.args, ctx.db, ctx.spec};
  size_t n = 0;
  auto it = g->pel.lower_bound(start);
  for (; attempts > 0 && count > 0 && it != g->pel.end(); --attempts) {
    const StreamID id = it->first;
    StreamNack* nack = it->second.get();
    if (!s->Contains(id)) {
      // Logged as a claim by its owner as it was, which a replay drops the same way.
      PropagateClaim(ctx, ctx.args[1], ctx.args[2], *g, id.ToString(), *nack);
      ctx.dirty++;
      ctx.ChangedUnsignalled();
      it = g->DropPending(it);
      deleted.push_back(id);
      --count;
      continue;
    }
    if (min_idle != 0 && now - nack->delivery_time < min_idle) {
      ++it;
      continue;
    }
    nack->delivery_time = now;
    if (!justid) ++nack->delivery_count;
    MoveNack(nack, id, consumer);
    PropagateClaim(ctx, ctx.args[1], ctx.args[2], *g, id.ToString(), *nack);
    ctx.dirty++;
    ctx.ChangedUnsignalled();
    if (justid) {
      ReplyId(entry_ctx, id);
    } else {
      ReplyEntryById(entry_ctx, *s, id);
    }
    ++n;
    --count;
    consumer->active_time = now;
    ++it;
  }
  ctx.reply.ArrayHeader(3);
  ReplyId(ctx, it == g->pel.end() ? StreamID{} : it->first);
  ctx.reply.ArrayHeader(n);
  ctx.reply.buffer()->append(entries);
  ctx.reply.ArrayHeader(deleted.size());
  for (StreamID id : deleted) ReplyId(ctx, id);
}

}  // namespace

void RegisterGroupCommands(CommandTable* table) {
  using namespace argdoc;  // NOLINT: argument tables read best unqualified
  auto sub = [](std::string name, int arity, uint32_t flags, uint32_t key_flags, Handler h,
                std::string_view since, std::string_view summary, std::vector<ArgDoc> args) {
    return StreamSpec(std::move(name), arity, flags, KeySpec{2, 2, 1, key_flags},
                      kAclSlow | ((flags & kWrite) != 0 ? kAclWrite : kAclRead), h, since, "O(1)",
                      summary, std::move(args));
  };
  const ArgDoc entries_read = Int("entries_read").Tok("ENTRIESREAD").Display("entries-read").Opt();
  CommandSpec xgroup = MakeContainerSpec(
      "xgroup", "stream", "5.0.0",
      "Consumer group subcommands: groups and their consumers made, moved, removed.");
  xgroup.subcommands = {
      sub("create", -5, kWrite | kDenyOom, kKeyRW | kKeyInsert, XGroupCreateCmd, "5.0.0",
          "Makes a consumer group that delivers the entries after a given ID.",
          {Key("key"), Str("groupname"), GroupIdArgDoc(), PureToken("mkstream", "MKSTREAM").Opt(),
           entries_read}),
      sub("setid", -5, kWrite, kKeyRW | kKeyUpdate, XGroupSetIdCmd, "5.0.0",
          "Moves a group's last delivered ID and sets its read counter.",
          {Key("key"), Str("groupname"), GroupIdArgDoc(), entries_read}),
      sub("destroy", 4, kWrite, kKeyRW | kKeyDelete, XGroupDestroyCmd, "5.0.0",
          "Removes a consumer group with its pending entries.", {Key("key"), Str("groupname")}),
      sub("createconsumer", 5, kWrite | kDenyOom, kKeyRW | kKeyInsert, XGroupCreateConsumerCmd,
          "6.2.0", "Adds a named consumer to a group.",
          {Key("key"), Str("groupname"), Str("consumername")}),
      sub("delconsumer", 5, kWrite, kKeyRW | kKeyDelete, XGroupDelConsumerCmd, "5.0.0",
          "Removes a consumer from a group, dropping its pending entries.",
          {Key("key"), Str("groupname"), Str("consumername")}),
  };
  CommandSpec help = StreamSpec("help", 2, kLoading | kStale, KeySpec{}, kAclSlow, XGroupHelpCmd,
                                "5.0.0", "O(1)", "Lists the XGROUP subcommands.");
  xgroup.subcommands.push_back(std::move(help));
  table->Add(std::move(xgroup));

  const KeySpec kUpdateKey{1, 1, 1, kKeyRW | kKeyUpdate};
  table->Add(StreamSpec("xack", -4, kWrite | kFast, kUpdateKey, kAclWrite | kAclFast, XAckCmd,
                        "5.0.0", "O(log P) per ID for P pending entries of the group.",
                        "Acknowledges entries of a consumer group, removing them from its "
                        "pending list.",
                        {Key("key"), Str("group"), Str("id").Multi()}));
  table->Add(StreamSpec("xpending", -3, kReadOnly, KeySpec{1, 1, 1, kKeyRO | kKeyAccess},
                        kAclRead | kAclSlow, XPendingCmd, "5.0.0",
                        "O(log P + N): P pending entries to search, N returned; the summary is "
                        "O(C) for C consumers.",
                        "Returns the pending entries of a consumer group, or a summary of them.",
                        {Key("key"), Str("group"),
                         Block("filters", {Int("min-idle-time").Tok("IDLE").Opt(), Str("start"),
                                           Str("end"), Int("count"), Str("consumer").Opt()})
                             .Opt()}));
  table->Add(StreamSpec(
      "xclaim", -6, kWrite | kFast, kUpdateKey, kAclWrite | kAclFast, XClaimCmd, "5.0.0",
      "O(log N) per ID for N pending entries of the group.",
      "Gives pending entries of a consumer group to another consumer.",
      {Key("key"), Str("group"), Str("consumer"), Str("min-idle-time"), Str("id").Multi(),
       Int("ms").Tok("IDLE").Opt(), UnixTime("unix-time-milliseconds").Tok("TIME").Opt(),
       Int("count").Tok("RETRYCOUNT").Opt(), PureToken("force", "FORCE").Opt(),
       PureToken("justid", "JUSTID").Opt(), Str("id").Tok("LASTID").Opt()}));
  table->Add(StreamSpec(
      "xautoclaim", -6, kWrite | kFast, KeySpec{1, 1, 1, kKeyRW | kKeyDelete}, kAclWrite | kAclFast,
      XAutoClaimCmd, "6.2.0", "O(1) per entry examined, at most ten times COUNT of them.",
      "Gives pending entries idle long enough to another consumer, scanning "
      "the pending list like a cursor.",
      {Key("key"), Str("group"), Str("consumer"), Str("min-idle-time"), Str("start"),
       Int("count").Tok("COUNT").Opt(), PureToken("justid", "JUSTID").Opt()}));
}

}  // namespace tessera::server::stream
