#include "core/base/bitmap.h"

#include <bit>
#include <cstring>
#include <limits>

#include "core/base/numbers.h"

namespace tessera {

namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// The bits of byte `offset >> 3` at and after bit `offset`, and at and before bit `offset`.
uint8_t MaskFrom(uint64_t offset) { return static_cast<uint8_t>(0xFF >> (offset & 7)); }
uint8_t MaskThrough(uint64_t offset) { return static_cast<uint8_t>(0xFF << (7 - (offset & 7))); }

std::optional<int64_t> FitUnsigned(uint64_t value, int64_t incr, int bits, BitfieldOverflow mode) {
  const uint64_t max = (uint64_t{1} << bits) - 1;  // bits <= 63
  // Magnitude of a negative increment, INT64_MIN included.
  const uint64_t decrement = incr < 0 ? uint64_t{0} - static_cast<uint64_t>(incr) : 0;
  bool too_big = value > max || (incr > 0 && static_cast<uint64_t>(incr) > max - value);
  bool too_small = !too_big && decrement > value;
  if (!too_big && !too_small) return static_cast<int64_t>(value + static_cast<uint64_t>(incr));
  switch (mode) {
    case BitfieldOverflow::kWrap:
      return static_cast<int64_t>((value + static_cast<uint64_t>(incr)) & max);
    case BitfieldOverflow::kSat:
      return too_big ? static_cast<int64_t>(max) : 0;
    case BitfieldOverflow::kFail:
      break;
  }
  return std::nullopt;
}

std::optional<int64_t> FitSigned(int64_t value, int64_t incr, int bits, BitfieldOverflow mode) {
  const int64_t max = bits == 64 ? std::numeric_limits<int64_t>::max()
                                 : static_cast<int64_t>((uint64_t{1} << (bits - 1)) - 1);
  const int64_t min = -max - 1;
  int64_t sum;
  bool too_big, too_small;
  if (__builtin_add_overflow(value, incr, &sum)) {
    too_big = incr > 0;
    too_small = incr < 0;
  } else {
    too_big = sum > max;
    too_small = sum < min;
  }
  if (!too_big && !too_small) return sum;
  switch (mode) {
    case BitfieldOverflow::kWrap: {
      uint64_t wrapped = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
      if (bits < 64) {
        uint64_t high = std::numeric_limits<uint64_t>::max() << bits;
        bool negative = ((wrapped >> (bits - 1)) & 1) != 0;
        wrapped = negative ? wrapped | high : wrapped & ~high;
      }
      return static_cast<int64_t>(wrapped);
    }
    case BitfieldOverflow::kSat:
      return too_big ? max : min;
    case BitfieldOverflow::kFail:
      break;
  }
  return std::nullopt;
}

}  // namespace

bool GetBit(std::string_view s, uint64_t offset) {
  uint64_t byte = offset >> 3;
  if (byte >= s.size()) return false;
  return ((Bytes(s)[byte] >> (7 - (offset & 7))) & 1) != 0;
}

std::optional<BitSpan> ResolveBitRange(size_t length, const BitRange& range) {
  auto total = static_cast<int64_t>(length) * (range.in_bits ? 8 : 1);
  int64_t start = range.start < 0 ? range.start + total : range.start;
  int64_t end = range.end < 0 ? range.end + total : range.end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return std::nullopt;
  auto first = static_cast<uint64_t>(start);
  auto last = static_cast<uint64_t>(end);
  if (range.in_bits) return BitSpan{first, last};
  return BitSpan{first * 8, last * 8 + 7};
}

uint64_t CountBits(std::string_view s) {
  const uint8_t* p = Bytes(s);
  size_t n = s.size();
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    count += static_cast<uint64_t>(std::popcount(word));
  }
  for (; i < n; ++i) count += static_cast<uint64_t>(std::popcount(p[i]));
  return count;
}

uint64_t CountBits(std::string_view s, BitSpan span) {
  uint64_t first_byte = span.first >> 3;
  uint64_t last_byte = span.last >> 3;
  const uint8_t* p = Bytes(s);
  uint64_t count = CountBits(s.substr(first_byte, last_byte - first_byte + 1));
  // Take back the bits of the edge bytes that lie outside the span.
  count -= static_cast<uint64_t>(
      std::popcount(static_cast<uint8_t>(p[first_byte] & ~MaskFrom(span.first))));
  count -= static_cast<uint64_t>(
      std::popcount(static_cast<uint8_t>(p[last_byte] & ~MaskThrough(span.last))));
  return count;
}

int64_t FindBit(std::string_view s, bool bit, BitSpan span) {
  const uint8_t* p = Bytes(s);
  uint64_t first_byte = span.first >> 3;
  uint64_t last_byte = span.last >> 3;
  const uint8_t flip = bit ? 0x00 : 0xFF;  // after flipping, look for a 1 either way
  const uint64_t skip_word = bit ? 0 : std::numeric_limits<uint64_t>::max();
  uint64_t i = first_byte;
  while (i <= last_byte) {
    // Whole words strictly between the edge bytes that hold no candidate are skipped at once.
    if (i > first_byte && i + 8 <= last_byte) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word == skip_word) {
        i += 8;
        continue;
      }
    }
    auto x = static_cast<uint8_t>(p[i] ^ flip);
    if (i == first_byte) x &= MaskFrom(span.first);
    if (i == last_byte) x &= MaskThrough(span.last);
    if (x != 0) return static_cast<int64_t>(i * 8 + std::countl_zero(x));
    ++i;
  }
  return -1;
}

bool ParseBitfieldType(std::string_view s, BitfieldType* out) {
  if (s.empty() || (s[0] != 'i' && s[0] != 'u')) return false;
  bool is_signed = s[0] == 'i';
  int64_t bits;
  if (!ParseInt64(s.substr(1), &bits) || bits < 1 || bits > (is_signed ? 64 : 63)) return false;
  *out = BitfieldType{is_signed, static_cast<int>(bits)};
  return true;
}

int64_t GetBitfield(std::string_view s, uint64_t offset, BitfieldType type) {
  uint64_t value = 0;
  for (int i = 0; i < type.bits; ++i) {
    value = (value << 1) | (GetBit(s, offset + static_cast<uint64_t>(i)) ? 1 : 0);
  }
  if (type.is_signed && type.bits < 64 && (value >> (type.bits - 1)) != 0) {
    value |= std::numeric_limits<uint64_t>::max() << type.bits;  // sign extension
  }
  return static_cast<int64_t>(value);
}

void SetBitfield(std::span<char> p, uint64_t offset, BitfieldType type, uint64_t value) {
  auto* bytes = reinterpret_cast<uint8_t*>(p.data());
  for (int i = 0; i < type.bits; ++i) {
    uint64_t pos = offset + static_cast<uint64_t>(i);
    auto mask = static_cast<uint8_t>(1u << (7 - (pos & 7)));
    bool set = ((value >> (type.bits - 1 - i)) & 1) != 0;
    bytes[pos >> 3] = static_cast<uint8_t>(set ? bytes[pos >> 3] | mask : bytes[pos >> 3] & ~mask);
  }
}

std::optional<int64_t> FitBitfield(int64_t value, int64_t incr, BitfieldType type,
                                   BitfieldOverflow mode) {
  if (type.is_signed) return FitSigned(value, incr, type.bits, mode);
  return FitUnsigned(static_cast<uint64_t>(value), incr, type.bits, mode);
}

}  // namespace tessera
