// Unit tests of core/base/bitmap.h: hand-computed values, then the word-at-a-time scans against
// bit-by-bit reference implementations on random strings.
#include "core/base/bitmap.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace tessera {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

bool RefBit(const std::string& s, uint64_t pos) {
  return pos / 8 < s.size() && ((static_cast<uint8_t>(s[pos / 8]) >> (7 - pos % 8)) & 1) != 0;
}

uint64_t RefCount(const std::string& s, BitSpan span) {
  uint64_t n = 0;
  for (uint64_t i = span.first; i <= span.last; ++i) n += RefBit(s, i) ? 1 : 0;
  return n;
}

int64_t RefFind(const std::string& s, bool bit, BitSpan span) {
  for (uint64_t i = span.first; i <= span.last; ++i) {
    if (RefBit(s, i) == bit) return static_cast<int64_t>(i);
  }
  return -1;
}

// The field value by the definition: a wide sum, then wrapped or clamped into the type.
std::optional<int64_t> RefFit(int64_t value, int64_t incr, BitfieldType t, BitfieldOverflow m) {
  __int128 v = t.is_signed ? __int128{value} : __int128{static_cast<uint64_t>(value)};
  __int128 sum = v + incr;
  __int128 range = __int128{1} << t.bits;
  __int128 min = t.is_signed ? -(range / 2) : 0;
  __int128 max = min + range - 1;
  if (sum >= min && sum <= max) return static_cast<int64_t>(sum);
  if (m == BitfieldOverflow::kFail) return std::nullopt;
  if (m == BitfieldOverflow::kSat) return static_cast<int64_t>(sum > max ? max : min);
  __int128 wrapped = (sum - min) % range;
  if (wrapped < 0) wrapped += range;
  return static_cast<int64_t>(wrapped + min);
}

BitfieldType I(int bits) { return {true, bits}; }
BitfieldType U(int bits) { return {false, bits}; }

}  // namespace

TEST_CASE("GetBit reads Redis's bit order, zeros past the end", "[bitmap]") {
  std::string s("\x60\x01", 2);  // 0110 0000  0000 0001
  CHECK(!GetBit(s, 0));
  CHECK(GetBit(s, 1));
  CHECK(GetBit(s, 2));
  CHECK(!GetBit(s, 3));
  CHECK(GetBit(s, 15));
  CHECK(!GetBit(s, 16));
  CHECK(!GetBit(s, std::numeric_limits<uint64_t>::max()));
  CHECK(!GetBit("", 0));
}

TEST_CASE("ResolveBitRange converts, clamps and empties", "[bitmap]") {
  auto r = [](size_t len, int64_t start, int64_t end, bool bits) {
    return ResolveBitRange(len, BitRange{start, end, bits});
  };
  auto span = [](uint64_t a, uint64_t b) { return std::optional<BitSpan>(BitSpan{a, b}); };
  auto same = [](std::optional<BitSpan> x, std::optional<BitSpan> y) {
    return x.has_value() == y.has_value() && (!x || (x->first == y->first && x->last == y->last));
  };
  CHECK(same(r(6, 0, -1, false), span(0, 47)));
  CHECK(same(r(6, 1, -2, false), span(8, 39)));
  CHECK(same(r(6, -2, 1, false), std::nullopt));
  CHECK(same(r(6, 0, 1000, false), span(0, 47)));
  CHECK(same(r(6, 10, -34, true), span(10, 14)));
  CHECK(same(r(6, kMin, kMax, false), span(0, 47)));
  CHECK(same(r(6, kMin, kMax, true), span(0, 47)));
  CHECK(same(r(6, kMin, kMin, false), span(0, 7)));  // both clamp to byte 0
  CHECK(same(r(6, kMax, kMax, true), std::nullopt));
  CHECK(same(r(6, -6, -7, false), span(0, 7)));  // BITCOUNT answers 0 before resolving this
  CHECK(same(r(0, 0, -1, false), std::nullopt));
  CHECK(same(r(0, kMin, kMax, true), std::nullopt));
}

TEST_CASE("CountBits of known strings", "[bitmap]") {
  CHECK(CountBits("") == 0);
  CHECK(CountBits("foobar") == 26);
  CHECK(CountBits(std::string(1000, '\xff')) == 8000);
  CHECK(CountBits("foobar", BitSpan{8, 39}) == 18);  // "ooba"
  CHECK(CountBits("foobar", BitSpan{5, 30}) == 17);  // f: 110, oo: 12, b: 0110001
  CHECK(CountBits("foobar", BitSpan{0, 0}) == 0);
  CHECK(CountBits("foobar", BitSpan{1, 1}) == 1);
}

TEST_CASE("FindBit of known strings", "[bitmap]") {
  std::string s("\xff\xf0\x00", 3);
  CHECK(FindBit(s, false, BitSpan{0, 23}) == 12);
  CHECK(FindBit(s, true, BitSpan{0, 23}) == 0);
  CHECK(FindBit(s, true, BitSpan{12, 23}) == -1);
  CHECK(FindBit(s, false, BitSpan{0, 11}) == -1);
  CHECK(FindBit(s, true, BitSpan{11, 11}) == 11);
  std::string ones(100, '\xff');
  ones += '\x7f';
  CHECK(FindBit(ones, false, BitSpan{0, 807}) == 800);
  CHECK(FindBit(ones, false, BitSpan{3, 799}) == -1);
}

