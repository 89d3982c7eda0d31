// The string commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL GETEX APPEND
// STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT LCS.
//
// Handlers parse arguments, run one operation of core/keyspace/string_ops.h, and reply.  The
// order of checks follows Redis 7.2 (t_string.c) because it decides which error a client sees
// when several apply: e.g. SET validates its expiry before GET's type check, while GETEX looks
// the key up first, so GETEX on a missing key replies nil even with a bad expiry.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/lcs.h"
#include "core/keyspace/string_ops.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::Entry;
using keyspace::ExpiryArg;

void ReplyError(CommandContext& ctx, OpStatus status) {
  if (status == OpStatus::kInvalidExpire) {
    ctx.reply.Error(errors::InvalidExpire(ctx.spec.full_name));
  } else {
    ReplyStatus(ctx, status);
  }
}

void ReplyValue(CommandContext& ctx, const Entry* e) {
  char buf[24];
  ctx.reply.Bulk(e->StringValue(buf));
}

void ReplyOptional(CommandContext& ctx, const std::optional<std::string>& value) {
  if (value) {
    ctx.reply.Bulk(*value);
  } else {
    ctx.reply.Null();
  }
}

int64_t MaxBulkLength(CommandContext& ctx) {
  return ctx.server.config().proto_max_bulk_len.load(std::memory_order_relaxed);
}

// --- SET / GETEX options -------------------------------------------------------------------

enum ExtendedFlag : uint32_t {
  kOptNx = 1u << 0,
  kOptXx = 1u << 1,
  kOptGet = 1u << 2,
  kOptKeepTtl = 1u << 3,
  kOptPersist = 1u << 4,
  kOptEx = 1u << 5,
  kOptPx = 1u << 6,
  kOptExAt = 1u << 7,
  kOptPxAt = 1u << 8,
};
constexpr uint32_t kOptAnyExpiry = kOptEx | kOptPx | kOptExAt | kOptPxAt;

struct ExtendedArgs {
  uint32_t flags = 0;
  std::string_view expiry_text;

  bool has_expiry() const { return (flags & kOptAnyExpiry) != 0; }
  ExpiryArg expiry() const {
    return ExpiryArg{expiry_text, (flags & (kOptEx | kOptExAt)) != 0,
                     (flags & (kOptEx | kOptPx)) != 0};
  }
};

uint32_t ExpiryOption(std::string_view opt) {
  if (EqualsNoCase(opt, "EX")) return kOptEx;
  if (EqualsNoCase(opt, "PX")) return kOptPx;
  if (EqualsNoCase(opt, "EXAT")) return kOptExAt;
  if (EqualsNoCase(opt, "PXAT")) return kOptPxAt;
  return 0;
}

// Parses SET's (for_set) or GETEX's options from args[first].  Returns false on a syntax error:
// an unknown option, one the command does not take, one that conflicts with an earlier one,
// or an expiry option without its value.  Repeating an option is allowed; the last value wins.
bool ParseExtendedArgs(ArgList args, size_t first, bool for_set, ExtendedArgs* out) {
  uint32_t& f = out->flags;
  for (size_t i = first; i < args.size(); ++i) {
    std::string_view opt = args[i];
    uint32_t expiry = ExpiryOption(opt);
    if (for_set && EqualsNoCase(opt, "NX") && (f & kOptXx) == 0) {
      f |= kOptNx;
    } else if (for_set && EqualsNoCase(opt, "XX") && (f & kOptNx) == 0) {
      f |= kOptXx;
    } else if (for_set && EqualsNoCase(opt, "GET")) {
      f |= kOptGet;
    } else if (for_set && EqualsNoCase(opt, "KEEPTTL") && (f & kOptAnyExpiry) == 0) {
      f |= kOptKeepTtl;
    } else if (!for_set && EqualsNoCase(opt, "PERSIST") && (f & kOptAnyExpiry) == 0) {
      f |= kOptPersist;
    } else if (expiry != 0 && i + 1 < args.size() &&
               (f & (kOptKeepTtl | kOptPersist | (kOptAnyExpiry & ~expiry))) == 0) {
      f |= expiry;
      out->expiry_text = args[++i];
    } else {
      return false;
    }
  }
  return true;
}

