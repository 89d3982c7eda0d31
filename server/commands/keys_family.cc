// The generic keyspace commands: DEL UNLINK EXISTS TYPE TOUCH RENAME RENAMENX COPY MOVE
// OBJECT, the expiry commands (EXPIRE... TTL... PERSIST), the whole-keyspace commands (KEYS
// SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB, through server/keyspace_ops.h) and SELECT.
//
// Keyed commands run under the shard locks the dispatcher took for their key spec; each one
// is a small operation on DbAccess returning an OpStatus, then a reply.  Commands flagged
// kAllShards take locks themselves, in keyspace_ops.cc.
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>

#include "core/base/glob.h"
#include "core/base/random.h"
#include "core/keyspace/eviction.h"
#include "core/keyspace/object.h"
#include "server/client_state.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/dispatcher.h"
#include "server/commands/errors.h"
#include "server/keyspace_ops.h"
#include "server/persistence.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::DbAccess;
using keyspace::Encoding;
using keyspace::Entry;
using keyspace::ValueType;

// Redis shares one object for each integer 0..9999, and OBJECT REFCOUNT reports INT_MAX for
// them (OBJ_SHARED_REFCOUNT).  Clients and test suites read it, so we report the same.
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = INT_MAX;

// ---- Argument helpers ----------------------------------------------------------------------

// Reads an int argument the way Redis's getIntFromObjectOrReply does: a non-integer gives
// "not an integer", an int64 outside int gives the range error; a non-empty `message`
// replaces both.
bool ParseIntOrReply(CommandContext& ctx, std::string_view arg, int* out,
                     std::string_view message = {}) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.reply.Error(message.empty() ? errors::kNotInteger : message);
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    ctx.reply.Error(message.empty() ? errors::kIntArgOutOfRange : message);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

bool ValidDb(const CommandContext& ctx, int db) {
  return db >= 0 && db < ctx.server.keyspace().num_dbs();
}

// Reads a DB index argument (SELECT, MOVE, COPY ... DB): an int, then in range.
bool ParseDbOrReply(CommandContext& ctx, std::string_view arg, int* db) {
  if (!ParseIntOrReply(ctx, arg, db)) return false;
  if (ValidDb(ctx, *db)) return true;
  ctx.reply.Error(errors::kDbIndexOutOfRange);
  return false;
}

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kHash:
      return "hash";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

std::optional<ValueType> TypeByName(std::string_view name) {
  for (ValueType t : {ValueType::kString, ValueType::kList, ValueType::kSet, ValueType::kZSet,
                      ValueType::kHash, ValueType::kStream}) {
    if (EqualsNoCase(name, TypeName(t))) return t;
  }
  return std::nullopt;
}

// True iff maxmemory-policy is one of the LFU policies.
bool LfuPolicySelected(const Server& server) {
  return keyspace::IsLfuPolicy(static_cast<keyspace::EvictionPolicy>(
      server.config().maxmemory_policy.load(std::memory_order_relaxed)));
}

// ---- DEL UNLINK EXISTS TOUCH TYPE ----------------------------------------------------------

// UNLINK frees on this thread too: values are strings so far, whose freeing is O(1).  Large
// aggregates will go to the background thread (DESIGN 2).
// DEL and UNLINK; `lazy`: big values go to the lazy-free thread (server/lazy_free.h).
void DeleteKeys(CommandContext& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (!ctx.db.Delete(ctx.args[i], lazy)) continue;
    ++deleted;
    ctx.Changed(kNotifyGeneric, "del", ctx.args[i]);
  }
  ctx.dirty += deleted;
  ctx.reply.Integer(deleted);
}

void DelCommand(CommandContext& ctx) {
  DeleteKeys(ctx, ctx.server.config().lazyfree_lazy_user_del.load(std::memory_order_relaxed));
}

void UnlinkCommand(CommandContext& ctx) { DeleteKeys(ctx, true); }

// Counts every argument, duplicates included, as Redis does.
void ExistsCommand(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) found += ctx.db.Find(ctx.args[i], false) ? 1 : 0;
  ctx.reply.Integer(found);
}

void TouchCommand(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) found += ctx.db.Find(ctx.args[i], true, true) ? 1 : 0;
  ctx.reply.Integer(found);
}

void TypeCommand(CommandContext& ctx) {
  Entry* e = ctx.db.Find(ctx.args[1], false);
  ctx.reply.SimpleString(e == nullptr ? "none" : TypeName(e->type()));
}

