// Command tests of the string family (server/commands/string_family.cc), after Redis 7.2's
// tests/unit/type/string.tcl and incr.tcl, plus every option, error text and limit.
//
// WRONGTYPE paths run against a one-element list.  OBJECT ENCODING and TTL come with the keys
// family, so encodings and expiry times are read from the Entry itself (Inspect).
#include <catch2/catch.hpp>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/keyspace/entry.h"
#include "core/keyspace/keyspace.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified

using keyspace::Encoding;
using keyspace::Entry;
using keyspace::ValueType;
using Overrides = std::vector<std::pair<std::string, std::string>>;


std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Arr(size_t n) { return "*" + std::to_string(n) + "\r\n"; }
std::string InvalidExpire(std::string_view cmd) {
  return "-ERR invalid expire time in '" + std::string(cmd) + "' command\r\n";
}
std::string WrongArity(std::string_view cmd) {
  return "-ERR wrong number of arguments for '" + std::string(cmd) + "' command\r\n";
}

struct KeyInfo {
  bool exists = false;
  ValueType type = ValueType::kString;
  Encoding encoding = Encoding::kRaw;
  int64_t expire_at = keyspace::kNoExpiry;
};

// Reads a key's entry under its shard lock, without touching it.
KeyInfo Inspect(CommandTester& t, std::string_view key) {
  keyspace::Keyspace& ks = t.server().keyspace();
  std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf(key)).mutex());
  keyspace::DbAccess db(&ks, t.client().db, t.now_ms(), 0);
  KeyInfo info;
  const Entry* e = db.Find(key, false);
  if (e == nullptr) return info;
  info.exists = true;
  info.type = e->type();
  info.encoding = e->encoding();
  info.expire_at = e->expire_at_or_none();
  return info;
}

Encoding EncodingOf(CommandTester& t, std::string_view key) {
  KeyInfo info = Inspect(t, key);
  REQUIRE(info.exists);
  return info.encoding;
}

// The list the WRONGTYPE tests create, unchanged.
bool IsUntouchedList(CommandTester& t, std::string_view key) {
  return t.Run({"LRANGE", key, "0", "-1"}) == "*1\r\n" + Bulk("element");
}

}  // namespace

// --- GET / SET -------------------------------------------------------------------------------

TEST_CASE("SET and GET", "[string]") {
  CommandTester t;
  CHECK(t.Run({"GET", "x"}) == kNil);
  CHECK(t.Run({"SET", "x", "foobar"}) == kOk);
  CHECK(t.Run({"GET", "x"}) == Bulk("foobar"));
  CHECK(t.Run({"SET", "x", ""}) == kOk);
  CHECK(t.Run({"GET", "x"}) == kEmpty);
  std::string binary("a\0b\r\nc", 6);
  CHECK(t.Run(std::vector<std::string>{"SET", "bin", binary}) == kOk);
  CHECK(t.Run({"GET", "bin"}) == Bulk(binary));
  std::string big(4000000, 'a');
  CHECK(t.Run(std::vector<std::string>{"SET", "big", big}) == kOk);
  CHECK(t.Run({"GET", "big"}) == Bulk(big));
  CHECK(t.Run({"set", "lower", "v"}) == kOk);
  CHECK(t.Run({"GET"}) == WrongArity("get"));
  CHECK(t.Run({"SET", "k"}) == WrongArity("set"));
  t.set_protocol(3);
  CHECK(t.Run({"GET", "nokey"}) == kNull3);
  CHECK(t.Run({"GET", "x"}) == kEmpty);
}

TEST_CASE("SET replaces a value of another type", "[string]") {
  CommandTester t;
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"GET", "l"}) == kWrongType);
  CHECK(t.Run({"SET", "l", "v"}) == kOk);
  CHECK(t.Run({"GET", "l"}) == Bulk("v"));
}

TEST_CASE("SET NX and XX", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SET", "foo", "1", "NX"}) == kOk);
  CHECK(t.Run({"SET", "foo", "2", "nx"}) == kNil);
  CHECK(t.Run({"GET", "foo"}) == Bulk("1"));
  CHECK(t.Run({"SET", "bar", "1", "XX"}) == kNil);
  CHECK(t.Run({"GET", "bar"}) == kNil);
  CHECK(t.Run({"SET", "foo", "2", "xX"}) == kOk);
  CHECK(t.Run({"GET", "foo"}) == Bulk("2"));
  CHECK(t.Run({"SET", "foo", "3", "XX", "PX", "10000"}) == kOk);
  CHECK(Inspect(t, "foo").expire_at == t.now_ms() + 10000);
  // NX and XX exclude each other, in either order; repeating one is fine.
  CHECK(t.Run({"SET", "foo", "v", "NX", "XX"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "v", "XX", "NX"}) == kSyntax);
  CHECK(t.Run({"SET", "new", "v", "NX", "NX"}) == kOk);
  t.set_protocol(3);
  CHECK(t.Run({"SET", "foo", "v", "NX"}) == kNull3);
}

TEST_CASE("SET syntax errors", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SET", "foo", "bar", "non-existing-option"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "EX"}) == kSyntax);    // no value
  CHECK(t.Run({"SET", "foo", "bar", "PXAT"}) == kSyntax);  // no value
  CHECK(t.Run({"SET", "foo", "bar", "KEEPTTL", "EX", "10"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "EX", "10", "KEEPTTL"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "EX", "10", "PX", "100"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "PX", "10", "EXAT", "100"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "EXAT", "10", "PXAT", "100"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "PERSIST"}) == kSyntax);
  CHECK(t.Run({"SET", "foo", "bar", "GETX"}) == kSyntax);
  CHECK(t.Run({"GET", "foo"}) == kNil);
  // The same expiry option twice: the last value wins.
  CHECK(t.Run({"SET", "foo", "bar", "EX", "10", "ex", "20"}) == kOk);
  CHECK(Inspect(t, "foo").expire_at == t.now_ms() + 20000);
  CHECK(t.Run({"SET", "foo", "bar", "KEEPTTL", "KEEPTTL"}) == kOk);
}

