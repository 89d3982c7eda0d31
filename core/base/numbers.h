// Number parsing and formatting with Redis's exact rules.
//
// Clients see these strings (INCR replies, INCRBYFLOAT results, RESP3 doubles, config values),
// and the Redis test suite compares them byte for byte, so every function names the Redis
// function whose behaviour it reproduces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

// Like Redis string2ll(): optional '-', no '+', no leading zeros (except "0"), no spaces,
// the full int64 range including INT64_MIN.  Returns false on anything else.
bool ParseInt64(std::string_view s, int64_t* out);

// Like Redis string2ull() (stream IDs): the full uint64 range.  Like Redis, strings that
// string2ll() refuses go through strtoull(), which also takes leading blanks, '+', leading
// zeros and a wrapping '-' ("-1" is refused, "-0" and "-18446744073709551615" are not).
// Note: Redis 7.2's SCAN cursor parser is a different one (strtoul: no leading blank, "" is 0).
bool ParseUint64(std::string_view s, uint64_t* out);

// Like Redis string2ld(): strtold over the whole string, rejecting empty strings, leading
// spaces, NaN, and values that overflow (ERANGE); "inf"/"-inf" accepted.
bool ParseLongDouble(std::string_view s, long double* out);

// Like Redis string2d() / getDoubleFromObject(): strtod over the whole string, no leading
// space, not NaN; "inf", "+inf", "-inf" accepted.
bool ParseDouble(std::string_view s, double* out);

// Writes the decimal form of v into buf (at least 21 bytes); returns the length.
size_t FormatInt64(int64_t v, char* buf);
std::string Int64ToString(int64_t v);

// Redis ld2string(..., LD_STR_HUMAN): "%.17Lf" with trailing zeros and a trailing '.' removed;
// "-0" becomes "0"; inf as "inf"/"-inf".  Used for INCRBYFLOAT and HINCRBYFLOAT results.
std::string LongDoubleToHumanString(long double v);

// Redis 7.2's reply format for doubles (addReplyDouble -> d2string): "inf", "-inf", "nan",
// "0"/"-0", integral values within +-2^62 as integers, everything else as Grisu2 digits in
// fpconv_dtoa()'s layout ("1.5", "0.1", "1.5e+300", "1e-7").  Not "%.17g": that was Redis
// 7.0 and earlier (0.1 -> "0.10000000000000001").
// Writes into buf (at least 32 bytes); returns the length.
size_t FormatDouble(double v, char* buf);
std::string DoubleToString(double v);

// Redis's fpconv_dtoa() itself: Grisu2 digits in its layout for every finite value, integers
// included (1e8 -> "1e+8", 123 -> "123"); "-" before a negative value, -0 and -inf; "nan",
// "inf", "0".  Redis uses it for Lua numbers passed to redis.call.  Writes at most 24 bytes.
size_t FpconvDtoa(double v, char* buf);

// Parses a memory size the way redis.conf does (memtoull): an integer optionally followed by
// b, k, kb, m, mb, g, gb (case-insensitive; k = 1000, kb = 1024, ...).  Returns false on
// error.  As in Redis, a unit with no digits ("", "gb") reads as 0; unlike Redis, a value that
// overflows uint64 is an error rather than saturated or wrapped.
bool ParseMemorySize(std::string_view s, uint64_t* out);

}  // namespace tessera