// ---- RENAME RENAMENX COPY MOVE -------------------------------------------------------------

// Renames `from` to `to`, expiry included.  kKeyNotFound if `from` is missing; kSkipped if
// `nx` and `to` exists (or is `from` itself); kOk otherwise.
OpStatus OpRename(DbAccess& db, std::string_view from, std::string_view to, bool nx) {
  Entry* src = db.Find(from);
  if (src == nullptr) return OpStatus::kKeyNotFound;
  if (from == to) return nx ? OpStatus::kSkipped : OpStatus::kOk;
  if (Entry* dst = db.Find(to)) {
    if (nx) return OpStatus::kSkipped;
    db.Detach(dst);
    db.FreeRemoved(dst);
  }
  db.Detach(src);
  db.Insert(Entry::MoveWithKey(src, to));
  return OpStatus::kOk;
}

// RENAME's events; none when a key is renamed to itself.
void NotifyRenamed(CommandContext& ctx) {
  if (ctx.args[1] == ctx.args[2]) return;
  ctx.Changed(kNotifyGeneric, "rename_from", ctx.args[1]);
  ctx.Changed(kNotifyGeneric, "rename_to", ctx.args[2]);
}

void RenameCommand(CommandContext& ctx) {
  OpStatus s = OpRename(ctx.db, ctx.args[1], ctx.args[2], false);
  if (s == OpStatus::kOk) {
    if (ctx.args[1] != ctx.args[2]) ctx.dirty++;  // renamed to itself: no change, as Redis
    NotifyRenamed(ctx);
    return ctx.reply.Ok();
  }
  ReplyStatus(ctx, s);
}

void RenameNxCommand(CommandContext& ctx) {
  OpStatus s = OpRename(ctx.db, ctx.args[1], ctx.args[2], true);
  if (s == OpStatus::kKeyNotFound) return ReplyStatus(ctx, s);
  if (s == OpStatus::kOk) {
    ctx.dirty++;
    NotifyRenamed(ctx);
  }
  ctx.reply.Integer(s == OpStatus::kOk ? 1 : 0);
}

// Copies `from` (current DB) to `to` in `dst_db`, expiry included.  kKeyNotFound if `from` is
// missing; kBusyKey if `to` exists and not `replace`.  REQUIRES: not the same key and DB.
OpStatus OpCopy(DbAccess& db, std::string_view from, std::string_view to, int dst_db,
                bool replace) {
  Entry* src = db.Find(from);
  if (src == nullptr) return OpStatus::kKeyNotFound;
  if (Entry* dst = db.FindInDb(dst_db, to)) {
    if (!replace) return OpStatus::kBusyKey;
    db.DetachInDb(dst_db, dst);
    db.FreeRemoved(dst);
  }
  Entry* copy = Entry::CloneWithKey(src, to);
  copy->set_clock(db.clock());  // a new object: its idle time starts now
  db.InsertInDb(dst_db, copy);
  return OpStatus::kOk;
}