TEST_CASE("SET EX PX EXAT PXAT set the expiry", "[string][expiry]") {
  CommandTester t;
  int64_t now = t.now_ms();
  CHECK(t.Run({"SET", "a", "v", "EX", "10"}) == kOk);
  CHECK(Inspect(t, "a").expire_at == now + 10000);
  CHECK(t.Run({"SET", "b", "v", "PX", "1500"}) == kOk);
  CHECK(Inspect(t, "b").expire_at == now + 1500);
  CHECK(t.Run({"SET", "c", "v", "EXAT", std::to_string(now / 1000 + 100)}) == kOk);
  CHECK(Inspect(t, "c").expire_at == (now / 1000 + 100) * 1000);
  CHECK(t.Run({"SET", "d", "v", "pxat", std::to_string(now + 2500)}) == kOk);
  CHECK(Inspect(t, "d").expire_at == now + 2500);

  t.AdvanceTime(1499);
  CHECK(t.Run({"GET", "b"}) == Bulk("v"));
  t.AdvanceTime(1);
  CHECK(t.Run({"GET", "b"}) == kNil);
  t.AdvanceTime(1000);
  CHECK(t.Run({"GET", "d"}) == kNil);
  t.AdvanceTime(7499);
  CHECK(t.Run({"GET", "a"}) == Bulk("v"));
  t.AdvanceTime(1);
  CHECK(t.Run({"GET", "a"}) == kNil);

  // A plain SET drops the expiry; KEEPTTL keeps it.
  CHECK(t.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  int64_t at = Inspect(t, "k").expire_at;
  CHECK(t.Run({"SET", "k", "v2", "KEEPTTL"}) == kOk);
  CHECK(Inspect(t, "k").expire_at == at);
  CHECK(t.Run({"GET", "k"}) == Bulk("v2"));
  CHECK(t.Run({"SET", "k", "v3"}) == kOk);
  CHECK(Inspect(t, "k").expire_at == keyspace::kNoExpiry);
  CHECK(t.Run({"SET", "fresh", "v", "KEEPTTL"}) == kOk);
  CHECK(Inspect(t, "fresh").expire_at == keyspace::kNoExpiry);
}

TEST_CASE("SET expiry errors and overflow", "[string][expiry]") {
  CommandTester t;
  for (const char* opt : {"EX", "PX", "EXAT", "PXAT"}) {
    CAPTURE(opt);
    CHECK(t.Run({"SET", "k", "v", opt, "0"}) == InvalidExpire("set"));
    CHECK(t.Run({"SET", "k", "v", opt, "-1"}) == InvalidExpire("set"));
    CHECK(t.Run({"SET", "k", "v", opt, "-9223372036854775808"}) == InvalidExpire("set"));
    CHECK(t.Run({"SET", "k", "v", opt, "abc"}) == kNotInt);
    CHECK(t.Run({"SET", "k", "v", opt, "1.5"}) == kNotInt);
    CHECK(t.Run({"SET", "k", "v", opt, "9223372036854775808"}) == kNotInt);
  }
  // Seconds that overflow when scaled to milliseconds.
  CHECK(t.Run({"SET", "k", "v", "EX", "9223372036854775807"}) == InvalidExpire("set"));
  CHECK(t.Run({"SET", "k", "v", "EXAT", "9223372036854776"}) == InvalidExpire("set"));
  // Relative times that overflow when added to now.
  CHECK(t.Run({"SET", "k", "v", "EX", "9223372036854775"}) == InvalidExpire("set"));
  CHECK(t.Run({"SET", "k", "v", "PX", "9223372036854775807"}) == InvalidExpire("set"));
  CHECK(t.Run({"GET", "k"}) == kNil);
  // The same values as absolute times are fine.
  CHECK(t.Run({"SET", "k", "v", "EXAT", "9223372036854775"}) == kOk);
  CHECK(Inspect(t, "k").expire_at == 9223372036854775000);
  CHECK(t.Run({"SET", "k", "v", "PXAT", "9223372036854775807"}) == kOk);
  CHECK(Inspect(t, "k").expire_at == 9223372036854775807);
  // The expiry is checked before GET's type check, which is before NX/XX.
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SET", "l", "v", "GET", "EX", "0"}) == InvalidExpire("set"));
  CHECK(t.Run({"SET", "l", "v", "GET", "EX", "x"}) == kNotInt);
}

TEST_CASE("SET with an expiry in the past deletes the key", "[string][expiry]") {
  CommandTester t;
  CHECK(t.Run({"SET", "k", "old"}) == kOk);
  CHECK(t.Run({"SET", "k", "v", "EXAT", "1"}) == kOk);
  CHECK_FALSE(Inspect(t, "k").exists);
  CHECK(t.Run({"GET", "k"}) == kNil);
  CHECK(t.Run({"SET", "k", "v", "PXAT", std::to_string(t.now_ms())}) == kOk);
  CHECK(t.Run({"GET", "k"}) == kNil);
  CHECK(t.Run({"SET", "k", "old"}) == kOk);
  CHECK(t.Run({"SET", "k", "v", "PXAT", "1", "GET"}) == Bulk("old"));
  CHECK(t.Run({"GET", "k"}) == kNil);
  // NX on an existing key still refuses first.
  CHECK(t.Run({"SET", "k", "old"}) == kOk);
  CHECK(t.Run({"SET", "k", "v", "PXAT", "1", "NX"}) == kNil);
  CHECK(t.Run({"GET", "k"}) == Bulk("old"));
}

TEST_CASE("SET GET", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SET", "foo", "bar"}) == kOk);
  CHECK(t.Run({"SET", "foo", "bar2", "GET"}) == Bulk("bar"));
  CHECK(t.Run({"GET", "foo"}) == Bulk("bar2"));
  CHECK(t.Run({"SET", "new", "bar", "GET"}) == kNil);
  CHECK(t.Run({"GET", "new"}) == Bulk("bar"));
  CHECK(t.Run({"SET", "foo", "baz", "GET", "XX"}) == Bulk("bar2"));
  CHECK(t.Run({"GET", "foo"}) == Bulk("baz"));
  CHECK(t.Run({"SET", "none", "bar", "GET", "XX"}) == kNil);
  CHECK(t.Run({"GET", "none"}) == kNil);
  CHECK(t.Run({"SET", "nx", "bar", "GET", "NX"}) == kNil);
  CHECK(t.Run({"GET", "nx"}) == Bulk("bar"));
  CHECK(t.Run({"SET", "nx", "baz", "NX", "GET"}) == Bulk("bar"));
  CHECK(t.Run({"GET", "nx"}) == Bulk("bar"));
  CHECK(t.Run({"SET", "foo", "x", "get", "GET"}) == Bulk("baz"));
  CHECK(t.Run({"SET", "int", "12"}) == kOk);
  CHECK(t.Run({"SET", "int", "v", "GET"}) == Bulk("12"));
  // GET against another type: WRONGTYPE and nothing is written.
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SET", "l", "bar", "GET"}) == kWrongType);
  CHECK(IsUntouchedList(t, "l"));
  t.set_protocol(3);
  CHECK(t.Run({"SET", "other", "v", "GET"}) == kNull3);
}

TEST_CASE("SETNX", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SETNX", "novar", "foobared"}) == Int(1));
  CHECK(t.Run({"GET", "novar"}) == Bulk("foobared"));
  CHECK(t.Run({"SETNX", "novar", "blabla"}) == Int(0));
  CHECK(t.Run({"GET", "novar"}) == Bulk("foobared"));
  CHECK(t.Run({"SET", "x", "10", "EX", "10000"}) == kOk);
  CHECK(t.Run({"SETNX", "x", "20"}) == Int(0));
  CHECK(t.Run({"GET", "x"}) == Bulk("10"));
  CHECK(t.Run({"SET", "x", "10", "PX", "1000"}) == kOk);
  t.AdvanceTime(2000);
  CHECK(t.Run({"SETNX", "x", "20"}) == Int(1));
  CHECK(t.Run({"GET", "x"}) == Bulk("20"));
  CHECK(Inspect(t, "x").expire_at == keyspace::kNoExpiry);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SETNX", "l", "v"}) == Int(0));
  CHECK(t.Run({"SETNX", "k"}) == WrongArity("setnx"));
}

TEST_CASE("SETEX and PSETEX", "[string][expiry]") {
  CommandTester t;
  CHECK(t.Run({"SETEX", "k", "10", "v"}) == kOk);
  CHECK(t.Run({"GET", "k"}) == Bulk("v"));
  CHECK(Inspect(t, "k").expire_at == t.now_ms() + 10000);
  CHECK(t.Run({"PSETEX", "p", "1500", "v"}) == kOk);
  CHECK(Inspect(t, "p").expire_at == t.now_ms() + 1500);
  t.AdvanceTime(1500);
  CHECK(t.Run({"GET", "p"}) == kNil);
  CHECK(t.Run({"GET", "k"}) == Bulk("v"));

  CHECK(t.Run({"SETEX", "k", "0", "v"}) == InvalidExpire("setex"));
  CHECK(t.Run({"SETEX", "k", "-10", "v"}) == InvalidExpire("setex"));
  CHECK(t.Run({"SETEX", "k", "9223372036854775807", "v"}) == InvalidExpire("setex"));
  CHECK(t.Run({"SETEX", "k", "9223372036854775", "v"}) == InvalidExpire("setex"));
  CHECK(t.Run({"SETEX", "k", "ten", "v"}) == kNotInt);
  CHECK(t.Run({"PSETEX", "k", "0", "v"}) == InvalidExpire("psetex"));
  CHECK(t.Run({"PSETEX", "k", "9223372036854775807", "v"}) == InvalidExpire("psetex"));
  CHECK(t.Run({"PSETEX", "k", "1e3", "v"}) == kNotInt);
  CHECK(t.Run({"GET", "k"}) == Bulk("v"));
  CHECK(t.Run({"SETEX", "k", "10"}) == WrongArity("setex"));
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SETEX", "l", "10", "v"}) == kOk);
  CHECK(t.Run({"GET", "l"}) == Bulk("v"));
}

// --- GETEX / GETDEL / GETSET -------------------------------------------------------------------

TEST_CASE("GETEX options", "[string][expiry]") {
  CommandTester t;
  int64_t now = t.now_ms();
  CHECK(t.Run({"SET", "foo", "bar"}) == kOk);
  CHECK(t.Run({"GETEX", "foo"}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == keyspace::kNoExpiry);
  CHECK(t.Run({"GETEX", "foo", "EX", "10"}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == now + 10000);
  CHECK(t.Run({"GETEX", "foo", "px", "10000"}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == now + 10000);
  CHECK(t.Run({"GETEX", "foo", "EXAT", std::to_string(now / 1000 + 50)}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == (now / 1000 + 50) * 1000);
  CHECK(t.Run({"GETEX", "foo", "PXAT", std::to_string(now + 123456)}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == now + 123456);
  CHECK(t.Run({"GETEX", "foo", "PERSIST"}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == keyspace::kNoExpiry);
  CHECK(t.Run({"GETEX", "foo", "PERSIST"}) == Bulk("bar"));
  CHECK(t.Run({"GETEX", "foo", "EX", "1", "EX", "2"}) == Bulk("bar"));
  CHECK(Inspect(t, "foo").expire_at == now + 2000);
  CHECK(t.Run({"SET", "int", "42"}) == kOk);
  CHECK(t.Run({"GETEX", "int", "PX", "100"}) == Bulk("42"));
  CHECK(EncodingOf(t, "int") == Encoding::kInt);
  t.AdvanceTime(100);
  CHECK(t.Run({"GETEX", "int"}) == kNil);
  CHECK(t.Run({"GET", "int"}) == kNil);
}

TEST_CASE("GETEX with an absolute time in the past deletes the key", "[string][expiry]") {
  CommandTester t;
  CHECK(t.Run({"SET", "foo", "bar"}) == kOk);
  CHECK(t.Run({"GETEX", "foo", "EXAT", "1"}) == Bulk("bar"));
  CHECK_FALSE(Inspect(t, "foo").exists);
  CHECK(t.Run({"SET", "foo", "bar", "EX", "100"}) == kOk);
  CHECK(t.Run({"GETEX", "foo", "PXAT", std::to_string(t.now_ms())}) == Bulk("bar"));
  CHECK(t.Run({"GET", "foo"}) == kNil);
}

TEST_CASE("GETEX errors and their order", "[string][expiry]") {
  CommandTester t;
  CHECK(t.Run({"GETEX"}) == WrongArity("getex"));
  CHECK(t.Run({"GETEX", "foo", "non-existent-option"}) == kSyntax);
  for (const char* opt : {"NX", "XX", "GET", "KEEPTTL"}) {
    CHECK(t.Run({"GETEX", "foo", opt}) == kSyntax);
  }
  CHECK(t.Run({"GETEX", "foo", "EX"}) == kSyntax);
  CHECK(t.Run({"GETEX", "foo", "PERSIST", "EX", "10"}) == kSyntax);
  CHECK(t.Run({"GETEX", "foo", "EX", "10", "PERSIST"}) == kSyntax);
  CHECK(t.Run({"GETEX", "foo", "EX", "10", "PX", "10"}) == kSyntax);
  // A missing key answers nil before the expiry value is looked at.
  CHECK(t.Run({"GETEX", "foo", "EX", "0"}) == kNil);
  CHECK(t.Run({"GETEX", "foo", "EX", "abc"}) == kNil);
  CHECK(t.Run({"SET", "foo", "bar", "EX", "100"}) == kOk);
  int64_t at = Inspect(t, "foo").expire_at;
  CHECK(t.Run({"GETEX", "foo", "EX", "0"}) == InvalidExpire("getex"));
  CHECK(t.Run({"GETEX", "foo", "PX", "-5"}) == InvalidExpire("getex"));
  CHECK(t.Run({"GETEX", "foo", "EX", "9223372036854775807"}) == InvalidExpire("getex"));
  CHECK(t.Run({"GETEX", "foo", "PX", "9223372036854775807"}) == InvalidExpire("getex"));
  CHECK(t.Run({"GETEX", "foo", "EX", "abc"}) == kNotInt);
  CHECK(Inspect(t, "foo").expire_at == at);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"GETEX", "l"}) == kWrongType);
  CHECK(t.Run({"GETEX", "l", "EX", "0"}) == kWrongType);
  t.set_protocol(3);
  CHECK(t.Run({"GETEX", "missing"}) == kNull3);
}

TEST_CASE("GETDEL", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SET", "foo", "bar", "EX", "100"}) == kOk);
  CHECK(t.Run({"GETDEL", "foo"}) == Bulk("bar"));
  CHECK_FALSE(Inspect(t, "foo").exists);
  CHECK(t.Run({"GETDEL", "foo"}) == kNil);
  CHECK(t.Run({"SET", "n", "-17"}) == kOk);
  CHECK(t.Run({"GETDEL", "n"}) == Bulk("-17"));
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"GETDEL", "l"}) == kWrongType);
  CHECK(IsUntouchedList(t, "l"));
  t.set_protocol(3);
  CHECK(t.Run({"GETDEL", "foo"}) == kNull3);
}

TEST_CASE("GETSET", "[string]") {
  CommandTester t;
  CHECK(t.Run({"GETSET", "foo", "xyz"}) == kNil);
  CHECK(t.Run({"GET", "foo"}) == Bulk("xyz"));
  CHECK(t.Run({"SET", "foo", "bar", "EX", "100"}) == kOk);
  CHECK(t.Run({"GETSET", "foo", "123"}) == Bulk("bar"));
  CHECK(t.Run({"GET", "foo"}) == Bulk("123"));
  CHECK(Inspect(t, "foo").expire_at == keyspace::kNoExpiry);  // GETSET drops the expiry
  CHECK(EncodingOf(t, "foo") == Encoding::kInt);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"GETSET", "l", "v"}) == kWrongType);
  CHECK(IsUntouchedList(t, "l"));
  t.set_protocol(3);
  CHECK(t.Run({"GETSET", "new", "v"}) == kNull3);
}