// --- Handlers ------------------------------------------------------------------------------

void GetCmd(CommandContext& ctx) {
  OpResult<const Entry*> r = keyspace::OpGetString(ctx.db, ctx.args[1]);
  if (!r) return ReplyError(ctx, r.status());
  if (*r == nullptr) return ctx.reply.Null();
  ReplyValue(ctx, *r);
}

// SET, SETNX, SETEX and PSETEX once their arguments are read: resolves the expiry and stores.
// The callers shape the reply from the outcome.
OpResult<keyspace::SetOutcome> DoSet(CommandContext& ctx, std::string_view value,
                                     keyspace::SetParams params,
                                     const std::optional<ExpiryArg>& expiry) {
  if (expiry) {
    OpResult<int64_t> at = keyspace::ResolveExpiry(*expiry, ctx.db.now_ms());
    if (!at) return at.status();
    params.expire_at_ms = *at;
  }
  OpResult<keyspace::SetOutcome> r = keyspace::OpSet(ctx.db, ctx.args[1], value, params);
  if (r.ok() && r->applied) {
    ctx.dirty++;
    ctx.Changed(kNotifyString, "set", ctx.args[1]);
    if (expiry) ctx.Notify(kNotifyGeneric, "expire", ctx.args[1]);
    if (expiry && ctx.logging) {
      // Logged with an absolute time, as Redis propagates SET ... PXAT; an expiry already in
      // the past deleted the key instead.
      if (params.expire_at_ms <= ctx.db.now_ms()) {
        ctx.Propagate({"DEL", ctx.args[1]});
      } else if (!expiry->in_seconds && !expiry->relative) {
        // SET ... PXAT is already absolute: Redis propagates the command as it came (its
        // other options and the case of its words included).
        ctx.PropagateArgsExcept({});
      } else {
        ctx.Propagate({"SET", ctx.args[1], value, "PXAT", std::to_string(params.expire_at_ms)});
      }
    }
  }
  return r;
}

void SetCmd(CommandContext& ctx) {
  ExtendedArgs opts;
  if (!ParseExtendedArgs(ctx.args, 3, true, &opts)) return ctx.reply.Error(errors::kSyntax);
  keyspace::SetParams params;
  using Condition = keyspace::SetParams::Condition;
  if (opts.flags & kOptNx) params.condition = Condition::kIfMissing;
  if (opts.flags & kOptXx) params.condition = Condition::kIfExists;
  params.keep_ttl = (opts.flags & kOptKeepTtl) != 0;
  params.return_old = (opts.flags & kOptGet) != 0;
  std::optional<ExpiryArg> expiry;
  if (opts.has_expiry()) expiry = opts.expiry();

  auto r = DoSet(ctx, ctx.args[2], params, expiry);
  if (!r) return ReplyError(ctx, r.status());
  if (params.return_old && !expiry && ctx.logging && r->applied) {
    std::vector<size_t> get_args;  // logged without GET, which may be repeated
    for (size_t i = 3; i < ctx.args.size(); ++i) {
      if (EqualsNoCase(ctx.args[i], "GET")) get_args.push_back(i);
    }
    ctx.PropagateArgsExcept(get_args);
  }
  if (params.return_old) return ReplyOptional(ctx, r->old_value);
  if (r->applied) return ctx.reply.Ok();
  ctx.reply.Null();
}

void SetNxCmd(CommandContext& ctx) {
  keyspace::SetParams params;
  params.condition = keyspace::SetParams::Condition::kIfMissing;
  auto r = DoSet(ctx, ctx.args[2], params, std::nullopt);
  if (!r) return ReplyError(ctx, r.status());
  ctx.reply.Integer(r->applied ? 1 : 0);
}

