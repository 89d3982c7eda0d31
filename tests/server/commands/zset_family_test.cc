// Command tests of the sorted-set family (server/commands/zset_*.cc), after Redis 7.2's
// tests/unit/type/zset.tcl plus the error texts, orders of checks, RESP3 shapes, encodings at
// the listpack thresholds and the extreme arguments of the bad-input checklist.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified

using Args = std::vector<std::string>;
using Overrides = std::vector<std::pair<std::string, std::string>>;

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Arr(std::initializer_list<std::string> items) {
  std::string s = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& i : items) s += i;
  return s;
}
std::string Dbl3(std::string_view s) { return "," + std::string(s) + "\r\n"; }
std::string Err(std::string_view s) { return "-" + std::string(s) + "\r\n"; }
const std::string kEmptyArr = "*0\r\n";
const std::string kNullArr = "*-1\r\n";

std::string Encoding(CommandTester& t, std::string_view key) {
  return t.Run({"OBJECT", "ENCODING", key});
}

TEST_CASE("ZADD: options, replies and errors", "[zset]") {
  CommandTester t;
  CHECK(t.Run({"ZADD", "z", "1", "a", "2", "b"}) == Int(2));
  CHECK(t.Run({"ZADD", "z", "1", "a", "3", "c"}) == Int(1));
  CHECK(t.Run({"ZADD", "z", "CH", "5", "a", "3", "c", "4", "d"}) == Int(2));  // a changed, d new
  CHECK(t.Run({"ZADD", "z", "NX", "9", "a", "9", "e"}) == Int(1));
  CHECK(t.Run({"ZSCORE", "z", "a"}) == Bulk("5"));
  CHECK(t.Run({"ZADD", "z", "XX", "9", "zz"}) == Int(0));
  CHECK(t.Run({"ZSCORE", "z", "zz"}) == kNil);
  CHECK(t.Run({"ZADD", "z", "XX", "CH", "GT", "1", "a", "6", "b"}) == Int(1));  // only b rises
  CHECK(t.Run({"ZADD", "z", "LT", "CH", "1", "a", "100", "b", "0", "new"}) == Int(2));
  CHECK(t.Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) ==
        Arr({Bulk("new"), Bulk("0"), Bulk("a"), Bulk("1"), Bulk("c"), Bulk("3"), Bulk("d"),
             Bulk("4"), Bulk("b"), Bulk("6"), Bulk("e"), Bulk("9")}));

  CHECK(t.Run({"ZADD", "z", "NX", "XX", "1", "a"}) ==
        Err("ERR XX and NX options at the same time are not compatible"));
  CHECK(t.Run({"ZADD", "z", "NX", "GT", "1", "a"}) ==
        Err("ERR GT, LT, and/or NX options at the same time are not compatible"));
  CHECK(t.Run({"ZADD", "z", "GT", "LT", "1", "a"}) ==
        Err("ERR GT, LT, and/or NX options at the same time are not compatible"));
  CHECK(t.Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}) ==
        Err("ERR INCR option supports a single increment-element pair"));
  CHECK(t.Run({"ZADD", "z", "1", "a", "2"}) == kSyntax);
  CHECK(t.Run({"ZADD", "z", "NX", "XX"}) == kSyntax);
  // Pair count is checked before option conflicts, and scores before the key.
  CHECK(t.Run({"ZADD", "z", "NX", "XX", "1"}) == kSyntax);
  CHECK(t.Run({"ZADD", "z", "1", "a", "nan", "b"}) == kNotFloat);
  CHECK(t.Run({"ZADD", "z", "1", "a", "abc", "b"}) == kNotFloat);
  CHECK(t.Run({"ZCARD", "z"}) == Int(6));  // nothing written by the failed calls
  t.Run({"SET", "s", "x"});
  CHECK(t.Run({"ZADD", "s", "1", "a"}) == kWrongType);
  CHECK(t.Run({"ZADD", "s", "x", "a"}) == kNotFloat);
  // XX on a missing key creates nothing.
  CHECK(t.Run({"ZADD", "nokey", "XX", "1", "a"}) == Int(0));
  CHECK(t.Run({"EXISTS", "nokey"}) == kZero);
}