TEST_CASE("CountBits and FindBit agree with bit-by-bit scans", "[bitmap]") {
  std::mt19937_64 rng(20240611);
  for (int round = 0; round < 3000; ++round) {
    size_t len = 1 + rng() % 70;
    std::string s(len, '\0');
    // Mostly runs of all-zero or all-one bytes, so the word skips are exercised.
    int style = static_cast<int>(rng() % 3);
    for (char& c : s) {
      uint64_t x = rng();
      c = static_cast<char>(style == 0 ? x : (x % 13 == 0 ? x : (style == 1 ? 0 : 0xff)));
    }
    uint64_t a = rng() % (len * 8), b = rng() % (len * 8);
    BitSpan span{std::min(a, b), std::max(a, b)};
    REQUIRE(CountBits(s, span) == RefCount(s, span));
    REQUIRE(FindBit(s, true, span) == RefFind(s, true, span));
    REQUIRE(FindBit(s, false, span) == RefFind(s, false, span));
  }
  std::string s(4096, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  CHECK(CountBits(s) == RefCount(s, BitSpan{0, 4096 * 8 - 1}));
}

TEST_CASE("ParseBitfieldType accepts i1..i64 and u1..u63 only", "[bitmap]") {
  BitfieldType t;
  REQUIRE(ParseBitfieldType("i8", &t));
  CHECK((t.is_signed && t.bits == 8));
  REQUIRE(ParseBitfieldType("u63", &t));
  CHECK((!t.is_signed && t.bits == 63));
  REQUIRE(ParseBitfieldType("i64", &t));
  REQUIRE(ParseBitfieldType("u1", &t));
  for (const char* bad : {"u64", "i65", "i0", "u0", "I8", "U8", "x8", "", "i", "u08", "u+8", "i-1",
                          "i8 ", " i8", "i9999999999999999999999"}) {
    CHECK_FALSE(ParseBitfieldType(bad, &t));
  }
}

TEST_CASE("GetBitfield and SetBitfield at unaligned offsets", "[bitmap]") {
  std::string s(3, '\0');
  SetBitfield(s, 3, U(5), 23);
  CHECK(s == std::string("\x17\x00\x00", 3));
  CHECK(GetBitfield(s, 0, U(8)) == 23);
  s.assign(3, '\0');
  SetBitfield(s, 4, U(16), 0xABCD);
  CHECK(s == "\x0a\xbc\xd0");
  CHECK(GetBitfield(s, 4, U(16)) == 0xABCD);
  CHECK(GetBitfield(s, 4, I(16)) == 0xABCD - 65536);
  // Past the end reads zeros.
  CHECK(GetBitfield("\xff", 0, U(16)) == 0xff00);
  CHECK(GetBitfield("\xff", 0, I(16)) == -256);
  CHECK(GetBitfield("\xff", 4, U(8)) == 0xf0);
  CHECK(GetBitfield("\xff", 0, I(64)) == -72057594037927936);
  CHECK(GetBitfield("\xff", 100, U(63)) == 0);
  CHECK(GetBitfield(std::string(8, '\xff'), 0, U(63)) == kMax);
  CHECK(GetBitfield(std::string(8, '\xff'), 0, I(64)) == -1);
  CHECK(GetBitfield("\x80", 0, I(1)) == -1);
  CHECK(GetBitfield("\x80", 0, U(1)) == 1);
}

TEST_CASE("SetBitfield round-trips and leaves neighbours alone", "[bitmap]") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string s(20, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const std::string before = s;
    BitfieldType t{rng() % 2 == 0, static_cast<int>(1 + rng() % 63)};
    uint64_t offset = rng() % (20 * 8 - 64);
    uint64_t value = rng();
    SetBitfield(s, offset, t, value);
    uint64_t low = t.bits == 64 ? value : value & ((uint64_t{1} << t.bits) - 1);
    int64_t got = GetBitfield(s, offset, U(t.bits) /* unsigned view */);
    if (t.bits < 64) REQUIRE(static_cast<uint64_t>(got) == low);
    for (uint64_t i = 0; i < 160; ++i) {
      if (i < offset || i >= offset + static_cast<uint64_t>(t.bits)) {
        REQUIRE(RefBit(s, i) == RefBit(before, i));
      }
    }
  }
}

