// The list commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM
// LTRIM LPOS LMOVE RPOPLPUSH LMPOP and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.
//
// Values are types::ListValue (core/types/list_value.h); keyspace steps (type check, create,
// delete-when-empty, LMOVE) are in core/keyspace/list_ops.h.  Replies read the list through
// ListValue::Cursor straight out of its packed nodes.
//
// The order of checks follows Redis 7.2's t_list.c, since it decides which error a client
// sees: LRANGE, LTRIM and LREM parse their numbers before the key lookup, LINDEX and LSET after
// it; LPOP's count is parsed before the lookup and a count of 0 answers an empty array only
// for an existing list; LINSERT and LSET convert a listpack to a quicklist before knowing
// whether the pivot or index exists, as Redis does.  Blocking commands find nothing to serve,
// then block through CommandContext::BlockOn (or answer as on a timeout when they may not
// block); run again when a key is ready, they serve like their non-blocking forms.
#include <string>
#include <string_view>
#include <vector>

#include "core/keyspace/list_ops.h"
#include "core/types/list_value.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using types::ListEnd;
using types::ListValue;

// LEFT or RIGHT, any case; replies a syntax error otherwise.
bool ParseEndOrReply(CommandContext& ctx, std::string_view arg, ListEnd* end) {
  if (EqualsNoCase(arg, "left")) {
    *end = ListEnd::kHead;
  } else if (EqualsNoCase(arg, "right")) {
    *end = ListEnd::kTail;
  } else {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// Redis's getRangeLongFromObjectOrReply with a message: `msg` for a non-integer too.
bool ParseRangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                       std::string_view msg, int64_t* out) {
  if (ParseInt64(arg, out) && *out >= min && *out <= max) return true;
  ctx.reply.Error(msg);
  return false;
}

// The list of `key` into *list (nullptr if missing); replies WRONGTYPE and returns false for
// another type.
bool FindListOrReply(CommandContext& ctx, std::string_view key, ListValue** list) {
  OpResult<ListValue*> found = keyspace::OpFindList(ctx.db, key);
  if (!found) {
    ReplyStatus(ctx, found.status());
    return false;
  }
  *list = *found;
  return true;
}

// `n` elements as an array, from index `from` towards the tail (or the head when reverse).
void ReplyElements(CommandContext& ctx, const ListValue& list, int64_t from, size_t n,
                   bool reverse) {
  ctx.reply.ArrayHeader(n);
  char buf[24];
  ListValue::Cursor c = list.At(from);
  for (size_t i = 0; i < n && c.Valid(); ++i) {
    ctx.reply.Bulk(c.Get(buf));
    if (reverse) {
      c.Prev();
    } else {
      c.Next();
    }
  }
}

// Redis's addListRangeReply: inclusive, negative indexes from the end, clipped.
void ReplyRange(CommandContext& ctx, const ListValue& list, int64_t start, int64_t end,
                bool reverse) {
  int64_t llen = int64_t(list.Length());
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return ctx.reply.EmptyArray();
  if (end >= llen) end = llen - 1;
  ReplyElements(ctx, list, reverse ? end : start, size_t(end - start + 1), reverse);
}

// Events of elements popped from one end of `key`, which `emptied` deleted (Redis's
// listElementsRemoved).
void NotifyPopped(CommandContext& ctx, std::string_view key, ListEnd end, bool emptied) {
  ctx.Changed(kNotifyList, end == ListEnd::kHead ? "lpop" : "rpop", key);
  if (emptied) ctx.Notify(kNotifyGeneric, "del", key);
}

// Pops up to `count` elements from one end of `list` (the value of `key`) and replies them as
// an array, in pop order; deletes the key when it empties.
void PopRangeAndReply(CommandContext& ctx, std::string_view key, ListValue* list, ListEnd end,
                      int64_t count) {
  size_t llen = list->Length();
  size_t n = uint64_t(count) > llen ? llen : size_t(count);
  bool head = end == ListEnd::kHead;
  ReplyElements(ctx, *list, head ? 0 : int64_t(llen) - 1, n, !head);
  list->DeleteRange(head ? 0 : llen - n, n);
  ctx.dirty += static_cast<int64_t>(n);
  // LMPOP and BLMPOP are logged as the pop they did.
  if (ctx.logging) ctx.Propagate({head ? "LPOP" : "RPOP", key, std::to_string(n)});
  bool emptied = list->Length() == 0;
  keyspace::FinishRemoval(ctx.db, key, list, ListLimitsOf(ctx));
  NotifyPopped(ctx, key, end, emptied);
}

// LMPOP/BLMPOP's reply for the first non-empty key: [key, [elements...]].
void PopRangeWithKeyAndReply(CommandContext& ctx, std::string_view key, ListValue* list,
                             ListEnd end, int64_t count) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(key);
  PopRangeAndReply(ctx, key, list, end, count);
}

