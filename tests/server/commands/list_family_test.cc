// Command tests of the list family (server/commands/list_family.cc), after Redis 7.2's
// tests/unit/type/list*.tcl, plus every error text, order of checks, RESP2/RESP3 reply shape,
// encoding conversion at the thresholds and extreme index/count.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified

using Overrides = std::vector<std::pair<std::string, std::string>>;

const std::string kNilArray = "*-1\r\n";
const std::string kEmptyArray = "*0\r\n";
const std::string kMin = "-9223372036854775808";
const std::string kMax = "9223372036854775807";

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }

std::string Array(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& s : items) out += Bulk(s);
  return out;
}

std::string Encoding(CommandTester& t, std::string_view key) {
  return t.Run({"OBJECT", "ENCODING", key});
}

const std::string kListpack = Bulk("listpack");
const std::string kQuicklist = Bulk("quicklist");

TEST_CASE("LPUSH/RPUSH/LLEN/LRANGE/LINDEX basics", "[list]") {
  CommandTester t;
  CHECK(t.Run({"LPUSH", "l", "a", "b", "c", "d"}) == Int(4));
  CHECK(t.Run({"RPUSH", "l", "0", "1", "2", "3"}) == Int(8));
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"d", "c", "b", "a", "0", "1", "2", "3"}));
  CHECK(t.Run({"LLEN", "l"}) == Int(8));
  CHECK(t.Run({"LINDEX", "l", "0"}) == Bulk("d"));
  CHECK(t.Run({"LINDEX", "l", "-1"}) == Bulk("3"));
  CHECK(t.Run({"LINDEX", "l", "8"}) == kNil);
  CHECK(t.Run({"LINDEX", "l", kMin}) == kNil);
  CHECK(t.Run({"LINDEX", "l", kMax}) == kNil);
  CHECK(t.Run({"LINDEX", "l", "x"}) == kNotInt);
  CHECK(t.Run({"LINDEX", "missing", "x"}) == kNil);  // looked up before the index is read
  CHECK(t.Run({"LLEN", "missing"}) == kZero);
  CHECK(t.Run({"TYPE", "l"}) == "+list\r\n");
  CHECK(Encoding(t, "l") == kListpack);
  t.client().resp = 3;
  CHECK(t.Run({"LINDEX", "l", "100"}) == kNull3);
  CHECK(t.Run({"LINDEX", "missing", "0"}) == kNull3);
}

TEST_CASE("LPUSHX/RPUSHX only push to existing lists", "[list]") {
  CommandTester t;
  CHECK(t.Run({"LPUSHX", "l", "a"}) == kZero);
  CHECK(t.Run({"RPUSHX", "l", "a"}) == kZero);
  CHECK(t.Run({"EXISTS", "l"}) == kZero);
  t.Run({"RPUSH", "l", "b"});
  CHECK(t.Run({"LPUSHX", "l", "a", "z"}) == Int(3));
  CHECK(t.Run({"RPUSHX", "l", "c", "d"}) == Int(5));
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"z", "a", "b", "c", "d"}));
}

