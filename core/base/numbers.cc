#include "core/base/numbers.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "core/base/grisu.h"

namespace tessera {

namespace {

// Redis refuses integers of 21 or more characters before looking at them (LONG_STR_SIZE).
constexpr size_t kMaxInt64Chars = 20;
// Redis copies a long double argument into a buffer of this size (MAX_LONG_DOUBLE_CHARS).
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// isspace() in the C locale.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// True iff the strtod-family result is a range error Redis rejects: overflow to +-inf, or
// underflow all the way to zero.  Underflow to a non-zero denormal is accepted.
template <typename T>
bool IsRejectedRangeError(T v) {
  return errno == ERANGE && (std::isinf(v) || v == 0);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return false;
  }
  return true;
}

// Lays out Grisu2 digits the way Redis 7.2's fpconv_dtoa() does.  `digits` holds n
// significant digits and the value is digits * 10^k.  Integers are written in full while the
// exponent stays under n + 7; fractions plainly while k > -7 or the magnitude is under 10^4;
// anything else as d.ddde+X / d.ddde-X with an unpadded exponent.
size_t LayOutDigits(const char* digits, int n, int k, bool negative, char* out) {
  int magnitude = k + n - 1;  // decimal exponent of the first digit
  int abs_magnitude = magnitude < 0 ? -magnitude : magnitude;
  char* p = out;
  if (k >= 0 && abs_magnitude < n + 7) {
    p = std::copy(digits, digits + n, p);
    p = std::fill_n(p, k, '0');
  } else if (k < 0 && (k > -7 || abs_magnitude < 4)) {
    int int_digits = n + k;  // digits before the point
    if (int_digits <= 0) {
      *p++ = '0';
      *p++ = '.';
      p = std::fill_n(p, -int_digits, '0');
      p = std::copy(digits, digits + n, p);
    } else {
      p = std::copy(digits, digits + int_digits, p);
      *p++ = '.';
      p = std::copy(digits + int_digits, digits + n, p);
    }
  } else {
    n = std::min(n, negative ? 17 : 18);  // never binds: Grisu2 gives at most 17 digits
    *p++ = digits[0];
    if (n > 1) {
      *p++ = '.';
      p = std::copy(digits + 1, digits + n, p);
    }
    *p++ = 'e';
    *p++ = magnitude < 0 ? '-' : '+';
    p = std::to_chars(p, p + 4, abs_magnitude).ptr;
  }
  return static_cast<size_t>(p - out);
}

// A finite, non-zero, non-integral (or very large) double as Redis 7.2 writes it.
size_t FormatGrisu(double v, char* buf) {
  bool negative = v < 0;
  char* p = buf;
  if (negative) *p++ = '-';
  char digits[20];
  int k = 0;
  int n = grisu::Grisu2Digits(negative ? -v : v, digits, &k);
  return static_cast<size_t>(p - buf) + LayOutDigits(digits, n, k, negative, p);
}

}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > kMaxInt64Chars) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = s[0] == '-';
  if (negative) ++i;
  if (i == s.size() || s[i] < '1' || s[i] > '9') return false;  // no "-", "01", "+1", " 1"
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (negative) {
    if (v > kMax + 1) return false;
    *out = static_cast<int64_t>(0 - v);  // two's complement: also right for INT64_MIN
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  // Redis tries string2ll() first and falls back to strtoull(), so it also accepts what
  // strtoull() accepts: leading blanks, '+', leading zeros, and a '-' that wraps around
  // (rejected only when string2ll() itself read a negative number).
  int64_t ll;
  if (ParseInt64(s, &ll)) {
    if (ll < 0) return false;
    *out = static_cast<uint64_t>(ll);
    return true;
  }
  // strtoull() needs a C string; a NUL inside s is rejected (Redis would stop reading there).
  if (s.empty() || s.find('\0') != std::string_view::npos) return false;
  std::string c(s);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(c.c_str(), &end, 10);
  if (errno == ERANGE || errno == EINVAL || *end != '\0') return false;
  *out = v;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars || IsSpace(s[0])) return false;
  std::string c(s);  // strtold() needs a NUL; one inside s stops it and fails the length test
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(c.c_str(), &end);
  if (static_cast<size_t>(end - c.c_str()) != s.size() || IsRejectedRangeError(v) ||
      errno == EINVAL || std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

namespace {

// The common short decimals ("1.5", "-42", "0.001") without strtod: an optional '-', at
// most 15 digits with an optional point between two of them.  The digits make an integer
// below 2^53 and the power of ten is at most 10^15, both exact doubles, so their quotient
// (one IEEE division, rounded once) is the double strtod gives (Clinger's fast path).
// False for anything else, which strtod then reads.
bool ParseShortDecimal(std::string_view s, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++i;
  uint64_t m = 0;
  int digits = 0, frac = -1;  // frac: digits after the point, -1 before one is seen
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      m = m * 10 + static_cast<uint64_t>(c - '0');
      ++digits;
      if (frac >= 0) ++frac;
    } else if (c == '.' && frac < 0 && digits > 0) {
      frac = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || digits > 15 || frac == 0) return false;
  double v = static_cast<double>(m);
  if (frac > 0) v /= kPow10[frac];
  *out = negative ? -v : v;
  return true;
}

}  // namespace

