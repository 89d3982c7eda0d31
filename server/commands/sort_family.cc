// SORT and SORT_RO:
//   SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
//        [STORE destination]
// The ordering itself is in core/keyspace/sort_ops.h; this file parses the options in Redis's
// order (each option word in any position, later ones overriding earlier ones, GETs adding
// up), replies or stores, and tells the dispatcher which shards to lock.
//
// Locking: the sort key and the STORE destination are keys (a key extractor finds them, as
// Redis's sortGetKeys does, so the command is "movablekeys"), but BY and GET patterns build
// key names from the elements, which no one can know before the command runs.  When the
// options have such a pattern, the spec's locks_all_shards predicate asks the dispatcher to
// lock every shard, which keeps SORT atomic like any other command.
#include <cstring>
#include <string_view>
#include <vector>

#include "core/keyspace/sort_ops.h"
#include "core/types/list_value.h"
#include "server/acl/user.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::SortOptions;
using keyspace::SortRow;

enum class SortParse { kOk, kSyntax, kNotInteger, kByDenied, kGetDenied };

// Reads SORT's options from args[2] on, as sortCommandGeneric does; *store_pos is the index
// of the (last) STORE destination, 0 when there is none.  SORT_RO (`readonly`) has no STORE.
// `read_any_key`: the user may read every key (BY and GET patterns name keys at run time).
SortParse ParseSortArgs(ArgList args, bool readonly, bool read_any_key, SortOptions* o,
                        size_t* store_pos) {
  *store_pos = 0;
  for (size_t j = 2; j < args.size(); ++j) {
    std::string_view a = args[j];
    size_t left = args.size() - j - 1;
    if (EqualsNoCase(a, "asc")) {
      o->desc = false;
    } else if (EqualsNoCase(a, "desc")) {
      o->desc = true;
    } else if (EqualsNoCase(a, "alpha")) {
      o->alpha = true;
    } else if (EqualsNoCase(a, "limit") && left >= 2) {
      if (!ParseInt64(args[j + 1], &o->offset) || !ParseInt64(args[j + 2], &o->count)) {
        return SortParse::kNotInteger;
      }
      j += 2;
    } else if (!readonly && EqualsNoCase(a, "store") && left >= 1) {
      *store_pos = ++j;
    } else if (EqualsNoCase(a, "by") && left >= 1) {
      o->by = args[++j];
      // A BY pattern without '*' names one key for every element: nothing to order by.
      if (o->by->substr(0, o->by->find('\0')).find('*') == std::string_view::npos) {
        o->dontsort = true;
      } else if (!read_any_key) {
        return SortParse::kByDenied;
      }
    } else if (EqualsNoCase(a, "get") && left >= 1) {
      if (!read_any_key) return SortParse::kGetDenied;
      o->get.push_back(args[++j]);
    } else {
      return SortParse::kSyntax;
    }
  }
  o->store = *store_pos != 0;
  return SortParse::kOk;
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  SortOptions opts;
  size_t store_pos;
  bool read_any_key = ctx.client.user == nullptr || ctx.client.user->unrestricted() ||
                      ctx.client.user->CanReadAnyKey(ctx.spec, ctx.args);
  switch (ParseSortArgs(ctx.args, readonly, read_any_key, &opts, &store_pos)) {
    case SortParse::kOk:
      break;
    case SortParse::kSyntax:
      return ctx.reply.Error(errors::kSyntax);
    case SortParse::kNotInteger:
      return ctx.reply.Error(errors::kNotInteger);
    case SortParse::kByDenied:
      return ctx.reply.Error("ERR BY option of SORT denied due to insufficient ACL permissions.");
    case SortParse::kGetDenied:
      return ctx.reply.Error("ERR GET option of SORT denied due to insufficient ACL permissions.");
  }
  opts.for_script = ctx.client.in_script;
  // The process's LC_COLLATE (locale-collate), as Redis's collateStringObjects.
  opts.collate = [](const char* a, const char* b) { return std::strcoll(a, b); };
  OpResult<std::vector<SortRow>> rows = keyspace::OpSort(ctx.db, ctx.args[1], opts);
  if (!rows) {
    if (rows.status() == OpStatus::kNotAFloat) return ctx.reply.Error(errors::kSortNotADouble);
    return ReplyStatus(ctx, rows.status());
  }
  if (store_pos != 0) {
    bool existed = ctx.db.Find(ctx.args[store_pos], /*touch=*/false) != nullptr;
    size_t n = keyspace::OpStoreSorted(ctx.db, ctx.args[store_pos], std::move(*rows), ListLimitsOf(ctx));
    if (n > 0 || existed) ctx.dirty += n > 0 ? static_cast<int64_t>(n) : 1;
    if (n > 0) {
      ctx.Changed(kNotifyList, "sortstore", ctx.args[store_pos]);
    } else if (existed) {
      ctx.Changed(kNotifyGeneric, "del", ctx.args[store_pos]);
    }
    return ctx.reply.Integer(static_cast<int64_t>(n));
  }
  ctx.reply.ArrayHeader(rows->size());
  for (const SortRow& row : *rows) {
    if (row) {
      ctx.reply.Bulk(*row);
    } else {
      ctx.reply.Null();
    }
  }
}

