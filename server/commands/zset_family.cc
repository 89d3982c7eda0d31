// The sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZPOPMIN ZPOPMAX
// ZMPOP BZPOPMIN BZPOPMAX BZMPOP ZRANDMEMBER ZSCAN here; ranges and set operations in
// zset_range_commands.cc and zset_setop_commands.cc (see zset_family.h).  Registration of all
// of them is at the bottom of this file.
//
// Checks run in Redis 7.2's order (t_zset.c), which decides the reply when several apply:
// ZADD parses options, pair count, option conflicts and every score before it looks the key
// up; ZRANK checks its arity and WITHSCORE before the key; the blocking pops read the timeout
// first (BZMPOP after numkeys, MIN|MAX and COUNT).  Blocking handlers are re-runnable: when
// nothing can be served they call BlockOn and reply nothing, and a re-run serves normally.
#include "server/commands/zset_family.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "core/base/glob.h"
#include "core/base/random.h"
#include "core/base/numbers.h"
#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/server.h"

namespace tessera::server {

namespace zset {

using keyspace::FindZSet;
using types::ScoredMember;
using types::ZSetValue;

namespace {

bool ParseScoreEnd(std::string_view arg, double* v, bool* exclusive) {
  *exclusive = !arg.empty() && arg[0] == '(';
  if (*exclusive) arg.remove_prefix(1);
  std::string s(arg);  // strtod needs a terminator; like Redis it stops at an embedded NUL
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

bool ParseLexEnd(std::string_view arg, types::LexBound* b) {
  using K = types::LexBound::Kind;
  if (arg.empty()) return false;
  switch (arg[0]) {
    case '+':
      if (arg.size() != 1) return false;
      b->kind = K::kPlusInf;
      return true;
    case '-':
      if (arg.size() != 1) return false;
      b->kind = K::kMinusInf;
      return true;
    case '(':
      b->kind = K::kExclusive;
      b->value = arg.substr(1);
      return true;
    case '[':
      b->kind = K::kInclusive;
      b->value = arg.substr(1);
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ParseScoreRange(std::string_view min, std::string_view max, types::ScoreRange* out) {
  return ParseScoreEnd(min, &out->min, &out->min_exclusive) &&
         ParseScoreEnd(max, &out->max, &out->max_exclusive);
}

bool ParseLexRange(std::string_view min, std::string_view max, types::LexRange* out) {
  return ParseLexEnd(min, &out->min) && ParseLexEnd(max, &out->max);
}

void NotifyZRemoved(CommandContext& ctx, std::string_view event, std::string_view key) {
  ctx.Changed(kNotifyZSet, event, key);
  if (ctx.db.Find(key, /*touch=*/false) == nullptr) ctx.Notify(kNotifyGeneric, "del", key);
}

void ReplyScoredMembers(CommandContext& ctx, const std::vector<ScoredMember>& items,
                        bool withscores) {
  const bool pairs = withscores && ctx.reply.protocol() == 3;
  ctx.reply.ArrayHeader(withscores && !pairs ? items.size() * 2 : items.size());
  for (const ScoredMember& sm : items) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(sm.member);
    if (withscores) ctx.reply.Double(sm.score);
  }
}

}  // namespace zset

namespace {

using keyspace::FindZSet;
using types::ScoredMember;
using types::ZSetValue;

// Redis getRangeLongFromObjectOrReply: an integer (else `msg`, or the integer error), then
// within [min, max] (else `msg`, or "value is out of range, value must between ...").
bool ParseRangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                       int64_t* out, std::string_view msg = {}) {
  if (!ParseInt64(arg, out)) {
    ctx.reply.Error(msg.empty() ? errors::kNotInteger : msg);
    return false;
  }
  if (*out < min || *out > max) {
    if (!msg.empty()) {
      ctx.reply.Error(msg);
    } else {
      ctx.reply.Error(fmt::format(fmt::runtime(errors::kValueRangeFmt), min, max));
    }
    return false;
  }
  return true;
}

// ---- ZADD ZINCRBY ---------------------------------------------------------------------------

void ZAddGeneric(CommandContext& ctx, bool incr) {
  keyspace::ZAddFlags flags;
  flags.incr = incr;
  bool ch = false;
  size_t idx = 2;
  for (; idx < ctx.args.size(); ++idx) {
    std::string_view opt = ctx.args[idx];
    if (EqualsNoCase(opt, "nx")) flags.nx = true;
    else if (EqualsNoCase(opt, "xx")) flags.xx = true;
    else if (EqualsNoCase(opt, "ch")) ch = true;
    else if (EqualsNoCase(opt, "incr")) flags.incr = true;
    else if (EqualsNoCase(opt, "gt")) flags.gt = true;
    else if (EqualsNoCase(opt, "lt")) flags.lt = true;
    else break;
  }
  size_t elements = ctx.args.size() - idx;
  if (elements % 2 != 0 || elements == 0) return ctx.reply.Error(errors::kSyntax);
  elements /= 2;
  if (flags.nx && flags.xx) return ctx.reply.Error(errors::kZAddXxNx);
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    return ctx.reply.Error(errors::kZAddGtLtNx);
  }
  if (flags.incr && elements > 1) return ctx.reply.Error(errors::kZAddIncrPairs);
  std::vector<keyspace::ZAddPair> pairs(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!ParseDouble(ctx.args[idx + 2 * j], &pairs[j].score)) {
      return ctx.reply.Error(errors::kNotFloat);
    }
    pairs[j].member = ctx.args[idx + 2 * j + 1];
  }
  auto res = keyspace::OpZAdd(ctx.db, ctx.args[1], flags, pairs, ZSetLimitsOf(ctx));
  if (!res) return ReplyStatus(ctx, res.status());
  if (res->nan) return ctx.reply.Error(errors::kZScoreNaN);
  ctx.dirty += static_cast<int64_t>(res->added + res->updated);
  if (res->added + res->updated > 0) {
    ctx.Changed(kNotifyZSet, flags.incr ? "zincr" : "zadd", ctx.args[1]);
  }
  if (flags.incr) {
    if (res->processed == 0) return ctx.reply.Null();
    return ctx.reply.Double(res->score);
  }
  ctx.reply.Integer(static_cast<int64_t>(ch ? res->added + res->updated : res->added));
}

void ZAddCmd(CommandContext& ctx) { ZAddGeneric(ctx, false); }
void ZIncrByCmd(CommandContext& ctx) { ZAddGeneric(ctx, true); }

// ---- ZREM ZCARD ZSCORE ZMSCORE ZRANK ----------------------------------------------------------

void ZRemCmd(CommandContext& ctx) {
  auto res = keyspace::OpZRem(ctx.db, ctx.args[1], ctx.args.subspan(2));
  if (!res) return ReplyStatus(ctx, res.status());
  ctx.dirty += static_cast<int64_t>(*res);
  if (*res > 0) zset::NotifyZRemoved(ctx, "zrem", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(*res));
}

void ZCardCmd(CommandContext& ctx) {
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  ctx.reply.Integer(*z == nullptr ? 0 : static_cast<int64_t>((*z)->size()));
}

void ZScoreCmd(CommandContext& ctx) {
  auto res = keyspace::OpZScore(ctx.db, ctx.args[1], ctx.args[2]);
  if (!res) return ReplyStatus(ctx, res.status());
  if (!*res) return ctx.reply.Null();
  ctx.reply.Double(**res);
}

void ZMScoreCmd(CommandContext& ctx) {
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    std::optional<double> s = *z == nullptr ? std::nullopt : (*z)->Score(ctx.args[j]);
    if (s) ctx.reply.Double(*s); else ctx.reply.Null();
  }
}

void ZRankGeneric(CommandContext& ctx, bool reverse) {
  if (ctx.args.size() > 4) {
    return ctx.reply.Error(fmt::format("ERR wrong number of arguments for '{}' command",
                                       ctx.spec.full_name));
  }
  bool withscore = false;
  if (ctx.args.size() > 3) {
    if (!EqualsNoCase(ctx.args[3], "withscore")) return ctx.reply.Error(errors::kSyntax);
    withscore = true;
  }
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  std::optional<size_t> rank;
  if (*z != nullptr) rank = (*z)->Rank(ctx.args[2]);
  if (!rank) return withscore ? ctx.reply.NullArray() : ctx.reply.Null();
  int64_t r = static_cast<int64_t>(reverse ? (*z)->size() - 1 - *rank : *rank);
  if (!withscore) return ctx.reply.Integer(r);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(r);
  ctx.reply.Double(*(*z)->Score(ctx.args[2]));
}

void ZRankCmd(CommandContext& ctx) { ZRankGeneric(ctx, false); }
void ZRevRankCmd(CommandContext& ctx) { ZRankGeneric(ctx, true); }

// ---- Pops -----------------------------------------------------------------------------------

// Removes up to `count` members from the low (or high) end of the set at `key` and deletes the
// key once empty.  REQUIRES: z is the live set of `key`, non-empty.
std::vector<ScoredMember> PopFrom(CommandContext& ctx, std::string_view key, ZSetValue* z,
                                  bool max, size_t count) {
  size_t n = std::min(count, z->size());
  std::vector<ScoredMember> out;
  out.reserve(n);
  for (auto it = z->IterateFrom(max ? z->size() - 1 : 0, max); it.valid() && out.size() < n;
       it.Next()) {
    out.push_back({std::string(it.member()), it.score()});
  }
  if (max) z->RemoveRanks(z->size() - n, z->size()); else z->RemoveRanks(0, n);
  keyspace::DeleteIfEmptyZSet(ctx.db, key, z);
  ctx.dirty += static_cast<int64_t>(n);
  if (n > 0) zset::NotifyZRemoved(ctx, max ? "zpopmax" : "zpopmin", key);
  // BZPOPMIN, ZMPOP and the rest are logged as the plain pop they did.
  if (ctx.logging) ctx.Propagate({max ? "ZPOPMAX" : "ZPOPMIN", key, std::to_string(n)});
  return out;
}

// The reply shapes of Redis's genericZpopCommand.
enum class PopShape {
  kFlat,        // ZPOPMIN/MAX: member, score, ... (RESP2, or RESP3 without COUNT)
  kNested,      // ZPOPMIN/MAX with COUNT in RESP3: [member, score] pairs
  kKeyFlat,     // BZPOPMIN/MAX: key, member, score
  kKeyNested,   // ZMPOP/BZMPOP: [key, [[member, score], ...]]
};

void ReplyPopped(CommandContext& ctx, std::string_view key, const std::vector<ScoredMember>& v,
                 PopShape shape) {
  const bool nested = shape == PopShape::kNested || shape == PopShape::kKeyNested;
  switch (shape) {
    case PopShape::kFlat:
      ctx.reply.ArrayHeader(v.size() * 2);
      break;
    case PopShape::kNested:
      ctx.reply.ArrayHeader(v.size());
      break;
    case PopShape::kKeyFlat:
      ctx.reply.ArrayHeader(v.size() * 2 + 1);
      ctx.reply.Bulk(key);
      break;
    case PopShape::kKeyNested:
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      ctx.reply.ArrayHeader(v.size());
      break;
  }
  for (const ScoredMember& sm : v) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(sm.member);
    ctx.reply.Double(sm.score);
  }
}

