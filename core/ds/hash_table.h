// HashTable<T, Traits>: the open-addressing table of the keyspace (one per shard) and of hash and
// set values.  It stores pointers to caller-owned elements and never copies or frees one.  One
// table belongs to one thread.  Traits: static uint64_t Hash(const T*) (the hash callers pass)
// and static bool Equals(const T*, std::string_view key); optional double kGrowthFactor.
//
// Approach: linear probing with Robin Hood ordering and backward-shift deletion; one 8-byte slot
// per entry (48-bit pointer | 8-bit hash tag | 8-bit distance + 1, 0 = empty), <= 90% full.  The
// home slot is fastrange(hash, capacity), so capacity need not be a power of two (growth by 1.5x)
// and home order is hash order: a SCAN cursor is a hash value.  Probes never wrap: `overflow`
// spare slots follow the last home; an insert that would run past them grows the table.
// Rejected: chained hashing (Redis dict) costs a next pointer, +8 bytes per element; Redis's
// reverse-binary SCAN cursor only works for chained power-of-two tables.
//
// Resizing is incremental: the old array's slots move in index order, at most kMigrateSlotsPerOp
// per Insert/Erase plus RehashStep() from a timer; inserts go to the new array, Find checks both.
// A migration ends long before the next load-triggered resize (see Resize()).  Still O(capacity):
// zeroing the new array (calloc: free on fresh pages, a memset on reused ones, ~1 ms per 13 MB)
// and RebuildNow, the path for hundreds of equal hashes.
//
// Invariants, per array (capacity c, c + overflow slots), home(e) = fastrange(hash, c):
//  - elements are in nondecreasing home order, each at or after its home, and every slot from
//    its home (in the old array: from max(home, migrate_pos_)) up to it is occupied;
//  - the distance byte is min(position - home + 1, 255); 255 means "254 or more", the exact
//    distance then comes from Traits::Hash (only with long runs of equal hashes);
//  - while rehashing, old slots [0, migrate_pos_) are empty, old_.size > 0, and each element is
//    in exactly one array.  An empty table holds no array.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace tessera::ds {

namespace hash_table_internal {
template <class Traits>
constexpr double GrowthFactor() {
  if constexpr (requires { Traits::kGrowthFactor; }) {
    return Traits::kGrowthFactor;
  } else {
    return 1.5;  // 2.0 inserts ~15% faster but holds ~12% more bytes per element: README.md
  }
}
}  // namespace hash_table_internal

template <class T, class Traits>
class HashTable {
 public:
  static constexpr double kMaxLoad = 0.9;           // grow above this (elements / capacity)
  static constexpr double kMinLoad = 0.1;           // shrink below this
  static constexpr double kShrinkTargetLoad = 0.5;  // load right after a shrink
  static constexpr double kGrowthFactor = hash_table_internal::GrowthFactor<Traits>();
  static constexpr size_t kMinCapacity = 4;
  static constexpr size_t kMinOverflow = 32;  // overflow = min(c, 32 + c / 32) by default
  static constexpr size_t kOverflowDivisor = 32;
  static constexpr size_t kMigrateSlotsPerOp = 32;    // old slots moved per Insert/Erase
  static constexpr size_t kScanSlotsPerElement = 16;  // Scan reads <= count * this slots per array
  static_assert(kGrowthFactor > 1.0 && kGrowthFactor <= 4.0);

  struct ScanResult {
    uint64_t next_cursor;  // resume from here; meaningless when done
    bool done;
  };

  HashTable() = default;
  ~HashTable() { Release(); }
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;
  HashTable(HashTable&& o) noexcept { Steal(o); }
  HashTable& operator=(HashTable&& o) noexcept {
    if (this != &o) {
      Release();
      Steal(o);
    }
    return *this;
  }

  size_t size() const { return cur_.size + old_.size; }
  bool empty() const { return size() == 0; }
  // Bytes of the slot arrays (both while rehashing); 0 for an empty table.
  size_t BytesAllocated() const { return (cur_.num_slots + old_.num_slots) * sizeof(uint64_t); }
  bool IsRehashing() const { return old_.slots != nullptr; }

