// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP (stream_family.h).
//
// The field names and their order are Redis 7.2's, since tools read them by position in RESP2.
// Two fields describe Redis's radix tree: `radix-tree-keys` is the number of nodes (one key
// per node in Redis too) and `radix-tree-nodes` the node count of a radix tree over those
// keys as Redis would build it for IDs from the clock, estimated, since our index is a sorted
// vector.
#include <string>

#include <fmt/format.h>

#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/stream_family.h"

namespace tessera::server::stream {

namespace {

using types::kInvalidEntriesRead;
using types::StreamGroup;

// The stream of args[2]; replies "no such key" or WRONGTYPE and returns false otherwise.
bool ExistingStreamOrReply(CommandContext& ctx, StreamValue** s) {
  if (!FindStreamOrReply(ctx, ctx.args[2], s)) return false;
  if (*s != nullptr) return true;
  ctx.reply.Error(errors::kNoSuchKey);
  return false;
}

void ReplyEntriesRead(CommandContext& ctx, const StreamGroup& g) {
  if (g.entries_read != kInvalidEntriesRead) {
    ctx.reply.Integer(g.entries_read);
  } else {
    ctx.reply.Null();
  }
}

void ReplyLag(CommandContext& ctx, const StreamValue& s, const StreamGroup& g) {
  const std::optional<int64_t> lag = s.GroupLag(g);
  if (lag) {
    ctx.reply.Integer(*lag);
  } else {
    ctx.reply.Null();
  }
}

// Redis's radix tree over K node keys (16-byte IDs from the clock, sharing long prefixes)
// has 2K + 2 nodes past the first key, which takes two (measured on redis-server: 1 key 2
// nodes, 5 keys 12, 50 keys 102); an empty tree is its root.
int64_t EstimatedRaxNodes(size_t keys) {
  if (keys <= 1) return static_cast<int64_t>(keys) + 1;
  return static_cast<int64_t>(2 * keys + 2);
}

void ReplyGroupFull(CommandContext& ctx, const StreamValue& s, const std::string& name,
                    const StreamGroup& g, int64_t count) {
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("name");
  ctx.reply.Bulk(name);
  ctx.reply.Bulk("last-delivered-id");
  ReplyId(ctx, g.last_id);
  ctx.reply.Bulk("entries-read");
  ReplyEntriesRead(ctx, g);
  ctx.reply.Bulk("lag");
  ReplyLag(ctx, s, g);
  ctx.reply.Bulk("pel-count");
  ctx.reply.Integer(static_cast<int64_t>(g.pel.size()));
  ctx.reply.Bulk("pending");
  size_t n = g.pel.size();
  if (count != 0) n = std::min<size_t>(n, static_cast<size_t>(count));
  ctx.reply.ArrayHeader(n);
  auto pit = g.pel.begin();
  for (size_t i = 0; i < n; ++i, ++pit) {
    ctx.reply.ArrayHeader(4);
    ReplyId(ctx, pit->first);
    ctx.reply.Bulk(pit->second->consumer->name);
    ctx.reply.Integer(pit->second->delivery_time);
    ctx.reply.Integer(static_cast<int64_t>(pit->second->delivery_count));
  }
  ctx.reply.Bulk("consumers");
  ctx.reply.ArrayHeader(g.consumers.size());
  for (const auto& [cname, c] : g.consumers) {
    ctx.reply.MapHeader(5);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(cname);
    ctx.reply.Bulk("seen-time");
    ctx.reply.Integer(c->seen_time);
    ctx.reply.Bulk("active-time");
    ctx.reply.Integer(c->active_time);
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
    ctx.reply.Bulk("pending");
    size_t m = c->pel.size();
    if (count != 0) m = std::min<size_t>(m, static_cast<size_t>(count));
    ctx.reply.ArrayHeader(m);
    auto cit = c->pel.begin();
    for (size_t i = 0; i < m; ++i, ++cit) {
      ctx.reply.ArrayHeader(3);
      ReplyId(ctx, cit->first);
      ctx.reply.Integer(cit->second->delivery_time);
      ctx.reply.Integer(static_cast<int64_t>(cit->second->delivery_count));
    }
  }
}

void XInfoStreamCmd(CommandContext& ctx) {
  StreamValue* s;
  if (!ExistingStreamOrReply(ctx, &s)) return;
  const size_t optc = ctx.args.size() - 3;
  bool full = false;
  int64_t count = 10;
  if (optc != 0) {
    if ((optc != 1 && optc != 3) || !EqualsNoCase(ctx.args[3], "full")) {
      return ReplySubcommandSyntaxError(ctx);
    }
    full = true;
    if (optc == 3) {
      if (!EqualsNoCase(ctx.args[4], "count")) return ReplySubcommandSyntaxError(ctx);
      if (!ParseIntArgOrReply(ctx, ctx.args[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  ctx.reply.MapHeader(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(static_cast<int64_t>(s->length()));
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(static_cast<int64_t>(s->node_count()));
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(EstimatedRaxNodes(s->node_count()));
  ctx.reply.Bulk("last-generated-id");
  ReplyId(ctx, s->last_id());
  ctx.reply.Bulk("max-deleted-entry-id");
  ReplyId(ctx, s->max_deleted_id());
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(static_cast<int64_t>(s->entries_added()));
  ctx.reply.Bulk("recorded-first-entry-id");
  ReplyId(ctx, s->first_id());
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(s->groups() != nullptr ? static_cast<int64_t>(s->groups()->size()) : 0);
    for (const bool last : {false, true}) {
      ctx.reply.Bulk(last ? "last-entry" : "first-entry");
      StreamValue::Iterator it(*s, StreamID::Min(), StreamID::Max(), last);
      if (it.Next()) {
        ReplyEntry(ctx, it);
      } else {
        ctx.reply.Null();
      }
    }
    return;
  }
  ctx.reply.Bulk("entries");
  ReplyRange(ctx, *s, StreamID::Min(), StreamID::Max(), static_cast<size_t>(count), false);
  ctx.reply.Bulk("groups");
  if (s->groups() == nullptr) return ctx.reply.EmptyArray();
  ctx.reply.ArrayHeader(s->groups()->size());
  for (const auto& [name, g] : *s->groups()) ReplyGroupFull(ctx, *s, name, *g, count);
}

void XInfoGroupsCmd(CommandContext& ctx) {
  StreamValue* s;
  if (!ExistingStreamOrReply(ctx, &s)) return;
  if (s->groups() == nullptr) return ctx.reply.EmptyArray();
  ctx.reply.ArrayHeader(s->groups()->size());
  for (const auto& [name, g] : *s->groups()) {
    ctx.reply.MapHeader(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(static_cast<int64_t>(g->consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, *s, *g);
  }
}

void XInfoConsumersCmd(CommandContext& ctx) {
  StreamValue* s;
  if (!ExistingStreamOrReply(ctx, &s)) return;
  StreamGroup* g = s->FindGroup(ctx.args[3]);
  if (g == nullptr) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kStreamNoGroupForKeyFmt), ErrArg(ctx.args[3]),
                                ErrArg(ctx.args[2])));
    return;
  }
  const int64_t now = ctx.db.now_ms();
  ctx.reply.ArrayHeader(g->consumers.size());
  for (const auto& [name, c] : g->consumers) {
    ctx.reply.MapHeader(4);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
    ctx.reply.Bulk("idle");
    ctx.reply.Integer(std::max<int64_t>(0, now - c->seen_time));
    ctx.reply.Bulk("inactive");
    ctx.reply.Integer(c->active_time != -1 ? now - c->active_time : -1);
  }
}

void XInfoHelpCmd(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "CONSUMERS <key> <groupname>",
                     "    List the consumers of a group with their pending counts and idle "
                     "times.",
                     "GROUPS <key>",
                     "    List the consumer groups of a stream.",
                     "STREAM <key> [FULL [COUNT <count>]",
                     "    Describe a stream; FULL adds its entries, groups and pending lists.",
                 });
}

}  // namespace

void RegisterInfoCommands(CommandTable* table) {
  const KeySpec kKey{2, 2, 1, kKeyRO | kKeyAccess};
  CommandSpec xinfo = MakeContainerSpec(
      "xinfo", "stream", "5.0.0",
      "Stream introspection subcommands: the stream, its groups, their consumers.");
  xinfo.subcommands = {
      StreamSpec("consumers", 4, kReadOnly, kKey, kAclRead | kAclSlow, XInfoConsumersCmd, "5.0.0",
                 "O(1)", "Lists a group's consumers with their pending counts and idle times.",
                 {argdoc::Key("key"), argdoc::Str("groupname")}),
      StreamSpec("groups", 3, kReadOnly, kKey, kAclRead | kAclSlow, XInfoGroupsCmd, "5.0.0", "O(1)",
                 "Lists a stream's consumer groups with their progress.", {argdoc::Key("key")}),
      StreamSpec(
          "stream", -3, kReadOnly, kKey, kAclRead | kAclSlow, XInfoStreamCmd, "5.0.0",
          "O(1), or O(N) with FULL for the N entries and pending entries it lists.",
          "Describes a stream: length, IDs, counters, first and last entries.",
          {argdoc::Key("key"),
           argdoc::Block("full", {argdoc::Int("count").Tok("COUNT").Opt()}).Tok("FULL").Opt()}),
      StreamSpec("help", 2, kLoading | kStale, KeySpec{}, kAclSlow, XInfoHelpCmd, "5.0.0", "O(1)",
                 "Lists the XINFO subcommands."),
  };
  table->Add(std::move(xinfo));
}

}  // namespace tessera::server::stream
