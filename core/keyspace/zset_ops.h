// Operations on sorted-set keys, for the zset and geo command families.
//
// Each returns OpResult<T> (kWrongType when the key holds another type) and never builds a
// reply.  Reads go straight to the value (FindZSet, then types::ZSetValue's ranks, ranges and
// iterators); the writes here keep the keyspace rules: a key is created with the encoding
// Redis's zsetTypeCreate picks, and a set left empty is deleted.  Listpack thresholds come in
// as types::ZSetLimits (the caller reads the config).
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"
#include "core/types/zset_value.h"

namespace tessera::keyspace {

// The sorted set at `key`: nullptr if the key is missing, kWrongType for another type.
OpResult<types::ZSetValue*> FindZSet(DbAccess& db, std::string_view key);

struct ZAddFlags {
  bool nx = false;
  bool xx = false;
  bool gt = false;
  bool lt = false;
  bool incr = false;
};
struct ZAddPair {
  double score = 0;
  std::string_view member;
};
struct ZAddResult {
  size_t added = 0;      // new members
  size_t updated = 0;    // members whose score changed
  size_t processed = 0;  // pairs not skipped by NX/XX/GT/LT
  double score = 0;      // the last processed pair's resulting score (INCR's reply)
  bool nan = false;      // an increment produced NaN; pairs from that one on were not applied
};
// ZADD / ZINCRBY / GEOADD, as Redis's zaddGenericCommand after option checks: a missing key is
// created (unless xx) with size hint pairs.size() and the first member's length; an existing
// listpack set is converted first if pairs.size() exceeds the entry limit.  REQUIRES: no
// score is NaN, the flags are compatible, incr implies one pair.
OpResult<ZAddResult> OpZAdd(DbAccess& db, std::string_view key, const ZAddFlags& flags,
                            std::span<const ZAddPair> pairs, const types::ZSetLimits& limits);

// ZSCORE: nullopt if the key or the member is missing.
OpResult<std::optional<double>> OpZScore(DbAccess& db, std::string_view key,
                                         std::string_view member);

// ZREM: removes members, deletes the key once empty; returns how many were removed.
OpResult<size_t> OpZRem(DbAccess& db, std::string_view key,
                        std::span<const std::string_view> members);

// Members with scores in `range`, ascending (descending when `reverse`), skipping `offset`
// (>= 0) and returning at most `limit` (< 0: no limit).  Empty for a missing key.
OpResult<std::vector<types::ScoredMember>> OpZRangeByScore(DbAccess& db, std::string_view key,
                                                           const types::ScoreRange& range,
                                                           bool reverse, int64_t offset,
                                                           int64_t limit);

// Replaces `dest` (any type) with a sorted set of `entries` (distinct members, any order),
// built as Redis builds a STORE result: a skiplist converted to listpack if it fits the
// limits.  No entries: `dest` is deleted.  Returns the stored set's size.
size_t OpZStore(DbAccess& db, std::string_view dest, std::span<const types::ScoredMember> entries,
                const types::ZSetLimits& limits);

// Deletes `key` if it holds an empty sorted set (after a removal).  Returns true iff deleted.
bool DeleteIfEmptyZSet(DbAccess& db, std::string_view key, const types::ZSetValue* z);

}  // namespace tessera::keyspace