TEST_CASE("LRANGE index arithmetic", "[list]") {
  CommandTester t;
  t.Run({"RPUSH", "l", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  CHECK(t.Run({"LRANGE", "l", "1", "-2"}) == Array({"1", "2", "3", "4", "5", "6", "7", "8"}));
  CHECK(t.Run({"LRANGE", "l", "-3", "-1"}) == Array({"7", "8", "9"}));
  CHECK(t.Run({"LRANGE", "l", "4", "4"}) == Array({"4"}));
  CHECK(t.Run({"LRANGE", "l", "5", "4"}) == kEmptyArray);
  CHECK(t.Run({"LRANGE", "l", "-100", "1"}) == Array({"0", "1"}));
  CHECK(t.Run({"LRANGE", "l", "8", "100"}) == Array({"8", "9"}));
  CHECK(t.Run({"LRANGE", "l", "10", "100"}) == kEmptyArray);
  CHECK(t.Run({"LRANGE", "l", kMin, kMax}).rfind("*10\r\n", 0) == 0);
  CHECK(t.Run({"LRANGE", "l", kMax, kMin}) == kEmptyArray);
  CHECK(t.Run({"LRANGE", "l", "0", "-11"}) == kEmptyArray);
  CHECK(t.Run({"LRANGE", "missing", "0", "-1"}) == kEmptyArray);
  // The indexes are read before the key.
  CHECK(t.Run({"LRANGE", "missing", "a", "1"}) == kNotInt);
  CHECK(t.Run({"LRANGE", "missing", "1", "9223372036854775808"}) == kNotInt);
}

TEST_CASE("LPOP/RPOP with and without count", "[list]") {
  CommandTester t;
  CHECK(t.Run({"LPUSH", "l", "aa", "bb", "cc", "dd", "ee", "ff", "gg"}) == Int(7));
  CHECK(t.Run({"LPOP", "l"}) == Bulk("gg"));
  CHECK(t.Run({"LPOP", "l", "1"}) == Array({"ff"}));
  CHECK(t.Run({"LPOP", "l", "2"}) == Array({"ee", "dd"}));
  CHECK(t.Run({"RPOP", "l", "2"}) == Array({"aa", "bb"}));
  CHECK(t.Run({"RPOP", "l"}) == Bulk("cc"));
  CHECK(t.Run({"EXISTS", "l"}) == kZero);  // the last pop deleted the key
  t.Run({"RPUSH", "l", "a", "b"});
  CHECK(t.Run({"RPOP", "l", kMax}) == Array({"b", "a"}));
  CHECK(t.Run({"EXISTS", "l"}) == kZero);

  const std::string kPositive = "-ERR value is out of range, must be positive\r\n";
  CHECK(t.Run({"LPOP", "l", "-1"}) == kPositive);
  CHECK(t.Run({"LPOP", "l", "x"}) == kPositive);
  CHECK(t.Run({"RPOP", "l", kMin}) == kPositive);
  CHECK(t.Run({"LPOP", "l", "1", "1"}) == "-ERR wrong number of arguments for 'lpop' command\r\n");
  CHECK(t.Run({"RPOP", "l", "2", "2"}) == "-ERR wrong number of arguments for 'rpop' command\r\n");

  // Missing key: nil (RESP2 bulk or array by form), _ in RESP3; count 0 on a list: [].
  CHECK(t.Run({"LPOP", "l"}) == kNil);
  CHECK(t.Run({"LPOP", "l", "0"}) == kNilArray);
  CHECK(t.Run({"RPOP", "l", "1"}) == kNilArray);
  t.Run({"RPUSH", "l", "zero"});
  CHECK(t.Run({"LPOP", "l", "0"}) == kEmptyArray);
  CHECK(t.Run({"RPOP", "l", "0"}) == kEmptyArray);
  CHECK(t.Run({"LLEN", "l"}) == kOne);
  t.client().resp = 3;
  CHECK(t.Run({"LPOP", "x"}) == kNull3);
  CHECK(t.Run({"LPOP", "x", "0"}) == kNull3);
  CHECK(t.Run({"RPOP", "x", "1"}) == kNull3);
  CHECK(t.Run({"RPOP", "l", "0"}) == kEmptyArray);
}

TEST_CASE("List commands on a key of another type", "[list]") {
  CommandTester t;
  t.Run({"SET", "s", "v"});
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
           {"LPUSH", "s", "a"}, {"RPUSH", "s", "a"}, {"LPUSHX", "s", "a"}, {"RPUSHX", "s", "a"},
           {"LPOP", "s"}, {"RPOP", "s", "2"}, {"LLEN", "s"}, {"LRANGE", "s", "0", "-1"},
           {"LINDEX", "s", "0"}, {"LSET", "s", "0", "x"}, {"LINSERT", "s", "BEFORE", "a", "b"},
           {"LREM", "s", "0", "a"}, {"LTRIM", "s", "0", "1"}, {"LPOS", "s", "a"},
           {"LMOVE", "s", "d", "LEFT", "LEFT"}, {"RPOPLPUSH", "s", "d"},
           {"LMPOP", "1", "s", "LEFT"}, {"BLPOP", "s", "0"}, {"BRPOP", "s", "0"},
           {"BLMOVE", "s", "d", "LEFT", "LEFT", "0"}, {"BRPOPLPUSH", "s", "d", "0"},
           {"BLMPOP", "0", "1", "s", "LEFT"}}) {
    INFO(cmd[0]);
    CHECK(t.Run(cmd) == kWrongType);
  }
  CHECK(t.Run({"GET", "s"}) == Bulk("v"));
  CHECK(t.Run({"EXISTS", "d"}) == kZero);
}

