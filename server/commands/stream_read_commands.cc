// XREAD and XREADGROUP, blocking included (stream_family.h).
//
// Both parse like Redis's xreadCommand, resolve every stream's starting ID (XREAD's `$` and
// `+`, XREADGROUP's `>`), serve each stream that has entries after it, and otherwise block
// through CommandContext::BlockOn.  A blocked XREAD waits with `$` replaced by the ID it
// stood for, so entries added while it waits are what it returns; XREAD runs again when a
// stream gets entries (XADD notes the key ready).  XREADGROUP also runs again when its key is
// deleted or changes type, and when its group is destroyed, and then answers with the error
// the new state gives (NOGROUP, WRONGTYPE), as Redis 7.2 does.
//
// XREADGROUP with `>` delivers new entries: it moves the group's last ID and read counter
// forward and, unless NOACK, records each entry as pending for the consumer (taking it from
// another consumer when XGROUP SETID made the group deliver it again).  With an explicit ID
// it re-reads the consumer's own pending entries, bumping their delivery counts.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/stream_family.h"

namespace tessera::server::stream {

namespace {

using types::StreamConsumer;
using types::StreamGroup;
using types::StreamNack;

struct ReadArgs {
  int64_t deadline_ms = -1;  // -1: no BLOCK
  int64_t count = 0;         // 0: no limit
  size_t streams_arg = 0;    // index of the first key
  size_t streams = 0;
  bool noack = false;
  std::string_view group;
  std::string_view consumer;
  bool has_group = false;
};

bool ParseReadArgsOrReply(CommandContext& ctx, bool xreadgroup, ReadArgs* a) {
  ArgList args = ctx.args;
  for (size_t i = 1; i < args.size(); ++i) {
    const size_t more = args.size() - 1 - i;
    std::string_view o = args[i];
    if (EqualsNoCase(o, "block") && more > 0) {
      if (ctx.client.in_script) {  // a script cannot wait; Redis refuses the option outright
        ctx.reply.Error(
            fmt::format(fmt::runtime(errors::kStreamBlockInScriptFmt), CStringPrefix(ctx.args[0])));
        return false;
      }
      ++i;
      if (!ParseBlockTimeoutMsOrReply(ctx, args[i], &a->deadline_ms)) return false;
    } else if (EqualsNoCase(o, "count") && more > 0) {
      ++i;
      if (!ParseIntArgOrReply(ctx, args[i], &a->count)) return false;
      if (a->count < 0) a->count = 0;
    } else if (EqualsNoCase(o, "streams") && more > 0) {
      a->streams_arg = i + 1;
      a->streams = args.size() - a->streams_arg;
      if (a->streams % 2 != 0) {
        ctx.reply.Error(fmt::format(fmt::runtime(errors::kStreamUnbalancedFmt),
                                    xreadgroup ? "xreadgroup" : "xread", xreadgroup ? '>' : '$'));
        return false;
      }
      a->streams /= 2;
      break;
    } else if (EqualsNoCase(o, "group") && more >= 2) {
      if (!xreadgroup) {
        ctx.reply.Error(errors::kStreamGroupOnlyXreadgroup);
        return false;
      }
      a->group = args[i + 1];
      a->consumer = args[i + 2];
      a->has_group = true;
      i += 2;
    } else if (EqualsNoCase(o, "noack")) {
      if (!xreadgroup) {
        ctx.reply.Error(errors::kStreamNoackOnlyXreadgroup);
        return false;
      }
      a->noack = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (a->streams_arg == 0) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  if (xreadgroup && !a->has_group) {
    ctx.reply.Error(errors::kStreamMissingGroup);
    return false;
  }
  return true;
}

// Records `id` as delivered to `consumer` (Redis's NACK creation or reassignment).
void MarkPending(StreamGroup* g, StreamConsumer* consumer, StreamID id, int64_t now) {
  auto [it, inserted] = g->pel.try_emplace(id);
  if (inserted) {
    it->second = std::make_unique<StreamNack>(StreamNack{now, 1, consumer});
  } else {
    StreamNack* nack = it->second.get();
    nack->consumer->pel.erase(id);
    nack->consumer = consumer;
    nack->delivery_time = now;
    nack->delivery_count = 1;
  }
  consumer->pel[id] = it->second.get();
}

// XREADGROUP `>`: new entries from `start` on.
void ReplyNewForGroup(CommandContext& ctx, std::string_view key, std::string_view group_name,
                      const StreamValue& s, StreamGroup* g, StreamConsumer* consumer,
                      StreamID start, size_t count, bool noack) {
  const int64_t now = ctx.db.now_ms();
  const size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  StreamValue::Iterator it(s, start, StreamID::Max(), false);
  while ((count == 0 || n < count) && it.Next()) {
    const StreamID id = it.id();
    if (id > g->last_id) s.AdvanceGroup(g, id);
    ReplyEntry(ctx, it);
    if (!noack) {
      MarkPending(g, consumer, id, now);
      consumer->active_time = now;
      PropagateClaim(ctx, key, group_name, *g, id.ToString(), *g->pel.find(id)->second);
    }
    ++n;
  }
  // Without NOACK the claims carry the group's last ID (LASTID); with it, nothing else does.
  if (noack && n > 0) PropagateGroupLastId(ctx, key, group_name, *g);
  ctx.reply.EndDeferred(at, '*', n);
}

// XREADGROUP with an ID: the consumer's own pending entries from `start` on.  An entry
// deleted since it was delivered shows as its ID and a null.
void ReplyConsumerHistory(CommandContext& ctx, const StreamValue& s, StreamConsumer* consumer,
                          StreamID start, size_t count) {
  const int64_t now = ctx.db.now_ms();
  const size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  for (auto it = consumer->pel.lower_bound(start);
       it != consumer->pel.end() && (count == 0 || n < count); ++it, ++n) {
    if (ReplyEntryById(ctx, s, it->first)) {
      it->second->delivery_time = now;
      ++it->second->delivery_count;
    } else {
      ctx.reply.ArrayHeader(2);
      ReplyId(ctx, it->first);
      ctx.reply.NullArray();
    }
  }
  ctx.reply.EndDeferred(at, '*', n);
}

void ReadGeneric(CommandContext& ctx, bool xreadgroup) {
  ctx.effects_only = true;  // XREADGROUP logs what it changed, never itself
  ReadArgs a;
  if (!ParseReadArgsOrReply(ctx, xreadgroup, &a)) return;
  const size_t ids_arg = a.streams_arg + a.streams;
  std::vector<StreamID> ids(a.streams);
  std::vector<StreamValue*> streams(a.streams, nullptr);
  std::vector<StreamGroup*> groups(a.streams, nullptr);
  bool rewrite_dollar = false;
  for (size_t k = 0; k < a.streams; ++k) {
    std::string_view key = ctx.args[a.streams_arg + k];
    std::string_view arg = ctx.args[ids_arg + k];
    if (!FindStreamOrReply(ctx, key, &streams[k])) return;
    StreamValue* s = streams[k];
    if (a.has_group) {
      groups[k] = s == nullptr ? nullptr : s->FindGroup(a.group);
      if (groups[k] == nullptr) {
        ctx.reply.Error(
            fmt::format(fmt::runtime(errors::kStreamNoGroupReadFmt), ErrArg(key), ErrArg(a.group)));
        return;
      }
    }
    if (arg == "$") {
      if (xreadgroup) {
        ctx.reply.Error(errors::kStreamDollarInGroup);
        return;
      }
      ids[k] = s != nullptr ? s->last_id() : StreamID{};
      rewrite_dollar = true;
    } else if (arg == "+") {
      if (xreadgroup) {
        ctx.reply.Error(errors::kStreamPlusInGroup);
        return;
      }
      ids[k] = StreamID{};
      if (s != nullptr) {
        ids[k] = s->last_id();
        if (!ids[k].Decr()) {
          ctx.reply.Error(errors::kStreamLastIdZero);
          return;
        }
      }
    } else if (arg == ">") {
      if (!xreadgroup) {
        ctx.reply.Error(errors::kStreamGtOutsideGroup);
        return;
      }
      ids[k] = StreamID::Max();
    } else if (!ParseIdOrReply(ctx, arg, &ids[k], 0, true)) {
      return;
    }
  }

  const int64_t now = ctx.db.now_ms();
  const size_t count = static_cast<size_t>(a.count);
  size_t served = 0;
  size_t at = 0;
  for (size_t k = 0; k < a.streams; ++k) {
    std::string_view key = ctx.args[a.streams_arg + k];
    StreamValue* s = streams[k];
    if (s == nullptr) continue;
    StreamID gt = ids[k];
    bool sync = false;
    bool history = false;
    StreamConsumer* consumer = nullptr;
    if (a.has_group) {
      if (gt != StreamID::Max()) {
        sync = history = true;
      } else if (s->length() > 0 && s->EdgeId(false, true) > groups[k]->last_id) {
        sync = true;
        gt = groups[k]->last_id;  // `>`: what the group has not delivered yet
      }
      consumer = groups[k]->FindConsumer(a.consumer);
      if (consumer == nullptr) {
        consumer = groups[k]->CreateConsumer(a.consumer, now);
        NoteConsumerCreated(ctx, key);
        if (a.noack) PropagateConsumerCreation(ctx, key, a.group, a.consumer);
      }
      consumer->seen_time = now;
    } else if (s->length() > 0 && s->EdgeId(false, true) > gt) {
      sync = true;
    }
    if (!sync) continue;
    if (++served == 1) at = ctx.reply.StartDeferred();
    StreamID start = gt;
    start.Incr();
    if (ctx.reply.protocol() == 2) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    if (a.has_group) {
      ctx.dirty++;  // as Redis counts a served group read, whatever it logs
      ctx.ChangedUnsignalled();
    }
    if (history) {
      ReplyConsumerHistory(ctx, *s, consumer, start, count);
    } else if (a.has_group) {
      ReplyNewForGroup(ctx, key, a.group, *s, groups[k], consumer, start, count, a.noack);
    } else {
      ReplyRange(ctx, *s, start, StreamID::Max(), count, false);
    }
  }
  if (served > 0) {
    ctx.reply.EndDeferred(at, ctx.reply.protocol() == 2 ? '*' : 'M', served);
    return;
  }
  if (a.deadline_ms == -1 || !ctx.may_block) return ctx.reply.NullArray();

  BlockRequest request;
  for (size_t k = 0; k < a.streams; ++k) {
    request.keys.emplace_back(ctx.args[a.streams_arg + k]);
  }
  request.deadline_ms = a.deadline_ms;
  request.type = keyspace::ValueType::kStream;
  request.wake_on_missing = xreadgroup;
  if (rewrite_dollar) {
    request.args.assign(ctx.args.begin(), ctx.args.end());
    for (size_t k = 0; k < a.streams; ++k) {
      if (ctx.args[ids_arg + k] == "$") request.args[ids_arg + k] = ids[k].ToString();
    }
  }
  ctx.BlockOn(std::move(request));
}

void XReadCmd(CommandContext& ctx) { ReadGeneric(ctx, false); }
void XReadGroupCmd(CommandContext& ctx) { ReadGeneric(ctx, true); }

// The keys of XREAD/XREADGROUP: the first half of what follows STREAMS (rounded down, as
// Redis's key spec counts them, so COMMAND GETKEYS and ACL key checks of an unbalanced list see
// the same keys as Redis's; the command itself refuses the list), skipping the options'
// arguments to find the STREAMS keyword as Redis's xreadGetKeys does.
bool XReadKeys(ArgList args, std::vector<int>* out) {
  size_t streams_pos = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsNoCase(args[i], "block") || EqualsNoCase(args[i], "count")) {
      ++i;
    } else if (EqualsNoCase(args[i], "group")) {
      i += 2;
    } else if (EqualsNoCase(args[i], "noack")) {
      continue;
    } else if (EqualsNoCase(args[i], "streams")) {
      streams_pos = i;
      break;
    } else {
      break;
    }
  }
  if (streams_pos == 0) return false;
  const size_t num = args.size() - streams_pos - 1;
  if (num < 2) return false;
  for (size_t k = 0; k < num / 2; ++k) out->push_back(static_cast<int>(streams_pos + 1 + k));
  return true;
}

}  // namespace

void RegisterReadCommands(CommandTable* table) {
  using namespace argdoc;  // NOLINT: argument tables read best unqualified
  const ArgDoc streams = Block("streams", {Key("key").Multi(), Str("id").Multi()}).Tok("STREAMS");
  const ArgDoc count = Int("count").Tok("COUNT").Opt();
  const ArgDoc block = Int("milliseconds").Tok("BLOCK").Opt();
  CommandSpec xread = StreamSpec(
      "xread", -4, kReadOnly | kBlocking, KeySpec{}, kAclRead | kAclSlow | kAclBlocking, XReadCmd,
      "5.0.0",
      "O(N) per stream for the N entries it returns, so O(1) per stream with a fixed COUNT; a "
      "blocked reader is served by the XADD that wakes it.",
      "Returns entries of one or more streams after the IDs given, blocking until some arrive "
      "or the timeout passes when asked to.",
      {count, block, streams});
  // The keys are the first half of what follows STREAMS (Redis's spec; XReadKeys finds them).
  KeySpec after_streams{1, -1, 1, kKeyRO | kKeyAccess, "STREAMS"};
  after_streams.limit = 2;
  xread.keys.flags = kKeyRO | kKeyAccess;
  xread.key_specs = {after_streams};
  xread.key_extractor = XReadKeys;
  table->Add(std::move(xread));
  CommandSpec xreadgroup = StreamSpec(
      "xreadgroup", -7, kWrite | kBlocking, KeySpec{}, kAclWrite | kAclSlow | kAclBlocking,
      XReadGroupCmd, "5.0.0",
      "O(M log P) per stream for the M entries it returns and P pending entries of the group; a "
      "blocked reader is served by the XADD that wakes it.",
      "Reads entries of streams for a consumer of a group, recording them as pending, "
      "blocking until some arrive or the timeout passes when asked to.",
      {Block("group_consumer", {Str("group"), Str("consumer")}).Tok("GROUP"), count, block,
       PureToken("noack", "NOACK").Opt(), streams});
  xreadgroup.keys.flags = kKeyRO | kKeyAccess;  // as Redis declares it
  after_streams.first = 4;
  xreadgroup.key_specs = {after_streams};
  xreadgroup.key_extractor = XReadKeys;
  table->Add(std::move(xreadgroup));
}

}  // namespace tessera::server::stream
