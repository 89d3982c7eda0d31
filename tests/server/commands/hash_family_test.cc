// Command tests of the hash family (server/commands/hash_family.cc), after Redis 7.2's
// tests/unit/type/hash.tcl and 7.4's hash-field-expire.tcl, plus every error text and limit.
#include <catch2/catch.hpp>

#include <cstdint>
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
using Overrides = std::vector<std::pair<std::string, std::string>>;

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Arr(size_t n) { return "*" + std::to_string(n) + "\r\n"; }
std::string Err(std::string_view text) { return "-ERR " + std::string(text) + "\r\n"; }
std::string Ints(std::initializer_list<int64_t> v) {
  std::string out = Arr(v.size());
  for (int64_t x : v) out += Int(x);
  return out;
}
std::string Bulks(std::initializer_list<std::string_view> v) {
  std::string out = Arr(v.size());
  for (std::string_view x : v) out += Bulk(x);
  return out;
}
std::string Encoding(CommandTester& t, std::string_view key) {
  return t.Run({"OBJECT", "ENCODING", key});
}

// Counts the bulk strings of a flat RESP2 array reply.
size_t CountBulks(const std::string& reply) {
  size_t n = 0;
  for (size_t p = reply.find("\r\n$"); p != std::string::npos; p = reply.find("\r\n$", p + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("HSET HGET HLEN HMSET HSETNX HEXISTS HSTRLEN", "[hash]") {
  CommandTester t;
  CHECK(t.Run({"HSET", "h", "a", "1", "b", "2"}) == Int(2));
  CHECK(t.Run({"HSET", "h", "a", "10", "c", "3"}) == Int(1));
  CHECK(t.Run({"HGET", "h", "a"}) == Bulk("10"));
  CHECK(t.Run({"HGET", "h", "zz"}) == kNil);
  CHECK(t.Run({"HGET", "nokey", "a"}) == kNil);
  CHECK(t.Run({"HLEN", "h"}) == Int(3));
  CHECK(t.Run({"HLEN", "nokey"}) == kZero);
  CHECK(t.Run({"HMSET", "h", "d", "4"}) == kOk);
  CHECK(t.Run({"HSETNX", "h", "d", "5"}) == kZero);
  CHECK(t.Run({"HSETNX", "h", "e", "5"}) == kOne);
  CHECK(t.Run({"HSETNX", "new", "f", "v"}) == kOne);
  CHECK(t.Run({"HGET", "h", "d"}) == Bulk("4"));
  CHECK(t.Run({"HEXISTS", "h", "e"}) == kOne);
  CHECK(t.Run({"HEXISTS", "h", "x"}) == kZero);
  CHECK(t.Run({"HEXISTS", "nokey", "x"}) == kZero);
  CHECK(t.Run({"HSTRLEN", "h", "a"}) == Int(2));
  CHECK(t.Run({"HSTRLEN", "h", "x"}) == kZero);
  CHECK(t.Run({"HSTRLEN", "nokey", "x"}) == kZero);
  CHECK(t.Run({"TYPE", "h"}) == "+hash\r\n");
  CHECK(Encoding(t, "h") == Bulk("listpack"));
  CHECK(t.Run({"HSET", "h", "a"}) ==
        "-ERR wrong number of arguments for 'hset' command\r\n");
  CHECK(t.Run({"HSET", "h", "a", "1", "b"}) ==
        "-ERR wrong number of arguments for 'hset' command\r\n");
  CHECK(t.Run({"HMSET", "h", "a", "1", "b"}) ==
        "-ERR wrong number of arguments for 'hmset' command\r\n");
  std::string binary("a\0b\r\n", 5);
  CHECK(t.Run(std::vector<std::string>{"HSET", "bin", binary, binary}) == kOne);
  CHECK(t.Run(std::vector<std::string>{"HGET", "bin", binary}) == Bulk(binary));
  CHECK(t.Run({"HSET", "e", "", ""}) == kOne);
  CHECK(t.Run({"HGET", "e", ""}) == kEmpty);
}

TEST_CASE("HMGET HKEYS HVALS HGETALL in RESP2 and RESP3", "[hash]") {
  CommandTester t;
  t.Run({"HSET", "h", "a", "1", "b", "2"});
  CHECK(t.Run({"HMGET", "h", "a", "x", "b"}) == Arr(3) + Bulk("1") + kNil + Bulk("2"));
  CHECK(t.Run({"HMGET", "nokey", "a", "b"}) == Arr(2) + kNil + kNil);
  CHECK(t.Run({"HKEYS", "h"}) == Bulks({"a", "b"}));
  CHECK(t.Run({"HVALS", "h"}) == Bulks({"1", "2"}));
  CHECK(t.Run({"HGETALL", "h"}) == Bulks({"a", "1", "b", "2"}));
  CHECK(t.Run({"HGETALL", "nokey"}) == Arr(0));
  CHECK(t.Run({"HKEYS", "nokey"}) == Arr(0));
  t.set_protocol(3);
  CHECK(t.Run({"HGETALL", "h"}) == "%2\r\n" + Bulk("a") + Bulk("1") + Bulk("b") + Bulk("2"));
  CHECK(t.Run({"HGETALL", "nokey"}) == "%0\r\n");
  CHECK(t.Run({"HKEYS", "nokey"}) == Arr(0));
  CHECK(t.Run({"HMGET", "h", "x"}) == Arr(1) + kNull3);
  CHECK(t.Run({"HGET", "h", "x"}) == kNull3);
}

TEST_CASE("HDEL removes fields and the emptied key", "[hash]") {
  CommandTester t;
  t.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  CHECK(t.Run({"HDEL", "h", "a", "a", "x"}) == kOne);
  CHECK(t.Run({"HDEL", "nokey", "a"}) == kZero);
  CHECK(t.Run({"HDEL", "h", "b", "c", "d"}) == Int(2));
  CHECK(t.Run({"EXISTS", "h"}) == kZero);
}

TEST_CASE("Hash commands against the wrong type", "[hash]") {
  CommandTester t;
  t.Run({"SET", "s", "v"});
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"HSET", "s", "a", "1"}, {"HMSET", "s", "a", "1"}, {"HSETNX", "s", "a", "1"},
           {"HGET", "s", "a"}, {"HMGET", "s", "a"}, {"HDEL", "s", "a"}, {"HLEN", "s"},
           {"HSTRLEN", "s", "a"}, {"HEXISTS", "s", "a"}, {"HKEYS", "s"}, {"HVALS", "s"},
           {"HGETALL", "s"}, {"HINCRBY", "s", "a", "1"}, {"HINCRBYFLOAT", "s", "a", "1"},
           {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "2"}, {"HSCAN", "s", "0"},
           // Field-expiry commands check the type before their arguments (Redis 7.4).
           {"HEXPIRE", "s", "x", "FIELDS", "1", "a"}, {"HTTL", "s", "NOFIELDS", "1", "a"},
           {"HPERSIST", "s", "FIELDS", "9", "a"}}) {
    INFO(cmd[0]);
    CHECK(t.Run(cmd) == kWrongType);
  }
  CHECK(t.Run({"GET", "s"}) == Bulk("v"));
}

