// The hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL
// HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, and Redis 7.4's field expiry: HEXPIRE HPEXPIRE
// HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME HPEXPIRETIME HPERSIST.
//
// Handlers parse arguments, run one operation of core/keyspace/hash_ops.h, and reply.  The
// order of checks follows Redis (t_hash.c, 7.2 for the classic commands, 7.4 for field
// expiry): e.g. HINCRBY parses its increment before looking the key up, while HEXPIRE and HTTL
// report WRONGTYPE before any argument error.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/glob.h"
#include "core/keyspace/hash_ops.h"
#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::Fields;
using types::HashLimits;
using types::HashValue;

Fields ArgsFrom(CommandContext& ctx, size_t first) {
  return Fields(ctx.args.data() + first, ctx.args.size() - first);
}

// The hash at args[1] for a read-only command; on WRONGTYPE replies and returns false.
bool GetHashOrReply(CommandContext& ctx, const HashValue** out) {
  OpResult<const HashValue*> r = keyspace::OpGetHash(ctx.db, ctx.args[1]);
  if (!r) {
    ReplyStatus(ctx, r.status());
    return false;
  }
  *out = *r;
  return true;
}

// --- Set / get -------------------------------------------------------------------------------

// Events of fields removed from args[1], and of the key if that emptied it.
void NotifyFieldsRemoved(CommandContext& ctx, std::string_view event) {
  ctx.Changed(kNotifyHash, event, ctx.args[1]);
  if (ctx.db.Find(ctx.args[1], /*touch=*/false) == nullptr) {
    ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
  }
}

// HSET replies the number of new fields, HMSET +OK.
void HSetGeneric(CommandContext& ctx, bool reply_ok) {
  if (ctx.args.size() % 2 == 1) return ctx.reply.Error(errors::WrongArity(ctx.spec.full_name));
  OpResult<size_t> r = keyspace::OpHSet(ctx.db, ctx.args[1], ArgsFrom(ctx, 2), HashLimitsOf(ctx));
  if (!r) return ReplyStatus(ctx, r.status());
  ctx.dirty += static_cast<int64_t>(ctx.args.size() - 2) / 2;
  ctx.Changed(kNotifyHash, "hset", ctx.args[1]);
  if (reply_ok) return ctx.reply.Ok();
  ctx.reply.Integer(static_cast<int64_t>(*r));
}

void HSetCmd(CommandContext& ctx) { HSetGeneric(ctx, false); }
void HMSetCmd(CommandContext& ctx) { HSetGeneric(ctx, true); }

void HSetNxCmd(CommandContext& ctx) {
  OpResult<bool> r =
      keyspace::OpHSetNx(ctx.db, ctx.args[1], ctx.args[2], ctx.args[3], HashLimitsOf(ctx));
  if (!r) return ReplyStatus(ctx, r.status());
  if (*r) {
    ctx.dirty++;
    ctx.Changed(kNotifyHash, "hset", ctx.args[1]);
  }
  ctx.reply.Integer(*r ? 1 : 0);
}

void HGetCmd(CommandContext& ctx) {
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  std::optional<std::string_view> value = v == nullptr ? std::nullopt : v->Find(ctx.args[2]);
  if (!value) return ctx.reply.Null();
  ctx.reply.Bulk(*value);
}

void HMGetCmd(CommandContext& ctx) {
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::optional<std::string_view> value = v == nullptr ? std::nullopt : v->Find(ctx.args[i]);
    if (value) {
      ctx.reply.Bulk(*value);
    } else {
      ctx.reply.Null();
    }
  }
}

void HDelCmd(CommandContext& ctx) {
  OpResult<size_t> r = keyspace::OpHDel(ctx.db, ctx.args[1], ArgsFrom(ctx, 2));
  if (!r) return ReplyStatus(ctx, r.status());
  ctx.dirty += static_cast<int64_t>(*r);
  if (*r > 0) NotifyFieldsRemoved(ctx, "hdel");
  ctx.reply.Integer(static_cast<int64_t>(*r));
}

void HLenCmd(CommandContext& ctx) {
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  ctx.reply.Integer(v == nullptr ? 0 : static_cast<int64_t>(v->size()));
}