// --- MGET / MSET / MSETNX ----------------------------------------------------------------------

TEST_CASE("MGET", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SET", "foo", "BAR"}) == kOk);
  CHECK(t.Run({"SET", "bar", "FOO"}) == kOk);
  CHECK(t.Run({"SET", "n", "7"}) == kOk);
  CHECK(t.Run({"MGET", "foo", "bar"}) == Arr(2) + Bulk("BAR") + Bulk("FOO"));
  REQUIRE(t.Run({"RPUSH", "myset", "element"}) == kOne);
  CHECK(t.Run({"MGET", "foo", "baazz", "bar", "myset", "n"}) ==
        Arr(5) + Bulk("BAR") + kNil + Bulk("FOO") + kNil + Bulk("7"));
  CHECK(t.Run({"MGET", "foo", "foo"}) == Arr(2) + Bulk("BAR") + Bulk("BAR"));
  CHECK(t.Run({"MGET"}) == WrongArity("mget"));
  t.set_protocol(3);
  CHECK(t.Run({"MGET", "foo", "nokey", "myset"}) == Arr(3) + Bulk("BAR") + kNull3 + kNull3);
}

TEST_CASE("MSET", "[string]") {
  CommandTester t;
  CHECK(t.Run({"MSET", "x", "10", "y", "foo bar", "z", "x x x x x x x\n\n\r\n"}) == kOk);
  CHECK(t.Run({"MGET", "x", "y", "z"}) ==
        Arr(3) + Bulk("10") + Bulk("foo bar") + Bulk("x x x x x x x\n\n\r\n"));
  CHECK(EncodingOf(t, "x") == Encoding::kInt);
  CHECK(EncodingOf(t, "y") == Encoding::kEmbstr);
  CHECK(t.Run({"MSET", "x", "10", "y", "foo bar", "z"}) == WrongArity("mset"));
  CHECK(t.Run({"MSET", "x"}) == WrongArity("mset"));
  CHECK(t.Run({"SET", "x", "x", "EX", "100"}) == kOk);
  CHECK(t.Run({"MSET", "x", "xxx", "x", "yyy"}) == kOk);
  CHECK(t.Run({"GET", "x"}) == Bulk("yyy"));
  CHECK(Inspect(t, "x").expire_at == keyspace::kNoExpiry);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"MSET", "l", "v"}) == kOk);
  CHECK(t.Run({"GET", "l"}) == Bulk("v"));
}

