// SetValue: the set type, in Redis 7.2's three encodings and with its conversion rules, because
// clients and the Redis test suite read OBJECT ENCODING at every threshold.
//
//   intset     a sorted array of integers bit-packed at one width (1 to 64 bits, unsigned
//              while no member is negative; widened as needed, never narrowed), while every
//              member is an integer in Redis's canonical form (no sign '+', no leading zero)
//              and the count <= set-max-intset-entries.  Redis packs at 16, 32 or 64 bits.
//   listpack   a packed byte array of entries in insertion order, while the count <=
//              set-max-listpack-entries and every member <= set-max-listpack-value bytes.  Our
//              entry format is our own (Redis's listpack is not needed in memory; RDB writes
//              will translate): a tag byte, then a string's bytes or a little-endian integer
//              of 1-8 bytes.  Canonical integers are stored as integers, as Redis's listpack
//              does, so a small string costs len+1 bytes against Redis's len+2.
//   hashtable  ds::HashTable of pointers to nodes, each one allocation of varint length +
//              bytes (~len+1 rounded to the allocator's class).  Redis 7.2 spends a bucket
//              pointer plus an sds (header, bytes, NUL) per member.
//
// Conversions follow t_set.c: Create() is setTypeCreate (the size hint chooses the first
// encoding), MaybeConvert() is setTypeMaybeConvert, Add() converts intset -> listpack or
// hashtable and listpack -> hashtable exactly where setTypeAddAux does, and nothing converts
// back except MaybeConvertToIntset() (SINTERSTORE's result).
//
// The object is one malloc block: an 8-byte header (the count, a 30-bit field -- intset: its
// bit format; listpack: bytes used -- and a 2-bit encoding) followed by the encoding's
// storage: the integers, the listpack entries, or the ds::HashTable itself.  Rejected: a fixed
// handle pointing at a separate buffer (the first version), which cost a second allocation and
// 16 bytes per small set, the common case.  The price, as for HashValue: a packed set changes
// size by realloc and may move, so every mutator is a static function taking `SetValue**` and
// the caller stores the new pointer back (Entry::set_object).  A hashtable set never moves: its
// block is allocated once, at the conversion.  Packed storage is reallocated to its exact size
// on every change, as Redis does; the allocator's size classes make most of those in place.  A
// SetValue belongs to one entry and is touched only under its shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/random.h"
#include "core/ds/hash_table.h"

namespace tessera::types {

// The configured thresholds (set-max-intset-entries, set-max-listpack-entries,
// set-max-listpack-value), read by the caller and passed in.
struct SetLimits {
  size_t max_intset_entries = 512;
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

// A member as the set hands it out: an integer (intset, and integer listpack entries) or a
// view of bytes owned by the set (valid until the set changes).
struct SetMember {
  std::string_view str;
  int64_t num = 0;
  bool is_int = false;

  static SetMember Int(int64_t v) { return SetMember{{}, v, true}; }
  static SetMember Str(std::string_view s) { return SetMember{s, 0, false}; }
  // The member's bytes; an integer is formatted into `buf` (at least 21 bytes).
  std::string_view View(char* buf) const;
  std::string ToString() const;
};

class SetValue {
 public:
  enum class Encoding : uint8_t { kIntset = 0, kListpack = 1, kHashtable = 2 };

  // An empty set of encoding `enc`.  Free it with `delete`.
  static SetValue* New(Encoding enc);
  ~SetValue();
  static void operator delete(void* p);
  SetValue(const SetValue&) = delete;
  SetValue& operator=(const SetValue&) = delete;

  // setTypeCreate: an empty set ready for about `size_hint` members, `first` among them:
  // intset if `first` is an integer and size_hint <= max_intset_entries, else listpack if
  // size_hint <= max_listpack_entries, else hashtable.
  static SetValue* Create(std::string_view first, size_t size_hint, const SetLimits& limits);

