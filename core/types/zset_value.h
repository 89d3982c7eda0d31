// ZSetValue: a sorted set, members ordered by (score, member bytes), each member once.
//
// Two encodings, with Redis 7.2's names and conversion rules (t_zset.c):
//  - "listpack": one packed buffer of (member, score) pairs in order, while the set has at most
//    zset-max-listpack-entries members of at most zset-max-listpack-value bytes.  An entry is
//    varint(member length), the member bytes, then the score: varint(zigzag(i) << 1) when the
//    score is an integer i with |i| < 2^53 (0 takes one byte), else the byte 0x01 and the
//    8-byte double.  Lookups are linear scans, as in Redis.  As in Redis, -0 is stored as 0.
//  - "skiplist": each member is one allocation (ZElem: score, varint length, bytes) pointed
//    to by a member -> element hash table (ds::HashTable) and by an order-statistic B+tree
//    (ds::OrderTree) for ranks and ranges in O(log n).  About 50 bytes a member of 13 bytes,
//    against ~130 for Redis's skiplist node + dictEntry + sds.
// Growing past a threshold converts listpack -> skiplist; a set only converts back when a
// *STORE command writes a small result (ConvertToPackedIfFits), as in Redis.
//
// Scores are never NaN.  Ranks are 0-based and ascending; callers turn reverse ranks around.
// Member views returned by iterators point into the value: valid until it next changes.
// A value belongs to one entry and is touched only under its shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hash.h"
#include "core/ds/hash_table.h"
#include "core/ds/order_tree.h"

namespace tessera::types {

// zset-max-listpack-entries / zset-max-listpack-value.
struct ZSetLimits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

// A score interval as ZRANGEBYSCORE parses it ("(1" is exclusive).
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;
  bool AboveMin(double s) const { return min_exclusive ? s > min : s >= min; }
  bool BelowMax(double s) const { return max_exclusive ? s < max : s <= max; }
  // True iff no score can satisfy both ends (Redis zslIsInRange's first test).
  bool IsEmpty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// One end of a lex range: "-", "+", "[value" or "(value".
struct LexBound {
  enum class Kind : uint8_t { kMinusInf, kPlusInf, kInclusive, kExclusive };
  Kind kind = Kind::kMinusInf;
  std::string_view value;
};
struct LexRange {
  LexBound min;
  LexBound max;
  bool GteMin(std::string_view m) const;
  bool LteMax(std::string_view m) const;
  bool IsEmpty() const;  // Redis zslIsInLexRange's first tests
};

// ZADD's conditions (Redis zsetAdd's in_flags).  nx excludes xx, gt and lt; gt excludes lt.
struct ZAddOptions {
  bool nx = false;
  bool xx = false;
  bool gt = false;
  bool lt = false;
  bool incr = false;  // score is an increment of the current score (0 for a new member)
};

// One member, score pair owned by the caller (results that outlive a lock, STORE inputs).
struct ScoredMember {
  std::string member;
  double score = 0;
};

namespace zset_internal {

// A member of a skiplist-encoded set: score, varint member length, member bytes.
struct ZElem {
  double score;
  std::string_view member() const;
  static ZElem* New(std::string_view member, double score);
  static void Free(ZElem* e);
  size_t AllocationSize() const;
};
struct ElemHash {
  static uint64_t Hash(const ZElem* e) { return HashBytes(e->member()); }
  static bool Equals(const ZElem* e, std::string_view key) { return e->member() == key; }
};
struct ElemOrder {
  static bool Less(const ZElem* a, const ZElem* b) {
    if (a->score != b->score) return a->score < b->score;
    return a->member() < b->member();
  }
};
using ElemTable = ds::HashTable<ZElem, ElemHash>;
using ElemTree = ds::OrderTree<ZElem, ElemOrder>;

}  // namespace zset_internal

class ZSetValue {
 public:
  // kSkipped: NX/XX/GT/LT refused the pair (Redis's ZADD_OUT_NOP); kNaN: the increment made
  // the score NaN and nothing changed.
  enum class AddOutcome : uint8_t { kAdded, kUpdated, kUnchanged, kSkipped, kNaN };

