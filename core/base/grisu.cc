#include "core/base/grisu.h"

#include <cstdint>
#include <cstring>

namespace tessera::grisu {

namespace {

// A number f * 2^e with a 64-bit significand ("do-it-yourself floating point" in the paper).
struct DiyFp {
  uint64_t f;
  int e;
};

// 10^k for k = -348, -340, ..., 340: the significand is 10^k / 2^e rounded half up to 64
// bits with the top bit set.  Computed with exact rational arithmetic.
constexpr int kFirstCachedPower = -348;
constexpr int kCachedPowerStep = 8;
constexpr DiyFp kCachedPowers[] = {
    {0xfa8fd5a0081c0288ULL, -1220},  // 1e-348
    {0xbaaee17fa23ebf76ULL, -1193},  // 1e-340
    {0x8b16fb203055ac76ULL, -1166},  // 1e-332
    {0xcf42894a5dce35eaULL, -1140},  // 1e-324
    {0x9a6bb0aa55653b2dULL, -1113},  // 1e-316
    {0xe61acf033d1a45dfULL, -1087},  // 1e-308
    {0xab70fe17c79ac6caULL, -1060},  // 1e-300
    {0xff77b1fcbebcdc4fULL, -1034},  // 1e-292
    {0xbe5691ef416bd60cULL, -1007},  // 1e-284
    {0x8dd01fad907ffc3cULL, -980},  // 1e-276
    {0xd3515c2831559a83ULL, -954},  // 1e-268
    {0x9d71ac8fada6c9b5ULL, -927},  // 1e-260
    {0xea9c227723ee8bcbULL, -901},  // 1e-252
    {0xaecc49914078536dULL, -874},  // 1e-244
    {0x823c12795db6ce57ULL, -847},  // 1e-236
    {0xc21094364dfb5637ULL, -821},  // 1e-228
    {0x9096ea6f3848984fULL, -794},  // 1e-220
    {0xd77485cb25823ac7ULL, -768},  // 1e-212
    {0xa086cfcd97bf97f4ULL, -741},  // 1e-204
    {0xef340a98172aace5ULL, -715},  // 1e-196
    {0xb23867fb2a35b28eULL, -688},  // 1e-188
    {0x84c8d4dfd2c63f3bULL, -661},  // 1e-180
    {0xc5dd44271ad3cdbaULL, -635},  // 1e-172
    {0x936b9fcebb25c996ULL, -608},  // 1e-164
    {0xdbac6c247d62a584ULL, -582},  // 1e-156
    {0xa3ab66580d5fdaf6ULL, -555},  // 1e-148
    {0xf3e2f893dec3f126ULL, -529},  // 1e-140
    {0xb5b5ada8aaff80b8ULL, -502},  // 1e-132
    {0x87625f056c7c4a8bULL, -475},  // 1e-124
    {0xc9bcff6034c13053ULL, -449},  // 1e-116
    {0x964e858c91ba2655ULL, -422},  // 1e-108
    {0xdff9772470297ebdULL, -396},  // 1e-100
    {0xa6dfbd9fb8e5b88fULL, -369},  // 1e-92
    {0xf8a95fcf88747d94ULL, -343},  // 1e-84
    {0xb94470938fa89bcfULL, -316},  // 1e-76
    {0x8a08f0f8bf0f156bULL, -289},  // 1e-68
    {0xcdb02555653131b6ULL, -263},  // 1e-60
    {0x993fe2c6d07b7facULL, -236},  // 1e-52
    {0xe45c10c42a2b3b06ULL, -210},  // 1e-44
    {0xaa242499697392d3ULL, -183},  // 1e-36
    {0xfd87b5f28300ca0eULL, -157},  // 1e-28
    {0xbce5086492111aebULL, -130},  // 1e-20
    {0x8cbccc096f5088ccULL, -103},  // 1e-12
    {0xd1b71758e219652cULL, -77},  // 1e-4
    {0x9c40000000000000ULL, -50},  // 1e4
    {0xe8d4a51000000000ULL, -24},  // 1e12
    {0xad78ebc5ac620000ULL, 3},  // 1e20
    {0x813f3978f8940984ULL, 30},  // 1e28
    {0xc097ce7bc90715b3ULL, 56},  // 1e36
    {0x8f7e32ce7bea5c70ULL, 83},  // 1e44
    {0xd5d238a4abe98068ULL, 109},  // 1e52
    {0x9f4f2726179a2245ULL, 136},  // 1e60
    {0xed63a231d4c4fb27ULL, 162},  // 1e68
    {0xb0de65388cc8ada8ULL, 189},  // 1e76
    {0x83c7088e1aab65dbULL, 216},  // 1e84
    {0xc45d1df942711d9aULL, 242},  // 1e92
    {0x924d692ca61be758ULL, 269},  // 1e100
    {0xda01ee641a708deaULL, 295},  // 1e108
    {0xa26da3999aef774aULL, 322},  // 1e116
    {0xf209787bb47d6b85ULL, 348},  // 1e124
    {0xb454e4a179dd1877ULL, 375},  // 1e132
    {0x865b86925b9bc5c2ULL, 402},  // 1e140
    {0xc83553c5c8965d3dULL, 428},  // 1e148
    {0x952ab45cfa97a0b3ULL, 455},  // 1e156
    {0xde469fbd99a05fe3ULL, 481},  // 1e164
    {0xa59bc234db398c25ULL, 508},  // 1e172
    {0xf6c69a72a3989f5cULL, 534},  // 1e180
    {0xb7dcbf5354e9beceULL, 561},  // 1e188
    {0x88fcf317f22241e2ULL, 588},  // 1e196
    {0xcc20ce9bd35c78a5ULL, 614},  // 1e204
    {0x98165af37b2153dfULL, 641},  // 1e212
    {0xe2a0b5dc971f303aULL, 667},  // 1e220
    {0xa8d9d1535ce3b396ULL, 694},  // 1e228
    {0xfb9b7cd9a4a7443cULL, 720},  // 1e236
    {0xbb764c4ca7a44410ULL, 747},  // 1e244
    {0x8bab8eefb6409c1aULL, 774},  // 1e252
    {0xd01fef10a657842cULL, 800},  // 1e260
    {0x9b10a4e5e9913129ULL, 827},  // 1e268
    {0xe7109bfba19c0c9dULL, 853},  // 1e276
    {0xac2820d9623bf429ULL, 880},  // 1e284
    {0x80444b5e7aa7cf85ULL, 907},  // 1e292
    {0xbf21e44003acdd2dULL, 933},  // 1e300
    {0x8e679c2f5e44ff8fULL, 960},  // 1e308
    {0xd433179d9c8cb841ULL, 986},  // 1e316
    {0x9e19db92b4e31ba9ULL, 1013},  // 1e324
    {0xeb96bf6ebadf77d9ULL, 1039},  // 1e332
    {0xaf87023b9bf0ee6bULL, 1066},  // 1e340
};
constexpr int kCachedPowerCount = sizeof(kCachedPowers) / sizeof(kCachedPowers[0]);

// After scaling, the upper boundary's binary exponent lies in [kMinExp, kMaxExp], so its
// integral part fits in 32 bits and its fraction in 60.
constexpr int kMinExp = -60;
constexpr int kMaxExp = -32;

// The high 64 bits of the 128-bit product, rounded half up.
DiyFp Multiply(DiyFp a, DiyFp b) {
  unsigned __int128 p = static_cast<unsigned __int128>(a.f) * b.f;
  p += static_cast<unsigned __int128>(1) << 63;
  return {static_cast<uint64_t>(p >> 64), a.e + b.e + 64};
}

DiyFp Normalize(DiyFp x) {
  while ((x.f >> 63) == 0) {
    x.f <<= 1;
    --x.e;
  }
  return x;
}

// Picks the cached power that brings exponent e into [kMinExp, kMaxExp].  Two powers can
// qualify; the starting guess decides which, and with it the digits, so it is Redis's.
DiyFp CachedPower(int e, int* k) {
  constexpr double kLog10Of2 = 0.30102999566398114;
  const int approx = static_cast<int>(-(e + kCachedPowerCount) * kLog10Of2);
  int i = (approx - kFirstCachedPower) / kCachedPowerStep;
  while (true) {
    int scaled = e + kCachedPowers[i].e + 64;
    if (scaled < kMinExp) {
      ++i;
    } else if (scaled > kMaxExp) {
      --i;
    } else {
      *k = kFirstCachedPower + i * kCachedPowerStep;
      return kCachedPowers[i];
    }
  }
}

// Lowers the last digit while that moves the digits closer to w and keeps them inside the
// boundaries.  rest: distance from the digits to the upper boundary; unit: one step of the
// last digit; w_dist: distance from w to the upper boundary.  All in the same scaled units,
// with unsigned wrap-around exactly as in Redis.
void WeedLastDigit(char* digits, int n, uint64_t delta, uint64_t rest, uint64_t unit,
                   uint64_t w_dist) {
  while (rest < w_dist && delta - rest >= unit &&
         (rest + unit < w_dist || w_dist - rest > rest + unit - w_dist)) {
    --digits[n - 1];
    rest += unit;
  }
}

// Emits the digits of `upper` until what is left is within delta of it.
int GenerateDigits(DiyFp w, DiyFp upper, DiyFp lower, char* digits, int* exp10) {
  const int shift = -upper.e;
  const uint64_t one = uint64_t{1} << shift;
  const uint64_t w_dist = upper.f - w.f;
  uint64_t delta = upper.f - lower.f;
  uint64_t integral = upper.f >> shift;  // < 2^32, so at most 10 decimal digits
  uint64_t fraction = upper.f & (one - 1);
  int n = 0;
  int kappa = 10;
  for (uint64_t div = 1000000000; kappa > 0; div /= 10) {
    uint64_t digit = integral / div;
    if (digit != 0 || n != 0) digits[n++] = static_cast<char>('0' + digit);
    integral %= div;
    --kappa;
    uint64_t rest = (integral << shift) + fraction;
    if (rest <= delta) {
      *exp10 += kappa;
      WeedLastDigit(digits, n, delta, rest, div << shift, w_dist);
      return n;
    }
  }
  uint64_t scale = 1;
  while (true) {
    fraction *= 10;
    delta *= 10;
    scale *= 10;
    --kappa;
    uint64_t digit = fraction >> shift;
    if (digit != 0 || n != 0) digits[n++] = static_cast<char>('0' + digit);
    fraction &= one - 1;
    if (fraction < delta) {
      *exp10 += kappa;
      WeedLastDigit(digits, n, delta, fraction, one, w_dist * scale);
      return n;
    }
  }
}

}  // namespace

int Grisu2Digits(double v, char* digits, int* exp10) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  constexpr uint64_t kHiddenBit = uint64_t{1} << 52;
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  DiyFp w{bits & (kHiddenBit - 1), 1 - 1075};  // subnormal
  if (biased != 0) w = {w.f | kHiddenBit, biased - 1075};

  // The boundaries are the midpoints to the neighbouring doubles.  The lower neighbour is
  // closer when the significand is exactly a power of two.
  DiyFp upper = Normalize({(w.f << 1) + 1, w.e - 1});
  DiyFp lower = w.f == kHiddenBit ? DiyFp{(w.f << 2) - 1, w.e - 2}
                                  : DiyFp{(w.f << 1) - 1, w.e - 1};
  lower = {lower.f << (lower.e - upper.e), upper.e};
  w = Normalize(w);

  int k;
  DiyFp c = CachedPower(upper.e, &k);
  w = Multiply(w, c);
  upper = Multiply(upper, c);
  lower = Multiply(lower, c);
  // Multiply() may be off by one unit either way: narrow the interval to stay inside it.
  ++lower.f;
  --upper.f;
  *exp10 = -k;
  return GenerateDigits(w, upper, lower, digits, exp10);
}

}  // namespace tessera::grisu