bool ParseDouble(std::string_view s, double* out) {
  if (ParseShortDecimal(s, out)) return true;
  if (s.empty() || IsSpace(s[0])) return false;
  std::string c(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(c.c_str(), &end);
  if (static_cast<size_t>(end - c.c_str()) != s.size() || IsRejectedRangeError(v) ||
      std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

size_t FormatInt64(int64_t v, char* buf) {
  return static_cast<size_t>(std::to_chars(buf, buf + 21, v).ptr - buf);
}

std::string Int64ToString(int64_t v) {
  char buf[21];
  return std::string(buf, FormatInt64(v, buf));
}

std::string LongDoubleToHumanString(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  // "%.17Lf" never uses an exponent; the largest long double needs about 4950 characters.
  char buf[kMaxLongDoubleChars];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  std::string_view s(buf, static_cast<size_t>(len));
  // %f always prints a point here; drop trailing zeros, then a bare point.
  s = s.substr(0, s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.remove_suffix(1);
  if (s == "-0") return "0";
  return std::string(s);
}

size_t FormatDouble(double v, char* buf) {
  auto put = [buf](std::string_view s) {
    std::memcpy(buf, s.data(), s.size());
    return s.size();
  };
  if (std::isnan(v)) return put("nan");
  if (std::isinf(v)) return put(v > 0 ? "inf" : "-inf");
  if (v == 0) return put(std::signbit(v) ? "-0" : "0");
  // Integral values that an int64 holds exactly with room to spare print as integers.
  constexpr double kIntLimit = static_cast<double>(std::numeric_limits<int64_t>::max() / 2);
  if (v >= -kIntLimit && v <= kIntLimit) {
    auto ll = static_cast<int64_t>(v);
    if (static_cast<double>(ll) == v) return FormatInt64(ll, buf);
  }
  return FormatGrisu(v, buf);
}

size_t FpconvDtoa(double v, char* buf) {
  if (std::isfinite(v) && v != 0) return FormatGrisu(v, buf);
  size_t n = 0;
  if (std::signbit(v)) buf[n++] = '-';
  std::string_view s = std::isnan(v) ? "nan" : std::isinf(v) ? "inf" : "0";
  std::memcpy(buf + n, s.data(), s.size());
  return n + s.size();
}

std::string DoubleToString(double v) {
  char buf[32];
  return std::string(buf, FormatDouble(v, buf));
}

bool ParseMemorySize(std::string_view s, uint64_t* out) {
  if (!s.empty() && s[0] == '-') return false;
  size_t digits = 0;
  while (digits < s.size() && IsDigit(s[digits])) ++digits;
  std::string_view unit = s.substr(digits);
  uint64_t mul;
  if (unit.empty() || EqualsNoCase(unit, "b")) {
    mul = 1;
  } else if (EqualsNoCase(unit, "k")) {
    mul = 1000;
  } else if (EqualsNoCase(unit, "kb")) {
    mul = 1024;
  } else if (EqualsNoCase(unit, "m")) {
    mul = 1000 * 1000;
  } else if (EqualsNoCase(unit, "mb")) {
    mul = 1024 * 1024;
  } else if (EqualsNoCase(unit, "g")) {
    mul = 1000ULL * 1000 * 1000;
  } else if (EqualsNoCase(unit, "gb")) {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  // Redis quirk kept: no digits at all ("" or "gb") reads as 0.  Redis lets an overflowing
  // number saturate or wrap around; we refuse it instead.
  uint64_t v = 0;
  if (digits > 0) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, v);
    if (ec != std::errc()) return false;
  }
  if (v > std::numeric_limits<uint64_t>::max() / mul) return false;
  *out = v * mul;
  return true;
}

}  // namespace tessera