TEST_CASE("HINCRBY", "[hash]") {
  CommandTester t;
  CHECK(t.Run({"HINCRBY", "h", "n", "5"}) == Int(5));
  CHECK(t.Run({"HINCRBY", "h", "n", "-7"}) == Int(-2));
  CHECK(t.Run({"HINCRBY", "h", "big", "17179869184"}) == Int(17179869184));
  CHECK(t.Run({"HINCRBY", "h", "big", "17179869184"}) == Int(34359738368));
  t.Run({"HSET", "h", "s", " 11", "t", "11 ", "m", "9223372036854775807"});
  CHECK(t.Run({"HINCRBY", "h", "s", "1"}) == Err("hash value is not an integer"));
  CHECK(t.Run({"HINCRBY", "h", "t", "1"}) == Err("hash value is not an integer"));
  CHECK(t.Run({"HINCRBY", "h", "m", "1"}) == Err("increment or decrement would overflow"));
  CHECK(t.Run({"HINCRBY", "h", "n", "-9223372036854775807"}) ==
        Err("increment or decrement would overflow"));
  CHECK(t.Run({"HINCRBY", "h", "n", "x"}) == kNotInt);
  CHECK(t.Run({"HINCRBY", "h", "n", "9223372036854775808"}) == kNotInt);
  // The increment is parsed before the key is looked up.
  t.Run({"SET", "s", "v"});
  CHECK(t.Run({"HINCRBY", "s", "n", "x"}) == kNotInt);
  CHECK(t.Run({"HGET", "h", "n"}) == Bulk("-2"));
}

