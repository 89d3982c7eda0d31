// The set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
// SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
//
// Writes run one operation of core/keyspace/set_ops.h; reads fetch the SetValue and reply from
// it.  The order of checks is t_set.c's (Redis 7.2), since it decides which reply a client sees
// when several apply: SPOP and SRANDMEMBER read their count before the key, so a bad count wins
// over WRONGTYPE and a missing key; SSCAN reads its cursor before the key and its options
// after; SINTERCARD checks numkeys, then its options, then the keys; every multi-key command
// looks at all its keys before answering, so a wrong type anywhere is WRONGTYPE even after a
// missing key.  Replies that Redis sends as sets (SMEMBERS, SINTER, SUNION, SDIFF, SPOP with a
// count) are RESP3 sets; SRANDMEMBER with a count is an array.
//
// Not done: SPOP is not yet rewritten as SREM/DEL for the write log (no write log exists).
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/base/glob.h"
#include "core/base/random.h"
#include "core/keyspace/set_ops.h"
#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::SetLimits;
using keyspace::SetMember;
using keyspace::SetValue;

void ReplyMember(CommandContext& ctx, const SetMember& m) {
  if (m.is_int) {
    char buf[24];
    ctx.reply.Bulk(m.View(buf));
  } else {
    ctx.reply.Bulk(m.str);
  }
}

// Every member of `set` as a RESP3 set (an array in RESP2).
void ReplySet(CommandContext& ctx, const SetValue& set) {
  ctx.reply.SetHeader(set.size());
  set.ForEach([&](const SetMember& m) { ReplyMember(ctx, m); });
}

void ReplyStrings(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply.SetHeader(members.size());
  for (const std::string& m : members) ctx.reply.Bulk(m);
}

// The set of ctx.args[1] for a read; replies and returns false on WRONGTYPE.
bool FindSetOrReply(CommandContext& ctx, const SetValue** set) {
  OpResult<SetValue*> found = keyspace::OpFindSet(ctx.db, ctx.args[1]);
  if (!found) {
    ReplyStatus(ctx, found.status());
    return false;
  }
  *set = *found;
  return true;
}

// Redis's getRangeLongFromObjectOrReply: an integer in [min, max], else `msg` (or Redis's
// default texts when msg is empty).
bool ParseRangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                       std::string_view msg, int64_t* out) {
  if (!ParseInt64(arg, out)) {
    ctx.reply.Error(msg.empty() ? errors::kNotInteger : msg);
    return false;
  }
  if (*out < min || *out > max) {
    ctx.reply.Error(msg.empty() ? fmt::format(fmt::runtime(errors::kValueRangeFmt), min, max)
                                : std::string(msg));
    return false;
  }
  return true;
}

// ---- SADD SREM SISMEMBER SMISMEMBER SCARD SMEMBERS SMOVE ------------------------------------

// Events of members removed from `key`, and of the key if that emptied it.
void NotifyRemoved(CommandContext& ctx, std::string_view event, std::string_view key) {
  ctx.Changed(kNotifySet, event, key);
  if (ctx.db.Find(key, /*touch=*/false) == nullptr) ctx.Notify(kNotifyGeneric, "del", key);
}

void SAddCmd(CommandContext& ctx) {
  OpResult<int64_t> added = keyspace::OpSAdd(ctx.db, ctx.args[1], ctx.args.subspan(2), SetLimitsOf(ctx));
  if (!added) return ReplyStatus(ctx, added.status());
  ctx.dirty += *added;
  if (*added > 0) ctx.Changed(kNotifySet, "sadd", ctx.args[1]);
  ctx.reply.Integer(*added);
}

void SRemCmd(CommandContext& ctx) {
  OpResult<int64_t> removed = keyspace::OpSRem(ctx.db, ctx.args[1], ctx.args.subspan(2));
  if (!removed) return ReplyStatus(ctx, removed.status());
  ctx.dirty += *removed;
  if (*removed > 0) NotifyRemoved(ctx, "srem", ctx.args[1]);
  ctx.reply.Integer(*removed);
}

void SIsMemberCmd(CommandContext& ctx) {
  const SetValue* set;
  if (!FindSetOrReply(ctx, &set)) return;
  ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[2]) ? 1 : 0);
}