void CopyCommand(CommandContext& ctx) {
  int dst_db = ctx.db.db();
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (EqualsNoCase(ctx.args[i], "replace")) {
      replace = true;
    } else if (EqualsNoCase(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      if (!ParseDbOrReply(ctx, ctx.args[++i], &dst_db)) return;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (dst_db == ctx.db.db() && ctx.args[1] == ctx.args[2]) {
    return ctx.reply.Error(errors::kSameObject);
  }
  OpStatus s = OpCopy(ctx.db, ctx.args[1], ctx.args[2], dst_db, replace);
  if (s == OpStatus::kOk) {
    ctx.dirty++;
    ctx.ChangedInDb(kNotifyGeneric, "copy_to", ctx.args[2], dst_db);
  }
  ctx.reply.Integer(s == OpStatus::kOk ? 1 : 0);
}

// Moves `key` to `dst_db` with its expiry.  kKeyNotFound if missing, kBusyKey if `dst_db` has
// it.  The key's shard is the same in every DB, so one lock covers both.
OpStatus OpMove(DbAccess& db, std::string_view key, int dst_db) {
  Entry* e = db.Find(key);
  if (e == nullptr) return OpStatus::kKeyNotFound;
  if (db.FindInDb(dst_db, key) != nullptr) return OpStatus::kBusyKey;
  db.Detach(e);
  db.InsertInDb(dst_db, e);
  return OpStatus::kOk;
}

void MoveCommand(CommandContext& ctx) {
  int dst_db;
  if (!ParseDbOrReply(ctx, ctx.args[2], &dst_db)) return;
  if (dst_db == ctx.db.db()) return ctx.reply.Error(errors::kSameObject);
  bool moved = OpMove(ctx.db, ctx.args[1], dst_db) == OpStatus::kOk;
  if (moved) {
    ctx.dirty++;
    ctx.Changed(kNotifyGeneric, "move_from", ctx.args[1]);
    ctx.ChangedInDb(kNotifyGeneric, "move_to", ctx.args[1], dst_db);
  }
  ctx.reply.Integer(moved ? 1 : 0);
}

// ---- EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST -------------

enum ExpireFlag : unsigned { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

bool ParseExpireFlagsOrReply(CommandContext& ctx, unsigned* flags) {
  *flags = 0;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (EqualsNoCase(opt, "nx")) {
      *flags |= kExpireNx;
    } else if (EqualsNoCase(opt, "xx")) {
      *flags |= kExpireXx;
    } else if (EqualsNoCase(opt, "gt")) {
      *flags |= kExpireGt;
    } else if (EqualsNoCase(opt, "lt")) {
      *flags |= kExpireLt;
    } else {
      ctx.reply.Error(errors::UnsupportedOption(opt));
      return false;
    }
  }
  if ((*flags & kExpireNx) && (*flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.reply.Error(errors::kExpireNxConflict);
    return false;
  }
  if ((*flags & kExpireGt) && (*flags & kExpireLt)) {
    ctx.reply.Error(errors::kExpireGtLtConflict);
    return false;
  }
  return true;
}

// Sets `key` to expire at `when_ms` under the NX/XX/GT/LT conditions (a persistent key counts
// as an infinite TTL for GT and LT).  A time not after now deletes the key.  kKeyNotFound if
// missing, kSkipped if a condition failed.
OpStatus OpExpire(DbAccess& db, std::string_view key, int64_t when_ms, unsigned flags) {
  Entry* e = db.Find(key);
  if (e == nullptr) return OpStatus::kKeyNotFound;
  const int64_t current = e->expire_at_or_none();
  const bool persistent = current == keyspace::kNoExpiry;
  if ((flags & kExpireNx) && !persistent) return OpStatus::kSkipped;
  if ((flags & kExpireXx) && persistent) return OpStatus::kSkipped;
  if ((flags & kExpireGt) && (persistent || when_ms <= current)) return OpStatus::kSkipped;
  if ((flags & kExpireLt) && !persistent && when_ms >= current) return OpStatus::kSkipped;
  if (db.PastExpiry(when_ms)) {
    db.Detach(e);
    db.FreeExpired(e);
    return OpStatus::kOk;
  }
  db.Replace(e, Entry::WithExpiry(e, when_ms));
  return OpStatus::kOk;
}

// `base_ms` is now for the relative forms, 0 for the *AT forms.
void ExpireGeneric(CommandContext& ctx, int64_t base_ms, bool seconds) {
  unsigned flags;
  if (!ParseExpireFlagsOrReply(ctx, &flags)) return;
  int64_t when;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &when)) return;
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      return ctx.reply.Error(errors::InvalidExpire(ctx.spec.full_name));
    }
    when *= 1000;
  }
  if (when > INT64_MAX - base_ms) return ctx.reply.Error(errors::InvalidExpire(ctx.spec.full_name));
  when += base_ms;
  bool applied = OpExpire(ctx.db, ctx.args[1], when, flags) == OpStatus::kOk;
  if (applied) {
    // Logged as an absolute time in ms; a time already past deleted the key.
    ctx.dirty++;
    if (ctx.db.PastExpiry(when)) {
      ctx.Changed(kNotifyGeneric, "del", ctx.args[1]);
      ctx.Propagate({ExpiredKeyDeleteCommand(ctx.server.config()), ctx.args[1]});
    } else {
      ctx.Changed(kNotifyGeneric, "expire", ctx.args[1]);
      ctx.Propagate({"PEXPIREAT", ctx.args[1], std::to_string(when)});
    }
  }
  ctx.reply.Integer(applied ? 1 : 0);
}

void ExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, ctx.db.now_ms(), true); }
void PExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, ctx.db.now_ms(), false); }
void ExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, 0, true); }
void PExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, 0, false); }