// Redis genericZpopCommand over keys [first, first + n): pops from the first existing key
// (WRONGTYPE stops at the first key of another type).  Returns false, replying nothing, when
// no key exists; `count` < 0 means a plain single pop.
bool TryPop(CommandContext& ctx, size_t first, size_t n, bool max, int64_t count,
            PopShape shape, bool* replied_error) {
  *replied_error = false;
  for (size_t i = first; i < first + n; ++i) {
    auto z = FindZSet(ctx.db, ctx.args[i]);
    if (!z) {
      *replied_error = true;
      ReplyStatus(ctx, z.status());
      return true;
    }
    if (*z == nullptr) continue;
    if (count == 0) {
      ctx.reply.EmptyArray();
      return true;
    }
    auto popped = PopFrom(ctx, ctx.args[i], *z, max, count < 0 ? 1 : static_cast<size_t>(count));
    ReplyPopped(ctx, ctx.args[i], popped, shape);
    return true;
  }
  return false;
}

void ZPopGeneric(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  int64_t count = -1;
  if (ctx.args.size() == 3 &&
      !ParseRangeOrReply(ctx, ctx.args[2], 0, LLONG_MAX, &count, errors::kMustBePositive)) {
    return;
  }
  PopShape shape = ctx.reply.protocol() > 2 && count != -1 ? PopShape::kNested : PopShape::kFlat;
  bool error;
  if (!TryPop(ctx, 1, 1, max, count, shape, &error)) ctx.reply.EmptyArray();
}

