#include "core/base/numbers.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>

// Expected strings below are what Redis 7.2.4 returns for the same input (its util.c and
// deps/fpconv built and run side by side with these functions, plus redis-server replies).

using namespace tessera;

namespace {

std::optional<int64_t> Int(std::string_view s) {
  int64_t v;
  if (!ParseInt64(s, &v)) return std::nullopt;
  return v;
}

std::optional<uint64_t> Uint(std::string_view s) {
  uint64_t v;
  if (!ParseUint64(s, &v)) return std::nullopt;
  return v;
}

std::optional<uint64_t> Mem(std::string_view s) {
  uint64_t v;
  if (!ParseMemorySize(s, &v)) return std::nullopt;
  return v;
}

bool IsDouble(std::string_view s) {
  double d;
  return ParseDouble(s, &d);
}

bool IsLongDouble(std::string_view s) {
  long double d;
  return ParseLongDouble(s, &d);
}

// What INCRBYFLOAT replies for `incr` applied to `value`.
std::string IncrByFloat(std::string_view value, std::string_view incr) {
  long double a, b;
  REQUIRE(ParseLongDouble(value, &a));
  REQUIRE(ParseLongDouble(incr, &b));
  return LongDoubleToHumanString(a + b);
}

}  // namespace

TEST_CASE("ParseInt64 accepts exactly what string2ll accepts") {
  CHECK(Int("0") == 0);
  CHECK(Int("1") == 1);
  CHECK(Int("-1") == -1);
  CHECK(Int("9223372036854775807") == INT64_MAX);
  CHECK(Int("-9223372036854775808") == INT64_MIN);
  for (const char* bad : {"", "-", "+1", "01", "-01", "-0", "00", " 1", "1 ", "1a", "0x10",
                          "9223372036854775808", "-9223372036854775809",
                          "18446744073709551616", "99999999999999999999", "1.0", "1e3"}) {
    INFO(bad);
    CHECK_FALSE(Int(bad));
  }
  CHECK_FALSE(Int(std::string_view("1\0", 2)));
  CHECK_FALSE(Int("000000000000000000001"));  // 21 characters: refused before parsing
}

TEST_CASE("ParseInt64 agrees with from_chars on every length, around the overflow edge") {
  // Lengths up to 18 digits take a path without overflow checks; 19 and 20 check each step.
  std::mt19937_64 rng(7);
  for (int digits = 1; digits <= 20; ++digits) {
    for (int round = 0; round < 200; ++round) {
      std::string t(1, static_cast<char>('1' + rng() % 9));
      while (static_cast<int>(t.size()) < digits) t += static_cast<char>('0' + rng() % 10);
      if (round == 0) t = std::string(static_cast<size_t>(digits), '9');
      for (const std::string& cand : {t, "-" + t}) {
        int64_t want = 0;
        auto [end, ec] = std::from_chars(cand.data(), cand.data() + cand.size(), want);
        const bool ok = ec == std::errc() && end == cand.data() + cand.size();
        INFO(cand);
        if (ok) {
          CHECK(Int(cand) == want);
        } else {
          CHECK_FALSE(Int(cand));
        }
      }
    }
  }
  CHECK(Int("999999999999999999") == 999999999999999999);
  CHECK(Int("-1000000000000000000") == -1000000000000000000);
  CHECK_FALSE(Int("1a3456789012345678"));
  CHECK_FALSE(Int("1234567890123456789a"));
}