TEST_CASE("HINCRBYFLOAT", "[hash]") {
  CommandTester t;
  CHECK(t.Run({"HINCRBYFLOAT", "h", "f", "1.23"}) == Bulk("1.23"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "f", "0.77"}) == Bulk("2"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "f", "-0.1"}) == Bulk("1.9"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "g", "17179869184"}) == Bulk("17179869184"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "g", "1.5"}) == Bulk("17179869185.5"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "e", "5.0e3"}) == Bulk("5000"));
  t.Run({"HSET", "h", "s", " 11", "nul", std::string_view("1\0" "2", 3)});
  CHECK(t.Run({"HINCRBYFLOAT", "h", "s", "1"}) == Err("hash value is not a float"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "nul", "1"}) == Err("hash value is not a float"));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "f", "x"}) == kNotFloat);
  CHECK(t.Run({"HINCRBYFLOAT", "h", "f", "+inf"}) == Err("value is NaN or Infinity"));
  CHECK(t.Run({"HINCRBYFLOAT", "new", "f", "-inf"}) == Err("value is NaN or Infinity"));
  CHECK(t.Run({"EXISTS", "new"}) == kZero);
  t.Run({"HSET", "h", "huge", "1e5000"});
  CHECK(t.Run({"HINCRBYFLOAT", "h", "huge", "1"}) == Err("hash value is not a float"));
  t.Run({"HSET", "h", "max", "1.1e4932"});
  CHECK(t.Run({"HINCRBYFLOAT", "h", "max", "1.1e4932"}) ==
        Err("increment would produce NaN or Infinity"));
}

TEST_CASE("Hash encoding converts at each threshold and never back", "[hash]") {
  CommandTester t(Overrides{{"hash-max-listpack-entries", "4"}, {"hash-max-listpack-value", "8"}});
  SECTION("entries") {
    t.Run({"HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"});
    CHECK(Encoding(t, "h") == Bulk("listpack"));
    t.Run({"HSET", "h", "e", "5"});
    CHECK(Encoding(t, "h") == Bulk("hashtable"));
    t.Run({"HDEL", "h", "a", "b", "c", "d"});
    CHECK(Encoding(t, "h") == Bulk("hashtable"));
    CHECK(t.Run({"HGETALL", "h"}) == Bulks({"e", "5"}));
  }
  SECTION("many pairs in one HSET convert even if they repeat (Redis guesses they are new)") {
    t.Run({"HSET", "h", "a", "1", "a", "2", "a", "3", "a", "4", "a", "5"});
    CHECK(Encoding(t, "h") == Bulk("hashtable"));
    CHECK(t.Run({"HLEN", "h"}) == kOne);
  }
  SECTION("value and field length") {
    t.Run({"HSET", "v", "f", "12345678"});
    CHECK(Encoding(t, "v") == Bulk("listpack"));
    t.Run({"HSET", "v", "f", "123456789"});
    CHECK(Encoding(t, "v") == Bulk("hashtable"));
    t.Run({"HSET", "k", "12345678", "v"});
    CHECK(Encoding(t, "k") == Bulk("listpack"));
    t.Run({"HSETNX", "k", "123456789", "v"});
    CHECK(Encoding(t, "k") == Bulk("hashtable"));
  }
  SECTION("HINCRBYFLOAT results and fields past the value limit") {
    t.Run({"HSET", "small", "tmp", "0"});
    t.Run({"HSET", "big", "tmp", "0"});
    t.Run({"HINCRBYFLOAT", "small", "tmp", "0.000005"});
    t.Run({"HINCRBYFLOAT", "big", "tmp", "0.0000005"});
    CHECK(Encoding(t, "small") == Bulk("listpack"));
    CHECK(Encoding(t, "big") == Bulk("hashtable"));
    t.Run({"HINCRBYFLOAT", "f8", "abcdefgh", "1"});
    t.Run({"HINCRBY", "f9", "abcdefghi", "1"});
    CHECK(Encoding(t, "f8") == Bulk("listpack"));
    CHECK(Encoding(t, "f9") == Bulk("hashtable"));
  }
}

