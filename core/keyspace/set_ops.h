// Operations on set values, for the set command family.
//
// Writes (SADD, SREM, SMOVE, SPOP, the *STORE commands) run here against DbAccess and return
// OpResult<T>; reads fetch the SetValue with OpFindSet/OpFindSets and use the pure helpers
// below (intersection, union, difference, random sampling, SSCAN pages), which build no reply.
// The algorithms and the encodings of their results are t_set.c's (Redis 7.2): SINTERSTORE
// starts from an intset when the smallest set is one, else a listpack, and ends as an intset
// when every member is an integer; SUNION/SDIFF build from an intset with the usual
// conversions; SDIFF picks between its two algorithms by the same estimate of work.
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"
#include "core/types/set_value.h"

namespace tessera::keyspace {

using types::SetLimits;
using types::SetMember;
using types::SetValue;

// The set at `key`: nullptr if there is none; kWrongType for another type.
OpResult<SetValue*> OpFindSet(DbAccess& db, std::string_view key);
// The sets at `keys`, nullptr for a missing key; kWrongType if any holds another type.
OpResult<std::vector<const SetValue*>> OpFindSets(DbAccess& db,
                                                  std::span<const std::string_view> keys);

// SADD: the number of members added.  A new set is sized for all of `members` (setTypeCreate).
OpResult<int64_t> OpSAdd(DbAccess& db, std::string_view key,
                         std::span<const std::string_view> members, const SetLimits& limits);
// SREM: the number removed; the key is deleted once empty.
OpResult<int64_t> OpSRem(DbAccess& db, std::string_view key,
                         std::span<const std::string_view> members);
// SMOVE: true iff `member` was in `src` (for src == dst: iff it is a member).  kWrongType,
// changing nothing, if either key holds another type (a missing src answers false first).
// `removed`, when given, runs once the member left `src` (true: src was deleted, emptied)
// and before `dst` gets it: Redis's keyspace events come in that order.
OpResult<bool> OpSMove(DbAccess& db, std::string_view src, std::string_view dst,
                       std::string_view member, const SetLimits& limits,
                       const std::function<void(bool)>& removed = nullptr);
// SPOP key: the member removed, nullopt for a missing key.
OpResult<std::optional<std::string>> OpSPop(DbAccess& db, std::string_view key,
                                            SplitMix64& rng);
// SPOP key count (count > 0): the members removed; the key is deleted once empty.  Taking
// most of a set moves the members that stay into a new set, whose encoding follows `limits`.
OpResult<std::vector<std::string>> OpSPopCount(DbAccess& db, std::string_view key, uint64_t count,
                                               const SetLimits& limits, SplitMix64& rng);

// Stores `result` at `dst` (replacing any value and its expiry), or deletes `dst` if the
// result is empty.  Returns the stored set's size.
int64_t StoreSetResult(DbAccess& db, std::string_view dst, std::unique_ptr<SetValue> result);

// ---- Pure helpers over sets already looked up ----------------------------------------------

// Calls fn for each member of the intersection of `sets` (all non-null), in the iteration order
// of the smallest, until `limit` were found (0: no limit).  Returns how many were found.
size_t ForEachInIntersection(std::vector<const SetValue*> sets, size_t limit,
                             const std::function<void(const SetMember&)>& fn);
// SINTERSTORE's result set, encoded as Redis encodes it.  REQUIRES: no null set.
std::unique_ptr<SetValue> IntersectionSet(std::vector<const SetValue*> sets,
                                          const SetLimits& limits);
// SUNION's and SDIFF's result (null sets are empty), built from an intset as Redis does.
std::unique_ptr<SetValue> UnionSet(const std::vector<const SetValue*>& sets,
                                   const SetLimits& limits);
std::unique_ptr<SetValue> DiffSet(std::vector<const SetValue*> sets, const SetLimits& limits);

// SRANDMEMBER key count: calls fn for each member of the reply, `count` of them when negative
// (repeats allowed, |count| members), else min(count, size) distinct ones.  REQUIRES:
// count != INT64_MIN and a non-empty set.
void SampleMembers(const SetValue& set, int64_t count, SplitMix64& rng,
                   const std::function<void(const SetMember&)>& fn);

// One SSCAN page: the members matching `pattern` (all if none), and the cursor to resume from
// (0 when done).  Packed encodings answer everything at once with cursor 0.
struct SetScanPage {
  uint64_t cursor = 0;
  std::vector<std::string> members;
};
SetScanPage ScanSet(const SetValue& set, uint64_t cursor, size_t count,
                    std::optional<std::string_view> pattern);

}  // namespace tessera::keyspace