TEST_CASE("LSET", "[list]") {
  CommandTester t;
  CHECK(t.Run({"LSET", "missing", "0", "x"}) == "-ERR no such key\r\n");
  CHECK(t.Run({"LSET", "missing", "x", "x"}) == "-ERR no such key\r\n");  // key first
  t.Run({"RPUSH", "l", "99", "98", "97", "96", "95"});
  CHECK(t.Run({"LSET", "l", "1", "foo"}) == kOk);
  CHECK(t.Run({"LSET", "l", "-1", "bar"}) == kOk);
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"99", "foo", "97", "96", "bar"}));
  CHECK(t.Run({"LSET", "l", "10", "foo"}) == "-ERR index out of range\r\n");
  CHECK(t.Run({"LSET", "l", "-6", "foo"}) == "-ERR index out of range\r\n");
  CHECK(t.Run({"LSET", "l", "x", "foo"}) == kNotInt);
  // Redis 7.2 hands the index on as a C int: only its low 32 bits count (checked against
  // redis-server 7.2.4).
  CHECK(t.Run({"LSET", "l", kMin, "min"}) == kOk);                   // low bits 0
  CHECK(t.Run({"LSET", "l", "9223372036854775807", "max"}) == kOk);  // low bits -1
  CHECK(t.Run({"LSET", "l", "4294967297", "one"}) == kOk);           // low bits 1
  CHECK(t.Run({"LSET", "l", "2147483648", "x"}) == "-ERR index out of range\r\n");
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"min", "one", "97", "96", "max"}));
}

TEST_CASE("LINSERT", "[list]") {
  CommandTester t;
  CHECK(t.Run({"LINSERT", "missing", "BEFORE", "a", "b"}) == kZero);
  CHECK(t.Run({"LINSERT", "missing", "middle", "a", "b"}) == kSyntax);  // before the lookup
  t.Run({"RPUSH", "l", "a", "b", "c", "d"});
  CHECK(t.Run({"LINSERT", "l", "before", "c", "zz"}) == Int(5));
  CHECK(t.Run({"LINSERT", "l", "AFTER", "c", "yy"}) == Int(6));
  CHECK(t.Run({"LINSERT", "l", "after", "d", "dd"}) == Int(7));
  CHECK(t.Run({"LINSERT", "l", "before", "a", "aa"}) == Int(8));
  CHECK(t.Run({"LINSERT", "l", "after", "bad", "ddd"}) == Int(-1));
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) ==
        Array({"aa", "a", "b", "zz", "c", "yy", "d", "dd"}));
  // Integer-encoded elements compare as their text.
  t.Run({"RPUSH", "n", "1", "-20", "300"});
  CHECK(t.Run({"LINSERT", "n", "after", "-20", "x"}) == Int(4));
  CHECK(t.Run({"LINSERT", "n", "after", "-020", "x"}) == Int(-1));
  CHECK(t.Run({"LRANGE", "n", "0", "-1"}) == Array({"1", "-20", "x", "300"}));
}

TEST_CASE("LREM", "[list]") {
  CommandTester t;
  t.Run({"RPUSH", "l", "foo", "bar", "foobar", "foobared", "zap", "bar", "test", "foo"});
  CHECK(t.Run({"LREM", "l", "0", "bar"}) == Int(2));
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) ==
        Array({"foo", "foobar", "foobared", "zap", "test", "foo"}));
  t.Run({"RPUSH", "m", "foo", "bar", "foo", "x", "foo"});
  CHECK(t.Run({"LREM", "m", "1", "foo"}) == kOne);
  CHECK(t.Run({"LRANGE", "m", "0", "-1"}) == Array({"bar", "foo", "x", "foo"}));
  CHECK(t.Run({"LREM", "m", "-1", "foo"}) == kOne);
  CHECK(t.Run({"LRANGE", "m", "0", "-1"}) == Array({"bar", "foo", "x"}));
  CHECK(t.Run({"LREM", "m", kMin, "x"}) == kOne);
  CHECK(t.Run({"LREM", "m", "0", "nothing"}) == kZero);
  CHECK(t.Run({"LREM", "m", "x", "bar"}) == kNotInt);
  CHECK(t.Run({"LREM", "missing", "x", "bar"}) == kNotInt);
  CHECK(t.Run({"LREM", "missing", "0", "bar"}) == kZero);
  CHECK(t.Run({"LREM", "m", "0", "bar"}) == kOne);
  CHECK(t.Run({"LREM", "m", "0", "foo"}) == kOne);
  CHECK(t.Run({"EXISTS", "m"}) == kZero);
}

