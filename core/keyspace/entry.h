// Entry: one key of the keyspace and its value, in a single allocation.
//
// Memory per key is a project goal (DESIGN 9), so an entry is a packed byte blob rather than
// Redis's dictEntry + key sds + robj + value sds (four allocations).  Layout:
//
//   byte 0      meta: bits 0-2 ValueType, bits 3-5 Encoding, bit 6 "long expiry",
//               bit 7 "has expiry"
//   bytes 1-3   24-bit access clock in seconds (OBJECT IDLETIME), as Redis's LRU field
//   [6/8 bytes] absolute expiry in Unix milliseconds, present iff "has expiry": 6 bytes
//               (48 bits, enough until the year 10889) unless "long expiry" says 8.  The two
//               bytes matter: a 100-byte session value with a 16-byte key and an expiry is
//               128 bytes in this layout, and 130 bytes would land in jemalloc's 160 class.
//   varint      key length, then the key bytes
//   value       kInt: 8 bytes int64; kEmbstr/kRaw: varint length + bytes;
//               kObject: a pointer to a heap object (aggregate types, see object.h)
//
// Entries are immutable in size: a change of length (new value, expiry added or removed)
// builds a new entry and the caller swaps the pointer in the table (ReplacePointer).  Changes
// that keep the size (INCR of an int, a new expiry time on a key that has one, the access
// clock) happen in place.  Unaligned fields are read and written with memcpy.
//
// An aggregate (list, hash, set, sorted set) is a separate heap object the entry points to and
// owns: it changes in place through object_as<T>(), so a push never reallocates the entry.
// Free() destroys it; CloneWithKey() deep-copies it; WithExpiry() and MoveWithKey() hand the
// same object to the new entry (see FreeShell).
//
// An Entry is owned by the table that points to it and is touched only under its shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tessera::keyspace {

enum class ValueType : uint8_t { kString = 0, kList, kSet, kZSet, kHash, kStream };

// Redis's OBJECT ENCODING names for strings: "int", "embstr", "raw".  Embstr and raw are
// stored alike; the distinction is kept because clients and tests read it.
enum class Encoding : uint8_t { kInt = 0, kEmbstr, kRaw, kObject };

inline constexpr int64_t kNoExpiry = -1;
// Redis turns strings of at most this length into embstr.
inline constexpr size_t kEmbstrMaxLength = 44;

class Entry {
 public:
  // New string entries.  `expire_at_ms` is kNoExpiry or an absolute Unix time in ms.
  static Entry* NewString(std::string_view key, std::string_view value, Encoding encoding,
                          int64_t expire_at_ms, uint32_t clock);
  static Entry* NewInt(std::string_view key, int64_t value, int64_t expire_at_ms,
                       uint32_t clock);
  // Picks int/embstr/raw the way Redis's tryObjectEncoding() does for SET and friends.
  static Entry* NewStringAutoEncoded(std::string_view key, std::string_view value,
                                     int64_t expire_at_ms, uint32_t clock);
  // A raw string of `length` zero bytes, allocated to size (no spare room, as Redis's
  // sdsnewlen), for a caller to fill through mutable_raw_data(): SETBIT or BITFIELD on a
  // missing key, BITOP's result.  A temporary string would double a large bitmap's memory.
  static Entry* NewZeroedRaw(std::string_view key, size_t length, int64_t expire_at_ms,
                             uint32_t clock);
  // An aggregate entry owning `object`, whose class matches `type` (object.h).
  static Entry* NewObject(std::string_view key, ValueType type, void* object,
                          int64_t expire_at_ms, uint32_t clock);
  // Frees the entry and, for an aggregate, its object.
  static void Free(Entry* e);
  // Frees the entry's own allocation only: another entry now owns its object (WithExpiry,
  // MoveWithKey).  For a string entry this is Free().
  static void FreeShell(Entry* e);

  // A copy with another key, value deep-copied (COPY keeps value, encoding and expiry).
  static Entry* CloneWithKey(const Entry* e, std::string_view key);
  // The same value and expiry under another key (RENAME): an aggregate's object moves to the
  // new entry, not copied.  Frees `e`'s shell; REQUIRES: `e` is detached from its table.
  static Entry* MoveWithKey(Entry* e, std::string_view key);
  // Gives a string value `new_length` bytes, keeping the first min(old, new) bytes and zeroing
  // the rest; the encoding becomes raw (APPEND, SETRANGE, SETBIT).  Returns `e` itself when the
  // allocation has room.  Otherwise returns a new entry with 50% spare room, so a value built by
  // many small appends is copied O(log n) times, not once per append; the caller swaps the
  // pointer (DbAccess::Replace) and that frees `e`.  REQUIRES: a string entry, !is_int().
  // With `spare_room` false a new entry is allocated to size instead (the allocator's size
  // class still leaves some room): for values that grow a few bytes at a time but stay small,
  // like a sparse HyperLogLog, where 50% spare would be a large share of their memory.
  static Entry* ResizeString(Entry* e, size_t new_length, bool spare_room = true);
  // A copy with the expiry set (kNoExpiry removes it).  Frees nothing: the caller frees `e`
  // after swapping the pointer (DbAccess::Replace knows that an aggregate's object now belongs
  // to the copy).  Returns `e` itself when the change fits in place.
  static Entry* WithExpiry(Entry* e, int64_t expire_at_ms);

  std::string_view key() const;
  ValueType type() const { return static_cast<ValueType>(meta() & 0x7); }
  Encoding encoding() const { return static_cast<Encoding>((meta() >> 3) & 0x7); }
  bool has_expiry() const { return (meta() & 0x80) != 0; }
  // REQUIRES: has_expiry().
  int64_t expire_at() const;
  // kNoExpiry when the key is persistent.
  int64_t expire_at_or_none() const { return has_expiry() ? expire_at() : kNoExpiry; }
  bool IsExpired(int64_t now_ms) const { return has_expiry() && expire_at() <= now_ms; }

  uint32_t clock() const;
  void set_clock(uint32_t seconds);

  // String values.  REQUIRES: type() == kString.
  bool is_int() const { return encoding() == Encoding::kInt; }
  int64_t int_value() const;          // REQUIRES: is_int()
  void set_int_value(int64_t v);      // REQUIRES: is_int(); in place
  std::string_view raw_value() const; // REQUIRES: !is_int()
  char* mutable_raw_data();           // REQUIRES: !is_int(); raw_value().size() bytes
  // The value as bytes; an int is formatted into `buf` (at least 21 bytes).
  std::string_view StringValue(char* buf) const;
  size_t StringLength() const;

  // Aggregate values.  REQUIRES: encoding() == Encoding::kObject.
  bool is_object() const { return encoding() == Encoding::kObject; }
  void* object() const;
  void set_object(void* object);
  template <class T>
  T* object_as() const {
    return static_cast<T*>(object());
  }

  // Bytes this entry occupies (header, key and inline value), for MEMORY USAGE and tests.
  size_t AllocationSize() const;

 private:
  Entry() = delete;
  uint8_t meta() const { return bytes()[0]; }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this); }
  bool long_expiry() const { return (meta() & 0x40) != 0; }
  size_t KeyOffset() const { return 4 + (has_expiry() ? (long_expiry() ? 8 : 6) : 0); }
  // Offset of the value, just after the key.
  size_t ValueOffset() const;
};

}  // namespace tessera::keyspace
