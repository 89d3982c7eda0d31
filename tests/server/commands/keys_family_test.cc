// Command tests of the keys family's per-key commands, expiry commands, OBJECT and the
// commands over DBs (SELECT, MOVE, COPY ... DB, SWAPDB, FLUSHDB, FLUSHALL).
#include <catch2/catch.hpp>

#include "tests/server/commands/keys_test_util.h"

using namespace tessera::server;
using namespace tessera::server::testing;
using tessera::keyspace::kNoExpiry;

namespace {

const std::string kIntRange =
    Err("ERR value is out of range, value must between -2147483648 and 2147483647");
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kSyntax = Err("ERR syntax error");
const std::string kDbRange = Err("ERR DB index is out of range");
const std::string kSame = Err("ERR source and destination objects are the same");

}  // namespace

TEST_CASE("DEL and UNLINK count the keys they removed") {
  CommandTester t;
  PutString(t, "a", "1");
  PutString(t, "b", "2");
  PutString(t, "c", "3");
  CHECK(t.Run({"DEL", "a"}) == Int(1));
  CHECK(t.Run({"DEL", "a"}) == Int(0));
  CHECK(t.Run({"DEL", "b", "c", "b", "missing"}) == Int(2));
  CHECK(GetString(t, "b") == "(nil)");
  PutString(t, "u", "x");
  CHECK(t.Run({"UNLINK", "u", "u"}) == Int(1));
  CHECK(t.Run({"DEL"}) == Err("ERR wrong number of arguments for 'del' command"));
  CHECK(t.Run({"UNLINK"}) == Err("ERR wrong number of arguments for 'unlink' command"));
}

TEST_CASE("DEL does not count an expired key") {
  CommandTester t;
  PutString(t, "k", "v", t.now_ms() + 100);
  t.AdvanceTime(100);
  CHECK(t.Run({"DEL", "k"}) == Int(0));
  CHECK(StoredKeys(t) == 0);
}

TEST_CASE("EXISTS counts repeats, TOUCH counts existing keys") {
  CommandTester t;
  PutString(t, "a", "1");
  CHECK(t.Run({"EXISTS", "a"}) == Int(1));
  CHECK(t.Run({"EXISTS", "a", "a", "a", "nope"}) == Int(3));
  CHECK(t.Run({"EXISTS", "nope"}) == Int(0));
  CHECK(t.Run({"TOUCH", "a", "nope", "a"}) == Int(2));
  PutString(t, "", "");
  CHECK(t.Run({"EXISTS", ""}) == Int(1));  // a zero-length key is a key
}