TEST_CASE("Big hashes: 2000 fields in a hash table", "[hash]") {
  CommandTester t;
  for (int i = 0; i < 2000; ++i) {
    std::string f = "element:" + std::to_string(i);
    t.Run(std::vector<std::string>{"HSET", "big", f, "v" + std::to_string(i)});
  }
  CHECK(Encoding(t, "big") == Bulk("hashtable"));
  CHECK(t.Run({"HLEN", "big"}) == Int(2000));
  CHECK(t.Run({"HGET", "big", "element:1234"}) == Bulk("v1234"));
  CHECK(CountBulks(t.Run({"HGETALL", "big"})) == 4000);
  CHECK(t.Run({"HDEL", "big", "element:1234"}) == kOne);
  CHECK(t.Run({"HGET", "big", "element:1234"}) == kNil);
  // HSCAN walks it all, each field once.
  std::set<std::string> seen;
  std::string cursor = "0";
  size_t dupes = 0;
  do {
    std::string r = t.Run({"HSCAN", "big", cursor, "COUNT", "50"});
    // *2\r\n$<n>\r\n<cursor>\r\n*<m>\r\n...
    size_t p = r.find("\r\n", 4);
    size_t q = r.find("\r\n", p + 2);
    cursor = r.substr(p + 2, q - p - 2);
    size_t pos = r.find("\r\n", q + 2);
    bool is_field = true;
    while ((pos = r.find("\r\n$", pos)) != std::string::npos) {
      size_t len_end = r.find("\r\n", pos + 3);
      size_t len = std::stoul(r.substr(pos + 3, len_end - pos - 3));
      if (is_field && !seen.insert(r.substr(len_end + 2, len)).second) ++dupes;
      is_field = !is_field;
      pos = len_end + 2 + len;
    }
  } while (cursor != "0");
  CHECK(seen.size() == 1999);
  CHECK(dupes == 0);
}

TEST_CASE("HSCAN options and errors", "[hash]") {
  CommandTester t;
  t.Run({"HSET", "h", "foo", "1", "bar", "2", "baz", "3"});
  CHECK(t.Run({"HSCAN", "h", "0"}) ==
        Arr(2) + Bulk("0") + Bulks({"foo", "1", "bar", "2", "baz", "3"}));
  CHECK(t.Run({"HSCAN", "h", "0", "MATCH", "ba*", "COUNT", "100"}) ==
        Arr(2) + Bulk("0") + Bulks({"bar", "2", "baz", "3"}));
  CHECK(t.Run({"HSCAN", "h", "0", "NOVALUES"}) ==
        Arr(2) + Bulk("0") + Bulks({"foo", "bar", "baz"}));
  CHECK(t.Run({"HSCAN", "nokey", "0"}) == Arr(2) + Bulk("0") + Arr(0));
  CHECK(t.Run({"HSCAN", "h", "x"}) == Err("invalid cursor"));
  CHECK(t.Run({"HSCAN", "h", "0", "COUNT", "0"}) == kSyntax);
  CHECK(t.Run({"HSCAN", "h", "0", "COUNT", "x"}) == kNotInt);
  CHECK(t.Run({"HSCAN", "h", "0", "TYPE", "hash"}) == kSyntax);
  CHECK(t.Run({"HSCAN", "h", "0", "MATCH"}) == kSyntax);
}