// --- Push ----------------------------------------------------------------------------------

void PushGeneric(CommandContext& ctx, ListEnd end, bool only_if_exists) {
  OpResult<size_t> len = keyspace::OpPush(ctx.db, ctx.args[1], ctx.args.subspan(2), end,
                                          only_if_exists, ListLimitsOf(ctx));
  if (!len) return ReplyStatus(ctx, len.status());
  if (*len > 0) {
    ctx.dirty += static_cast<int64_t>(ctx.args.size() - 2);
    ctx.Changed(kNotifyList, end == ListEnd::kHead ? "lpush" : "rpush", ctx.args[1]);
  }
  ctx.reply.Integer(int64_t(*len));
}

void LPushCmd(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kHead, false); }
void RPushCmd(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kTail, false); }
void LPushXCmd(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kHead, true); }
void RPushXCmd(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kTail, true); }

// LINSERT key BEFORE|AFTER pivot element
void LInsertCmd(CommandContext& ctx) {
  bool after;
  if (EqualsNoCase(ctx.args[2], "after")) {
    after = true;
  } else if (EqualsNoCase(ctx.args[2], "before")) {
    after = false;
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return ctx.reply.Integer(0);
  types::ListLimits limits = ListLimitsOf(ctx);
  list->ConvertForGrowth(ctx.args[4].size(), 1, limits);
  if (!list->Insert(ctx.args[3], ctx.args[4], after, limits)) return ctx.reply.Integer(-1);
  ctx.dirty++;
  ctx.Changed(kNotifyList, "linsert", ctx.args[1]);
  ctx.reply.Integer(int64_t(list->Length()));
}

// --- Reads ---------------------------------------------------------------------------------

void LLenCmd(CommandContext& ctx) {
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  ctx.reply.Integer(list == nullptr ? 0 : int64_t(list->Length()));
}

// LINDEX key index
void LIndexCmd(CommandContext& ctx) {
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return ctx.reply.Null();
  int64_t index;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &index)) return;
  ListValue::Cursor c = list->At(index);
  if (!c.Valid()) return ctx.reply.Null();
  char buf[24];
  ctx.reply.Bulk(c.Get(buf));
}

