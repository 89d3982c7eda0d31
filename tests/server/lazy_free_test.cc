// Lazy freeing: core's effort rule (core/keyspace/lazy_free.h), the background thread
// (server/lazy_free.h) and the commands that use it, through the real dispatcher.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/keyspace/lazy_free.h"
#include "core/keyspace/undo.h"
#include "server/lazy_free.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

using keyspace::Entry;
using keyspace::FreeEffort;

// A tester whose aggregates leave their packed encodings after one element, so sizes around
// the threshold (64) are hashtables / skiplists.
CommandTester SmallPackedTester() {
  return CommandTester({{"set-max-listpack-entries", "1"},
                        {"set-max-intset-entries", "1"},
                        {"hash-max-listpack-entries", "1"},
                        {"zset-max-listpack-entries", "1"},
                        {"list-max-listpack-size", "2"},
                        {"stream-node-max-entries", "2"},
                        {"enable-debug-command", "yes"}});
}

const Entry* Peek(CommandTester& t, const std::string& key) {
  return keyspace::PeekEntry(t.server().keyspace(), 0, key);
}

std::vector<std::string> Cmd(std::vector<std::string> head, int n, const std::string& prefix,
                             bool pairs = false) {
  for (int i = 0; i < n; ++i) {
    if (pairs) head.push_back(std::to_string(i));
    head.push_back(prefix + std::to_string(i));
  }
  return head;
}

uint64_t Pending(CommandTester& t) { return t.server().lazy_free().pending(); }
uint64_t Freed(CommandTester& t) { return t.server().lazy_free().freed(); }

// The INFO field `name`'s value, as text.
std::string InfoField(CommandTester& t, const std::string& name) {
  std::string info = t.Run({"INFO", "memory"});
  size_t at = info.find("\r\n" + name + ":");
  if (at == std::string::npos) return "<missing>";
  at += name.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}

TEST_CASE("Free effort follows Redis's per-type rule", "[lazyfree]") {
  CommandTester t = SmallPackedTester();
  t.Run({"SET", "str", std::string(1000, 'x')});
  CHECK(FreeEffort(*Peek(t, "str")) == 1);
  t.Run(Cmd({"SADD", "set"}, 100, "m"));
  CHECK(FreeEffort(*Peek(t, "set")) == 100);
  t.Run(Cmd({"HSET", "hash"}, 70, "f", /*pairs=*/true));
  CHECK(FreeEffort(*Peek(t, "hash")) == 70);
  t.Run(Cmd({"ZADD", "zset"}, 80, "m", /*pairs=*/true));
  CHECK(FreeEffort(*Peek(t, "zset")) == 80);
  // A list counts its quicklist nodes: two elements per node here.
  t.Run(Cmd({"RPUSH", "list"}, 100, "e"));
  CHECK(FreeEffort(*Peek(t, "list")) == 50);
  // Packed encodings are one allocation.
  CommandTester packed;
  packed.Run(Cmd({"SADD", "set"}, 100, "m"));
  packed.Run(Cmd({"RPUSH", "list"}, 100, "e"));
  packed.Run(Cmd({"SADD", "ints"}, 100, ""));
  CHECK(FreeEffort(*Peek(packed, "set")) == 1);
  CHECK(FreeEffort(*Peek(packed, "list")) == 1);
  CHECK(FreeEffort(*Peek(packed, "ints")) == 1);
}

TEST_CASE("A stream's effort is its nodes plus groups times the first group's PEL", "[lazyfree]") {
  CommandTester t = SmallPackedTester();
  for (int i = 1; i <= 10; ++i) t.Run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  CHECK(FreeEffort(*Peek(t, "s")) == 5);  // 2 entries per node
  t.Run({"XGROUP", "CREATE", "s", "g1", "0"});
  t.Run({"XGROUP", "CREATE", "s", "g2", "0"});
  CHECK(FreeEffort(*Peek(t, "s")) == 5 + 2 * 1);
  t.Run({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "s", ">"});
  CHECK(FreeEffort(*Peek(t, "s")) == 5 + 2 * (1 + 3));
  // A destroyed group leaves an empty group table: nodes only.
  t.Run({"XGROUP", "DESTROY", "s", "g1"});
  t.Run({"XGROUP", "DESTROY", "s", "g2"});
  CHECK(FreeEffort(*Peek(t, "s")) == 5);
}