void HStrLenCmd(CommandContext& ctx) {
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  std::optional<std::string_view> value = v == nullptr ? std::nullopt : v->Find(ctx.args[2]);
  ctx.reply.Integer(value ? static_cast<int64_t>(value->size()) : 0);
}

void HExistsCmd(CommandContext& ctx) {
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  ctx.reply.Integer(v != nullptr && v->Find(ctx.args[2]) ? 1 : 0);
}

enum GetAllParts { kFields = 1, kValues = 2, kBoth = 3 };

void HGetAllGeneric(CommandContext& ctx, int parts) {
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  const size_t n = v == nullptr ? 0 : v->size();
  if (parts == kBoth) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (v == nullptr) return;
  v->ForEach([&](std::string_view f, std::string_view value) {
    if (parts & kFields) ctx.reply.Bulk(f);
    if (parts & kValues) ctx.reply.Bulk(value);
  });
}

void HKeysCmd(CommandContext& ctx) { HGetAllGeneric(ctx, kFields); }
void HValsCmd(CommandContext& ctx) { HGetAllGeneric(ctx, kValues); }
void HGetAllCmd(CommandContext& ctx) { HGetAllGeneric(ctx, kBoth); }

// --- Increments ------------------------------------------------------------------------------

void HIncrByCmd(CommandContext& ctx) {
  int64_t delta;
  if (!ParseIntArgOrReply(ctx, ctx.args[3], &delta)) return;
  OpResult<int64_t> r =
      keyspace::OpHIncrBy(ctx.db, ctx.args[1], ctx.args[2], delta, HashLimitsOf(ctx));
  if (r) {
    ctx.dirty++;
    ctx.Changed(kNotifyHash, "hincrby", ctx.args[1]);
    return ctx.reply.Integer(*r);
  }
  switch (r.status()) {
    case OpStatus::kNotAnInteger:
      return ctx.reply.Error(errors::kHashValueNotInteger);
    case OpStatus::kOverflow:
      return ctx.reply.Error(errors::kOverflow);
    default:
      return ReplyStatus(ctx, r.status());
  }
}

void HIncrByFloatCmd(CommandContext& ctx) {
  long double incr;
  if (!ParseLongDouble(ctx.args[3], &incr)) return ctx.reply.Error(errors::kNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.reply.Error(errors::kValueNanOrInf);
  OpResult<std::string> r =
      keyspace::OpHIncrByFloat(ctx.db, ctx.args[1], ctx.args[2], incr, HashLimitsOf(ctx));
  if (r) {
    ctx.dirty++;
    ctx.Changed(kNotifyHash, "hincrbyfloat", ctx.args[1]);
    // Logged as the value it produced, so a replay does not redo float arithmetic.
    ctx.Propagate({"HSET", ctx.args[1], ctx.args[2], *r});
    return ctx.reply.Bulk(*r);
  }
  switch (r.status()) {
    case OpStatus::kNotAFloat:
      return ctx.reply.Error(errors::kHashValueNotFloat);
    case OpStatus::kOutOfRange:
      return ctx.reply.Error(errors::kIncrFloatNaN);
    default:
      return ReplyStatus(ctx, r.status());
  }
}

// --- HRANDFIELD ------------------------------------------------------------------------------

// Negative counts ask for that many replies, repeats allowed.  Redis writes them until the
// client's output limit closes it (none by default: memory runs out); we refuse past this many.
constexpr int64_t kMaxRandomReplies = int64_t{1} << 28;

void HRandFieldCmd(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    const HashValue* v;
    if (!GetHashOrReply(ctx, &v)) return;
    if (v == nullptr) return ctx.reply.Null();
    ctx.reply.Bulk(keyspace::RandomPairs(*v, -1, CallRandomSeed(ctx)).front().field);
    return;
  }
  int64_t count;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &count)) return;
  if (count == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error(errors::kRandFieldCountRange);
  }
  bool with_values = false;
  if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !EqualsNoCase(ctx.args[3], "withvalues"))) {
    return ctx.reply.Error(errors::kSyntax);
  }
  if (ctx.args.size() == 4) {
    with_values = true;
    const int64_t half = std::numeric_limits<int64_t>::max() / 2;
    if (count < -half || count > half) return ctx.reply.Error(errors::kValueOutOfRange);
  }
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  if (v == nullptr || count == 0) return ctx.reply.EmptyArray();
  if (count < -kMaxRandomReplies) return ctx.reply.Error(errors::kValueOutOfRange);
  std::vector<HashValue::Pair> pairs = keyspace::RandomPairs(*v, count, CallRandomSeed(ctx));
  const bool resp3 = ctx.reply.protocol() >= 3;
  ctx.reply.ArrayHeader(with_values && !resp3 ? pairs.size() * 2 : pairs.size());
  for (const HashValue::Pair& p : pairs) {
    if (with_values && resp3) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(p.field);
    if (with_values) ctx.reply.Bulk(p.value);
  }
}

