// HashValue: the value of a hash key, field -> value, with optional per-field expiry (Redis
// 7.4 hash-field TTLs).
//
// Two encodings, as in Redis, reported by OBJECT ENCODING:
//  - packed ("listpack", or "listpackex" once any field TTL was set): the header below, then
//    the pairs back to back in insertion order, each `varint flen, field, varint vlen, value`
//    and, in the ex form, 6 bytes of expiry (little-endian Unix ms, 0 = none).  A string costs
//    its length + 1 byte, like a listpack's len + 2 but with no back-length: lookups and
//    iteration only go forward.  In the ex form pairs with an expiry come first, ascending by
//    time (ties in the order they were set), then the others: Redis keeps that order too, and
//    it makes "purge the expired" read only the front.
//  - table ("hashtable"): a core/ds HashTable of nodes, each one allocation holding flags,
//    optional expiry, field and value (Redis: dictEntry + field sds + value sds, three).
//    Fields with an expiry are also indexed by (time, node) in an ordered set.
// A packed value becomes a table past hash-max-listpack-entries pairs or when a field or value
// longer than hash-max-listpack-value is stored, and never goes back (as Redis).
//
// The object is one variable-size malloc block (header + pairs), not a handle plus a buffer:
// that saves an allocation and 8 bytes per small hash, the common case.  The price: a change
// of size may move it, so every mutator is a static function taking `HashValue**` and the
// caller stores the new pointer back (Entry::set_object).
//
// Expiry is not checked by lookups: callers purge first (PurgeExpired), so a field past its
// time is never seen.  Pure (no clock): times are passed in.  Not thread-safe; the owner's
// shard lock protects it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/hash.h"
#include "core/ds/hash_table.h"

namespace tessera::types {

// Field expiry: absolute Unix ms; kNoFieldExpiry means none.
inline constexpr int64_t kNoFieldExpiry = -1;
// The largest absolute field expiry Redis 7.4 accepts (EB_EXPIRE_TIME_MAX >> 2).
inline constexpr int64_t kMaxFieldExpiryMs = (int64_t{1} << 46) - 1;

struct HashLimits {
  size_t max_entries = 128;  // hash-max-listpack-entries
  size_t max_value = 64;     // hash-max-listpack-value
};

class HashValue {
 public:
  struct Pair {
    std::string_view field;
    std::string_view value;
  };
  // NX/XX/GT/LT of HEXPIRE (at most one).
  enum class ExpireCondition : uint8_t { kNone, kNx, kXx, kGt, kLt };
  // HEXPIRE's per-field reply codes (Redis 7.4).
  enum ExpireResult : int { kNoField = -2, kConditionNotMet = 0, kSet = 1, kDeleted = 2 };

  // A new empty packed value.
  static HashValue* New();
  // Loading (RDB files, RESTORE): a packed value ("listpack") holding `pairs` in their order,
  // built in one allocation with one duplicate check (HasDuplicate) instead of a lookup per
  // pair.  nullptr with *duplicate set when two pairs share a field; nullptr with it clear
  // when the pairs would pass the packed size bound (the caller builds pair by pair then).
  static HashValue* NewPacked(std::span<const Pair> pairs, bool* duplicate);
  // Loading a hash that will hold `n` fields, more than fit packed: an empty packed value
  // becomes an empty table sized for n, so that setting them never converts or grows it.
  static void ReserveTableForLoad(HashValue** v, size_t n);
  ~HashValue();
  static void operator delete(void* p);
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;

  HashValue* Clone() const;
  std::string_view EncodingName() const;
  size_t AllocationSize() const;

  size_t size() const;
  bool empty() const { return size() == 0; }
  bool is_packed() const { return kind_ != kTable; }

  // The value of `field`, or nullopt.  The view is valid until the next mutation.
  std::optional<std::string_view> Find(std::string_view field) const;
  // The expiry of `field`: kNoFieldExpiry if it has none; nullopt if there is no such field.
  std::optional<int64_t> FindExpiry(std::string_view field) const;