struct RecordingSink final : keyspace::FreeSink {
  void FreeLater(Entry* e) override { taken.push_back(e); }
  ~RecordingSink() {
    for (Entry* e : taken) Entry::Free(e);
  }
  std::vector<Entry*> taken;
};

TEST_CASE("FreeEntry hands over only values above the threshold", "[lazyfree]") {
  CommandTester t = SmallPackedTester();
  t.Run(Cmd({"SADD", "at"}, 64, "m"));
  t.Run(Cmd({"SADD", "above"}, 65, "m"));
  keyspace::DbAccess db(&t.server().keyspace(), 0, t.now_ms(), 0);
  Entry* at = db.Find("at");
  Entry* above = db.Find("above");
  db.Detach(at);
  db.Detach(above);
  RecordingSink sink;
  CHECK_FALSE(keyspace::FreeEntry(at, &sink));  // 64: freed in place
  CHECK(keyspace::FreeEntry(above, &sink));     // 65: the sink's
  REQUIRE(sink.taken.size() == 1);
  CHECK(sink.taken[0] == above);
  // No sink: always in place.
  t.Run(Cmd({"SADD", "big"}, 1000, "m"));
  Entry* big = db.Find("big");
  db.Detach(big);
  CHECK_FALSE(keyspace::FreeEntry(big, nullptr));
}

TEST_CASE("The lazy-free thread frees off the caller's thread and counts objects", "[lazyfree]") {
  LazyFreer freer;
  CHECK(freer.pending() == 0);
  std::atomic<std::thread::id> ran_on{};
  freer.SetPausedForTesting(true);
  freer.FreeLater([&] { ran_on = std::this_thread::get_id(); }, 7);
  CHECK(freer.pending() == 7);  // queued, not run: paused
  CHECK(freer.freed() == 0);
  freer.SetPausedForTesting(false);
  freer.Drain();
  CHECK(freer.pending() == 0);
  CHECK(freer.freed() == 7);
  CHECK(ran_on.load() != std::thread::id{});
  CHECK(ran_on.load() != std::this_thread::get_id());
  // Whole tables count their keys.
  std::vector<keyspace::DbTable> tables(2);
  for (int i = 0; i < 3; ++i) {
    Entry* e = Entry::NewString("k" + std::to_string(i), "v", keyspace::Encoding::kEmbstr,
                                keyspace::kNoExpiry, 0);
    tables[static_cast<size_t>(i % 2)].table.Insert(e, keyspace::EntryTraits::Hash(e));
  }
  freer.FreeTablesLater(std::move(tables), 3);
  freer.Drain();
  CHECK(freer.freed() == 10);
  freer.ResetStats();
  CHECK(freer.freed() == 0);
  // Stopped: what is queued meanwhile is freed by the caller at once.
  freer.SetPausedForTesting(true);
  bool ran = false;
  freer.FreeLater([&] { ran = true; }, 1);
  freer.Stop();  // frees the queued job despite the pause
  CHECK(ran);
  CHECK(freer.pending() == 0);
  std::thread::id inline_on{};
  freer.FreeLater([&] { inline_on = std::this_thread::get_id(); }, 1);
  CHECK(inline_on == std::this_thread::get_id());
  CHECK(freer.freed() == 2);
}