TEST_CASE("MSETNX", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SET", "x", "x"}) == kOk);
  CHECK(t.Run({"MSETNX", "x1", "xxx", "y2", "yyy", "x", "20"}) == Int(0));
  CHECK_FALSE(Inspect(t, "x1").exists);
  CHECK_FALSE(Inspect(t, "y2").exists);
  CHECK(t.Run({"GET", "x"}) == Bulk("x"));
  CHECK(t.Run({"MSETNX", "x1", "xxx", "y2", "yyy"}) == Int(1));
  CHECK(t.Run({"MGET", "x1", "y2"}) == Arr(2) + Bulk("xxx") + Bulk("yyy"));
  // The same key twice (CVE-2023-28425).
  CHECK(t.Run({"MSETNX", "k", "xxx", "k", "yyy"}) == Int(1));
  CHECK(t.Run({"GET", "k"}) == Bulk("yyy"));
  CHECK(t.Run({"MSETNX", "k", "xxx", "k", "zzz"}) == Int(0));
  CHECK(t.Run({"GET", "k"}) == Bulk("yyy"));
  CHECK(t.Run({"MSETNX", "a", "1", "b"}) == WrongArity("msetnx"));
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"MSETNX", "l", "v", "fresh", "v"}) == Int(0));
  CHECK_FALSE(Inspect(t, "fresh").exists);
  CHECK(t.Run({"SET", "e", "v", "PX", "10"}) == kOk);
  t.AdvanceTime(10);
  CHECK(t.Run({"MSETNX", "e", "new"}) == Int(1));
  CHECK(t.Run({"GET", "e"}) == Bulk("new"));
}

// --- STRLEN / APPEND ---------------------------------------------------------------------------

TEST_CASE("STRLEN", "[string]") {
  CommandTester t;
  CHECK(t.Run({"STRLEN", "notakey"}) == Int(0));
  CHECK(t.Run({"SET", "myinteger", "-555"}) == kOk);
  CHECK(t.Run({"STRLEN", "myinteger"}) == Int(4));
  CHECK(t.Run({"SET", "min", "-9223372036854775808"}) == kOk);
  CHECK(t.Run({"STRLEN", "min"}) == Int(20));
  CHECK(t.Run({"SET", "mystring", "foozzz0123456789 baz"}) == kOk);
  CHECK(t.Run({"STRLEN", "mystring"}) == Int(20));
  CHECK(t.Run({"SET", "empty", ""}) == kOk);
  CHECK(t.Run({"STRLEN", "empty"}) == Int(0));
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"STRLEN", "l"}) == kWrongType);
}

TEST_CASE("APPEND", "[string]") {
  CommandTester t;
  CHECK(t.Run({"APPEND", "foo", "1"}) == Int(1));
  CHECK(EncodingOf(t, "foo") == Encoding::kInt);  // a new key is encoded like SET
  CHECK(t.Run({"APPEND", "foo", "2"}) == Int(2));
  CHECK(t.Run({"GET", "foo"}) == Bulk("12"));
  CHECK(EncodingOf(t, "foo") == Encoding::kRaw);
  CHECK(t.Run({"SET", "bar", "12"}) == kOk);
  CHECK(EncodingOf(t, "bar") == Encoding::kInt);
  CHECK(t.Run({"APPEND", "bar", ""}) == Int(2));
  CHECK(EncodingOf(t, "bar") == Encoding::kRaw);
  CHECK(t.Run({"APPEND", "s", "hello"}) == Int(5));
  CHECK(EncodingOf(t, "s") == Encoding::kEmbstr);
  CHECK(t.Run({"APPEND", "s", std::string(" world\0!", 8)}) == Int(13));
  CHECK(t.Run({"GET", "s"}) == Bulk(std::string("hello world\0!", 13)));
  CHECK(t.Run({"APPEND", "long", std::string(45, 'x')}) == Int(45));
  CHECK(EncodingOf(t, "long") == Encoding::kRaw);
  // The expiry is kept.
  CHECK(t.Run({"SET", "t", "a", "EX", "100"}) == kOk);
  int64_t at = Inspect(t, "t").expire_at;
  CHECK(t.Run({"APPEND", "t", "b"}) == Int(2));
  CHECK(Inspect(t, "t").expire_at == at);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"APPEND", "l", "x"}) == kWrongType);
  CHECK(IsUntouchedList(t, "l"));
}

TEST_CASE("APPEND and SETRANGE respect proto-max-bulk-len", "[string][limits]") {
  CommandTester t(Overrides{{"proto-max-bulk-len", "1mb"}});
  const size_t max = 1024 * 1024;
  CHECK(t.Run({"SET", "k", std::string(max - 4, 'a')}) == kOk);
  CHECK(t.Run({"APPEND", "k", "12345"}) == kTooBig);
  CHECK(t.Run({"APPEND", "k", "1234"}) == Int(max));
  CHECK(t.Run({"APPEND", "k", ""}) == Int(max));
  CHECK(t.Run({"APPEND", "k", "x"}) == kTooBig);
  CHECK(t.Run({"SETRANGE", "k", std::to_string(max - 1), "ab"}) == kTooBig);
  CHECK(t.Run({"SETRANGE", "k", std::to_string(max - 1), "b"}) == Int(max));
  CHECK(t.Run({"SETRANGE", "new", std::to_string(max), "a"}) == kTooBig);
  CHECK_FALSE(Inspect(t, "new").exists);
  CHECK(t.Run({"SETRANGE", "new", std::to_string(max - 1), "a"}) == Int(max));
}

// --- SETRANGE / GETRANGE / SUBSTR --------------------------------------------------------------

TEST_CASE("SETRANGE", "[string]") {
  CommandTester t;
  CHECK(t.Run({"SETRANGE", "mykey", "0", "foo"}) == Int(3));
  CHECK(t.Run({"GET", "mykey"}) == Bulk("foo"));
  CHECK(EncodingOf(t, "mykey") == Encoding::kRaw);
  CHECK(t.Run({"SETRANGE", "empty", "0", ""}) == Int(0));
  CHECK_FALSE(Inspect(t, "empty").exists);
  CHECK(t.Run({"SETRANGE", "empty", "100", ""}) == Int(0));
  CHECK_FALSE(Inspect(t, "empty").exists);
  CHECK(t.Run({"SETRANGE", "pad", "1", "foo"}) == Int(4));
  CHECK(t.Run({"GET", "pad"}) == Bulk(std::string("\0foo", 4)));

  CHECK(t.Run({"SET", "mykey", "foo"}) == kOk);
  CHECK(t.Run({"SETRANGE", "mykey", "0", "b"}) == Int(3));
  CHECK(t.Run({"GET", "mykey"}) == Bulk("boo"));
  CHECK(t.Run({"SETRANGE", "mykey", "0", ""}) == Int(3));
  CHECK(t.Run({"SETRANGE", "mykey", "1", "b"}) == Int(3));
  CHECK(t.Run({"GET", "mykey"}) == Bulk("bbo"));
  CHECK(t.Run({"SETRANGE", "mykey", "4", "bar"}) == Int(7));
  CHECK(t.Run({"GET", "mykey"}) == Bulk(std::string("bbo\0bar", 7)));

  // Integer-encoded values become raw, unless nothing is written.
  CHECK(t.Run({"SET", "i", "1234"}) == kOk);
  CHECK(t.Run({"SETRANGE", "i", "0", "2"}) == Int(4));
  CHECK(EncodingOf(t, "i") == Encoding::kRaw);
  CHECK(t.Run({"GET", "i"}) == Bulk("2234"));
  CHECK(t.Run({"SET", "i", "1234"}) == kOk);
  CHECK(t.Run({"SETRANGE", "i", "0", ""}) == Int(4));
  CHECK(EncodingOf(t, "i") == Encoding::kInt);
  CHECK(t.Run({"SETRANGE", "i", "5", "2"}) == Int(6));
  CHECK(t.Run({"GET", "i"}) == Bulk(std::string("1234\0002", 6)));

  // The expiry is kept.
  CHECK(t.Run({"SET", "t", "abc", "EX", "100"}) == kOk);
  int64_t at = Inspect(t, "t").expire_at;
  CHECK(t.Run({"SETRANGE", "t", "1", "X"}) == Int(3));
  CHECK(Inspect(t, "t").expire_at == at);
  CHECK(t.Run({"GET", "t"}) == Bulk("aXc"));

  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SETRANGE", "l", "0", "bar"}) == kWrongType);
  CHECK(t.Run({"SETRANGE", "l", "0", ""}) == kWrongType);
}

