// Command tests of the set family (server/commands/set_family.cc), after Redis 7.2's
// tests/unit/type/set.tcl, plus the order of checks, error texts, RESP3 set replies, extreme
// counts and OBJECT ENCODING at each conversion threshold.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/server/command_tester.h"
#include "tests/server/commands/keys_test_util.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::kNil;
using test_replies::kNull3;
using test_replies::kOne;
using test_replies::kSyntax;
using test_replies::kWrongType;
using test_replies::kZero;
using testing::Bulk;
using testing::Err;
using testing::Int;
using testing::Overrides;
using Args = std::vector<std::string>;

const std::string kEmptyArray = "*0\r\n";
const std::string kEmptySet3 = "~0\r\n";
const std::string kNotInt = "-ERR value is not an integer or out of range\r\n";
const std::string kMustBePositive = "-ERR value is out of range, must be positive\r\n";
const std::string kCountRange =
    "-ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807\r\n";
const std::string kEmptyScan = "*2\r\n$1\r\n0\r\n*0\r\n";

// The bulk strings of a reply (array, RESP3 set, nested SCAN reply), in order.
std::vector<std::string> Elements(const std::string& resp) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < resp.size()) {
    size_t end = resp.find("\r\n", pos);
    std::string line = resp.substr(pos, end - pos);
    pos = end + 2;
    if (line[0] == '*' || line[0] == '~') continue;
    REQUIRE(line[0] == '$');
    size_t n = std::stoul(line.substr(1));
    out.push_back(resp.substr(pos, n));
    pos += n + 2;
  }
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> SortedMembers(CommandTester& t, std::string_view key) {
  return Sorted(Elements(t.Run({"SMEMBERS", key})));
}

std::string Encoding(CommandTester& t, std::string_view key) {
  return t.Run({"OBJECT", "ENCODING", key});
}

void SAdd(CommandTester& t, std::string_view key, const std::vector<std::string>& members) {
  Args args = {"SADD", std::string(key)};
  args.insert(args.end(), members.begin(), members.end());
  t.Run(args);
}

std::vector<std::string> Range(int from, int to, std::string_view prefix = "") {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(std::string(prefix) + std::to_string(i));
  return out;
}

}  // namespace

// ---- SADD SCARD SISMEMBER SMISMEMBER SMEMBERS SREM ---------------------------------------------

TEST_CASE("SADD, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS basics", "[set]") {
  CommandTester t;
  CHECK(t.Run({"SADD", "s", "foo"}) == kOne);
  CHECK(Encoding(t, "s") == Bulk("listpack"));
  CHECK(t.Run({"SADD", "s", "bar", "foo", "bar"}) == kOne);
  CHECK(t.Run({"SCARD", "s"}) == Int(2));
  CHECK(t.Run({"SISMEMBER", "s", "foo"}) == kOne);
  CHECK(t.Run({"SISMEMBER", "s", "bla"}) == kZero);
  CHECK(t.Run({"SMISMEMBER", "s", "bla", "foo"}) == "*2\r\n:0\r\n:1\r\n");
  CHECK(t.Run({"SMEMBERS", "s"}) == "*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n");  // listpack order
  t.set_protocol(3);
  CHECK(t.Run({"SMEMBERS", "s"}) == "~2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n");
  CHECK(t.Run({"SMEMBERS", "nokey"}) == kEmptySet3);
  t.set_protocol(2);
  CHECK(t.Run({"SMEMBERS", "nokey"}) == kEmptyArray);
  CHECK(t.Run({"SCARD", "nokey"}) == kZero);
  CHECK(t.Run({"SISMEMBER", "nokey", "a"}) == kZero);
  CHECK(t.Run({"SMISMEMBER", "nokey", "a", "b"}) == "*2\r\n:0\r\n:0\r\n");
}

TEST_CASE("SADD intset basics and integer forms", "[set]") {
  CommandTester t;
  CHECK(t.Run({"SADD", "s", "17", "16", "-5"}) == Int(3));
  CHECK(Encoding(t, "s") == Bulk("intset"));
  CHECK(t.Run({"SMEMBERS", "s"}) == "*3\r\n$2\r\n-5\r\n$2\r\n16\r\n$2\r\n17\r\n");
  CHECK(t.Run({"SISMEMBER", "s", "016"}) == kZero);
  CHECK(t.Run({"SADD", "s", "016"}) == kOne);  // not canonical: a string
  CHECK(Encoding(t, "s") == Bulk("listpack"));
  CHECK(t.Run({"SISMEMBER", "s", "16"}) == kOne);
  CHECK(t.Run({"SISMEMBER", "s", "016"}) == kOne);
  CHECK(t.Run({"SADD", "big", "213244124402402314402033402"}) == kOne);
  CHECK(Encoding(t, "big") == Bulk("listpack"));
  CHECK(t.Run({"SISMEMBER", "big", "213244124402402314402033402"}) == kOne);
  CHECK(t.Run({"SADD", "e", "-9223372036854775808", "9223372036854775807"}) == Int(2));
  CHECK(Encoding(t, "e") == Bulk("intset"));
  CHECK(t.Run({"SADD", "empty", ""}) == kOne);
  CHECK(t.Run({"SISMEMBER", "empty", ""}) == kOne);
}