void SortCmd(CommandContext& ctx) { SortGeneric(ctx, false); }
void SortRoCmd(CommandContext& ctx) { SortGeneric(ctx, true); }

// sortGetKeys: the sort key, and the destination of the last STORE that has one.  Option
// words are skipped with as many arguments as they take (LIMIT 2, GET and BY 1), whether or
// not they are there; anything else is read as a word.
bool SortKeys(ArgList args, std::vector<int>* out) {
  out->push_back(1);
  int store = 0;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsNoCase(args[i], "limit")) {
      i += 2;
    } else if (EqualsNoCase(args[i], "get") || EqualsNoCase(args[i], "by")) {
      i += 1;
    } else if (EqualsNoCase(args[i], "store") && i + 1 < args.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store != 0) out->push_back(store);
  return true;
}

bool SortRoKeys(ArgList /*args*/, std::vector<int>* out) {
  out->push_back(1);
  return true;
}

// Every shard must be locked when a pattern reads keys named by the elements, and also when
// the STORE destination the handler will write is not the one SortKeys found (only on
// contrived lines such as "STORE GET STORE k", where the two parses disagree).  Arguments that
// do not parse need nothing more: the handler replies an error without reading any key.
bool LocksAllShards(ArgList args, bool readonly) {
  SortOptions opts;
  size_t store_pos;
  if (ParseSortArgs(args, readonly, /*read_any_key=*/true, &opts, &store_pos) != SortParse::kOk)
    return false;
  if (keyspace::SortReadsOtherKeys(opts)) return true;
  if (store_pos == 0) return false;
  std::vector<int> keys;
  SortKeys(args, &keys);
  return keys.size() != 2 || keys[1] != static_cast<int>(store_pos);
}
bool SortLocksAllShards(ArgList args) { return LocksAllShards(args, false); }
bool SortRoLocksAllShards(ArgList args) { return LocksAllShards(args, true); }

// --- Registration --------------------------------------------------------------------------

using namespace argdoc;  // NOLINT: argument tables read best unqualified

constexpr std::string_view kComplexity =
    "O(N + M*log(M)): N elements read, M sorted and returned; O(N) when nothing is sorted.";
constexpr KeySpec kSortKey{1, 1, 1, kKeyRO | kKeyAccess};
// A key spec Redis marks "unknown": the key extractor finds those keys.
constexpr KeySpec UnknownKeys(uint32_t flags, std::string_view notes) {
  KeySpec k;
  k.flags = flags;
  k.unknown = true;
  k.notes = notes;
  return k;
}
constexpr KeySpec kPatternKeys = UnknownKeys(
    kKeyRO | kKeyAccess,
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
    "the content of the key we sort");
constexpr KeySpec kStoreKey = UnknownKeys(
    kKeyOW | kKeyUpdate,
    "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
    "anywhere in the argument array");

std::vector<ArgDoc> SortArgs(bool with_store) {
  std::vector<ArgDoc> args = {
      Key("key"),
      Pattern("by-pattern").Tok("BY").Display("pattern").Opt(),
      Block("limit", {Int("offset"), Int("count")}).Tok("LIMIT").Opt(),
      Pattern("get-pattern").Tok("GET").Display("pattern").Opt().Multi().MultiToken(),
      OneOf("order", {PureToken("asc", "ASC"), PureToken("desc", "DESC")}).Opt(),
      PureToken("sorting", "ALPHA").Opt(),
  };
  if (with_store) args.push_back(Key("destination").Tok("STORE").Opt());
  return args;
}

CommandSpec Spec(std::string name, uint32_t flags, Handler handler, std::string_view since,
                 std::string_view summary, bool with_store) {
  CommandSpec s = MakeSpec(std::move(name), -2, flags, kSortKey,
                           kAclSet | kAclSortedSet | kAclList | kAclDangerous, handler, "generic",
                           since, kComplexity, summary, SortArgs(with_store));
  s.key_specs = {kSortKey, kPatternKeys};
  if (with_store) s.key_specs.push_back(kStoreKey);
  return s;
}

}  // namespace

void RegisterSortFamily(CommandTable* table) {
  CommandSpec sort = Spec("sort", kWrite | kDenyOom, SortCmd, "1.0.0",
                          "Orders the elements of a list, set or sorted set, numerically or by "
                          "text, and may store them.",
                          true);
  sort.key_extractor = SortKeys;
  sort.locks_all_shards = SortLocksAllShards;
  table->Add(std::move(sort));
  CommandSpec sort_ro =
      Spec("sort_ro", kReadOnly, SortRoCmd, "7.0.0",
           "Orders the elements of a list, set or sorted set without storing them.", false);
  sort_ro.key_extractor = SortRoKeys;
  sort_ro.locks_all_shards = SortRoLocksAllShards;
  table->Add(std::move(sort_ro));
}

}  // namespace tessera::server