TEST_CASE("FitBitfield overflow modes, hand-computed", "[bitmap]") {
  using M = BitfieldOverflow;
  // u8 from 100.
  CHECK(FitBitfield(100, 257, U(8), M::kWrap) == 101);
  CHECK(FitBitfield(101, 255, U(8), M::kWrap) == 100);
  CHECK(FitBitfield(100, -255, U(8), M::kWrap) == 101);
  CHECK(FitBitfield(100, 257, U(8), M::kSat) == 255);
  CHECK(FitBitfield(100, -255, U(8), M::kSat) == 0);
  CHECK(FitBitfield(100, 257, U(8), M::kFail) == std::nullopt);
  CHECK(FitBitfield(100, 155, U(8), M::kFail) == 255);
  // i8 from 100.
  CHECK(FitBitfield(100, 257, I(8), M::kWrap) == 101);
  CHECK(FitBitfield(101, 255, I(8), M::kWrap) == 100);
  CHECK(FitBitfield(100, 257, I(8), M::kSat) == 127);
  CHECK(FitBitfield(100, -255, I(8), M::kSat) == -128);
  CHECK(FitBitfield(100, 28, I(8), M::kFail) == std::nullopt);
  CHECK(FitBitfield(100, 27, I(8), M::kFail) == 127);
  // SET (incr 0) of values outside the type.
  CHECK(FitBitfield(128, 0, I(8), M::kWrap) == -128);
  CHECK(FitBitfield(-129, 0, I(8), M::kWrap) == 127);
  CHECK(FitBitfield(128, 0, I(8), M::kSat) == 127);
  CHECK(FitBitfield(-129, 0, I(8), M::kSat) == -128);
  CHECK(FitBitfield(256, 0, U(8), M::kWrap) == 0);
  CHECK(FitBitfield(256, 0, U(8), M::kSat) == 255);
  // Redis's quirk: a negative SET value is a huge unsigned one, so SAT picks the maximum.
  CHECK(FitBitfield(-1, 0, U(8), M::kSat) == 255);
  CHECK(FitBitfield(-2, 0, U(8), M::kWrap) == 254);
  CHECK(FitBitfield(-1, 0, U(8), M::kFail) == std::nullopt);
  // The 64-bit edges.
  CHECK(FitBitfield(kMax, 1, I(64), M::kWrap) == kMin);
  CHECK(FitBitfield(kMax, 1, I(64), M::kSat) == kMax);
  CHECK(FitBitfield(kMin, -1, I(64), M::kWrap) == kMax);
  CHECK(FitBitfield(kMin, -1, I(64), M::kSat) == kMin);
  CHECK(FitBitfield(kMin, kMin, I(64), M::kWrap) == 0);
  CHECK(FitBitfield(kMin, kMax, I(64), M::kFail) == -1);
  CHECK(FitBitfield(kMax, 1, U(63), M::kWrap) == 0);
  CHECK(FitBitfield(kMax, 1, U(63), M::kSat) == kMax);
  CHECK(FitBitfield(0, kMin, U(63), M::kWrap) == 0);
  CHECK(FitBitfield(0, kMin, U(63), M::kSat) == 0);
  CHECK(FitBitfield(0, kMin, U(63), M::kFail) == std::nullopt);
  CHECK(FitBitfield(5, kMin, U(63), M::kWrap) == 5);
  // One-bit fields.
  CHECK(FitBitfield(1, 0, I(1), M::kWrap) == -1);
  CHECK(FitBitfield(1, 0, I(1), M::kSat) == 0);
  CHECK(FitBitfield(-1, 1, I(1), M::kFail) == 0);
  CHECK(FitBitfield(0, 1, I(1), M::kWrap) == -1);
  CHECK(FitBitfield(1, 1, U(1), M::kWrap) == 0);
}

TEST_CASE("FitBitfield agrees with the definition on random operands", "[bitmap]") {
  std::mt19937_64 rng(99);
  auto pick = [&](BitfieldType t) -> int64_t {
    // Near the type's edges, near int64's, or anywhere.
    // (63-bit unsigned and 64-bit signed fields both reach int64's edge.)
    int magnitude_bits = t.bits - (t.is_signed ? 1 : 0);
    int64_t edge = magnitude_bits >= 63 ? kMax : (int64_t{1} << magnitude_bits);
    switch (rng() % 4) {
      case 0:
        return edge - static_cast<int64_t>(rng() % 3);
      case 1:
        return -edge + static_cast<int64_t>(rng() % 3) - 1;
      case 2:
        return rng() % 2 ? kMax - static_cast<int64_t>(rng() % 3)
                         : kMin + static_cast<int64_t>(rng() % 3);
      default:
        return static_cast<int64_t>(rng());
    }
  };
  for (int round = 0; round < 20000; ++round) {
    BitfieldType t{rng() % 2 == 0, 0};
    t.bits = static_cast<int>(1 + rng() % (t.is_signed ? 64 : 63));
    auto mode = static_cast<BitfieldOverflow>(rng() % 3);
    int64_t value = pick(t);
    // SET: any value.  INCRBY: a value the field can hold.
    REQUIRE(FitBitfield(value, 0, t, mode) == RefFit(value, 0, t, mode));
    auto held = RefFit(value, 0, t, BitfieldOverflow::kWrap);
    int64_t incr = pick(t);
    REQUIRE(FitBitfield(*held, incr, t, mode) == RefFit(*held, incr, t, mode));
  }
}

}  // namespace tessera