TEST_CASE("Set commands refuse other types, changing nothing", "[set]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  for (const Args& args : std::vector<Args>{{"SADD", "str", "a"},
                                            {"SREM", "str", "a"},
                                            {"SMEMBERS", "str"},
                                            {"SISMEMBER", "str", "a"},
                                            {"SMISMEMBER", "str", "a"},
                                            {"SCARD", "str"},
                                            {"SPOP", "str"},
                                            {"SPOP", "str", "2"},
                                            {"SRANDMEMBER", "str"},
                                            {"SRANDMEMBER", "str", "-2"},
                                            {"SINTER", "str"},
                                            {"SINTERCARD", "1", "str"},
                                            {"SUNION", "str"},
                                            {"SDIFF", "str"},
                                            {"SSCAN", "str", "0"}}) {
    CAPTURE(args[0]);
    CHECK(t.Run(args) == kWrongType);
  }
  CHECK(t.Run({"GET", "str"}) == Bulk("x"));
}

TEST_CASE("SREM removes members and deletes the emptied key", "[set]") {
  CommandTester t;
  SAdd(t, "s", {"a", "b", "c", "d"});
  CHECK(t.Run({"SREM", "s", "k", "k", "k"}) == kZero);
  CHECK(t.Run({"SREM", "s", "b", "d", "x", "y", "b"}) == Int(2));
  CHECK(SortedMembers(t, "s") == std::vector<std::string>{"a", "c"});
  SAdd(t, "i", {"1", "2", "3"});
  CHECK(t.Run({"SREM", "i", "1", "2", "3", "4", "5"}) == Int(3));
  CHECK(t.Run({"EXISTS", "i"}) == kZero);
  CHECK(t.Run({"SREM", "nokey", "a"}) == kZero);
}

TEST_CASE("Set arity errors", "[set]") {
  CommandTester t;
  CHECK(t.Run({"SADD", "s"}) == Err("ERR wrong number of arguments for 'sadd' command"));
  CHECK(t.Run({"SMISMEMBER", "s"}) ==
        Err("ERR wrong number of arguments for 'smismember' command"));
  CHECK(t.Run({"SINTERCARD"}) == Err("ERR wrong number of arguments for 'sintercard' command"));
  CHECK(t.Run({"SINTERCARD", "1"}) ==
        Err("ERR wrong number of arguments for 'sintercard' command"));
  CHECK(t.Run({"SMOVE", "a", "b"}) == Err("ERR wrong number of arguments for 'smove' command"));
  CHECK(t.Run({"SPOP", "s", "1", "2"}) == kSyntax);
  CHECK(t.Run({"SRANDMEMBER", "s", "1", "2"}) == kSyntax);
}

// ---- Encodings at the thresholds -----------------------------------------------------------

TEST_CASE("SADD converts intset to hashtable past set-max-intset-entries", "[set][convert]") {
  CommandTester t({{"set-max-intset-entries", "16"}, {"set-max-listpack-entries", "8"}});
  for (int i = 0; i < 16; ++i) t.Run({"SADD", "single", std::to_string(i)});
  CHECK(Encoding(t, "single") == Bulk("intset"));
  CHECK(t.Run({"SADD", "single", "16"}) == kOne);
  CHECK(Encoding(t, "single") == Bulk("hashtable"));

  SAdd(t, "multi", Range(0, 16));
  CHECK(Encoding(t, "multi") == Bulk("intset"));
  SAdd(t, "multi2", Range(0, 17));  // the size hint alone makes it a hashtable
  CHECK(Encoding(t, "multi2") == Bulk("hashtable"));
  t.Run({"SADD", "grow", "1"});
  SAdd(t, "grow", Range(0, 17));  // setTypeMaybeConvert on an existing intset
  CHECK(Encoding(t, "grow") == Bulk("hashtable"));
}

TEST_CASE("SADD converts listpack to hashtable at its entry and value limits", "[set][convert]") {
  CommandTester t({{"set-max-listpack-entries", "8"}, {"set-max-listpack-value", "10"}});
  for (int i = 0; i < 8; ++i) t.Run({"SADD", "s", "m" + std::to_string(i)});
  CHECK(Encoding(t, "s") == Bulk("listpack"));
  CHECK(t.Run({"SADD", "s", "m0"}) == kZero);
  CHECK(Encoding(t, "s") == Bulk("listpack"));
  CHECK(t.Run({"SADD", "s", "x"}) == kOne);
  CHECK(Encoding(t, "s") == Bulk("hashtable"));

  t.Run({"SADD", "v", "0123456789"});
  CHECK(Encoding(t, "v") == Bulk("listpack"));
  t.Run({"SADD", "v", "01234567890"});
  CHECK(Encoding(t, "v") == Bulk("hashtable"));

  SAdd(t, "hint", Range(0, 9, "a"));
  CHECK(Encoding(t, "hint") == Bulk("hashtable"));
}

TEST_CASE("SADD of a string to an intset: listpack when small, else hashtable", "[set][convert]") {
  CommandTester t(Overrides{{"set-max-listpack-entries", "8"}});
  SAdd(t, "small", {"1", "2", "3"});
  CHECK(t.Run({"SADD", "small", "a"}) == kOne);
  CHECK(Encoding(t, "small") == Bulk("listpack"));
  SAdd(t, "large", {"0"});
  for (int i = 1; i < 8; ++i) t.Run({"SADD", "large", std::to_string(i)});
  CHECK(Encoding(t, "large") == Bulk("intset"));
  CHECK(t.Run({"SADD", "large", "a"}) == kOne);
  CHECK(Encoding(t, "large") == Bulk("hashtable"));
  SAdd(t, "huge", {"0"});
  for (int i = 1; i < 8; ++i) t.Run({"SADD", "huge", std::to_string(i)});
  t.Run({"SADD", "huge", "213244124402402314402033402"});
  CHECK(Encoding(t, "huge") == Bulk("hashtable"));
}