// --- HSCAN -----------------------------------------------------------------------------------

void HScanCmd(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  const HashValue* v;
  if (!GetHashOrReply(ctx, &v)) return;
  if (v == nullptr) return ReplyScanHeader(ctx, 0, 0);
  ScanArgs scan;
  bool no_values = false;
  auto novalues = [&](size_t i) -> size_t {
    if (!EqualsNoCase(ctx.args[i], "novalues")) return 0;
    no_values = true;
    return 1;
  };
  if (!ParseScanArgsOrReply(ctx, 3, &scan, novalues)) return;
  std::vector<HashValue::Pair> found;
  uint64_t next = v->Scan(cursor, scan.count, [&](std::string_view f, std::string_view value) {
    if (!scan.pattern || GlobMatch(*scan.pattern, f)) found.push_back({f, value});
  });
  ReplyScanHeader(ctx, next, found.size() * (no_values ? 1 : 2));
  for (const HashValue::Pair& p : found) {
    ctx.reply.Bulk(p.field);
    if (!no_values) ctx.reply.Bulk(p.value);
  }
}

// --- Field expiry (Redis 7.4) ----------------------------------------------------------------

// Reads `FIELDS numfields field...` starting at args[at] (the FIELDS token).  On error replies
// and returns false.  `bad_count` is the command's text for a numfields below 1.
bool ParseFieldsOrReply(CommandContext& ctx, size_t at, std::string_view bad_count,
                        Fields* out) {
  if (at + 1 >= ctx.args.size() || !EqualsNoCase(ctx.args[at], "FIELDS")) {
    ctx.reply.Error(errors::kFieldsMissing);
    return false;
  }
  int64_t n;
  if (!ParseInt64(ctx.args[at + 1], &n) || n < 1) {
    ctx.reply.Error(bad_count);
    return false;
  }
  if (static_cast<uint64_t>(n) != ctx.args.size() - at - 2) {
    ctx.reply.Error(errors::kNumFieldsMismatch);
    return false;
  }
  *out = ArgsFrom(ctx, at + 2);
  return true;
}

// True iff args[1] is a hash or missing; otherwise replies WRONGTYPE.  The key is looked up
// (and its expired fields purged) again by the operation.
bool CheckHashTypeOrReply(CommandContext& ctx) {
  const HashValue* v;
  return GetHashOrReply(ctx, &v);
}