TEST_CASE("ParseUint64 follows string2ull, strtoull fallback included") {
  CHECK(Uint("0") == 0);
  CHECK(Uint("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(Uint("18446744073709551616"));
  CHECK_FALSE(Uint(""));
  CHECK_FALSE(Uint("-1"));
  CHECK_FALSE(Uint("abc"));
  CHECK_FALSE(Uint("1 "));
  // What strtoull() lets through once string2ll() has refused the string.
  CHECK(Uint("007") == 7);
  CHECK(Uint("+5") == 5);
  CHECK(Uint(" 5") == 5);
  CHECK(Uint("-0") == 0);
  CHECK(Uint("-18446744073709551615") == 1);
}

TEST_CASE("ParseLongDouble follows string2ld") {
  long double v;
  REQUIRE(ParseLongDouble("10.5", &v));
  CHECK(v == 10.5L);
  REQUIRE(ParseLongDouble("-inf", &v));
  CHECK(std::isinf(v));
  CHECK(IsLongDouble("inf"));
  CHECK(IsLongDouble("1e10"));
  CHECK(IsLongDouble("0x1p3"));
  CHECK(IsLongDouble(".5"));
  CHECK(IsLongDouble("5."));
  CHECK(IsLongDouble("1e-4940"));  // denormal, not zero: accepted
  for (const char* bad : {"", " 1", "1 ", "nan", "NaN", "-nan", "abc", "1e", "1e99999",
                          "1e-99999", "1,5"}) {
    INFO(bad);
    CHECK_FALSE(IsLongDouble(bad));
  }
  CHECK_FALSE(IsLongDouble(std::string_view("1\0", 2)));
  // string2ld copies into a 5 KiB buffer: 5120 characters or more are refused.
  CHECK(IsLongDouble(std::string(5118, '0') + "1"));
  CHECK_FALSE(IsLongDouble(std::string(5119, '0') + "1"));
}

TEST_CASE("ParseDouble follows string2d") {
  double v;
  REQUIRE(ParseDouble("1.5", &v));
  CHECK(v == 1.5);
  CHECK(IsDouble("+inf"));
  CHECK(IsDouble("-inf"));
  CHECK(IsDouble("1e308"));
  CHECK(IsDouble("4e-320"));  // denormal
  for (const char* bad : {"", " 1", "1 ", "nan", "1e309", "1e-400", "x", "1.5x"}) {
    INFO(bad);
    CHECK_FALSE(IsDouble(bad));
  }
  CHECK(IsDouble(std::string(6000, '0') + "1"));  // no length cap, unlike string2ld
}

TEST_CASE("ParseDouble's short-decimal path gives strtod's double, bit for bit") {
  auto same = [](const std::string& s) {
    double fast, slow;
    REQUIRE(ParseDouble(s, &fast));
    slow = std::strtod(s.c_str(), nullptr);
    uint64_t a, b;
    std::memcpy(&a, &fast, 8);
    std::memcpy(&b, &slow, 8);
    INFO(s);
    CHECK(a == b);
  };
  for (const char* s : {"0", "-0", "0.0", "-0.0", "1.5", "-1.5", "0.1", "0.3", "007", "7.00",
                        "999999999999999", "99999999999999.9", "0.000000000000001",
                        "-123456789012.345", "4.35", "1.000000000000005"}) {
    same(s);
  }
  uint64_t x = 88172645463325252ULL;  // xorshift: random digits and point positions
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const int digits = 1 + static_cast<int>(x % 15);
    std::string s = (x >> 8) % 2 ? "-" : "";
    std::string d = std::to_string((x >> 12) % 1000000000000000ULL);
    d = std::string(d.size() < static_cast<size_t>(digits) ? digits - d.size() : 0, '0') + d;
    d = d.substr(d.size() - digits);
    const size_t point = (x >> 60) % digits;
    s += point == 0 ? d : d.substr(0, point) + "." + d.substr(point);
    same(s);
  }
  // Forms the short path leaves to strtod still parse as before.
  double v;
  for (const char* s : {"1.", ".5", "+1.5", "1e3", "1234567890123456.5", "-.5"}) {
    INFO(s);
    REQUIRE(ParseDouble(s, &v));
    CHECK(v == std::strtod(s, nullptr));
  }
  CHECK_FALSE(ParseDouble("-", &v));
  CHECK_FALSE(ParseDouble("1.2.3", &v));
  CHECK_FALSE(ParseDouble("1-2", &v));
}

TEST_CASE("FormatInt64") {
  char buf[21];
  CHECK(std::string(buf, FormatInt64(INT64_MIN, buf)) == "-9223372036854775808");
  CHECK(Int64ToString(0) == "0");
  CHECK(Int64ToString(-42) == "-42");
  CHECK(Int64ToString(INT64_MAX) == "9223372036854775807");
}

TEST_CASE("LongDoubleToHumanString matches INCRBYFLOAT replies") {
  CHECK(IncrByFloat("10.5", "0.1") == "10.6");
  CHECK(IncrByFloat("5.0e3", "2.0e2") == "5200");
  CHECK(IncrByFloat("10", "-1.1") == "8.9");
  CHECK(IncrByFloat("17179869184", "1.5") == "17179869185.5");
  CHECK(IncrByFloat("0", "1") == "1");
  CHECK(IncrByFloat("1", "0.25") == "1.25");
  CHECK(LongDoubleToHumanString(3.0L) == "3");
  CHECK(LongDoubleToHumanString(-0.0L) == "0");
  CHECK(LongDoubleToHumanString(-1e-30L) == "0");  // "-0.00000000000000000" -> "0"
  CHECK(LongDoubleToHumanString(0.1L) == "0.1");
  CHECK(LongDoubleToHumanString(1e-17L) == "0.00000000000000001");
  CHECK(LongDoubleToHumanString(1e-18L) == "0");
  CHECK(LongDoubleToHumanString(INFINITY) == "inf");
  CHECK(LongDoubleToHumanString(-INFINITY) == "-inf");
  // Huge values print every digit of the 64-bit-mantissa value, never an exponent.
  long double big;
  REQUIRE(ParseLongDouble("1.5e300", &big));
  CHECK(LongDoubleToHumanString(big) ==
        "15000000000000000000498001098614721663623792391186739285512197182489735299298127"
        "08792854310575830930686530644566050229406926646739311017606984258288377434143937"
        "60277819671066123465594419577083851326884682615020541863299554727187482707293623"
        "0594920013241190363994471886080567336615911694509046614720512");
  REQUIRE(ParseLongDouble("1e20", &big));
  CHECK(LongDoubleToHumanString(big) == "100000000000000000000");
}

TEST_CASE("FormatDouble matches Redis 7.2 double replies") {
  auto f = [](double v) { return DoubleToString(v); };
  CHECK(f(1.5) == "1.5");
  CHECK(f(0.1) == "0.1");
  CHECK(f(-0.5) == "-0.5");
  CHECK(f(3.0) == "3");
  CHECK(f(0.0) == "0");
  CHECK(f(-0.0) == "-0");
  CHECK(f(5e9) == "5000000000");
  CHECK(f(1e17) == "100000000000000000");  // integral and within 2^62: printed as an integer
  CHECK(f(1e20) == "1e+20");
  CHECK(f(1.5e300) == "1.5e+300");
  CHECK(f(-1.5e300) == "-1.5e+300");
  CHECK(f(1e-5) == "0.00001");
  CHECK(f(1e-7) == "1e-7");
  CHECK(f(5e-324) == "5e-324");
  CHECK(f(1.1 + 2.2) == "3.3000000000000003");
  CHECK(f(25344.369445030108) == "2.5344369445030108e+4");
  CHECK(f(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(f(INFINITY) == "inf");
  CHECK(f(-INFINITY) == "-inf");
  CHECK(f(NAN) == "nan");
  // Where Grisu2 is not shortest, Redis is not either: these differ from std::to_chars.
  CHECK(f(0.0337124) == "0.033712399999999997");
  CHECK(f(-0.739315) == "-0.7393150000000001");
  CHECK(f(0.00106516) == "0.0010651599999999999");
  CHECK(f(5.08741e-4) == "5.087409999999999e-4");
  CHECK(f(27580407571410550000000.0) == "27580407571410552000000");
}

TEST_CASE("FormatDouble output parses back to the same double") {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 100000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double v;
    std::memcpy(&v, &x, sizeof(v));
    if (std::isnan(v)) continue;
    char buf[32];
    size_t n = FormatDouble(v, buf);
    REQUIRE(n < 32);
    double back;
    REQUIRE(ParseDouble(std::string_view(buf, n), &back));
    REQUIRE(std::memcmp(&back, &v, sizeof(v)) == 0);
  }
}

TEST_CASE("ParseMemorySize follows memtoull") {
  CHECK(Mem("1gb") == 1073741824);
  CHECK(Mem("1g") == 1000000000);
  CHECK(Mem("1GB") == 1073741824);
  CHECK(Mem("10MB") == 10485760);
  CHECK(Mem("10mB") == 10485760);
  CHECK(Mem("10m") == 10000000);
  CHECK(Mem("1k") == 1000);
  CHECK(Mem("1Kb") == 1024);
  CHECK(Mem("100") == 100);
  CHECK(Mem("100b") == 100);
  CHECK(Mem("0") == 0);
  CHECK(Mem("007") == 7);
  CHECK(Mem("18446744073709551615") == UINT64_MAX);
  // Redis quirk: no digits reads as 0.
  CHECK(Mem("") == 0);
  CHECK(Mem("gb") == 0);
  for (const char* bad : {"1xb", "-1", "+1", " 1", "1 gb", "1gbb", "1.5gb", "1t", "1tb",
                          "18446744073709551616", "17179869184gb"}) {
    INFO(bad);
    CHECK_FALSE(Mem(bad));
  }
}
