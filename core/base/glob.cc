#include "core/base/glob.h"

#include <cstddef>
#include <utility>

// Every pattern token other than '*' ('?', a class, an escape, a literal) matches exactly one
// byte, and where a token ends never depends on the byte it is tested against.  That makes
// the classic two-pointer scan exact: on a mismatch, only the most recent '*' needs to take
// one more byte, because any earlier '*' taking more could only move the rest of the pattern
// further right, where the most recent '*' already covers it.  Each mismatch advances the
// restart point by one byte, so the cost is O(len(pattern) * len(str)), with no recursion.

namespace tessera {

namespace {

// Redis reads pattern and string bytes as x86 `char`, i.e. signed, so a range such as
// [a-\xff] is empty there (0xff is -1).  We fix the sign so every platform agrees with x86.
int Byte(char c) { return static_cast<signed char>(c); }

// What glibc's tolower() returns for such a signed byte in the C locale: ASCII capitals are
// lowered, -128..-2 come back as 128..254, and -1 (EOF) is returned unchanged.  Only nocase
// ranges over non-ASCII bytes can tell the difference from a plain ASCII lowering.
int Lower(int c) {
  if (c >= 'A' && c <= 'Z') return c + ('a' - 'A');
  if (c < -1) return c + 256;
  return c;
}

bool SameByte(char p, char s, bool nocase) {
  return nocase ? Lower(Byte(p)) == Lower(Byte(s)) : p == s;
}

// Matches the class starting just after '[' at pattern[i] against byte c.  Sets *next to the
// index just past the class.  Quirks kept from Redis: a class with no closing ']' runs to the
// end of the pattern; "a-]" is a range ending at ']', so it does not close the class; an
// escaped byte inside a class ignores nocase; nocase lowers a range's bounds after ordering
// them, so [Z-a] matches nothing when nocase is set.
bool MatchClass(std::string_view p, size_t i, char c, bool nocase, size_t* next) {
  bool negate = i < p.size() && p[i] == '^';
  if (negate) ++i;
  bool match = false;
  while (i < p.size() && p[i] != ']') {
    if (p[i] == '\\' && i + 1 < p.size()) {
      if (p[i + 1] == c) match = true;
      i += 2;
    } else if (i + 2 < p.size() && p[i + 1] == '-') {
      int lo = Byte(p[i]), hi = Byte(p[i + 2]), b = Byte(c);
      if (lo > hi) std::swap(lo, hi);
      if (nocase) lo = Lower(lo), hi = Lower(hi), b = Lower(b);
      if (b >= lo && b <= hi) match = true;
      i += 3;
    } else {
      if (SameByte(p[i], c, nocase)) match = true;
      ++i;
    }
  }
  *next = i < p.size() ? i + 1 : p.size();  // past ']', or the end if unterminated
  return match != negate;
}

// Matches the single-byte token at pattern[i] (not '*') against c; sets *next past it.
bool MatchToken(std::string_view p, size_t i, char c, bool nocase, size_t* next) {
  switch (p[i]) {
    case '?':
      *next = i + 1;
      return true;
    case '[':
      return MatchClass(p, i + 1, c, nocase, next);
    case '\\':
      if (i + 1 < p.size()) ++i;  // a trailing '\' is a literal backslash
      [[fallthrough]];
    default:
      *next = i + 1;
      return SameByte(p[i], c, nocase);
  }
}

size_t SkipStars(std::string_view p, size_t i) {
  while (i < p.size() && p[i] == '*') ++i;
  return i;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  // Redis quirk: the empty string matches only the empty pattern, not even "*".  (KEYS and
  // SCAN special-case a lone "*" before matching; see GlobMatchesEverything.)
  if (str.empty()) return pattern.empty();

  constexpr size_t kNone = std::string_view::npos;
  size_t p = 0, s = 0;
  size_t star_p = kNone;  // pattern index just after the most recent run of '*'
  size_t star_s = 0;      // string index where that star's match currently ends
  while (s < str.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      p = SkipStars(pattern, p);
      if (p == pattern.size()) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    size_t next;
    if (p < pattern.size() && MatchToken(pattern, p, str[s], nocase, &next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p;
    s = ++star_s;  // let the star take one more byte
  }
  return SkipStars(pattern, p) == pattern.size();
}

}  // namespace tessera