void SetExGeneric(CommandContext& ctx, bool in_seconds) {
  ExpiryArg expiry{ctx.args[2], in_seconds, /*relative=*/true};
  auto r = DoSet(ctx, ctx.args[3], keyspace::SetParams{}, expiry);
  if (!r) return ReplyError(ctx, r.status());
  ctx.reply.Ok();
}

void SetExCmd(CommandContext& ctx) { SetExGeneric(ctx, true); }
void PSetExCmd(CommandContext& ctx) { SetExGeneric(ctx, false); }

void GetExCmd(CommandContext& ctx) {
  ExtendedArgs opts;
  if (!ParseExtendedArgs(ctx.args, 2, false, &opts)) return ctx.reply.Error(errors::kSyntax);
  keyspace::GetExParams params;
  if (opts.has_expiry()) params.expiry = opts.expiry();
  params.persist = (opts.flags & kOptPersist) != 0;
  const Entry* before = ctx.db.Find(ctx.args[1], /*touch=*/false);
  bool had_expiry = before != nullptr && before->has_expiry();
  auto r = keyspace::OpGetEx(ctx.db, ctx.args[1], params);
  if (!r) return ReplyError(ctx, r.status());
  if (r->has_value() && params.expiry) {
    // The key is a string, so the expiry resolved in OpGetEx; the same call gives the time.
    int64_t at = *keyspace::ResolveExpiry(*params.expiry, ctx.db.now_ms());
    ctx.dirty++;
    if (at <= ctx.db.now_ms()) {
      ctx.Changed(kNotifyGeneric, "del", ctx.args[1]);
      ctx.Propagate({ExpiredKeyDeleteCommand(ctx.server.config()), ctx.args[1]});
    } else {
      ctx.Changed(kNotifyGeneric, "expire", ctx.args[1]);
      ctx.Propagate({"PEXPIREAT", ctx.args[1], std::to_string(at)});
    }
  } else if (r->has_value() && params.persist && had_expiry) {
    ctx.dirty++;
    ctx.Changed(kNotifyGeneric, "persist", ctx.args[1]);
    ctx.Propagate({"PERSIST", ctx.args[1]});
  }
  ReplyOptional(ctx, *r);
}

void GetDelCmd(CommandContext& ctx) {
  auto r = keyspace::OpGetDel(ctx.db, ctx.args[1]);
  if (!r) return ReplyError(ctx, r.status());
  if (r->has_value()) {
    ctx.dirty++;
    ctx.Changed(kNotifyGeneric, "del", ctx.args[1]);
    ctx.Propagate({"DEL", ctx.args[1]});
  }
  ReplyOptional(ctx, *r);
}

void GetSetCmd(CommandContext& ctx) {
  auto r = keyspace::OpGetSet(ctx.db, ctx.args[1], ctx.args[2]);
  if (!r) return ReplyError(ctx, r.status());
  ctx.dirty++;
  ctx.Changed(kNotifyString, "set", ctx.args[1]);
  ReplyOptional(ctx, *r);
}

void MGetCmd(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    OpResult<const Entry*> r = keyspace::OpGetString(ctx.db, ctx.args[i]);
    if (r.ok() && *r != nullptr) {
      ReplyValue(ctx, *r);
    } else {
      ctx.reply.Null();  // missing or another type
    }
  }
}

// MSET and MSETNX take key-value pairs; the arity (-3) cannot express "odd".
bool CheckPairsOrReply(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 1) return true;
  ctx.reply.Error(errors::WrongArity(ctx.spec.full_name));
  return false;
}

// MSET's and MSETNX's per-key step: each key's events follow its own store, as in Redis.
auto KeyStored(CommandContext& ctx) {
  return [&ctx](std::string_view key) {
    ctx.dirty++;
    ctx.Changed(kNotifyString, "set", key);
  };
}

void MSetCmd(CommandContext& ctx) {
  if (!CheckPairsOrReply(ctx)) return;
  keyspace::OpMSet(ctx.db, ctx.args.data() + 1, ctx.args.size() - 1, KeyStored(ctx));
  ctx.reply.Ok();
}

