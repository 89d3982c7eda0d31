// ListValue: the value of a list key, in Redis 7.2's two encodings.
//
// - "listpack": one listpack (core/ds/listpack.h) holding every element, while the list is
//   small.  Cost per element: its length + 2 bytes (strings under 64 bytes), as in Redis.
// - "quicklist": a chain of nodes, each a listpack bounded by list-max-listpack-size (a
//   positive fill = elements per node, -1..-5 = 4..64 KB per node), or a "plain" node holding
//   one element of at least the packed threshold (DEBUG QUICKLIST-PACKED-THRESHOLD, 1 GB by
//   default) as raw bytes.  Pushing at either end touches one bounded node, so it is O(1) no
//   matter the length; a range is read straight out of the nodes.  The nodes sit in a
//   std::deque (24 bytes each) rather than Redis's doubly linked list of 32-byte nodes:
//   pushing a node at either end is O(1), an index walk steps through contiguous memory,
//   and inserting a node in the middle (LINSERT/LSET splitting a full node) moves at most
//   half of the node records, which is no worse than the O(n) element search that precedes it.
//
// Conversions follow t_list.c's listTypeTryConversion* exactly, because OBJECT ENCODING is
// checked by clients and tests: ConvertForGrowth() before adding (listpack -> quicklist when
// the listpack's bytes + the raw lengths added, or its length, would exceed the limit), and
// ConvertForShrink() after removing (a quicklist of one packed node back to a listpack when
// it is at most half the limit).  Node insertion, splitting and merging follow quicklist.c's
// rules, so that the same commands produce the same node layout and the same conversions.
// Compression (list-compress-depth) is not implemented: nodes stay uncompressed.
//
// A ListValue is never empty between commands (the key is deleted with its last element);
// the class itself allows empty lists.  Not thread-safe: touched under its shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace tessera::types {

enum class ListEnd : uint8_t { kHead, kTail };

// The settings that shape a list's encoding, read from the config by the caller.
struct ListLimits {
  int fill = -2;                             // list-max-listpack-size
  size_t packed_threshold = size_t{1} << 30;  // elements this long get a plain node
};

class ListValue {
 public:
  struct Quicklist;

  // A position in the list for reading: valid until the list changes.
  class Cursor {
   public:
    bool Valid() const { return p_ != nullptr; }
    // The element; an integer-encoded one is formatted into buf (>= 21 bytes).
    std::string_view Get(char* buf) const;
    bool Equals(std::string_view s) const;
    void Next();
    void Prev();

   private:
    friend class ListValue;
    // Points the cursor at node `node_` of a quicklist; `last` picks its last element.
    void EnterNode(bool last);

    const ListValue* list_ = nullptr;
    size_t node_ = 0;                // node index (0 in a listpack)
    const uint8_t* data_ = nullptr;  // the current listpack, or a plain node's bytes
    size_t plain_size_ = 0;          // a plain node's length
    bool plain_ = false;
    const uint8_t* p_ = nullptr;     // the element (data_ itself in a plain node)
  };

  ListValue();
  ~ListValue();
  ListValue(const ListValue&) = delete;
  ListValue& operator=(const ListValue&) = delete;

  ListValue* Clone() const;
  std::string_view EncodingName() const;
  size_t AllocationSize() const;

  size_t Length() const;
  bool is_listpack() const { return ql_ == nullptr; }

  // listTypeTryConversionAppend: before adding `add_count` elements of `add_bytes` raw bytes
  // in total, turns a listpack that would exceed the limit into a quicklist.
  void ConvertForGrowth(size_t add_bytes, size_t add_count, const ListLimits& limits);
  // listTypeTryConversion(LIST_CONV_SHRINKING): after removals, turns a quicklist of one
  // packed node within half the limits back into a listpack.
  void ConvertForShrink(const ListLimits& limits);
  // listTypeTryConversion(LIST_CONV_AUTO) on a quicklist: one packed node within the node
  // limits (not halved) becomes a listpack.  SORT ... STORE builds its result as a quicklist
  // (NewQuicklist) and then calls this, as Redis does, so the encoding it leaves matches.
  void ConvertIfSmall(const ListLimits& limits);
  // An empty list in the quicklist encoding (see ConvertIfSmall).
  static ListValue* NewQuicklist(const ListLimits& limits);

  void Push(std::string_view value, ListEnd end, const ListLimits& limits);
  // REQUIRES: Length() > 0.
  std::string Pop(ListEnd end);

  // The element at `index` (negative counts from the end); !Valid() when out of range.
  Cursor At(int64_t index) const;

  // Deletes `count` elements from `start`.  REQUIRES: 0 <= start, start + count <= Length().
  void DeleteRange(size_t start, size_t count);
  // Replaces the element at `index` (negative from the end); false iff out of range.
  bool Set(int64_t index, std::string_view value, const ListLimits& limits);
  // Inserts `value` before (or after) the first element equal to `pivot`; false iff there
  // is no such element.
  bool Insert(std::string_view pivot, std::string_view value, bool after,
              const ListLimits& limits);
  // Removes elements equal to `value`: the first `count` from the head when count > 0, the
  // last -count from the tail when count < 0, all when 0.  Returns how many went.
  size_t Remove(std::string_view value, int64_t count);

  // Layout of a quicklist, for DEBUG OBJECT and tests (zeros for a listpack).
  struct QuicklistInfo {
    size_t nodes = 0;
    size_t plain_nodes = 0;
    int fill = 0;
    size_t total_bytes = 0;  // sum of node sizes
  };
  QuicklistInfo quicklist_info() const;
  // Nodes of a quicklist (0 for a listpack), in O(1): lazy freeing's effort.
  size_t quicklist_nodes() const;

  // Calls fn(data, size, plain) for every node in order, for snapshot writers: a listpack
  // list is one node (its listpack, Redis's bytes); a quicklist node is its listpack, or a
  // plain node's element bytes.  The list must not change meanwhile.
  void ForEachNode(const std::function<void(const uint8_t*, size_t, bool)>& fn) const;
  // Loading (RDB files, RESTORE): appends a node at the tail as the file has it, so a loaded
  // list keeps Redis's node boundaries (which decide whether it becomes a listpack), taking
  // ownership of `data` (malloc'd): a non-empty listpack the caller validated, or a plain
  // node's element of `size` bytes.  REQUIRES: a quicklist (NewQuicklist).
  void AdoptNode(uint8_t* data, size_t size, bool plain);
  // Loading a list of one listpack node (`data`: malloc'd, validated, non-empty; owned from
  // here): the list NewQuicklist + AdoptNode + ConvertIfSmall would give, without building
  // the quicklist first when the node ends up the list's listpack.
  static ListValue* FromSingleNode(uint8_t* data, const ListLimits& limits);

 private:
  // A quicklist of one packed node within the limits (halved when `shrinking`) becomes a
  // listpack.
  void TryConvertToListpack(const ListLimits& limits, bool shrinking);

  explicit ListValue(uint8_t* lp) : lp_(lp) {}

  uint8_t* lp_ = nullptr;     // the listpack encoding, when ql_ is null
  Quicklist* ql_ = nullptr;   // the quicklist encoding
};

}  // namespace tessera::types