TEST_CASE("HRANDFIELD", "[hash]") {
  CommandTester t;
  CHECK(t.Run({"HRANDFIELD", "nokey"}) == kNil);
  CHECK(t.Run({"HRANDFIELD", "nokey", "100"}) == Arr(0));
  t.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  std::string one = t.Run({"HRANDFIELD", "h"});
  CHECK((one == Bulk("a") || one == Bulk("b") || one == Bulk("c")));
  CHECK(t.Run({"HRANDFIELD", "h", "0"}) == Arr(0));
  CHECK(CountBulks(t.Run({"HRANDFIELD", "h", "10"})) == 3);
  CHECK(CountBulks(t.Run({"HRANDFIELD", "h", "2"})) == 2);
  CHECK(CountBulks(t.Run({"HRANDFIELD", "h", "-10"})) == 10);
  CHECK(CountBulks(t.Run({"HRANDFIELD", "h", "-10", "WITHVALUES"})) == 20);
  CHECK(t.Run({"HRANDFIELD", "h", "10", "WITHVALUES"}).substr(0, 4) == Arr(6));
  CHECK(t.Run({"HRANDFIELD", "h", "1", "x"}) == kSyntax);
  CHECK(t.Run({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}) == kSyntax);
  CHECK(t.Run({"HRANDFIELD", "h", "x"}) == kNotInt);
  CHECK(t.Run({"HRANDFIELD", "h", "-9223372036854775808"}) ==
        Err("value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(t.Run({"HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"}) ==
        Err("value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(t.Run({"HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"}) ==
        Err("value is out of range"));
  CHECK(t.Run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}) ==
        Err("value is out of range"));
  // Positive huge counts mean "all".
  CHECK(CountBulks(t.Run({"HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"})) == 6);
  CHECK(CountBulks(t.Run({"HRANDFIELD", "h", "9223372036854775807"})) == 3);
  t.set_protocol(3);
  std::string r = t.Run({"HRANDFIELD", "h", "2", "WITHVALUES"});
  CHECK(r.substr(0, 8) == Arr(2) + Arr(2));
  CHECK(CountBulks(r) == 4);
  r = t.Run({"HRANDFIELD", "h", "-5", "WITHVALUES"});
  CHECK(r.substr(0, 8) == Arr(5) + Arr(2));
}

TEST_CASE("HRANDFIELD on a hash table is roughly uniform", "[hash]") {
  CommandTester t(Overrides{{"hash-max-listpack-entries", "4"}});
  for (int i = 0; i < 10; ++i) {
    t.Run(std::vector<std::string>{"HSET", "h", "f" + std::to_string(i), "v"});
  }
  REQUIRE(Encoding(t, "h") == Bulk("hashtable"));
  std::string r = t.Run({"HRANDFIELD", "h", "-10000"});
  for (int i = 0; i < 10; ++i) {
    std::string needle = Bulk("f" + std::to_string(i));
    size_t n = 0;
    for (size_t p = r.find(needle); p != std::string::npos; p = r.find(needle, p + 1)) ++n;
    INFO(i);
    CHECK(n > 800);
    CHECK(n < 1200);
  }
}

// --- Field expiry (Redis 7.4) ----------------------------------------------------------------