// LRANGE key start stop
void LRangeCmd(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &start)) return;
  if (!ParseIntArgOrReply(ctx, ctx.args[3], &end)) return;
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return ctx.reply.EmptyArray();
  ReplyRange(ctx, *list, start, end, false);
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LPosCmd(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: not given
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (EqualsNoCase(opt, "rank") && more) {
      if (!ParseIntArgOrReply(ctx, ctx.args[++j], &rank)) return;
      if (rank == INT64_MIN) return ctx.reply.Error(errors::kRankOutOfRange);
      if (rank == 0) return ctx.reply.Error(errors::kRankZero);
    } else if (EqualsNoCase(opt, "count") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], 0, INT64_MAX, errors::kCountNegative, &count)) {
        return;
      }
    } else if (EqualsNoCase(opt, "maxlen") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], 0, INT64_MAX, errors::kMaxlenNegative,
                             &maxlen)) {
        return;
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  bool from_tail = rank < 0;
  if (from_tail) rank = -rank;
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return count != -1 ? ctx.reply.EmptyArray() : ctx.reply.Null();

  std::string_view element = ctx.args[2];
  int64_t llen = int64_t(list->Length());
  size_t deferred = count != -1 ? ctx.reply.StartDeferred() : 0;
  int64_t index = 0, matches = 0, match_index = -1, emitted = 0;
  ListValue::Cursor c = list->At(from_tail ? -1 : 0);
  for (; c.Valid() && (maxlen == 0 || index < maxlen); ++index) {
    if (c.Equals(element)) {
      ++matches;
      match_index = from_tail ? llen - index - 1 : index;
      if (matches >= rank) {
        if (count == -1) break;
        ++emitted;
        ctx.reply.Integer(match_index);
        if (count != 0 && matches - rank + 1 >= count) break;
      }
    }
    match_index = -1;
    if (from_tail) {
      c.Prev();
    } else {
      c.Next();
    }
  }
  if (count != -1) return ctx.reply.EndDeferred(deferred, '*', size_t(emitted));
  if (match_index != -1) return ctx.reply.Integer(match_index);
  ctx.reply.Null();
}

// --- Writes --------------------------------------------------------------------------------

// LSET key index element
void LSetCmd(CommandContext& ctx) {
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
  int64_t index;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &index)) return;
  // Redis 7.2 passes the index on as a C int (listTypeReplaceAtIndex): an index beyond 32
  // bits keeps its low 32 bits, so LSET k 4294967296 v sets element 0.  Kept, as clients see it.
  index = static_cast<int32_t>(index);
  types::ListLimits limits = ListLimitsOf(ctx);
  list->ConvertForGrowth(ctx.args[3].size(), 1, limits);
  if (!list->Set(index, ctx.args[3], limits)) return ctx.reply.Error(errors::kIndexOutOfRange);
  list->ConvertForShrink(limits);
  ctx.dirty++;
  ctx.Changed(kNotifyList, "lset", ctx.args[1]);
  ctx.reply.Ok();
}

// LPOP/RPOP key [count]
void PopGeneric(CommandContext& ctx, ListEnd end) {
  if (ctx.args.size() > 3) return ctx.reply.Error(errors::WrongArity(ctx.spec.full_name));
  bool has_count = ctx.args.size() == 3;
  int64_t count = 0;
  if (has_count &&
      !ParseRangeOrReply(ctx, ctx.args[2], 0, INT64_MAX, errors::kMustBePositive, &count)) {
    return;
  }
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return has_count ? ctx.reply.NullArray() : ctx.reply.Null();
  if (has_count && count == 0) return ctx.reply.EmptyArray();
  if (!has_count) {
    std::string value = list->Pop(end);
    ctx.reply.Bulk(value);
    bool emptied = list->Length() == 0;
    keyspace::FinishRemoval(ctx.db, ctx.args[1], list, ListLimitsOf(ctx));
    ctx.dirty++;
    NotifyPopped(ctx, ctx.args[1], end, emptied);
    return;
  }
  PopRangeAndReply(ctx, ctx.args[1], list, end, count);
}

void LPopCmd(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kHead); }
void RPopCmd(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kTail); }

// LREM key count element
void LRemCmd(CommandContext& ctx) {
  int64_t count;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &count)) return;
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return ctx.reply.Integer(0);
  size_t removed = list->Remove(ctx.args[3], count);
  ctx.dirty += static_cast<int64_t>(removed);
  if (removed > 0) ctx.Changed(kNotifyList, "lrem", ctx.args[1]);
  if (list->Length() == 0) {
    ctx.db.Delete(ctx.args[1]);
    ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
  } else if (removed > 0) {
    list->ConvertForShrink(ListLimitsOf(ctx));
  }
  ctx.reply.Integer(int64_t(removed));
}