void HExpireGeneric(CommandContext& ctx, bool relative, bool seconds) {
  if (!CheckHashTypeOrReply(ctx)) return;
  int64_t when;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &when)) return;
  if (when < 0) return ctx.reply.Error(errors::kFieldExpireNegative);
  const int64_t base = relative ? ctx.db.now_ms() : 0;
  if (seconds) {
    if (when > types::kMaxFieldExpiryMs / 1000) {
      return ctx.reply.Error(errors::InvalidExpire(ctx.spec.full_name));
    }
    when *= 1000;
  }
  if (when > types::kMaxFieldExpiryMs - base) {
    return ctx.reply.Error(errors::InvalidExpire(ctx.spec.full_name));
  }
  when += base;
  using Cond = HashValue::ExpireCondition;
  Cond cond = Cond::kNone;
  std::string_view opt = ctx.args[3];
  if (EqualsNoCase(opt, "nx")) {
    cond = Cond::kNx;
  } else if (EqualsNoCase(opt, "xx")) {
    cond = Cond::kXx;
  } else if (EqualsNoCase(opt, "gt")) {
    cond = Cond::kGt;
  } else if (EqualsNoCase(opt, "lt")) {
    cond = Cond::kLt;
  }
  Fields fields;
  if (!ParseFieldsOrReply(ctx, cond == Cond::kNone ? 3 : 4, errors::kNumFieldsNotPositive,
                          &fields)) {
    return;
  }
  OpResult<std::vector<int>> r = keyspace::OpHExpire(ctx.db, ctx.args[1], when, cond, fields);
  if (!r) return ReplyStatus(ctx, r.status());
  // Logged per outcome: the fields whose expiry was set get it as an absolute time (without
  // the condition, already applied), the fields deleted by a time in the past an HDEL.
  std::vector<std::string> set{"HPEXPIREAT", std::string(ctx.args[1]), std::to_string(when),
                               "FIELDS", ""};
  std::vector<std::string> del{"HDEL", std::string(ctx.args[1])};
  for (size_t i = 0; i < r->size(); ++i) {
    if ((*r)[i] == 1) set.emplace_back(fields[i]);
    if ((*r)[i] == 2) del.emplace_back(fields[i]);
  }
  ctx.dirty += static_cast<int64_t>(set.size() - 5 + del.size() - 2);
  if (set.size() > 5) ctx.Changed(kNotifyHash, "hexpire", ctx.args[1]);
  if (del.size() > 2) NotifyFieldsRemoved(ctx, "hdel");
  if (set.size() > 5) {
    set[4] = std::to_string(set.size() - 5);
    ctx.Propagate(std::move(set));
  }
  if (del.size() > 2) ctx.Propagate(std::move(del));
  ctx.reply.ArrayHeader(r->size());
  for (int code : *r) ctx.reply.Integer(code);
}

void HExpireCmd(CommandContext& ctx) { HExpireGeneric(ctx, true, true); }
void HPExpireCmd(CommandContext& ctx) { HExpireGeneric(ctx, true, false); }
void HExpireAtCmd(CommandContext& ctx) { HExpireGeneric(ctx, false, true); }
void HPExpireAtCmd(CommandContext& ctx) { HExpireGeneric(ctx, false, false); }

void HTtlGeneric(CommandContext& ctx, bool relative, bool seconds) {
  if (!CheckHashTypeOrReply(ctx)) return;
  Fields fields;
  if (!ParseFieldsOrReply(ctx, 2, errors::kFieldCountNotPositive, &fields)) return;
  OpResult<std::vector<int64_t>> r = keyspace::OpHFieldExpiry(ctx.db, ctx.args[1], fields);
  if (!r) return ReplyStatus(ctx, r.status());
  const int64_t base = relative ? ctx.db.now_ms() : 0;
  ctx.reply.ArrayHeader(r->size());
  for (int64_t at : *r) {
    if (at < 0) {
      ctx.reply.Integer(at);
    } else {
      ctx.reply.Integer(seconds ? (at + 999 - base) / 1000 : at - base);
    }
  }
}

void HTtlCmd(CommandContext& ctx) { HTtlGeneric(ctx, true, true); }
void HPTtlCmd(CommandContext& ctx) { HTtlGeneric(ctx, true, false); }
void HExpireTimeCmd(CommandContext& ctx) { HTtlGeneric(ctx, false, true); }
void HPExpireTimeCmd(CommandContext& ctx) { HTtlGeneric(ctx, false, false); }

void HPersistCmd(CommandContext& ctx) {
  if (!CheckHashTypeOrReply(ctx)) return;
  Fields fields;
  if (!ParseFieldsOrReply(ctx, 2, errors::kFieldCountNotPositive, &fields)) return;
  OpResult<std::vector<int>> r = keyspace::OpHPersist(ctx.db, ctx.args[1], fields);
  if (!r) return ReplyStatus(ctx, r.status());
  std::vector<std::string> persisted{"HPERSIST", std::string(ctx.args[1]), "FIELDS", ""};
  for (size_t i = 0; i < r->size(); ++i) {
    if ((*r)[i] == 1) persisted.emplace_back(fields[i]);
  }
  if (persisted.size() > 4) {
    ctx.dirty += static_cast<int64_t>(persisted.size() - 4);
    ctx.Changed(kNotifyHash, "hpersist", ctx.args[1]);
    persisted[3] = std::to_string(persisted.size() - 4);
    ctx.Propagate(std::move(persisted));
  }
  ctx.reply.ArrayHeader(r->size());
  for (int code : *r) ctx.reply.Integer(code);
}