void MSetNxCmd(CommandContext& ctx) {
  if (!CheckPairsOrReply(ctx)) return;
  bool stored =
      keyspace::OpMSetNx(ctx.db, ctx.args.data() + 1, ctx.args.size() - 1, KeyStored(ctx));
  ctx.reply.Integer(stored ? 1 : 0);
}

void IncrByGeneric(CommandContext& ctx, int64_t delta) {
  OpResult<int64_t> r = keyspace::OpIncrBy(ctx.db, ctx.args[1], delta);
  if (!r) return ReplyError(ctx, r.status());
  ctx.dirty++;
  ctx.Changed(kNotifyString, "incrby", ctx.args[1]);
  ctx.reply.Integer(*r);
}

void IncrCmd(CommandContext& ctx) { IncrByGeneric(ctx, 1); }
void DecrCmd(CommandContext& ctx) { IncrByGeneric(ctx, -1); }

void IncrByCmd(CommandContext& ctx) {
  int64_t delta;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &delta)) return;
  IncrByGeneric(ctx, delta);
}

void DecrByCmd(CommandContext& ctx) {
  int64_t delta;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &delta)) return;
  if (delta == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error(errors::kDecrementOverflow);  // its negation does not exist
  }
  IncrByGeneric(ctx, -delta);
}

void IncrByFloatCmd(CommandContext& ctx) {
  auto r = keyspace::OpIncrByFloat(ctx.db, ctx.args[1], ctx.args[2]);
  if (!r) return ReplyError(ctx, r.status());
  if (!r->finite) return ctx.reply.Error(errors::kIncrFloatNaN);
  ctx.dirty++;
  ctx.Changed(kNotifyString, "incrbyfloat", ctx.args[1]);
  // Logged as the value it produced: float arithmetic must not be redone on replay.
  ctx.Propagate({"SET", ctx.args[1], r->text, "KEEPTTL"});
  ctx.reply.Bulk(r->text);
}

void AppendCmd(CommandContext& ctx) {
  OpResult<size_t> r = keyspace::OpAppend(ctx.db, ctx.args[1], ctx.args[2], MaxBulkLength(ctx));
  if (!r) return ReplyError(ctx, r.status());
  ctx.dirty++;
  ctx.Changed(kNotifyString, "append", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(*r));
}

void StrLenCmd(CommandContext& ctx) {
  OpResult<const Entry*> r = keyspace::OpGetString(ctx.db, ctx.args[1]);
  if (!r) return ReplyError(ctx, r.status());
  ctx.reply.Integer(*r == nullptr ? 0 : static_cast<int64_t>((*r)->StringLength()));
}

// GETRANGE and SUBSTR.
void GetRangeCmd(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &start)) return;
  if (!ParseIntArgOrReply(ctx, ctx.args[3], &end)) return;
  OpResult<const Entry*> r = keyspace::OpGetString(ctx.db, ctx.args[1]);
  if (!r) return ReplyError(ctx, r.status());
  if (*r == nullptr) return ctx.reply.Bulk("");  // an empty string, not nil, in RESP2 and 3
  char buf[24];
  ctx.reply.Bulk(keyspace::StringRange((*r)->StringValue(buf), start, end));
}

void SetRangeCmd(CommandContext& ctx) {
  int64_t offset;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &offset)) return;
  if (offset < 0) return ctx.reply.Error(errors::kOffsetOutOfRange);
  OpResult<size_t> r =
      keyspace::OpSetRange(ctx.db, ctx.args[1], offset, ctx.args[3], MaxBulkLength(ctx));
  if (!r) return ReplyError(ctx, r.status());
  if (!ctx.args[3].empty()) {
    ctx.dirty++;
    ctx.Changed(kNotifyString, "setrange", ctx.args[1]);
  }
  ctx.reply.Integer(static_cast<int64_t>(*r));
}

// --- LCS -----------------------------------------------------------------------------------