// LTRIM key start stop
void LTrimCmd(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &start)) return;
  if (!ParseIntArgOrReply(ctx, ctx.args[3], &end)) return;
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list == nullptr) return ctx.reply.Ok();
  int64_t llen = int64_t(list->Length());
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  int64_t ltrim, rtrim;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0;
  } else {
    if (end >= llen) end = llen - 1;
    ltrim = start;
    rtrim = llen - end - 1;
  }
  list->DeleteRange(0, size_t(ltrim));
  list->DeleteRange(size_t(llen - ltrim - rtrim), size_t(rtrim));
  ctx.dirty += ltrim + rtrim;
  bool emptied = list->Length() == 0;
  keyspace::FinishRemoval(ctx.db, ctx.args[1], list, ListLimitsOf(ctx));
  // Redis reports LTRIM (and WATCH sees it) even when it removed nothing.
  ctx.Changed(kNotifyList, "ltrim", ctx.args[1]);
  if (emptied) ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
  ctx.reply.Ok();
}

// LMOVE's body once the ends are known (also BLMOVE, RPOPLPUSH, BRPOPLPUSH with data).
void MoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to) {
  auto moved = keyspace::OpMove(ctx.db, ctx.args[1], ctx.args[2], from, to, ListLimitsOf(ctx));
  if (!moved) return ReplyStatus(ctx, moved.status());
  if (!moved->has_value()) return ctx.reply.Null();
  ctx.dirty++;
  ctx.Changed(kNotifyList, to == ListEnd::kHead ? "lpush" : "rpush", ctx.args[2]);
  NotifyPopped(ctx, ctx.args[1], from, ctx.db.Find(ctx.args[1], false) == nullptr);
  // BLMOVE and BRPOPLPUSH are logged as the non-blocking move they did, with the client's own
  // words, as Redis rewrites them; LMOVE and RPOPLPUSH are logged as sent.
  if (ctx.logging && ctx.spec.name == "blmove") {
    ctx.Propagate({"LMOVE", ctx.args[1], ctx.args[2], ctx.args[3], ctx.args[4]});
  } else if (ctx.logging && ctx.spec.name == "brpoplpush") {
    ctx.Propagate({"RPOPLPUSH", ctx.args[1], ctx.args[2]});
  }
  ctx.reply.Bulk(**moved);
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void LMoveCmd(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseEndOrReply(ctx, ctx.args[3], &from)) return;
  if (!ParseEndOrReply(ctx, ctx.args[4], &to)) return;
  MoveGeneric(ctx, from, to);
}

void RPopLPushCmd(CommandContext& ctx) { MoveGeneric(ctx, ListEnd::kTail, ListEnd::kHead); }

// LMPOP/BLMPOP arguments: numkeys at `numkeys_idx`, then the keys, LEFT|RIGHT, [COUNT n].
struct MPopArgs {
  ArgList keys;
  ListEnd end = ListEnd::kHead;
  int64_t count = 1;
};

bool ParseMPopOrReply(CommandContext& ctx, size_t numkeys_idx, MPopArgs* out) {
  int64_t numkeys;
  if (!ParseRangeOrReply(ctx, ctx.args[numkeys_idx], 1, INT64_MAX, errors::kNumkeysPositive,
                         &numkeys)) {
    return false;
  }
  size_t argc = ctx.args.size();
  // The LEFT|RIGHT after the keys must exist (arity guarantees argc >= numkeys_idx + 3).
  if (uint64_t(numkeys) >= argc - numkeys_idx - 1) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  size_t where_idx = numkeys_idx + size_t(numkeys) + 1;
  if (!ParseEndOrReply(ctx, ctx.args[where_idx], &out->end)) return false;
  bool count_given = false;
  for (size_t j = where_idx + 1; j < argc; ++j) {
    if (!count_given && EqualsNoCase(ctx.args[j], "count") && j + 1 < argc) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], 1, INT64_MAX, errors::kCountPositive,
                             &out->count)) {
        return false;
      }
      count_given = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  out->keys = ctx.args.subspan(numkeys_idx + 1, size_t(numkeys));
  return true;
}