  // Returns the element whose key equals `key`, or nullptr.  Never migrates.
  T* Find(std::string_view key, uint64_t hash) const {
    const uint64_t tag = Tag(hash);
    auto match = [&](uint64_t s) { return SlotTag(s) == tag && Traits::Equals(Ptr(s), key); };
    size_t p = Locate(cur_, 0, hash, match);
    if (p != kNotFound) return Ptr(cur_.slots[p]);
    if (old_.slots == nullptr) return nullptr;
    p = Locate(old_, migrate_pos_, hash, match);
    return p == kNotFound ? nullptr : Ptr(old_.slots[p]);
  }

  // Calls fn(e) for every element that may have hash `hash` (same home and tag: a superset of
  // those whose hash is `hash`; the caller checks).  Never migrates; fn must not change the table.
  template <class Fn>
  void ForEachWithHash(uint64_t hash, Fn fn) const {
    const uint64_t tag = Tag(hash);
    auto visit = [&](uint64_t s) {
      if (SlotTag(s) == tag) fn(Ptr(s));
      return false;
    };
    Locate(cur_, 0, hash, visit);
    if (old_.slots != nullptr) Locate(old_, migrate_pos_, hash, visit);
  }

  // REQUIRES: e != nullptr, e fits in 48 bits, hash == Traits::Hash(e), and no element with an
  // equal key is present.
  void Insert(T* e, uint64_t hash) {
    assert(e != nullptr && (reinterpret_cast<uintptr_t>(e) & ~kPtrMask) == 0);
    assert(hash == Traits::Hash(e));
    if (old_.slots != nullptr) MigrateSlots(kMigrateSlotsPerOp);
    if (cur_.slots == nullptr) {
      cur_ = NewArray(kMinCapacity);
    } else if (size() + 1 > MaxSize(cur_.capacity)) {
      Resize(GrownCapacity());
    }
    while (!InsertInto(cur_, e, hash)) {  // ran off the end: grow with a larger overflow
      min_overflow_ = std::max(min_overflow_, 2 * Overflow(cur_));
      Resize(GrownCapacity());
    }
  }

  // Sizes an empty table for `n` elements, so that inserting them never grows it (a load that
  // knows its key count).  No-op unless the table holds no array.
  void Reserve(size_t n) {
    if (cur_.slots != nullptr || old_.slots != nullptr || n == 0) return;
    cur_ = NewArray(std::max(kMinCapacity, static_cast<size_t>(n / kMaxLoad) + 1));
  }

  // Removes and returns the element whose key equals `key`; nullptr if absent.
  T* Erase(std::string_view key, uint64_t hash) {
    const uint64_t tag = Tag(hash);
    return RemoveMatching(
        hash, [&](uint64_t s) { return SlotTag(s) == tag && Traits::Equals(Ptr(s), key); });
  }

  // Removes this exact element (pointer comparison).  Returns true iff it was present.
  bool ErasePointer(const T* e, uint64_t hash) {
    const uint64_t bits = reinterpret_cast<uintptr_t>(e);
    return RemoveMatching(hash, [&](uint64_t s) { return (s & kPtrMask) == bits; }) != nullptr;
  }

  // Makes the slot holding old_e hold new_e (same key, new address).  Returns true iff old_e was
  // present.  Never migrates.
  bool ReplacePointer(const T* old_e, T* new_e, uint64_t hash) {
    assert(new_e != nullptr && (reinterpret_cast<uintptr_t>(new_e) & ~kPtrMask) == 0);
    const uint64_t bits = reinterpret_cast<uintptr_t>(old_e);
    auto match = [&](uint64_t s) { return (s & kPtrMask) == bits; };
    for (Array* a : {&cur_, &old_}) {
      size_t p = Locate(*a, a == &old_ ? migrate_pos_ : 0, hash, match);
      if (p == kNotFound) continue;
      a->slots[p] = (a->slots[p] & ~kPtrMask) | reinterpret_cast<uintptr_t>(new_e);
      return true;
    }
    return false;
  }

  // Moves up to max_slots old slots into the new array.  Returns the number of old slots
  // processed; 0 iff no rehash is in progress (or max_slots == 0).
  size_t RehashStep(size_t max_slots) {
    return old_.slots == nullptr ? 0 : MigrateSlots(max_slots);
  }