TEST_CASE("HEXPIRE family replies and expiry", "[hash]") {
  CommandTester t;
  const int64_t now = t.now_ms();
  t.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  CHECK(Encoding(t, "h") == Bulk("listpack"));
  CHECK(t.Run({"HEXPIRE", "h", "100", "FIELDS", "2", "a", "nope"}) == Ints({1, -2}));
  CHECK(Encoding(t, "h") == Bulk("listpackex"));
  CHECK(t.Run({"HTTL", "h", "FIELDS", "3", "a", "b", "nope"}) == Ints({100, -1, -2}));
  CHECK(t.Run({"HPTTL", "h", "FIELDS", "1", "a"}) == Ints({100000}));
  CHECK(t.Run({"HEXPIRETIME", "h", "FIELDS", "1", "a"}) == Ints({now / 1000 + 100}));
  CHECK(t.Run({"HPEXPIRETIME", "h", "FIELDS", "1", "a"}) == Ints({now + 100000}));
  CHECK(t.Run({"HPEXPIRE", "h", "50000", "NX", "FIELDS", "2", "a", "b"}) == Ints({0, 1}));
  CHECK(t.Run({"HPEXPIRE", "h", "60000", "XX", "FIELDS", "2", "a", "c"}) == Ints({1, 0}));
  CHECK(t.Run({"HPEXPIRE", "h", "70000", "GT", "FIELDS", "2", "a", "c"}) == Ints({1, 0}));
  CHECK(t.Run({"HPEXPIRE", "h", "65000", "GT", "FIELDS", "1", "a"}) == Ints({0}));
  CHECK(t.Run({"HPEXPIRE", "h", "65000", "LT", "FIELDS", "2", "a", "c"}) == Ints({1, 1}));
  CHECK(t.Run({"HPEXPIREAT", "h", std::to_string(now + 1000), "FIELDS", "1", "b"}) ==
        Ints({1}));
  CHECK(t.Run({"HEXPIREAT", "h", std::to_string(now / 1000 + 7), "FIELDS", "1", "b"}) ==
        Ints({1}));
  CHECK(t.Run({"HPERSIST", "h", "FIELDS", "3", "c", "c", "zz"}) == Ints({1, -1, -2}));
  CHECK(t.Run({"HTTL", "h", "FIELDS", "1", "c"}) == Ints({-1}));
  // Missing key: -2 for every field.
  CHECK(t.Run({"HEXPIRE", "nokey", "1", "FIELDS", "2", "a", "b"}) == Ints({-2, -2}));
  CHECK(t.Run({"HTTL", "nokey", "FIELDS", "1", "a"}) == Ints({-2}));
  CHECK(t.Run({"HPERSIST", "nokey", "FIELDS", "1", "a"}) == Ints({-2}));
  CHECK(t.Run({"EXISTS", "nokey"}) == kZero);

  // a expires at +65s, b at +7s.
  t.AdvanceTime(6999);
  CHECK(t.Run({"HGET", "h", "b"}) == Bulk("2"));
  t.AdvanceTime(1);
  CHECK(t.Run({"HGET", "h", "b"}) == kNil);
  CHECK(t.Run({"HLEN", "h"}) == Int(2));
  CHECK(t.Run({"HGETALL", "h"}) == Bulks({"a", "1", "c", "3"}));
  // HSET drops a field's TTL; HINCRBY keeps it.
  t.Run({"HSET", "h", "n", "1"});
  t.Run({"HEXPIRE", "h", "100", "FIELDS", "1", "n"});
  CHECK(t.Run({"HINCRBY", "h", "n", "1"}) == Int(2));
  CHECK(t.Run({"HTTL", "h", "FIELDS", "1", "n"}) == Ints({100}));
  CHECK(t.Run({"HINCRBYFLOAT", "h", "n", "0.5"}) == Bulk("2.5"));
  CHECK(t.Run({"HTTL", "h", "FIELDS", "1", "n"}) == Ints({100}));
  t.Run({"HSET", "h", "n", "9"});
  CHECK(t.Run({"HTTL", "h", "FIELDS", "1", "n"}) == Ints({-1}));
  // A time not in the future deletes the field (2), and the last field deletes the key.
  CHECK(t.Run({"HPEXPIREAT", "h", "0", "FIELDS", "1", "n"}) == Ints({2}));
  CHECK(t.Run({"HEXISTS", "h", "n"}) == kZero);
  t.Run({"HPERSIST", "h", "FIELDS", "1", "c"});
  CHECK(t.Run({"HPEXPIRE", "h", "0", "FIELDS", "2", "a", "c"}) == Ints({2, 2}));
  CHECK(t.Run({"EXISTS", "h"}) == kZero);
}

