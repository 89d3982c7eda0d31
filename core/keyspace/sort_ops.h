// SORT and SORT_RO (Redis 7.2 sort.c): the elements of a list, set or sorted set, ordered by
// their own value or by values found through a BY pattern, with GET patterns mapping each
// element to other keys' values.
//
// The approach is sort.c's, because its corner cases are what clients see: the elements are
// copied out of the value (a STORE may overwrite the source itself), given a score (numeric:
// strtod over the whole string; ALPHA: the bytes), ordered, and the LIMIT range is taken from
// the result.  Two cases skip the ordering ("dontsort", a BY pattern without '*'): a list or
// sorted set then yields the LIMIT range straight from its native order (DESC walks it from
// the tail), a set yields its members as iterated, except with STORE, where the members are
// sorted ALPHA so that the stored list does not depend on the set's internal order.  As in
// Redis, sorting a listpack sorted set converts it to a skiplist first (even SORT_RO), which
// OBJECT ENCODING shows.
//
// Ordering is a stable sort.  Numeric ties are broken by comparing the elements' bytes, as
// Redis does.  ALPHA with STORE compares the whole values' bytes (memcmp, then length);
// without STORE it compares C strings, up to the first NUL byte, with the caller's `collate`
// (the server passes strcoll(), under locale-collate, as Redis does; core reads no locale
// itself), or as strcmp() when none is given.
// ALPHA can leave ties (equal or missing BY values, values equal up to a NUL); they keep the
// source's order, as glibc's qsort (a merge sort) leaves them in Redis.
//
// REQUIRES for every function: the lock of the shard of the source key, of the destination,
// and, when a BY or GET pattern may read other keys (SortReadsOtherKeys), of every shard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"
#include "core/types/list_value.h"

namespace tessera::keyspace {

struct SortOptions {
  std::optional<std::string_view> by;  // the (last) BY pattern
  // Some BY pattern had no '*': nothing is ordered.  As in Redis a later BY with a '*' does
  // not undo it ("BY nosort BY w_*" does not sort).
  bool dontsort = false;
  std::vector<std::string_view> get;  // the GET patterns, in order
  int64_t offset = 0;                 // LIMIT offset count, unclamped
  int64_t count = -1;
  bool desc = false;
  bool alpha = false;
  bool store = false;  // a STORE destination was given (changes how a set is ordered)
  bool for_script = false;  // run by a script: a set's output must not depend on its layout
  // ALPHA without STORE: <0, 0, >0 for two NUL-terminated strings (nullptr: strcmp order).
  int (*collate)(const char*, const char*) = nullptr;
};

// One value of SORT's output: an element, or what a GET pattern found for it (nullopt when
// nothing: a missing key, a key of the wrong type, a pattern without '*').
using SortRow = std::optional<std::string>;

// True iff a pattern of `opts` builds key names from the elements (a BY pattern containing
// '*' when sorting, a GET pattern containing '*'), i.e. SORT may read keys other than its
// source.
bool SortReadsOtherKeys(const SortOptions& opts);

// The output of SORT `key` with `opts`: one row per element in the LIMIT range, or, with GET
// patterns, one row per pattern per element.  A missing key sorts as an empty list.
// kWrongType if the key holds a string or hash; kNotAFloat if numeric ordering met a value
// that is not a double ("One or more scores can't be converted into double").
OpResult<std::vector<SortRow>> OpSort(DbAccess& db, std::string_view key, const SortOptions& opts);

// SORT ... STORE: makes `destination` a list of `rows` (a missing one stored as ""), shaped
// as Redis shapes it (built as a quicklist, a listpack if it fits one node), replacing any
// value and expiry; deletes `destination` when `rows` is empty.  Returns rows.size().
size_t OpStoreSorted(DbAccess& db, std::string_view destination, std::vector<SortRow>&& rows,
                     const types::ListLimits& limits);

// What SORT reads through `pattern` for `element` (lookupKeyByPattern): `element` itself for
// "#"; else the key named by the pattern with its first '*' replaced by `element` (a string
// value), or, when text follows a "->" after the '*', that field of the hash named by the
// part before the "->".  As in Redis the pattern is read as a C string where it is searched
// ('*', "->", "#" end at a NUL byte).
std::optional<std::string> LookupByPattern(DbAccess& db, std::string_view pattern,
                                           std::string_view element);

// SORT's reading of a score: strtod() over the whole value (leading blanks, hex and "inf"
// accepted; the value ends at a NUL byte), false for trailing text, overflow, underflow or NaN.
bool ParseSortScore(std::string_view value, double* score);

}  // namespace tessera::keyspace