  // Calls fn(T*) for the elements with hash >= cursor (and possibly some just below it, in the
  // home slot of `cursor`), in nondecreasing home order within each array, until `count` were
  // visited in each array, count * kScanSlotsPerElement slots of an array were read, or the end.
  // Every element with hash in [cursor, next_cursor) has been visited on return, whatever
  // happened to the table before, so a scan resumed from next_cursor returns every element
  // present for its whole duration at least once.  next_cursor > cursor when !done.
  // fn must not modify the table.
  template <class Fn>
  ScanResult Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    ScanResult a = ScanArray(cur_, 0, cursor, count, fn);
    if (old_.slots == nullptr) return a;
    ScanResult b = ScanArray(old_, migrate_pos_, cursor, count, fn);
    if (a.done) return b;
    if (b.done) return a;
    return {std::min(a.next_cursor, b.next_cursor), false};
  }

  // Calls fn(T*) once for every element.  fn must not modify the table.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (size_t p = 0; p < cur_.num_slots; ++p) {
      if (cur_.slots[p] != 0) fn(Ptr(cur_.slots[p]));
    }
    for (size_t p = migrate_pos_; p < old_.num_slots; ++p) {
      if (old_.slots[p] != 0) fn(Ptr(old_.slots[p]));
    }
  }

  // Returns some element chosen from random_bits; nullptr iff empty.  Not uniform: an element
  // after a run of empty slots is likelier.  Reads O(1/load) slots on average.
  T* RandomElement(uint64_t random_bits) const {
    if (empty()) return nullptr;
    const Array* a = &cur_;
    size_t floor = 0;
    if (old_.slots != nullptr && Home(random_bits, size()) < old_.size) {
      a = &old_;
      floor = migrate_pos_;
    }
    const size_t start = floor + Home(std::rotl(random_bits, 32), a->num_slots - floor);
    for (size_t p = start; p < a->num_slots; ++p) {
      if (a->slots[p] != 0) return Ptr(a->slots[p]);
    }
    for (size_t p = floor; p < start; ++p) {
      if (a->slots[p] != 0) return Ptr(a->slots[p]);
    }
    assert(false && "size > 0 but no element found");
    return nullptr;
  }

  // Slots of both arrays (the old one from migrate_pos_ on), for uniform sampling: drawing
  // indices uniformly from [0, SlotCount()) until ElementAtSlot() returns an element picks
  // every element with the same probability, since each one holds exactly one slot (unlike
  // RandomElement, which favours elements after empty runs).  Expected draws: 1 / load.
  size_t SlotCount() const {
    return cur_.num_slots + (old_.slots == nullptr ? 0 : old_.num_slots - migrate_pos_);
  }
  // The element in slot `index` of that sequence, nullptr for an empty slot.
  // REQUIRES: index < SlotCount().
  T* ElementAtSlot(size_t index) const {
    const uint64_t s = index < cur_.num_slots
                           ? cur_.slots[index]
                           : old_.slots[migrate_pos_ + (index - cur_.num_slots)];
    return s == 0 ? nullptr : Ptr(s);
  }

  // Forgets every element (does not free them) and releases the arrays.
  void Clear() { Release(); }

  // For tests: walks every slot and returns true iff all the invariants above hold.
  bool CheckInvariants() const {
    if (old_.slots != nullptr && (old_.size == 0 || cur_.slots == nullptr)) return false;
    if (cur_.slots == nullptr && cur_.size != 0) return false;
    return CheckArray(cur_, 0) && CheckArray(old_, migrate_pos_);
  }

 private:
  struct Array {
    uint64_t* slots = nullptr;
    size_t capacity = 0;   // home slots; fastrange maps hashes onto [0, capacity)
    size_t num_slots = 0;  // capacity + overflow
    size_t size = 0;       // occupied slots
  };

  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static constexpr int kTagShift = 48;
  static constexpr int kDistShift = 56;
  static constexpr uint64_t kDistOne = uint64_t{1} << kDistShift;
  static constexpr uint64_t kSaturated = 255;  // distance byte meaning "254 or more"
  static constexpr size_t kNotFound = ~size_t{0};
  static constexpr size_t kPrefetchAhead = 16;  // old slots between a prefetch and its rehash

  static size_t Home(uint64_t hash, size_t capacity) {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity) >> 64);
  }
  // The smallest hash whose home is `home` (REQUIRES home < capacity).
  static uint64_t FirstHashOf(size_t home, size_t capacity) {
    return static_cast<uint64_t>(((static_cast<unsigned __int128>(home) << 64) + capacity - 1) /
                                 capacity);
  }
  static uint64_t Tag(uint64_t hash) { return (hash >> 16) & 0xFF; }
  static uint64_t SlotTag(uint64_t s) { return (s >> kTagShift) & 0xFF; }
  static T* Ptr(uint64_t s) { return reinterpret_cast<T*>(static_cast<uintptr_t>(s & kPtrMask)); }
  static uint64_t DistByte(size_t d) { return d < kSaturated - 1 ? d + 1 : kSaturated; }
  static uint64_t MakeSlot(const T* e, uint64_t hash, size_t d) {
    return reinterpret_cast<uintptr_t>(e) | Tag(hash) << kTagShift | DistByte(d) << kDistShift;
  }
  static size_t Overflow(const Array& a) { return a.num_slots - a.capacity; }
  static size_t MaxSize(size_t capacity) { return static_cast<size_t>(capacity * kMaxLoad); }

  // Distance from its home of the element in slot s at position p of a.
  static size_t ExactDist(const Array& a, size_t p, uint64_t s) {
    const uint64_t b = s >> kDistShift;
    if (b < kSaturated) return b - 1;
    return p - Home(Traits::Hash(Ptr(s)), a.capacity);
  }
  // True iff the element in slot s at position p is nearer its home than d (its home is later).
  static bool DistLess(const Array& a, size_t p, uint64_t s, size_t d) {
    const uint64_t b = s >> kDistShift;
    if (b < kSaturated) return b - 1 < d;
    if (d <= kSaturated - 1) return false;
    return ExactDist(a, p, s) < d;
  }
  static uint64_t IncDist(uint64_t s) { return (s >> kDistShift) < kSaturated ? s + kDistOne : s; }
  static uint64_t DecDist(const Array& a, size_t p, uint64_t s) {
    if ((s >> kDistShift) < kSaturated) return s - kDistOne;
    const size_t d = ExactDist(a, p, s) - 1;
    return (s & ~(uint64_t{0xFF} << kDistShift)) | DistByte(d) << kDistShift;
  }

  // Returns the position of the slot `match` accepts among the elements of a whose home is
  // Home(hash), or kNotFound.  `floor` is migrate_pos_ for the old array, else 0.
  template <class Match>
  static size_t Locate(const Array& a, size_t floor, uint64_t hash, Match& match) {
    const size_t home = Home(hash, a.capacity);
    size_t p = std::max(home, floor);
    for (size_t d = p - home; p < a.num_slots; ++p, ++d) {
      const uint64_t s = a.slots[p];
      const uint64_t b = s >> kDistShift;
      if (b < DistByte(d)) return kNotFound;  // empty, or the next home's elements begin here
      if (b == kSaturated && DistLess(a, p, s, d)) return kNotFound;
      if (match(s)) return p;
    }
    return kNotFound;
  }

  // Places e in the new (or only) array a.  Returns false, changing nothing, iff the probe or
  // the shift would run past the last slot.
  static bool InsertInto(Array& a, T* e, uint64_t hash) {
    size_t p = Home(hash, a.capacity);
    size_t d = 0;
    for (; p < a.num_slots; ++p, ++d) {
      const uint64_t s = a.slots[p];
      if (s == 0) {
        a.slots[p] = MakeSlot(e, hash, d);
        ++a.size;
        return true;
      }
      if (DistLess(a, p, s, d)) break;  // e goes before the elements of later homes
    }
    // Shift the rest of the run up one slot in a single pass; undone if it runs off the end.
    uint64_t carry = MakeSlot(e, hash, d);
    for (size_t q = p; q < a.num_slots; ++q) {
      const uint64_t s = a.slots[q];
      a.slots[q] = carry;
      if (s == 0) {
        ++a.size;
        return true;
      }
      carry = IncDist(s);
    }
    if (p < a.num_slots) {
      for (size_t r = p; r + 1 < a.num_slots; ++r) a.slots[r] = DecDist(a, r + 1, a.slots[r + 1]);
      a.slots[a.num_slots - 1] = DecDist(a, a.num_slots, carry);
    }
    return false;
  }

  // Backward-shift deletion: the run after p moves down one slot until an empty slot or an
  // element at its home.  In the old array nothing moves below p >= migrate_pos_.
  static void RemoveAt(Array& a, size_t p) {
    size_t q = p + 1;
    for (; q < a.num_slots; ++q) {
      const uint64_t s = a.slots[q];
      if ((s >> kDistShift) <= 1) break;
      a.slots[q - 1] = DecDist(a, q, s);
    }
    a.slots[q - 1] = 0;
    --a.size;
  }

  template <class Match>
  T* RemoveMatching(uint64_t hash, Match&& match) {
    if (old_.slots != nullptr) MigrateSlots(kMigrateSlotsPerOp);
    T* e = nullptr;
    size_t p = Locate(cur_, 0, hash, match);
    if (p != kNotFound) {
      e = Ptr(cur_.slots[p]);
      RemoveAt(cur_, p);
    } else if (old_.slots != nullptr &&
               (p = Locate(old_, migrate_pos_, hash, match)) != kNotFound) {
      e = Ptr(old_.slots[p]);
      RemoveAt(old_, p);
      if (old_.size == 0) EndMigration();
    }
    if (e != nullptr) MaybeShrink();
    return e;
  }

  void MaybeShrink() {
    if (empty()) {
      Release();
      return;
    }
    if (old_.slots != nullptr || cur_.capacity <= kMinCapacity) return;
    if (size() >= cur_.capacity * kMinLoad) return;
    StartResize(std::max(kMinCapacity, static_cast<size_t>(size() / kShrinkTargetLoad)));
  }

  size_t GrownCapacity() const {
    return std::max(cur_.capacity + 1, static_cast<size_t>(cur_.capacity * kGrowthFactor));
  }

  Array NewArray(size_t capacity) const {
    const size_t overflow =
        std::min(capacity, std::max(kMinOverflow + capacity / kOverflowDivisor, min_overflow_));
    Array a;
    a.capacity = capacity;
    a.num_slots = capacity + overflow;
    a.slots = static_cast<uint64_t*>(std::calloc(a.num_slots, sizeof(uint64_t)));
    if (a.slots == nullptr) std::abort();  // out of memory is fatal server-wide
    return a;
  }
  static void FreeArray(Array& a) {
    std::free(a.slots);
    a = Array{};
  }

  // Starts moving everything into a new array of `capacity`.  A resize already in progress is
  // finished first, in this one call: at most the old array's remaining slots (capacity +
  // overflow), each rehashed.  We avoid that rather than rely on it: migrating C old slots takes
  // ~C/31 Inserts/Erases, while the next load threshold is >= 0.45*C inserts away after a growth
  // (0.9 load of C -> 0.6 of 1.5*C) and 0.08*C after a shrink (0.1 load of C -> 0.5 of 0.2*C),
  // and shrinking waits for the end of a migration.  So it happens only in tables of a few dozen
  // slots (cheap) or after a probe ran off the end (long hash collisions).
  void Resize(size_t capacity) {
    while (old_.slots != nullptr) MigrateSlots(~size_t{0});
    StartResize(capacity);
  }
  // REQUIRES: !IsRehashing().
  void StartResize(size_t capacity) {
    Array fresh = NewArray(capacity);
    if (cur_.size == 0) {
      FreeArray(cur_);
      cur_ = fresh;
      return;
    }
    old_ = cur_;
    cur_ = fresh;
    migrate_pos_ = 0;
  }
  void EndMigration() {
    FreeArray(old_);
    migrate_pos_ = 0;
  }

  // Moves old slots from migrate_pos_ on, up to max_slots of them; returns how many were read.
  size_t MigrateSlots(size_t max_slots) {
    size_t done = 0;
    while (old_.slots != nullptr && done < max_slots) {
      // Rehashing reads each element: start those cache misses early.
      if (migrate_pos_ + kPrefetchAhead < old_.num_slots) {
        const uint64_t ahead = old_.slots[migrate_pos_ + kPrefetchAhead];
        if (ahead != 0) __builtin_prefetch(Ptr(ahead));
      }
      const uint64_t s = old_.slots[migrate_pos_];
      if (s != 0) {
        T* e = Ptr(s);
        if (!InsertInto(cur_, e, Traits::Hash(e))) {
          done += old_.num_slots - migrate_pos_;
          min_overflow_ = std::max(min_overflow_, 2 * Overflow(cur_));
          RebuildNow();
          return done;
        }
        old_.slots[migrate_pos_] = 0;
        --old_.size;
      }
      ++migrate_pos_;
      ++done;
      if (old_.size == 0) EndMigration();
    }
    return done;
  }

  // Slow path for a probe running off the new array during a migration (long hash collisions
  // only): moves every element into one array at once, O(size + slots), retrying with a doubled
  // overflow.  Terminates: with overflow == capacity >= size no probe can run off.
  void RebuildNow() {
    for (;;) {
      Array fresh = NewArray(cur_.capacity);
      if (CopyAllInto(fresh)) {
        FreeArray(cur_);
        EndMigration();
        cur_ = fresh;
        return;
      }
      min_overflow_ = std::max(min_overflow_, 2 * Overflow(fresh));
      FreeArray(fresh);
    }
  }
  bool CopyAllInto(Array& fresh) const {
    for (const Array* a : {&cur_, &old_}) {
      for (size_t p = a == &old_ ? migrate_pos_ : 0; p < a->num_slots; ++p) {
        const uint64_t s = a->slots[p];
        if (s != 0 && !InsertInto(fresh, Ptr(s), Traits::Hash(Ptr(s)))) return false;
      }
    }
    return true;
  }

  // Visits a's elements with home >= Home(cursor) from position max(that home, floor) on, and
  // stops only where the next element starts a new home group, so a boundary never splits one.
  template <class Fn>
  static ScanResult ScanArray(const Array& a, size_t floor, uint64_t cursor, size_t count, Fn& fn) {
    const size_t first_home = Home(cursor, a.capacity);
    const size_t max_read = std::max<size_t>(count, 1) * kScanSlotsPerElement;
    size_t group_home = first_home;  // home of the last element visited
    size_t visited = 0;
    size_t read = 0;
    for (size_t p = std::max(first_home, floor); p < a.num_slots; ++p, ++read) {
      const uint64_t s = a.slots[p];
      // Every element with home in [first_home, next_home) has been visited.  At an empty slot
      // that holds for next_home = p + 1: an element of home <= p cannot lie beyond it.
      const size_t next_home = s == 0 ? p + 1 : p - ExactDist(a, p, s);
      if (next_home >= a.capacity) break;  // only reachable at an empty slot: all visited
      if (next_home > group_home && (visited >= count || read >= max_read)) {
        return {FirstHashOf(next_home, a.capacity), false};
      }
      if (s != 0 && next_home >= first_home) {
        fn(Ptr(s));
        ++visited;
        group_home = next_home;
      }
    }
    return {0, true};
  }

  static bool CheckArray(const Array& a, size_t floor) {
    size_t occupied = 0;
    size_t run_start = 0;  // first slot of the current run of occupied slots
    size_t prev_home = 0;
    for (size_t p = 0; p < a.num_slots; ++p) {
      const uint64_t s = a.slots[p];
      if (s == 0) continue;
      if (p < floor) return false;
      if (p == 0 || a.slots[p - 1] == 0 || p == floor) {
        run_start = p;
        prev_home = 0;
      }
      const uint64_t hash = Traits::Hash(Ptr(s));
      const size_t home = Home(hash, a.capacity);
      if (home > p || home < prev_home || std::max(home, floor) < run_start) return false;
      if ((s >> kDistShift) != DistByte(p - home) || SlotTag(s) != Tag(hash)) return false;
      prev_home = home;
      ++occupied;
    }
    return occupied == a.size;
  }

  void Release() {
    FreeArray(cur_);
    FreeArray(old_);
    migrate_pos_ = 0;
    min_overflow_ = 0;
  }
  void Steal(HashTable& o) {
    cur_ = std::exchange(o.cur_, Array{});
    old_ = std::exchange(o.old_, Array{});
    migrate_pos_ = std::exchange(o.migrate_pos_, 0);
    min_overflow_ = std::exchange(o.min_overflow_, 0);
  }

  Array cur_;                // the array inserts go to
  Array old_;                // the array being migrated from; slots == nullptr unless rehashing
  size_t migrate_pos_ = 0;   // old slots below this are empty
  size_t min_overflow_ = 0;  // raised when a probe runs off the end; reset when emptied
};

}  // namespace tessera::ds