TEST_CASE("LTRIM", "[list]") {
  CommandTester t;
  auto fresh = [&]() {
    t.Run({"DEL", "l"});
    t.Run({"RPUSH", "l", "1", "2", "3", "4", "5"});
  };
  fresh();
  CHECK(t.Run({"LTRIM", "l", "0", "0"}) == kOk);
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"1"}));
  fresh();
  t.Run({"LTRIM", "l", "1", "-2"});
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"2", "3", "4"}));
  fresh();
  t.Run({"LTRIM", "l", "-2", "100"});
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({"4", "5"}));
  fresh();
  t.Run({"LTRIM", "l", kMin, kMax});
  CHECK(t.Run({"LLEN", "l"}) == Int(5));
  CHECK(t.Run({"LTRIM", "l", "3", "2"}) == kOk);
  CHECK(t.Run({"EXISTS", "l"}) == kZero);
  fresh();
  CHECK(t.Run({"LTRIM", "l", kMax, kMax}) == kOk);
  CHECK(t.Run({"EXISTS", "l"}) == kZero);
  CHECK(t.Run({"LTRIM", "missing", "0", "1"}) == kOk);
  CHECK(t.Run({"LTRIM", "missing", "a", "1"}) == kNotInt);
}

TEST_CASE("LPOS", "[list]") {
  CommandTester t;
  t.Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  CHECK(t.Run({"LPOS", "l", "a"}) == kZero);
  CHECK(t.Run({"LPOS", "l", "c"}) == Int(2));
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "1"}) == Int(2));
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "2"}) == Int(6));
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "4"}) == kNil);
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "-1"}) == Int(7));
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "-2"}) == Int(6));
  CHECK(t.Run({"LPOS", "l", "c", "RANK", kMax}) == kNil);
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "-9223372036854775807"}) == kNil);
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "0"}) ==
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        "or use negative to start from the end of the list\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "RANK", kMin}) ==
        "-ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "RANK", "x"}) == kNotInt);
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "0"}) == "*3\r\n:2\r\n:6\r\n:7\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "1"}) == "*1\r\n:2\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "2"}) == "*2\r\n:2\r\n:6\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "100"}) == "*3\r\n:2\r\n:6\r\n:7\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "0", "RANK", "2"}) == "*2\r\n:6\r\n:7\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "2", "RANK", "-1"}) == "*2\r\n:7\r\n:6\r\n");
  CHECK(t.Run({"LPOS", "l", "x", "COUNT", "2", "RANK", "-1"}) == kEmptyArray);
  CHECK(t.Run({"LPOS", "l", "x", "RANK", "-1"}) == kNil);
  CHECK(t.Run({"LPOS", "l", "a", "COUNT", "0", "MAXLEN", "1"}) == "*1\r\n:0\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "1"}) == kEmptyArray);
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"}) == "*1\r\n:2\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3", "RANK", "-1"}) ==
        "*2\r\n:7\r\n:6\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7", "RANK", "2"}) == "*1\r\n:6\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "MAXLEN", "2"}) == kNil);
  CHECK(t.Run({"LPOS", "l", "1"}) == Int(3));  // an integer-encoded element
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "-1"}) == "-ERR COUNT can't be negative\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT", "x"}) == "-ERR COUNT can't be negative\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "MAXLEN", "-1"}) == "-ERR MAXLEN can't be negative\r\n");
  CHECK(t.Run({"LPOS", "l", "c", "COUNT"}) == kSyntax);
  CHECK(t.Run({"LPOS", "l", "c", "FOO", "1"}) == kSyntax);
  // Options are read before the key.
  CHECK(t.Run({"LPOS", "missing", "c", "RANK", "0"}).rfind("-ERR RANK can't be zero", 0) == 0);
  CHECK(t.Run({"LPOS", "missing", "c", "COUNT", "0", "RANK", "2"}) == kEmptyArray);
  CHECK(t.Run({"LPOS", "missing", "c"}) == kNil);
  t.client().resp = 3;
  CHECK(t.Run({"LPOS", "missing", "c"}) == kNull3);
  CHECK(t.Run({"LPOS", "l", "x"}) == kNull3);
}