void SMIsMemberCmd(CommandContext& ctx) {
  const SetValue* set;
  if (!FindSetOrReply(ctx, &set)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[i]) ? 1 : 0);
  }
}

void SCardCmd(CommandContext& ctx) {
  const SetValue* set;
  if (!FindSetOrReply(ctx, &set)) return;
  ctx.reply.Integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
}

void SMembersCmd(CommandContext& ctx) {
  const SetValue* set;
  if (!FindSetOrReply(ctx, &set)) return;
  if (set == nullptr) return ctx.reply.SetHeader(0);
  ReplySet(ctx, *set);
}

void SMoveCmd(CommandContext& ctx) {
  auto removed = [&](bool src_deleted) {
    ctx.Changed(kNotifySet, "srem", ctx.args[1]);
    if (src_deleted) ctx.Notify(kNotifyGeneric, "del", ctx.args[1]);
  };
  OpResult<bool> moved =
      keyspace::OpSMove(ctx.db, ctx.args[1], ctx.args[2], ctx.args[3], SetLimitsOf(ctx), removed);
  if (!moved) return ReplyStatus(ctx, moved.status());
  if (*moved && ctx.args[1] != ctx.args[2]) {
    ctx.dirty++;
    ctx.Changed(kNotifySet, "sadd", ctx.args[2]);
  }
  ctx.reply.Integer(*moved ? 1 : 0);
}

// ---- SPOP SRANDMEMBER -------------------------------------------------------------------------

void SPopCmd(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  SplitMix64 rng(CallRandomSeed(ctx));
  if (ctx.args.size() == 2) {
    auto popped = keyspace::OpSPop(ctx.db, ctx.args[1], rng);
    if (!popped) return ReplyStatus(ctx, popped.status());
    if (!*popped) return ctx.reply.Null();
    // Logged as the removal of the member it drew: a replay must not draw again.
    ctx.dirty++;
    NotifyRemoved(ctx, "spop", ctx.args[1]);
    ctx.Propagate({"SREM", ctx.args[1], **popped});
    return ctx.reply.Bulk(**popped);
  }
  int64_t count;
  if (!ParseRangeOrReply(ctx, ctx.args[2], 0, INT64_MAX, errors::kMustBePositive, &count)) return;
  OpResult<SetValue*> found = keyspace::OpFindSet(ctx.db, ctx.args[1]);
  if (!found) return ReplyStatus(ctx, found.status());
  if (*found == nullptr || count == 0) return ctx.reply.SetHeader(0);
  const uint64_t size_before = (*found)->size();
  auto popped =
      keyspace::OpSPopCount(ctx.db, ctx.args[1], static_cast<uint64_t>(count), SetLimitsOf(ctx), rng);
  if (!popped) return ReplyStatus(ctx, popped.status());
  ctx.dirty += static_cast<int64_t>(popped->size());
  if (!popped->empty()) NotifyRemoved(ctx, "spop", ctx.args[1]);
  if (ctx.logging && !popped->empty() && popped->size() == size_before) {
    // The whole set went: logged as the key's deletion, as Redis propagates it.
    ctx.Propagate({ServerDeleteCommand(ctx.server.config()), ctx.args[1]});
  } else if (ctx.logging && !popped->empty()) {
    // SREMs of at most 1024 members each, as Redis's spopWithCountCommand batches them.
    constexpr size_t kBatch = 1024;
    for (size_t from = 0; from < popped->size(); from += kBatch) {
      const size_t to = std::min(popped->size(), from + kBatch);
      std::vector<std::string> srem{"SREM", std::string(ctx.args[1])};
      srem.insert(srem.end(), popped->begin() + static_cast<std::ptrdiff_t>(from),
                  popped->begin() + static_cast<std::ptrdiff_t>(to));
      ctx.Propagate(std::move(srem));
    }
  }
  ReplyStrings(ctx, *popped);
}