void ZPopMinCmd(CommandContext& ctx) { ZPopGeneric(ctx, false); }
void ZPopMaxCmd(CommandContext& ctx) { ZPopGeneric(ctx, true); }

void BZPopGeneric(CommandContext& ctx, bool max) {
  int64_t deadline;
  if (!ParseBlockTimeoutOrReply(ctx, ctx.args.back(), &deadline)) return;
  bool error;
  if (TryPop(ctx, 1, ctx.args.size() - 2, max, -1, PopShape::kKeyFlat, &error)) return;
  if (!ctx.may_block) return ctx.reply.NullArray();
  std::vector<std::string> keys(ctx.args.begin() + 1, ctx.args.end() - 1);
  ctx.BlockOn({std::move(keys), deadline, keyspace::ValueType::kZSet});
}

void BZPopMinCmd(CommandContext& ctx) { BZPopGeneric(ctx, false); }
void BZPopMaxCmd(CommandContext& ctx) { BZPopGeneric(ctx, true); }

// ZMPOP numkeys key... MIN|MAX [COUNT n] / BZMPOP timeout numkeys key... MIN|MAX [COUNT n].
void ZMPopGeneric(CommandContext& ctx, size_t numkeys_idx, bool block) {
  int64_t numkeys;
  if (!ParseRangeOrReply(ctx, ctx.args[numkeys_idx], 1, LLONG_MAX, &numkeys,
                         errors::kNumkeysPositive)) {
    return;
  }
  if (static_cast<uint64_t>(numkeys) >= ctx.args.size() - numkeys_idx - 1) {
    return ctx.reply.Error(errors::kSyntax);
  }
  size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  bool max;
  if (EqualsNoCase(ctx.args[where_idx], "min")) {
    max = false;
  } else if (EqualsNoCase(ctx.args[where_idx], "max")) {
    max = true;
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.args.size(); ++j) {
    if (count == -1 && EqualsNoCase(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      ++j;
      if (!ParseRangeOrReply(ctx, ctx.args[j], 1, LLONG_MAX, &count, errors::kCountPositive)) {
        return;
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (count == -1) count = 1;
  int64_t deadline = 0;
  if (block && !ParseBlockTimeoutOrReply(ctx, ctx.args[1], &deadline)) return;
  bool error;
  if (TryPop(ctx, numkeys_idx + 1, static_cast<size_t>(numkeys), max, count,
             PopShape::kKeyNested, &error)) {
    return;
  }
  if (!block || !ctx.may_block) return ctx.reply.NullArray();
  std::vector<std::string> keys(ctx.args.begin() + numkeys_idx + 1,
                                ctx.args.begin() + static_cast<long>(where_idx));
  ctx.BlockOn({std::move(keys), deadline, keyspace::ValueType::kZSet});
}

void ZMPopCmd(CommandContext& ctx) { ZMPopGeneric(ctx, 1, false); }
void BZMPopCmd(CommandContext& ctx) { ZMPopGeneric(ctx, 2, true); }

// ---- ZRANDMEMBER ----------------------------------------------------------------------------

ScoredMember MemberAt(const ZSetValue& z, size_t rank) {
  auto it = z.IterateFrom(rank, false);
  return {std::string(it.member()), it.score()};
}

void ZRandMemberWithCount(CommandContext& ctx, int64_t l, bool withscores) {
  auto found = FindZSet(ctx.db, ctx.args[1]);
  if (!found) return ReplyStatus(ctx, found.status());
  const ZSetValue* z = *found;
  if (z == nullptr || l == 0) return ctx.reply.EmptyArray();
  const bool uniq = l > 0;
  const uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  const size_t size = z->size();
  SplitMix64 random(CallRandomSeed(ctx));
  const bool pairs = withscores && ctx.reply.protocol() == 3;
  auto emit = [&](const ScoredMember& sm) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(sm.member);
    if (withscores) ctx.reply.Double(sm.score);
  };
  if (!uniq || count == 1) {
    // With repetition, in random order.
    ctx.reply.ArrayHeader(withscores && !pairs ? count * 2 : count);
    for (uint64_t i = 0; i < count; ++i) emit(MemberAt(*z, random.Below(size)));
    return;
  }
  if (count >= size) {
    ctx.reply.ArrayHeader(withscores && !pairs ? size * 2 : size);
    for (auto it = z->IterateFrom(0, false); it.valid(); it.Next()) {
      emit({std::string(it.member()), it.score()});
    }
    return;
  }
  // Distinct ranks by Floyd's sampling, then a shuffle so the order is random too.
  std::unordered_set<size_t> picked;
  std::vector<size_t> order;
  order.reserve(count);
  for (size_t j = size - count; j < size; ++j) {
    size_t t = random.Below(j + 1);
    size_t pick = picked.insert(t).second ? t : j;
    if (pick == j) picked.insert(j);
    order.push_back(pick);
  }
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.Below(i)]);
  ctx.reply.ArrayHeader(withscores && !pairs ? count * 2 : count);
  for (size_t rank : order) emit(MemberAt(*z, rank));
}

void ZRandMemberCmd(CommandContext& ctx) {
  if (ctx.args.size() >= 3) {
    int64_t l;
    if (!ParseRangeOrReply(ctx, ctx.args[2], -LLONG_MAX, LLONG_MAX, &l)) return;
    bool withscores = false;
    if (ctx.args.size() > 4 ||
        (ctx.args.size() == 4 && !EqualsNoCase(ctx.args[3], "withscores"))) {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (ctx.args.size() == 4) {
      withscores = true;
      if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) return ctx.reply.Error(errors::kOutOfRange);
    }
    return ZRandMemberWithCount(ctx, l, withscores);
  }
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  if (*z == nullptr) return ctx.reply.Null();
  SplitMix64 random(CallRandomSeed(ctx));
  ctx.reply.Bulk(MemberAt(**z, random.Below((*z)->size())).member);
}

// ---- ZSCAN ----------------------------------------------------------------------------------

// Redis formats skiplist scores in ZSCAN with ld2string(LD_STR_AUTO), "%.17Lg"; listpack scores
// come back as the listpack stored them (d2string, FormatDouble here).
std::string ScanScore(double score, bool packed) {
  if (packed) return DoubleToString(score);
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lg", static_cast<long double>(score));
  return std::string(buf, static_cast<size_t>(n));
}

void ZScanCmd(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  auto found = FindZSet(ctx.db, ctx.args[1]);
  if (!found) return ReplyStatus(ctx, found.status());
  const ZSetValue* z = *found;
  if (z == nullptr) return ReplyScanHeader(ctx, 0, 0);
  ScanArgs scan;
  if (!ParseScanArgsOrReply(ctx, 3, &scan)) return;
  std::vector<std::string> out;
  auto visit = [&](std::string_view member, double score) {
    if (scan.pattern && !GlobMatch(*scan.pattern, member)) return;
    out.emplace_back(member);
    out.push_back(ScanScore(score, z->is_packed()));
  };
  if (z->is_packed()) {
    cursor = z->Scan(0, 0, visit);
  } else {
    // As Redis: scan until `count` elements were gathered or count * 10 steps were taken.  A
    // count past the set's size changes nothing but would overflow the products.
    const size_t n = std::min(scan.count, z->size());
    size_t steps = n * 10;
    do {
      cursor = z->Scan(cursor, n, visit);
    } while (cursor != 0 && steps-- > 0 && out.size() / 2 < n);
  }
  ReplyScanHeader(ctx, cursor, out.size());
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

// ---- Key extractors (numkeys commands) ------------------------------------------------------

// Keys [numkeys_idx + 1, numkeys_idx + numkeys]; false if numkeys is malformed or too large.
bool NumkeysKeys(ArgList args, size_t numkeys_idx, std::vector<int>* out) {
  int64_t n;
  if (numkeys_idx >= args.size() || !ParseInt64(args[numkeys_idx], &n) || n < 1 ||
      static_cast<uint64_t>(n) > args.size() - numkeys_idx - 1) {
    return false;
  }
  for (int64_t i = 0; i < n; ++i) out->push_back(static_cast<int>(numkeys_idx + 1 + i));
  return true;
}
bool KeysAfterNumkeys1(ArgList args, std::vector<int>* out) { return NumkeysKeys(args, 1, out); }
bool KeysAfterNumkeys2(ArgList args, std::vector<int>* out) { return NumkeysKeys(args, 2, out); }
bool DestAndKeysAfterNumkeys2(ArgList args, std::vector<int>* out) {
  out->push_back(1);
  return NumkeysKeys(args, 2, out);
}

// ---- Registration ---------------------------------------------------------------------------

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclSortedSet, handler, "sorted-set",
                  since, complexity, summary, std::move(arguments));
}