TEST_CASE("LMOVE and RPOPLPUSH", "[list]") {
  CommandTester t;
  t.Run({"RPUSH", "src", "a", "b", "c", "d"});
  CHECK(t.Run({"LMOVE", "src", "dst", "LEFT", "RIGHT"}) == Bulk("a"));
  CHECK(t.Run({"LMOVE", "src", "dst", "right", "left"}) == Bulk("d"));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Array({"d", "a"}));
  CHECK(t.Run({"RPOPLPUSH", "src", "dst"}) == Bulk("c"));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Array({"c", "d", "a"}));
  CHECK(t.Run({"LRANGE", "src", "0", "-1"}) == Array({"b"}));
  CHECK(t.Run({"LMOVE", "src", "dst", "LEFT", "LEFT"}) == Bulk("b"));
  CHECK(t.Run({"EXISTS", "src"}) == kZero);
  CHECK(t.Run({"LMOVE", "src", "dst", "LEFT", "LEFT"}) == kNil);
  CHECK(t.Run({"RPOPLPUSH", "src", "dst"}) == kNil);
  CHECK(t.Run({"LMOVE", "src", "dst", "up", "LEFT"}) == kSyntax);
  CHECK(t.Run({"LMOVE", "src", "dst", "LEFT", "down"}) == kSyntax);

  // Same key: rotation.
  t.Run({"RPUSH", "r", "1", "2", "3"});
  CHECK(t.Run({"RPOPLPUSH", "r", "r"}) == Bulk("3"));
  CHECK(t.Run({"LRANGE", "r", "0", "-1"}) == Array({"3", "1", "2"}));
  CHECK(t.Run({"LMOVE", "r", "r", "LEFT", "RIGHT"}) == Bulk("3"));
  CHECK(t.Run({"LMOVE", "r", "r", "LEFT", "LEFT"}) == Bulk("1"));
  CHECK(t.Run({"LRANGE", "r", "0", "-1"}) == Array({"1", "2", "3"}));
  t.Run({"RPUSH", "one", "x"});
  CHECK(t.Run({"LMOVE", "one", "one", "RIGHT", "LEFT"}) == Bulk("x"));
  CHECK(t.Run({"LRANGE", "one", "0", "-1"}) == Array({"x"}));

  // A destination of another type: WRONGTYPE before anything is popped.
  t.Run({"SET", "str", "v"});
  CHECK(t.Run({"LMOVE", "r", "str", "LEFT", "LEFT"}) == kWrongType);
  CHECK(t.Run({"RPOPLPUSH", "r", "str"}) == kWrongType);
  CHECK(t.Run({"LRANGE", "r", "0", "-1"}) == Array({"1", "2", "3"}));
  // A missing source answers nil even when the destination has another type.
  CHECK(t.Run({"RPOPLPUSH", "nothing", "str"}) == kNil);
  t.client().resp = 3;
  CHECK(t.Run({"RPOPLPUSH", "nothing", "dst"}) == kNull3);
}

TEST_CASE("LMPOP", "[list]") {
  CommandTester t;
  t.Run({"RPUSH", "b", "1", "2", "3", "4", "5"});
  CHECK(t.Run({"LMPOP", "2", "a", "b", "LEFT"}) == "*2\r\n" + Bulk("b") + Array({"1"}));
  CHECK(t.Run({"LMPOP", "2", "a", "b", "RIGHT", "COUNT", "3"}) ==
        "*2\r\n" + Bulk("b") + Array({"5", "4", "3"}));
  CHECK(t.Run({"LMPOP", "1", "b", "left", "count", "10"}) ==
        "*2\r\n" + Bulk("b") + Array({"2"}));
  CHECK(t.Run({"EXISTS", "b"}) == kZero);
  CHECK(t.Run({"LMPOP", "2", "a", "b", "LEFT"}) == kNilArray);

  const std::string kNumkeys = "-ERR numkeys should be greater than 0\r\n";
  const std::string kCount = "-ERR count should be greater than 0\r\n";
  CHECK(t.Run({"LMPOP", "0", "a", "LEFT"}) == kNumkeys);
  CHECK(t.Run({"LMPOP", "-1", "a", "LEFT"}) == kNumkeys);
  CHECK(t.Run({"LMPOP", "x", "a", "LEFT"}) == kNumkeys);
  CHECK(t.Run({"LMPOP", "2", "a", "LEFT"}) == kSyntax);  // numkeys past the arguments
  CHECK(t.Run({"LMPOP", "2", "a", "b"}) == kSyntax);     // no LEFT|RIGHT after the keys
  CHECK(t.Run({"BLMPOP", "0", "2", "a", "b"}) == kSyntax);
  CHECK(t.Run({"BLMPOP", "0", "3", "a", "b"}) == kSyntax);
  CHECK(t.Run({"LMPOP", kMax, "a", "LEFT"}) == kSyntax);
  CHECK(t.Run({"LMPOP", "1", "a", "MIDDLE"}) == kSyntax);
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "0"}) == kCount);
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "-1"}) == kCount);
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "x"}) == kCount);
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT", "COUNT"}) == kSyntax);
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"}) == kSyntax);
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT", "FOO"}) == kSyntax);
  CHECK(t.Run({"LMPOP", "1", "a"}) == "-ERR wrong number of arguments for 'lmpop' command\r\n");
  // The first non-empty list wins; a key of another type before it is an error.
  t.Run({"RPUSH", "c", "x"});
  t.Run({"SET", "s", "v"});
  CHECK(t.Run({"LMPOP", "3", "a", "s", "c", "LEFT"}) == kWrongType);
  CHECK(t.Run({"LMPOP", "3", "a", "c", "s", "LEFT"}) == "*2\r\n" + Bulk("c") + Array({"x"}));
  t.client().resp = 3;
  CHECK(t.Run({"LMPOP", "1", "a", "LEFT"}) == kNull3);
  t.client().resp = 2;

  CHECK(t.Run({"COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"}) == Array({"a", "b"}));
  // Redis's keynum key spec: the count at argument 1 (2 for BLMPOP), the keys right after it.
  const std::string keynum =
      "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n"
      "$5\r\nindex\r\n:{}\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n"
      "$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n"
      ":1\r\n";
  auto with_index = [&](char i) {
    std::string s = keynum;
    s.replace(s.find("{}"), 2, 1, i);
    return s;
  };
  CHECK(t.Run({"COMMAND", "INFO", "LMPOP"}).find(with_index('1')) != std::string::npos);
  CHECK(t.Run({"COMMAND", "INFO", "BLMPOP"}).find(with_index('2')) != std::string::npos);
  CHECK(t.Run({"COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"}) ==
        Array({"a", "b"}));
}

