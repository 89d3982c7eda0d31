// maxmemory through the real dispatcher (server/evictor.h, commands/oom_check.h), with a fake
// clock and a fake memory figure: every key costs 100 bytes, so maxmemory 1000 holds 10 keys.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "persistence/write_log.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

constexpr uint64_t kBytesPerKey = 100;

// Without the shard locks: the evictor reads its memory source while it holds the lock of
// the shard it deletes from, and a CommandTester runs everything on the test's thread.
uint64_t KeyCount(Server& s) {
  uint64_t n = 0;
  keyspace::Keyspace& ks = s.keyspace();
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    for (int db = 0; db < ks.num_dbs(); ++db) n += ks.shard(i).db(db).table.size();
  }
  return n;
}

// A tester whose used memory is kBytesPerKey per key (plus `extra_`), limit 10 keys, and
// every sample looking at every key (maxmemory-samples 64): the choice is then exact.
struct EvictionTester {
  explicit EvictionTester(const std::string& policy, const std::string& samples = "64")
      : t({{"maxmemory", "1000"},
           {"maxmemory-policy", policy},
           {"maxmemory-samples", samples},
           {"enable-debug-command", "yes"}}) {
    t.server().evictor().SetMemorySourceForTesting(
        [this] { return KeyCount(t.server()) * kBytesPerKey + extra; });
  }
  bool Exists(const std::string& key) { return t.Run({"EXISTS", key}) == ":1\r\n"; }
  std::set<std::string> Keys() {
    std::set<std::string> out;
    for (int i = 0; i < 100; ++i) {
      std::string k = "k" + std::to_string(i);
      if (Exists(k)) out.insert(k);
    }
    return out;
  }
  CommandTester t;
  uint64_t extra = 0;
};

std::string Set(EvictionTester& e, int i) { return e.t.Run({"SET", "k" + std::to_string(i), "v"}); }

TEST_CASE("allkeys-lru evicts the least recently used keys", "[eviction]") {
  EvictionTester e("allkeys-lru");
  for (int i = 0; i < 10; ++i) {
    CHECK(Set(e, i) == "+OK\r\n");
    e.t.AdvanceTime(1000);
  }
  CHECK(KeyCount(e.t.server()) == 10);
  // Read k0..k4: now k5 is the least recently used, then k6...
  for (int i = 0; i < 5; ++i) e.t.Run({"GET", "k" + std::to_string(i)});
  e.t.AdvanceTime(1000);
  // Every command first evicts down to the limit (as Redis's processCommand): the first SET
  // finds 10 keys, at the limit, and adds an 11th; each later command evicts one.
  CHECK(Set(e, 10) == "+OK\r\n");
  CHECK(Set(e, 11) == "+OK\r\n");         // evicts k5
  CHECK(Set(e, 12) == "+OK\r\n");         // evicts k6
  std::set<std::string> keys = e.Keys();  // the first EXISTS evicts k7
  CHECK(keys.size() == 10);
  CHECK(keys.count("k5") == 0);
  CHECK(keys.count("k6") == 0);
  CHECK(keys.count("k7") == 0);
  CHECK(keys.count("k0") == 1);
  CHECK(keys.count("k4") == 1);
  CHECK(keys.count("k8") == 1);
  CHECK(keys.count("k12") == 1);
  CHECK(e.t.Run({"INFO", "stats"}).find("evicted_keys:3\r\n") != std::string::npos);
}