// The first non-empty list among `keys` (its position in *which), or nullptr.  *failed is set,
// after replying WRONGTYPE, when a key of another type comes before any list.
ListValue* FirstListOrReply(CommandContext& ctx, ArgList keys, size_t* which, bool* failed) {
  *failed = false;
  for (size_t j = 0; j < keys.size(); ++j) {
    ListValue* list;
    if (!FindListOrReply(ctx, keys[j], &list)) {
      *failed = true;
      return nullptr;
    }
    if (list != nullptr && list->Length() > 0) {
      *which = j;
      return list;
    }
  }
  return nullptr;
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void LMPopCmd(CommandContext& ctx) {
  MPopArgs a;
  if (!ParseMPopOrReply(ctx, 1, &a)) return;
  size_t which;
  bool failed;
  ListValue* list = FirstListOrReply(ctx, a.keys, &which, &failed);
  if (failed) return;
  if (list == nullptr) return ctx.reply.NullArray();
  PopRangeWithKeyAndReply(ctx, a.keys[which], list, a.end, a.count);
}

// --- Blocking ------------------------------------------------------------------------------

std::vector<std::string> KeyStrings(ArgList keys) {
  return std::vector<std::string>(keys.begin(), keys.end());
}

// BLPOP/BRPOP/BLMPOP once the timeout is parsed: serve the first non-empty list or block.
// count -1 is BLPOP/BRPOP's [key, element] reply; otherwise BLMPOP's [key, [elements]].
void BlockingPop(CommandContext& ctx, ArgList keys, ListEnd end, int64_t count,
                 int64_t deadline_ms) {
  size_t which;
  bool failed;
  ListValue* list = FirstListOrReply(ctx, keys, &which, &failed);
  if (failed) return;
  if (list != nullptr) {
    if (count != -1) return PopRangeWithKeyAndReply(ctx, keys[which], list, end, count);
    std::string value = list->Pop(end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(keys[which]);
    ctx.reply.Bulk(value);
    bool emptied = list->Length() == 0;
    keyspace::FinishRemoval(ctx.db, keys[which], list, ListLimitsOf(ctx));
    ctx.dirty++;
    NotifyPopped(ctx, keys[which], end, emptied);
    if (ctx.logging) ctx.Propagate({end == ListEnd::kHead ? "LPOP" : "RPOP", keys[which]});
    return;
  }
  if (!ctx.may_block) return ctx.reply.NullArray();
  ctx.BlockOn({KeyStrings(keys), deadline_ms, keyspace::ValueType::kList});
}

// BLPOP/BRPOP key [key ...] timeout
void BPopGeneric(CommandContext& ctx, ListEnd end) {
  int64_t deadline;
  if (!ParseBlockTimeoutOrReply(ctx, ctx.args.back(), &deadline)) return;
  BlockingPop(ctx, ctx.args.subspan(1, ctx.args.size() - 2), end, -1, deadline);
}

void BLPopCmd(CommandContext& ctx) { BPopGeneric(ctx, ListEnd::kHead); }
void BRPopCmd(CommandContext& ctx) { BPopGeneric(ctx, ListEnd::kTail); }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void BLMPopCmd(CommandContext& ctx) {
  MPopArgs a;
  if (!ParseMPopOrReply(ctx, 2, &a)) return;
  int64_t deadline;
  if (!ParseBlockTimeoutOrReply(ctx, ctx.args[1], &deadline)) return;
  BlockingPop(ctx, a.keys, a.end, a.count, deadline);
}

// BLMOVE/BRPOPLPUSH once the ends and timeout are parsed.
void BlockingMove(CommandContext& ctx, ListEnd from, ListEnd to, int64_t deadline_ms) {
  ListValue* list;
  if (!FindListOrReply(ctx, ctx.args[1], &list)) return;
  if (list != nullptr) return MoveGeneric(ctx, from, to);
  if (!ctx.may_block) return ctx.reply.Null();
  ctx.BlockOn({KeyStrings(ctx.args.subspan(1, 1)), deadline_ms, keyspace::ValueType::kList});
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void BLMoveCmd(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseEndOrReply(ctx, ctx.args[3], &from)) return;
  if (!ParseEndOrReply(ctx, ctx.args[4], &to)) return;
  int64_t deadline;
  if (!ParseBlockTimeoutOrReply(ctx, ctx.args[5], &deadline)) return;
  BlockingMove(ctx, from, to, deadline);
}

// BRPOPLPUSH source destination timeout
void BRPopLPushCmd(CommandContext& ctx) {
  int64_t deadline;
  if (!ParseBlockTimeoutOrReply(ctx, ctx.args[3], &deadline)) return;
  BlockingMove(ctx, ListEnd::kTail, ListEnd::kHead, deadline);
}

// Keys of LMPOP (numkeys at 1) and BLMPOP (numkeys at 2), for locking and COMMAND GETKEYS.
bool MPopKeys(ArgList args, size_t numkeys_idx, std::vector<int>* out) {
  int64_t numkeys;
  if (args.size() <= numkeys_idx || !ParseInt64(args[numkeys_idx], &numkeys) || numkeys < 1 ||
      uint64_t(numkeys) > args.size() - numkeys_idx - 1) {
    return false;
  }
  for (int64_t i = 0; i < numkeys; ++i) out->push_back(int(numkeys_idx + 1 + i));
  return true;
}
bool LMPopKeys(ArgList args, std::vector<int>* out) { return MPopKeys(args, 1, out); }
bool BLMPopKeys(ArgList args, std::vector<int>* out) { return MPopKeys(args, 2, out); }

// --- Registration --------------------------------------------------------------------------

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclList, handler, "list", since,
                  complexity, summary, std::move(arguments));
}