TEST_CASE("ZADD INCR and ZINCRBY", "[zset]") {
  CommandTester t;
  CHECK(t.Run({"ZINCRBY", "z", "2.5", "a"}) == Bulk("2.5"));
  CHECK(t.Run({"ZADD", "z", "INCR", "1", "a"}) == Bulk("3.5"));
  CHECK(t.Run({"ZADD", "z", "INCR", "NX", "1", "a"}) == kNil);
  CHECK(t.Run({"ZADD", "z", "INCR", "XX", "1", "b"}) == kNil);
  CHECK(t.Run({"ZADD", "z", "INCR", "GT", "-1", "a"}) == kNil);
  CHECK(t.Run({"ZADD", "z", "INCR", "+inf", "a"}) == Bulk("inf"));
  CHECK(t.Run({"ZINCRBY", "z", "-inf", "a"}) ==
        Err("ERR resulting score is not a number (NaN)"));
  CHECK(t.Run({"ZSCORE", "z", "a"}) == Bulk("inf"));
  CHECK(t.Run({"ZINCRBY", "z", "x", "a"}) == kNotFloat);
  // ZINCRBY reads options like ZADD: "nx" as the increment makes the pair count odd.
  CHECK(t.Run({"ZINCRBY", "z", "nx", "a"}) == kSyntax);
  t.set_protocol(3);
  CHECK(t.Run({"ZINCRBY", "z", "1", "b"}) == Dbl3("1"));
  CHECK(t.Run({"ZADD", "z", "INCR", "NX", "1", "b"}) == kNull3);
}

TEST_CASE("ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK", "[zset]") {
  CommandTester t;
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  CHECK(t.Run({"ZREM", "z", "a", "x", "a"}) == Int(1));
  CHECK(t.Run({"ZCARD", "z"}) == Int(2));
  CHECK(t.Run({"ZCARD", "nokey"}) == Int(0));
  CHECK(t.Run({"ZMSCORE", "z", "b", "x", "c"}) == Arr({Bulk("2"), kNil, Bulk("3")}));
  CHECK(t.Run({"ZMSCORE", "nokey", "b"}) == Arr({kNil}));
  CHECK(t.Run({"ZRANK", "z", "c"}) == Int(1));
  CHECK(t.Run({"ZREVRANK", "z", "c"}) == Int(0));
  CHECK(t.Run({"ZRANK", "z", "x"}) == kNil);
  CHECK(t.Run({"ZRANK", "z", "c", "WITHSCORE"}) == Arr({Int(1), Bulk("3")}));
  CHECK(t.Run({"ZREVRANK", "z", "b", "withscore"}) == Arr({Int(1), Bulk("2")}));
  CHECK(t.Run({"ZRANK", "z", "x", "WITHSCORE"}) == kNullArr);
  CHECK(t.Run({"ZRANK", "nokey", "x", "WITHSCORE"}) == kNullArr);
  CHECK(t.Run({"ZRANK", "z", "c", "WITHSCORES"}) == kSyntax);
  CHECK(t.Run({"ZRANK", "z", "c", "WITHSCORE", "x"}) ==
        Err("ERR wrong number of arguments for 'zrank' command"));
  CHECK(t.Run({"ZREM", "z", "b", "c", "d"}) == Int(2));
  CHECK(t.Run({"EXISTS", "z"}) == kZero);  // the emptied set is gone
  t.set_protocol(3);
  t.Run({"ZADD", "z", "1.5", "a"});
  CHECK(t.Run({"ZSCORE", "z", "a"}) == Dbl3("1.5"));
  CHECK(t.Run({"ZSCORE", "z", "x"}) == kNull3);
  CHECK(t.Run({"ZRANK", "z", "a", "WITHSCORE"}) == Arr({Int(0), Dbl3("1.5")}));
}