TEST_CASE("allkeys-lfu evicts the least frequently used keys", "[eviction]") {
  EvictionTester e("allkeys-lfu");
  // lfu-log-factor 0: every access increments the counter, so the figures are exact.
  CHECK(e.t.Run({"CONFIG", "SET", "lfu-log-factor", "0"}) == "+OK\r\n");
  for (int i = 0; i < 10; ++i) CHECK(Set(e, i) == "+OK\r\n");
  // Every key but k3 and k8 is read often (the counter starts at 5 and rises).
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 10; ++i) {
      if (i != 3 && i != 8) e.t.Run({"GET", "k" + std::to_string(i)});
    }
  }
  CHECK(e.t.Run({"OBJECT", "FREQ", "k3"}) == ":5\r\n");
  CHECK(e.t.Run({"OBJECT", "FREQ", "k0"}) == ":35\r\n");
  // Two minutes pass: every counter decays by 2, so k3 and k8 (3) now rank below a new key
  // (which starts at 5).
  e.t.AdvanceTime(120 * 1000);
  CHECK(e.t.Run({"OBJECT", "FREQ", "k3"}) == ":3\r\n");
  CHECK(Set(e, 20) == "+OK\r\n");  // at the limit before it: nothing evicted
  CHECK(Set(e, 21) == "+OK\r\n");
  CHECK(Set(e, 22) == "+OK\r\n");
  CHECK_FALSE(e.Exists("k3"));
  CHECK_FALSE(e.Exists("k8"));
  for (int i : {0, 1, 2, 4, 5, 6, 7, 9}) CHECK(e.Exists("k" + std::to_string(i)));
  // The counters decay with time: after an hour without reads every counter is 0.
  e.t.AdvanceTime(3600 * 1000);
  CHECK(e.t.Run({"OBJECT", "FREQ", "k0"}) == ":0\r\n");
  // lfu-decay-time 0: no decay.  OBJECT FREQ only reports the decay; k1's stored counter
  // is still 35, and a read makes it 36.
  CHECK(e.t.Run({"CONFIG", "SET", "lfu-decay-time", "0"}) == "+OK\r\n");
  e.t.Run({"GET", "k1"});
  e.t.AdvanceTime(3600 * 1000);
  CHECK(e.t.Run({"OBJECT", "FREQ", "k1"}) == ":36\r\n");
}

TEST_CASE("Writes that grow a string keep its LFU counter", "[eviction]") {
  EvictionTester e("allkeys-lfu");
  CHECK(e.t.Run({"CONFIG", "SET", "lfu-log-factor", "0"}) == "+OK\r\n");
  CHECK(e.t.Run({"SET", "k", "v"}) == "+OK\r\n");
  for (int i = 0; i < 20; ++i) e.t.Run({"GET", "k"});
  CHECK(e.t.Run({"OBJECT", "FREQ", "k"}) == ":25\r\n");
  // Each write is one more access (+1), as Redis's lookupKeyWrite counts it; none restarts
  // the counter at 5, in place or when the value moves to a bigger allocation.
  CHECK(e.t.Run({"APPEND", "k", "x"}) == ":2\r\n");
  CHECK(e.t.Run({"OBJECT", "FREQ", "k"}) == ":26\r\n");
  CHECK(e.t.Run({"APPEND", "k", std::string(300, 'y')}) == ":302\r\n");
  CHECK(e.t.Run({"OBJECT", "FREQ", "k"}) == ":27\r\n");
  CHECK(e.t.Run({"SETRANGE", "k", "1000", "z"}) == ":1001\r\n");
  CHECK(e.t.Run({"OBJECT", "FREQ", "k"}) == ":28\r\n");
  CHECK(e.t.Run({"SETRANGE", "k", "0", "z"}) == ":1001\r\n");
  CHECK(e.t.Run({"OBJECT", "FREQ", "k"}) == ":29\r\n");
}

TEST_CASE("volatile-ttl evicts the keys that expire first, and only keys with a TTL",
          "[eviction]") {
  EvictionTester e("volatile-ttl");
  for (int i = 0; i < 5; ++i) CHECK(Set(e, i) == "+OK\r\n");  // persistent
  for (int i = 5; i < 10; ++i) {
    // k5 expires last, k9 first.
    CHECK(e.t.Run({"SET", "k" + std::to_string(i), "v", "EX", std::to_string(1000 - i)}) ==
          "+OK\r\n");
  }
  CHECK(Set(e, 10) == "+OK\r\n");
  CHECK(Set(e, 11) == "+OK\r\n");
  CHECK(Set(e, 12) == "+OK\r\n");
  CHECK_FALSE(e.Exists("k9"));  // this EXISTS evicts k7
  CHECK_FALSE(e.Exists("k8"));
  CHECK_FALSE(e.Exists("k7"));
  CHECK(e.Exists("k6"));
  CHECK(e.Exists("k5"));
  for (int i = 0; i < 5; ++i) CHECK(e.Exists("k" + std::to_string(i)));
}

