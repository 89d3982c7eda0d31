// Sorted-set access for the geo commands (GEOADD ... GEOSEARCHSTORE).
//
// A geo set is an ordinary sorted set whose scores are 52-bit geohashes (core/geo/geohash.h);
// nothing marks it as geo, and every geo command works on any sorted set, as in Redis.  GEOADD
// is OpZAdd and the reads use FindZSet (zset_ops.h); this file adds what is particular to geo:
// member positions, the score-range scanner core/geo/geo_search.h collects points with, and
// the sorted set a STORE / STOREDIST / GEOSEARCHSTORE writes.
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "core/geo/geo_search.h"
#include "core/keyspace/keyspace.h"
#include "core/types/zset_value.h"

namespace tessera::keyspace {

// The position of `member` decoded from its score, or false if it is not in the set.
bool GeoMemberPosition(const types::ZSetValue& z, std::string_view member, double* lon,
                       double* lat);

// A scanner over `z` for geo::CollectPoints: members with min <= score < max in (score,
// member) order.  The returned object refers to `z`, which must not change while it is used.
geo::ScoreRangeScanner GeoScanner(const types::ZSetValue& z);

// Replaces `dest` (any type, its expiry dropped) with a sorted set of the first `n` points,
// scored by their geohash or, when `dist_divisor` is set, by their distance divided by it;
// deletes `dest` when n is 0.  REQUIRES: n <= points.size(), members distinct.
void OpGeoStore(DbAccess& db, std::string_view dest, std::span<const geo::GeoPoint> points,
                size_t n, std::optional<double> dist_divisor, const types::ZSetLimits& limits);

}  // namespace tessera::keyspace