TEST_CASE("Set encoding thresholds follow CONFIG SET", "[set][convert]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "SET", "set-max-listpack-entries", "2"}) == testing::kOk);
  SAdd(t, "s", {"a", "b"});
  CHECK(Encoding(t, "s") == Bulk("listpack"));
  t.Run({"SADD", "s", "c"});
  CHECK(Encoding(t, "s") == Bulk("hashtable"));
  CHECK(t.Run({"CONFIG", "SET", "set-max-listpack-entries", "0"}) == testing::kOk);
  t.Run({"SADD", "z", "a"});
  CHECK(Encoding(t, "z") == Bulk("hashtable"));
}

// ---- SMOVE ------------------------------------------------------------------------------------

TEST_CASE("SMOVE moves members and converts the destination", "[set][smove]") {
  CommandTester t;
  auto setup = [&] {
    t.Run({"DEL", "s1", "s2", "s3"});
    SAdd(t, "s1", {"1", "a", "b"});
    SAdd(t, "s2", {"2", "3", "4"});
  };
  setup();
  CHECK(t.Run({"SMOVE", "s1", "s2", "a"}) == kOne);
  CHECK(SortedMembers(t, "s1") == std::vector<std::string>{"1", "b"});
  CHECK(SortedMembers(t, "s2") == std::vector<std::string>{"2", "3", "4", "a"});
  CHECK(Encoding(t, "s2") == Bulk("listpack"));
  setup();
  CHECK(t.Run({"SMOVE", "s1", "s2", "1"}) == kOne);
  CHECK(Encoding(t, "s2") == Bulk("intset"));
  setup();
  CHECK(t.Run({"SMOVE", "s1", "s2", "foo"}) == kZero);
  CHECK(t.Run({"SMOVE", "s1", "s1", "foo"}) == kZero);
  CHECK(t.Run({"SMOVE", "s1", "s1", "a"}) == kOne);
  CHECK(SortedMembers(t, "s1") == std::vector<std::string>{"1", "a", "b"});
  CHECK(t.Run({"SMOVE", "nokey", "s2", "foo"}) == kZero);
  CHECK(t.Run({"SMOVE", "s1", "s3", "a"}) == kOne);
  CHECK(Encoding(t, "s3") == Bulk("listpack"));
  CHECK(t.Run({"SMOVE", "s2", "s4", "2"}) == kOne);
  CHECK(Encoding(t, "s4") == Bulk("intset"));
  // The last member leaves: the source goes.
  t.Run({"SADD", "one", "x"});
  CHECK(t.Run({"SMOVE", "one", "s3", "x"}) == kOne);
  CHECK(t.Run({"EXISTS", "one"}) == kZero);
  // Already in the destination: still 1, removed from the source.
  t.Run({"SADD", "p", "y", "z"});
  t.Run({"SADD", "q", "y"});
  CHECK(t.Run({"SMOVE", "p", "q", "y"}) == kOne);
  CHECK(SortedMembers(t, "p") == std::vector<std::string>{"z"});
  CHECK(t.Run({"SCARD", "q"}) == kOne);
}

TEST_CASE("SMOVE type errors change nothing", "[set][smove]") {
  CommandTester t;
  testing::PutString(t, "str", "10");
  SAdd(t, "s", {"a", "b"});
  CHECK(t.Run({"SMOVE", "str", "s", "a"}) == kWrongType);
  CHECK(t.Run({"SMOVE", "s", "str", "a"}) == kWrongType);
  CHECK(SortedMembers(t, "s") == std::vector<std::string>{"a", "b"});
  CHECK(t.Run({"SMOVE", "s", "str", "nonmember"}) == kWrongType);
  // A missing source answers 0 before the destination's type is looked at.
  CHECK(t.Run({"SMOVE", "nokey", "str", "a"}) == kZero);
  CHECK(t.Run({"SMOVE", "str", "str", "a"}) == kWrongType);
}

// ---- SPOP -------------------------------------------------------------------------------------

TEST_CASE("SPOP without count", "[set][spop]") {
  CommandTester t;
  for (const std::vector<std::string>& contents :
       {std::vector<std::string>{"a", "b", "c"}, std::vector<std::string>{"1", "2", "3"}}) {
    SAdd(t, "s", contents);
    std::vector<std::string> popped;
    for (int i = 0; i < 3; ++i) popped.push_back(Elements(t.Run({"SPOP", "s"}))[0]);
    CHECK(Sorted(popped) == contents);
    CHECK(t.Run({"EXISTS", "s"}) == kZero);
  }
  CHECK(t.Run({"SPOP", "nokey"}) == kNil);
  t.set_protocol(3);
  CHECK(t.Run({"SPOP", "nokey"}) == kNull3);
}

