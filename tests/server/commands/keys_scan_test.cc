// Command tests of the whole-keyspace commands (KEYS, SCAN, RANDOMKEY, DBSIZE) and of the
// active expiry cycle.
#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "server/expire_cycle.h"
#include "server/keyspace_ops.h"
#include "tests/server/commands/keys_test_util.h"

using namespace tessera::server;
using namespace tessera::server::testing;
using tessera::keyspace::kNoExpiry;

namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void Populate(CommandTester& t, int n, const std::string& prefix = "key:", int db = 0) {
  for (int i = 0; i < n; ++i) PutString(t, prefix + std::to_string(i), "v", kNoExpiry, db);
}

// Runs a whole SCAN iteration with the given options; returns how often each key came back.
std::map<std::string, int> ScanAll(CommandTester& t, std::vector<std::string> options,
                                   size_t* calls = nullptr) {
  std::map<std::string, int> seen;
  uint64_t cursor = 0;
  size_t n = 0;
  do {
    std::vector<std::string> cmd = {"SCAN", std::to_string(cursor)};
    cmd.insert(cmd.end(), options.begin(), options.end());
    ScanReply r = ParseScan(t.Run(cmd));
    for (const std::string& k : r.keys) ++seen[k];
    cursor = r.cursor;
    REQUIRE(++n < 1000000);
  } while (cursor != 0);
  if (calls != nullptr) *calls = n;
  return seen;
}

}  // namespace

TEST_CASE("KEYS with patterns") {
  CommandTester t;
  for (const char* k : {"key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c"})
    PutString(t, k, "hello");
  CHECK(Sorted(Flatten(t.Run({"KEYS", "foo*"}))) ==
        std::vector<std::string>{"foo_a", "foo_b", "foo_c"});
  CHECK(Flatten(t.Run({"KEYS", "*"})).size() == 6);
  CHECK(Sorted(Flatten(t.Run({"KEYS", "key_[xy]"}))) == std::vector<std::string>{"key_x", "key_y"});
  CHECK(t.Run({"KEYS", "nomatch*"}) == "*0\r\n");
  CHECK(t.Run({"KEYS", "foo_a"}) == "*1\r\n" + Bulk("foo_a"));

  // Expired keys are not listed.
  PutString(t, "foo_gone", "v", t.now_ms() + 10);
  CHECK(Flatten(t.Run({"KEYS", "foo*"})).size() == 4);
  t.AdvanceTime(10);
  CHECK(Flatten(t.Run({"KEYS", "foo*"})).size() == 3);
  CHECK(t.Run({"KEYS"}) == Err("ERR wrong number of arguments for 'keys' command"));
}