  // Loading (RDB files, RESTORE), each in one allocation:
  // An intset of `ascending` (REQUIRES: strictly ascending), at the format adding them one by
  // one would have reached.
  static SetValue* NewIntset(std::span<const int64_t> ascending);
  // A listpack of `members` in their order (canonical integer strings stored as integers, as
  // Add does).  nullptr with *duplicate set when two members are equal; nullptr with it clear
  // when they would pass the packed size bound (the caller adds them one by one then).
  static SetValue* NewListpack(std::span<const SetMember> members, bool* duplicate);
  // Sizes a still-empty hashtable set for `n` members, so that adding them never grows it
  // (a load that knows the count); no-op for the packed encodings.
  void ReserveForLoad(size_t n);

  SetValue* Clone() const;
  std::string_view EncodingName() const;
  size_t AllocationSize() const;

  Encoding encoding() const { return static_cast<Encoding>(encoding_); }
  size_t size() const;
  bool empty() const { return size() == 0; }

  bool Contains(std::string_view member) const;
  bool Contains(const SetMember& member) const;

  // Calls fn(const SetMember&) for every member: intset in ascending order, listpack in
  // insertion order, hashtable in table order.  The set must not change meanwhile.
  template <class Fn>
  void ForEach(Fn&& fn) const;

  // A member chosen uniformly at random.  REQUIRES: !empty().
  SetMember RandomMember(SplitMix64& rng) const;
  // Calls fn(const SetMember&, size_t position) for `count` distinct members chosen uniformly
  // at random, in storage order (selection sampling, Knuth's algorithm S).  REQUIRES: count <=
  // size() and a packed encoding.
  template <class Fn>
  void ForEachSampled(size_t count, SplitMix64& rng, Fn&& fn) const;

  // SSCAN of a hashtable set: calls fn(const SetMember&, uint64_t hash) as ds::HashTable::Scan
  // does, returning its result.  REQUIRES: encoding() == kHashtable.
  struct ScanResult {
    uint64_t next_cursor;
    bool done;
  };
  template <class Fn>
  ScanResult ScanTable(uint64_t cursor, size_t count, Fn&& fn) const;
  static uint64_t HashMember(std::string_view member);

  // For tests: the intset's bits per integer (1..64) and whether they are two's complement.
  // REQUIRES: intset.
  size_t intset_bits() const { return aux_ & 0x7F; }
  bool intset_signed() const { return (aux_ & 0x80) != 0; }

  // --- Mutators: *s may move; the caller stores it back. -------------------------------------

  // setTypeMaybeConvert: to hashtable when `size_hint` members would not fit the current
  // packed encoding's entry limit.
  static void MaybeConvert(SetValue** s, size_t size_hint, const SetLimits& limits);
  // Adds a member; returns true iff it was not present.  Converts as setTypeAddAux does.
  static bool Add(SetValue** s, std::string_view member, const SetLimits& limits);
  static bool Add(SetValue** s, const SetMember& member, const SetLimits& limits);
  // Removes a member; returns true iff it was present.  Never changes the encoding.
  static bool Remove(SetValue** s, std::string_view member);
  static bool Remove(SetValue** s, const SetMember& member);
  // Removes a member chosen uniformly at random and returns it.  REQUIRES: !empty().
  static std::string PopRandom(SetValue** s, SplitMix64& rng);
  // Removes the packed members at the given storage positions (ascending).
  static void RemovePackedAt(SetValue** s, const std::vector<size_t>& positions);
  // maybeConvertToIntset: to intset unless it is one or holds more than max_intset_entries.
  // REQUIRES: every member is a canonical integer.
  static void MaybeConvertToIntset(SetValue** s, const SetLimits& limits);

 private:
  struct Node;  // varint length + bytes, one allocation
  struct NodeTraits {
    static uint64_t Hash(const Node* n);
    static bool Equals(const Node* n, std::string_view key);
  };
  using Table = ds::HashTable<Node, NodeTraits>;
  static constexpr size_t kHeaderSize = 8;

