// Operations over the whole sharded keyspace: KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB,
// FLUSHALL and SWAPDB (DESIGN 3).
//
// Unlike a keyed command, whose shards the dispatcher locks, these take the shard locks
// themselves.  Walks (ForEachLiveKey, ScanKeys, RandomKey, CountKeys) hold one shard's lock at
// a time, so a walk never blocks the whole server and never sees more than one shard
// atomically, as DESIGN 3 allows; the flushes and SWAPDB hold every lock at once
// (Server::AllShardsLock) so they are atomic.  REQUIRES for every function: the caller holds
// no shard lock (the dispatcher takes none for kAllShards commands).
//
// SCAN cursors.  Keyspace::ComposeCursor packs (shard, table cursor) into 64 bits with the
// shard in the top bits, so half of all cursors would be >= 2^63.  Clients parse cursors as
// int64 (StackExchange.Redis) or even as a JavaScript number (node-redis 4), so the wire
// cursor is the composed cursor shifted right by kWireCursorShift more bits: below 2^53.
// A table cursor therefore loses its low G = shard bits + kWireCursorShift bits.  Rounding it
// down is not safe: HashTable::Scan resumes at the first hash of a home slot, and one below
// it lies in the previous slot, so a COUNT smaller than that slot's group would return the
// same cursor forever.  ScanKeys rounds up instead, after scanning on until the table's
// cursor passes the rounded value, so the keys in between are returned now and none is
// skipped: exact as long as a table has fewer than 2^(64 - G) home slots.  Keys are also
// filtered by hash against the interval of hash space each call covers, so a key present for
// the whole iteration is returned exactly once, across any growth or shrinking of the tables.
//
// Freeing: FlushDb/FlushAll/SwapDb never free entries while holding locks; flushes detach the
// tables under the locks and free them after releasing them, on the calling thread, or on the
// lazy-free thread for an ASYNC flush (server/lazy_free.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/keyspace/keyspace.h"

namespace tessera::server {

class Server;

inline constexpr int kWireCursorShift = 11;

// Calls fn(key) for every key of `db` that matches `pattern` (glob) and is not expired at
// `now_ms`, shard by shard, under that shard's lock.  Expired keys are skipped, not deleted
// (as Redis's KEYS).  fn must not touch the keyspace.
void ForEachLiveKey(keyspace::Keyspace& ks, int db, std::string_view pattern, int64_t now_ms,
                    const std::function<void(std::string_view)>& fn);

// Number of keys of `db`, including expired keys not yet reclaimed (Redis's DBSIZE counts
// them too).
size_t CountKeys(keyspace::Keyspace& ks, int db);

struct ScanOptions {
  size_t count = 10;                        // a hint: stop once this many keys were visited
  std::optional<std::string_view> pattern;  // MATCH; nullopt: every key
  // TYPE: filter_type is set and `type` holds the type, or nullopt for an unknown type name,
  // which matches nothing (Redis 7.2).
  bool filter_type = false;
  std::optional<keyspace::ValueType> type;
};

struct ScanPage {
  uint64_t cursor = 0;  // wire cursor to resume from; 0 iff the iteration is complete
  std::vector<std::string> keys;
};

// One SCAN step over db.db() from wire cursor `cursor`.  Every key present in the DB for the
// whole iteration is returned exactly once (Redis promises at least once); expired keys are never
// returned, and those the step visits that match the pattern are deleted (lazy expiry through
// `db`).  Work is bounded by O(count) visited keys plus O(shard count) for empty shards.
ScanPage ScanKeys(keyspace::Keyspace& ks, keyspace::DbAccess& db, uint64_t cursor,
                  const ScanOptions& options);

// A random live key of db.db(), or nullopt iff the DB has none.  A shard is picked with
// probability proportional to its size, then a key inside it.  Expired keys met are deleted
// (lazy expiry); after kRandomKeyMaxExpiredSamples of them it falls back to a walk that
// returns the first live key, so it always terminates.  `random` supplies 64-bit values.
inline constexpr int kRandomKeyMaxExpiredSamples = 100;
std::optional<std::string> RandomKey(keyspace::Keyspace& ks, keyspace::DbAccess& db,
                                     const std::function<uint64_t()>& random);

// FLUSHDB / FLUSHALL: empty one DB (db >= 0) or all (db == -1).  Returns the number of keys
// removed.  Atomic: every shard is locked while the tables are detached.  `while_locked`, when
// given, runs with every lock held, before the tables go (the write log records the flush
// there, and WATCH sees which watched keys existed).  `async`: the detached tables go to the
// lazy-free thread (their keys counted in lazyfree_pending_objects) instead of being freed
// here before returning.
size_t FlushDb(Server& server, int db, const std::function<void()>& while_locked = nullptr,
               bool async = false);

// SWAPDB: swaps two DBs' data in every shard, atomically.  REQUIRES: both indices valid.
// `while_locked` as for FlushDb, before the swap.
void SwapDb(Server& server, int db1, int db2, const std::function<void()>& while_locked = nullptr);

// WATCH for a flush (db1 == db2, or -1 for every DB) or a swap of db1 and db2: marks the
// watchers of every watched key of those DBs that is live in either of them (an absent or
// expired key does not change, as Redis 7.2 counts it).  REQUIRES: every shard locked.
void TouchWatchedKeysInDbs(Server& server, int db1, int db2, int64_t now_ms);

}  // namespace tessera::server