TEST_CASE("TYPE names the type or none") {
  CommandTester t;
  PutString(t, "s", "hello");
  PutString(t, "n", "12");
  CHECK(t.Run({"TYPE", "s"}) == "+string\r\n");
  CHECK(t.Run({"TYPE", "n"}) == "+string\r\n");
  CHECK(t.Run({"TYPE", "nope"}) == "+none\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"TYPE", "nope"}) == "+none\r\n");
  PutString(t, "e", "v", t.now_ms() + 5);
  t.AdvanceTime(5);
  CHECK(t.Run({"TYPE", "e"}) == "+none\r\n");
}

TEST_CASE("RENAME") {
  CommandTester t;
  PutString(t, "mykey", "hello");
  CHECK(t.Run({"RENAME", "mykey", "mykey1"}) == kOk);
  CHECK(GetString(t, "mykey1") == "hello");
  CHECK(GetString(t, "mykey") == "(nil)");
  CHECK(t.Run({"EXISTS", "mykey"}) == Int(0));

  SECTION("overwrites the destination") {
    PutString(t, "mykey2", "foo");
    CHECK(t.Run({"RENAME", "mykey1", "mykey2"}) == kOk);
    CHECK(GetString(t, "mykey2") == "hello");
    CHECK(t.Run({"DBSIZE"}) == Int(1));
  }
  SECTION("missing source") {
    CHECK(t.Run({"RENAME", "nokey", "foobar"}) == Err("ERR no such key"));
    CHECK(t.Run({"RENAMENX", "nokey", "foobar"}) == Err("ERR no such key"));
  }
  SECTION("same key") {
    CHECK(t.Run({"RENAME", "mykey1", "mykey1"}) == kOk);
    CHECK(t.Run({"RENAMENX", "mykey1", "mykey1"}) == Int(0));
    CHECK(GetString(t, "mykey1") == "hello");
    CHECK(t.Run({"RENAME", "nokey", "nokey"}) == Err("ERR no such key"));
    CHECK(t.Run({"RENAMENX", "nokey", "nokey"}) == Err("ERR no such key"));
  }
  SECTION("expired source is missing") {
    PutString(t, "old", "v", t.now_ms() + 10);
    t.AdvanceTime(10);
    CHECK(t.Run({"RENAME", "old", "new"}) == Err("ERR no such key"));
  }
}

TEST_CASE("RENAMENX") {
  CommandTester t;
  PutString(t, "a", "1");
  PutString(t, "b", "2");
  CHECK(t.Run({"RENAMENX", "a", "b"}) == Int(0));
  CHECK(GetString(t, "a") == "1");
  CHECK(GetString(t, "b") == "2");
  CHECK(t.Run({"RENAMENX", "a", "c"}) == Int(1));
  CHECK(GetString(t, "c") == "1");
  CHECK(GetString(t, "a") == "(nil)");
  // An expired destination does not block the rename.
  PutString(t, "d", "old", t.now_ms() + 10);
  t.AdvanceTime(10);
  CHECK(t.Run({"RENAMENX", "c", "d"}) == Int(1));
  CHECK(GetString(t, "d") == "1");
}

TEST_CASE("RENAME moves the TTL and drops the target's") {
  CommandTester t;
  PutString(t, "mykey", "foo", t.now_ms() + 100000);
  CHECK(t.Run({"RENAME", "mykey", "mykey2"}) == kOk);
  CHECK(t.Run({"TTL", "mykey2"}) == Int(100));
  CHECK(t.Run({"PEXPIRETIME", "mykey2"}) == Int(t.now_ms() + 100000));

  PutString(t, "src", "bar");
  CHECK(t.Run({"RENAME", "src", "mykey2"}) == kOk);
  CHECK(t.Run({"TTL", "mykey2"}) == Int(-1));
}

TEST_CASE("COPY") {
  CommandTester t(Overrides{{"databases", "4"}});
  PutString(t, "mykey", "foobar", kNoExpiry);

  SECTION("basic, independent copy") {
    CHECK(t.Run({"COPY", "mykey", "mynewkey"}) == Int(1));
    CHECK(GetString(t, "mynewkey") == "foobar");
    CHECK(t.Run({"DEL", "mykey"}) == Int(1));
    CHECK(GetString(t, "mynewkey") == "foobar");
    CHECK(t.Run({"TTL", "mynewkey"}) == Int(-1));
  }
  SECTION("does not replace without REPLACE") {
    PutString(t, "other", "x");
    CHECK(t.Run({"COPY", "mykey", "other"}) == Int(0));
    CHECK(GetString(t, "other") == "x");
    CHECK(t.Run({"COPY", "mykey", "other", "REPLACE"}) == Int(1));
    CHECK(GetString(t, "other") == "foobar");
    CHECK(t.Run({"copy", "mykey", "other", "replace", "replace"}) == Int(1));
  }
  SECTION("to another DB") {
    CHECK(t.Run({"COPY", "mykey", "mykey", "DB", "2"}) == Int(1));
    CHECK(GetString(t, "mykey", 2) == "foobar");
    CHECK(GetString(t, "mykey", 0) == "foobar");
    CHECK(t.Run({"COPY", "mykey", "mykey", "DB", "2"}) == Int(0));
    CHECK(t.Run({"COPY", "mykey", "mykey", "REPLACE", "DB", "2"}) == Int(1));
    CHECK(t.Run({"COPY", "mykey", "x", "db", "3", "replace"}) == Int(1));
    CHECK(GetString(t, "x", 3) == "foobar");
  }
  SECTION("errors") {
    CHECK(t.Run({"COPY", "mykey", "mykey"}) == kSame);
    CHECK(t.Run({"COPY", "mykey", "mykey", "DB", "0"}) == kSame);
    CHECK(t.Run({"COPY", "mykey", "n", "DB", "notanint"}) == kNotInt);
    CHECK(t.Run({"COPY", "mykey", "n", "DB", "4"}) == kDbRange);
    CHECK(t.Run({"COPY", "mykey", "n", "DB", "-1"}) == kDbRange);
    CHECK(t.Run({"COPY", "mykey", "n", "DB", "4294967296"}) == kIntRange);
    CHECK(t.Run({"COPY", "mykey", "n", "DB"}) == kSyntax);
    CHECK(t.Run({"COPY", "mykey", "n", "FOO"}) == kSyntax);
    CHECK(t.Run({"COPY", "mykey"}) == Err("ERR wrong number of arguments for 'copy' command"));
    // Options are checked before the same-object test and the lookup.
    CHECK(t.Run({"COPY", "nokey", "nokey", "DB", "9"}) == kDbRange);
    CHECK(t.Run({"COPY", "nokey", "n"}) == Int(0));
  }
  SECTION("copies the expiry, and only if there is one") {
    PutString(t, "v", "1", t.now_ms() + 5000);
    CHECK(t.Run({"COPY", "v", "v2"}) == Int(1));
    CHECK(t.Run({"PTTL", "v2"}) == Int(5000));
    CHECK(t.Run({"COPY", "mykey", "p"}) == Int(1));
    CHECK(t.Run({"TTL", "p"}) == Int(-1));
    t.AdvanceTime(5000);
    CHECK(t.Run({"EXISTS", "v", "v2"}) == Int(0));
  }
}

TEST_CASE("MOVE") {
  CommandTester t(Overrides{{"databases", "4"}});
  PutString(t, "mykey", "foobar");
  CHECK(t.Run({"MOVE", "mykey", "1"}) == Int(1));
  CHECK(GetString(t, "mykey", 0) == "(nil)");
  CHECK(GetString(t, "mykey", 1) == "foobar");
  CHECK(t.Run({"MOVE", "mykey", "1"}) == Int(0));  // no longer in DB 0

  PutString(t, "mykey", "here");
  CHECK(t.Run({"MOVE", "mykey", "1"}) == Int(0));  // exists in the target
  CHECK(GetString(t, "mykey", 0) == "here");
  CHECK(GetString(t, "mykey", 1) == "foobar");

  CHECK(t.Run({"MOVE", "mykey", "notanint"}) == kNotInt);
  CHECK(t.Run({"MOVE", "mykey", "0"}) == kSame);
  CHECK(t.Run({"MOVE", "mykey", "4"}) == kDbRange);
  CHECK(t.Run({"MOVE", "mykey", "-1"}) == kDbRange);
  CHECK(t.Run({"MOVE", "mykey", "99999999999"}) == kIntRange);
  CHECK(t.Run({"MOVE", "nokey", "2"}) == Int(0));

  // The expiry moves with the key, and a persistent key stays persistent.
  PutString(t, "vol", "x", t.now_ms() + 100000);
  CHECK(t.Run({"MOVE", "vol", "2"}) == Int(1));
  CHECK(t.Run({"SELECT", "2"}) == kOk);
  CHECK(t.Run({"TTL", "vol"}) == Int(100));
  CHECK(t.Run({"MOVE", "vol", "3"}) == Int(1));
  CHECK(t.Run({"SELECT", "0"}) == kOk);
  CHECK(t.Run({"MOVE", "mykey", "3"}) == Int(1));
  CHECK(t.Run({"SELECT", "3"}) == kOk);
  CHECK(t.Run({"TTL", "mykey"}) == Int(-1));
  CHECK(t.Run({"TTL", "vol"}) == Int(100));
}

TEST_CASE("SELECT") {
  CommandTester t(Overrides{{"databases", "4"}});
  PutString(t, "a", "db0", kNoExpiry, 0);
  PutString(t, "a", "db3", kNoExpiry, 3);
  CHECK(t.Run({"SELECT", "3"}) == kOk);
  CHECK(t.client().db == 3);
  CHECK(t.Run({"DBSIZE"}) == Int(1));
  CHECK(t.Run({"DEL", "a"}) == Int(1));
  CHECK(GetString(t, "a", 0) == "db0");
  CHECK(t.Run({"SELECT", "4"}) == kDbRange);
  CHECK(t.Run({"SELECT", "-1"}) == kDbRange);
  CHECK(t.Run({"SELECT", "x"}) == kNotInt);
  CHECK(t.Run({"SELECT", "2147483648"}) == kIntRange);
  CHECK(t.Run({"SELECT", "-2147483649"}) == kIntRange);
  CHECK(t.Run({"SELECT", " 1"}) == kNotInt);
  CHECK(t.client().db == 3);
  CHECK(t.Run({"SELECT"}) == Err("ERR wrong number of arguments for 'select' command"));
}

TEST_CASE("SWAPDB") {
  CommandTester t(Overrides{{"databases", "4"}});
  PutString(t, "k", "zero", kNoExpiry, 0);
  PutString(t, "k", "one", t.now_ms() + 7000, 1);
  PutString(t, "only1", "x", kNoExpiry, 1);
  CHECK(t.Run({"SWAPDB", "0", "1"}) == kOk);
  CHECK(GetString(t, "k", 0) == "one");
  CHECK(GetString(t, "k", 1) == "zero");
  CHECK(t.Run({"DBSIZE"}) == Int(2));
  CHECK(t.Run({"PTTL", "k"}) == Int(7000));  // the expiry went along
  CHECK(t.Run({"SWAPDB", "1", "1"}) == kOk);
  CHECK(GetString(t, "k", 1) == "zero");
  CHECK(t.Run({"SWAPDB", "x", "1"}) == Err("ERR invalid first DB index"));
  CHECK(t.Run({"SWAPDB", "99999999999", "1"}) == Err("ERR invalid first DB index"));
  CHECK(t.Run({"SWAPDB", "1", "y"}) == Err("ERR invalid second DB index"));
  CHECK(t.Run({"SWAPDB", "0", "4"}) == kDbRange);
  CHECK(t.Run({"SWAPDB", "-1", "0"}) == kDbRange);
  CHECK(t.Run({"SWAPDB", "0"}) == Err("ERR wrong number of arguments for 'swapdb' command"));
  // Expiry keeps working in the swapped DB.
  t.AdvanceTime(7000);
  CHECK(t.Run({"EXISTS", "k"}) == Int(0));
  CHECK(t.Run({"DBSIZE"}) == Int(1));
}

TEST_CASE("FLUSHDB empties one DB, FLUSHALL every DB") {
  CommandTester t(Overrides{{"databases", "4"}});
  for (int db = 0; db < 4; ++db) {
    for (int i = 0; i < 50; ++i) {
      PutString(t, "k" + std::to_string(i), "v", i % 2 ? t.now_ms() + 1000 : kNoExpiry, db);
    }
  }
  CHECK(t.Run({"SELECT", "2"}) == kOk);
  CHECK(t.Run({"FLUSHDB"}) == kOk);
  CHECK(t.Run({"DBSIZE"}) == Int(0));
  CHECK(StoredKeys(t, 1) == 50);
  CHECK(StoredKeys(t, 3) == 50);
  CHECK(t.Run({"FLUSHDB", "ASYNC"}) == kOk);
  CHECK(t.Run({"flushdb", "sync"}) == kOk);
  CHECK(t.Run({"FLUSHDB", "LAZY"}) == kSyntax);
  CHECK(t.Run({"FLUSHDB", "SYNC", "ASYNC"}) == kSyntax);
  CHECK(t.Run({"FLUSHALL", "bogus"}) == kSyntax);
  CHECK(StoredKeys(t, 1) == 50);

  // The DB still works after a flush: keys and expiries.
  PutString(t, "new", "v", t.now_ms() + 10, 2);
  CHECK(t.Run({"DBSIZE"}) == Int(1));
  t.AdvanceTime(10);
  CHECK(t.Run({"EXISTS", "new"}) == Int(0));

  CHECK(t.Run({"FLUSHALL", "ASYNC"}) == kOk);
  for (int db = 0; db < 4; ++db) CHECK(StoredKeys(t, db) == 0);
  CHECK(t.Run({"FLUSHALL"}) == kOk);
  CHECK(t.Run({"FLUSHALL", "SYNC"}) == kOk);
}

TEST_CASE("EXPIRE, TTL and lazy expiry with the fake clock") {
  CommandTester t;
  PutString(t, "x", "foobar");
  CHECK(t.Run({"EXPIRE", "x", "5"}) == Int(1));
  CHECK(t.Run({"TTL", "x"}) == Int(5));
  CHECK(t.Run({"EXPIRE", "x", "10"}) == Int(1));
  CHECK(t.Run({"TTL", "x"}) == Int(10));
  CHECK(t.Run({"EXPIRE", "x", "2"}) == Int(1));
  t.AdvanceTime(1999);
  CHECK(GetString(t, "x") == "foobar");
  CHECK(t.Run({"PTTL", "x"}) == Int(1));
  CHECK(t.Run({"TTL", "x"}) == Int(0));  // 1 ms rounds to 0 s
  t.AdvanceTime(1);
  CHECK(t.Run({"EXISTS", "x"}) == Int(0));
  CHECK(t.Run({"TTL", "x"}) == Int(-2));
  CHECK(t.Run({"EXPIRE", "x", "10"}) == Int(0));  // no resurrection
  CHECK(StoredKeys(t) == 0);
}

TEST_CASE("TTL rounds to the nearest second") {
  CommandTester t;
  PutString(t, "k", "v", t.now_ms() + 1499);
  CHECK(t.Run({"TTL", "k"}) == Int(1));
  PutString(t, "k", "v", t.now_ms() + 1500);
  CHECK(t.Run({"TTL", "k"}) == Int(2));
  CHECK(t.Run({"PTTL", "k"}) == Int(1500));
}

TEST_CASE("PEXPIRE, EXPIREAT, PEXPIREAT, EXPIRETIME, PEXPIRETIME") {
  CommandTester t;
  const int64_t now = t.now_ms();
  PutString(t, "k", "v");
  CHECK(t.Run({"PEXPIRE", "k", "1500"}) == Int(1));
  CHECK(t.Run({"PTTL", "k"}) == Int(1500));
  CHECK(t.Run({"PEXPIRETIME", "k"}) == Int(now + 1500));
  CHECK(t.Run({"EXPIRETIME", "k"}) == Int((now + 1500 + 500) / 1000));

  const int64_t at_s = now / 1000 + 100;
  CHECK(t.Run({"EXPIREAT", "k", std::to_string(at_s)}) == Int(1));
  CHECK(t.Run({"EXPIRETIME", "k"}) == Int(at_s));
  CHECK(t.Run({"PEXPIRETIME", "k"}) == Int(at_s * 1000));

  CHECK(t.Run({"PEXPIREAT", "k", std::to_string(now + 2345)}) == Int(1));
  CHECK(t.Run({"PEXPIRETIME", "k"}) == Int(now + 2345));
  CHECK(t.Run({"PTTL", "k"}) == Int(2345));

  PutString(t, "p", "v");
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    CHECK(t.Run({cmd, "p"}) == Int(-1));
    CHECK(t.Run({cmd, "missing"}) == Int(-2));
  }
}