TEST_CASE("SPOP with count: argument checks and replies", "[set][spop]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  // The count is read before the key.
  CHECK(t.Run({"SPOP", "str", "-1"}) == kMustBePositive);
  CHECK(t.Run({"SPOP", "nokey", "-1"}) == kMustBePositive);
  // Redis passes its message for the non-integer case too.
  CHECK(t.Run({"SPOP", "nokey", "abc"}) == kMustBePositive);
  CHECK(t.Run({"SPOP", "nokey", "-9223372036854775808"}) == kMustBePositive);
  CHECK(t.Run({"SPOP", "nokey", "100"}) == kEmptyArray);
  CHECK(t.Run({"SPOP", "str", "0"}) == kWrongType);
  SAdd(t, "s", {"a"});
  CHECK(t.Run({"SPOP", "s", "0"}) == kEmptyArray);
  t.set_protocol(3);
  CHECK(t.Run({"SPOP", "nokey", "5"}) == kEmptySet3);
  CHECK(t.Run({"SPOP", "s", "1"}) == "~1\r\n$1\r\na\r\n");
  CHECK(t.Run({"EXISTS", "s"}) == kZero);
  CHECK(t.Run({"SPOP", "nokey", "9223372036854775807"}) == kEmptySet3);
}

TEST_CASE("SPOP with count covers every code path in every encoding", "[set][spop]") {
  CommandTester t;
  std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"listpack", Range(0, 19, "a")}, {"intset", Range(1, 21)}, {"hashtable", Range(0, 200, "h")}};
  for (const auto& [enc, contents] : cases) {
    for (uint64_t count : {1u, 2u, 5u, 18u, 19u, 25u, 300u}) {
      CAPTURE(enc, count);
      t.Run({"DEL", "s"});
      SAdd(t, "s", contents);
      REQUIRE(Encoding(t, "s") == Bulk(enc));
      std::vector<std::string> res = Elements(t.Run({"SPOP", "s", std::to_string(count)}));
      const size_t want = std::min<size_t>(count, contents.size());
      CHECK(res.size() == want);
      std::vector<std::string> rest = Elements(t.Run({"SMEMBERS", "s"}));
      CHECK(rest.size() == contents.size() - want);
      std::vector<std::string> all = res;
      all.insert(all.end(), rest.begin(), rest.end());
      CHECK(Sorted(all) == Sorted(contents));
      CHECK(t.Run({"EXISTS", "s"}) == (rest.empty() ? kZero : kOne));
    }
  }
}

TEST_CASE("SPOP taking most of a set keeps its TTL and re-encodes what stays", "[set][spop]") {
  CommandTester t;
  SAdd(t, "h", Range(0, 300, "m"));
  CHECK(Encoding(t, "h") == Bulk("hashtable"));
  t.Run({"EXPIRE", "h", "100"});
  CHECK(Elements(t.Run({"SPOP", "h", "290"})).size() == 290);
  CHECK(t.Run({"SCARD", "h"}) == Int(10));
  CHECK(t.Run({"TTL", "h"}) == Int(100));
  CHECK(Encoding(t, "h") == Bulk("listpack"));  // Redis rebuilds the remainder as a listpack

  SAdd(t, "i", Range(0, 100));
  CHECK(Elements(t.Run({"SPOP", "i", "95"})).size() == 95);
  CHECK(Encoding(t, "i") == Bulk("intset"));
  CHECK(t.Run({"SCARD", "i"}) == Int(5));
}

// ---- SRANDMEMBER ------------------------------------------------------------------------------

TEST_CASE("SRANDMEMBER argument checks and empty replies", "[set][srandmember]") {
  CommandTester t;
  SAdd(t, "s", {"a"});
  CHECK(t.Run({"SRANDMEMBER", "s", "-9223372036854775808"}) == kCountRange);
  CHECK(t.Run({"SRANDMEMBER", "nokey", "-9223372036854775808"}) == kCountRange);
  CHECK(t.Run({"SRANDMEMBER", "s", "1.5"}) == kNotInt);
  CHECK(t.Run({"SRANDMEMBER", "s", "0"}) == kEmptyArray);
  CHECK(t.Run({"SRANDMEMBER", "nokey", "100"}) == kEmptyArray);
  CHECK(t.Run({"SRANDMEMBER", "nokey", "-9223372036854775807"}) == kEmptyArray);
  CHECK(t.Run({"SRANDMEMBER", "nokey"}) == kNil);
  t.set_protocol(3);
  CHECK(t.Run({"SRANDMEMBER", "nokey"}) == kNull3);
  CHECK(t.Run({"SRANDMEMBER", "nokey", "3"}) == kEmptyArray);  // an array, even in RESP3
  CHECK(t.Run({"SRANDMEMBER", "s", "3"}) == "*1\r\n$1\r\na\r\n");
  CHECK(t.Run({"SRANDMEMBER", "s"}) == Bulk("a"));
}

TEST_CASE("SRANDMEMBER with count in every encoding and code path", "[set][srandmember]") {
  CommandTester t;
  std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"listpack", Range(0, 50, "l")}, {"intset", Range(0, 50)}, {"hashtable", Range(0, 200, "h")}};
  for (const auto& [enc, contents] : cases) {
    CAPTURE(enc);
    t.Run({"DEL", "s"});
    SAdd(t, "s", contents);
    REQUIRE(Encoding(t, "s") == Bulk(enc));
    const std::set<std::string> all(contents.begin(), contents.end());
    std::vector<std::string> neg = Elements(t.Run({"SRANDMEMBER", "s", "-100"}));
    CHECK(neg.size() == 100);
    for (const std::string& m : neg) CHECK(all.count(m) == 1);
    std::vector<std::string> whole = Elements(t.Run({"SRANDMEMBER", "s", "1000"}));
    CHECK(Sorted(whole) == Sorted(contents));
    for (size_t size : {contents.size() - 5, size_t{5}, size_t{1}}) {
      std::vector<std::string> res = Elements(t.Run({"SRANDMEMBER", "s", std::to_string(size)}));
      CHECK(res.size() == size);
      CHECK(std::set<std::string>(res.begin(), res.end()).size() == size);
      for (const std::string& m : res) CHECK(all.count(m) == 1);
    }
    CHECK(t.Run({"SCARD", "s"}) == Int(static_cast<int64_t>(contents.size())));
  }
}

