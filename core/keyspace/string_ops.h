// Operations on string values, for the string command family (the bitmap family's writes are
// in bitmap_ops.h).
//
// Each operation reads or writes one DB through DbAccess and returns OpResult<T>: a value, or
// the status a handler turns into Redis's error text.  Nothing here builds a reply, parses a
// command line or reads a clock: "now" is DbAccess::now_ms().
//
// Entries are immutable in size (entry.h), so a new value is a new Entry swapped in with
// Replace(); only INCR of an int-encoded value changes the entry in place.  Encodings follow
// what Redis would produce: values written by SET, MSET, GETSET and APPEND to a missing key
// are auto-encoded (int, embstr up to 44 bytes, raw), INCR results are int, INCRBYFLOAT
// results are embstr or raw by length, and APPEND or SETRANGE on an existing key leave raw.
// A value's expiry is kept by every operation but SET (unless KEEPTTL), GETSET and GETEX.
//
// One caveat against Redis: APPEND and SETRANGE copy the whole value (Redis grows its buffer
// in place, amortized O(1) per APPEND), so building a large string by many small APPENDs is
// quadratic here.
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {

// An expiry as given on a command line (EX/PX/EXAT/PXAT), not yet checked.
struct ExpiryArg {
  std::string_view text;
  bool in_seconds = false;  // EX, EXAT
  bool relative = false;    // EX, PX: counted from now
};

// The absolute Unix-ms time an expiry argument names.  kNotAnInteger if the text is not an
// int64; kInvalidExpire if it is not positive, or overflows when scaled or added to now_ms.
// A result in the past is valid (EXAT 1): the caller deletes instead of storing.
OpResult<int64_t> ResolveExpiry(const ExpiryArg& arg, int64_t now_ms);

// The live string entry of `key`, nullptr if there is none; kWrongType for another type.
OpResult<const Entry*> OpGetString(DbAccess& db, std::string_view key);

struct SetParams {
  enum class Condition : uint8_t { kAlways, kIfMissing, kIfExists };
  Condition condition = Condition::kAlways;
  bool keep_ttl = false;
  bool return_old = false;           // SET ... GET: fails with kWrongType on another type
  int64_t expire_at_ms = kNoExpiry;  // absolute; kNoExpiry: none given
};
struct SetOutcome {
  bool applied = false;                  // false iff the NX/XX condition refused the write
  std::optional<std::string> old_value;  // with return_old, the previous string if any
};
// SET and its variants.  An expiry at or before now deletes the key instead of storing it
// (the value would be invisible anyway).  Any type is overwritten unless return_old is set.
OpResult<SetOutcome> OpSet(DbAccess& db, std::string_view key, std::string_view value,
                           const SetParams& params);

// GETSET: stores `value` without expiry and returns the previous string (nullopt if none).
OpResult<std::optional<std::string>> OpGetSet(DbAccess& db, std::string_view key,
                                              std::string_view value);
// GETDEL: deletes a string key and returns its value (nullopt if none).
OpResult<std::optional<std::string>> OpGetDel(DbAccess& db, std::string_view key);

struct GetExParams {
  std::optional<ExpiryArg> expiry;  // resolved only once the key is known to be a string
  bool persist = false;
};
// GETEX: the value (nullopt if none), then the expiry change.  An absolute expiry in the past
// deletes the key.  Fails with kWrongType, then ResolveExpiry's statuses, before any change;
// a missing key reports nullopt even if the expiry argument is invalid (as Redis does).
OpResult<std::optional<std::string>> OpGetEx(DbAccess& db, std::string_view key,
                                             const GetExParams& params);

// MSET: `kv` alternates keys and values; stores each pair in order (a repeated key ends with
// its last value), dropping any expiry.
// `stored`, when given, runs after each key's store (its keyspace events come in that order).
void OpMSet(DbAccess& db, const std::string_view* kv, size_t count,
            const std::function<void(std::string_view key)>& stored = nullptr);
// MSETNX: stores nothing and returns false if any key exists; otherwise like OpMSet.
bool OpMSetNx(DbAccess& db, const std::string_view* kv, size_t count,
              const std::function<void(std::string_view key)>& stored = nullptr);

// INCRBY: kWrongType, kNotAnInteger (the stored value), kOverflow; the new value otherwise.
OpResult<int64_t> OpIncrBy(DbAccess& db, std::string_view key, int64_t delta);

struct FloatIncrOutcome {
  bool finite = false;  // false: the sum was NaN or infinite and nothing was stored
  std::string text;     // the stored value, as LongDoubleToHumanString prints it
};
// INCRBYFLOAT: kWrongType, then kNotAFloat (stored value, then `delta_text`).
OpResult<FloatIncrOutcome> OpIncrByFloat(DbAccess& db, std::string_view key,
                                         std::string_view delta_text);

// APPEND: the new length; kSizeLimit if it would exceed max_length.
OpResult<size_t> OpAppend(DbAccess& db, std::string_view key, std::string_view value,
                          int64_t max_length);
// SETRANGE with offset >= 0: the new length; kSizeLimit past max_length.  An empty `value`
// changes nothing (and creates nothing).
OpResult<size_t> OpSetRange(DbAccess& db, std::string_view key, int64_t offset,
                            std::string_view value, int64_t max_length);

// GETRANGE's slice of `s`: negative indices count from the end, out-of-range ones are
// clamped, and an empty slice results when start > end.
std::string_view StringRange(std::string_view s, int64_t start, int64_t end);

}  // namespace tessera::keyspace