void SRandMemberCmd(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  SplitMix64 rng(CallRandomSeed(ctx));
  if (ctx.args.size() == 2) {
    const SetValue* set;
    if (!FindSetOrReply(ctx, &set)) return;
    if (set == nullptr) return ctx.reply.Null();
    return ReplyMember(ctx, set->RandomMember(rng));
  }
  // -LONG_MAX..LONG_MAX: a count of LLONG_MIN has no absolute value.
  int64_t count;
  if (!ParseRangeOrReply(ctx, ctx.args[2], -INT64_MAX, INT64_MAX, {}, &count)) return;
  const SetValue* set;
  if (!FindSetOrReply(ctx, &set)) return;
  if (set == nullptr || count == 0) return ctx.reply.EmptyArray();
  const uint64_t n = count < 0 ? static_cast<uint64_t>(-count)
                               : std::min<uint64_t>(static_cast<uint64_t>(count), set->size());
  ctx.reply.ArrayHeader(n);
  keyspace::SampleMembers(*set, count, rng, [&](const SetMember& m) { ReplyMember(ctx, m); });
}

// ---- SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE ----------------------

// Stores a *STORE command's result at args[1] and replies its size.  Storing an empty result
// where no key was changes nothing.
void StoreAndReply(CommandContext& ctx, std::string_view event, std::unique_ptr<SetValue> result) {
  bool existed = ctx.db.Find(ctx.args[1], /*touch=*/false) != nullptr;
  int64_t size = keyspace::StoreSetResult(ctx.db, ctx.args[1], std::move(result));
  if (size > 0 || existed) ctx.dirty++;
  if (size > 0) {
    ctx.Changed(kNotifySet, event, ctx.args[1]);
  } else if (existed) {
    ctx.Changed(kNotifyGeneric, "del", ctx.args[1]);
  }
  ctx.reply.Integer(size);
}

// The sets of `keys`; replies WRONGTYPE and returns false if any holds another type.
bool FindSetsOrReply(CommandContext& ctx, ArgList keys, std::vector<const SetValue*>* sets) {
  auto found = keyspace::OpFindSets(ctx.db, keys);
  if (!found) {
    ReplyStatus(ctx, found.status());
    return false;
  }
  *sets = std::move(*found);
  return true;
}

bool AnyMissing(const std::vector<const SetValue*>& sets) {
  for (const SetValue* s : sets) {
    if (s == nullptr) return true;
  }
  return false;
}

void SInterCmd(CommandContext& ctx) {
  std::vector<const SetValue*> sets;
  if (!FindSetsOrReply(ctx, ctx.args.subspan(1), &sets)) return;
  if (AnyMissing(sets)) return ctx.reply.SetHeader(0);
  size_t header = ctx.reply.StartDeferred();
  size_t n = keyspace::ForEachInIntersection(std::move(sets), 0,
                                             [&](const SetMember& m) { ReplyMember(ctx, m); });
  ctx.reply.EndDeferred(header, 'S', n);
}

void SInterStoreCmd(CommandContext& ctx) {
  std::vector<const SetValue*> sets;
  if (!FindSetsOrReply(ctx, ctx.args.subspan(2), &sets)) return;
  if (AnyMissing(sets)) {
    if (ctx.db.Delete(ctx.args[1])) {
      ctx.dirty++;
      ctx.Changed(kNotifyGeneric, "del", ctx.args[1]);
    }
    return ctx.reply.Integer(0);
  }
  auto result = keyspace::IntersectionSet(std::move(sets), SetLimitsOf(ctx));
  StoreAndReply(ctx, "sinterstore", std::move(result));
}

// SINTERCARD's keys: numkeys at args[1], then that many keys.  False if numkeys is malformed
// (the handler reports it).
bool SInterCardKeys(ArgList args, std::vector<int>* out) {
  int64_t numkeys;
  if (args.size() < 2 || !ParseInt64(args[1], &numkeys) || numkeys < 1 ||
      numkeys > static_cast<int64_t>(args.size()) - 2) {
    return false;
  }
  for (int64_t i = 0; i < numkeys; ++i) out->push_back(static_cast<int>(2 + i));
  return true;
}