struct LcsArgs {
  bool len = false;
  bool idx = false;
  bool with_match_len = false;
  int64_t min_match_len = 0;
};

// Returns false after replying an error.
bool ParseLcsArgsOrReply(CommandContext& ctx, LcsArgs* out) {
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    bool has_more = i + 1 < ctx.args.size();
    if (EqualsNoCase(opt, "IDX")) {
      out->idx = true;
    } else if (EqualsNoCase(opt, "LEN")) {
      out->len = true;
    } else if (EqualsNoCase(opt, "WITHMATCHLEN")) {
      out->with_match_len = true;
    } else if (EqualsNoCase(opt, "MINMATCHLEN") && has_more) {
      if (!ParseIntArgOrReply(ctx, ctx.args[++i], &out->min_match_len)) return false;
      if (out->min_match_len < 0) out->min_match_len = 0;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (out->len && out->idx) {
    ctx.reply.Error(errors::kLcsLenAndIdx);
    return false;
  }
  return true;
}

void ReplyLcsMatches(CommandContext& ctx, const LcsResult& lcs, bool with_match_len) {
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(lcs.ranges.size());
  for (const LcsRange& range : lcs.ranges) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(range.a_start);
    ctx.reply.Integer(range.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(range.b_start);
    ctx.reply.Integer(range.b_end);
    if (with_match_len) ctx.reply.Integer(range.length());
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(lcs.length);
}

void LcsCmd(CommandContext& ctx) {
  OpResult<const Entry*> a = keyspace::OpGetString(ctx.db, ctx.args[1]);
  OpResult<const Entry*> b = keyspace::OpGetString(ctx.db, ctx.args[2]);
  if (!a.ok() || !b.ok()) return ctx.reply.Error(errors::kLcsWrongType);
  LcsArgs args;
  if (!ParseLcsArgsOrReply(ctx, &args)) return;

  char a_buf[24], b_buf[24];
  std::string_view a_value = *a != nullptr ? (*a)->StringValue(a_buf) : std::string_view();
  std::string_view b_value = *b != nullptr ? (*b)->StringValue(b_buf) : std::string_view();
  LcsOptions options;
  options.want_sequence = !args.idx && !args.len;
  options.want_ranges = args.idx;
  options.min_range_length = static_cast<uint64_t>(args.min_match_len);
  options.max_table_bytes = static_cast<uint64_t>(std::max<int64_t>(MaxBulkLength(ctx), 0));
  LcsResult lcs;
  switch (ComputeLcs(a_value, b_value, options, &lcs)) {
    case LcsStatus::kOk:
      break;
    case LcsStatus::kTooLong:
      return ctx.reply.Error(errors::kLcsTooLong);
    case LcsStatus::kOverBudget:
      return ctx.reply.Error(errors::kLcsOverBudget);
    case LcsStatus::kNoMemory:
      return ctx.reply.Error(errors::kLcsNoMemory);
  }
  if (args.idx) return ReplyLcsMatches(ctx, lcs, args.with_match_len);
  if (args.len) return ctx.reply.Integer(lcs.length);
  ctx.reply.Bulk(lcs.sequence);
}

// --- Registration --------------------------------------------------------------------------

// The table adds Redis's implicit categories (@write, @read, @fast or @slow) at Finalize().
CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclString, handler, "string", since,
                  complexity, summary, std::move(arguments));
}

// Key specs with Redis's key flags; flags 0 derives RO|access or RW|access|update.
constexpr KeySpec kReadKey{1, 1, 1};
constexpr KeySpec kUpdateKey{1, 1, 1};
// SET only reads its key when GET is among its options (Redis's setGetKeys).
uint32_t SetKeyFlags(ArgList args) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "get")) return kKeyRW | kKeyAccess | kKeyUpdate;
  }
  return kKeyOW | kKeyUpdate;
}

constexpr KeySpec kSetKey{.first = 1,
                          .last = 1,
                          .step = 1,
                          .flags = kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags,
                          .notes = "RW and ACCESS: with GET the old string is returned"};
