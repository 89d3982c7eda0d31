// SetValue: the set type, in Redis 7.2's three encodings and with its conversion rules, because
// clients and the Redis test suite read OBJECT ENCODING at every threshold.
//
//   intset     a sorted array of int16, int32 or int64 (all the same width, widened as
//              needed, never narrowed), while every member is an integer in Redis's canonical
//              form (no sign '+', no leading zero) and the count <= set-max-intset-entries.
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
// The object is 16 bytes: one pointer to the encoding's storage, the count, and a 30-bit field
// (intset: bytes per integer; listpack: bytes used) beside a 2-bit encoding.  Packed storage
// is reallocated to its exact size on every change, as Redis does; the allocator's size
// classes make most of those in place.  A SetValue belongs to one entry and is touched only
// under its shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Random bits for SPOP and SRANDMEMBER (splitmix64).  Core reads no global state, so the
// caller seeds it.
class RandomBits {
 public:
  explicit RandomBits(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n).  REQUIRES: n > 0.
  uint64_t Below(uint64_t n);

 private:
  uint64_t state_;
};

class SetValue {
 public:
  enum class Encoding : uint8_t { kIntset = 0, kListpack = 1, kHashtable = 2 };

  // An empty set of encoding `enc`.
  explicit SetValue(Encoding enc);
  ~SetValue();
  SetValue(const SetValue&) = delete;
  SetValue& operator=(const SetValue&) = delete;

  // setTypeCreate: an empty set ready for about `size_hint` members, `first` among them:
  // intset if `first` is an integer and size_hint <= max_intset_entries, else listpack if
  // size_hint <= max_listpack_entries, else hashtable.
  static SetValue* Create(std::string_view first, size_t size_hint, const SetLimits& limits);

  SetValue* Clone() const;
  std::string_view EncodingName() const;
  size_t AllocationSize() const;

  Encoding encoding() const { return static_cast<Encoding>(encoding_); }
  size_t size() const;
  bool empty() const { return size() == 0; }

  // setTypeMaybeConvert: to hashtable when `size_hint` members would not fit the current
  // packed encoding's entry limit.
  void MaybeConvert(size_t size_hint, const SetLimits& limits);
  // Adds a member; returns true iff it was not present.  Converts as setTypeAddAux does.
  bool Add(std::string_view member, const SetLimits& limits);
  bool Add(const SetMember& member, const SetLimits& limits);
  // Removes a member; returns true iff it was present.  Never changes the encoding.
  bool Remove(std::string_view member);
  bool Remove(const SetMember& member);
  bool Contains(std::string_view member) const;
  bool Contains(const SetMember& member) const;

  // Calls fn(const SetMember&) for every member: intset in ascending order, listpack in
  // insertion order, hashtable in table order.  The set must not change meanwhile.
  template <class Fn>
  void ForEach(Fn&& fn) const;

  // A member chosen uniformly at random.  REQUIRES: !empty().
  SetMember RandomMember(RandomBits& rng) const;
  // Removes a member chosen uniformly at random and returns it.  REQUIRES: !empty().
  std::string PopRandom(RandomBits& rng);
  // Calls fn(const SetMember&, size_t position) for `count` distinct members chosen uniformly
  // at random, in storage order (selection sampling, Knuth's algorithm S).  REQUIRES: count <=
  // size() and a packed encoding.
  template <class Fn>
  void ForEachSampled(size_t count, RandomBits& rng, Fn&& fn) const;
  // Removes the packed members at the given storage positions (ascending).
  void RemovePackedAt(const std::vector<size_t>& positions);

  // maybeConvertToIntset: to intset unless it is one or holds more than max_intset_entries.
  // REQUIRES: every member is a canonical integer.
  void MaybeConvertToIntset(const SetLimits& limits);

  // SSCAN of a hashtable set: calls fn(const SetMember&, uint64_t hash) as ds::HashTable::Scan
  // does, returning its result.  REQUIRES: encoding() == kHashtable.
  struct ScanResult {
    uint64_t next_cursor;
    bool done;
  };
  template <class Fn>
  ScanResult ScanTable(uint64_t cursor, size_t count, Fn&& fn) const;
  static uint64_t HashMember(std::string_view member);

  // For tests: the intset's bytes per integer (2, 4 or 8).  REQUIRES: intset.
  size_t intset_width() const { return aux_; }

 private:
  struct Node;  // varint length + bytes, one allocation
  struct NodeTraits {
    static uint64_t Hash(const Node* n);
    static bool Equals(const Node* n, std::string_view key);
  };
  using Table = ds::HashTable<Node, NodeTraits>;

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
  void SetIntAt(size_t i, int64_t v);
  // Index of v, or the insertion point with *found = false.
  size_t IntsetSearch(int64_t v, bool* found) const;
  bool IntsetAdd(int64_t v);
  bool IntsetRemove(int64_t v);

  // Listpack.
  const uint8_t* packed() const { return static_cast<const uint8_t*>(data_); }
  // Offset of the entry equal to m, or kNotFound.
  size_t PackedFind(const SetMember& m) const;
  void PackedAppend(const SetMember& m);
  void PackedEraseAt(size_t offset);

  // Hashtable.
  Table* table() const { return static_cast<Table*>(data_); }
  bool TableAdd(std::string_view s);

  bool AddToIntset(const SetMember& m, const SetLimits& limits);
  bool AddToListpack(const SetMember& m, const SetLimits& limits);
  void ConvertToHashtable();
  void ConvertToListpack();
  void ReleaseStorage();
  static size_t IntsetMaxEntries(const SetLimits& limits);

  static constexpr size_t kNotFound = ~size_t{0};
  // Redis's lpSafeToAdd bound (LISTPACK_MAX_SAFETY_SIZE): a packed set never passes 1 GiB.
  static constexpr size_t kMaxPackedBytes = size_t{1} << 30;

  void* data_ = nullptr;  // intset: integers; listpack: entries; hashtable: Table*
  uint32_t size_ = 0;     // members of a packed encoding
  uint32_t aux_ : 30;     // intset: bytes per integer; listpack: bytes used
  uint32_t encoding_ : 2;
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
void SetValue::ForEachSampled(size_t count, RandomBits& rng, Fn&& fn) const {
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