TEST_CASE("KEYS with a pathological pattern finishes") {
  CommandTester t;
  PutString(t, std::string(40, 'a'), "1");
  CHECK(t.Run({"KEYS", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"}) == "*0\r\n");
  PutString(t, "dlskeriewrioeuwqoirueioqwrueoqwrueqw", "test");
  CHECK(t.Run({"KEYS", "dl*"}) == "*1\r\n" + Bulk("dlskeriewrioeuwqoirueioqwrueoqwrueqw"));
  CHECK(t.Run({"KEYS", "dl*"}) == "*1\r\n" + Bulk("dlskeriewrioeuwqoirueioqwrueoqwrueqw"));
}

TEST_CASE("DBSIZE") {
  CommandTester t(Overrides{{"databases", "2"}});
  CHECK(t.Run({"DBSIZE"}) == Int(0));
  Populate(t, 300);
  Populate(t, 7, "other:", 1);
  CHECK(t.Run({"DBSIZE"}) == Int(300));
  CHECK(t.Run({"SELECT", "1"}) == kOk);
  CHECK(t.Run({"DBSIZE"}) == Int(7));
  CHECK(t.Run({"DBSIZE", "x"}) == Err("ERR wrong number of arguments for 'dbsize' command"));
}

TEST_CASE("SCAN basic, COUNT, MATCH") {
  CommandTester t;
  Populate(t, 1000);
  for (std::vector<std::string> options :
       {std::vector<std::string>{}, {"COUNT", "5"}, {"count", "1"}, {"COUNT", "100000"}}) {
    std::map<std::string, int> seen = ScanAll(t, options);
    CHECK(seen.size() == 1000);
    for (const auto& [k, n] : seen) CHECK(n == 1);  // stable tables: no repeats at all
  }
  std::map<std::string, int> matched = ScanAll(t, {"MATCH", "key:1??"});
  CHECK(matched.size() == 100);
  for (const auto& [k, n] : matched) CHECK(k.rfind("key:1", 0) == 0);
  CHECK(ScanAll(t, {"MATCH", "*"}).size() == 1000);
  CHECK(ScanAll(t, {"MATCH", ""}).empty());  // "" matches only the empty name
  PutString(t, "", "empty");
  CHECK(ScanAll(t, {"MATCH", ""}).size() == 1);
}

TEST_CASE("SCAN TYPE") {
  CommandTester t;
  Populate(t, 1000);
  CHECK(ScanAll(t, {"TYPE", "list"}).empty());
  CHECK(ScanAll(t, {"TYPE", "string"}).size() == 1000);
  CHECK(ScanAll(t, {"type", "STRING", "match", "key:*", "count", "10"}).size() == 1000);
  // Redis 7.2: an unknown type name is no error, it matches nothing.
  CHECK(ScanAll(t, {"TYPE", "string1"}).empty());
}

TEST_CASE("SCAN argument errors") {
  CommandTester t;
  Populate(t, 10);
  const std::string bad_cursor = Err("ERR invalid cursor");
  CHECK(t.Run({"SCAN", "abc"}) == bad_cursor);
  CHECK(t.Run({"SCAN", "1x"}) == bad_cursor);
  CHECK(t.Run({"SCAN", " 1"}) == bad_cursor);
  CHECK(t.Run({"SCAN", "18446744073709551616"}) == bad_cursor);
  CHECK(t.Run({"SCAN", "0", "COUNT", "0"}) == Err("ERR syntax error"));
  CHECK(t.Run({"SCAN", "0", "COUNT", "-1"}) == Err("ERR syntax error"));
  CHECK(t.Run({"SCAN", "0", "COUNT", "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(t.Run({"SCAN", "0", "COUNT"}) == Err("ERR syntax error"));
  CHECK(t.Run({"SCAN", "0", "MATCH"}) == Err("ERR syntax error"));
  CHECK(t.Run({"SCAN", "0", "TYPE"}) == Err("ERR syntax error"));
  CHECK(t.Run({"SCAN", "0", "FOO", "bar"}) == Err("ERR syntax error"));
  CHECK(t.Run({"SCAN"}) == Err("ERR wrong number of arguments for 'scan' command"));
  // Cursors are read like strtoul: the empty string is 0, a huge count is fine, and any
  // cursor is accepted (at worst it repeats or ends early).
  CHECK(t.Run({"SCAN", ""}).rfind("*2\r\n", 0) == 0);
  CHECK(ParseScan(t.Run({"SCAN", "0", "COUNT", "9223372036854775807"})).keys.size() == 10);
  CHECK(t.Run({"SCAN", "18446744073709551615"}).rfind("*2\r\n", 0) == 0);
  CHECK(t.Run({"SCAN", "-1"}).rfind("*2\r\n", 0) == 0);
}

TEST_CASE("SCAN reply shape is the same in RESP2 and RESP3") {
  CommandTester t;
  PutString(t, "only", "v");
  std::string r2 = t.Run({"SCAN", "0", "COUNT", "1000"});
  t.set_protocol(3);
  std::string r3 = t.Run({"SCAN", "0", "COUNT", "1000"});
  CHECK(r2 == r3);
  CHECK(r2 == "*2\r\n" + Bulk("0") + "*1\r\n" + Bulk("only"));
}

TEST_CASE("SCAN on an empty DB returns cursor 0") {
  CommandTester t;
  CHECK(t.Run({"SCAN", "0"}) == "*2\r\n" + Bulk("0") + "*0\r\n");
}

TEST_CASE("SCAN cursors: 0 only at the end, small enough for any client") {
  CommandTester t;
  Populate(t, 2000);
  for (int count : {1, 3, 10}) {
    uint64_t cursor = 0;
    size_t calls = 0;
    do {
      ScanReply r =
          ParseScan(t.Run({"SCAN", std::to_string(cursor), "COUNT", std::to_string(count)}));
      cursor = r.cursor;
      CHECK(cursor < (uint64_t{1} << 53));
      ++calls;
    } while (cursor != 0 && calls < 100000);
    CHECK(cursor == 0);
    // COUNT is a hint, but the iteration must not be much longer than keys / count.
    CHECK(calls <= static_cast<size_t>(2000 / count + 300));
  }
}

TEST_CASE("SCAN returns every key present throughout, with keys added and tables growing") {
  // The SCAN guarantee: a key present from start to end is returned at least once (here:
  // exactly once), whatever COUNT is and however the tables grow between calls.
  for (int count : {1, 2, 7, 10, 64, 333, 1000}) {
    CommandTester t;
    Populate(t, 500, "base:");
    std::map<std::string, int> seen;
    uint64_t cursor = 0;
    int added = 0;
    size_t calls = 0;
    do {
      ScanReply r =
          ParseScan(t.Run({"SCAN", std::to_string(cursor), "COUNT", std::to_string(count)}));
      for (const std::string& k : r.keys) ++seen[k];
      cursor = r.cursor;
      // Grow the keyspace between calls: a burst after the first call makes every table
      // resize (incrementally, so later calls meet tables mid-rehash), then a trickle slower
      // than the scan advances.
      int add = calls == 0 ? 4000 : std::max(1, count / 2);
      for (int i = 0; i < add; ++i) PutString(t, "new:" + std::to_string(added++), "v");
      REQUIRE(++calls < 100000);
    } while (cursor != 0);
    INFO("COUNT " << count << ", calls " << calls << ", added " << added);
    for (int i = 0; i < 500; ++i) CHECK(seen.count("base:" + std::to_string(i)) == 1);
    for (const auto& [k, n] : seen) CHECK(n == 1);
  }
}

TEST_CASE("SCAN keeps its guarantee while keys are deleted") {
  CommandTester t;
  Populate(t, 3000);
  std::map<std::string, int> seen;
  uint64_t cursor = 0;
  int next_delete = 1500;
  do {
    ScanReply r = ParseScan(t.Run({"SCAN", std::to_string(cursor), "COUNT", "20"}));
    for (const std::string& k : r.keys) ++seen[k];
    cursor = r.cursor;
    // Delete keys 1500.. as we go: tables shrink.
    for (int i = 0; i < 20 && next_delete < 3000; ++i) {
      t.Run({"DEL", "key:" + std::to_string(next_delete++)});
    }
  } while (cursor != 0);
  for (int i = 0; i < 1500; ++i) CHECK(seen.count("key:" + std::to_string(i)) == 1);
  for (const auto& [k, n] : seen) CHECK(n == 1);
}

TEST_CASE("SCAN never returns expired keys and reclaims those it meets") {
  CommandTester t;
  Populate(t, 1000);
  PutString(t, "foo", "bar", t.now_ms() + 1);
  PutString(t, "foo2", "bar", t.now_ms() + 1);
  t.AdvanceTime(2);
  CHECK(StoredKeys(t) == 1002);
  std::map<std::string, int> seen = ScanAll(t, {"COUNT", "10"});
  CHECK(seen.size() == 1000);
  CHECK(seen.count("foo") == 0);
  CHECK(StoredKeys(t) == 1000);

  // With TYPE, expired keys are reclaimed too; with MATCH, only those that match.
  PutString(t, "foo", "bar", t.now_ms() + 1);
  PutString(t, "zzz", "bar", t.now_ms() + 1);
  t.AdvanceTime(2);
  CHECK(ScanAll(t, {"TYPE", "string", "COUNT", "10"}).size() == 1000);
  CHECK(StoredKeys(t) == 1000);
  PutString(t, "foo", "bar", t.now_ms() + 1);
  PutString(t, "zzz", "bar", t.now_ms() + 1);
  t.AdvanceTime(2);
  CHECK(ScanAll(t, {"MATCH", "foo"}).empty());
  CHECK(StoredKeys(t) == 1001);
  CHECK(t.Run({"DBSIZE"}) == Int(1001));  // DBSIZE counts unreclaimed keys, as Redis
}

TEST_CASE("SCAN sees only the selected DB") {
  CommandTester t(Overrides{{"databases", "3"}});
  Populate(t, 100, "zero:", 0);
  Populate(t, 50, "two:", 2);
  CHECK(ScanAll(t, {}).size() == 100);
  CHECK(t.Run({"SELECT", "2"}) == kOk);
  std::map<std::string, int> seen = ScanAll(t, {"COUNT", "7"});
  CHECK(seen.size() == 50);
  for (const auto& [k, n] : seen) CHECK(k.rfind("two:", 0) == 0);
}

TEST_CASE("RANDOMKEY") {
  CommandTester t;
  CHECK(t.Run({"RANDOMKEY"}) == kNil);
  t.set_protocol(3);
  CHECK(t.Run({"RANDOMKEY"}) == kNil3);
  t.set_protocol(2);

  PutString(t, "foo", "x");
  PutString(t, "bar", "y");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(t.Run({"RANDOMKEY"}));
  CHECK(seen == std::set<std::string>{Bulk("foo"), Bulk("bar")});

  CHECK(t.Run({"FLUSHDB"}) == kOk);
  PutString(t, "x", "10");
  CHECK(t.Run({"DEL", "x"}) == Int(1));
  CHECK(t.Run({"RANDOMKEY"}) == kNil);
  CHECK(t.Run({"RANDOMKEY", "x"}) == Err("ERR wrong number of arguments for 'randomkey' command"));
}

TEST_CASE("RANDOMKEY is spread over shards in proportion to their keys") {
  CommandTester t;
  Populate(t, 64);
  std::map<std::string, int> counts;
  for (int i = 0; i < 6400; ++i) ++counts[t.Run({"RANDOMKEY"})];
  CHECK(counts.size() > 48);  // almost every key of 64 shows up
}

TEST_CASE("RANDOMKEY terminates when every key has expired") {
  CommandTester t;
  for (int i = 0; i < 5000; ++i) PutString(t, "k" + std::to_string(i), "v", t.now_ms() + 10);
  t.AdvanceTime(10);
  CHECK(t.Run({"RANDOMKEY"}) == kNil);
  // Some were reclaimed on the way, never all of them in one call (bounded work).
  CHECK(StoredKeys(t) < 5000);
  CHECK(StoredKeys(t) >= 5000 - kRandomKeyMaxExpiredSamples);

  // One live key among expired ones is found.
  PutString(t, "live", "v");
  CHECK(t.Run({"RANDOMKEY"}) == Bulk("live"));
}

TEST_CASE("Active expiry cycle deletes expired keys with a fake clock") {
  CommandTester t(Overrides{{"databases", "2"}});
  const int64_t start = t.now_ms();
  for (int i = 0; i < 2000; ++i) {
    PutString(t, "v" + std::to_string(i), "x", start + 1000 + (i % 2) * 100000, i % 2);
  }
  Populate(t, 500, "persistent:");
  Server& server = t.server();
  const unsigned shards = server.keyspace().shard_count();

  // Nothing is due yet.
  CHECK(RunActiveExpireCycle(server, 0, 1, start, 1000000) == 0);
  CHECK(StoredKeys(t, 0) == 1500);

  // Disabled: nothing happens.
  server.active_expire_enabled = false;
  CHECK(RunActiveExpireCycle(server, 0, 1, start + 2000, 1000000) == 0);
  server.active_expire_enabled = true;

  // Two workers, each with half of the shards; a few ticks reclaim all of DB 0's due keys.
  size_t expired = 0;
  for (int tick = 0; tick < 10; ++tick) {
    expired += RunActiveExpireCycle(server, 0, 2, start + 2000 + tick, 1000000);
    expired += RunActiveExpireCycle(server, 1, 2, start + 2000 + tick, 1000000);
  }
  CHECK(expired == 1000);
  CHECK(StoredKeys(t, 0) == 500);
  CHECK(StoredKeys(t, 1) == 1000);  // not yet due
  CHECK(server.ExpiredKeys() == 1000);

  // A zero budget does no work; a stride beyond the shards owns nothing.
  CHECK(RunActiveExpireCycle(server, 0, 1, start + 200000, 0) == 0);
  CHECK(RunActiveExpireCycle(server, shards, 1, start + 200000, 1000000) == 0);
  expired = 0;
  for (int tick = 0; tick < 10; ++tick) {
    expired += RunActiveExpireCycle(server, 0, 1, start + 200000 + tick, 1000000);
  }
  CHECK(expired == 1000);
  CHECK(StoredKeys(t, 1) == 0);
}

TEST_CASE("Active expiry skips a shard that is busy") {
  CommandTester t;
  PutString(t, "k", "v", t.now_ms() + 1);
  tessera::keyspace::Keyspace& ks = t.server().keyspace();
  tessera::keyspace::ShardMutex& mu = ks.shard(ks.ShardOf("k")).mutex();
  // Another thread holds the shard (try_lock by the owner itself would be undefined).
  std::promise<void> locked, done;
  std::thread holder([&] {
    std::lock_guard<tessera::keyspace::ShardMutex> busy(mu);
    locked.set_value();
    done.get_future().wait();
  });
  locked.get_future().wait();
  CHECK(RunActiveExpireCycle(t.server(), 0, 1, t.now_ms() + 10, 1000000) == 0);
  done.set_value();
  holder.join();
  CHECK(RunActiveExpireCycle(t.server(), 0, 1, t.now_ms() + 10, 1000000) == 1);
}