TEST_CASE("Blocking list commands with data to serve", "[list]") {
  CommandTester t;
  t.Run({"RPUSH", "l1", "a", "b", "c", "d"});
  CHECK(t.Run({"BLPOP", "none", "l1", "1"}) == Array({"l1", "a"}));
  CHECK(t.Run({"BRPOP", "l1", "none", "0"}) == Array({"l1", "d"}));
  CHECK(t.Run({"BLMPOP", "0", "2", "none", "l1", "RIGHT", "COUNT", "5"}) ==
        "*2\r\n" + Bulk("l1") + Array({"c", "b"}));
  CHECK(t.Run({"EXISTS", "l1"}) == kZero);
  t.Run({"RPUSH", "src", "x", "y"});
  CHECK(t.Run({"BRPOPLPUSH", "src", "dst", "0"}) == Bulk("y"));
  CHECK(t.Run({"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0.5"}) == Bulk("x"));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Array({"y", "x"}));
  t.Run({"SET", "str", "v"});
  t.Run({"RPUSH", "src", "z"});
  CHECK(t.Run({"BLMOVE", "src", "str", "LEFT", "RIGHT", "0"}) == kWrongType);
  CHECK(t.Run({"LLEN", "src"}) == kOne);
}

TEST_CASE("Blocking list commands: argument errors", "[list]") {
  CommandTester t;
  const std::string kNotFloat = "-ERR timeout is not a float or out of range\r\n";
  const std::string kNegative = "-ERR timeout is negative\r\n";
  CHECK(t.Run({"BLPOP", "l", "x"}) == kNotFloat);
  CHECK(t.Run({"BLPOP", "l", "-1"}) == kNegative);
  CHECK(t.Run({"BRPOP", "l", "1e400"}) == "-ERR timeout is out of range\r\n");
  // Below LLONG_MIN milliseconds: negative, as Redis answers (was undefined behaviour,
  // found by dispatcher_fuzz under UBSan).
  CHECK(t.Run({"BLPOP", "l", "-9.3e18"}) == kNegative);
  CHECK(t.Run({"BZPOPMIN", "l", "-1e300"}) == kNegative);
  CHECK(t.Run({"BRPOPLPUSH", "a", "b", "x"}) == kNotFloat);
  CHECK(t.Run({"BLMOVE", "a", "b", "LEFT", "RIGHT", "x"}) == kNotFloat);
  // BLMOVE reads its ends before the timeout; BLMPOP reads numkeys, ends and COUNT first.
  CHECK(t.Run({"BLMOVE", "a", "b", "UP", "RIGHT", "x"}) == kSyntax);
  CHECK(t.Run({"BLMPOP", "x", "0", "a", "LEFT"}) ==
        "-ERR numkeys should be greater than 0\r\n");
  CHECK(t.Run({"BLMPOP", "x", "1", "a", "UP"}) == kSyntax);
  CHECK(t.Run({"BLMPOP", "x", "1", "a", "LEFT", "COUNT", "0"}) ==
        "-ERR count should be greater than 0\r\n");
  CHECK(t.Run({"BLMPOP", "x", "1", "a", "LEFT"}) == kNotFloat);
  CHECK(t.Run({"BLMPOP", "-1", "1", "a", "LEFT"}) == kNegative);
  // A timeout of another type's key: WRONGTYPE comes after the timeout.
  t.Run({"SET", "s", "v"});
  CHECK(t.Run({"BLPOP", "s", "x"}) == kNotFloat);
}