using namespace argdoc;  // NOLINT: argument tables read best unqualified

constexpr KeySpec kOneKey{1, 1, 1};
constexpr KeySpec kMovable{0, 0, 0};
// Key flags where Redis's differ from the defaults (RO|access, RW|access|update).
constexpr KeySpec kAddKey{1, 1, 1, kKeyRW | kKeyUpdate};
constexpr KeySpec kCardKey{1, 1, 1, kKeyRO};
constexpr KeySpec kRemKey{1, 1, 1, kKeyRW | kKeyDelete};
constexpr KeySpec kPopKey{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete};
constexpr std::string_view kLogN = "O(log(N))";

ArgDoc LimitArg() { return Block("limit", {Int("offset"), Int("count")}).Tok("LIMIT").Opt(); }
ArgDoc WithScores() { return PureToken("withscores", "WITHSCORES").Opt(); }
ArgDoc MinMax() { return OneOf("where", {PureToken("min", "MIN"), PureToken("max", "MAX")}); }
ArgDoc Aggregate() {
  return OneOf("aggregate", {PureToken("sum", "SUM"), PureToken("min", "MIN"),
                             PureToken("max", "MAX")})
      .Tok("AGGREGATE")
      .Opt();
}
ArgDoc Weights() { return Int("weight").Tok("WEIGHTS").Opt().Multi(); }
ArgDoc RangeBy() {
  return OneOf("sortby", {PureToken("byscore", "BYSCORE"), PureToken("bylex", "BYLEX")}).Opt();
}