// ---- SINTER SINTERCARD SINTERSTORE ------------------------------------------------------------

TEST_CASE("SINTERCARD argument checks in Redis's order", "[set][sintercard]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  CHECK(t.Run({"SINTERCARD", "0", "s"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(t.Run({"SINTERCARD", "a", "s"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(t.Run({"SINTERCARD", "-9223372036854775808", "s"}) ==
        Err("ERR numkeys should be greater than 0"));
  CHECK(t.Run({"SINTERCARD", "2", "s"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(t.Run({"SINTERCARD", "9223372036854775807", "s"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(t.Run({"SINTERCARD", "1", "s", "s2"}) == kSyntax);
  CHECK(t.Run({"SINTERCARD", "1", "s", "LIMIT"}) == kSyntax);
  CHECK(t.Run({"SINTERCARD", "1", "s", "LIMIT", "-1"}) == Err("ERR LIMIT can't be negative"));
  CHECK(t.Run({"SINTERCARD", "1", "s", "LIMIT", "a"}) == Err("ERR LIMIT can't be negative"));
  // Options are read before the keys.
  CHECK(t.Run({"SINTERCARD", "1", "str", "LIMIT", "-1"}) == Err("ERR LIMIT can't be negative"));
  CHECK(t.Run({"SINTERCARD", "1", "str"}) == kWrongType);
  CHECK(t.Run({"SINTERCARD", "2", "nokey", "str"}) == kWrongType);
  CHECK(t.Run({"SINTERCARD", "1", "nokey", "limit", "0"}) == kZero);
  CHECK(t.Run({"COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"}) ==
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST_CASE("SINTER, SINTERCARD, SINTERSTORE in both encodings", "[set][sinter]") {
  for (bool intset : {false, true}) {
    CAPTURE(intset);
    CommandTester t;
    const std::string large = intset ? "200" : "foo";
    for (int i = 0; i < 200; ++i) {
      t.Run({"SADD", "s1", std::to_string(i)});
      t.Run({"SADD", "s2", std::to_string(i + 195)});
    }
    SAdd(t, "s3", {"199", "195", "1000", "2000"});
    for (const char* k : {"s1", "s2", "s3"}) t.Run({"SADD", k, large});
    std::vector<std::string> want = {"195", "196", "197", "198", "199", large};
    CHECK(Sorted(Elements(t.Run({"SINTER", "s1", "s2"}))) == Sorted(want));
    CHECK(t.Run({"SINTERCARD", "2", "s1", "s2"}) == Int(6));
    CHECK(t.Run({"SINTERCARD", "2", "s1", "s2", "limit", "3"}) == Int(3));
    CHECK(t.Run({"SINTERCARD", "2", "s1", "s2", "LIMIT", "0"}) == Int(6));
    CHECK(t.Run({"SINTERCARD", "2", "s1", "s2", "LIMIT", "10"}) == Int(6));
    CHECK(t.Run({"SINTERSTORE", "res", "s1", "s2"}) == Int(6));
    CHECK(Encoding(t, "res") == Bulk(intset ? "intset" : "listpack"));
    CHECK(SortedMembers(t, "res") == Sorted(want));
    CHECK(Sorted(Elements(t.Run({"SINTER", "s1", "s2", "s3"}))) ==
          Sorted(std::vector<std::string>{"195", "199", large}));
    CHECK(t.Run({"SINTERCARD", "3", "s1", "s2", "s3", "LIMIT", "2"}) == Int(2));
    CHECK(t.Run({"SINTERSTORE", "res", "s1", "s2", "s3"}) == Int(3));
    CHECK(Sorted(Elements(t.Run({"SINTER", "s1", "s1", "s1"}))) == SortedMembers(t, "s1"));
    t.set_protocol(3);
    std::string r3 = t.Run({"SINTER", "s1", "s3"});
    CHECK(r3.substr(0, 4) == "~3\r\n");
  }
}

TEST_CASE("SINTERSTORE result encodings", "[set][sinter][convert]") {
  CommandTester t;
  SAdd(t, "a", {"a", "b", "c", "1", "3", "6", "x", "y", "z"});
  SAdd(t, "b", {"e", "f", "g", "1", "2", "3", "u", "v", "w"});
  CHECK(t.Run({"SINTERSTORE", "r", "a", "b"}) == Int(2));
  CHECK(Encoding(t, "r") == Bulk("intset"));
  CHECK(SortedMembers(t, "r") == std::vector<std::string>{"1", "3"});

  SAdd(t, "h1", {"a", "b", "c", "444", "555", "666"});
  SAdd(t, "h2", {"e", "f", "g", "111", "222", "333"});
  for (int i = 1; i < 130; ++i) {
    t.Run({"SADD", "h1", std::to_string(i)});
    t.Run({"SADD", "h2", std::to_string(i)});
  }
  CHECK(Encoding(t, "h1") == Bulk("hashtable"));
  CHECK(t.Run({"SINTERSTORE", "r", "h1", "h2"}) == Int(129));
  CHECK(Encoding(t, "r") == Bulk("intset"));

  // Strings in the result of two hashtables: a listpack when it fits.
  SAdd(t, "h3", Range(0, 200, "m"));
  SAdd(t, "h4", Range(190, 400, "m"));
  CHECK(t.Run({"SINTERSTORE", "r", "h3", "h4"}) == Int(10));
  CHECK(Encoding(t, "r") == Bulk("listpack"));
  SAdd(t, "h5", Range(0, 300, "m"));
  CHECK(t.Run({"SINTERSTORE", "r", "h3", "h5"}) == Int(200));
  CHECK(Encoding(t, "r") == Bulk("hashtable"));
}

TEST_CASE("SINTER with the same integers in different encodings", "[set][sinter]") {
  CommandTester t;
  SAdd(t, "s1", {"1", "2", "3"});
  SAdd(t, "s2", {"1", "2", "3", "a"});
  t.Run({"SREM", "s2", "a"});
  CHECK(Encoding(t, "s1") == Bulk("intset"));
  CHECK(Encoding(t, "s2") == Bulk("listpack"));
  CHECK(Sorted(Elements(t.Run({"SINTER", "s1", "s2"}))) == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("SINTER and SINTERSTORE with missing keys and wrong types", "[set][sinter]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  SAdd(t, "s1", {"a", "b", "c"});
  SAdd(t, "s2", {"b", "c", "d"});
  CHECK(t.Run({"SINTER", "s1", "s2", "nokey"}) == kEmptyArray);
  CHECK(t.Run({"SINTER", "nokey", "str"}) == kWrongType);
  CHECK(t.Run({"SINTER", "str", "nokey"}) == kWrongType);
  CHECK(t.Run({"SINTERCARD", "2", "s1", "nokey"}) == kZero);
  // The destination is untouched by a type error, deleted by an empty result.
  SAdd(t, "dst", {"e"});
  CHECK(t.Run({"SINTERSTORE", "dst", "str", "s2", "nokey"}) == kWrongType);
  CHECK(t.Run({"SINTERSTORE", "dst", "nokey", "str", "s2"}) == kWrongType);
  CHECK(SortedMembers(t, "dst") == std::vector<std::string>{"e"});
  CHECK(t.Run({"SINTERSTORE", "dst", "s1", "nokey"}) == kZero);
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  testing::PutString(t, "sdst", "xxx");
  CHECK(t.Run({"SINTERSTORE", "sdst", "foo", "bar"}) == kZero);
  CHECK(t.Run({"EXISTS", "sdst"}) == kZero);
  SAdd(t, "disjoint", {"x"});
  t.Run({"SADD", "dst", "e"});
  CHECK(t.Run({"SINTERSTORE", "dst", "s1", "disjoint"}) == kZero);
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  // A string destination is overwritten; its TTL goes with it.
  testing::PutString(t, "sdst", "xxx");
  t.Run({"EXPIRE", "sdst", "100"});
  CHECK(t.Run({"SINTERSTORE", "sdst", "s1", "s2"}) == Int(2));
  CHECK(t.Run({"TTL", "sdst"}) == Int(-1));
  CHECK(t.Run({"TYPE", "sdst"}) == "+set\r\n");
  // The destination may be a source.
  CHECK(t.Run({"SINTERSTORE", "s1", "s1", "s2"}) == Int(2));
  CHECK(SortedMembers(t, "s1") == std::vector<std::string>{"b", "c"});
}

// ---- SUNION SUNIONSTORE SDIFF SDIFFSTORE ------------------------------------------------------

TEST_CASE("SUNION and SUNIONSTORE", "[set][sunion]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  SAdd(t, "s1", {"a", "b", "c"});
  SAdd(t, "s2", {"b", "c", "d"});
  CHECK(Sorted(Elements(t.Run({"SUNION", "s1", "s2", "nokey"}))) ==
        std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(t.Run({"SUNION", "nokey"}) == kEmptyArray);
  CHECK(t.Run({"SUNION", "str", "nokey"}) == kWrongType);
  CHECK(t.Run({"SUNION", "s1", "str"}) == kWrongType);
  SAdd(t, "dst", {"e"});
  CHECK(t.Run({"SUNIONSTORE", "dst", "s1", "str"}) == kWrongType);
  CHECK(SortedMembers(t, "dst") == std::vector<std::string>{"e"});
  CHECK(t.Run({"SUNIONSTORE", "dst", "s1", "s2"}) == Int(4));
  CHECK(SortedMembers(t, "dst") == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(t.Run({"SUNIONSTORE", "dst", "nokey1", "nokey2"}) == kZero);
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  CHECK(t.Run({"SUNIONSTORE", "s1", "s1", "s2"}) == Int(4));
  t.set_protocol(3);
  CHECK(t.Run({"SUNION", "s2"}).substr(0, 4) == "~3\r\n");
  CHECK(t.Run({"SUNION", "nokey"}) == kEmptySet3);
}

TEST_CASE("SUNIONSTORE result encodings", "[set][sunion][convert]") {
  CommandTester t;
  SAdd(t, "i1", Range(0, 200));
  SAdd(t, "i2", Range(195, 400));
  CHECK(t.Run({"SUNIONSTORE", "r", "i1", "i2"}) == Int(400));
  CHECK(Encoding(t, "r") == Bulk("intset"));
  SAdd(t, "l1", {"a", "1"});
  CHECK(t.Run({"SUNIONSTORE", "r", "l1", "i1"}) == Int(201));
  CHECK(Encoding(t, "r") == Bulk("hashtable"));
  CHECK(t.Run({"SUNIONSTORE", "r", "l1"}) == Int(2));
  CHECK(Encoding(t, "r") == Bulk("listpack"));
  SAdd(t, "ints", {"5", "6"});
  CHECK(t.Run({"SUNIONSTORE", "r", "ints", "ints"}) == Int(2));
  CHECK(Encoding(t, "r") == Bulk("intset"));
}

TEST_CASE("SDIFF and SDIFFSTORE", "[set][sdiff]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  SAdd(t, "s1", {"a", "b", "c"});
  SAdd(t, "s2", {"b", "c", "d"});
  CHECK(Elements(t.Run({"SDIFF", "s1", "s2", "nokey"})) == std::vector<std::string>{"a"});
  CHECK(t.Run({"SDIFF", "nokey", "s2", "s1"}) == kEmptyArray);
  CHECK(t.Run({"SDIFF", "s1", "s1"}) == kEmptyArray);
  CHECK(t.Run({"SDIFF", "s1", "s2", "s1"}) == kEmptyArray);
  CHECK(t.Run({"SDIFF", "str", "nokey"}) == kWrongType);
  CHECK(t.Run({"SDIFF", "nokey", "str"}) == kWrongType);
  CHECK(t.Run({"SDIFF", "s1", "str"}) == kWrongType);
  SAdd(t, "dst", {"e"});
  CHECK(t.Run({"SDIFFSTORE", "dst", "str", "s1", "nokey"}) == kWrongType);
  CHECK(SortedMembers(t, "dst") == std::vector<std::string>{"e"});
  CHECK(t.Run({"SDIFFSTORE", "dst", "s1", "s2"}) == Int(1));
  CHECK(SortedMembers(t, "dst") == std::vector<std::string>{"a"});
  CHECK(t.Run({"SDIFFSTORE", "dst", "s2", "s1", "s2"}) == kZero);
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  testing::PutString(t, "sres", "xxx");
  CHECK(t.Run({"SDIFFSTORE", "sres", "foo", "bar"}) == kZero);
  CHECK(t.Run({"EXISTS", "sres"}) == kZero);
  // Intsets stay intsets, through either algorithm.
  SAdd(t, "i1", Range(0, 200));
  SAdd(t, "i4", Range(5, 200));
  SAdd(t, "i5", {"0"});
  CHECK(t.Run({"SDIFFSTORE", "r", "i1", "i4", "i5"}) == Int(4));
  CHECK(Encoding(t, "r") == Bulk("intset"));
  CHECK(SortedMembers(t, "r") == std::vector<std::string>{"1", "2", "3", "4"});
  SAdd(t, "tiny", {"7"});
  CHECK(t.Run({"SDIFFSTORE", "r", "i1", "tiny"}) == Int(199));  // algorithm 1
  CHECK(Encoding(t, "r") == Bulk("intset"));
  CHECK(t.Run({"SDIFFSTORE", "r", "i1", "tiny", "i5"}) == Int(198));  // algorithm 2
  CHECK(Encoding(t, "r") == Bulk("intset"));
}

TEST_CASE("SDIFF fuzzing against a model", "[set][sdiff]") {
  CommandTester t;
  uint64_t state = 42;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  for (int round = 0; round < 30; ++round) {
    const int num_sets = static_cast<int>(next(10)) + 1;
    std::set<std::string> model;
    Args args = {"SDIFF"};
    for (int i = 0; i < num_sets; ++i) {
      std::string key = "set_" + std::to_string(i);
      t.Run({"DEL", key});
      args.push_back(key);
      const int n = static_cast<int>(next(100));
      for (int j = 0; j < n; ++j) {
        std::string ele = next(2) ? std::to_string(next(300)) : "e" + std::to_string(next(300));
        t.Run({"SADD", key, ele});
        if (i == 0) {
          model.insert(ele);
        } else {
          model.erase(ele);
        }
      }
    }
    CHECK(Sorted(Elements(t.Run(args))) == std::vector<std::string>(model.begin(), model.end()));
  }
}

// ---- SSCAN ------------------------------------------------------------------------------------

TEST_CASE("SSCAN argument checks in Redis's order", "[set][sscan]") {
  CommandTester t;
  testing::PutString(t, "str", "x");
  CHECK(t.Run({"SSCAN", "nokey", "abc"}) == Err("ERR invalid cursor"));
  CHECK(t.Run({"SSCAN", "str", "abc"}) == Err("ERR invalid cursor"));
  CHECK(t.Run({"SSCAN", "nokey", "0", "COUNT", "0"}) == kEmptyScan);  // options come later
  CHECK(t.Run({"SSCAN", "str", "0", "COUNT", "0"}) == kWrongType);
  SAdd(t, "s", {"a", "b"});
  CHECK(t.Run({"SSCAN", "s", "0", "COUNT", "0"}) == kSyntax);
  CHECK(t.Run({"SSCAN", "s", "0", "COUNT", "x"}) == kNotInt);
  CHECK(t.Run({"SSCAN", "s", "0", "TYPE", "string"}) == kSyntax);
  CHECK(t.Run({"SSCAN", "s", "0", "MATCH"}) == kSyntax);
  CHECK(t.Run({"SSCAN", "s", "0", "MATCH", "a"}) == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
}

TEST_CASE("SSCAN of packed sets answers everything with cursor 0", "[set][sscan]") {
  CommandTester t;
  SAdd(t, "i", Range(0, 100));
  testing::ScanReply r = testing::ParseScan(t.Run({"SSCAN", "i", "0", "COUNT", "5"}));
  CHECK(r.cursor == 0);
  CHECK(r.keys.size() == 100);
  // The cursor of a packed set is ignored.
  CHECK(testing::ParseScan(t.Run({"SSCAN", "i", "12345"})).keys.size() == 100);
  SAdd(t, "l", {"foo", "bar", "baz", "1"});
  r = testing::ParseScan(t.Run({"SSCAN", "l", "0", "MATCH", "ba*"}));
  CHECK(Sorted(r.keys) == std::vector<std::string>{"bar", "baz"});
  r = testing::ParseScan(t.Run({"SSCAN", "i", "0", "MATCH", "*9"}));
  CHECK(r.keys.size() == 10);
}

TEST_CASE("SSCAN of a hashtable set returns every member across calls", "[set][sscan]") {
  CommandTester t;
  SAdd(t, "h", Range(0, 5000, "m"));
  REQUIRE(Encoding(t, "h") == Bulk("hashtable"));
  for (const char* count : {"1", "10", "100", "100000"}) {
    CAPTURE(count);
    std::multiset<std::string> seen;
    uint64_t cursor = 0;
    int calls = 0;
    do {
      testing::ScanReply r =
          testing::ParseScan(t.Run({"SSCAN", "h", std::to_string(cursor), "COUNT", count}));
      seen.insert(r.keys.begin(), r.keys.end());
      cursor = r.cursor;
      ++calls;
    } while (cursor != 0 && calls < 100000);
    CHECK(cursor == 0);
    CHECK(seen.size() == 5000);  // each member exactly once: no table change meanwhile
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 5000);
  }
  std::set<std::string> matched;
  uint64_t cursor = 0;
  do {
    testing::ScanReply r = testing::ParseScan(
        t.Run({"SSCAN", "h", std::to_string(cursor), "MATCH", "m1*", "COUNT", "50"}));
    matched.insert(r.keys.begin(), r.keys.end());
    cursor = r.cursor;
  } while (cursor != 0);
  CHECK(matched.size() == 1111);  // m1, m10-m19, m100-m199, m1000-m1999
}

TEST_CASE("SSCAN keeps its guarantee while the set changes", "[set][sscan]") {
  CommandTester t;
  SAdd(t, "h", Range(0, 1000, "m"));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int i = 0;
  do {
    testing::ScanReply r =
        testing::ParseScan(t.Run({"SSCAN", "h", std::to_string(cursor), "COUNT", "20"}));
    seen.insert(r.keys.begin(), r.keys.end());
    cursor = r.cursor;
    // Grow the table (forcing resizes) and remove members added after the start.
    for (int j = 0; j < 50; ++j) t.Run({"SADD", "h", "n" + std::to_string(i++)});
    t.Run({"SREM", "h", "n" + std::to_string(i / 2)});
  } while (cursor != 0);
  for (int k = 0; k < 1000; ++k) CHECK(seen.count("m" + std::to_string(k)) == 1);
}

TEST_CASE("Set values: COPY, RENAME, TYPE and MEMORY USAGE", "[set]") {
  CommandTester t;
  SAdd(t, "s", Range(0, 300, "m"));
  CHECK(t.Run({"TYPE", "s"}) == "+set\r\n");
  CHECK(t.Run({"COPY", "s", "c"}) == kOne);
  t.Run({"SREM", "s", "m1"});
  CHECK(t.Run({"SCARD", "c"}) == Int(300));
  CHECK(t.Run({"SISMEMBER", "c", "m1"}) == kOne);
  CHECK(t.Run({"RENAME", "c", "d"}) == testing::kOk);
  CHECK(t.Run({"SCARD", "d"}) == Int(300));
  CHECK(Encoding(t, "d") == Bulk("hashtable"));
  std::string usage = t.Run({"MEMORY", "USAGE", "d"});
  REQUIRE(usage[0] == ':');
  CHECK(std::stoll(usage.substr(1)) > 300 * 5);
}

}  // namespace tessera::server

namespace tessera::server {

TEST_CASE("DEBUG DIGEST-VALUE of a set ignores encoding and order", "[set]") {
  CommandTester t(Overrides{{"enable-debug-command", "yes"}});
  SAdd(t, "a", {"1", "2", "3"});
  SAdd(t, "b", {"3", "x", "2", "1"});
  t.Run({"SREM", "b", "x"});
  REQUIRE(Encoding(t, "a") == Bulk("intset"));
  REQUIRE(Encoding(t, "b") == Bulk("listpack"));
  std::string da = t.Run({"DEBUG", "DIGEST-VALUE", "a"});
  CHECK(da.substr(0, 5) == "*1\r\n+");
  CHECK(da == t.Run({"DEBUG", "DIGEST-VALUE", "b"}));
  t.Run({"SADD", "b", "4"});
  CHECK(da != t.Run({"DEBUG", "DIGEST-VALUE", "b"}));
  CHECK(t.Run({"DEBUG", "DIGEST"}).substr(0, 1) == "+");
}

}  // namespace tessera::server
