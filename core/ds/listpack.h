// Listpack: a sequence of strings and integers packed into one allocation, in Redis's listpack
// byte format (the format Redis 7 uses for small lists, hashes and sorted sets and for the
// nodes of a quicklist, in memory and in RDB files).
//
// Why Redis's exact format rather than our own: the encoding-conversion rules of Redis 7.2
// (list-max-listpack-size as a byte limit, quicklist node fill) are stated in listpack bytes,
// and the Redis test suite checks conversions at those byte limits; the format is also compact
// (an element costs its length plus 2 bytes for strings under 64 bytes, 2 bytes for integers
// 0..127) and is what an RDB writer needs.  The alternative, a vector of strings, spends 24+
// bytes per element.
//
// Layout: [total bytes: u32 LE][count: u16 LE, 65535 = unknown][entries...][0xFF].
// Entry: [encoding + data][backlen], where backlen is the size of encoding + data in 1-5
// bytes, read right to left, so the list can be walked backwards.  A string that is the
// canonical decimal form of an int64 (Redis's string2ll rules) is stored as an integer in the
// smallest of 7/13/16/24/32/64-bit forms; every other string as 6-bit, 12-bit or 32-bit
// length + bytes.
//
// A listpack is a malloc'd uint8_t*.  Functions that change it may realloc it and return the
// new pointer; element pointers into the old one are invalid after that, which is why the
// mutators take and return positions.  Pure: no I/O, no globals; a listpack belongs to one
// thread.  Sizes are limited to 4 GB (u32 total); callers keep listpacks far smaller (Redis's
// limits are 64 KB per listpack, larger elements go to quicklist "plain" nodes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tessera::ds::lp {

inline constexpr size_t kHeaderSize = 6;
inline constexpr uint8_t kEof = 0xFF;
inline constexpr uint16_t kUnknownCount = 65535;
inline constexpr size_t kIntBufSize = 21;  // buffer for an int64 in decimal

// A decoded element: either a string (str, len) or an integer.
struct Value {
  const char* str = nullptr;
  size_t len = 0;
  int64_t ival = 0;
  bool is_int = false;
  // The element as text; an integer is formatted into `buf` (kIntBufSize bytes).
  std::string_view View(char* buf) const;
};

// A new empty listpack (7 bytes).
uint8_t* New();
void Free(uint8_t* lp);
uint8_t* Dup(const uint8_t* lp);

uint32_t Bytes(const uint8_t* lp);
// Number of elements (walks the listpack when the header count is unknown).
uint32_t Length(const uint8_t* lp);

// Element pointers; nullptr when there is none.
const uint8_t* First(const uint8_t* lp);
const uint8_t* Last(const uint8_t* lp);
const uint8_t* Next(const uint8_t* lp, const uint8_t* p);
const uint8_t* Prev(const uint8_t* lp, const uint8_t* p);
// Element at `index` (negative counts from the end), nullptr if out of range.
const uint8_t* Seek(const uint8_t* lp, int64_t index);

Value Get(const uint8_t* p);
// True iff the element at p equals the string s (an integer element equals its decimal form).
bool Equals(const uint8_t* p, std::string_view s);
// Bytes of the entry at p (encoding, data and backlen).
size_t EntrySize(const uint8_t* p);
// Bytes an entry for s would take.
size_t EncodedSize(std::string_view s);

// Inserts s before the element at `offset` (a byte offset from lp; the offset of the 0xFF
// terminator appends).  Returns the new listpack.
uint8_t* InsertAt(uint8_t* lp, size_t offset, std::string_view s);
uint8_t* Append(uint8_t* lp, std::string_view s);
// Appends every string of `items` in order with one reallocation.
uint8_t* AppendAll(uint8_t* lp, std::span<const std::string_view> items);
uint8_t* Prepend(uint8_t* lp, std::string_view s);
// Replaces the element at `offset` by s.
uint8_t* ReplaceAt(uint8_t* lp, size_t offset, std::string_view s);
// Deletes the element at `offset`; the element that followed is now at `offset`.
uint8_t* DeleteAt(uint8_t* lp, size_t offset);
// Deletes `count` elements from index `start` (negative counts from the end); a range past
// the end is clipped.
uint8_t* DeleteRange(uint8_t* lp, int64_t start, uint32_t count);
// Appends every element of `b` to `a`, frees `b`, returns the merged listpack.
uint8_t* Merge(uint8_t* a, uint8_t* b);

}  // namespace tessera::ds::lp