CommandSpec Movable(CommandSpec spec, KeyExtractor extractor) {
  spec.key_extractor = extractor;
  return spec;
}

// ZUNION, ZINTER, ZDIFF, ZINTERCARD: numkeys at argument 1, the keys after it (read).
CommandSpec ReadAfterNumkeys(CommandSpec spec) {
  spec.key_specs = {KeySpec{1, 0, 1, kKeyRO | kKeyAccess, {}, /*keynum=*/true}};
  return Movable(std::move(spec), KeysAfterNumkeys1);
}

void RegisterBasics(CommandTable* table) {
  const uint32_t kW = kWrite | kDenyOom;
  const uint32_t kR = kReadOnly;
  table->Add(
      Spec("zadd", -4, kW | kFast, kAddKey, ZAddCmd, "1.2.0",
           "O(log(N)) per member written, N being the sorted set's size.",
           "Writes members with scores into a sorted set, creating the key when missing.",
           {Key("key"), OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX")}).Opt(),
            OneOf("comparison", {PureToken("gt", "GT"), PureToken("lt", "LT")}).Opt(),
            PureToken("change", "CH").Opt(), PureToken("increment", "INCR").Opt(),
            Block("data", {Dbl("score"), Str("member")}).Multi()}));
  table->Add(Spec("zincrby", 4, kW | kFast, kOneKey, ZIncrByCmd, "1.2.0", kLogN,
                  "Adds to a member's score in a sorted set.",
                  {Key("key"), Int("increment"), Str("member")}));
  table->Add(Spec("zrem", -3, kWrite | kFast, kRemKey, ZRemCmd, "1.2.0",
                  "O(M*log(N)): M members removed from a sorted set of N.",
                  "Removes members from a sorted set; the key goes with its last member.",
                  {Key("key"), Str("member").Multi()}));
  table->Add(Spec("zcard", 2, kR | kFast, kCardKey, ZCardCmd, "1.2.0", "O(1)",
                  "Counts the members of a sorted set.", {Key("key")}));
  table->Add(Spec("zscore", 3, kR | kFast, kOneKey, ZScoreCmd, "1.2.0", "O(1)",
                  "Reads a member's score in a sorted set.", {Key("key"), Str("member")}));
  table->Add(Spec(
      "zmscore", -3, kR | kFast, kOneKey, ZMScoreCmd, "6.2.0", "O(N) for N members read.",
      "Reads the scores of several members of a sorted set.", {Key("key"), Str("member").Multi()}));
  table->Add(Spec("zrank", -3, kR | kFast, kOneKey, ZRankCmd, "2.0.0", kLogN,
                  "Gives a member's position by ascending score.",
                  {Key("key"), Str("member"), PureToken("withscore", "WITHSCORE").Opt()}));
  table->Add(Spec("zrevrank", -3, kR | kFast, kOneKey, ZRevRankCmd, "2.0.0", kLogN,
                  "Gives a member's position by descending score.",
                  {Key("key"), Str("member"), PureToken("withscore", "WITHSCORE").Opt()}));
  table->Add(Spec("zpopmin", -2, kWrite | kFast, kPopKey, ZPopMinCmd, "5.0.0",
                  "O(M*log(N)): M members popped from a sorted set of N.",
                  "Takes the lowest-scoring members out of a sorted set and returns them.",
                  {Key("key"), Int("count").Opt()}));
  table->Add(Spec("zpopmax", -2, kWrite | kFast, kPopKey, ZPopMaxCmd, "5.0.0",
                  "O(M*log(N)): M members popped from a sorted set of N.",
                  "Takes the highest-scoring members out of a sorted set and returns them.",
                  {Key("key"), Int("count").Opt()}));
  table->Add(Spec("bzpopmin", -3, kWrite | kFast | kBlocking,
                  KeySpec{1, -2, 1, kKeyRW | kKeyAccess | kKeyDelete}, BZPopMinCmd, "5.0.0", kLogN,
                  "Takes the lowest-scoring member of the first non-empty sorted set, waiting for "
                  "one if all are empty.",
                  {Key("key").Multi(), Dbl("timeout")}));
  table->Add(Spec("bzpopmax", -3, kWrite | kFast | kBlocking,
                  KeySpec{1, -2, 1, kKeyRW | kKeyAccess | kKeyDelete}, BZPopMaxCmd, "5.0.0", kLogN,
                  "Takes the highest-scoring member of the first non-empty sorted set, waiting for "
                  "one if all are empty.",
                  {Key("key").Multi(), Dbl("timeout")}));
  constexpr uint32_t kMPopFlags = kKeyRW | kKeyAccess | kKeyDelete;
  CommandSpec zmpop = Movable(
      Spec("zmpop", -4, kWrite, kMovable, ZMPopCmd, "7.0.0",
           "O(K + M*log(N)): K keys looked at, M members popped from a sorted set of N.",
           "Takes members from either end of the first non-empty sorted set among several keys.",
           {Int("numkeys"), Key("key").Multi(), MinMax(), Int("count").Tok("COUNT").Opt()}),
      KeysAfterNumkeys1);
  zmpop.key_specs = {KeySpec{1, 0, 1, kMPopFlags, {}, /*keynum=*/true}};
  table->Add(std::move(zmpop));
  CommandSpec bzmpop =
      Movable(Spec("bzmpop", -5, kWrite | kBlocking, kMovable, BZMPopCmd, "7.0.0",
                   "O(K + M*log(N)): K keys looked at, M members popped from a sorted set of N.",
                   "Like ZMPOP, waiting for a member when every sorted set is empty.",
                   {Dbl("timeout"), Int("numkeys"), Key("key").Multi(), MinMax(),
                    Int("count").Tok("COUNT").Opt()}),
              KeysAfterNumkeys2);
  bzmpop.key_specs = {KeySpec{2, 0, 1, kMPopFlags, {}, /*keynum=*/true}};
  table->Add(std::move(bzmpop));
  CommandSpec rand =
      Spec("zrandmember", -2, kR, kOneKey, ZRandMemberCmd, "6.2.0", "O(N) for N members returned.",
           "Picks random members of a sorted set, with or without repeats.",
           {Key("key"), Block("options", {Int("count"), WithScores()}).Opt()});
  table->Add(std::move(rand));
  CommandSpec zscan = Spec("zscan", -3, kR, kOneKey, ZScanCmd, "2.8.0",
                           "O(1) per call; a whole pass, until the cursor comes back to 0, is O(N) "
                           "in the collection's size.",
                           "Walks a sorted set's members and scores with a cursor.",
                           {Key("key"), Int("cursor"), Pattern("pattern").Tok("MATCH").Opt(),
                            Int("count").Tok("COUNT").Opt()});
  table->Add(std::move(zscan));
}

