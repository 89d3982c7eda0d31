// Redis-compatible glob matching for KEYS, SCAN MATCH, CONFIG GET, CLIENT KILL and later
// PSUBSCRIBE.
//
// Semantics are those of Redis's stringmatchlen(): '*', '?', '[...]' with ranges and '^'
// negation, '\' escapes; an unterminated '[' matches as Redis does.  Unlike Redis 6.x the
// matcher is iterative: no recursion (CVE-2024-31228: long patterns overflowed the stack) and
// no exponential backtracking (CVE-2022-36021: "a*a*a*...b" hung the server).  Matching costs
// O(len(pattern) * len(string)) at worst.
#pragma once

#include <string_view>

namespace tessera {

// Returns true iff `str` matches `pattern`.  With `nocase`, letters compare case-insensitively
// (ASCII only, as in Redis).
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// True iff the pattern is the plain "*" (callers skip matching entirely).
inline bool GlobMatchesEverything(std::string_view pattern) { return pattern == "*"; }

}  // namespace tessera