TEST_CASE("UNLINK frees a big value on the thread; DEL only with lazyfree-lazy-user-del",
          "[lazyfree]") {
  CommandTester t = SmallPackedTester();
  LazyFreer& lazy = t.server().lazy_free();
  t.Run(Cmd({"SADD", "big"}, 1000, "m"));
  t.Run(Cmd({"SADD", "small"}, 10, "m"));
  lazy.SetPausedForTesting(true);
  CHECK(t.Run({"UNLINK", "big", "small", "missing"}) == ":2\r\n");
  // The reply is out; the big set waits for the thread, the small one is gone already.
  CHECK(Pending(t) == 1);
  CHECK(InfoField(t, "lazyfree_pending_objects") == "1");
  CHECK(t.Run({"EXISTS", "big"}) == ":0\r\n");
  lazy.SetPausedForTesting(false);
  lazy.Drain();
  CHECK(InfoField(t, "lazyfree_pending_objects") == "0");
  CHECK(InfoField(t, "lazyfreed_objects") == "1");

  t.Run(Cmd({"SADD", "big"}, 1000, "m"));
  CHECK(t.Run({"DEL", "big"}) == ":1\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 1);
  CHECK(t.Run({"CONFIG", "SET", "lazyfree-lazy-user-del", "yes"}) == "+OK\r\n");
  t.Run(Cmd({"SADD", "big"}, 1000, "m"));
  CHECK(t.Run({"DEL", "big"}) == ":1\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 2);
  // CONFIG RESETSTAT zeroes lazyfreed_objects, as Redis does.
  CHECK(t.Run({"CONFIG", "RESETSTAT"}) == "+OK\r\n");
  CHECK(InfoField(t, "lazyfreed_objects") == "0");
}

TEST_CASE("FLUSHALL/FLUSHDB ASYNC hand the tables over, counting their keys", "[lazyfree]") {
  CommandTester t = SmallPackedTester();
  LazyFreer& lazy = t.server().lazy_free();
  for (int i = 0; i < 100; ++i) t.Run({"SET", "k" + std::to_string(i), "v"});
  t.Run({"SELECT", "1"});
  for (int i = 0; i < 20; ++i) t.Run({"SET", "k" + std::to_string(i), "v"});
  lazy.SetPausedForTesting(true);
  CHECK(t.Run({"FLUSHDB", "ASYNC"}) == "+OK\r\n");
  CHECK(Pending(t) == 20);
  CHECK(t.Run({"DBSIZE"}) == ":0\r\n");
  CHECK(t.Run({"FLUSHALL", "ASYNC"}) == "+OK\r\n");
  CHECK(Pending(t) == 120);
  t.Run({"SELECT", "0"});
  CHECK(t.Run({"DBSIZE"}) == ":0\r\n");
  lazy.SetPausedForTesting(false);
  lazy.Drain();
  CHECK(Pending(t) == 0);
  CHECK(Freed(t) == 120);
  // SYNC (and no argument, by default) frees in place.
  for (int i = 0; i < 10; ++i) t.Run({"SET", "k" + std::to_string(i), "v"});
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  CHECK(Freed(t) == 120);
  // lazyfree-lazy-user-flush makes the bare form ASYNC; SYNC still wins.
  t.Run({"CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"});
  for (int i = 0; i < 10; ++i) t.Run({"SET", "k" + std::to_string(i), "v"});
  CHECK(t.Run({"FLUSHDB"}) == "+OK\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 130);
  for (int i = 0; i < 10; ++i) t.Run({"SET", "k" + std::to_string(i), "v"});
  CHECK(t.Run({"FLUSHALL", "SYNC"}) == "+OK\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 130);
  CHECK(t.Run({"FLUSHALL", "LAZY"}) == "-ERR syntax error\r\n");
}

TEST_CASE("lazyfree-lazy-server-del and lazyfree-lazy-expire route their deletions", "[lazyfree]") {
  CommandTester t = SmallPackedTester();
  LazyFreer& lazy = t.server().lazy_free();
  // Overwriting a big set: in place by default, lazily with lazyfree-lazy-server-del.
  t.Run(Cmd({"SADD", "big"}, 500, "m"));
  t.Run({"SET", "big", "x"});
  t.Run(Cmd({"SADD", "big2"}, 500, "m"));
  t.Run(Cmd({"SADD", "src"}, 500, "m"));
  CHECK(Freed(t) == 0);
  t.Run({"CONFIG", "SET", "lazyfree-lazy-server-del", "yes"});
  t.Run({"DEL", "big"});
  t.Run(Cmd({"SADD", "big"}, 500, "m"));
  CHECK(t.Run({"SET", "big", "x"}) == "+OK\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 1);
  CHECK(t.Run({"RENAME", "src", "big2"}) == "+OK\r\n");  // big2's old set goes lazily
  lazy.Drain();
  CHECK(Freed(t) == 2);
  // A big key found expired: in place by default, lazily with lazyfree-lazy-expire.
  t.Run(Cmd({"SADD", "e1"}, 500, "m"));
  t.Run({"PEXPIRE", "e1", "10"});
  t.AdvanceTime(20);
  CHECK(t.Run({"EXISTS", "e1"}) == ":0\r\n");
  CHECK(Freed(t) == 2);
  t.Run({"CONFIG", "SET", "lazyfree-lazy-expire", "yes"});
  t.Run(Cmd({"SADD", "e2"}, 500, "m"));
  t.Run({"PEXPIRE", "e2", "10"});
  t.AdvanceTime(20);
  CHECK(t.Run({"EXISTS", "e2"}) == ":0\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 3);
}

TEST_CASE("SCRIPT FLUSH and FUNCTION FLUSH ASYNC free big caches on the thread", "[lazyfree]") {
  CommandTester t;
  LazyFreer& lazy = t.server().lazy_free();
  for (int i = 0; i < 64; ++i) t.Run({"SCRIPT", "LOAD", "return " + std::to_string(i)});
  CHECK(t.Run({"SCRIPT", "FLUSH", "ASYNC"}) == "+OK\r\n");  // 64: not above the threshold
  lazy.Drain();
  CHECK(Freed(t) == 0);
  for (int i = 0; i < 65; ++i) t.Run({"SCRIPT", "LOAD", "return " + std::to_string(i)});
  CHECK(t.Run({"SCRIPT", "FLUSH", "ASYNC"}) == "+OK\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 65);
  CHECK(t.Run({"SCRIPT", "EXISTS", "e0a3e8f6c3f4b8b9f5f3ff1b8f0a5d3a1f6e0b1c"}) == "*1\r\n:0\r\n");
  std::string lib = "#!lua name=lib\n";
  for (int i = 0; i < 70; ++i) {
    lib += "redis.register_function('f" + std::to_string(i) + "', function() return 1 end)\n";
  }
  CHECK(t.Run({"FUNCTION", "LOAD", lib}) == "$3\r\nlib\r\n");
  CHECK(t.Run({"FUNCTION", "FLUSH", "ASYNC"}) == "+OK\r\n");
  lazy.Drain();
  CHECK(Freed(t) == 135);
  CHECK(t.Run({"FUNCTION", "LIST"}) == "*0\r\n");
}

TEST_CASE("lazyfree-lazy-eviction evicts big values through the thread", "[lazyfree]") {
  CommandTester t({{"maxmemory", "1000"},
                   {"maxmemory-policy", "allkeys-random"},
                   {"set-max-listpack-entries", "1"}});
  LazyFreer& lazy = t.server().lazy_free();
  // 100 bytes a key: ten keys fit.
  t.server().evictor().SetMemorySourceForTesting([&t] {
    size_t n = 0;
    keyspace::Keyspace& ks = t.server().keyspace();
    for (unsigned i = 0; i < ks.shard_count(); ++i) n += ks.shard(i).db(0).table.size();
    return n * 100;
  });
  t.Run({"CONFIG", "SET", "lazyfree-lazy-eviction", "yes"});
  for (int k = 0; k < 11; ++k) t.Run(Cmd({"SADD", "s" + std::to_string(k)}, 100, "m"));
  CHECK(Freed(t) == 0);      // 11 keys: over the limit now
  t.Run({"SET", "x", "y"});  // evicts one set before it runs
  lazy.Drain();
  CHECK(Freed(t) == 1);
  CHECK(t.Run({"DBSIZE"}) == ":10\r\n");  // 11 again after SET: DBSIZE evicts one first
}

TEST_CASE("With nothing left to evict, eviction waits for values still being freed", "[lazyfree]") {
  CommandTester t({{"maxmemory", "1000"},
                   {"maxmemory-policy", "volatile-lru"},
                   {"set-max-listpack-entries", "1"}});
  LazyFreer& lazy = t.server().lazy_free();
  // Over the limit while anything is pending on the thread, under it once all is freed.
  t.server().evictor().SetMemorySourceForTesting(
      [&lazy] { return lazy.pending() > 0 ? uint64_t{2000} : uint64_t{500}; });
  t.Run(Cmd({"SADD", "big"}, 100, "m"));
  // Paused: the run's time limit (500 us at tenacity 10) passes, and the write is refused.
  lazy.SetPausedForTesting(true);
  CHECK(t.Run({"UNLINK", "big"}) == ":1\r\n");
  CHECK(t.Run({"SET", "k", "v"}) == "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
  lazy.SetPausedForTesting(false);
  lazy.Drain();
  CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
  // No time limit (tenacity 100): the run waits until the thread has freed what it holds.
  t.Run({"CONFIG", "SET", "maxmemory-eviction-tenacity", "100"});
  lazy.FreeLater([] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }, 1);
  CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
  CHECK(lazy.pending() == 0);
}

}  // namespace
}  // namespace tessera::server