constexpr KeySpec kInsertKey{1, 1, 1, kKeyOW | kKeyInsert};
constexpr KeySpec kOverwriteKey{1, 1, 1, kKeyOW | kKeyUpdate};
constexpr KeySpec kAppendKey{1, 1, 1, kKeyRW | kKeyInsert};
constexpr KeySpec kDeleteKey{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete};
constexpr KeySpec kLengthKey{1, 1, 1, kKeyRO};
constexpr KeySpec kRangeWriteKey{1, 1, 1, kKeyRW | kKeyUpdate};

constexpr std::string_view kO1 = "O(1)";
constexpr std::string_view kRangeComplexity =
    "O(N) in the length N of the part returned; copying a short range is effectively O(1).";

}  // namespace

void RegisterStringFamily(CommandTable* table) {
  using namespace argdoc;  // NOLINT: the argument tables read best unqualified
  const uint32_t kW = kWrite | kDenyOom;
  const uint32_t kR = kReadOnly;
  auto expiry = [](std::vector<ArgDoc> extra) {
    std::vector<ArgDoc> choices = {Int("seconds").Tok("EX"), Int("milliseconds").Tok("PX"),
                                   UnixTime("unix-time-seconds").Tok("EXAT"),
                                   UnixTime("unix-time-milliseconds").Tok("PXAT")};
    for (ArgDoc& a : extra) choices.push_back(std::move(a));
    return OneOf("expiration", std::move(choices)).Opt();
  };
  const std::vector<ArgDoc> kKeyOnly = {Key("key")};
  const std::vector<ArgDoc> kKeyValue = {Key("key"), Str("value")};
  const std::vector<ArgDoc> kPairs = {Block("data", {Key("key"), Str("value")}).Multi()};
  const std::vector<ArgDoc> kRange = {Key("key"), Int("start"), Int("end")};

  table->Add(Spec("get", 2, kR | kFast, kReadKey, GetCmd, "1.0.0", kO1,
                  "Returns the string stored at a key, or nil when the key is absent.", kKeyOnly));
  CommandSpec set =
      Spec("set", -3, kW, kSetKey, SetCmd, "1.0.0", kO1,
           "Stores a string at a key, with optional expiry, condition and old-value "
           "return.",
           {Key("key"), Str("value"),
            OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX")}).Opt(),
            PureToken("get", "GET").Opt(), expiry({PureToken("keepttl", "KEEPTTL")})});
  set.key_flags_for_args = SetKeyFlags;
  table->Add(std::move(set));
  table->Add(Spec("setnx", 3, kW | kFast, kInsertKey, SetNxCmd, "1.0.0", kO1,
                  "Stores a string only when the key does not exist yet.", kKeyValue));
  table->Add(Spec("setex", 4, kW, kOverwriteKey, SetExCmd, "2.0.0", kO1,
                  "Stores a string together with a time to live in seconds.",
                  {Key("key"), Int("seconds"), Str("value")}));
  table->Add(Spec("psetex", 4, kW, kOverwriteKey, PSetExCmd, "2.6.0", kO1,
                  "Stores a string together with a time to live in milliseconds.",
                  {Key("key"), Int("milliseconds"), Str("value")}));
  table->Add(Spec("mget", -2, kR | kFast, KeySpec{1, -1, 1}, MGetCmd, "1.0.0",
                  "O(N) for N keys read.",
                  "Returns the strings of several keys, nil for each absent or non-string key.",
                  {Key("key").Multi()}));
  table->Add(Spec("mset", -3, kW, KeySpec{1, -1, 2, kKeyOW | kKeyUpdate}, MSetCmd, "1.0.1",
                  "O(N) for N keys written.", "Stores several key-value pairs in one atomic step.",
                  kPairs));
  table->Add(Spec("msetnx", -3, kW, KeySpec{1, -1, 2, kKeyOW | kKeyInsert}, MSetNxCmd, "1.0.1",
                  "O(N) for N keys written.",
                  "Stores several key-value pairs only if none of the keys exists.", kPairs));
  table->Add(Spec("getset", 3, kW | kFast, kUpdateKey, GetSetCmd, "1.0.0", kO1,
                  "Replaces a key's string and returns the one it held before.", kKeyValue));
  table->Add(Spec("getdel", 2, kWrite | kFast, kDeleteKey, GetDelCmd, "6.2.0", kO1,
                  "Returns a key's string and removes the key.", kKeyOnly));
  constexpr KeySpec kGetExKey{.first = 1,
                              .last = 1,
                              .step = 1,
                              .notes = "RW and UPDATE: the key's expiry may change"};
  table->Add(Spec("getex", -2, kWrite | kFast, kGetExKey, GetExCmd, "6.2.0", kO1,
                  "Returns a key's string and optionally changes or removes its expiry.",
                  {Key("key"), expiry({PureToken("persist", "PERSIST")})}));
  table->Add(Spec("append", 3, kW | kFast, kAppendKey, AppendCmd, "2.0.0",
                  "Amortized O(1) for a short suffix: a growing value keeps spare room, so "
                  "repeated appends copy it O(log n) times in all.",
                  "Adds bytes to the end of a key's string, creating the key if needed.",
                  kKeyValue));
  table->Add(Spec("strlen", 2, kR | kFast, kLengthKey, StrLenCmd, "2.2.0", kO1,
                  "Returns the byte length of a key's string, zero when absent.", kKeyOnly));
  table->Add(Spec("getrange", 4, kR, kReadKey, GetRangeCmd, "2.4.0", kRangeComplexity,
                  "Returns the bytes of a key's string between two inclusive offsets.", kRange));
  table->Add(Spec("substr", 4, kR, kReadKey, GetRangeCmd, "1.0.0", kRangeComplexity,
                  "Older name of GETRANGE: a slice of a key's string by inclusive offsets.",
                  kRange));
  table->Add(Spec("setrange", 4, kW, kRangeWriteKey, SetRangeCmd, "2.2.0",
                  "O(M) for the M bytes written, plus a copy of the value when it must grow.",
                  "Writes bytes into a key's string at an offset, zero-padding as needed.",
                  {Key("key"), Int("offset"), Str("value")}));
  table->Add(Spec("incr", 2, kW | kFast, kUpdateKey, IncrCmd, "1.0.0", kO1,
                  "Adds one to the integer held in a key, starting from zero.", kKeyOnly));
  table->Add(Spec("decr", 2, kW | kFast, kUpdateKey, DecrCmd, "1.0.0", kO1,
                  "Subtracts one from the integer held in a key, starting from zero.", kKeyOnly));
  table->Add(Spec("incrby", 3, kW | kFast, kUpdateKey, IncrByCmd, "1.0.0", kO1,
                  "Adds a given integer to the integer held in a key.",
                  {Key("key"), Int("increment")}));
  table->Add(Spec("decrby", 3, kW | kFast, kUpdateKey, DecrByCmd, "1.0.0", kO1,
                  "Subtracts a given integer from the integer held in a key.",
                  {Key("key"), Int("decrement")}));
  table->Add(Spec("incrbyfloat", 3, kW | kFast, kUpdateKey, IncrByFloatCmd, "2.6.0", kO1,
                  "Adds a decimal number to the number held in a key.",
                  {Key("key"), Dbl("increment")}));
  table->Add(Spec("lcs", -3, kR, KeySpec{1, 2, 1}, LcsCmd, "7.0.0",
                  "O(N*M) for strings of lengths N and M.",
                  "Computes the longest common subsequence of the strings of two keys.",
                  {Key("key1"), Key("key2"), PureToken("len", "LEN").Opt(),
                   PureToken("idx", "IDX").Opt(), Int("min-match-len").Tok("MINMATCHLEN").Opt(),
                   PureToken("withmatchlen", "WITHMATCHLEN").Opt()}));
}

}  // namespace tessera::server