  // Calls fn(field, value) for every pair: insertion order when packed.
  template <class Fn>
  void ForEach(Fn&& fn) const;
  // Every pair, in ForEach's order.
  std::vector<Pair> Pairs() const;

  // One HSCAN step: calls fn(field, value) for pairs from `cursor` on, at least `count` of them
  // (a packed value returns all and 0).  Returns the next cursor, 0 when done.  A table cursor
  // is a position in hash space (HashTable::Scan), with HSCAN's guarantee across resizes.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // A pair chosen from `random_bits` (REQUIRES !empty()).  Uniform when packed; for a table,
  // HashTable::RandomElement's slight bias.
  Pair RandomPair(uint64_t random_bits) const;

  // The earliest field expiry, or kNoFieldExpiry when no field has one.
  int64_t MinExpiry() const;

  // --- Mutators: *v may move. ---------------------------------------------------------------

  // Converts a packed value to a table before writing the pairs `args` (field, value, ...)
  // when they cannot all stay packed: more pairs than max_entries, or any string longer than
  // max_value (Redis's hashTypeTryConversion).
  static void PrepareForWrite(HashValue** v, std::span<const std::string_view> args,
                              const HashLimits& limits);
  // Sets field to value.  Without keep_expiry an existing expiry is dropped (HSET); with it,
  // kept (HINCRBY).  Returns true iff the field is new.  Converts as the limits require.
  static bool Set(HashValue** v, std::string_view field, std::string_view value,
                  const HashLimits& limits, bool keep_expiry = false);
  // Removes field; returns true iff it existed.
  static bool Delete(HashValue** v, std::string_view field);
  // Makes a packed value the ex form ("listpackex"); Redis does it on the first HEXPIRE.
  static void EnableFieldExpiry(HashValue** v);
  // Sets field's expiry to `at_ms` under `cond` (a field without expiry counts as infinite
  // for GT/LT).  A time at or before now_ms deletes the field (kDeleted).
  static ExpireResult SetExpiry(HashValue** v, std::string_view field, int64_t at_ms,
                                ExpireCondition cond, int64_t now_ms);
  // Removes field's expiry.  Returns -2 no field, -1 no expiry, 1 removed (Redis HPERSIST).
  static int Persist(HashValue** v, std::string_view field);
  // Deletes every field whose expiry is at or before now_ms; returns how many.  Packed: reads
  // only the expired prefix; table: O(log n) per expired field.
  static size_t PurgeExpired(HashValue** v, int64_t now_ms);

  // For tests: true iff the internal invariants hold.
  bool CheckInvariants() const;

 private:
  struct TableRep;
  enum Kind : uint32_t { kPacked = 0, kPackedEx = 1, kTable = 2 };
  static constexpr size_t kHeaderSize = 8;

  HashValue() = default;
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this) + kHeaderSize; }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this) + kHeaderSize; }
  TableRep* table();
  const TableRep* table() const;

  // Packed helpers (packed_ops in the .cc).
  struct PackedRef {
    size_t offset = 0;  // of the pair's first byte
    size_t length = 0;  // bytes of the whole pair
    std::string_view field;
    std::string_view value;
    int64_t expiry = kNoFieldExpiry;
  };
  bool PackedNext(size_t* offset, PackedRef* out) const;
  bool PackedFind(std::string_view field, PackedRef* out) const;
  static void PackedErase(HashValue** v, const PackedRef& ref);
  static void PackedInsertAt(HashValue** v, size_t offset, std::string_view field,
                             std::string_view value, int64_t expiry);
  static size_t PackedPosForExpiry(const HashValue* v, int64_t expiry);
  static void ConvertToTable(HashValue** v);
  template <class Fn>
  void TableForEach(Fn&& fn) const;
  template <class Fn>
  uint64_t TableScan(uint64_t cursor, size_t count, Fn& fn) const;
  Pair TableRandom(uint64_t random_bits) const;

  uint32_t bytes_ = 0;     // packed: bytes of pairs after the header
  uint32_t count_ : 30;    // packed: number of pairs
  uint32_t kind_ : 2;      // Kind
};

