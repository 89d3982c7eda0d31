// HasDuplicate: whether n items hold two equal ones, in O(n) with one scratch table of 32-bit
// indexes (open addressing, linear probing, at most half full).  For building a packed value
// in one pass from a blob whose entries must be distinct (an RDB listpack's fields or
// members): the alternative, a lookup in the value before each insertion, is O(n^2) on a
// packed encoding.  Up to 256 items the table lives on the stack; past that, one allocation.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tessera {

// hash(i) is item i's hash; equal(i, j) whether items i and j are equal.  Equal items must
// hash the same.
template <class HashFn, class EqualFn>
bool HasDuplicate(size_t n, HashFn&& hash, EqualFn&& equal) {
  if (n < 2) return false;
  constexpr size_t kInline = 512;
  const size_t cap = std::bit_ceil(2 * n);
  uint32_t inline_slots[kInline];
  std::unique_ptr<uint32_t[]> heap;
  uint32_t* slots = inline_slots;
  if (cap > kInline) {
    heap.reset(new uint32_t[cap]);
    slots = heap.get();
  }
  for (size_t i = 0; i < cap; ++i) slots[i] = 0;  // 0 = empty, else index + 1
  const size_t mask = cap - 1;
  for (size_t i = 0; i < n; ++i) {
    size_t s = static_cast<size_t>(hash(i)) & mask;
    while (slots[s] != 0) {
      if (equal(slots[s] - 1, i)) return true;
      s = (s + 1) & mask;
    }
    slots[s] = static_cast<uint32_t>(i + 1);
  }
  return false;
}

}  // namespace tessera
