#include "core/base/crc64.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tessera {

namespace {

// The reflected form of 0xad93d23594c935a9.
constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;

// Slicing-by-8: table k holds the CRC of a byte followed by k zero bytes, so eight input
// bytes cost eight lookups and one 64-bit xor instead of eight dependent steps.  RDB files
// and DUMP payloads are checksummed whole, so this is on the load and save paths (about 5x
// the byte-at-a-time speed).
using Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kReflectedPoly : crc >> 1;
    t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) t[k][i] = t[0][t[k - 1][i] & 0xff] ^ (t[k - 1][i] >> 8);
  }
  return t;
}

constexpr Tables kTables = MakeTables();

uint64_t Crc64Table(uint64_t crc, const unsigned char* p, size_t n) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "slicing assumes little-endian");
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= crc;
    crc = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^ kTables[5][(v >> 16) & 0xff] ^
          kTables[4][(v >> 24) & 0xff] ^ kTables[3][(v >> 32) & 0xff] ^
          kTables[2][(v >> 40) & 0xff] ^ kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  for (; n > 0; --n, ++p) crc = kTables[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// Folding with carry-less multiplication (PCLMULQDQ), for long buffers.  The CRC (initial
// value 0, no final xor) is linear: replacing a prefix of the input by another of the same
// length whose polynomial is congruent modulo P leaves the CRC unchanged.  A 16-byte block A
// followed by 16 more bytes is congruent to A * x^128 moved onto those bytes; with A's two
// halves H (first 8 bytes, the high degrees) and L, that is H * (x^192 mod P) + L * (x^128
// mod P), two 64x64-bit carry-less products.  In the reflected bit order the CRC uses, a
// product of two reflected operands lands one bit low, hence the constants x^(e-1) mod P.
// The last folded block and the tail then go through the tables.

// x^n mod P (normal bit order, P's x^64 term implied), bit-reflected.
constexpr uint64_t ReflectedXPowMod(int n) {
  constexpr uint64_t kPoly = 0xad93d23594c935a9ULL;
  uint64_t r = 1;
  for (int i = 0; i < n; ++i) r = (r & (uint64_t{1} << 63)) ? (r << 1) ^ kPoly : r << 1;
  uint64_t out = 0;
  for (int i = 0; i < 64; ++i) out |= ((r >> i) & 1) << (63 - i);
  return out;
}

// Folding distances of 1 and 4 blocks, and the 4-to-1 merge (3 and 2 blocks).
constexpr uint64_t kFold1[2] = {ReflectedXPowMod(191), ReflectedXPowMod(127)};
constexpr uint64_t kFold2[2] = {ReflectedXPowMod(319), ReflectedXPowMod(255)};
constexpr uint64_t kFold3[2] = {ReflectedXPowMod(447), ReflectedXPowMod(383)};
constexpr uint64_t kFold4[2] = {ReflectedXPowMod(575), ReflectedXPowMod(511)};

__attribute__((target("pclmul,sse2"))) inline __m128i Fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) __m128i Constants(const uint64_t (&k)[2]) {
  return _mm_set_epi64x(static_cast<long long>(k[1]), static_cast<long long>(k[0]));
}

// REQUIRES n >= 64.
__attribute__((target("pclmul,sse2"))) uint64_t Crc64Clmul(uint64_t crc, const unsigned char* p,
                                                           size_t n) {
  auto load = [](const unsigned char* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  __m128i x0 = _mm_xor_si128(load(p), _mm_set_epi64x(0, static_cast<long long>(crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k4 = Constants(kFold4);
  while (n >= 64) {
    x0 = _mm_xor_si128(Fold(x0, k4), load(p));
    x1 = _mm_xor_si128(Fold(x1, k4), load(p + 16));
    x2 = _mm_xor_si128(Fold(x2, k4), load(p + 32));
    x3 = _mm_xor_si128(Fold(x3, k4), load(p + 48));
    p += 64;
    n -= 64;
  }
  const __m128i k1 = Constants(kFold1);
  __m128i x = _mm_xor_si128(_mm_xor_si128(Fold(x0, Constants(kFold3)), Fold(x1, Constants(kFold2))),
                            _mm_xor_si128(Fold(x2, k1), x3));
  while (n >= 16) {
    x = _mm_xor_si128(Fold(x, k1), load(p));
    p += 16;
    n -= 16;
  }
  unsigned char last[16];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(last), x);
  return Crc64Table(Crc64Table(0, last, 16), p, n);
}

bool HasClmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  return has;
}
#endif

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
#if defined(__x86_64__)
  if (data.size() >= 256 && HasClmul()) return Crc64Clmul(crc, p, data.size());
#endif
  return Crc64Table(crc, p, data.size());
}

namespace internal {

uint64_t Crc64TableForTesting(uint64_t crc, std::string_view data) {
  return Crc64Table(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

}  // namespace internal

}  // namespace tessera