TEST_CASE("SETRANGE offsets out of range", "[string][limits]") {
  CommandTester t;
  const std::string limit_minus_4 = std::to_string(512LL * 1024 * 1024 - 4);
  CHECK(t.Run({"SETRANGE", "mykey", limit_minus_4, "world"}) == kTooBig);
  CHECK(t.Run({"SET", "mykey", "hello"}) == kOk);
  CHECK(t.Run({"SETRANGE", "mykey", "-1", "world"}) == "-ERR offset is out of range\r\n");
  CHECK(t.Run({"SETRANGE", "mykey", "-9223372036854775808", "w"}) ==
        "-ERR offset is out of range\r\n");
  CHECK(t.Run({"SETRANGE", "mykey", limit_minus_4, "world"}) == kTooBig);
  for (const char* offset : {"9223372036854775807", "2147483647", "4294967296"}) {
    CHECK(t.Run({"SETRANGE", "K", offset, "A"}) == kTooBig);
    CHECK(t.Run({"SETRANGE", "mykey", offset, "A"}) == kTooBig);
  }
  CHECK_FALSE(Inspect(t, "K").exists);
  // Nothing to write: the length, whatever the offset.
  CHECK(t.Run({"SETRANGE", "mykey", "9223372036854775807", ""}) == Int(5));
  CHECK(t.Run({"SETRANGE", "mykey", "9223372036854775808", "A"}) == kNotInt);
  CHECK(t.Run({"SETRANGE", "mykey", "one", "A"}) == kNotInt);
  CHECK(t.Run({"GET", "mykey"}) == Bulk("hello"));
  // The offset is checked before the type.
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SETRANGE", "l", "-1", "x"}) == "-ERR offset is out of range\r\n");
}

TEST_CASE("GETRANGE and SUBSTR", "[string]") {
  CommandTester t;
  CHECK(t.Run({"GETRANGE", "mykey", "0", "-1"}) == kEmpty);
  CHECK(t.Run({"SET", "mykey", "Hello World"}) == kOk);
  CHECK(t.Run({"GETRANGE", "mykey", "0", "3"}) == Bulk("Hell"));
  CHECK(t.Run({"GETRANGE", "mykey", "0", "-1"}) == Bulk("Hello World"));
  CHECK(t.Run({"GETRANGE", "mykey", "-4", "-1"}) == Bulk("orld"));
  CHECK(t.Run({"GETRANGE", "mykey", "5", "3"}) == kEmpty);
  CHECK(t.Run({"GETRANGE", "mykey", "5", "5000"}) == Bulk(" World"));
  CHECK(t.Run({"GETRANGE", "mykey", "-5000", "10000"}) == Bulk("Hello World"));
  CHECK(t.Run({"GETRANGE", "mykey", "-1", "-5"}) == kEmpty);
  CHECK(t.Run({"GETRANGE", "mykey", "0", "4294967297"}) == Bulk("Hello World"));
  CHECK(t.Run({"GETRANGE", "mykey", "-9223372036854775808", "9223372036854775807"}) ==
        Bulk("Hello World"));
  CHECK(t.Run({"GETRANGE", "mykey", "9223372036854775807", "-9223372036854775808"}) == kEmpty);
  CHECK(t.Run({"GETRANGE", "mykey", "-9223372036854775808", "-9223372036854775808"}) == Bulk("H"));
  CHECK(t.Run({"GETRANGE", "mykey", "11", "20"}) == kEmpty);

  CHECK(t.Run({"SET", "n", "1234"}) == kOk);
  CHECK(t.Run({"GETRANGE", "n", "0", "2"}) == Bulk("123"));
  CHECK(t.Run({"GETRANGE", "n", "0", "-1"}) == Bulk("1234"));
  CHECK(t.Run({"GETRANGE", "n", "-3", "-1"}) == Bulk("234"));
  CHECK(t.Run({"GETRANGE", "n", "5", "3"}) == kEmpty);
  CHECK(t.Run({"GETRANGE", "n", "3", "5000"}) == Bulk("4"));
  CHECK(t.Run({"GETRANGE", "n", "-5000", "10000"}) == Bulk("1234"));

  CHECK(t.Run({"SET", "e", ""}) == kOk);
  CHECK(t.Run({"GETRANGE", "e", "0", "-1"}) == kEmpty);

  CHECK(t.Run({"SET", "key", "abcde"}) == kOk);
  CHECK(t.Run({"SUBSTR", "key", "0", "0"}) == Bulk("a"));
  CHECK(t.Run({"SUBSTR", "key", "0", "3"}) == Bulk("abcd"));
  CHECK(t.Run({"SUBSTR", "key", "-4", "-1"}) == Bulk("bcde"));
  CHECK(t.Run({"SUBSTR", "key", "-1", "-3"}) == kEmpty);
  CHECK(t.Run({"SUBSTR", "key", "7", "8"}) == kEmpty);
  CHECK(t.Run({"SUBSTR", "nokey", "0", "1"}) == kEmpty);

  // Indices are parsed before the key is looked up.
  CHECK(t.Run({"GETRANGE", "nokey", "a", "1"}) == kNotInt);
  CHECK(t.Run({"GETRANGE", "mykey", "0", "1.0"}) == kNotInt);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"GETRANGE", "l", "0", "-1"}) == kWrongType);
  CHECK(t.Run({"GETRANGE", "l", "x", "-1"}) == kNotInt);
  CHECK(t.Run({"GETRANGE", "mykey", "0"}) == WrongArity("getrange"));
  // A missing key is an empty string in RESP3 too, not a null.
  t.set_protocol(3);
  CHECK(t.Run({"GETRANGE", "nokey", "0", "-1"}) == kEmpty);
}

TEST_CASE("GETRANGE matches a reference slice", "[string]") {
  CommandTester t;
  std::string value;
  for (int i = 0; i < 37; ++i) value.push_back(static_cast<char>('a' + i % 26));
  CHECK(t.Run(std::vector<std::string>{"SET", "bin", value}) == kOk);
  auto reference = [&](int64_t start, int64_t end) {
    auto len = static_cast<int64_t>(value.size());
    if (start < 0 && end < 0 && start > end) return std::string();
    if (start < 0) start = std::max<int64_t>(0, len + start);
    if (end < 0) end = std::max<int64_t>(0, len + end);
    end = std::min(end, len - 1);
    if (start > end) return std::string();
    return value.substr(start, end - start + 1);
  };
  for (int64_t start = -45; start <= 45; start += 4) {
    for (int64_t end = -45; end <= 45; end += 3) {
      CAPTURE(start, end);
      CHECK(t.Run(std::vector<std::string>{"GETRANGE", "bin", std::to_string(start),
                                           std::to_string(end)}) == Bulk(reference(start, end)));
    }
  }
}

// --- INCR / DECR / INCRBY / DECRBY -------------------------------------------------------------

TEST_CASE("INCR and DECR", "[string][incr]") {
  CommandTester t;
  CHECK(t.Run({"INCR", "novar"}) == Int(1));
  CHECK(t.Run({"GET", "novar"}) == Bulk("1"));
  CHECK(t.Run({"INCR", "novar"}) == Int(2));
  CHECK(t.Run({"DECR", "novar"}) == Int(1));
  CHECK(t.Run({"DECR", "novar_not_exist"}) == Int(-1));
  CHECK(t.Run({"INCR", "novar_not_exist"}) == Int(0));
  CHECK(t.Run({"SET", "novar", "100"}) == kOk);
  CHECK(t.Run({"INCR", "novar"}) == Int(101));
  CHECK(t.Run({"SET", "novar", "17179869184"}) == kOk);
  CHECK(t.Run({"INCR", "novar"}) == Int(17179869185));
  CHECK(t.Run({"SET", "novar", "17179869184"}) == kOk);
  CHECK(t.Run({"INCRBY", "novar", "17179869184"}) == Int(34359738368));
  CHECK(t.Run({"SET", "novar", "17179869184"}) == kOk);
  CHECK(t.Run({"DECRBY", "novar", "17179869185"}) == Int(-1));
  CHECK(t.Run({"DECRBY", "key_not_exist", "1"}) == Int(-1));
  CHECK(t.Run({"INCRBY", "by", "-5"}) == Int(-5));
  CHECK(t.Run({"DECRBY", "by", "-5"}) == Int(0));
  CHECK(t.Run({"INCR", "k", "1"}) == WrongArity("incr"));
  CHECK(t.Run({"INCRBY", "k"}) == WrongArity("incrby"));
}