// -2 if missing, -1 if persistent; else the TTL (never negative) or the absolute time, in
// ms or rounded to seconds.
void TtlGeneric(CommandContext& ctx, bool in_ms, bool absolute) {
  Entry* e = ctx.db.Find(ctx.args[1], false);
  if (e == nullptr) return ctx.reply.Integer(-2);
  if (!e->has_expiry()) return ctx.reply.Integer(-1);
  int64_t t = absolute ? e->expire_at() : e->expire_at() - ctx.db.now_ms();
  if (t < 0) t = 0;
  ctx.reply.Integer(in_ms ? t : (t + 500) / 1000);
}

void TtlCommand(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PTtlCommand(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTimeCommand(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTimeCommand(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void PersistCommand(CommandContext& ctx) {
  Entry* e = ctx.db.Find(ctx.args[1]);
  if (e == nullptr || !e->has_expiry()) return ctx.reply.Integer(0);
  ctx.db.Replace(e, Entry::WithExpiry(e, keyspace::kNoExpiry));
  ctx.dirty++;
  ctx.Changed(kNotifyGeneric, "persist", ctx.args[1]);
  ctx.reply.Integer(1);
}

// ---- OBJECT ---------------------------------------------------------------------------------

// The entry for OBJECT's key, without touching its access time; replies null if missing.
Entry* ObjectLookupOrReply(CommandContext& ctx) {
  Entry* e = ctx.db.Find(ctx.args[2], false);
  if (e == nullptr) ctx.reply.Null();
  return e;
}

void ObjectEncodingCommand(CommandContext& ctx) {
  if (Entry* e = ObjectLookupOrReply(ctx)) ctx.reply.Bulk(keyspace::EncodingName(*e));
}

void ObjectRefcountCommand(CommandContext& ctx) {
  Entry* e = ObjectLookupOrReply(ctx);
  if (e == nullptr) return;
  bool shared = e->type() == ValueType::kString && e->is_int() && e->int_value() >= 0 &&
                e->int_value() < kSharedIntegers;
  // Redis does not share integers while a maxmemory limit evicts by LRU or LFU: each key then
  // needs its own access clock.  (Ours are never shared; the reply follows Redis's rule as
  // the settings stand now.)
  if (shared && ctx.server.config().maxmemory.load(std::memory_order_relaxed) != 0) {
    auto policy = static_cast<keyspace::EvictionPolicy>(
        ctx.server.config().maxmemory_policy.load(std::memory_order_relaxed));
    shared = keyspace::IsRandomPolicy(policy) || policy == keyspace::EvictionPolicy::kVolatileTtl ||
             policy == keyspace::EvictionPolicy::kNoEviction;
  }
  ctx.reply.Integer(shared ? kSharedRefcount : 1);
}

void ObjectIdletimeCommand(CommandContext& ctx) {
  Entry* e = ObjectLookupOrReply(ctx);
  if (e == nullptr) return;
  if (LfuPolicySelected(ctx.server)) return ctx.reply.Error(errors::kLfuSelected);
  // The clock is 24 bits of seconds and wraps about every 194 days, as Redis's LRU clock.
  ctx.reply.Integer(static_cast<int64_t>(keyspace::LruIdleSeconds(e->clock(), ctx.db.lru_clock())));
}

void ObjectFreqCommand(CommandContext& ctx) {
  Entry* e = ObjectLookupOrReply(ctx);
  if (e == nullptr) return;
  if (!LfuPolicySelected(ctx.server)) return ctx.reply.Error(errors::kLfuNotSelected);
  ctx.reply.Integer(keyspace::LfuDecayedCounter(
      e->clock(), keyspace::LfuMinutes(ctx.db.now_ms()),
      ctx.server.config().lfu_decay_time.load(std::memory_order_relaxed)));
}

void ObjectHelpCommand(CommandContext& ctx) {
  std::string name(ctx.args[0]);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::string_view kLines[] = {
      "ENCODING <key>",
      "    Return the name of the internal representation of the value at <key>.",
      "FREQ <key>",
      "    Return the logarithmic access-frequency counter of <key> (LFU policies only).",
      "IDLETIME <key>",
      "    Return the seconds since <key> was last read or written.",
      "REFCOUNT <key>",
      "    Return how many references the value at <key> has.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(1 + std::size(kLines));
  ctx.reply.SimpleString(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
}

// ---- SELECT SWAPDB FLUSHDB FLUSHALL DBSIZE --------------------------------------------------

void SelectCommand(CommandContext& ctx) {
  int db;
  if (!ParseDbOrReply(ctx, ctx.args[1], &db)) return;
  ctx.client.db = db;
  ctx.reply.Ok();
}

// Clients blocked on keys of these DBs run again after SWAPDB or a flush: a key they wait on
// may exist now, and an XREADGROUP whose
// stream (and group) went away answers NOGROUP, as in Redis.  The others wait on.
void WakeBlockedInDbs(CommandContext& ctx, int db1, int db2) {
  for (auto& [db, key] : ctx.server.blocking().KeysInDbs(db1, db2)) {
    ctx.db.ready_keys().push_back({db, std::move(key)});
  }
}

void SwapDbCommand(CommandContext& ctx) {
  int db1, db2;
  if (!ParseIntOrReply(ctx, ctx.args[1], &db1, errors::kInvalidFirstDbIndex)) return;
  if (!ParseIntOrReply(ctx, ctx.args[2], &db2, errors::kInvalidSecondDbIndex)) return;
  if (!ValidDb(ctx, db1) || !ValidDb(ctx, db2)) return ctx.reply.Error(errors::kDbIndexOutOfRange);
  ctx.dirty++;
  SwapDb(ctx.server, db1, db2, [&] {
    // Before the swap: a watched key that exists in either DB changes.
    TouchWatchedKeysInDbs(ctx.server, db1, db2, ctx.db.now_ms());
    LogEffectsNow(ctx);
  });
  // A key a client waits on may exist now: the dispatcher serves it after this command.
  WakeBlockedInDbs(ctx, db1, db2);
  ctx.reply.Ok();
}

// FLUSHDB/FLUSHALL take [ASYNC|SYNC]; neither means lazyfree-lazy-user-flush's choice.  Both
// modes detach the tables under the locks; SYNC frees them on this thread after releasing the
// locks, ASYNC hands them to the lazy-free thread.  Sets *async.
bool ParseFlushModeOrReply(CommandContext& ctx, bool* async) {
  if (ctx.args.size() == 1) {
    *async = ctx.server.config().lazyfree_lazy_user_flush.load(std::memory_order_relaxed);
    return true;
  }
  if (ctx.args.size() == 2 &&
      (EqualsNoCase(ctx.args[1], "sync") || EqualsNoCase(ctx.args[1], "async"))) {
    *async = EqualsNoCase(ctx.args[1], "async");
    return true;
  }
  ctx.reply.Error(errors::kSyntax);
  return false;
}

void FlushDbCommand(CommandContext& ctx) {
  bool async = false;
  if (!ParseFlushModeOrReply(ctx, &async)) return;
  // Redis 7.2 adds the keys removed to the dirty counter and forces the command into the log
  // (forceCommandPropagation) even when there were none: LogEffectsNow does the latter.
  ctx.dirty += static_cast<int64_t>(FlushDb(
      ctx.server, ctx.db.db(),
      [&] {
        TouchWatchedKeysInDbs(ctx.server, ctx.db.db(), ctx.db.db(), ctx.db.now_ms());
        LogEffectsNow(ctx);
      },
      async));
  ctx.server.tracking().InvalidateAll(ctx.db.db(), &ctx.client);
  WakeBlockedInDbs(ctx, ctx.db.db(), ctx.db.db());
  ctx.reply.Ok();
}

void FlushAllCommand(CommandContext& ctx) {
  bool async = false;
  if (!ParseFlushModeOrReply(ctx, &async)) return;
  ctx.dirty += static_cast<int64_t>(FlushDb(
      ctx.server, -1,
      [&] {
        TouchWatchedKeysInDbs(ctx.server, -1, -1, ctx.db.now_ms());
        LogEffectsNow(ctx);
      },
      async));
  ctx.server.tracking().InvalidateAll(-1, &ctx.client);
  // A background save of the old data is cancelled, as Redis kills its child.  With save
  // points, Redis writes the (now empty) snapshot at once, so that a restart does not bring
  // the flushed data back from an older file.
  ctx.server.persistence().AbortBackgroundSave();
  if (!ctx.server.config().save.Get().empty() && !ctx.client.in_script &&
      !keyspace::ShardMutex::HeldAll()) {
    ctx.server.persistence().WaitForBackgroundSave();
    // The file now holds this flush: its changes are not "since the last save" (Redis's
    // rdbSave zeroes the counter after emptyData added to it).
    if (ctx.server.persistence().Save().empty()) ctx.dirty = 0;
  }
  const int dbs = ctx.server.keyspace().num_dbs();
  for (int d = 0; d < dbs; d += 2) WakeBlockedInDbs(ctx, d, std::min(d + 1, dbs - 1));
  ctx.reply.Ok();
}

void DbSizeCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(CountKeys(ctx.server.keyspace(), ctx.db.db())));
}

// ---- KEYS SCAN RANDOMKEY --------------------------------------------------------------------

void KeysCommand(CommandContext& ctx) {
  size_t header = ctx.reply.StartDeferred();
  size_t n = 0;
  ForEachLiveKey(ctx.server.keyspace(), ctx.db.db(), ctx.args[1], ctx.db.now_ms(),
                 [&](std::string_view key) {
                   ctx.reply.Bulk(key);
                   ++n;
                 });
  ctx.reply.EndDeferred(header, 'A', n);
}

void ScanCommand(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.args[1], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  ScanArgs scan;
  ScanOptions options;
  auto type = [&](size_t i) -> size_t {
    if (i + 1 >= ctx.args.size() || !EqualsNoCase(ctx.args[i], "type")) return 0;
    // As in Redis 7.2, an unknown type name is no error: it matches nothing.
    options.filter_type = true;
    options.type = TypeByName(ctx.args[i + 1]);
    return 2;
  };
  if (!ParseScanArgsOrReply(ctx, 2, &scan, type)) return;
  options.count = scan.count;
  options.pattern = scan.pattern;
  ScanPage page = ScanKeys(ctx.server.keyspace(), ctx.db, cursor, options);
  ReplyScanHeader(ctx, page.cursor, page.keys.size());
  for (const std::string& key : page.keys) ctx.reply.Bulk(key);
}

void RandomKeyCommand(CommandContext& ctx) {
  SplitMix64 random(CallRandomSeed(ctx));
  std::optional<std::string> key =
      RandomKey(ctx.server.keyspace(), ctx.db, [&random] { return random.Next(); });
  if (!key) return ctx.reply.Null();
  ctx.reply.Bulk(*key);
}

}  // namespace

// ---- Registration ---------------------------------------------------------------------------

namespace {

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, uint64_t acl,
                 Handler handler, std::string_view since, std::string_view group,
                 std::string_view complexity, std::string_view summary) {
  return MakeSpec(std::move(name), arity, flags, keys, acl, handler, group, since, complexity,
                  summary);
}

constexpr uint64_t kKsRead = kAclKeyspace | kAclRead;
constexpr uint64_t kKsWrite = kAclKeyspace | kAclWrite;
constexpr KeySpec kNoKeys{};
constexpr KeySpec kOneKey{1, 1, 1};
constexpr KeySpec kTwoKeys{1, 2, 1};
// Redis's key-spec flags where they differ from the derived ones (ACL %R/%W checks use them):
// a key only looked at (EXISTS, TYPE, OBJECT) is RO without "access".
constexpr KeySpec kObjectKey{2, 2, 1, kKeyRO};
constexpr KeySpec kLookedAtKeys{1, -1, 1, kKeyRO};
constexpr KeySpec kLookedAtKey{1, 1, 1, kKeyRO};
constexpr KeySpec kDeletedKeys{1, -1, 1, kKeyRM | kKeyDelete};
constexpr KeySpec kExpiryKey{1, 1, 1, kKeyRW | kKeyUpdate};

// Gives `s` Redis's per-key specs (source and destination differ in RENAME, COPY...).
CommandSpec WithKeySpecs(CommandSpec s, std::vector<KeySpec> specs) {
  s.key_specs = std::move(specs);
  return s;
}

CommandSpec ObjectSpec() {
  CommandSpec object =
      Spec("object", -2, 0, kNoKeys, kAclSlow, nullptr, "2.2.3", "generic",
           "Depends on the subcommand.", "Inspects how the server stores a key's value.");
  auto& subs = object.subcommands;
  subs.push_back(Spec("encoding", 3, kReadOnly, kObjectKey, kKsRead | kAclSlow,
                      ObjectEncodingCommand, "2.2.3", "generic", "O(1)",
                      "Names the internal representation of a key's value."));
  subs.push_back(Spec("freq", 3, kReadOnly, kObjectKey, kKsRead | kAclSlow, ObjectFreqCommand,
                      "4.0.0", "generic", "O(1)",
                      "Reports a key's logarithmic access-frequency counter (LFU policies)."));
  subs.push_back(Spec("help", 2, kLoading | kStale, kNoKeys, kAclKeyspace | kAclSlow,
                      ObjectHelpCommand, "6.2.0", "generic", "O(1)",
                      "Lists the OBJECT subcommands."));
  subs.push_back(Spec("idletime", 3, kReadOnly, kObjectKey, kKsRead | kAclSlow,
                      ObjectIdletimeCommand, "2.2.3", "generic", "O(1)",
                      "Reports the seconds since a key was last accessed."));
  subs.push_back(Spec("refcount", 3, kReadOnly, kObjectKey, kKsRead | kAclSlow,
                      ObjectRefcountCommand, "2.2.3", "generic", "O(1)",
                      "Reports how many references a key's value has."));
  return object;
}

}  // namespace

// ACL categories are listed in full, the implicit ones (@read, @write, @fast, @slow) included,
// as COMMAND INFO shows them.
void RegisterKeysFamily(CommandTable* table) {
  const uint32_t kAll = kAllShards;
  table->Add(Spec("del", -2, kWrite, kDeletedKeys, kKsWrite | kAclSlow, DelCommand, "1.0.0",
                  "generic", "O(N) for N keys, plus the size of each value freed",
                  "Removes the given keys and returns how many existed."));
  table->Add(Spec("unlink", -2, kWrite | kFast, kDeletedKeys, kKsWrite | kAclFast, UnlinkCommand,
                  "4.0.0", "generic", "O(N) for N keys",
                  "Removes the given keys, reclaiming their memory off the critical path."));
  table->Add(Spec("exists", -2, kReadOnly | kFast, kLookedAtKeys, kKsRead | kAclFast, ExistsCommand,
                  "1.0.0", "generic", "O(N) for N keys",
                  "Counts how many of the given keys exist, repeats included."));
  table->Add(Spec("touch", -2, kReadOnly | kFast, kLookedAtKeys, kKsRead | kAclFast, TouchCommand,
                  "3.2.1", "generic", "O(N) for N keys",
                  "Marks the given keys as just accessed and counts those that exist."));
  table->Add(Spec("type", 2, kReadOnly | kFast, kLookedAtKey, kKsRead | kAclFast, TypeCommand,
                  "1.0.0", "generic", "O(1)", "Names the data type held at a key, or none."));
  const KeySpec kRenameSource{1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete};
  table->Add(WithKeySpecs(
      Spec("rename", 3, kWrite, kTwoKeys, kKsWrite | kAclSlow, RenameCommand, "1.0.0", "generic",
           "O(1)", "Gives a key a new name, replacing any key already under that name."),
      {kRenameSource, KeySpec{2, 2, 1, kKeyOW | kKeyUpdate}}));
  table->Add(WithKeySpecs(
      Spec("renamenx", 3, kWrite | kFast, kTwoKeys, kKsWrite | kAclFast, RenameNxCommand, "1.0.0",
           "generic", "O(1)", "Gives a key a new name unless that name is already taken."),
      {kRenameSource, KeySpec{2, 2, 1, kKeyOW | kKeyInsert}}));
  table->Add(
      WithKeySpecs(Spec("copy", -3, kWrite | kDenyOom, kTwoKeys, kKsWrite | kAclSlow, CopyCommand,
                        "6.2.0", "generic", "O(1) for strings, O(N) for an aggregate of N elements",
                        "Duplicates a key's value under another name, optionally in another DB."),
                   {KeySpec{1, 1, 1, kKeyRO | kKeyAccess}, KeySpec{2, 2, 1, kKeyOW | kKeyUpdate}}));
  table->Add(Spec("move", 3, kWrite | kFast, kOneKey, kKsWrite | kAclFast, MoveCommand, "1.0.0",
                  "generic", "O(1)", "Transfers a key to another DB unless the key exists there."));

  table->Add(Spec("expire", -3, kWrite | kFast, kExpiryKey, kKsWrite | kAclFast, ExpireCommand,
                  "1.0.0", "generic", "O(1)", "Makes a key expire after a number of seconds."));
  table->Add(Spec("pexpire", -3, kWrite | kFast, kExpiryKey, kKsWrite | kAclFast, PExpireCommand,
                  "2.6.0", "generic", "O(1)",
                  "Makes a key expire after a number of milliseconds."));
  table->Add(Spec("expireat", -3, kWrite | kFast, kExpiryKey, kKsWrite | kAclFast, ExpireAtCommand,
                  "1.2.0", "generic", "O(1)",
                  "Makes a key expire at a Unix time given in seconds."));
  table->Add(Spec("pexpireat", -3, kWrite | kFast, kExpiryKey, kKsWrite | kAclFast,
                  PExpireAtCommand, "2.6.0", "generic", "O(1)",
                  "Makes a key expire at a Unix time given in milliseconds."));
  table->Add(Spec("ttl", 2, kReadOnly | kFast, kOneKey, kKsRead | kAclFast, TtlCommand, "1.0.0",
                  "generic", "O(1)", "Reports the seconds a key has left to live."));
  table->Add(Spec("pttl", 2, kReadOnly | kFast, kOneKey, kKsRead | kAclFast, PTtlCommand, "2.6.0",
                  "generic", "O(1)", "Reports the milliseconds a key has left to live."));
  table->Add(Spec("expiretime", 2, kReadOnly | kFast, kOneKey, kKsRead | kAclFast,
                  ExpireTimeCommand, "7.0.0", "generic", "O(1)",
                  "Reports the Unix time in seconds at which a key expires."));
  table->Add(Spec("pexpiretime", 2, kReadOnly | kFast, kOneKey, kKsRead | kAclFast,
                  PExpireTimeCommand, "7.0.0", "generic", "O(1)",
                  "Reports the Unix time in milliseconds at which a key expires."));
  table->Add(Spec("persist", 2, kWrite | kFast, kExpiryKey, kKsWrite | kAclFast, PersistCommand,
                  "2.2.0", "generic", "O(1)", "Clears a key's expiry so it lives until deleted."));
  table->Add(ObjectSpec());

  table->Add(Spec("keys", 2, kReadOnly | kAll, kNoKeys, kKsRead | kAclSlow | kAclDangerous,
                  KeysCommand, "1.0.0", "generic", "O(N) for N keys in the DB",
                  "Lists every key whose name matches a glob pattern."));
  CommandSpec scan =
      Spec("scan", -2, kReadOnly | kAll, kNoKeys, kKsRead | kAclSlow, ScanCommand, "2.8.0",
           "generic", "O(1) per call, O(N) for a whole iteration over N keys",
           "Walks the key names of the DB a few at a time with a cursor.");
  scan.touches_arbitrary_keys = true;
  table->Add(std::move(scan));
  CommandSpec randomkey = Spec(
      "randomkey", 1, kReadOnly | kAll, kNoKeys, kKsRead | kAclSlow, RandomKeyCommand, "1.0.0",
      "generic", "O(1) expected, plus O(shards)", "Picks the name of a key of the DB at random.");
  randomkey.touches_arbitrary_keys = true;
  table->Add(std::move(randomkey));
  table->Add(Spec("dbsize", 1, kReadOnly | kFast | kAll, kNoKeys, kKsRead | kAclFast, DbSizeCommand,
                  "1.0.0", "server", "O(shards)", "Counts the keys of the selected DB."));
  table->Add(Spec("flushdb", -1, kWrite | kAll, kNoKeys, kKsWrite | kAclSlow | kAclDangerous,
                  FlushDbCommand, "1.0.0", "server", "O(N) for N keys in the DB",
                  "Deletes every key of the selected DB."));
  table->Add(Spec("flushall", -1, kWrite | kAll, kNoKeys, kKsWrite | kAclSlow | kAclDangerous,
                  FlushAllCommand, "1.0.0", "server", "O(N) for N keys in all DBs",
                  "Deletes every key of every DB."));
  table->Add(Spec("swapdb", 3, kWrite | kFast | kAll, kNoKeys, kKsWrite | kAclFast | kAclDangerous,
                  SwapDbCommand, "4.0.0", "server", "O(shards)",
                  "Exchanges the contents of two DBs for every client at once."));
  table->Add(Spec("select", 2, kLoading | kStale | kFast, kNoKeys, kAclConnection | kAclFast,
                  SelectCommand, "1.0.0", "connection", "O(1)",
                  "Switches this connection to another numbered DB."));
}

}  // namespace tessera::server