TEST_CASE("Lists: encoding conversions (count fill)", "[list]") {
  CommandTester t(Overrides{{"list-max-listpack-size", "3"}});
  auto create = [&](std::string_view key, std::vector<std::string> values) {
    t.Run({"DEL", key});
    for (std::string& v : values) {
      t.Run({"RPUSH", key, v});
    }
  };
  create("l", {"a", "b", "c"});
  CHECK(Encoding(t, "l") == kListpack);
  t.Run({"RPUSH", "l", "d"});
  CHECK(Encoding(t, "l") == kQuicklist);
  // Variadic push counts all its elements up front.
  t.Run({"DEL", "v"});
  t.Run({"RPUSH", "v", "a", "b", "c", "d"});
  CHECK(Encoding(t, "v") == kQuicklist);
  // Back to listpack once at most half the limit (1 element).
  CHECK(t.Run({"RPOP", "l", "3"}) == Array({"d", "c", "b"}));
  CHECK(Encoding(t, "l") == kListpack);
  create("l", {"a", "a", "a", "d"});
  CHECK(t.Run({"LREM", "l", "3", "a"}) == Int(3));
  CHECK(Encoding(t, "l") == kListpack);
  create("l", {"a", "b", "c", "d"});
  t.Run({"LTRIM", "l", "1", "1"});
  CHECK(Encoding(t, "l") == kListpack);
  // LINSERT and LSET convert before looking: a miss still leaves a quicklist.
  create("l", {"a", "b", "c"});
  CHECK(t.Run({"LINSERT", "l", "after", "b", "x"}) == Int(4));
  CHECK(Encoding(t, "l") == kQuicklist);
  create("l", {"a", "b", "c"});
  CHECK(t.Run({"LINSERT", "l", "after", "nope", "x"}) == Int(-1));
  CHECK(Encoding(t, "l") == kQuicklist);
  // LMOVE into a full listpack.
  create("src", {"a", "b"});
  create("dst", {"d", "e", "f"});
  t.Run({"LMOVE", "src", "dst", "RIGHT", "RIGHT"});
  CHECK(Encoding(t, "dst") == kQuicklist);
  // list-max-listpack-size 0 is 1 element per node.
  t.Run({"CONFIG", "SET", "list-max-listpack-size", "0"});
  create("z", {"a"});
  CHECK(Encoding(t, "z") == kListpack);
  t.Run({"RPUSH", "z", "b"});
  CHECK(Encoding(t, "z") == kQuicklist);
}

TEST_CASE("Lists: encoding conversions (byte fill)", "[list]") {
  CommandTester t(Overrides{{"list-max-listpack-size", "-1"}});
  const std::string large(8192, 'x');
  t.Run({"RPUSH", "l", "a", "b", "c"});
  CHECK(Encoding(t, "l") == kListpack);
  t.Run({"RPUSH", "l", large});
  CHECK(Encoding(t, "l") == kQuicklist);
  CHECK(t.Run({"RPOP", "l"}) == Bulk(large));
  CHECK(Encoding(t, "l") == kListpack);
  t.Run({"DEL", "l"});
  t.Run({"RPUSH", "l", large, "a", "b"});
  CHECK(t.Run({"RPOP", "l", "2"}) == Array({"b", "a"}));
  CHECK(Encoding(t, "l") == kQuicklist);  // one node, but larger than 2 KB
  CHECK(t.Run({"LSET", "l", "-1", "c"}) == kOk);
  CHECK(Encoding(t, "l") == kListpack);
  t.Run({"DEL", "l"});
  t.Run({"RPUSH", "l", "a", "b", "c"});
  CHECK(t.Run({"LSET", "l", "0", large}) == kOk);
  CHECK(Encoding(t, "l") == kQuicklist);
  // -6 counts as -5 (64 KB).
  t.Run({"CONFIG", "SET", "list-max-listpack-size", "-6"});
  t.Run({"DEL", "l"});
  t.Run({"RPUSH", "l", std::string(60000, 'x')});
  CHECK(Encoding(t, "l") == kListpack);
  t.Run({"RPUSH", "l", std::string(5536, 'x')});
  CHECK(Encoding(t, "l") == kQuicklist);
}

