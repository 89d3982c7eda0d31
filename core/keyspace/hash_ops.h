// Operations on hash values, for the hash command family (server/commands/hash_family.cc).
//
// Each operation reads or writes one DB through DbAccess and returns OpResult<T>; nothing here
// builds a reply or reads a clock ("now" is DbAccess::now_ms()).  The value class is
// types::HashValue (core/types/hash_value.h); its mutators may move it, so every write stores
// the new pointer back into the entry.
//
// Field expiry (Redis 7.4): every operation first purges the fields of its hash whose time has
// come (lazy expiry), and a hash left empty is deleted as if it had never been there: so an
// expired field is never seen, and no empty hash exists.  Redis 7.4 may report such fields in
// HLEN until its active cycle reclaims them; we never do.
//
// Statuses the handlers turn into the family's own texts: kNotAnInteger "hash value is not an
// integer", kNotAFloat "hash value is not a float", kOverflow "increment or decrement would
// overflow", kOutOfRange (HINCRBYFLOAT) "increment would produce NaN or Infinity".
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"
#include "core/types/hash_value.h"

namespace tessera::keyspace {

using Fields = std::span<const std::string_view>;

// The live hash at `key` after purging its expired fields; nullptr if none (a hash whose
// fields all expired is deleted here).  kWrongType for another type.  The value stays valid
// until the next write to the key.
OpResult<const types::HashValue*> OpGetHash(DbAccess& db, std::string_view key);

// HSET/HMSET: `pairs` alternates fields and values.  Returns the number of new fields.
// Each field set loses its expiry.
OpResult<size_t> OpHSet(DbAccess& db, std::string_view key, Fields pairs,
                        const types::HashLimits& limits);
// HSETNX: returns true iff the field was absent and is now set.
OpResult<bool> OpHSetNx(DbAccess& db, std::string_view key, std::string_view field,
                        std::string_view value, const types::HashLimits& limits);
// HDEL: returns the number of fields removed; deletes the key when it empties.
OpResult<size_t> OpHDel(DbAccess& db, std::string_view key, Fields fields);
// HINCRBY: the new value.  The field keeps its expiry.
OpResult<int64_t> OpHIncrBy(DbAccess& db, std::string_view key, std::string_view field,
                            int64_t delta, const types::HashLimits& limits);
// HINCRBYFLOAT: the new value as stored (LongDoubleToHumanString).  REQUIRES: incr finite.
OpResult<std::string> OpHIncrByFloat(DbAccess& db, std::string_view key, std::string_view field,
                                     long double incr, const types::HashLimits& limits);

// HEXPIRE family: sets each field's expiry to `at_ms` (absolute) under `cond`; one
// HashValue::ExpireResult per field (-2 for all when the key is missing).  A packed hash
// becomes "listpackex" even if no field matched, as in Redis.
OpResult<std::vector<int>> OpHExpire(DbAccess& db, std::string_view key, int64_t at_ms,
                                     types::HashValue::ExpireCondition cond, Fields fields);
// HPERSIST: per field -2 no field, -1 no expiry, 1 removed.
OpResult<std::vector<int>> OpHPersist(DbAccess& db, std::string_view key, Fields fields);
// HTTL family: per field -2 no field, -1 no expiry, else the absolute expiry in ms.
OpResult<std::vector<int64_t>> OpHFieldExpiry(DbAccess& db, std::string_view key,
                                              Fields fields);

// HRANDFIELD with a count, as Redis 7.2 picks them: count >= 0 gives min(count, size) distinct
// pairs; count < 0 gives -count pairs that may repeat.  `seed` drives a private generator.
// REQUIRES: v non-empty, count != INT64_MIN.
std::vector<types::HashValue::Pair> RandomPairs(const types::HashValue& v, int64_t count,
                                                uint64_t seed);

}  // namespace tessera::keyspace