TEST_CASE("INCR family rejects values that are not integers", "[string][incr]") {
  CommandTester t;
  for (const char* bad : {"    11", "11    ", "    11    ", "foo", "1.0", "+1", "01", "-0",
                          "9223372036854775808", ""}) {
    CAPTURE(bad);
    CHECK(t.Run({"SET", "novar", bad}) == kOk);
    CHECK(t.Run({"INCR", "novar"}) == kNotInt);
    CHECK(t.Run({"DECRBY", "novar", "1"}) == kNotInt);
  }
  CHECK(t.Run({"SET", "x", "0"}) == kOk);
  CHECK(t.Run({"INCRBY", "x", "abc"}) == kNotInt);
  CHECK(t.Run({"INCRBY", "x", "+1"}) == kNotInt);
  CHECK(t.Run({"INCRBY", "x", "9223372036854775808"}) == kNotInt);
  CHECK(t.Run({"DECRBY", "x", "1 "}) == kNotInt);
  CHECK(t.Run({"GET", "x"}) == Bulk("0"));
  REQUIRE(t.Run({"RPUSH", "mylist", "element"}) == kOne);
  CHECK(t.Run({"INCR", "mylist"}) == kWrongType);
  CHECK(t.Run({"DECR", "mylist"}) == kWrongType);
  CHECK(t.Run({"INCRBY", "mylist", "2"}) == kWrongType);
  CHECK(t.Run({"DECRBY", "mylist", "2"}) == kWrongType);
  // The increment is parsed before the key is looked at.
  CHECK(t.Run({"INCRBY", "mylist", "x"}) == kNotInt);
}

TEST_CASE("INCR family overflow", "[string][incr]") {
  CommandTester t;
  const std::string kOverflow = "-ERR increment or decrement would overflow\r\n";
  CHECK(t.Run({"SET", "max", "9223372036854775807"}) == kOk);
  CHECK(t.Run({"INCR", "max"}) == kOverflow);
  CHECK(t.Run({"INCRBY", "max", "9223372036854775807"}) == kOverflow);
  CHECK(t.Run({"DECRBY", "max", "-1"}) == kOverflow);
  CHECK(t.Run({"GET", "max"}) == Bulk("9223372036854775807"));
  CHECK(t.Run({"SET", "min", "-9223372036854775808"}) == kOk);
  CHECK(t.Run({"DECR", "min"}) == kOverflow);
  CHECK(t.Run({"INCRBY", "min", "-1"}) == kOverflow);
  CHECK(t.Run({"INCR", "min"}) == Int(-9223372036854775807));
  CHECK(t.Run({"INCRBY", "z", "-9223372036854775808"}) == Int(INT64_MIN));
  CHECK(t.Run({"INCRBY", "z", "9223372036854775807"}) == Int(-1));
  CHECK(t.Run({"INCRBY", "z", "9223372036854775807"}) == Int(INT64_MAX - 1));
  CHECK(t.Run({"INCR", "z"}) == Int(INT64_MAX));
  CHECK(t.Run({"SET", "m1", "-1"}) == kOk);
  CHECK(t.Run({"DECRBY", "m1", "9223372036854775807"}) == Int(INT64_MIN));
  // DECRBY LLONG_MIN has no negation, whatever the key holds.
  CHECK(t.Run({"SET", "x", "0"}) == kOk);
  CHECK(t.Run({"DECRBY", "x", "-9223372036854775808"}) == "-ERR decrement would overflow\r\n");
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"DECRBY", "l", "-9223372036854775808"}) == "-ERR decrement would overflow\r\n");
}

TEST_CASE("INCR results are int-encoded and keep the expiry", "[string][incr]") {
  for (const char* cmd : {"INCR", "DECR", "INCRBY", "DECRBY"}) {
    CAPTURE(cmd);
    CommandTester t;
    CHECK(t.Run({"SET", "foo", "1"}) == kOk);
    CHECK(EncodingOf(t, "foo") == Encoding::kInt);
    CHECK(t.Run({"APPEND", "foo", "2"}) == Int(2));
    CHECK(EncodingOf(t, "foo") == Encoding::kRaw);
    std::string cmd_s(cmd);
    bool by = cmd_s.find("BY") != std::string::npos;
    bool incr = cmd_s.find("INCR") != std::string::npos;
    std::string reply = by ? t.Run({cmd, "foo", "1"}) : t.Run({cmd, "foo"});
    CHECK(reply == Int(incr ? 13 : 11));
    CHECK(EncodingOf(t, "foo") == Encoding::kInt);
  }
  CommandTester t;
  CHECK(t.Run({"SET", "t", "5", "EX", "100"}) == kOk);
  int64_t at = Inspect(t, "t").expire_at;
  CHECK(t.Run({"INCRBY", "t", "5"}) == Int(10));
  CHECK(Inspect(t, "t").expire_at == at);
  CHECK(t.Run({"SET", "t", "5", "PX", "100"}) == kOk);
  t.AdvanceTime(100);
  CHECK(t.Run({"INCR", "t"}) == Int(1));
  CHECK(Inspect(t, "t").expire_at == keyspace::kNoExpiry);
}

// --- INCRBYFLOAT -------------------------------------------------------------------------------

TEST_CASE("INCRBYFLOAT", "[string][incr]") {
  CommandTester t;
  CHECK(t.Run({"INCRBYFLOAT", "novar", "1"}) == Bulk("1"));
  CHECK(t.Run({"GET", "novar"}) == Bulk("1"));
  CHECK(t.Run({"INCRBYFLOAT", "novar", "0.25"}) == Bulk("1.25"));
  CHECK(t.Run({"GET", "novar"}) == Bulk("1.25"));
  CHECK(t.Run({"SET", "novar", "1.5"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "novar", "1.5"}) == Bulk("3"));
  CHECK(t.Run({"SET", "novar", "17179869184"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "novar", "1.5"}) == Bulk("17179869185.5"));
  CHECK(t.Run({"SET", "novar", "17179869184"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "novar", "17179869184"}) == Bulk("34359738368"));
  CHECK(t.Run({"SET", "foo", "1"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "foo", "-1.1"}) == Bulk("-0.1"));
  CHECK(t.Run({"SET", "mykey", "10.50"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "mykey", "0.1"}) == Bulk("10.6"));
  CHECK(t.Run({"INCRBYFLOAT", "mykey", "-5"}) == Bulk("5.6"));
  CHECK(t.Run({"SET", "mykey", "5.0e3"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "mykey", "2.0e2"}) == Bulk("5200"));
  // No negative zero.
  CHECK(t.Run({"INCRBYFLOAT", "neg", "0.024390243902439025"}).size() > 0);
  CHECK(t.Run({"INCRBYFLOAT", "neg", "-0.024390243902439025"}) == Bulk("0"));
  CHECK(t.Run({"GET", "neg"}) == Bulk("0"));
}