TEST_CASE("volatile-lru and volatile-lfu never evict persistent keys", "[eviction]") {
  for (const char* policy : {"volatile-lru", "volatile-lfu", "volatile-random"}) {
    EvictionTester e(policy);
    for (int i = 0; i < 8; ++i) CHECK(Set(e, i) == "+OK\r\n");
    CHECK(e.t.Run({"SET", "k8", "v", "EX", "100"}) == "+OK\r\n");
    CHECK(e.t.Run({"SET", "k9", "v", "EX", "100"}) == "+OK\r\n");
    CHECK(Set(e, 10) == "+OK\r\n");
    CHECK(Set(e, 11) == "+OK\r\n");
    CHECK(Set(e, 12) == "+OK\r\n");
    // Both volatile keys are gone; nothing else can go: the next write is refused.
    CHECK_FALSE(e.Exists("k8"));
    CHECK_FALSE(e.Exists("k9"));
    CHECK(Set(e, 13) == "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    for (int i = 0; i < 8; ++i) CHECK(e.Exists("k" + std::to_string(i)));
    // Reads and deletes still work.
    CHECK(e.t.Run({"GET", "k0"}) == "$1\r\nv\r\n");
    CHECK(e.t.Run({"DEL", "k0"}) == ":1\r\n");
  }
}

TEST_CASE("allkeys-random evicts some key and keeps the count at the limit", "[eviction]") {
  EvictionTester e("allkeys-random");
  for (int i = 0; i < 40; ++i) CHECK(Set(e, i) == "+OK\r\n");
  // Ten keys held before each SET adds one.
  CHECK(KeyCount(e.t.server()) == 11);
  CHECK(e.Exists("k39"));
}

TEST_CASE("noeviction refuses deny-oom commands over the limit", "[eviction][oom]") {
  EvictionTester e("noeviction");
  for (int i = 0; i < 10; ++i) CHECK(Set(e, i) == "+OK\r\n");
  const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
  CHECK(Set(e, 10) == "+OK\r\n");  // at the limit, not over it: allowed
  CHECK(Set(e, 11) == oom);
  CHECK(e.t.Run({"LPUSH", "l", "a"}) == oom);
  CHECK(e.t.Run({"GET", "k1"}) == "$1\r\nv\r\n");
  CHECK(e.t.Run({"DEL", "k1"}) == ":1\r\n");  // not deny-oom
  CHECK(e.t.Run({"EXPIRE", "k2", "100"}) == ":1\r\n");
  CHECK(e.t.Run({"INFO", "stats"}).find("evicted_keys:0\r\n") != std::string::npos);
  // Raising the limit lets writes through again.
  CHECK(e.t.Run({"CONFIG", "SET", "maxmemory", "2mb"}) == "+OK\r\n");
  CHECK(Set(e, 11) == "+OK\r\n");
  // So does no limit at all.
  e.extra = 1 << 30;
  CHECK(e.t.Run({"CONFIG", "SET", "maxmemory", "0"}) == "+OK\r\n");
  CHECK(Set(e, 12) == "+OK\r\n");
}

TEST_CASE("OOM inside MULTI: queueing refused, EXEC and DISCARD allowed", "[eviction][oom]") {
  EvictionTester e("noeviction");
  for (int i = 0; i < 11; ++i) Set(e, i);
  const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
  CHECK(e.t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(e.t.Run({"GET", "k1"}) == oom);  // anything queued is refused
  CHECK(e.t.Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  // Queued while under the limit, run over it: EXEC of a deny-oom command is refused.
  e.extra = 0;
  CHECK(e.t.Run({"DEL", "k10"}) == ":1\r\n");
  CHECK(e.t.Run({"DEL", "k9"}) == ":1\r\n");
  CHECK(e.t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(e.t.Run({"SET", "x", "1"}) == "+QUEUED\r\n");
  e.extra = 500;
  CHECK(e.t.Run({"EXEC"}) ==
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used "
        "memory > 'maxmemory'.\r\n");
  CHECK(e.t.Run({"EXEC"}) == "-ERR EXEC without MULTI\r\n");  // it was discarded
  // A transaction of reads runs over the limit.
  CHECK(e.t.Run({"MULTI"}) == "+OK\r\n");
  e.extra = 0;
  CHECK(e.t.Run({"GET", "k1"}) == "+QUEUED\r\n");
  e.extra = 500;
  CHECK(e.t.Run({"EXEC"}) == "*1\r\n$1\r\nv\r\n");
  CHECK(e.t.Run({"MULTI"}) == "+OK\r\n");
  e.extra = 0;
  CHECK(e.t.Run({"SET", "y", "1"}) == "+QUEUED\r\n");
  e.extra = 500;
  CHECK(e.t.Run({"DISCARD"}) == "+OK\r\n");
}

TEST_CASE("OOM and scripts: shebang flags, first write, no-writes", "[eviction][oom]") {
  EvictionTester e("noeviction");
  for (int i = 0; i < 11; ++i) Set(e, i);
  const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
  // A script that declares flags without allow-oom is deny-oom as a whole.
  CHECK(e.t.Run({"EVAL", "#!lua\nreturn 1", "0"}) == oom);
  CHECK(e.t.Run({"EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", "0"}) ==
        "+OK\r\n");
  CHECK(e.t.Run({"EVAL", "#!lua flags=no-writes\nreturn redis.call('get','k1')", "0"}) ==
        "$1\r\nv\r\n");
  // Without a shebang the script runs; its first deny-oom command fails.
  std::string r = e.t.Run({"EVAL", "return redis.call('set','c','d')", "0"});
  // The error keeps its OOM code, as Redis's (not "ERR OOM ...").
  CHECK(r.rfind("-OOM command not allowed when used memory > 'maxmemory'. script: ", 0) == 0);
  CHECK(e.t.Run({"EVAL", "return redis.call('get','k1')", "0"}) == "$1\r\nv\r\n");
  // ... but not once it has written: it cannot stop half-way.
  CHECK(e.t.Run({"EVAL", "redis.call('del','k1'); return redis.call('set','c','d')", "0"}) ==
        "+OK\r\n");
  CHECK(e.t.Run({"EXISTS", "c"}) == ":1\r\n");
}

TEST_CASE("An eviction run frees what was over at its start, not what its signals add",
          "[eviction]") {
  // Each evicted key leaves 300 bytes behind, as invalidation messages to tracking clients do
  // until their workers write them out (unit/maxmemory, "client tracking don't cause eviction
  // feedback loop").  A run that evicted until used memory was under the limit would chase
  // its own messages and empty the database; Redis's counts only what deleting keys freed.
  EvictionTester e("allkeys-lru");
  e.t.server().evictor().SetMemorySourceForTesting([&e] {
    return KeyCount(e.t.server()) * kBytesPerKey + e.t.server().evictor().evicted_keys() * 300;
  });
  for (int i = 0; i < 11; ++i) CHECK(Set(e, i) == "+OK\r\n");  // the 11th is 100 over
  CHECK(e.t.Run({"DBSIZE"}) == ":10\r\n");                     // one key freed the 100 bytes
  CHECK(e.t.server().evictor().evicted_keys() == 1);
  // Its 300 bytes are over the limit now: the next run frees them, and no more.
  CHECK(e.t.Run({"DBSIZE"}) == ":7\r\n");
}

TEST_CASE("Evicted keys reach the write log as DEL, or UNLINK with lazyfree-lazy-eviction",
          "[eviction][writelog]") {
  EvictionTester e("allkeys-lru");
  e.t.server().write_log().set_enabled(true);
  for (int i = 0; i < 10; ++i) {
    Set(e, i);
    e.t.AdvanceTime(1000);
  }
  std::string bytes;
  e.t.server().write_log().Take(&bytes);
  Set(e, 10);
  Set(e, 11);
  bytes.clear();
  e.t.server().write_log().Take(&bytes);
  CHECK(bytes.find("*2\r\n$3\r\nDEL\r\n$2\r\nk0\r\n") != std::string::npos);
  CHECK(bytes.find("$2\r\nk1\r\n") == std::string::npos);  // one eviction per SET so far
  // CONFIG SET evicts k1 first (DEL); then SET k12 adds an 11th key and SET k13 evicts k2.
  CHECK(e.t.Run({"CONFIG", "SET", "lazyfree-lazy-eviction", "yes"}) == "+OK\r\n");
  Set(e, 12);
  Set(e, 13);
  bytes.clear();
  e.t.server().write_log().Take(&bytes);
  CHECK(bytes.find("*2\r\n$3\r\nDEL\r\n$2\r\nk1\r\n") != std::string::npos);
  CHECK(bytes.find("*2\r\n$6\r\nUNLINK\r\n$2\r\nk2\r\n") != std::string::npos);
}

TEST_CASE("An expired key met by eviction counts as expired, not evicted", "[eviction]") {
  EvictionTester e("volatile-lru");
  for (int i = 0; i < 10; ++i) {
    CHECK(e.t.Run({"SET", "k" + std::to_string(i), "v", "PX", "10"}) == "+OK\r\n");
  }
  e.t.AdvanceTime(100);            // every key has expired, none was reclaimed (no cron here)
  CHECK(Set(e, 10) == "+OK\r\n");  // at the limit before it: nothing to evict yet
  CHECK(Set(e, 11) == "+OK\r\n");  // evicts an expired key
  std::string info = e.t.Run({"INFO", "stats"});  // and so does this
  CHECK(info.find("evicted_keys:0\r\n") != std::string::npos);
  CHECK(info.find("expired_keys:2\r\n") != std::string::npos);
}

TEST_CASE("OBJECT IDLETIME/FREQ and DEBUG OBJECT follow the policy", "[eviction]") {
  EvictionTester e("allkeys-lru");
  Set(e, 1);
  e.t.AdvanceTime(7000);
  CHECK(e.t.Run({"OBJECT", "IDLETIME", "k1"}) == ":7\r\n");
  CHECK(
      e.t.Run({"OBJECT", "FREQ", "k1"}).rfind("-ERR An LFU maxmemory policy is not selected", 0) ==
      0);
  CHECK(e.t.Run({"DEBUG", "OBJECT", "k1"}).find("lru_seconds_idle:7") != std::string::npos);
  CHECK(e.t.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}) == "+OK\r\n");
  CHECK(
      e.t.Run({"OBJECT", "IDLETIME", "k1"}).rfind("-ERR An LFU maxmemory policy is selected", 0) ==
      0);
  CHECK(Set(e, 2) == "+OK\r\n");
  CHECK(e.t.Run({"OBJECT", "FREQ", "k2"}) == ":5\r\n");
}

TEST_CASE("maxmemory directives: defaults, ranges, units", "[eviction][config]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "GET", "maxmemory"}) == "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  CHECK(t.Run({"CONFIG", "GET", "maxmemory-policy"}) ==
        "*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory", "100mb"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "GET", "maxmemory"}) == "*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory", "0"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-samples", "0"}).rfind("-ERR CONFIG SET failed", 0) == 0);
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-eviction-tenacity", "101"}).rfind("-ERR", 0) == 0);
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-foo"}).rfind("-ERR", 0) == 0);
  for (const char* p : {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                        "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}) {
    CHECK(t.Run({"CONFIG", "SET", "maxmemory-policy", p}) == "+OK\r\n");
    CHECK(t.Run({"INFO", "memory"}).find(std::string("maxmemory_policy:") + p + "\r\n") !=
          std::string::npos);
  }
  CHECK(t.Run({"CONFIG", "GET", "lfu-log-factor"}) ==
        "*2\r\n$14\r\nlfu-log-factor\r\n$2\r\n10\r\n");
  CHECK(t.Run({"CONFIG", "GET", "lfu-decay-time"}) == "*2\r\n$14\r\nlfu-decay-time\r\n$1\r\n1\r\n");
  CHECK(t.Run({"CONFIG", "GET", "maxmemory-eviction-tenacity"}) ==
        "*2\r\n$27\r\nmaxmemory-eviction-tenacity\r\n$2\r\n10\r\n");
}

}  // namespace
}  // namespace tessera::server