TEST_CASE("EXPIRE with a time in the past deletes the key and returns 1") {
  CommandTester t;
  PutString(t, "a", "v");
  CHECK(t.Run({"EXPIRE", "a", "-10"}) == Int(1));
  CHECK(t.Run({"EXISTS", "a"}) == Int(0));
  PutString(t, "b", "v");
  CHECK(t.Run({"PEXPIRE", "b", "0"}) == Int(1));
  CHECK(t.Run({"EXISTS", "b"}) == Int(0));
  PutString(t, "c", "v");
  CHECK(t.Run({"PEXPIREAT", "c", std::to_string(t.now_ms())}) == Int(1));
  CHECK(t.Run({"EXISTS", "c"}) == Int(0));
  PutString(t, "d", "v");
  CHECK(t.Run({"EXPIREAT", "d", "1"}) == Int(1));
  CHECK(t.Run({"TTL", "d"}) == Int(-2));
  PutString(t, "e", "v");
  CHECK(t.Run({"PEXPIREAT", "e", "-9223372036854770000"}) == Int(1));
  CHECK(t.Run({"TTL", "e"}) == Int(-2));
  CHECK(StoredKeys(t) == 0);
}

TEST_CASE("EXPIRE overflow checks") {
  CommandTester t;
  PutString(t, "foo", "bar");
  const std::string expire_err = Err("ERR invalid expire time in 'expire' command");
  CHECK(t.Run({"EXPIRE", "foo", "9223370399119966"}) == expire_err);  // + now overflows
  CHECK(t.Run({"EXPIRE", "foo", "9223372036854776"}) == expire_err);  // * 1000 overflows
  CHECK(t.Run({"EXPIRE", "foo", "10000000000000000"}) == expire_err);
  CHECK(t.Run({"EXPIRE", "foo", "18446744073709561"}) == expire_err);
  CHECK(t.Run({"EXPIRE", "foo", "-9223372036854776"}) == expire_err);
  CHECK(t.Run({"EXPIRE", "foo", "-9999999999999999"}) == expire_err);
  CHECK(t.Run({"EXPIREAT", "foo", "9223372036854776"}) ==
        Err("ERR invalid expire time in 'expireat' command"));
  CHECK(t.Run({"PEXPIRE", "foo", "9223372036854770000"}) ==
        Err("ERR invalid expire time in 'pexpire' command"));
  CHECK(t.Run({"TTL", "foo"}) == Int(-1));
  // The overflow is reported even for a missing key.
  CHECK(t.Run({"EXPIRE", "nokey", "9223372036854776"}) == expire_err);

  CHECK(t.Run({"PEXPIREAT", "foo", "9223372036854770000"}) == Int(1));
  CHECK(t.Run({"PEXPIRETIME", "foo"}) == Int(9223372036854770000));
  CHECK(t.Run({"EXPIRE", "foo", ""}) == kNotInt);
  CHECK(t.Run({"EXPIRE", "foo", "1.5"}) == kNotInt);
  CHECK(t.Run({"EXPIRE", "foo", "9223372036854775808"}) == kNotInt);
  CHECK(t.Run({"EXPIRE", "foo"}) == Err("ERR wrong number of arguments for 'expire' command"));
}