TEST_CASE("INCRBYFLOAT errors", "[string][incr]") {
  CommandTester t;
  for (const char* bad : {"    11", "11    ", " 11 ", "abc", "", "nan", "1e5000"}) {
    CAPTURE(bad);
    CHECK(t.Run({"SET", "novar", bad}) == kOk);
    CHECK(t.Run({"INCRBYFLOAT", "novar", "1.0"}) == kNotFloat);
  }
  // "1\0" followed by "2": an embedded NUL is not the end of the number.
  CHECK(t.Run({"SET", "foo", "1"}) == kOk);
  CHECK(t.Run({"SETRANGE", "foo", "2", "2"}) == Int(3));
  CHECK(t.Run({"INCRBYFLOAT", "foo", "1"}) == kNotFloat);
  CHECK(t.Run({"SET", "x", "1"}) == kOk);
  for (const char* bad : {"abc", "", " 1", "1 ", "nan", "1.0.0"}) {
    CAPTURE(bad);
    CHECK(t.Run({"INCRBYFLOAT", "x", bad}) == kNotFloat);
    CHECK(t.Run({"INCRBYFLOAT", "missing", bad}) == kNotFloat);
  }
  CHECK_FALSE(Inspect(t, "missing").exists);
  const std::string kNaN = "-ERR increment would produce NaN or Infinity\r\n";
  CHECK(t.Run({"SET", "foo", "0"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "foo", "+inf"}) == kNaN);
  CHECK(t.Run({"INCRBYFLOAT", "foo", "-inf"}) == kNaN);
  CHECK(t.Run({"INCRBYFLOAT", "newkey", "inf"}) == kNaN);
  CHECK_FALSE(Inspect(t, "newkey").exists);
  CHECK(t.Run({"SET", "big", "1e4932"}) == kOk);
  CHECK(t.Run({"INCRBYFLOAT", "big", "1e4932"}) == kNaN);  // overflows to infinity
  CHECK(t.Run({"GET", "foo"}) == Bulk("0"));
  // The type is checked first, then the stored value, then the increment.
  REQUIRE(t.Run({"RPUSH", "mylist", "element"}) == kOne);
  CHECK(t.Run({"INCRBYFLOAT", "mylist", "1.0"}) == kWrongType);
  CHECK(t.Run({"INCRBYFLOAT", "mylist", "abc"}) == kWrongType);
}

TEST_CASE("INCRBYFLOAT encodings and expiry", "[string][incr]") {
  CommandTester t;
  CHECK(t.Run({"INCRBYFLOAT", "f", "3"}) == Bulk("3"));
  CHECK(EncodingOf(t, "f") == Encoding::kEmbstr);  // never int, even when integral
  CHECK(t.Run({"INCRBYFLOAT", "f", "1e50"}).size() > 50);
  CHECK(EncodingOf(t, "f") == Encoding::kRaw);
  CHECK(t.Run({"SET", "t", "1", "EX", "100"}) == kOk);
  int64_t at = Inspect(t, "t").expire_at;
  CHECK(t.Run({"INCRBYFLOAT", "t", "0.5"}) == Bulk("1.5"));
  CHECK(Inspect(t, "t").expire_at == at);
  t.set_protocol(3);
  CHECK(t.Run({"INCRBYFLOAT", "t", "0.5"}) == Bulk("2"));  // a bulk string in RESP3 too
}

// --- LCS ---------------------------------------------------------------------------------------

namespace {

constexpr std::string_view kRna1 =
    "CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGC"
    "TGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACT"
    "CGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG";
constexpr std::string_view kRna2 =
    "ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAA"
    "AATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGG"
    "ACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
constexpr std::string_view kRnaLcs =
    "ACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCT"
    "GTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTC"
    "GTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";

struct Match {
  int a0, a1, b0, b1, len;
};

std::string Matches(const std::vector<Match>& ms, bool with_len) {
  std::string out = Arr(ms.size());
  for (const Match& m : ms) {
    out += Arr(with_len ? 3 : 2) + Arr(2) + Int(m.a0) + Int(m.a1) + Arr(2) + Int(m.b0) + Int(m.b1);
    if (with_len) out += Int(m.len);
  }
  return out;
}

}  // namespace