using namespace argdoc;  // NOLINT: argument tables read best unqualified

ArgDoc EndArg(std::string_view name) {
  return OneOf(name, {PureToken("left", "LEFT"), PureToken("right", "RIGHT")});
}

constexpr KeySpec kInsertKey{1, 1, 1, kKeyRW | kKeyInsert};
constexpr KeySpec kPopKey{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete};
constexpr KeySpec kDeleteKey{1, 1, 1, kKeyRW | kKeyDelete};
constexpr KeySpec kReadKey{1, 1, 1, kKeyRO | kKeyAccess};
constexpr KeySpec kMoveSource{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete};
constexpr KeySpec kMoveDestination{2, 2, 1, kKeyRW | kKeyInsert};
constexpr std::string_view kPushComplexity = "O(1) per element, O(N) for N elements.";
constexpr std::string_view kPopComplexity = "O(N) for the N elements returned.";

CommandSpec MoveSpec(std::string name, int arity, uint32_t flags, Handler handler,
                     std::string_view since, std::string_view summary,
                     std::vector<ArgDoc> arguments) {
  CommandSpec s = Spec(std::move(name), arity, flags, KeySpec{1, 2, 1}, handler, since, "O(1)",
                       summary, std::move(arguments));
  s.key_specs = {kMoveSource, kMoveDestination};
  return s;
}

}  // namespace