TEST_CASE("EXPIRE NX XX GT LT") {
  CommandTester t;
  auto set_ttl = [&](int64_t seconds) {
    PutString(t, "foo", "bar", seconds < 0 ? kNoExpiry : t.now_ms() + seconds * 1000);
  };
  set_ttl(100);
  CHECK(t.Run({"EXPIRE", "foo", "200", "NX"}) == Int(0));
  CHECK(t.Run({"TTL", "foo"}) == Int(100));
  set_ttl(-1);
  CHECK(t.Run({"EXPIRE", "foo", "200", "nx"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(200));

  set_ttl(100);
  CHECK(t.Run({"EXPIRE", "foo", "200", "XX"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(200));
  set_ttl(-1);
  CHECK(t.Run({"EXPIRE", "foo", "200", "XX"}) == Int(0));
  CHECK(t.Run({"TTL", "foo"}) == Int(-1));

  set_ttl(100);
  CHECK(t.Run({"EXPIRE", "foo", "200", "GT"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(200));
  set_ttl(200);
  CHECK(t.Run({"EXPIRE", "foo", "100", "GT"}) == Int(0));
  CHECK(t.Run({"EXPIRE", "foo", "200", "GT"}) == Int(0));  // equal is not greater
  CHECK(t.Run({"TTL", "foo"}) == Int(200));
  set_ttl(-1);
  CHECK(t.Run({"EXPIRE", "foo", "200", "GT"}) == Int(0));  // persistent = infinite TTL
  CHECK(t.Run({"TTL", "foo"}) == Int(-1));

  set_ttl(200);
  CHECK(t.Run({"EXPIRE", "foo", "100", "LT"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(100));
  set_ttl(100);
  CHECK(t.Run({"EXPIRE", "foo", "200", "LT"}) == Int(0));
  CHECK(t.Run({"EXPIRE", "foo", "100", "LT"}) == Int(0));
  CHECK(t.Run({"TTL", "foo"}) == Int(100));
  set_ttl(-1);
  CHECK(t.Run({"EXPIRE", "foo", "100", "LT"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(100));

  set_ttl(200);
  CHECK(t.Run({"EXPIRE", "foo", "100", "LT", "XX"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(100));
  set_ttl(-1);
  CHECK(t.Run({"EXPIRE", "foo", "200", "LT", "XX"}) == Int(0));
  CHECK(t.Run({"TTL", "foo"}) == Int(-1));
  CHECK(t.Run({"EXPIRE", "foo", "200", "GT", "XX"}) == Int(0));
  CHECK(t.Run({"PEXPIRE", "foo", "200", "XX", "XX"}) == Int(0));

  // A past time passes LT and deletes the key, volatile or not.
  set_ttl(100);
  CHECK(t.Run({"EXPIRE", "foo", "-10", "LT"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(-2));
  set_ttl(-1);
  CHECK(t.Run({"EXPIRE", "foo", "-10", "LT"}) == Int(1));
  CHECK(t.Run({"TTL", "foo"}) == Int(-2));

  for (const char* opt : {"NX", "XX", "GT", "LT"}) {
    CHECK(t.Run({"EXPIRE", "none", "100", opt}) == Int(0));
  }
}

TEST_CASE("EXPIRE option errors") {
  CommandTester t;
  PutString(t, "foo", "bar");
  const std::string nx_err =
      Err("ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(t.Run({"EXPIRE", "foo", "200", "LT", "GT"}) ==
        Err("ERR GT and LT options at the same time are not compatible"));
  CHECK(t.Run({"EXPIRE", "foo", "200", "NX", "GT"}) == nx_err);
  CHECK(t.Run({"EXPIRE", "foo", "200", "NX", "LT"}) == nx_err);
  CHECK(t.Run({"EXPIRE", "foo", "200", "NX", "XX"}) == nx_err);
  CHECK(t.Run({"PEXPIREAT", "foo", "200", "XX", "NX"}) == nx_err);
  // NX with GT and LT reports the NX conflict first.
  CHECK(t.Run({"EXPIRE", "foo", "200", "GT", "LT", "NX"}) == nx_err);
  CHECK(t.Run({"EXPIRE", "foo", "200", "AB"}) == Err("ERR Unsupported option AB"));
  CHECK(t.Run({"EXPIRE", "foo", "200", "XX", "AB"}) == Err("ERR Unsupported option AB"));
  // Options are checked before the time.
  CHECK(t.Run({"EXPIRE", "foo", "bad", "AB"}) == Err("ERR Unsupported option AB"));
  CHECK(t.Run({"EXPIRE", "foo", "bad", "NX"}) == kNotInt);
  CHECK(t.Run({"TTL", "foo"}) == Int(-1));
}

TEST_CASE("PERSIST") {
  CommandTester t;
  PutString(t, "x", "foo", t.now_ms() + 50000);
  CHECK(t.Run({"PERSIST", "x"}) == Int(1));
  CHECK(t.Run({"TTL", "x"}) == Int(-1));
  CHECK(GetString(t, "x") == "foo");
  CHECK(t.Run({"PERSIST", "x"}) == Int(0));
  CHECK(t.Run({"PERSIST", "nokey"}) == Int(0));
  t.AdvanceTime(60000);
  CHECK(t.Run({"EXISTS", "x"}) == Int(1));
  PutString(t, "gone", "v", t.now_ms() + 1);
  t.AdvanceTime(1);
  CHECK(t.Run({"PERSIST", "gone"}) == Int(0));
}

TEST_CASE("OBJECT ENCODING and REFCOUNT") {
  CommandTester t;
  PutString(t, "small", "100");
  PutString(t, "big", "10000");
  PutString(t, "neg", "-1");
  PutString(t, "embstr", "hello");
  PutString(t, "raw", std::string(45, 'x'));
  PutString(t, "lead0", "0100");
  CHECK(t.Run({"OBJECT", "ENCODING", "small"}) == Bulk("int"));
  CHECK(t.Run({"OBJECT", "ENCODING", "big"}) == Bulk("int"));
  CHECK(t.Run({"OBJECT", "ENCODING", "embstr"}) == Bulk("embstr"));
  CHECK(t.Run({"object", "encoding", "raw"}) == Bulk("raw"));
  CHECK(t.Run({"OBJECT", "ENCODING", "lead0"}) == Bulk("embstr"));
  CHECK(t.Run({"OBJECT", "ENCODING", "nokey"}) == kNil);

  CHECK(t.Run({"OBJECT", "REFCOUNT", "small"}) == Int(2147483647));
  CHECK(t.Run({"OBJECT", "REFCOUNT", "big"}) == Int(1));
  CHECK(t.Run({"OBJECT", "REFCOUNT", "neg"}) == Int(1));
  CHECK(t.Run({"OBJECT", "REFCOUNT", "embstr"}) == Int(1));
  CHECK(t.Run({"OBJECT", "REFCOUNT", "nokey"}) == kNil);

  t.set_protocol(3);
  CHECK(t.Run({"OBJECT", "ENCODING", "nokey"}) == kNil3);
  CHECK(t.Run({"OBJECT", "REFCOUNT", "nokey"}) == kNil3);
  CHECK(t.Run({"OBJECT", "IDLETIME", "nokey"}) == kNil3);
  CHECK(t.Run({"OBJECT", "FREQ", "nokey"}) == kNil3);
}

TEST_CASE("OBJECT IDLETIME follows accesses, not inspections") {
  CommandTester t;
  PutString(t, "k", "v");
  CHECK(t.Run({"OBJECT", "IDLETIME", "k"}) == Int(0));
  t.AdvanceTime(3000);
  CHECK(t.Run({"OBJECT", "IDLETIME", "k"}) == Int(3));
  // EXISTS, TYPE, TTL and OBJECT itself do not count as accesses.
  t.Run({"EXISTS", "k"});
  t.Run({"TYPE", "k"});
  t.Run({"TTL", "k"});
  CHECK(t.Run({"OBJECT", "IDLETIME", "k"}) == Int(3));
  CHECK(t.Run({"TOUCH", "k"}) == Int(1));
  CHECK(t.Run({"OBJECT", "IDLETIME", "k"}) == Int(0));
  t.AdvanceTime(2000);
  CHECK(t.Run({"OBJECT", "IDLETIME", "k"}) == Int(2));
  // RENAME keeps the value's access time; COPY makes a new value.
  CHECK(t.Run({"RENAME", "k", "k2"}) == kOk);
  t.AdvanceTime(1000);
  CHECK(t.Run({"COPY", "k2", "k3"}) == Int(1));
  CHECK(t.Run({"OBJECT", "IDLETIME", "k3"}) == Int(0));
  CHECK(t.Run({"OBJECT", "IDLETIME", "nokey"}) == kNil);
}

TEST_CASE("OBJECT FREQ, HELP and errors") {
  CommandTester t;
  PutString(t, "k", "v");
  CHECK(t.Run({"OBJECT", "FREQ", "k"}) ==
        Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust."));
  CHECK(t.Run({"OBJECT", "FREQ", "nokey"}) == kNil);

  std::string help = t.Run({"object", "help"});
  CHECK(help.rfind("*11\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
                   0) == 0);
  CHECK(help.find("+ENCODING <key>\r\n") != std::string::npos);
  CHECK(help.find("+REFCOUNT <key>\r\n") != std::string::npos);
  CHECK(help.size() >= 30);
  CHECK(help.substr(help.size() - 30) == "+HELP\r\n+    Print this help.\r\n");

  CHECK(t.Run({"OBJECT", "FOO", "k"}) == Err("ERR unknown subcommand 'FOO'. Try OBJECT HELP."));
  CHECK(t.Run({"OBJECT"}) == Err("ERR wrong number of arguments for 'object' command"));
  CHECK(t.Run({"OBJECT", "ENCODING"}) ==
        Err("ERR wrong number of arguments for 'object|encoding' command"));
  CHECK(t.Run({"OBJECT", "HELP", "x"}) ==
        Err("ERR wrong number of arguments for 'object|help' command"));
}

TEST_CASE("Keys family command table entries") {
  CommandTester t;
  const CommandTable& table = t.server().commands();
  const CommandSpec* del = table.Find("DEL");
  REQUIRE(del != nullptr);
  CHECK(del->arity == -2);
  CHECK(del->flags == kWrite);
  CHECK(del->keys.first == 1);
  CHECK(del->keys.last == -1);
  CHECK(del->group == "generic");
  const CommandSpec* scan = table.Find("scan");
  REQUIRE(scan != nullptr);
  CHECK((scan->flags & kAllShards) != 0);
  CHECK(scan->keys.first == 0);
  const CommandSpec* select = table.Find("select");
  REQUIRE(select != nullptr);
  CHECK(select->group == "connection");
  CHECK(select->acl == (kAclConnection | kAclFast));
  const CommandSpec* flushall = table.Find("flushall");
  REQUIRE(flushall != nullptr);
  CHECK(flushall->group == "server");
  CHECK((flushall->acl & kAclDangerous) != 0);
  const CommandSpec* object = table.Find("object");
  REQUIRE(object != nullptr);
  const CommandSpec* enc = CommandTable::FindSub(*object, "ENCODING");
  REQUIRE(enc != nullptr);
  CHECK(enc->keys.first == 2);
  CHECK(enc->full_name == "object|encoding");
  for (const char* name :
       {"del",     "unlink",   "exists",    "type",      "rename",  "renamenx",   "copy",
        "move",    "keys",     "scan",      "randomkey", "dbsize",  "touch",      "expire",
        "pexpire", "expireat", "pexpireat", "ttl",       "pttl",    "expiretime", "pexpiretime",
        "persist", "object",   "select",    "swapdb",    "flushdb", "flushall"}) {
    const CommandSpec* spec = table.Find(name);
    REQUIRE(spec != nullptr);
    CHECK(!spec->summary.empty());
    CHECK(!spec->since.empty());
    CHECK(!spec->complexity.empty());
  }
}

TEST_CASE("Keys commands with values written by the string family") {
  CommandTester t(Overrides{{"databases", "2"}});
  CHECK(t.Run({"SET", "mykey", "foobar", "EX", "100"}) == kOk);
  CHECK(t.Run({"COPY", "mykey", "copy"}) == Int(1));
  CHECK(t.Run({"APPEND", "mykey", "baz"}) == Int(9));
  CHECK(t.Run({"GET", "copy"}) == Bulk("foobar"));  // the copy is independent
  CHECK(t.Run({"TTL", "copy"}) == Int(100));
  CHECK(t.Run({"RENAME", "copy", "renamed"}) == kOk);
  CHECK(t.Run({"GET", "renamed"}) == Bulk("foobar"));
  CHECK(t.Run({"TTL", "renamed"}) == Int(100));
  CHECK(t.Run({"SET", "renamed", "x"}) == kOk);  // SET clears the expiry
  CHECK(t.Run({"TTL", "renamed"}) == Int(-1));
  CHECK(t.Run({"MOVE", "renamed", "1"}) == Int(1));
  CHECK(t.Run({"SELECT", "1"}) == kOk);
  CHECK(t.Run({"GET", "renamed"}) == Bulk("x"));
  CHECK(t.Run({"SET", "n", "42"}) == kOk);
  CHECK(t.Run({"OBJECT", "ENCODING", "n"}) == Bulk("int"));
  CHECK(t.Run({"OBJECT", "REFCOUNT", "n"}) == Int(2147483647));
  CHECK(t.Run({"PEXPIRE", "n", "10"}) == Int(1));
  t.AdvanceTime(10);
  CHECK(t.Run({"GET", "n"}) == kNil);
  CHECK(t.Run({"SWAPDB", "0", "1"}) == kOk);
  CHECK(t.Run({"GET", "mykey"}) == Bulk("foobarbaz"));  // DB 1 now holds DB 0's data
  CHECK(t.Run({"FLUSHALL"}) == kOk);
  CHECK(t.Run({"GET", "mykey"}) == kNil);
}