void SInterCardCmd(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseRangeOrReply(ctx, ctx.args[1], 1, INT64_MAX, errors::kNumkeysPositive, &numkeys)) {
    return;
  }
  const int64_t argc = static_cast<int64_t>(ctx.args.size());
  if (numkeys > argc - 2) return ctx.reply.Error(errors::kNumkeysOverArgs);
  int64_t limit = 0;
  for (int64_t j = 2 + numkeys; j < argc; ++j) {
    if (EqualsNoCase(ctx.args[j], "LIMIT") && j + 1 < argc) {
      ++j;
      if (!ParseRangeOrReply(ctx, ctx.args[j], 0, INT64_MAX, errors::kLimitNegative, &limit)) {
        return;
      }
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  std::vector<const SetValue*> sets;
  if (!FindSetsOrReply(ctx, ctx.args.subspan(2, numkeys), &sets)) return;
  if (AnyMissing(sets)) return ctx.reply.Integer(0);
  size_t n = keyspace::ForEachInIntersection(std::move(sets), static_cast<size_t>(limit),
                                             [](const SetMember&) {});
  ctx.reply.Integer(static_cast<int64_t>(n));
}

enum class SetOp { kUnion, kDiff };

// SUNION, SDIFF and their STORE forms; `store` puts the destination at args[1].
void UnionDiffGeneric(CommandContext& ctx, SetOp op, bool store) {
  std::vector<const SetValue*> sets;
  if (!FindSetsOrReply(ctx, ctx.args.subspan(store ? 2 : 1), &sets)) return;
  auto result = op == SetOp::kUnion ? keyspace::UnionSet(sets, SetLimitsOf(ctx))
                                    : keyspace::DiffSet(std::move(sets), SetLimitsOf(ctx));
  if (!store) return ReplySet(ctx, *result);
  StoreAndReply(ctx, op == SetOp::kUnion ? "sunionstore" : "sdiffstore", std::move(result));
}

void SUnionCmd(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kUnion, false); }
void SUnionStoreCmd(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kUnion, true); }
void SDiffCmd(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kDiff, false); }
void SDiffStoreCmd(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kDiff, true); }

// ---- SSCAN ------------------------------------------------------------------------------------

// SSCAN key cursor [MATCH pattern] [COUNT count]
void SScanCmd(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  const SetValue* set;
  if (!FindSetOrReply(ctx, &set)) return;
  if (set == nullptr) return ReplyScanHeader(ctx, 0, 0);
  ScanArgs scan;
  if (!ParseScanArgsOrReply(ctx, 3, &scan)) return;
  keyspace::SetScanPage page = keyspace::ScanSet(*set, cursor, scan.count, scan.pattern);
  ReplyScanHeader(ctx, page.cursor, page.members.size());
  for (const std::string& m : page.members) ctx.reply.Bulk(m);
}

// ---- Registration -----------------------------------------------------------------------------

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclSet, handler, "set", since, complexity,
                  summary, std::move(arguments));
}

using namespace argdoc;  // NOLINT: argument tables read best unqualified

constexpr std::string_view kO1 = "O(1)";
constexpr std::string_view kInterComplexity =
    "At worst O(N*M): N members of the smallest set checked against M sets.";
constexpr std::string_view kUnionComplexity = "O(N) for the N members of all the sets together.";

// A STORE command: the destination, then the source keys.
CommandSpec StoreSpec(std::string name, Handler handler, uint32_t dst_flags,
                      std::string_view complexity, std::string_view summary) {
  CommandSpec s = Spec(std::move(name), -3, kWrite | kDenyOom, KeySpec{1, -1, 1}, handler, "1.0.0",
                       complexity, summary, {Key("destination"), Key("key").Multi()});
  s.key_specs = {KeySpec{1, 1, 1, dst_flags}, KeySpec{2, -1, 1, kKeyRO | kKeyAccess}};
  return s;
}

}  // namespace

