#include "core/base/glob.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

using tessera::GlobMatch;

// Expected values below were checked against Redis 7.2.4's stringmatchlen().

TEST_CASE("GlobMatch stars and question marks") {
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK(GlobMatch("h*llo", "hllo"));
  CHECK(GlobMatch("h*llo", "heeeello"));
  CHECK_FALSE(GlobMatch("h?llo", "hllo"));
  CHECK(GlobMatch("user:*:name", "user:42:name"));
  CHECK_FALSE(GlobMatch("user:*:name", "user:42:age"));
  CHECK(GlobMatch("a**b", "ab"));
  CHECK(GlobMatch("a*", "a"));
  CHECK(GlobMatch("a***", "a"));
  CHECK_FALSE(GlobMatch("a*b", "a"));
  CHECK(GlobMatch("*a*a*", "aa"));
  CHECK_FALSE(GlobMatch("*a*a*", "a"));
}

TEST_CASE("GlobMatch: the empty string matches only the empty pattern") {
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("*", ""));
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK_FALSE(GlobMatch("", "a"));
}

TEST_CASE("GlobMatch classes") {
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK(GlobMatch("h[b-a]llo", "hallo"));  // reversed range
  CHECK_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("[a\\-z]", "-"));
  CHECK_FALSE(GlobMatch("[a\\-z]", "b"));
  CHECK(GlobMatch("[*]", "*"));
  CHECK_FALSE(GlobMatch("[*]", "x"));
}

TEST_CASE("GlobMatch class edge cases") {
  // "[]" is a class holding nothing, and "[^]" one matching anything.
  CHECK_FALSE(GlobMatch("[]", "a"));
  CHECK_FALSE(GlobMatch("a[]", "a"));
  CHECK(GlobMatch("[^]", "a"));
  // An unterminated class runs to the end of the pattern.
  CHECK(GlobMatch("[abc", "b"));
  CHECK_FALSE(GlobMatch("[abc", "bc"));
  CHECK_FALSE(GlobMatch("[", "["));
  CHECK(GlobMatch("[^", "x"));
  CHECK(GlobMatch("[^a", "b"));
  // "a-]" is a range (']'..'a' once ordered), so it does not close the class: "[a-]x]" is
  // one class holding that range and 'x'.
  CHECK(GlobMatch("[a-]x]", "x"));
  CHECK(GlobMatch("[a-]x]", "]"));
  CHECK(GlobMatch("[a-]x]", "^"));
  CHECK_FALSE(GlobMatch("[a-]x]", "b"));
  CHECK_FALSE(GlobMatch("[a-]x]", "ax]"));
  // A trailing backslash inside a class is a literal backslash.
  CHECK(GlobMatch("[\\", "\\"));
  CHECK(GlobMatch("[a-", "-"));
}

TEST_CASE("GlobMatch escapes") {
  CHECK(GlobMatch("\\*", "*"));
  CHECK_FALSE(GlobMatch("\\*", "a"));
  CHECK(GlobMatch("\\?x", "?x"));
  CHECK(GlobMatch("a\\", "a\\"));  // trailing backslash matches itself
  CHECK_FALSE(GlobMatch("a\\", "a"));
  CHECK(GlobMatch("\\a", "a"));
}

TEST_CASE("GlobMatch nocase") {
  CHECK(GlobMatch("HELLO", "hello", true));
  CHECK_FALSE(GlobMatch("HELLO", "hello", false));
  CHECK(GlobMatch("h[A-C]llo", "hbllo", true));
  CHECK(GlobMatch("h[a]llo", "hAllo", true));
  CHECK(GlobMatch("\\H", "h", true));
  // An escaped byte inside a class ignores nocase, as in Redis.
  CHECK_FALSE(GlobMatch("[\\A]", "a", true));
  // Bounds are ordered before lowering: [Z-a] holds Z..a, but nocase makes it z..a (empty).
  CHECK(GlobMatch("[Z-a]", "_", false));
  CHECK_FALSE(GlobMatch("[Z-a]", "_", true));
}

TEST_CASE("GlobMatch compares bytes as signed chars, like Redis on x86") {
  CHECK(GlobMatch("[\x80-\xff]", "\x90"));
  CHECK_FALSE(GlobMatch("[a-\xff]", "b"));  // 0xff is -1: the range is -1..'a'
  CHECK(GlobMatch("[a-\xff]", "\x01"));
  CHECK(GlobMatch("\xc3\xa9", "\xc3\xa9", true));
  CHECK_FALSE(GlobMatch("[\x80-\xff]", "\x90", true));  // glibc tolower() quirk
}

TEST_CASE("GlobMatch is binary safe") {
  std::string pattern("a\0*", 3), str("a\0bc", 4);
  CHECK(GlobMatch(pattern, str));
  CHECK_FALSE(GlobMatch(pattern, std::string_view("abc")));
}

TEST_CASE("GlobMatch has no exponential blowup (CVE-2022-36021)") {
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "a*";
  pattern += "b";
  std::string str(10000, 'a');
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(GlobMatch(pattern, str));
  CHECK(GlobMatch(pattern, str + "b"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::seconds(1));  // ~1 ms in practice; exponential would never end
}

TEST_CASE("GlobMatch handles a 50,000-byte pattern without recursion (CVE-2024-31228)") {
  std::string pattern;
  for (int i = 0; i < 25000; ++i) pattern += "*?";
  CHECK(GlobMatch(pattern, std::string(25000, 'x')));
  CHECK_FALSE(GlobMatch(pattern, std::string(24999, 'x')));
  std::string classes;
  for (int i = 0; i < 10000; ++i) classes += "[a-z]";
  CHECK(GlobMatch(classes, std::string(10000, 'q')));
}
