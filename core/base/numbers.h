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

// Like Redis string2ull() for cursors: decimal digits only, the full uint64 range.
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

// Redis's reply format for doubles (addReplyDouble): "%.17g", "inf", "-inf", "nan".
// Writes into buf (at least 32 bytes); returns the length.
size_t FormatDouble(double v, char* buf);
std::string DoubleToString(double v);

// Parses a memory size the way redis.conf does (memtoull): an integer optionally followed by
// k, kb, m, mb, g, gb (case-insensitive; k = 1000, kb = 1024, ...).  Returns false on error.
bool ParseMemorySize(std::string_view s, uint64_t* out);

}  // namespace tessera