void RegisterRanges(CommandTable* table) {
  using namespace zset;  // NOLINT
  const uint32_t kR = kReadOnly;
  const std::string_view kRangeCost =
      "O(log(N)+M): a search in a sorted set of N, then M members returned.";
  table->Add(Spec("zrange", -4, kR, kOneKey, ZRangeCmd, "1.2.0", kRangeCost,
                  "Reads the members of a sorted set between two positions.",
                  {Key("key"), Str("start"), Str("stop"), RangeBy(), PureToken("rev", "REV").Opt(),
                   LimitArg(), WithScores()}));
  CommandSpec store =
      Spec("zrangestore", -5, kWrite | kDenyOom, KeySpec{1, 2, 1}, ZRangeStoreCmd, "6.2.0",
           "O(log(N)+M): a search in a sorted set of N, then M members stored.",
           "Copies a range of a sorted set (by position, score or name) into a key.",
           {Key("dst"), Key("src"), Str("min"), Str("max"), RangeBy(),
            PureToken("rev", "REV").Opt(), LimitArg()});
  store.key_specs = {KeySpec{1, 1, 1, kKeyOW | kKeyUpdate}, KeySpec{2, 2, 1, kKeyRO | kKeyAccess}};
  table->Add(std::move(store));
  table->Add(Spec("zrevrange", -4, kR, kOneKey, ZRevRangeCmd, "1.2.0", kRangeCost,
                  "Reads the members between two positions, highest score first.",
                  {Key("key"), Int("start"), Int("stop"), WithScores()}));
  table->Add(Spec("zrangebyscore", -4, kR, kOneKey, ZRangeByScoreCmd, "1.0.5", kRangeCost,
                  "Reads the members whose scores lie in a range.",
                  {Key("key"), Dbl("min"), Dbl("max"), WithScores(), LimitArg()}));
  table->Add(Spec("zrevrangebyscore", -4, kR, kOneKey, ZRevRangeByScoreCmd, "2.2.0", kRangeCost,
                  "Reads the members whose scores lie in a range, highest first.",
                  {Key("key"), Dbl("max"), Dbl("min"), WithScores(), LimitArg()}));
  table->Add(Spec("zrangebylex", -4, kR, kOneKey, ZRangeByLexCmd, "2.8.9", kRangeCost,
                  "Reads the members between two names, for members of equal score.",
                  {Key("key"), Str("min"), Str("max"), LimitArg()}));
  table->Add(Spec("zrevrangebylex", -4, kR, kOneKey, ZRevRangeByLexCmd, "2.8.9", kRangeCost,
                  "Reads the members between two names, last name first.",
                  {Key("key"), Str("max"), Str("min"), LimitArg()}));
  table->Add(Spec("zcount", 4, kR | kFast, kOneKey, ZCountCmd, "2.0.0", kLogN,
                  "Counts the members whose scores lie in a range.",
                  {Key("key"), Dbl("min"), Dbl("max")}));
  table->Add(Spec("zlexcount", 4, kR | kFast, kOneKey, ZLexCountCmd, "2.8.9", kLogN,
                  "Counts the members between two names.", {Key("key"), Str("min"), Str("max")}));
  const std::string_view kRemCost =
      "O(log(N)+M): a search in a sorted set of N, then M members removed.";
  table->Add(Spec("zremrangebyrank", 4, kWrite, kRemKey, ZRemRangeByRankCmd, "2.0.0", kRemCost,
                  "Removes the members between two positions.",
                  {Key("key"), Int("start"), Int("stop")}));
  table->Add(Spec("zremrangebyscore", 4, kWrite, kRemKey, ZRemRangeByScoreCmd, "1.2.0", kRemCost,
                  "Removes the members whose scores lie in a range.",
                  {Key("key"), Dbl("min"), Dbl("max")}));
  table->Add(Spec("zremrangebylex", 4, kWrite, kRemKey, ZRemRangeByLexCmd, "2.8.9", kRemCost,
                  "Removes the members between two names.", {Key("key"), Str("min"), Str("max")}));
}