TEST_CASE("A hash whose last field expires is gone for every command", "[hash]") {
  CommandTester t(Overrides{{"hash-max-listpack-entries", "2"}});
  for (const char* key : {"packed", "table"}) {
    t.Run({"HSET", key, "a", "1", "b", "2"});
    if (std::string_view(key) == "table") t.Run({"HSET", key, "c", "3"});
    CHECK(t.Run({"HEXPIRE", key, "10", "FIELDS", "1", "a"}) == Ints({1}));
    CHECK(t.Run({"HPEXPIRE", key, "10500", "FIELDS", "1", "b"}) == Ints({1}));
    if (std::string_view(key) == "table") {
      CHECK(t.Run({"HPEXPIRE", key, "10500", "FIELDS", "1", "c"}) == Ints({1}));
    }
  }
  CHECK(Encoding(t, "packed") == Bulk("listpackex"));
  CHECK(Encoding(t, "table") == Bulk("hashtable"));
  t.AdvanceTime(10000);
  CHECK(t.Run({"HLEN", "packed"}) == kOne);
  CHECK(t.Run({"HLEN", "table"}) == Int(2));
  CHECK(t.Run({"HTTL", "table", "FIELDS", "2", "a", "b"}) == Ints({-2, 1}));
  t.AdvanceTime(500);
  CHECK(t.Run({"EXISTS", "packed"}) == kZero);
  CHECK(t.Run({"TYPE", "table"}) == "+none\r\n");
  CHECK(t.Run({"HSETNX", "packed", "a", "new"}) == kOne);
  CHECK(t.Run({"HGETALL", "packed"}) == Bulks({"a", "new"}));
  CHECK(Encoding(t, "packed") == Bulk("listpack"));
}

TEST_CASE("HEXPIRE family argument errors", "[hash]") {
  CommandTester t;
  t.Run({"HSET", "h", "a", "1"});
  CHECK(t.Run({"HEXPIRE", "h", "x", "FIELDS", "1", "a"}) == kNotInt);
  CHECK(t.Run({"HEXPIRE", "h", "-1", "FIELDS", "1", "a"}) ==
        Err("invalid expire time, must be >= 0"));
  CHECK(t.Run({"HEXPIRE", "h", "70368744177", "FIELDS", "1", "a"}) ==
        Err("invalid expire time in 'hexpire' command"));
  CHECK(t.Run({"HPEXPIRE", "h", "70368744177663", "FIELDS", "1", "a"}) ==
        Err("invalid expire time in 'hpexpire' command"));
  CHECK(t.Run({"HPEXPIREAT", "h", "70368744177663", "FIELDS", "1", "a"}) == Ints({1}));
  CHECK(t.Run({"HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a"}) ==
        Err("invalid expire time in 'hpexpireat' command"));
  CHECK(t.Run({"HEXPIREAT", "h", "70368744178", "FIELDS", "1", "a"}) ==
        Err("invalid expire time in 'hexpireat' command"));
  CHECK(t.Run({"HEXPIRE", "h", "9223372036854775807", "FIELDS", "1", "a"}) ==
        Err("invalid expire time in 'hexpire' command"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "FIELD", "1", "a"}) ==
        Err("Mandatory argument FIELDS is missing or not at the right position"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "XY", "FIELDS", "1", "a"}) ==
        Err("Mandatory argument FIELDS is missing or not at the right position"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "FIELDS", "0", "a"}) ==
        Err("Parameter `numFields` should be greater than 0"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "FIELDS", "x", "a"}) ==
        Err("Parameter `numFields` should be greater than 0"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "FIELDS", "2", "a"}) ==
        Err("The `numfields` parameter must match the number of arguments"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "NX", "FIELDS", "1"}) ==
        Err("The `numfields` parameter must match the number of arguments"));
  CHECK(t.Run({"HEXPIRE", "h", "10", "FIELDS", "1"}) ==
        "-ERR wrong number of arguments for 'hexpire' command\r\n");
  CHECK(t.Run({"HTTL", "h", "FIELDS", "0", "a"}) ==
        Err("Number of fields must be a positive integer"));
  CHECK(t.Run({"HTTL", "h", "FIELDS", "-1", "a"}) ==
        Err("Number of fields must be a positive integer"));
  CHECK(t.Run({"HPERSIST", "h", "FIELDS", "2", "a"}) ==
        Err("The `numfields` parameter must match the number of arguments"));
  CHECK(t.Run({"HTTL", "h", "FELDS", "1", "a"}) ==
        Err("Mandatory argument FIELDS is missing or not at the right position"));
  // Errors are found before anything changes; the missing key replies after parsing.
  CHECK(t.Run({"HEXPIRE", "nokey", "-1", "FIELDS", "1", "a"}) ==
        Err("invalid expire time, must be >= 0"));
}

