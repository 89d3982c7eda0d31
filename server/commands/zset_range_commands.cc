// Range commands of the sorted-set family: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES),
// ZRANGESTORE, ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZCOUNT, ZLEXCOUNT and
// ZREMRANGEBY{RANK,SCORE,LEX}.
//
// Every range becomes a span of ascending ranks [start, end) of the set (ZSetValue's
// ScoreRangeStart/End, LexRangeStart/End), walked forwards or backwards.  Redis 7.2 quirks kept:
// a negative LIMIT offset gives an empty result and a negative count means "all"; LIMIT with a
// rank range is refused only when the count is not -1.  ZRANGESTORE builds its destination
// with zsetTypeCreate's hints: the length of a rank range, 0 for BYSCORE/BYLEX (Redis 7.2.5's
// fix; 7.2.0-7.2.4 passed -1 there and so stored even one member as a skiplist).
#include <climits>
#include <string>
#include <vector>

#include "server/commands/args.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/commands/zset_family.h"

namespace tessera::server::zset {

namespace {

using keyspace::FindZSet;
using types::ScoredMember;
using types::ZSetValue;

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Ascending ranks [*start, *end) of the rank arguments after Redis's normalisation; empty when
// *start >= *end.
void NormalizeRanks(int64_t start, int64_t stop, size_t size, size_t* out_start,
                    size_t* out_end) {
  const int64_t llen = static_cast<int64_t>(size);
  if (start < 0) start += llen;
  if (stop < 0) stop += llen;
  if (start < 0) start = 0;
  if (start > stop || start >= llen) {
    *out_start = *out_end = 0;
    return;
  }
  if (stop >= llen) stop = llen - 1;
  *out_start = static_cast<size_t>(start);
  *out_end = static_cast<size_t>(stop) + 1;
}

// Ranks [start, end) walked forwards or backwards after skipping `offset`, at most `limit`
// (< 0: all).  A negative offset yields nothing, as in Redis.
std::vector<ScoredMember> Collect(const ZSetValue& z, size_t start, size_t end, bool reverse,
                                  int64_t offset, int64_t limit) {
  std::vector<ScoredMember> out;
  if (start >= end || offset < 0 || static_cast<uint64_t>(offset) >= end - start) return out;
  size_t n = end - start - static_cast<size_t>(offset);
  if (limit >= 0 && static_cast<uint64_t>(limit) < n) n = static_cast<size_t>(limit);
  size_t first = reverse ? end - 1 - static_cast<size_t>(offset)
                         : start + static_cast<size_t>(offset);
  out.reserve(n);
  for (auto it = z.IterateFrom(first, reverse); it.valid() && out.size() < n; it.Next()) {
    out.push_back({std::string(it.member()), it.score()});
  }
  return out;
}

// Stores `items` at `dest` (replacing any value) in a set created with zsetTypeCreate's hints;
// nothing to store deletes `dest`.  Replies the stored count.
void StoreRange(CommandContext& ctx, std::string_view dest, const std::vector<ScoredMember>& items,
                size_t size_hint) {
  bool existed = ctx.db.Delete(dest);
  if (items.empty()) {
    if (existed) {
      ctx.dirty++;
      ctx.Changed(kNotifyGeneric, "del", dest);
    }
    return ctx.reply.Integer(0);
  }
  ctx.dirty++;
  const types::ZSetLimits limits = ZSetLimitsOf(ctx);
  ZSetValue* z = ZSetValue::Create(size_hint, 0, limits);
  for (const ScoredMember& sm : items) z->Set(sm.member, sm.score, limits);
  ctx.db.Insert(keyspace::Entry::NewObject(dest, keyspace::ValueType::kZSet, z,
                                           keyspace::kNoExpiry, ctx.db.clock()));
  ctx.Changed(kNotifyZSet, "zrangestore", dest);
  ctx.reply.Integer(static_cast<int64_t>(items.size()));
}

// Redis zrangeGenericCommand.  `src` is the index of the source key; with `store` the
// destination is args[1].
void RangeGeneric(CommandContext& ctx, size_t src, bool store, RangeType type, Direction dir) {
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;
  for (size_t j = src + 3; j < ctx.args.size(); ++j) {
    const size_t left = ctx.args.size() - j - 1;
    std::string_view a = ctx.args[j];
    if (!store && EqualsNoCase(a, "withscores")) {
      withscores = true;
    } else if (EqualsNoCase(a, "limit") && left >= 2) {
      if (!ParseIntArgOrReply(ctx, ctx.args[j + 1], &offset) ||
          !ParseIntArgOrReply(ctx, ctx.args[j + 2], &limit)) {
        return;
      }
      j += 2;
    } else if (dir == Direction::kAuto && EqualsNoCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsNoCase(a, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsNoCase(a, "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  if (limit != -1 && type == RangeType::kRank) return ctx.reply.Error(errors::kZRangeLimit);
  if (withscores && type == RangeType::kLex) return ctx.reply.Error(errors::kZRangeLexScores);
  const bool reverse = dir == Direction::kReverse;
  std::string_view min_arg = ctx.args[src + 1];
  std::string_view max_arg = ctx.args[src + 2];
  if (reverse && type != RangeType::kRank) std::swap(min_arg, max_arg);

  int64_t rank_start = 0, rank_stop = 0;
  types::ScoreRange score_range;
  types::LexRange lex_range;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!ParseIntArgOrReply(ctx, min_arg, &rank_start) ||
          !ParseIntArgOrReply(ctx, max_arg, &rank_stop)) {
        return;
      }
      break;
    case RangeType::kScore:
      if (!ParseScoreRange(min_arg, max_arg, &score_range)) {
        return ctx.reply.Error(errors::kZMinMaxNotFloat);
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRange(min_arg, max_arg, &lex_range)) {
        return ctx.reply.Error(errors::kZMinMaxNotLex);
      }
      break;
  }

  auto found = FindZSet(ctx.db, ctx.args[src]);
  if (!found) return ReplyStatus(ctx, found.status());
  const ZSetValue* z = *found;
  std::vector<ScoredMember> items;
  size_t size_hint = 0;  // BYSCORE/BYLEX: the length is not known up front
  if (z != nullptr) {
    size_t start = 0, end = 0;
    if (type == RangeType::kRank) {
      NormalizeRanks(rank_start, rank_stop, z->size(), &start, &end);
      size_hint = end - start;
      if (reverse) {  // ranks counted from the top
        size_t s = z->size() - end, e = z->size() - start;
        start = s;
        end = e;
      }
    } else if (type == RangeType::kScore) {
      start = z->ScoreRangeStart(score_range);
      end = z->ScoreRangeEnd(score_range);
    } else {
      start = z->LexRangeStart(lex_range);
      end = z->LexRangeEnd(lex_range);
    }
    items = Collect(*z, start, end, reverse, offset, limit);
  }
  if (store) return StoreRange(ctx, ctx.args[1], items, size_hint);
  ReplyScoredMembers(ctx, items, withscores);
}

// Counts of ZCOUNT/ZLEXCOUNT: ranks [start, end).
void ReplyRangeCount(CommandContext& ctx, size_t start, size_t end) {
  ctx.reply.Integer(end > start ? static_cast<int64_t>(end - start) : 0);
}

// Removes ranks [start, end) from the set at args[1] and replies the count.
void RemoveRanksAndReply(CommandContext& ctx, ZSetValue* z, size_t start, size_t end) {
  if (start >= end) return ctx.reply.Integer(0);
  z->RemoveRanks(start, end);
  keyspace::DeleteIfEmptyZSet(ctx.db, ctx.args[1], z);
  ctx.dirty += static_cast<int64_t>(end - start);
  // The event is the command's name: zremrangebyrank, zremrangebyscore, zremrangebylex.
  NotifyZRemoved(ctx, ctx.spec.name, ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(end - start));
}

}  // namespace

void ZRangeCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void ZRangeStoreCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void ZRevRangeCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void ZRangeByScoreCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void ZRevRangeByScoreCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void ZRangeByLexCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void ZRevRangeByLexCmd(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

void ZCountCmd(CommandContext& ctx) {
  types::ScoreRange r;
  if (!ParseScoreRange(ctx.args[2], ctx.args[3], &r)) {
    return ctx.reply.Error(errors::kZMinMaxNotFloat);
  }
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  if (*z == nullptr || r.IsEmpty()) return ctx.reply.Integer(0);
  ReplyRangeCount(ctx, (*z)->ScoreRangeStart(r), (*z)->ScoreRangeEnd(r));
}

void ZLexCountCmd(CommandContext& ctx) {
  types::LexRange r;
  if (!ParseLexRange(ctx.args[2], ctx.args[3], &r)) return ctx.reply.Error(errors::kZMinMaxNotLex);
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  if (*z == nullptr || r.IsEmpty()) return ctx.reply.Integer(0);
  ReplyRangeCount(ctx, (*z)->LexRangeStart(r), (*z)->LexRangeEnd(r));
}

void ZRemRangeByRankCmd(CommandContext& ctx) {
  int64_t start, stop;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &start) ||
      !ParseIntArgOrReply(ctx, ctx.args[3], &stop)) {
    return;
  }
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  if (*z == nullptr) return ctx.reply.Integer(0);
  size_t s, e;
  NormalizeRanks(start, stop, (*z)->size(), &s, &e);
  RemoveRanksAndReply(ctx, *z, s, e);
}

void ZRemRangeByScoreCmd(CommandContext& ctx) {
  types::ScoreRange r;
  if (!ParseScoreRange(ctx.args[2], ctx.args[3], &r)) {
    return ctx.reply.Error(errors::kZMinMaxNotFloat);
  }
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  if (*z == nullptr || r.IsEmpty()) return ctx.reply.Integer(0);
  RemoveRanksAndReply(ctx, *z, (*z)->ScoreRangeStart(r), (*z)->ScoreRangeEnd(r));
}

void ZRemRangeByLexCmd(CommandContext& ctx) {
  types::LexRange r;
  if (!ParseLexRange(ctx.args[2], ctx.args[3], &r)) return ctx.reply.Error(errors::kZMinMaxNotLex);
  auto z = FindZSet(ctx.db, ctx.args[1]);
  if (!z) return ReplyStatus(ctx, z.status());
  if (*z == nullptr || r.IsEmpty()) return ctx.reply.Integer(0);
  RemoveRanksAndReply(ctx, *z, (*z)->LexRangeStart(r), (*z)->LexRangeEnd(r));
}

}  // namespace tessera::server::zset
