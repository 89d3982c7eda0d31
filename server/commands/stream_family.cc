// The stream commands that add, read by range, delete and trim entries: XADD XRANGE
// XREVRANGE XLEN XDEL XTRIM XSETID, the helpers every stream file shares (stream_family.h),
// and the registration of the whole family.
#include "server/commands/stream_family.h"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/keyspace/stream_ops.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"

namespace tessera::server::stream {

namespace {

// Redis's string2ull: a canonical int64 that is not negative, or whatever strtoull reads in
// full without overflow (leading blanks, '+', leading zeros and values above INT64_MAX).
bool StringToUll(std::string_view s, uint64_t* out) {
  int64_t ll;
  if (ParseInt64(s, &ll)) {
    if (ll < 0) return false;
    *out = static_cast<uint64_t>(ll);
    return true;
  }
  if (s.empty()) return false;
  std::string c(s);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(c.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

// --- Shared helpers ---------------------------------------------------------------------

std::string_view ErrArg(std::string_view arg) { return CStringPrefix(arg); }

bool ParseId(std::string_view arg, StreamID* id, uint64_t missing_seq, bool strict,
             bool* seq_given) {
  if (arg.size() > 127) return false;
  arg = CStringPrefix(arg);  // Redis copies the argument into a C string
  if (strict && (arg == "-" || arg == "+")) return false;
  if (seq_given != nullptr) *seq_given = true;
  if (arg == "-") {
    *id = StreamID::Min();
    return true;
  }
  if (arg == "+") {
    *id = StreamID::Max();
    return true;
  }
  const size_t dash = arg.find('-');
  uint64_t ms, seq;
  if (!StringToUll(arg.substr(0, dash), &ms)) return false;
  if (dash == std::string_view::npos) {
    seq = missing_seq;
  } else {
    std::string_view rest = arg.substr(dash + 1);
    if (seq_given != nullptr && rest == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!StringToUll(rest, &seq)) {
      return false;
    }
  }
  *id = StreamID{ms, seq};
  return true;
}

bool ParseIdOrReply(CommandContext& ctx, std::string_view arg, StreamID* id, uint64_t missing_seq,
                    bool strict, bool* seq_given) {
  if (ParseId(arg, id, missing_seq, strict, seq_given)) return true;
  ctx.reply.Error(errors::kStreamInvalidId);
  return false;
}

bool ParseIntervalIdOrReply(CommandContext& ctx, std::string_view arg, StreamID* id,
                            bool* exclusive, uint64_t missing_seq) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  if (*exclusive) return ParseIdOrReply(ctx, arg.substr(1), id, missing_seq, true);
  return ParseIdOrReply(ctx, arg, id, missing_seq, false);
}

bool FindStreamOrReply(CommandContext& ctx, std::string_view key, StreamValue** s) {
  OpResult<StreamValue*> found = keyspace::OpFindStream(ctx.db, key);
  if (!found) {
    ReplyStatus(ctx, found.status());
    return false;
  }
  *s = *found;
  return true;
}

void ReplyId(CommandContext& ctx, StreamID id) { ctx.reply.Bulk(id.ToString()); }

void ReplyEntry(CommandContext& ctx, StreamValue::Iterator& it) {
  ctx.reply.ArrayHeader(2);
  ReplyId(ctx, it.id());
  const size_t n = it.num_fields();
  ctx.reply.ArrayHeader(n * 2);
  for (size_t i = 0; i < n; ++i) {
    std::string_view field, value;
    it.NextField(&field, &value);
    ctx.reply.Bulk(field);
    ctx.reply.Bulk(value);
  }
}

bool ReplyEntryById(CommandContext& ctx, const StreamValue& s, StreamID id) {
  StreamValue::Iterator it(s, id, id, false);
  if (!it.Next()) return false;
  ReplyEntry(ctx, it);
  return true;
}

size_t ReplyRange(CommandContext& ctx, const StreamValue& s, StreamID start, StreamID end,
                  size_t count, bool reverse) {
  const size_t at = ctx.reply.StartDeferred();
  size_t n = 0;
  StreamValue::Iterator it(s, start, end, reverse);
  while ((count == 0 || n < count) && it.Next()) {
    ReplyEntry(ctx, it);
    ++n;
  }
  ctx.reply.EndDeferred(at, '*', n);
  return n;
}

CommandSpec StreamSpec(std::string name, int arity, uint32_t flags, KeySpec keys, uint64_t acl,
                       Handler h, std::string_view since, std::string_view complexity,
                       std::string_view summary, std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, acl | kAclStream, h, "stream", since,
                  complexity, summary, std::move(arguments));
}

ArgDoc TrimArgDoc() {
  using namespace argdoc;  // NOLINT: argument tables read best unqualified
  return Block("trim",
               {OneOf("strategy", {PureToken("maxlen", "MAXLEN"), PureToken("minid", "MINID")}),
                OneOf("operator", {PureToken("equal", "="), PureToken("approximately", "~")}).Opt(),
                Str("threshold"), Int("count").Tok("LIMIT").Opt()});
}

ArgDoc GroupIdArgDoc() {
  using namespace argdoc;  // NOLINT
  return OneOf("id-selector", {Str("id"), PureToken("new_id", "$")});
}

namespace {

// --- XADD / XTRIM options ---------------------------------------------------------------------

struct AddTrimArgs {
  StreamValue::TrimArgs trim;
  // XADD only.
  StreamID id;
  bool id_given = false;
  bool seq_given = true;
  bool no_mkstream = false;
  size_t id_pos = 0;  // index of the ID argument
};

// Redis's streamParseAddOrTrimArgsOrReply: options from argument 2 on; for XADD, up to the ID.
bool ParseAddTrimArgsOrReply(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  using Strategy = StreamValue::TrimArgs::Strategy;
  ArgList args = ctx.args;
  bool limit_given = false;
  size_t i = 2;
  for (; i < args.size(); ++i) {
    const size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    if (xadd && opt == "*") {
      break;
    } else if ((EqualsNoCase(opt, "maxlen") || EqualsNoCase(opt, "minid")) && more > 0) {
      const bool maxlen = EqualsNoCase(opt, "maxlen");
      if (a->trim.strategy != Strategy::kNone) {
        ctx.reply.Error(errors::kStreamMaxLenMinId);
        return false;
      }
      a->trim.approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        a->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        int64_t n;
        if (!ParseIntArgOrReply(ctx, args[i + 1], &n)) return false;
        if (n < 0) {
          ctx.reply.Error(errors::kStreamMaxLenNegative);
          return false;
        }
        a->trim.maxlen = static_cast<uint64_t>(n);
        a->trim.strategy = Strategy::kMaxLen;
      } else {
        if (!ParseIdOrReply(ctx, args[i + 1], &a->trim.minid, 0, true)) return false;
        a->trim.strategy = Strategy::kMinId;
      }
      ++i;
    } else if (EqualsNoCase(opt, "limit") && more > 0) {
      if (!ParseIntArgOrReply(ctx, args[i + 1], &a->trim.limit)) return false;
      if (a->trim.limit < 0) {
        ctx.reply.Error(errors::kStreamLimitNegative);
        return false;
      }
      limit_given = true;
      ++i;
    } else if (xadd && EqualsNoCase(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      if (!ParseIdOrReply(ctx, opt, &a->id, 0, true, &a->seq_given)) return false;
      a->id_given = true;
      break;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  a->id_pos = i;
  if (a->trim.limit != 0 && a->trim.strategy == Strategy::kNone) {
    ctx.reply.Error(errors::kStreamLimitNoStrategy);
    return false;
  }
  if (!xadd && a->trim.strategy == Strategy::kNone) {
    ctx.reply.Error(errors::kStreamTrimNoStrategy);
    return false;
  }
  if (limit_given) {
    if (!a->trim.approx) {
      ctx.reply.Error(errors::kStreamLimitNoApprox);
      return false;
    }
  } else if (a->trim.approx) {
    // At most 100 nodes' worth of entries per call, bounded both ways as Redis does.
    const int64_t per_node = StreamLimitsOf(ctx).node_max_entries;
    if (per_node <= 0) {
      a->trim.limit = 10000;
    } else {
      a->trim.limit = per_node > 10000 ? 1000000 : 100 * per_node;
    }
  } else {
    a->trim.limit = 0;
  }
  return true;
}

}  // namespace

void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group_name,
                    const types::StreamGroup& g, std::string_view id,
                    const types::StreamNack& nack) {
  if (!ctx.logging) return;
  std::string_view owner = nack.consumer != nullptr ? std::string_view(nack.consumer->name) : "";
  ctx.Propagate({"XCLAIM", key, group_name, owner, "0", id, "TIME",
                 std::to_string(nack.delivery_time), "RETRYCOUNT",
                 std::to_string(nack.delivery_count), "FORCE", "JUSTID", "LASTID",
                 g.last_id.ToString()});
}

void PropagateGroupLastId(CommandContext& ctx, std::string_view key, std::string_view group_name,
                          const types::StreamGroup& g) {
  if (!ctx.logging) return;
  ctx.Propagate({"XGROUP", "SETID", key, group_name, g.last_id.ToString(), "ENTRIESREAD",
                 std::to_string(g.entries_read)});
}

void NoteConsumerCreated(CommandContext& ctx, std::string_view key) {
  ctx.dirty++;
  ctx.ChangedUnsignalled();
  ctx.Notify(kNotifyStream, "xgroup-createconsumer", key);
}

void PropagateConsumerCreation(CommandContext& ctx, std::string_view key,
                               std::string_view group_name, std::string_view consumer) {
  if (ctx.logging) ctx.Propagate({"XGROUP", "CREATECONSUMER", key, group_name, consumer});
}

namespace {

// The trimming of XADD or XTRIM as the write log records it: exact trimming to the point where
// this one stopped, so that a replay (where node boundaries may differ) removes the same
// entries as an approximate trim or a LIMIT did here.
void AppendTrimEffect(const StreamValue& s, const StreamValue::TrimArgs& t,
                      std::vector<std::string>* out) {
  using Strategy = StreamValue::TrimArgs::Strategy;
  if (t.strategy == Strategy::kMaxLen) {
    out->insert(out->end(), {"MAXLEN", "=", std::to_string(t.approx ? s.length() : t.maxlen)});
  } else if (t.strategy == Strategy::kMinId) {
    StreamID minid = t.approx && s.length() > 0 ? s.EdgeId(true, true) : t.minid;
    out->insert(out->end(), {"MINID", "=", minid.ToString()});
  }
}

void XAddCmd(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrimArgsOrReply(ctx, true, &a)) return;
  const size_t field_pos = a.id_pos + 1;
  const size_t n = ctx.args.size() - std::min(field_pos, ctx.args.size());
  if (field_pos > ctx.args.size() || n < 2 || n % 2 == 1) {
    ctx.reply.Error(errors::WrongArity("xadd"));
    return;
  }
  if (a.id_given && a.seq_given && a.id.IsZero()) {
    ctx.reply.Error(errors::kStreamIdZero);
    return;
  }
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  const bool created = s == nullptr;
  if (created) {
    if (a.no_mkstream) return ctx.reply.Null();
    s = keyspace::CreateStream(ctx.db, ctx.args[1]);
  }
  if (s->last_id() == StreamID::Max()) {
    ctx.reply.Error(errors::kStreamExhausted);
    return;
  }
  StreamID id;
  if (!a.id_given) {
    id = s->NextAutoId(ctx.db.now_ms());
  } else if (a.seq_given) {
    id = a.id;
  } else if (s->last_id().ms == a.id.ms) {
    if (s->last_id().seq == UINT64_MAX) {
      ctx.reply.Error(errors::kStreamIdTooSmall);
      return;
    }
    id = StreamID{a.id.ms, s->last_id().seq + 1};
  } else {
    id = a.id;
  }
  if (id <= s->last_id()) {
    ctx.reply.Error(errors::kStreamIdTooSmall);
    return;
  }
  if (!s->Append(id, ctx.args.subspan(field_pos), StreamLimitsOf(ctx))) {
    ctx.reply.Error(errors::kStreamTooLarge);
    return;
  }
  ReplyId(ctx, id);
  int64_t trimmed = s->Trim(a.trim);
  if (!created) ctx.db.NoteReady(ctx.args[1]);
  ctx.dirty++;
  ctx.Changed(kNotifyStream, "xadd", ctx.args[1]);
  if (trimmed > 0) ctx.Notify(kNotifyStream, "xtrim", ctx.args[1]);
  if (ctx.logging) {
    // Logged with the ID it got and exact trimming.
    std::vector<std::string> effect{"XADD", std::string(ctx.args[1])};
    if (a.no_mkstream) effect.emplace_back("NOMKSTREAM");
    AppendTrimEffect(*s, a.trim, &effect);
    effect.push_back(id.ToString());
    effect.insert(effect.end(), ctx.args.begin() + static_cast<long>(field_pos), ctx.args.end());
    ctx.Propagate(std::move(effect));
  }
}

// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n].
void RangeGeneric(CommandContext& ctx, bool reverse) {
  std::string_view start_arg = ctx.args[reverse ? 3 : 2];
  std::string_view end_arg = ctx.args[reverse ? 2 : 3];
  StreamID start, end;
  bool start_ex, end_ex;
  if (!ParseIntervalIdOrReply(ctx, start_arg, &start, &start_ex, 0)) return;
  if (start_ex && !start.Incr()) {
    ctx.reply.Error(errors::kStreamBadStart);
    return;
  }
  if (!ParseIntervalIdOrReply(ctx, end_arg, &end, &end_ex, UINT64_MAX)) return;
  if (end_ex && !end.Decr()) {
    ctx.reply.Error(errors::kStreamBadEnd);
    return;
  }
  int64_t count = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    if (EqualsNoCase(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!ParseIntArgOrReply(ctx, ctx.args[j + 1], &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  if (s == nullptr) return ctx.reply.EmptyArray();
  if (count == 0) return ctx.reply.NullArray();
  ReplyRange(ctx, *s, start, end, count == -1 ? 0 : static_cast<size_t>(count), reverse);
}

void XRangeCmd(CommandContext& ctx) { RangeGeneric(ctx, false); }
void XRevRangeCmd(CommandContext& ctx) { RangeGeneric(ctx, true); }

void XLenCmd(CommandContext& ctx) {
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  ctx.reply.Integer(s == nullptr ? 0 : static_cast<int64_t>(s->length()));
}

void XDelCmd(CommandContext& ctx) {
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  if (s == nullptr) return ctx.reply.Integer(0);
  std::vector<StreamID> ids(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    if (!ParseIdOrReply(ctx, ctx.args[j], &ids[j - 2], 0, true)) return;
  }
  size_t deleted = s->Delete(ids);
  ctx.dirty += static_cast<int64_t>(deleted);
  if (deleted > 0) ctx.Changed(kNotifyStream, "xdel", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(deleted));
}

void XTrimCmd(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrimArgsOrReply(ctx, false, &a)) return;
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  if (s == nullptr) return ctx.reply.Integer(0);
  int64_t trimmed = s->Trim(a.trim);
  ctx.dirty += trimmed;
  if (trimmed > 0) ctx.Changed(kNotifyStream, "xtrim", ctx.args[1]);
  if (ctx.logging && trimmed > 0) {
    std::vector<std::string> effect{"XTRIM", std::string(ctx.args[1])};
    AppendTrimEffect(*s, a.trim, &effect);
    ctx.Propagate(std::move(effect));
  }
  ctx.reply.Integer(trimmed);
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
void XSetIdCmd(CommandContext& ctx) {
  StreamID id, max_deleted;
  int64_t entries_added = -1;
  if (!ParseIdOrReply(ctx, ctx.args[2], &id, 0, true)) return;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    const bool more = i + 1 < ctx.args.size();
    if (EqualsNoCase(ctx.args[i], "entriesadded") && more) {
      if (!ParseIntArgOrReply(ctx, ctx.args[i + 1], &entries_added)) return;
      if (entries_added < 0) {
        ctx.reply.Error(errors::kStreamEntriesAddedNegative);
        return;
      }
    } else if (EqualsNoCase(ctx.args[i], "maxdeletedid") && more) {
      if (!ParseIdOrReply(ctx, ctx.args[i + 1], &max_deleted, 0, true)) return;
      if (id < max_deleted) {
        ctx.reply.Error(errors::kStreamSetIdBelowGivenMaxDeleted);
        return;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  StreamValue* s;
  if (!FindStreamOrReply(ctx, ctx.args[1], &s)) return;
  if (s == nullptr) {
    ctx.reply.Error(errors::kNoSuchKey);
    return;
  }
  if (id < s->max_deleted_id()) {
    ctx.reply.Error(errors::kStreamSetIdBelowMaxDeleted);
    return;
  }
  if (s->length() > 0) {
    if (id < s->EdgeId(false, true)) {
      ctx.reply.Error(errors::kStreamSetIdBelowTop);
      return;
    }
    if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added)) {
      ctx.reply.Error(errors::kStreamEntriesAddedBelowLength);
      return;
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(static_cast<uint64_t>(entries_added));
  if (!max_deleted.IsZero()) s->set_max_deleted_id(max_deleted);
  ctx.dirty++;
  ctx.ChangedUnsignalled();  // as Redis: XSETID moves no entry, WATCH is not told
  ctx.Notify(kNotifyStream, "xsetid", ctx.args[1]);
  ctx.reply.Ok();
}

}  // namespace

}  // namespace tessera::server::stream

namespace tessera::server {

void RegisterStreamFamily(CommandTable* table) {
  using namespace argdoc;  // NOLINT: argument tables read best unqualified
  using stream::StreamSpec;
  const KeySpec kReadKey{1, 1, 1, kKeyRO | kKeyAccess};
  const KeySpec kUpdateKey{1, 1, 1, kKeyRW | kKeyUpdate};
  const KeySpec kDeleteKey{1, 1, 1, kKeyRW | kKeyDelete};
  table->Add(StreamSpec(
      "xadd", -5, kWrite | kDenyOom | kFast,
      KeySpec{.first = 1,
              .last = 1,
              .step = 1,
              .flags = kKeyRW | kKeyUpdate,
              .notes = "UPDATE rather than INSERT: MAXLEN and MINID may remove entries"},
      kAclWrite | kAclFast, stream::XAddCmd, "5.0.0",
      "O(1) to append; trimming adds O(N) for the N "
      "entries it drops.",
      "Appends a new entry to a stream; creates the key when missing.",
      {Key("key"), PureToken("nomkstream", "NOMKSTREAM").Opt(), stream::TrimArgDoc().Opt(),
       OneOf("id_or_auto", {PureToken("auto_id", "*"), Str("id")}),
       Block("field_value", {Str("field"), Str("value")}).Multi()}));
  table->Add(StreamSpec("xrange", -4, kReadOnly, kReadKey, kAclRead | kAclSlow, stream::XRangeCmd,
                        "5.0.0", "O(log K + N): K nodes to search, N entries returned.",
                        "Returns the entries of a stream within an ID range.",
                        {Key("key"), Str("start"), Str("end"), Int("count").Tok("COUNT").Opt()}));
  table->Add(StreamSpec("xrevrange", -4, kReadOnly, kReadKey, kAclRead | kAclSlow,
                        stream::XRevRangeCmd, "5.0.0",
                        "O(log K + N): K nodes to search, N entries returned.",
                        "Returns the entries of a stream within an ID range, newest first.",
                        {Key("key"), Str("end"), Str("start"), Int("count").Tok("COUNT").Opt()}));
  table->Add(StreamSpec("xlen", 2, kReadOnly | kFast, KeySpec{1, 1, 1, kKeyRO}, kAclRead | kAclFast,
                        stream::XLenCmd, "5.0.0", "O(1)",
                        "Returns the number of entries of a stream.", {Key("key")}));
  table->Add(StreamSpec("xdel", -3, kWrite | kFast, kDeleteKey, kAclWrite | kAclFast,
                        stream::XDelCmd, "5.0.0",
                        "O(log K) per ID for K nodes, plus the scan of "
                        "one node of at most stream-node-max-entries entries.",
                        "Deletes entries from a stream by ID; returns how many existed.",
                        {Key("key"), Str("id").Multi()}));
  table->Add(StreamSpec("xtrim", -4, kWrite, kDeleteKey, kAclWrite | kAclSlow, stream::XTrimCmd,
                        "5.0.0", "O(N) for the N entries it drops.",
                        "Drops the oldest entries of a stream by length or by lowest ID.",
                        {Key("key"), stream::TrimArgDoc()}));
  table->Add(StreamSpec("xsetid", -3, kWrite | kDenyOom | kFast, kUpdateKey, kAclWrite | kAclFast,
                        stream::XSetIdCmd, "5.0.0", "O(1)",
                        "Sets a stream's last generated ID (and its counters) by hand.",
                        {Key("key"), Str("last-id"), Int("entries_added").Tok("ENTRIESADDED").Opt(),
                         Str("max_deleted_entry_id").Tok("MAXDELETEDID").Opt()}));
  stream::RegisterReadCommands(table);
  stream::RegisterGroupCommands(table);
  stream::RegisterInfoCommands(table);
}

}  // namespace tessera::server