void RegisterListFamily(CommandTable* table) {
  const uint32_t kW = kWrite | kDenyOom;
  table->Add(Spec("lpush", -3, kW | kFast, kInsertKey, LPushCmd, "1.0.0", kPushComplexity,
                  "Prepends one or more elements to a list, creating the key if needed.",
                  {Key("key"), Str("element").Multi()}));
  table->Add(Spec("rpush", -3, kW | kFast, kInsertKey, RPushCmd, "1.0.0", kPushComplexity,
                  "Appends one or more elements to a list, creating the key if needed.",
                  {Key("key"), Str("element").Multi()}));
  table->Add(Spec("lpushx", -3, kW | kFast, kInsertKey, LPushXCmd, "2.2.0", kPushComplexity,
                  "Pushes elements at the head of a list, only if the list already exists.",
                  {Key("key"), Str("element").Multi()}));
  table->Add(Spec("rpushx", -3, kW | kFast, kInsertKey, RPushXCmd, "2.2.0", kPushComplexity,
                  "Appends one or more elements to a list only when the list exists.",
                  {Key("key"), Str("element").Multi()}));
  table->Add(Spec("lpop", -2, kWrite | kFast, kPopKey, LPopCmd, "1.0.0", kPopComplexity,
                  "Removes and returns the first elements of a list; deletes the list when it "
                  "empties.",
                  {Key("key"), Int("count").Opt()}));
  table->Add(Spec("rpop", -2, kWrite | kFast, kPopKey, RPopCmd, "1.0.0", kPopComplexity,
                  "Removes and returns the last elements of a list; deletes the list when it "
                  "empties.",
                  {Key("key"), Int("count").Opt()}));
  table->Add(Spec("llen", 2, kReadOnly | kFast, KeySpec{1, 1, 1, kKeyRO}, LLenCmd, "1.0.0", "O(1)",
                  "Counts the elements of a list.", {Key("key")}));
  table->Add(Spec("lrange", 4, kReadOnly, kReadKey, LRangeCmd, "1.0.0",
                  "O(S+N): S steps to reach the start (from the nearer end of a long list), N "
                  "elements returned.",
                  "Returns a range of elements of a list.",
                  {Key("key"), Int("start"), Int("stop")}));
  table->Add(Spec("lindex", 3, kReadOnly, kReadKey, LIndexCmd, "1.0.0",
                  "O(N) for the N elements walked to reach the index, so O(1) at either end.",
                  "Returns an element of a list by its index.", {Key("key"), Int("index")}));
  table->Add(Spec("lset", 4, kW, KeySpec{1, 1, 1, kKeyRW | kKeyUpdate}, LSetCmd, "1.0.0",
                  "O(N) in the list's length; O(1) at either end.",
                  "Replaces the element at an index of a list.",
                  {Key("key"), Int("index"), Str("element")}));
  table->Add(Spec(
      "linsert", 5, kW, kInsertKey, LInsertCmd, "2.2.0",
      "O(N) for the N elements walked before the pivot: cheap near the head, linear near the tail.",
      "Inserts an element before or after the first occurrence of a pivot element.",
      {Key("key"), OneOf("where", {PureToken("before", "BEFORE"), PureToken("after", "AFTER")}),
       Str("pivot"), Str("element")}));
  table->Add(Spec("lrem", 4, kWrite, kDeleteKey, LRemCmd, "1.0.0",
                  "O(N+M): the list's N elements scanned, M removed.",
                  "Removes occurrences of an element from a list; deletes the list when it "
                  "empties.",
                  {Key("key"), Int("count"), Str("element")}));
  table->Add(Spec("ltrim", 4, kWrite, kDeleteKey, LTrimCmd, "1.0.0",
                  "O(N) for the N elements dropped.",
                  "Keeps only a range of elements of a list; deletes the list when it empties.",
                  {Key("key"), Int("start"), Int("stop")}));
  table->Add(Spec(
      "lpos", -3, kReadOnly, kReadKey, LPosCmd, "6.0.6",
      "O(N) in the list's length on average; near an end, or bounded by MAXLEN, it stops early.",
      "Returns the indexes of the elements of a list equal to a given element.",
      {Key("key"), Str("element"), Int("rank").Tok("RANK").Opt(),
       Int("num-matches").Tok("COUNT").Opt(), Int("len").Tok("MAXLEN").Opt()}));
  table->Add(MoveSpec("lmove", 5, kW, LMoveCmd, "6.2.0",
                      "Pops an element from one end of a list and pushes it to an end of another "
                      "(or the same) list, returning it.",
                      {Key("source"), Key("destination"), EndArg("wherefrom"),
                       EndArg("whereto")}));
  table->Add(MoveSpec("rpoplpush", 3, kW, RPopLPushCmd, "1.2.0",
                      "Pops the last element of a list and prepends it to another (or the same) "
                      "list, returning it.",
                      {Key("source"), Key("destination")}));
  CommandSpec lmpop =
      Spec("lmpop", -4, kWrite, KeySpec{}, LMPopCmd, "7.0.0",
           "O(N+M): N keys looked at, M elements popped.",
           "Pops elements from the first non-empty list among several keys.",
           {Int("numkeys"), Key("key").Multi(), EndArg("where"), Int("count").Tok("COUNT").Opt()});
  lmpop.keys.flags = kKeyRW | kKeyAccess | kKeyDelete;
  lmpop.key_specs = {KeySpec{1, 0, 1, kKeyRW | kKeyAccess | kKeyDelete, {}, /*keynum=*/true}};
  lmpop.key_extractor = LMPopKeys;
  table->Add(std::move(lmpop));

  const uint32_t kB = kWrite | kBlocking;
  constexpr std::string_view kBPopComplexity = "O(N) for the N keys given.";
  table->Add(Spec("blpop", -3, kB, KeySpec{1, -2, 1, kKeyRW | kKeyAccess | kKeyDelete},
                  BLPopCmd, "2.0.0", kBPopComplexity,
                  "Pops the first element of the first non-empty list among several keys, "
                  "blocking until one is available or the timeout passes.",
                  {Key("key").Multi(), Dbl("timeout")}));
  table->Add(Spec("brpop", -3, kB, KeySpec{1, -2, 1, kKeyRW | kKeyAccess | kKeyDelete},
                  BRPopCmd, "2.0.0", kBPopComplexity,
                  "Pops the last element of the first non-empty list among several keys, "
                  "blocking until one is available or the timeout passes.",
                  {Key("key").Multi(), Dbl("timeout")}));
  table->Add(MoveSpec("blmove", 6, kB | kDenyOom, BLMoveCmd, "6.2.0",
                      "Like LMOVE, blocking until the source list has an element or the timeout "
                      "passes.",
                      {Key("source"), Key("destination"), EndArg("wherefrom"), EndArg("whereto"),
                       Dbl("timeout")}));
  table->Add(MoveSpec("brpoplpush", 4, kB | kDenyOom, BRPopLPushCmd, "2.2.0",
                      "Like RPOPLPUSH, blocking until the source list has an element or the "
                      "timeout passes.",
                      {Key("source"), Key("destination"), Dbl("timeout")}));
  CommandSpec blmpop =
      Spec("blmpop", -5, kB, KeySpec{}, BLMPopCmd, "7.0.0",
           "O(N+M): N keys looked at, M elements popped.",
           "Like LMPOP, blocking until one of the lists has elements or the timeout passes.",
           {Dbl("timeout"), Int("numkeys"), Key("key").Multi(), EndArg("where"),
            Int("count").Tok("COUNT").Opt()});
  blmpop.keys.flags = kKeyRW | kKeyAccess | kKeyDelete;
  blmpop.key_specs = {KeySpec{2, 0, 1, kKeyRW | kKeyAccess | kKeyDelete, {}, /*keynum=*/true}};
  blmpop.key_extractor = BLMPopKeys;
  table->Add(std::move(blmpop));
}

}  // namespace tessera::server