TEST_CASE("Lists: plain nodes through DEBUG QUICKLIST-PACKED-THRESHOLD", "[list]") {
  CommandTester t(Overrides{{"enable-debug-command", "yes"}, {"list-max-listpack-size", "1"}});
  const std::string kThreshold =
      "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n";
  CHECK(t.Run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"}) == kThreshold);
  CHECK(t.Run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"}) == kThreshold);
  CHECK(t.Run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"}) == kOk);
  t.Run({"RPUSH", "l", "aa", "bb"});
  CHECK(t.Run({"LSET", "l", "0", std::string(50001, 'd')}) == kOk);
  CHECK(t.Run({"LPOP", "l"}) == Bulk(std::string(50001, 'd')));
  t.Run({"RPUSH", "l", std::string(50001, 'f')});
  CHECK(t.Run({"LSET", "l", "0", std::string(50001, 'e')}) == kOk);
  CHECK(t.Run({"LPOP", "l"}) == Bulk(std::string(50001, 'e')));
  t.Run({"RPUSH", "l", std::string(50001, 'm')});
  CHECK(t.Run({"LSET", "l", "0", "bb"}) == kOk);
  CHECK(t.Run({"LPOP", "l"}) == Bulk("bb"));
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Array({std::string(50001, 'm')}));
  t.Run({"DEL", "k"});
  t.Run({"LPUSH", "k", "xxxxxxxxxxx", "9", "xxxxxxxxxxx"});
  CHECK(t.Run({"LINSERT", "k", "before", "9", "8"}) == Int(4));
  CHECK(t.Run({"LINDEX", "k", "1"}) == Bulk("8"));
  CHECK(t.Run({"LPOS", "k", "xxxxxxxxxxx", "COUNT", "0"}) == "*2\r\n:0\r\n:3\r\n");
  CHECK(t.Run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"}) == kOk);
  CHECK(t.server().list_packed_threshold.load() == size_t{1} << 30);
  CHECK(t.Run({"DEBUG", "LISTPACK", "k"}) == "-ERR Not a listpack encoded object.\r\n");
  CHECK(t.Run({"DEBUG", "QUICKLIST", "k"}) == "+Quicklist structure printed on stdout\r\n");
  CHECK(t.Run({"DEBUG", "QUICKLIST", "nokey"}) == "-ERR no such key\r\n");
  CHECK(t.Run({"DEBUG", "OBJECT", "k"}).find(" ql_nodes:4 ql_avg_node:1.00 ql_listpack_max:1 "
                                             "ql_compressed:0") != std::string::npos);
}

TEST_CASE("Lists: a long list pushed at the head", "[list]") {
  CommandTester t;
  for (int i = 0; i < 50000; ++i) t.Run({"LPUSH", "big", std::to_string(i)});
  CHECK(Encoding(t, "big") == kQuicklist);
  CHECK(t.Run({"LLEN", "big"}) == Int(50000));
  CHECK(t.Run({"LRANGE", "big", "0", "2"}) == Array({"49999", "49998", "49997"}));
  CHECK(t.Run({"LRANGE", "big", "-2", "-1"}) == Array({"1", "0"}));
  CHECK(t.Run({"LINDEX", "big", "25000"}) == Bulk("24999"));
  CHECK(t.Run({"LPOS", "big", "0"}) == Int(49999));
  CHECK(t.Run({"LPOS", "big", "0", "RANK", "-1"}) == Int(49999));
  CHECK(t.Run({"LTRIM", "big", "100", "-101"}) == kOk);
  CHECK(t.Run({"LLEN", "big"}) == Int(49800));
  CHECK(t.Run({"LINDEX", "big", "0"}) == Bulk("49899"));
  CHECK(t.Run({"LINDEX", "big", "-1"}) == Bulk("100"));
  // COPY duplicates the whole chain.
  CHECK(t.Run({"COPY", "big", "big2"}) == kOne);
  CHECK(t.Run({"RPOP", "big2"}) == Bulk("100"));
  CHECK(t.Run({"LINDEX", "big", "-1"}) == Bulk("100"));
}

}  // namespace
}  // namespace tessera::server

namespace tessera::server {
namespace {

TEST_CASE("Lists: DEBUG DIGEST-VALUE agrees with Redis", "[list]") {
  CommandTester t(Overrides{{"enable-debug-command", "yes"}});
  t.Run({"RPUSH", "dl", "a", "1", "-300", std::string(44, 'b'), "99999999999"});
  // Digests computed by redis-server for the same commands.
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "dl"}) ==
        "*1\r\n+701dc8ca749797c95cc0adeb5a2da75df222f643\r\n");
  CHECK(t.Run({"DEBUG", "DIGEST"}) == "+ea90ac24577b5911dfc16bf91b4f1a2f1e60d0fa\r\n");
}

}  // namespace
}  // namespace tessera::server