TEST_CASE("ZRANGE family: ranks, scores, lex, REV, LIMIT, RESP3 pairs", "[zset]") {
  CommandTester t;
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  CHECK(t.Run({"ZRANGE", "z", "1", "2"}) == Arr({Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZRANGE", "z", "-2", "100"}) == Arr({Bulk("d"), Bulk("e")}));
  CHECK(t.Run({"ZRANGE", "z", "3", "1"}) == kEmptyArr);
  CHECK(t.Run({"ZREVRANGE", "z", "0", "1", "WITHSCORES"}) ==
        Arr({Bulk("e"), Bulk("5"), Bulk("d"), Bulk("4")}));
  CHECK(t.Run({"ZRANGE", "z", "0", "1", "REV"}) == Arr({Bulk("e"), Bulk("d")}));
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "(1", "3"}) == Arr({Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"}) ==
        Arr({Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"}) == kEmptyArr);
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "3", "-1"}) ==
        Arr({Bulk("d"), Bulk("e")}));
  CHECK(t.Run({"ZREVRANGEBYSCORE", "z", "4", "(2", "WITHSCORES"}) ==
        Arr({Bulk("d"), Bulk("4"), Bulk("c"), Bulk("3")}));
  CHECK(t.Run({"ZRANGE", "z", "(4", "+inf", "BYSCORE"}) == Arr({Bulk("e")}));
  CHECK(t.Run({"ZRANGE", "z", "+inf", "(4", "BYSCORE", "REV"}) == Arr({Bulk("e")}));
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "3", "1"}) == kEmptyArr);
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "x", "1"}) == Err("ERR min or max is not a float"));
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "nan", "1"}) == Err("ERR min or max is not a float"));
  CHECK(t.Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}) ==
        Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX"));
  CHECK(t.Run({"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}) ==
        Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
  CHECK(t.Run({"ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"}) == kSyntax);
  CHECK(t.Run({"ZRANGE", "z", "a", "1"}) == kNotInt);
  CHECK(t.Run({"ZRANGE", "nokey", "0", "-1"}) == kEmptyArr);

  t.Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
  CHECK(t.Run({"ZRANGEBYLEX", "lex", "(a", "[c"}) == Arr({Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZREVRANGEBYLEX", "lex", "+", "(b"}) == Arr({Bulk("d"), Bulk("c")}));
  CHECK(t.Run({"ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "1"}) == Arr({Bulk("b")}));
  CHECK(t.Run({"ZRANGEBYLEX", "lex", "a", "+"}) ==
        Err("ERR min or max not valid string range item"));
  CHECK(t.Run({"ZRANGEBYLEX", "lex", "++", "+"}) ==
        Err("ERR min or max not valid string range item"));
  CHECK(t.Run({"ZLEXCOUNT", "lex", "[b", "+"}) == Int(3));
  CHECK(t.Run({"ZLEXCOUNT", "lex", "+", "-"}) == Int(0));
  CHECK(t.Run({"ZCOUNT", "z", "(1", "(5"}) == Int(3));
  CHECK(t.Run({"ZCOUNT", "z", "5", "1"}) == Int(0));
  CHECK(t.Run({"ZCOUNT", "nokey", "1", "x"}) == Err("ERR min or max is not a float"));

  t.set_protocol(3);
  CHECK(t.Run({"ZRANGE", "z", "0", "1", "WITHSCORES"}) ==
        Arr({Arr({Bulk("a"), Dbl3("1")}), Arr({Bulk("b"), Dbl3("2")})}));
  CHECK(t.Run({"ZRANGE", "z", "0", "1"}) == Arr({Bulk("a"), Bulk("b")}));
}

TEST_CASE("ZRANGESTORE and ZREMRANGEBY*", "[zset]") {
  CommandTester t;
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  CHECK(t.Run({"ZRANGESTORE", "dst", "z", "1", "2"}) == Int(2));
  CHECK(t.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}) ==
        Arr({Bulk("b"), Bulk("2"), Bulk("c"), Bulk("3")}));
  CHECK(Encoding(t, "dst") == Bulk("listpack"));
  // A BYSCORE/BYLEX store starts as a listpack (Redis 7.0 and 7.2.5+; 7.2.0-7.2.4 skiplist).
  CHECK(t.Run({"ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE"}) == Int(2));
  CHECK(Encoding(t, "dst") == Bulk("listpack"));
  CHECK(t.Run({"ZRANGESTORE", "dst", "z", "5", "9"}) == Int(0));
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  t.Run({"SET", "dst", "x"});
  CHECK(t.Run({"ZRANGESTORE", "dst", "z", "0", "0", "REV"}) == Int(1));
  CHECK(t.Run({"ZRANGE", "dst", "0", "-1"}) == Arr({Bulk("d")}));
  CHECK(t.Run({"ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"}) == kSyntax);
  CHECK(t.Run({"ZRANGESTORE", "dst", "nokey", "0", "-1"}) == Int(0));
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);

  CHECK(t.Run({"ZREMRANGEBYRANK", "z", "0", "0"}) == Int(1));
  CHECK(t.Run({"ZREMRANGEBYSCORE", "z", "(2", "+inf"}) == Int(2));
  CHECK(t.Run({"ZRANGE", "z", "0", "-1"}) == Arr({Bulk("b")}));
  CHECK(t.Run({"ZREMRANGEBYSCORE", "z", "x", "1"}) == Err("ERR min or max is not a float"));
  CHECK(t.Run({"ZREMRANGEBYRANK", "z", "x", "1"}) == kNotInt);
  CHECK(t.Run({"ZREMRANGEBYLEX", "z", "-", "+"}) == Int(1));
  CHECK(t.Run({"EXISTS", "z"}) == kZero);
  CHECK(t.Run({"ZREMRANGEBYRANK", "nokey", "0", "-1"}) == Int(0));
}

TEST_CASE("ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZMPOP shapes", "[zset]") {
  CommandTester t;
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  CHECK(t.Run({"ZPOPMIN", "z"}) == Arr({Bulk("a"), Bulk("1")}));
  CHECK(t.Run({"ZPOPMAX", "z", "5"}) == Arr({Bulk("c"), Bulk("3"), Bulk("b"), Bulk("2")}));
  CHECK(t.Run({"EXISTS", "z"}) == kZero);
  CHECK(t.Run({"ZPOPMIN", "z"}) == kEmptyArr);
  CHECK(t.Run({"ZPOPMIN", "z", "-1"}) == Err("ERR value is out of range, must be positive"));
  CHECK(t.Run({"ZPOPMIN", "z", "x"}) == Err("ERR value is out of range, must be positive"));
  CHECK(t.Run({"ZPOPMIN", "z", "1", "2"}) == kSyntax);

  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  CHECK(t.Run({"ZPOPMIN", "z", "0"}) == kEmptyArr);
  CHECK(t.Run({"ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2"}) ==
        Arr({Bulk("z"), Arr({Arr({Bulk("c"), Bulk("3")}), Arr({Bulk("b"), Bulk("2")})})}));
  CHECK(t.Run({"ZMPOP", "1", "nokey", "MIN"}) == kNullArr);
  CHECK(t.Run({"ZMPOP", "0", "z", "MIN"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(t.Run({"ZMPOP", "x", "z", "MIN"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(t.Run({"ZMPOP", "5", "z", "MIN"}) == kSyntax);
  CHECK(t.Run({"ZMPOP", "1", "z", "MID"}) == kSyntax);
  CHECK(t.Run({"ZMPOP", "1", "z", "MIN", "COUNT", "0"}) ==
        Err("ERR count should be greater than 0"));
  CHECK(t.Run({"ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"}) == kSyntax);
  CHECK(t.Run({"BZPOPMIN", "nokey", "z", "0"}) == Arr({Bulk("z"), Bulk("a"), Bulk("1")}));
  CHECK(t.Run({"BZPOPMIN", "z", "-1"}) == Err("ERR timeout is negative"));
  CHECK(t.Run({"BZPOPMIN", "z", "x"}) == Err("ERR timeout is not a float or out of range"));
  t.Run({"SET", "s", "x"});
  CHECK(t.Run({"BZPOPMIN", "s", "0"}) == kWrongType);
  CHECK(t.Run({"ZMPOP", "2", "nokey", "s", "MIN"}) == kWrongType);
  // BZMPOP checks numkeys, MIN|MAX and COUNT before the timeout.
  CHECK(t.Run({"BZMPOP", "x", "0", "z", "MIN"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(t.Run({"BZMPOP", "x", "1", "z", "MIN"}) ==
        Err("ERR timeout is not a float or out of range"));
  t.Run({"ZADD", "z", "2", "b"});
  CHECK(t.Run({"BZMPOP", "0", "1", "z", "MAX"}) ==
        Arr({Bulk("z"), Arr({Arr({Bulk("b"), Bulk("2")})})}));

  t.set_protocol(3);
  t.Run({"ZADD", "z", "1", "a", "2", "b"});
  CHECK(t.Run({"ZPOPMIN", "z"}) == Arr({Bulk("a"), Dbl3("1")}));
  t.Run({"ZADD", "z", "1", "a"});
  CHECK(t.Run({"ZPOPMIN", "z", "1"}) == Arr({Arr({Bulk("a"), Dbl3("1")})}));
  CHECK(t.Run({"BZPOPMAX", "z", "0"}) == Arr({Bulk("z"), Bulk("b"), Dbl3("2")}));
  CHECK(t.Run({"ZMPOP", "1", "z", "MIN"}) == kNull3);
}

TEST_CASE("BZPOPMIN, BZPOPMAX, BZMPOP block until a sorted set has members", "[zset]") {
  CommandTester t;
  int other = t.AddClient();
  CHECK(t.Run({"BZPOPMAX", "k1", "k2", "0"}) == "");  // blocked
  t.RunAs(other, {"LPUSH", "k1", "x"});                // another type never wakes it
  CHECK(t.TakeDelivered() == "");
  // A re-run meets k1 first: WRONGTYPE, as Redis 7.2's re-executed command answers.
  CHECK(t.RunAs(other, {"ZADD", "k2", "0", "z"}) == Int(1));
  CHECK(t.TakeDelivered() == kWrongType);
  t.RunAs(other, {"DEL", "k1", "k2"});

  CHECK(t.Run({"BZPOPMAX", "k1", "k2", "0"}) == "");
  CHECK(t.RunAs(other, {"ZADD", "k2", "1", "a", "2", "b"}) == Int(2));
  CHECK(t.TakeDelivered() == Arr({Bulk("k2"), Bulk("b"), Bulk("2")}));
  CHECK(t.RunAs(other, {"ZCARD", "k2"}) == Int(1));

  CHECK(t.Run({"BZMPOP", "1", "2", "k3", "k2", "MIN", "COUNT", "5"}) ==
        Arr({Bulk("k2"), Arr({Arr({Bulk("a"), Bulk("1")})})}));
  CHECK(t.Run({"BZMPOP", "1", "1", "k3", "MIN"}) == "");
  t.AdvanceTime(1000);
  CHECK(t.TimeOut() == kNullArr);
  // Re-runnable: served later as a fresh call would be.
  CHECK(t.Run({"BZPOPMIN", "k3", "k4", "0.5"}) == "");
  t.RunAs(other, {"ZADD", "k4", "3", "c"});
  CHECK(t.TakeDelivered() == Arr({Bulk("k4"), Bulk("c"), Bulk("3")}));
  CHECK(t.RunAs(other, {"EXISTS", "k4"}) == kZero);
}

TEST_CASE("ZRANDMEMBER: counts, extremes, shapes", "[zset]") {
  CommandTester t;
  CHECK(t.Run({"ZRANDMEMBER", "nokey"}) == kNil);
  CHECK(t.Run({"ZRANDMEMBER", "nokey", "5"}) == kEmptyArr);
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  std::string one = t.Run({"ZRANDMEMBER", "z"});
  CHECK((one == Bulk("a") || one == Bulk("b") || one == Bulk("c")));
  CHECK(t.Run({"ZRANDMEMBER", "z", "0"}) == kEmptyArr);
  CHECK(t.Run({"ZRANDMEMBER", "z", "10", "WITHSCORES"}) ==
        Arr({Bulk("a"), Bulk("1"), Bulk("b"), Bulk("2"), Bulk("c"), Bulk("3")}));
  std::string rep = t.Run({"ZRANDMEMBER", "z", "-5"});
  CHECK(rep.rfind("*5\r\n", 0) == 0);
  std::string two = t.Run({"ZRANDMEMBER", "z", "2"});
  CHECK(two.rfind("*2\r\n", 0) == 0);
  CHECK(two.substr(4, 7) != two.substr(11, 7));  // distinct members
  CHECK(t.Run({"ZRANDMEMBER", "z", "-9223372036854775808"}) ==
        Err("ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(t.Run({"ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"}) ==
        Err("ERR value is out of range"));
  CHECK(t.Run({"ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"}) ==
        Err("ERR value is out of range"));
  CHECK(t.Run({"ZRANDMEMBER", "z", "1", "WITHSCORE"}) == kSyntax);
  CHECK(t.Run({"ZRANDMEMBER", "z", "x"}) == kNotInt);
  t.set_protocol(3);
  CHECK(t.Run({"ZRANDMEMBER", "z", "3", "WITHSCORES"}) ==
        Arr({Arr({Bulk("a"), Dbl3("1")}), Arr({Bulk("b"), Dbl3("2")}),
             Arr({Bulk("c"), Dbl3("3")})}));
}

TEST_CASE("ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD", "[zset]") {
  CommandTester t;
  t.Run({"ZADD", "z1", "1", "a", "2", "b", "3", "c"});
  t.Run({"ZADD", "z2", "1", "b", "2", "c", "3", "d"});
  CHECK(t.Run({"ZUNION", "2", "z1", "z2", "WITHSCORES"}) ==
        Arr({Bulk("a"), Bulk("1"), Bulk("b"), Bulk("3"), Bulk("d"), Bulk("3"), Bulk("c"),
             Bulk("5")}));
  CHECK(t.Run({"ZINTER", "2", "z1", "z2", "WEIGHTS", "2", "3", "WITHSCORES"}) ==
        Arr({Bulk("b"), Bulk("7"), Bulk("c"), Bulk("12")}));
  CHECK(t.Run({"ZINTER", "2", "z1", "z2", "AGGREGATE", "MAX", "WITHSCORES"}) ==
        Arr({Bulk("b"), Bulk("2"), Bulk("c"), Bulk("3")}));
  CHECK(t.Run({"ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN"}) ==
        Arr({Bulk("a"), Bulk("b"), Bulk("c"), Bulk("d")}));
  CHECK(t.Run({"ZDIFF", "2", "z1", "z2", "WITHSCORES"}) == Arr({Bulk("a"), Bulk("1")}));
  CHECK(t.Run({"ZDIFF", "1", "nokey"}) == kEmptyArr);
  CHECK(t.Run({"ZUNIONSTORE", "dst", "2", "z1", "z2"}) == Int(4));
  CHECK(Encoding(t, "dst") == Bulk("listpack"));
  CHECK(t.Run({"ZINTERSTORE", "dst", "2", "z1", "nokey"}) == Int(0));
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  CHECK(t.Run({"ZDIFFSTORE", "z1", "2", "z1", "z2"}) == Int(1));  // destination is a source
  CHECK(t.Run({"ZRANGE", "z1", "0", "-1"}) == Arr({Bulk("a")}));
  CHECK(t.Run({"ZINTERCARD", "2", "z2", "z2"}) == Int(3));
  CHECK(t.Run({"ZINTERCARD", "2", "z2", "z2", "LIMIT", "2"}) == Int(2));
  CHECK(t.Run({"ZINTERCARD", "2", "z2", "z2", "LIMIT", "-1"}) ==
        Err("ERR LIMIT can't be negative"));

  // inf * 0 weights count as 0; inf + -inf sums to 0.
  t.Run({"ZADD", "inf", "inf", "x"});
  t.Run({"ZADD", "ninf", "-inf", "x"});
  CHECK(t.Run({"ZUNION", "2", "inf", "ninf", "WITHSCORES"}) == Arr({Bulk("x"), Bulk("0")}));
  CHECK(t.Run({"ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"}) ==
        Arr({Bulk("x"), Bulk("0")}));
  // In an intersection only the first (smallest) input's term is NaN-checked: a later NaN
  // term (inf * 0) makes a SUM 0 and is ignored by MIN/MAX (values from redis-server).
  t.Run({"ZADD", "five", "5", "x"});
  t.Run({"ZADD", "inf2", "inf", "x", "1", "y"});
  CHECK(t.Run({"ZINTER", "2", "five", "inf2", "WEIGHTS", "1", "0", "WITHSCORES"}) ==
        Arr({Bulk("x"), Bulk("0")}));
  CHECK(t.Run({"ZINTER", "2", "five", "inf2", "WEIGHTS", "1", "0", "AGGREGATE", "MIN",
               "WITHSCORES"}) == Arr({Bulk("x"), Bulk("5")}));
  CHECK(t.Run({"ZINTER", "2", "five", "inf2", "WEIGHTS", "1", "0", "AGGREGATE", "MAX",
               "WITHSCORES"}) == Arr({Bulk("x"), Bulk("5")}));

  CHECK(t.Run({"ZUNION", "0", "z1"}) ==
        Err("ERR at least 1 input key is needed for 'zunion' command"));
  CHECK(t.Run({"ZUNIONSTORE", "d", "0", "z1"}) ==
        Err("ERR at least 1 input key is needed for 'zunionstore' command"));
  CHECK(t.Run({"ZUNION", "3", "z1", "z2"}) == kSyntax);
  CHECK(t.Run({"ZUNION", "x", "z1"}) == kNotInt);
  CHECK(t.Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"}) ==
        Err("ERR weight value is not a float"));
  CHECK(t.Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "1"}) == kSyntax);
  CHECK(t.Run({"ZUNION", "1", "z1", "AGGREGATE", "AVG"}) == kSyntax);
  CHECK(t.Run({"ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1"}) == kSyntax);
  CHECK(t.Run({"ZUNIONSTORE", "d", "1", "z1", "WITHSCORES"}) == kSyntax);
  t.Run({"SET", "s", "x"});
  CHECK(t.Run({"ZUNION", "2", "z1", "s"}) == kWrongType);
  // WRONGTYPE comes before option errors.
  CHECK(t.Run({"ZUNION", "2", "z1", "s", "BOGUS"}) == kWrongType);

  t.set_protocol(3);
  CHECK(t.Run({"ZINTER", "1", "z2", "WITHSCORES"}) ==
        Arr({Arr({Bulk("b"), Dbl3("1")}), Arr({Bulk("c"), Dbl3("2")}),
             Arr({Bulk("d"), Dbl3("3")})}));
}

TEST_CASE("ZSCAN", "[zset]") {
  CommandTester t;
  t.Run({"ZADD", "z", "1", "a", "2.5", "b"});
  CHECK(t.Run({"ZSCAN", "z", "0"}) ==
        Arr({Bulk("0"), Arr({Bulk("a"), Bulk("1"), Bulk("b"), Bulk("2.5")})}));
  CHECK(t.Run({"ZSCAN", "z", "0", "MATCH", "b*"}) ==
        Arr({Bulk("0"), Arr({Bulk("b"), Bulk("2.5")})}));
  CHECK(t.Run({"ZSCAN", "nokey", "0"}) == Arr({Bulk("0"), kEmptyArr}));
  CHECK(t.Run({"ZSCAN", "z", "x"}) == Err("ERR invalid cursor"));
  CHECK(t.Run({"ZSCAN", "z", "0", "COUNT", "0"}) == kSyntax);
  CHECK(t.Run({"ZSCAN", "z", "0", "TYPE", "zset"}) == kSyntax);

  // A skiplist set is walked with a cursor; every member comes back once at least.
  CommandTester big(Overrides{{"zset-max-listpack-entries", "4"}});
  Args add = {"ZADD", "z"};
  for (int i = 0; i < 200; ++i) {
    add.push_back(std::to_string(i) + ".25");
    add.push_back("m" + std::to_string(i));
  }
  big.Run(add);
  CHECK(Encoding(big, "z") == Bulk("skiplist"));
  std::string cursor = "0";
  std::set<std::string> seen;
  int calls = 0;
  do {
    std::string r = big.Run({"ZSCAN", "z", cursor, "COUNT", "20"});
    size_t p = r.find("$", 0);
    size_t len_end = r.find("\r\n", p);
    size_t len = std::stoul(r.substr(p + 1, len_end - p - 1));
    cursor = r.substr(len_end + 2, len);
    for (int i = 0; i < 200; ++i) {
      std::string m = "m" + std::to_string(i);
      if (r.find(Bulk(m) + Bulk(std::to_string(i) + ".25")) != std::string::npos) seen.insert(m);
    }
  } while (cursor != "0" && ++calls < 1000);
  CHECK(seen.size() == 200);
}

TEST_CASE("Sorted-set encodings at the listpack thresholds", "[zset]") {
  CommandTester t({{"zset-max-listpack-entries", "4"}, {"zset-max-listpack-value", "8"}});
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  CHECK(Encoding(t, "z") == Bulk("listpack"));
  t.Run({"ZADD", "z", "5", "e"});
  CHECK(Encoding(t, "z") == Bulk("skiplist"));
  t.Run({"ZREM", "z", "e", "d"});
  CHECK(Encoding(t, "z") == Bulk("skiplist"));  // removal never converts back

  t.Run({"ZADD", "v", "1", "12345678"});
  CHECK(Encoding(t, "v") == Bulk("listpack"));
  t.Run({"ZADD", "v", "1", "123456789"});
  CHECK(Encoding(t, "v") == Bulk("skiplist"));
  // A new key is created with the first member's length and the pair count as hints.
  t.Run({"ZADD", "w", "1", "123456789"});
  CHECK(Encoding(t, "w") == Bulk("skiplist"));
  t.Run({"ZADD", "x", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  CHECK(Encoding(t, "x") == Bulk("skiplist"));
  // An existing listpack set given more pairs than the limit converts first.
  t.Run({"ZADD", "y", "1", "a"});
  t.Run({"ZADD", "y", "1", "a", "1", "a", "1", "a", "1", "a", "1", "a"});
  CHECK(Encoding(t, "y") == Bulk("skiplist"));
  // STORE results that fit are listpacks again.
  CHECK(t.Run({"ZUNIONSTORE", "u", "1", "z"}) == Int(3));
  CHECK(Encoding(t, "u") == Bulk("listpack"));
  CHECK(t.Run({"ZUNIONSTORE", "u", "1", "v"}) == Int(2));
  CHECK(Encoding(t, "u") == Bulk("skiplist"));
  // ZRANGESTORE by rank uses the range length as its hint.
  CHECK(t.Run({"ZRANGESTORE", "r", "x", "0", "3"}) == Int(4));
  CHECK(Encoding(t, "r") == Bulk("listpack"));
  CHECK(t.Run({"ZRANGESTORE", "r", "x", "0", "4"}) == Int(5));
  CHECK(Encoding(t, "r") == Bulk("skiplist"));

  CommandTester zero(Overrides{{"zset-max-listpack-entries", "0"}});
  zero.Run({"ZADD", "z", "1", "a"});
  CHECK(Encoding(zero, "z") == Bulk("skiplist"));
  CHECK(zero.Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) == Arr({Bulk("a"), Bulk("1")}));
}

TEST_CASE("Sorted sets: big skiplist ranks and ranges agree with listpack", "[zset]") {
  CommandTester small;
  CommandTester big(Overrides{{"zset-max-listpack-entries", "0"}});
  for (CommandTester* t : {&small, &big}) {
    for (int i = 0; i < 100; ++i) {
      t->Run({"ZADD", "z", std::to_string(i % 10), "m" + std::to_string(i)});
    }
  }
  for (const Args& cmd :
       {Args{"ZRANGE", "z", "5", "25", "WITHSCORES"}, Args{"ZREVRANGE", "z", "0", "7"},
        Args{"ZRANGEBYSCORE", "z", "(3", "5", "LIMIT", "2", "7"},
        Args{"ZREVRANGEBYSCORE", "z", "5", "(3", "WITHSCORES"}, Args{"ZRANK", "z", "m57"},
        Args{"ZREVRANK", "z", "m57"}, Args{"ZCOUNT", "z", "2", "4"},
        Args{"ZPOPMIN", "z", "3"}, Args{"ZPOPMAX", "z", "3"},
        Args{"ZREMRANGEBYRANK", "z", "10", "20"}, Args{"ZRANGE", "z", "0", "-1", "WITHSCORES"}}) {
    CHECK(small.Run(cmd) == big.Run(cmd));
  }
}

}  // namespace
}  // namespace tessera::server

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT

TEST_CASE("Sorted-set operations take plain sets as sources with score 1", "[zset]") {
  CommandTester t;
  t.Run({"SADD", "s", "a", "b", "1"});
  t.Run({"ZADD", "z", "2", "b", "3", "c"});
  CHECK(t.Run({"ZUNION", "2", "s", "z", "WEIGHTS", "2", "1", "WITHSCORES"}) ==
        Arr({Bulk("1"), Bulk("2"), Bulk("a"), Bulk("2"), Bulk("c"), Bulk("3"), Bulk("b"),
             Bulk("4")}));
  CHECK(t.Run({"ZINTERSTORE", "d", "2", "s", "z"}) == Int(1));
  CHECK(t.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}) == Arr({Bulk("b"), Bulk("3")}));
  CHECK(t.Run({"ZDIFF", "2", "s", "z", "WITHSCORES"}) ==
        Arr({Bulk("1"), Bulk("1"), Bulk("a"), Bulk("1")}));
  CHECK(t.Run({"ZINTERCARD", "2", "s", "s"}) == Int(3));
  t.Run({"LPUSH", "l", "x"});
  CHECK(t.Run({"ZUNION", "2", "s", "l"}) == kWrongType);
}

TEST_CASE("DEBUG DIGEST-VALUE of sorted sets matches Redis", "[zset]") {
  CommandTester t(Overrides{{"enable-debug-command", "yes"}});
  t.Run({"ZADD", "z", "1", "a", "2", "b", "-3", "c", "100", "d"});
  t.Run({"EXPIRE", "z", "100"});
  // Computed by redis-server for the same commands.
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "z"}) ==
        Arr({"+7139c3ce3657e29146d8ba45bae0bbe2f1883d5a\r\n"}));
  // Both encodings digest alike: the digest is over members and scores only.
  t.Run({"ZUNIONSTORE", "big", "1", "z"});
  t.Run({"CONFIG", "SET", "zset-max-listpack-entries", "0"});
  t.Run({"ZUNIONSTORE", "big2", "1", "z"});
  CHECK(t.Run({"OBJECT", "ENCODING", "big2"}) == Bulk("skiplist"));
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "big"}) == t.Run({"DEBUG", "DIGEST-VALUE", "big2"}));
}

}  // namespace
}  // namespace tessera::server

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT

TEST_CASE("Sorted sets: extreme indexes, offsets and counts", "[zset]") {
  const std::string kMin = "-9223372036854775808";
  const std::string kMax = "9223372036854775807";
  CommandTester t;
  t.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  CHECK(t.Run({"ZRANGE", "z", kMin, kMax}) == Arr({Bulk("a"), Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZRANGE", "z", kMax, kMin}) == kEmptyArr);
  CHECK(t.Run({"ZRANGE", "z", "-1", kMax, "REV"}) == Arr({Bulk("a")}));
  CHECK(t.Run({"ZRANGE", "z", "9223372036854775808", "1"}) == kNotInt);
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", kMax, kMax}) == kEmptyArr);
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", kMin, "1"}) == kEmptyArr);
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", kMax}) ==
        Arr({Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", kMin}) ==
        Arr({Bulk("b"), Bulk("c")}));
  CHECK(t.Run({"ZREMRANGEBYRANK", "z", kMax, kMin}) == Int(0));
  CHECK(t.Run({"ZSCAN", "z", "0", "COUNT", kMax}) ==
        Arr({Bulk("0"), Arr({Bulk("a"), Bulk("1"), Bulk("b"), Bulk("2"), Bulk("c"), Bulk("3")})}));
  CHECK(t.Run({"ZPOPMIN", "z", kMax}) ==
        Arr({Bulk("a"), Bulk("1"), Bulk("b"), Bulk("2"), Bulk("c"), Bulk("3")}));
  t.Run({"ZADD", "z", "1", "a"});
  CHECK(t.Run({"ZMPOP", kMax, "z", "MIN"}) == kSyntax);
  CHECK(t.Run({"ZMPOP", "1", "z", "MIN", "COUNT", kMax}) ==
        Arr({Bulk("z"), Arr({Arr({Bulk("a"), Bulk("1")})})}));
  CHECK(t.Run({"ZUNION", kMax, "z"}) == kSyntax);
  CHECK(t.Run({"ZUNION", kMin, "z"}) ==
        Err("ERR at least 1 input key is needed for 'zunion' command"));
  CHECK(t.Run({"ZINTERCARD", "1", "z", "LIMIT", kMax}) == Int(0));
  // Scores at the ends of the double range.
  CHECK(t.Run({"ZADD", "d", "1.7976931348623157e308", "max", "-1.7976931348623157e308", "min"}) ==
        Int(2));
  CHECK(t.Run({"ZADD", "d", "1e309", "x"}) == kNotFloat);
  CHECK(t.Run({"ZINCRBY", "d", "1.7976931348623157e308", "max"}) == Bulk("inf"));
  CHECK(t.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}) ==
        Arr({Bulk("min"), Bulk("-1.7976931348623157e+308"), Bulk("max"), Bulk("inf")}));
  CHECK(t.Run({"ZCOUNT", "d", "(-inf", "(inf"}) == Int(1));
}

}  // namespace
}  // namespace tessera::server