// One field of a table-encoded hash, in one allocation: a flags byte (bit 0: has expiry),
// 6 bytes of expiry when flagged, varint field length, field, varint value length, value.
// Opaque: only pointers to it exist.
class HashNode {
 public:
  static HashNode* Make(std::string_view field, std::string_view value, int64_t expiry);
  static void Free(HashNode* n);
  std::string_view field() const;
  std::string_view value() const;
  int64_t expiry() const;  // kNoFieldExpiry if none
  size_t AllocationSize() const;

 private:
  HashNode() = delete;
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this); }
};

struct HashNodeTraits {
  static uint64_t Hash(const HashNode* n) { return HashBytes(n->field()); }
  static bool Equals(const HashNode* n, std::string_view key) { return n->field() == key; }
};

struct HashValue::TableRep {
  ds::HashTable<HashNode, HashNodeTraits> table;
  std::set<std::pair<int64_t, HashNode*>> expiries;  // nodes with an expiry, by time
  size_t node_bytes = 0;                             // sum of the nodes' allocation sizes
};

inline HashValue::TableRep* HashValue::table() {
  return reinterpret_cast<TableRep*>(reinterpret_cast<uint8_t*>(this) + 16);
}
inline const HashValue::TableRep* HashValue::table() const {
  return reinterpret_cast<const TableRep*>(reinterpret_cast<const uint8_t*>(this) + 16);
}

template <class Fn>
void HashValue::TableForEach(Fn&& fn) const {
  table()->table.ForEach([&](const HashNode* n) { fn(n->field(), n->value()); });
}

template <class Fn>
void HashValue::ForEach(Fn&& fn) const {
  if (kind_ == kTable) return TableForEach(fn);
  size_t offset = 0;
  PackedRef ref;
  while (PackedNext(&offset, &ref)) fn(ref.field, ref.value);
}

// Wire cursors are table cursors (positions in hash space) shifted right by kCursorShift, so
// they stay below 2^53 for clients that parse them as doubles.  As in server/keyspace_ops.h,
// a step scans on until the table cursor passes the next representable point and keeps only
// the fields whose hash lies in the interval this step covers: each field present for the
// whole iteration is returned exactly once.
template <class Fn>
uint64_t HashValue::TableScan(uint64_t cursor, size_t count, Fn& fn) const {
  constexpr int kCursorShift = 11;
  const auto& t = table()->table;
  if (cursor >= (uint64_t{1} << (64 - kCursorShift))) return 0;
  const uint64_t start = cursor << kCursorShift;
  uint64_t end = 0;  // exclusive bound of this step; 0 = the end of hash space
  uint64_t at = start;
  bool done = false;
  std::vector<const HashNode*> beyond;  // past `end`: returned only if the scan ends here
  for (;;) {
    auto r = t.Scan(at, count, [&](const HashNode* n) {
      const uint64_t h = HashBytes(n->field());
      if (h < start) return;
      if (end == 0 || h < end) {
        fn(n->field(), n->value());
      } else {
        beyond.push_back(n);
      }
    });
    if (r.done) {
      for (const HashNode* n : beyond) fn(n->field(), n->value());
      done = true;
      break;
    }
    at = r.next_cursor;
    if (end == 0) {
      const uint64_t wire = (at >> kCursorShift) + ((at & ((1u << kCursorShift) - 1)) != 0);
      if (wire >= (uint64_t{1} << (64 - kCursorShift))) continue;  // scan on to the end
      end = wire << kCursorShift;
    }
    if (at >= end) break;
  }
  return done ? 0 : end >> kCursorShift;
}

template <class Fn>
uint64_t HashValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (kind_ == kTable) return TableScan(cursor, count, fn);
  ForEach(fn);
  return 0;
}

}  // namespace tessera::types