void RegisterSetOps(CommandTable* table) {
  using namespace zset;  // NOLINT
  const std::string_view kUnionCost =
      "O(N + M*log(M)): N members read from all inputs, M in the result.";
  const std::string_view kInterCost =
      "At worst O(N*K + M*log(M)): N members of the smallest input checked in K inputs, M in the "
      "result.";
  const std::string_view kDiffCost =
      "At worst O(L + (N-K)*log(N)): L members in all inputs, N in the first, K in the result.";
  auto read_args = [](bool weights, bool withscores) {
    std::vector<ArgDoc> a = {Int("numkeys"), Key("key").Multi()};
    if (weights) {
      a.push_back(Weights());
      a.push_back(Aggregate());
    }
    if (withscores) a.push_back(WithScores());
    return a;
  };
  auto store_args = [](bool weights) {
    std::vector<ArgDoc> a = {Key("destination"), Int("numkeys"), Key("key").Multi()};
    if (weights) {
      a.push_back(Weights());
      a.push_back(Aggregate());
    }
    return a;
  };
  auto add_store = [&](std::string name, Handler h, std::string_view since,
                       std::string_view cost, std::string_view summary, bool weights) {
    CommandSpec s = Movable(Spec(std::move(name), -4, kWrite | kDenyOom, kOneKey, h, since, cost,
                                 summary, store_args(weights)),
                            DestAndKeysAfterNumkeys2);
    s.key_specs = {KeySpec{1, 1, 1, kKeyOW | kKeyUpdate},
                   KeySpec{2, 0, 1, kKeyRO | kKeyAccess, {}, /*keynum=*/true}};
    table->Add(std::move(s));
  };
  table->Add(
      ReadAfterNumkeys(Spec("zunion", -3, kReadOnly, kMovable, ZUnionCmd, "6.2.0", kUnionCost,
                            "Combines sorted sets, adding (or otherwise aggregating) the scores.",
                            read_args(true, true))));
  table->Add(ReadAfterNumkeys(Spec(
      "zinter", -3, kReadOnly, kMovable, ZInterCmd, "6.2.0", kInterCost,
      "Keeps the members every sorted set has, aggregating their scores.", read_args(true, true))));
  table->Add(ReadAfterNumkeys(Spec("zdiff", -3, kReadOnly, kMovable, ZDiffCmd, "6.2.0", kDiffCost,
                                   "Keeps the members of the first sorted set that no other has.",
                                   read_args(false, true))));
  add_store("zunionstore", ZUnionStoreCmd, "2.0.0", kUnionCost, "Like ZUNION, stored in a key.",
            true);
  add_store("zinterstore", ZInterStoreCmd, "2.0.0", kInterCost, "Like ZINTER, stored in a key.",
            true);
  add_store("zdiffstore", ZDiffStoreCmd, "6.2.0", kDiffCost, "Like ZDIFF, stored in a key.", false);
  table->Add(ReadAfterNumkeys(
      Spec("zintercard", -3, kReadOnly, kMovable, ZInterCardCmd, "7.0.0",
           "At worst O(N*K): N members of the smallest input checked in K inputs.",
           "Counts the members that every sorted set has, up to an optional limit.",
           {Int("numkeys"), Key("key").Multi(), Int("limit").Tok("LIMIT").Opt()})));
}

}  // namespace

void RegisterZSetFamily(CommandTable* table) {
  RegisterBasics(table);
  RegisterRanges(table);
  RegisterSetOps(table);
}

}  // namespace tessera::server
