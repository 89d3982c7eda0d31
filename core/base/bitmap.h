// Bit arithmetic on byte strings for the bitmap commands (GETBIT, BITCOUNT, BITPOS, BITFIELD).
//
// Bit order is Redis's: bit 0 is the most significant bit of byte 0, bit 8 the most
// significant bit of byte 1, and so on; a BITFIELD integer is read most significant bit first
// from its offset, so byte-aligned fields are big endian.  Bits past the end of a string read as
// zero everywhere ("an infinite string of zeros"), which is how the commands treat a missing
// key or a short operand.
//
// Ranges follow BITCOUNT/BITPOS: inclusive start and end in bytes or bits, negative values
// counting from the end, clamped to the string.  Functions scan a word at a time where the data
// allows; nothing allocates.  Pure: no clock, no I/O, no threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tessera {

// The bit at `offset` of `s`; false past the end.
bool GetBit(std::string_view s, uint64_t offset);

// A BITCOUNT/BITPOS range as given on the command line.
struct BitRange {
  int64_t start = 0;
  int64_t end = -1;
  bool in_bits = false;  // BIT rather than the default BYTE
};

// Inclusive bit positions [first, last] within a string.
struct BitSpan {
  uint64_t first = 0;
  uint64_t last = 0;
};

// The bits of a string of `length` bytes that `range` selects: negative indexes count from
// the end, then both are clamped to the string.  nullopt when the selection is empty (start
// past end, or an empty string).
std::optional<BitSpan> ResolveBitRange(size_t length, const BitRange& range);

// Number of set bits in `s`, or in the bits `span` of it (REQUIRES: span inside s).
uint64_t CountBits(std::string_view s);
uint64_t CountBits(std::string_view s, BitSpan span);

// Position of the first bit equal to `bit` within `span` of `s` (REQUIRES: span inside s), or
// -1 when there is none.
int64_t FindBit(std::string_view s, bool bit, BitSpan span);

// A BITFIELD integer type: i1..i64 or u1..u63.
struct BitfieldType {
  bool is_signed = false;
  int bits = 0;
};

// Parses "i<bits>" or "u<bits>" (lower case, as Redis); false for anything else, including u64.
bool ParseBitfieldType(std::string_view s, BitfieldType* out);

// Reads the field of `type` at bit `offset`, zero-padding past the end of `s`.  An unsigned
// field returns its value, which fits int64 since u63 is the widest; a signed one is
// sign-extended from its top bit.
int64_t GetBitfield(std::string_view s, uint64_t offset, BitfieldType type);

// Writes the low `type.bits` bits of `value` at bit `offset` of `p`.
// REQUIRES: (offset + type.bits - 1) / 8 < p.size().
void SetBitfield(std::span<char> p, uint64_t offset, BitfieldType type, uint64_t value);

enum class BitfieldOverflow : uint8_t {
  kWrap,  // keep the low bits (two's complement for signed fields)
  kSat,   // clamp to the type's minimum or maximum
  kFail,  // store nothing
};

// The value a field of `type` takes when `incr` is added to `value` (SET passes its value with
// incr 0), under `mode`; nullopt when it does not fit and mode is kFail.  As in Redis, an
// unsigned SET treats a negative value as its 64-bit pattern, which exceeds every unsigned type:
// SAT stores the maximum and WRAP its low bits.
std::optional<int64_t> FitBitfield(int64_t value, int64_t incr, BitfieldType type,
                                   BitfieldOverflow mode);

}  // namespace tessera