TEST_CASE("Field expiry in a hash table", "[hash]") {
  CommandTester t(Overrides{{"hash-max-listpack-entries", "2"}});
  t.Run({"HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"});
  REQUIRE(Encoding(t, "h") == Bulk("hashtable"));
  CHECK(t.Run({"HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b"}) == Ints({1, 1}));
  CHECK(t.Run({"HPEXPIRE", "h", "200", "GT", "FIELDS", "2", "a", "c"}) == Ints({1, 0}));
  CHECK(t.Run({"HPTTL", "h", "FIELDS", "3", "a", "b", "c"}) == Ints({200, 100, -1}));
  CHECK(Encoding(t, "h") == Bulk("hashtable"));
  t.AdvanceTime(100);
  CHECK(t.Run({"HMGET", "h", "a", "b"}) == Arr(2) + Bulk("1") + kNil);
  CHECK(t.Run({"HLEN", "h"}) == Int(3));
  CHECK(t.Run({"HPERSIST", "h", "FIELDS", "2", "a", "b"}) == Ints({1, -2}));
  t.AdvanceTime(1000);
  CHECK(t.Run({"HLEN", "h"}) == Int(3));
}

}  // namespace tessera::server

namespace tessera::server {

TEST_CASE("Hash extremes: zero limits, huge random counts, COPY and digests", "[hash]") {
  CommandTester t(Overrides{{"hash-max-listpack-entries", "0"}, {"enable-debug-command", "yes"}});
  CHECK(t.Run({"HSET", "h", "a", "1"}) == kOne);
  CHECK(t.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
  CHECK(t.Run({"HINCRBY", "n", "a", "1"}) == kOne);
  CHECK(t.Run({"OBJECT", "ENCODING", "n"}) == Bulk("hashtable"));
  // Redis would try to write 2^63 replies; we refuse counts whose reply cannot be built.
  CHECK(t.Run({"HRANDFIELD", "h", "-9223372036854775807"}) == "-ERR value is out of range\r\n");
  CHECK(t.Run({"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"}) ==
        "-ERR value is out of range\r\n");
  // COPY deep-copies; digests ignore field order and match across encodings.
  t.Run({"HSET", "h", "b", "2", "c", "3"});
  CHECK(t.Run({"COPY", "h", "h2"}) == kOne);
  t.Run({"HDEL", "h", "a"});
  CHECK(t.Run({"HLEN", "h2"}) == ":3\r\n");
  t.Run({"HSET", "h", "a", "1"});
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "h"}) == t.Run({"DEBUG", "DIGEST-VALUE", "h2"}));
  CHECK(t.Run({"MEMORY", "USAGE", "h"}).substr(0, 1) == ":");
}

}  // namespace tessera::server
