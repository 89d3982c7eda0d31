#include "core/base/split_args.h"

#include <catch2/catch.hpp>

using tessera::SplitArgs;
using V = std::vector<std::string>;

TEST_CASE("SplitArgs splits on blanks") {
  V out;
  REQUIRE(SplitArgs("  set  key\tvalue  ", &out));
  CHECK(out == V{"set", "key", "value"});
  REQUIRE(SplitArgs("", &out));
  CHECK(out.empty());
}

TEST_CASE("SplitArgs double quotes and escapes") {
  V out;
  REQUIRE(SplitArgs(R"(set "a b" "\x41\x7a\n" "")", &out));
  CHECK(out == V{"set", "a b", "Az\n", ""});
  REQUIRE(SplitArgs(R"("\q\"")", &out));
  CHECK(out == V{"q\""});
}

TEST_CASE("SplitArgs single quotes") {
  V out;
  REQUIRE(SplitArgs(R"('it\'s' 'a\nb')", &out));
  CHECK(out == V{"it's", "a\\nb"});
}

TEST_CASE("SplitArgs rejects unbalanced quotes") {
  V out;
  CHECK_FALSE(SplitArgs(R"(set "abc)", &out));
  CHECK_FALSE(SplitArgs(R"(set 'abc)", &out));
  CHECK_FALSE(SplitArgs(R"(set "abc"def)", &out));
  CHECK_FALSE(SplitArgs(R"(set 'abc'def)", &out));
}

TEST_CASE("SplitArgs joins a plain prefix with a quoted part") {
  V out;
  REQUIRE(SplitArgs(R"(ab"c d")", &out));
  CHECK(out == V{"abc d"});
}

using namespace std::string_literals;

TEST_CASE("SplitArgs: the line ends at its first NUL, as sdssplitargs' C string does") {
  V out;
  REQUIRE(SplitArgs("\0"s, &out));
  CHECK(out.empty());
  REQUIRE(SplitArgs("x\0"s, &out));
  CHECK(out == V{"x"});
  REQUIRE(SplitArgs("a\0b"s, &out));
  CHECK(out == V{"a"});
  REQUIRE(SplitArgs("set k\0 \"unbalanced"s, &out));  // nothing after the NUL is read
  CHECK(out == V{"set", "k"});
  REQUIRE(SplitArgs("  \0\0\0  x"s, &out));
  CHECK(out.empty());
  // A quote still open at the NUL is unterminated.
  CHECK_FALSE(SplitArgs("\"a\0b\""s, &out));
  CHECK_FALSE(SplitArgs("'a\0b'"s, &out));
  CHECK_FALSE(SplitArgs("\"a\\\0\""s, &out));
  // Written as an escape, a NUL is an ordinary byte of the argument.
  REQUIRE(SplitArgs(R"(set "a\x00b")", &out));
  CHECK(out == V{"set", "a\0b"s});
}

TEST_CASE("SplitArgs: \\v and \\f separate arguments only between them") {
  V out;
  REQUIRE(SplitArgs("\va\vb\f c", &out));
  CHECK(out == V{"a\vb\f", "c"});
  REQUIRE(SplitArgs("\"a\"\v'b'\fc", &out));
  CHECK(out == V{"a", "b", "c"});
}

TEST_CASE("SplitArgs: escapes cut short at the end of the line") {
  V out;
  REQUIRE(SplitArgs(R"("\x4")", &out));  // too short for \xHH: an escaped 'x', then '4'
  CHECK(out == V{"x4"});
  CHECK_FALSE(SplitArgs(R"("abc\)", &out));
  CHECK_FALSE(SplitArgs(R"('abc\)", &out));
  REQUIRE(SplitArgs(R"('a\b')", &out));
  CHECK(out == V{"a\\b"});
}

TEST_CASE("SplitArgs: every byte string splits in linear work and bounded memory") {
  // Exhaustive over all strings of length <= 3 from an alphabet of the bytes that matter,
  // then a long line of each: if any step failed to consume a byte this would not return.
  const std::string alphabet = " \t\r\n\v\f\"'\\x0a\0"s;
  std::vector<std::string> lines{""};
  for (int len = 0; len < 3; ++len) {
    std::vector<std::string> next;
    for (const std::string& l : lines) {
      for (char c : alphabet) next.push_back(l + c);
    }
    for (const std::string& l : next) {
      tessera::ArgBuffer args;
      if (SplitArgs(l, &args)) CHECK(args.size() <= l.size());
    }
    lines = std::move(next);
  }
  for (char c : alphabet) {
    std::string line(100000, c);
    tessera::ArgBuffer args;
    if (SplitArgs(line, &args)) CHECK(args.size() <= line.size() / 2 + 1);
  }
}

TEST_CASE("ArgBuffer holds the arguments back to back") {
  tessera::ArgBuffer args;
  REQUIRE(SplitArgs(R"(a "" bc 'd e')", &args));
  REQUIRE(args.size() == 4);
  CHECK(args[0] == "a");
  CHECK(args[1] == "");
  CHECK(args[2] == "bc");
  CHECK(args[3] == "d e");
  REQUIRE(SplitArgs("x", &args));
  REQUIRE(args.size() == 1);
  CHECK(args[0] == "x");
}