void RegisterSetFamily(CommandTable* table) {
  const KeySpec kReadKey{1, 1, 1, kKeyRO | kKeyAccess};
  const KeySpec kProbeKey{1, 1, 1, kKeyRO};
  const KeySpec kAllRead{1, -1, 1, kKeyRO | kKeyAccess};
  const std::vector<ArgDoc> kKeyMembers = {Key("key"), Str("member").Multi()};

  table->Add(Spec("sadd", -3, kWrite | kDenyOom | kFast, KeySpec{1, 1, 1, kKeyRW | kKeyInsert},
                  SAddCmd, "1.0.0", "O(1) per element, O(N) for N elements.",
                  "Adds members to a set, creating it if needed; returns how many were new.",
                  kKeyMembers));
  table->Add(Spec("srem", -3, kWrite | kFast, KeySpec{1, 1, 1, kKeyRW | kKeyDelete}, SRemCmd,
                  "1.0.0", "O(N) for N members removed.",
                  "Removes members from a set, deleting the key once it is empty.", kKeyMembers));
  table->Add(Spec("smembers", 2, kReadOnly, kReadKey, SMembersCmd, "1.0.0",
                  "O(N) in the set's size.", "Returns every member of a set.", {Key("key")}));
  table->Add(Spec("sismember", 3, kReadOnly | kFast, kProbeKey, SIsMemberCmd, "1.0.0", kO1,
                  "Tells whether a value is a member of a set.", {Key("key"), Str("member")}));
  table->Add(Spec("smismember", -3, kReadOnly | kFast, kReadKey, SMIsMemberCmd, "6.2.0",
                  "O(N) for N members checked.",
                  "Tells, for each of several values, whether it is a member of a set.",
                  kKeyMembers));
  table->Add(Spec("scard", 2, kReadOnly | kFast, kProbeKey, SCardCmd, "1.0.0", kO1,
                  "Returns the number of members of a set.", {Key("key")}));
  table->Add(Spec("spop", -2, kWrite | kFast, KeySpec{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete},
                  SPopCmd, "1.0.0", "O(1) without a count, O(N) for a count of N.",
                  "Removes and returns one or more random members of a set.",
                  {Key("key"), Int("count").Opt()}));
  table->Add(Spec("srandmember", -2, kReadOnly, kReadKey, SRandMemberCmd, "1.0.0",
                  "O(1) without a count, O(|N|) for a count of N.",
                  "Returns random members of a set: distinct ones for a positive count, with "
                  "repeats for a negative one.",
                  {Key("key"), Int("count").Opt()}));

  CommandSpec smove = Spec("smove", 4, kWrite | kFast, KeySpec{1, 2, 1}, SMoveCmd, "1.0.0", kO1,
                           "Takes a member out of one set and adds it to another.",
                           {Key("source"), Key("destination"), Str("member")});
  smove.key_specs = {KeySpec{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete},
                     KeySpec{2, 2, 1, kKeyRW | kKeyInsert}};
  table->Add(std::move(smove));

  table->Add(Spec("sinter", -2, kReadOnly, kAllRead, SInterCmd, "1.0.0", kInterComplexity,
                  "Returns the members common to all the given sets.", {Key("key").Multi()}));
  CommandSpec sintercard =
      Spec("sintercard", -3, kReadOnly, KeySpec{0, 0, 0, kKeyRO | kKeyAccess}, SInterCardCmd,
           "7.0.0", kInterComplexity,
           "Counts the members common to all the given sets, optionally stopping at a limit.",
           {Int("numkeys"), Key("key").Multi(), Int("limit").Tok("LIMIT").Opt()});
  sintercard.key_specs = {KeySpec{1, 0, 1, kKeyRO | kKeyAccess, {}, /*keynum=*/true}};
  sintercard.key_extractor = SInterCardKeys;
  table->Add(std::move(sintercard));
  table->Add(StoreSpec("sinterstore", SInterStoreCmd, kKeyRW | kKeyUpdate, kInterComplexity,
                       "Stores the intersection of sets at a key."));
  table->Add(Spec("sunion", -2, kReadOnly, kAllRead, SUnionCmd, "1.0.0", kUnionComplexity,
                  "Returns the members of any of the given sets.", {Key("key").Multi()}));
  table->Add(StoreSpec("sunionstore", SUnionStoreCmd, kKeyOW | kKeyUpdate, kUnionComplexity,
                       "Stores the union of sets at a key."));
  table->Add(Spec("sdiff", -2, kReadOnly, kAllRead, SDiffCmd, "1.0.0", kUnionComplexity,
                  "Returns the members of the first set that are in none of the others.",
                  {Key("key").Multi()}));
  table->Add(StoreSpec("sdiffstore", SDiffStoreCmd, kKeyOW | kKeyUpdate, kUnionComplexity,
                       "Stores the difference of the first set and the others at a key."));
  table->Add(Spec("sscan", -3, kReadOnly, kReadKey, SScanCmd, "2.8.0",
                  "O(1) per call; a whole pass, until the cursor comes back to 0, is O(N) in the "
                  "collection's size.",
                  "Walks the members of a set a few at a time with a cursor.",
                  {Key("key"), Int("cursor"), Pattern("pattern").Tok("MATCH").Opt(),
                   Int("count").Tok("COUNT").Opt()}));
}

}  // namespace tessera::server