TEST_CASE("LCS", "[string][lcs]") {
  CommandTester t;
  CHECK(t.Run(std::vector<std::string>{"SET", "virus1", std::string(kRna1)}) == kOk);
  CHECK(t.Run(std::vector<std::string>{"SET", "virus2", std::string(kRna2)}) == kOk);
  CHECK(t.Run({"LCS", "virus1", "virus2"}) == Bulk(kRnaLcs));
  CHECK(t.Run({"LCS", "virus1", "virus2", "LEN"}) == Int(kRnaLcs.size()));
  std::vector<Match> all = {{238, 238, 239, 239, 1},
                            {236, 236, 238, 238, 1},
                            {229, 230, 236, 237, 2},
                            {224, 224, 235, 235, 1},
                            {1, 222, 13, 234, 222}};
  std::string len = Bulk("len") + Int(227);
  CHECK(t.Run({"LCS", "virus1", "virus2", "IDX"}) ==
        Arr(4) + Bulk("matches") + Matches(all, false) + len);
  CHECK(t.Run({"LCS", "virus1", "virus2", "IDX", "WITHMATCHLEN"}) ==
        Arr(4) + Bulk("matches") + Matches(all, true) + len);
  CHECK(t.Run({"LCS", "virus1", "virus2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "5"}) ==
        Arr(4) + Bulk("matches") + Matches({all.back()}, true) + len);
  CHECK(t.Run({"LCS", "virus1", "virus2", "idx", "minmatchlen", "-7"}) ==
        Arr(4) + Bulk("matches") + Matches(all, false) + len);
  CHECK(t.Run({"LCS", "virus1", "virus2", "IDX", "MINMATCHLEN", "9223372036854775807"}) ==
        Arr(4) + Bulk("matches") + Arr(0) + len);
  CHECK(t.Run({"LCS", "virus1", "virus2", "LEN", "MINMATCHLEN", "5", "LEN"}) == Int(227));

  t.set_protocol(3);
  CHECK(t.Run({"LCS", "virus1", "virus2", "IDX", "MINMATCHLEN", "5"}) ==
        "%2\r\n" + Bulk("matches") + Matches({all.back()}, false) + len);
}

TEST_CASE("LCS small cases, missing keys and integers", "[string][lcs]") {
  CommandTester t;
  CHECK(t.Run({"MSET", "a", "ohmytext", "b", "mynewtext"}) == kOk);
  CHECK(t.Run({"LCS", "a", "b"}) == Bulk("mytext"));
  CHECK(t.Run({"LCS", "a", "b", "IDX", "WITHMATCHLEN"}) ==
        Arr(4) + Bulk("matches") + Matches({{4, 7, 5, 8, 4}, {2, 3, 0, 1, 2}}, true) + Bulk("len") +
            Int(6));
  CHECK(t.Run({"LCS", "a", "nokey"}) == kEmpty);
  CHECK(t.Run({"LCS", "nokey", "nokey2", "LEN"}) == Int(0));
  CHECK(t.Run({"LCS", "nokey", "a", "IDX"}) ==
        Arr(4) + Bulk("matches") + Arr(0) + Bulk("len") + Int(0));
  CHECK(t.Run({"LCS", "a", "a"}) == Bulk("ohmytext"));
  CHECK(t.Run({"MSET", "i", "12345", "j", "-2346"}) == kOk);
  CHECK(t.Run({"LCS", "i", "j"}) == Bulk("234"));
}

TEST_CASE("LCS errors", "[string][lcs]") {
  CommandTester t;
  CHECK(t.Run({"MSET", "a", "abc", "b", "abd"}) == kOk);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  const std::string kLcsType = "-ERR The specified keys must contain string values\r\n";
  CHECK(t.Run({"LCS", "a", "l"}) == kLcsType);
  CHECK(t.Run({"LCS", "l", "a"}) == kLcsType);
  CHECK(t.Run({"LCS", "l", "a", "BADOPT"}) == kLcsType);  // the type is checked first
  CHECK(t.Run({"LCS", "a", "b", "BADOPT"}) == kSyntax);
  CHECK(t.Run({"LCS", "a", "b", "MINMATCHLEN"}) == kSyntax);
  CHECK(t.Run({"LCS", "a", "b", "MINMATCHLEN", "x"}) == kNotInt);
  CHECK(t.Run({"LCS", "a", "b", "LEN", "IDX"}) ==
        "-ERR If you want both the length and indexes, please just use IDX.\r\n");
  CHECK(t.Run({"LCS", "a", "b", "IDX", "LEN", "BAD"}) == kSyntax);  // options parse first
  CHECK(t.Run({"LCS", "a"}) == WrongArity("lcs"));
}

TEST_CASE("LCS refuses a table larger than proto-max-bulk-len", "[string][lcs][limits]") {
  CommandTester t(Overrides{{"proto-max-bulk-len", "1mb"}});
  // (511 + 1) * (511 + 1) * 4 bytes = exactly 1 MiB: allowed; one byte more: refused.
  CHECK(t.Run({"SET", "a", std::string(511, 'a')}) == kOk);
  CHECK(t.Run({"SET", "b", std::string(511, 'a')}) == kOk);
  CHECK(t.Run({"LCS", "a", "b", "LEN"}) == Int(511));
  CHECK(t.Run({"APPEND", "b", "a"}) == Int(512));
  CHECK(t.Run({"LCS", "a", "b", "LEN"}) ==
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n");
}

// --- Encodings and the command table -----------------------------------------------------------

TEST_CASE("Writes pick Redis's encodings", "[string][encoding]") {
  CommandTester t;
  struct Case {
    std::string value;
    Encoding encoding;
  };
  std::vector<Case> cases = {
      {"12345", Encoding::kInt},
      {"-1", Encoding::kInt},
      {"0", Encoding::kInt},
      {"9223372036854775807", Encoding::kInt},
      {"-9223372036854775808", Encoding::kInt},
      {"9223372036854775808", Encoding::kEmbstr},
      {"01", Encoding::kEmbstr},
      {"-0", Encoding::kEmbstr},
      {"+1", Encoding::kEmbstr},
      {" 1", Encoding::kEmbstr},
      {"1.5", Encoding::kEmbstr},
      {"", Encoding::kEmbstr},
      {std::string(44, 'x'), Encoding::kEmbstr},
      {std::string(45, 'x'), Encoding::kRaw},
  };
  for (const Case& c : cases) {
    CAPTURE(c.value);
    CHECK(t.Run(std::vector<std::string>{"SET", "k", c.value}) == kOk);
    CHECK(EncodingOf(t, "k") == c.encoding);
    CHECK(t.Run({"GET", "k"}) == Bulk(c.value));
    CHECK(t.Run(std::vector<std::string>{"MSET", "m", c.value}) == kOk);
    CHECK(EncodingOf(t, "m") == c.encoding);
    CHECK(t.Run(std::vector<std::string>{"SETEX", "e", "100", c.value}) == kOk);
    CHECK(EncodingOf(t, "e") == c.encoding);
    CHECK(t.Run(std::vector<std::string>{"GETSET", "g", c.value}).size() > 0);
    CHECK(EncodingOf(t, "g") == c.encoding);
    CHECK(t.Run(std::vector<std::string>{"SETNX", "n", c.value}) == Int(1));
    CHECK(EncodingOf(t, "n") == c.encoding);
    t.Run({"GETDEL", "n"});
  }
}

TEST_CASE("String commands in the command table", "[string][table]") {
  CommandTester t;
  const CommandTable& table = t.server().commands();
  struct Row {
    const char* name;
    int arity;
    uint32_t flags;
    KeySpec keys;
    size_t arguments;
  };
  const uint32_t w = kWrite | kDenyOom;
  const uint32_t r = kReadOnly;
  // Key flags as in Redis's command JSON; 0 means the table's derived default.
  std::vector<Row> rows = {
      {"get", 2, r | kFast, {1, 1, 1}, 1},
      {"set", -3, w, {1, 1, 1, kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags}, 5},
      {"setnx", 3, w | kFast, {1, 1, 1, kKeyOW | kKeyInsert}, 2},
      {"setex", 4, w, {1, 1, 1, kKeyOW | kKeyUpdate}, 3},
      {"psetex", 4, w, {1, 1, 1, kKeyOW | kKeyUpdate}, 3},
      {"mget", -2, r | kFast, {1, -1, 1}, 1},
      {"mset", -3, w, {1, -1, 2, kKeyOW | kKeyUpdate}, 1},
      {"msetnx", -3, w, {1, -1, 2, kKeyOW | kKeyInsert}, 1},
      {"getset", 3, w | kFast, {1, 1, 1}, 2},
      {"getdel", 2, kWrite | kFast, {1, 1, 1, kKeyRW | kKeyAccess | kKeyDelete}, 1},
      {"getex", -2, kWrite | kFast, {1, 1, 1}, 2},
      {"append", 3, w | kFast, {1, 1, 1, kKeyRW | kKeyInsert}, 2},
      {"strlen", 2, r | kFast, {1, 1, 1, kKeyRO}, 1},
      {"getrange", 4, r, {1, 1, 1}, 3},
      {"substr", 4, r, {1, 1, 1}, 3},
      {"setrange", 4, w, {1, 1, 1, kKeyRW | kKeyUpdate}, 3},
      {"incr", 2, w | kFast, {1, 1, 1}, 1},
      {"decr", 2, w | kFast, {1, 1, 1}, 1},
      {"incrby", 3, w | kFast, {1, 1, 1}, 2},
      {"decrby", 3, w | kFast, {1, 1, 1}, 2},
      {"incrbyfloat", 3, w | kFast, {1, 1, 1}, 2},
      {"lcs", -3, r, {1, 2, 1}, 6},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    const CommandSpec* spec = table.Find(row.name);
    REQUIRE(spec != nullptr);
    CHECK(spec->arity == row.arity);
    CHECK(spec->flags == row.flags);
    CHECK(spec->keys.first == row.keys.first);
    CHECK(spec->keys.last == row.keys.last);
    CHECK(spec->keys.step == row.keys.step);
    CHECK(spec->keys.flags == row.keys.flags);
    CHECK(spec->arguments.size() == row.arguments);
    CHECK(spec->group == "string");
    CHECK(!spec->summary.empty());
    CHECK(!spec->since.empty());
    CHECK(!spec->complexity.empty());
    uint64_t acl = kAclString | ((row.flags & kWrite) ? kAclWrite : kAclRead) |
                   ((row.flags & kFast) ? kAclFast : kAclSlow);
    CHECK(spec->acl == acl);
  }
  CHECK(table.Find("setex")->since == "2.0.0");
  CHECK(table.Find("lcs")->since == "7.0.0");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "msetnx", "a", "1", "b", "2"}) ==
        "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+insert\r\n"
        "*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+insert\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "lcs", "a", "b", "LEN"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST_CASE("OBJECT ENCODING and TTL see what string commands store", "[string][encoding]") {
  CommandTester t;
  auto encoding = [&](std::string_view key) { return t.Run({"OBJECT", "ENCODING", key}); };
  CHECK(t.Run({"SET", "foo", "1"}) == kOk);
  CHECK(encoding("foo") == Bulk("int"));
  CHECK(t.Run({"APPEND", "foo", "2"}) == Int(2));
  CHECK(encoding("foo") == Bulk("raw"));
  CHECK(t.Run({"INCR", "foo"}) == Int(13));
  CHECK(encoding("foo") == Bulk("int"));
  CHECK(t.Run({"SET", "bar", "hello"}) == kOk);
  CHECK(encoding("bar") == Bulk("embstr"));
  CHECK(t.Run({"SETRANGE", "bar", "0", "j"}) == Int(5));
  CHECK(encoding("bar") == Bulk("raw"));
  CHECK(t.Run({"INCRBYFLOAT", "f", "2"}) == Bulk("2"));
  CHECK(encoding("f") == Bulk("embstr"));

  CHECK(t.Run({"SET", "e", "v", "EX", "100"}) == kOk);
  CHECK(t.Run({"TTL", "e"}) == Int(100));
  CHECK(t.Run({"GETEX", "e", "PX", "5500"}) == Bulk("v"));
  CHECK(t.Run({"PTTL", "e"}) == Int(5500));
  CHECK(t.Run({"GETEX", "e", "PERSIST"}) == Bulk("v"));
  CHECK(t.Run({"TTL", "e"}) == Int(-1));
  CHECK(t.Run({"SET", "e", "v", "EXAT", "1"}) == kOk);
  CHECK(t.Run({"TTL", "e"}) == Int(-2));
  CHECK(t.Run({"EXISTS", "e"}) == Int(0));
}

}  // namespace tessera::server