  SetValue() = default;
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this) + kHeaderSize; }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this) + kHeaderSize; }
  // Bytes of packed storage after the header.  REQUIRES: a packed encoding.
  size_t packed_bytes() const;

  // A block for a packed encoding with room for `bytes` of storage, header filled in.
  static SetValue* NewPacked(Encoding enc, uint32_t size, uint32_t aux, size_t bytes);
  // Reallocates a packed block to `bytes` of storage.
  static SetValue* ResizePacked(SetValue* s, size_t bytes);

  static std::string_view NodeView(const Node* n);
  static Node* NewNode(std::string_view s);
  static void FreeNode(Node* n);

  // Packed listpack entries.
  static size_t EntrySize(const uint8_t* p);
  static SetMember DecodeEntry(const uint8_t* p);
  static size_t EncodedSize(const SetMember& m);
  static void EncodeEntry(const SetMember& m, uint8_t* out);

  // Intset.
  int64_t IntAt(size_t i) const;
  // Index of v, or the insertion point with *found = false.
  size_t IntsetSearch(int64_t v, bool* found) const;
  static bool IntsetAdd(SetValue** s, int64_t v);
  static bool IntsetRemove(SetValue** s, int64_t v);

  // Listpack.
  const uint8_t* packed() const { return data(); }
  // Offset of the entry equal to m, or kNotFound.
  size_t PackedFind(const SetMember& m) const;
  static void PackedAppend(SetValue** s, const SetMember& m);
  static void PackedEraseAt(SetValue** s, size_t offset);
  // RemovePackedAt's compaction; leaves the block its old size.
  void RemovePackedAtInPlace(const std::vector<size_t>& positions);

  // Hashtable.
  Table* table() { return reinterpret_cast<Table*>(data()); }
  const Table* table() const { return reinterpret_cast<const Table*>(data()); }
  bool TableAdd(std::string_view s);

  static bool AddToIntset(SetValue** s, const SetMember& m, const SetLimits& limits);
  static bool AddToListpack(SetValue** s, const SetMember& m, const SetLimits& limits);
  static void ConvertToHashtable(SetValue** s);
  static void ConvertToListpack(SetValue** s);
  static size_t IntsetMaxEntries(const SetLimits& limits);

  static constexpr size_t kNotFound = ~size_t{0};
  // Redis's lpSafeToAdd bound (LISTPACK_MAX_SAFETY_SIZE): a packed set never passes 1 GiB.
  static constexpr size_t kMaxPackedBytes = size_t{1} << 30;

  uint32_t size_ = 0;     // members of a packed encoding
  uint32_t aux_ : 30;     // intset: format (see the .cc); listpack: bytes used
  uint32_t encoding_ : 2;
  // Followed by the storage: see data().
};

// ---- Templates --------------------------------------------------------------------------

template <class Fn>
void SetValue::ForEach(Fn&& fn) const {
  switch (encoding()) {
    case Encoding::kIntset:
      for (size_t i = 0; i < size_; ++i) fn(SetMember::Int(IntAt(i)));
      return;
    case Encoding::kListpack:
      for (size_t off = 0; off < aux_; off += EntrySize(packed() + off)) {
        fn(DecodeEntry(packed() + off));
      }
      return;
    case Encoding::kHashtable:
      table()->ForEach([&](Node* n) { fn(SetMember::Str(NodeView(n))); });
      return;
  }
}

template <class Fn>
void SetValue::ForEachSampled(size_t count, SplitMix64& rng, Fn&& fn) const {
  size_t left = size();
  size_t off = 0;
  for (size_t i = 0; count > 0 && i < size_; ++i, --left) {
    SetMember m;
    if (encoding() == Encoding::kIntset) {
      m = SetMember::Int(IntAt(i));
    } else {
      m = DecodeEntry(packed() + off);
      off += EntrySize(packed() + off);
    }
    if (rng.Below(left) < count) {
      fn(m, i);
      --count;
    }
  }
}

template <class Fn>
SetValue::ScanResult SetValue::ScanTable(uint64_t cursor, size_t count, Fn&& fn) const {
  Table::ScanResult r = table()->Scan(cursor, count, [&](Node* n) {
    std::string_view s = NodeView(n);
    fn(SetMember::Str(s), HashMember(s));
  });
  return {r.next_cursor, r.done};
}

}  // namespace tessera::types