// --- Registration ----------------------------------------------------------------------------

CommandSpec Spec(std::string name, int arity, uint32_t flags, uint32_t key_flags, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{1, 1, 1, key_flags}, kAclHash, handler,
                  "hash", since, complexity, summary, std::move(arguments));
}

constexpr std::string_view kO1 = "O(1)";
constexpr std::string_view kOFields = "O(N) where N is the number of specified fields";
constexpr std::string_view kOSize = "O(N) in the number of fields.";

}  // namespace

void RegisterHashFamily(CommandTable* table) {
  using namespace argdoc;  // NOLINT: the argument tables read best unqualified
  const uint32_t kW = kWrite | kDenyOom | kFast;
  const uint32_t kR = kReadOnly | kFast;
  const uint32_t kRwUpdate = kKeyRW | kKeyUpdate;
  const uint32_t kRoAccess = kKeyRO | kKeyAccess;
  const std::vector<ArgDoc> kPairs = {Key("key"),
                                      Block("data", {Str("field"), Str("value")}).Multi()};
  const std::vector<ArgDoc> kKeyField = {Key("key"), Str("field")};
  const std::vector<ArgDoc> kKeyOnly = {Key("key")};
  auto fields = [] { return Block("fields", {Int("numfields"), Str("field").Multi()}).Tok("FIELDS"); };
  auto expire_args = [&](std::string_view time_name, bool unix_time) {
    return std::vector<ArgDoc>{
        Key("key"), unix_time ? UnixTime(time_name) : Int(time_name),
        OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX"), PureToken("gt", "GT"),
                            PureToken("lt", "LT")})
            .Opt(),
        fields()};
  };
  const std::vector<ArgDoc> kKeyFields = {Key("key"), fields()};

  table->Add(Spec("hset", -4, kW, kRwUpdate, HSetCmd, "2.0.0",
                  "O(1) per field written, O(N) for N fields.",
                  "Writes fields of a hash, creating the key when missing.", kPairs));
  table->Add(Spec("hsetnx", 4, kW, kKeyRW | kKeyInsert, HSetNxCmd, "2.0.0", kO1,
                  "Writes a hash field only if it is not there yet.",
                  {Key("key"), Str("field"), Str("value")}));
  table->Add(Spec("hmset", -4, kW, kRwUpdate, HMSetCmd, "2.0.0", "O(N) for N fields written.",
                  "Writes several hash fields (the older form of HSET).", kPairs));
  table->Add(Spec("hget", 3, kR, kRoAccess, HGetCmd, "2.0.0", kO1, "Reads one field of a hash.",
                  kKeyField));
  table->Add(Spec("hmget", -3, kR, kRoAccess, HMGetCmd, "2.0.0", "O(N) for N fields read.",
                  "Reads several fields of a hash at once.", {Key("key"), Str("field").Multi()}));
  table->Add(Spec("hdel", -3, kWrite | kFast, kKeyRW | kKeyDelete, HDelCmd, "2.0.0",
                  "O(N) for N fields removed.",
                  "Removes fields from a hash; the key goes with its last field.",
                  {Key("key"), Str("field").Multi()}));
  table->Add(
      Spec("hlen", 2, kR, kKeyRO, HLenCmd, "2.0.0", kO1, "Counts the fields of a hash.", kKeyOnly));
  table->Add(Spec("hstrlen", 3, kR, kKeyRO, HStrLenCmd, "3.2.0", kO1,
                  "Gives the byte length of a hash field's value.", kKeyField));
  table->Add(Spec("hexists", 3, kR, kKeyRO, HExistsCmd, "2.0.0", kO1,
                  "Tells whether a hash has a field.", kKeyField));
  table->Add(Spec("hkeys", 2, kReadOnly, kRoAccess, HKeysCmd, "2.0.0", kOSize,
                  "Lists the field names of a hash.", kKeyOnly));
  table->Add(Spec("hvals", 2, kReadOnly, kRoAccess, HValsCmd, "2.0.0", kOSize,
                  "Lists the values of a hash.", kKeyOnly));
  table->Add(Spec("hgetall", 2, kReadOnly, kRoAccess, HGetAllCmd, "2.0.0", kOSize,
                  "Lists every field of a hash with its value.", kKeyOnly));
  table->Add(Spec("hincrby", 4, kW, kKeyRW | kKeyAccess | kKeyUpdate, HIncrByCmd, "2.0.0", kO1,
                  "Adds an integer to a hash field, a missing field counting as 0.",
                  {Key("key"), Str("field"), Int("increment")}));
  table->Add(Spec("hincrbyfloat", 4, kW, kKeyRW | kKeyAccess | kKeyUpdate, HIncrByFloatCmd, "2.6.0",
                  kO1, "Adds a decimal number to a hash field, a missing field counting as 0.",
                  {Key("key"), Str("field"), Dbl("increment")}));
  table->Add(
      Spec("hrandfield", -2, kReadOnly, kRoAccess, HRandFieldCmd, "6.2.0",
           "O(N) for N fields returned.", "Picks random fields of a hash, with or without repeats.",
           {Key("key"),
            Block("options", {Int("count"), PureToken("withvalues", "WITHVALUES").Opt()}).Opt()}));
  table->Add(Spec("hscan", -3, kReadOnly, kRoAccess, HScanCmd, "2.8.0",
                  "O(1) per call; a whole pass, until the cursor comes back to 0, is O(N) in the "
                  "collection's size.",
                  "Walks a hash's fields and values with a cursor.",
                  {Key("key"), Int("cursor"), Pattern("pattern").Tok("MATCH").Opt(),
                   Int("count").Tok("COUNT").Opt(), PureToken("novalues", "NOVALUES").Opt()}));
  table->Add(Spec("hexpire", -6, kW, kRwUpdate, HExpireCmd, "7.4.0", kOFields,
                  "Set expiry for hash field using relative time to expire (seconds)",
                  expire_args("seconds", false)));
  table->Add(Spec("hpexpire", -6, kW, kRwUpdate, HPExpireCmd, "7.4.0", kOFields,
                  "Set expiry for hash field using relative time to expire (milliseconds)",
                  expire_args("milliseconds", false)));
  table->Add(Spec("hexpireat", -6, kW, kRwUpdate, HExpireAtCmd, "7.4.0", kOFields,
                  "Set expiry for hash field using an absolute Unix timestamp (seconds)",
                  expire_args("unix-time-seconds", true)));
  table->Add(Spec("hpexpireat", -6, kW, kRwUpdate, HPExpireAtCmd, "7.4.0", kOFields,
                  "Set expiry for hash field using an absolute Unix timestamp (milliseconds)",
                  expire_args("unix-time-milliseconds", true)));
  table->Add(Spec("httl", -5, kR, kRoAccess, HTtlCmd, "7.4.0", kOFields,
                  "Returns the TTL in seconds of a hash field.", kKeyFields));
  table->Add(Spec("hpttl", -5, kR, kRoAccess, HPTtlCmd, "7.4.0", kOFields,
                  "Returns the TTL in milliseconds of a hash field.", kKeyFields));
  table->Add(Spec("hexpiretime", -5, kR, kRoAccess, HExpireTimeCmd, "7.4.0", kOFields,
                  "Returns the expiration time of a hash field as a Unix timestamp, in seconds.",
                  kKeyFields));
  table->Add(Spec("hpexpiretime", -5, kR, kRoAccess, HPExpireTimeCmd, "7.4.0", kOFields,
                  "Returns the expiration time of a hash field as a Unix timestamp, in msec.",
                  kKeyFields));
  table->Add(Spec("hpersist", -5, kWrite | kFast, kRwUpdate, HPersistCmd, "7.4.0", kOFields,
                  "Removes the expiration time for each specified field", kKeyFields));
}

}  // namespace tessera::server