  // An empty set in the encoding Redis's zsetTypeCreate picks: listpack iff size_hint <=
  // max_listpack_entries and value_len_hint <= max_listpack_value.
  static ZSetValue* Create(size_t size_hint, size_t value_len_hint, const ZSetLimits& limits);
  // Loading (RDB files, RESTORE): a listpack set of `pairs` (in any order: they are sorted
  // if they are not already) built in one allocation, with one duplicate check instead of a
  // lookup per member.  nullptr with *duplicate set when two pairs share a member; nullptr
  // with it clear when they would pass the packed size bound (the caller adds one by one).
  // REQUIRES: no score is NaN.
  struct ScoredView {
    std::string_view member;
    double score = 0;
  };
  static ZSetValue* NewPacked(std::span<const ScoredView> pairs, bool* duplicate);
  // Sizes a still-empty skiplist set's table for `n` members (a load that knows the count);
  // no-op for a listpack.
  void ReserveForLoad(size_t n);
  ~ZSetValue();
  ZSetValue(const ZSetValue&) = delete;
  ZSetValue& operator=(const ZSetValue&) = delete;

  ZSetValue* Clone() const;
  std::string_view EncodingName() const { return packed() ? "listpack" : "skiplist"; }
  size_t AllocationSize() const;
  bool is_packed() const { return packed(); }

  size_t size() const;
  std::optional<double> Score(std::string_view member) const;
  // 0-based ascending rank of member, if present.
  std::optional<size_t> Rank(std::string_view member) const;

  // Adds member or changes its score.  A new member that would break the listpack limits
  // converts the set to skiplist first.  REQUIRES: score is not NaN.
  AddOutcome Set(std::string_view member, double score, const ZSetLimits& limits);
  // Redis zsetAdd: the conditional add of ZADD, ZINCRBY and GEOADD with one member lookup.
  // *new_score is the member's score afterwards unless the outcome is kSkipped or kNaN.
  // REQUIRES: score is not NaN.
  AddOutcome Add(std::string_view member, double score, const ZAddOptions& opts,
                 const ZSetLimits& limits, double* new_score);
  // Returns true iff member was present.
  bool Remove(std::string_view member);
  // Removes ranks [start, end).  REQUIRES: start <= end <= size().
  void RemoveRanks(size_t start, size_t end);

  // Rank bounds of ranges: the number of members below the range's start, and the number of
  // members up to its end; the members in range are ranks [start, end) when start < end.
  size_t ScoreRangeStart(const ScoreRange& r) const;
  size_t ScoreRangeEnd(const ScoreRange& r) const;
  size_t LexRangeStart(const LexRange& r) const;
  size_t LexRangeEnd(const LexRange& r) const;

  // Redis zsetTypeMaybeConvert: a listpack set about to receive size_hint members becomes a
  // skiplist when size_hint > max_listpack_entries.
  void MaybeConvertForSize(size_t size_hint, const ZSetLimits& limits);
  // Redis zsetConvertToListpackIfNeeded: a skiplist set that fits the limits (max_member_len
  // is the longest member) becomes a listpack.
  void ConvertToPackedIfFits(size_t max_member_len, const ZSetLimits& limits);

  // Walks members in rank order from `rank`, ascending, or descending when `reverse`.
  class Iterator {
   public:
    bool valid() const { return valid_; }
    std::string_view member() const { return member_; }
    double score() const { return score_; }
    void Next();

