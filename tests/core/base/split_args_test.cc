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