   private:
    friend class ZSetValue;
    void LoadPacked();
    void LoadTree();
    const ZSetValue* z_ = nullptr;
    bool valid_ = false;
    bool reverse_ = false;
    std::string_view member_;
    double score_ = 0;
    size_t pos_ = 0;                // packed, forward: offset of the current entry
    std::vector<uint32_t> offsets_;  // packed, reverse: every entry's offset
    zset_internal::ElemTree::Cursor cursor_;
  };
  Iterator IterateFrom(size_t rank, bool reverse) const;

  // ZSCAN: calls fn(member, score) for members from `cursor` on and returns the next cursor
  // (0 when done).  A listpack returns everything at once.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    if (packed()) {
      for (Iterator it = IterateFrom(0, false); it.valid(); it.Next()) fn(it.member(), it.score());
      return 0;
    }
    auto r = dict().Scan(cursor, count,
                         [&](zset_internal::ZElem* e) { fn(e->member(), e->score); });
    return r.done ? 0 : r.next_cursor;
  }

  // For tests: true iff the encoding's internal invariants hold.
  bool CheckInvariants() const;

 private:
  struct Big {
    zset_internal::ElemTable dict;
    zset_internal::ElemTree tree;
    size_t elem_bytes = 0;  // sum of the elements' allocation sizes
  };
  ZSetValue() = default;
  zset_internal::ElemTable& dict() const { return big()->dict; }

  // Listpack helpers (zset_value.cc).
  struct PackedEntry {
    std::string_view member;
    double score;
    size_t next;  // offset of the following entry
  };
  PackedEntry DecodeAt(size_t off) const { return DecodeFrom(data(), off); }
  // Offset of member's entry, or npos.
  size_t PackedFind(std::string_view member, double* score) const;
  void PackedInsert(std::string_view member, double score);
  void PackedEraseAt(size_t off, size_t next);
  void ConvertToTree();
  void ConvertToPacked();
  void TreeInsert(std::string_view member, double score, uint64_t hash);
  void TreeInsert(std::string_view member, double score) {
    TreeInsert(member, score, HashBytes(member));
  }
  // Gives a skiplist member a new score, keeping the tree ordered.
  void TreeRescore(zset_internal::ZElem* e, double score);
  // The score a present member gets under opts (nullopt: skipped); sets *nan on NaN.
  static std::optional<double> Resolve(double cur, double score, const ZAddOptions& opts,
                                       bool* nan);

  // The listpack buffer: a header (u32 member count, u32 entry bytes), then the entries.
  static constexpr size_t kHeader = 2 * sizeof(uint32_t);
  // Redis's lpSafeToAdd bound (LISTPACK_MAX_SAFETY_SIZE): past it a set stays a skiplist.
  static constexpr size_t kMaxPackedBytes = size_t{1} << 30;
  // True iff a new member keeps the listpack within the limits.
  bool PackedFits(std::string_view member, const ZSetLimits& limits) const;
  bool packed() const { return (rep_ & 1) == 0; }
  Big* big() const { return reinterpret_cast<Big*>(rep_ & ~uintptr_t{1}); }
  uint8_t* buf() const { return reinterpret_cast<uint8_t*>(rep_); }  // packed; may be null
  uint8_t* data() const { return buf() != nullptr ? buf() + kHeader : nullptr; }
  uint32_t lp_count() const;
  size_t lp_bytes() const;
  void SetBig(Big* big) { rep_ = reinterpret_cast<uintptr_t>(big) | 1; }
  static void FreeBig(Big* big);
  // Reallocates the buffer for `count` members in `bytes` (keeping its first bytes) and writes
  // the header; count 0 frees it.
  void ResizePacked(uint32_t count, size_t bytes);
  static PackedEntry DecodeFrom(const uint8_t* data, size_t off);
  void PackedEraseRange(size_t off, size_t next, uint32_t count);

  // One word: 0 (an empty listpack), a listpack buffer, or a Big* with the low bit set.  A
  // value is one per sorted-set key, so the word (rather than a 32-byte struct) matters for
  // small sets.
  uintptr_t rep_ = 0;
};

}  // namespace tessera::types
