// Scripts on their declared keys' shards (server/commands/script_locks.h): the shard
// classification, and the restart path forced deterministically with the registry's test hook
// (the next out-of-order shard acquisitions fail as if another client held the shard): the
// abandoned attempt's writes, expiries, write-log records and keyspace events are undone, and
// the script runs again, once, holding every shard.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "persistence/write_log.h"
#include "server/commands/script_locks.h"
#include "server/scripting/script_registry.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

// A key name on none of the shards of `keys`.
std::string KeyOnAnotherShard(Server& server, std::vector<std::string> keys,
                              const std::string& prefix) {
  keyspace::Keyspace& ks = server.keyspace();
  for (int i = 0;; ++i) {
    std::string candidate = prefix + std::to_string(i);
    bool clash = false;
    for (const std::string& k : keys) clash |= ks.ShardOf(candidate) == ks.ShardOf(k);
    if (!clash) return candidate;
  }
}

std::string ShaOf(CommandTester& t, const std::string& body) {
  std::string reply = t.Run({"SCRIPT", "LOAD", body});
  REQUIRE(reply.size() > 45);
  return reply.substr(5, 40);
}

bool NeedsEvery(Server& server, std::vector<std::string_view> args) {
  const CommandSpec* spec = server.commands().Find(args[0]);
  REQUIRE(spec != nullptr);
  if (!spec->subcommands.empty() && args.size() > 1) spec = CommandTable::FindSub(*spec, args[1]);
  std::vector<int> positions;
  ExtractKeys(*spec, args, &positions);
  if ((spec->keys.flags & kKeyNotKey) != 0) positions.clear();
  return ScriptShards::NeedsEveryShard(*spec, args, positions);
}

TEST_CASE("Which script commands need every shard", "[scripting][script-shards]") {
  CommandTester t;
  Server& s = t.server();
  for (auto args : std::vector<std::vector<std::string_view>>{{"TIME"},
                                                              {"PING"},
                                                              {"ECHO", "x"},
                                                              {"SELECT", "2"},
                                                              {"GET", "k"},
                                                              {"SET", "k", "v"},
                                                              {"MSET", "a", "1", "b", "2"},
                                                              {"SORT", "k"}}) {
    CAPTURE(args[0]);
    CHECK_FALSE(NeedsEvery(s, args));
  }
  for (auto args : std::vector<std::vector<std::string_view>>{{"KEYS", "*"},
                                                              {"SCAN", "0"},
                                                              {"DBSIZE"},
                                                              {"RANDOMKEY"},
                                                              {"FLUSHALL"},
                                                              {"FLUSHDB"},
                                                              {"SWAPDB", "0", "1"},
                                                              {"INFO"},
                                                              {"PUBLISH", "c", "m"},
                                                              {"SPUBLISH", "c", "m"},
                                                              {"MOVE", "k", "1"},
                                                              {"COPY", "a", "b"},
                                                              {"SORT", "k", "BY", "w_*"}}) {
    CAPTURE(args[0]);
    CHECK(NeedsEvery(s, args));
  }
}

TEST_CASE("A script on its declared shards runs without restarting", "[scripting][script-shards]") {
  CommandTester t;
  CHECK(t.Run({"EVAL", "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[2])", "2",
               "a", "b", "x"}) == "$-1\r\n");
  CHECK(t.Run({"GET", "a"}) == "$1\r\nx\r\n");
  CHECK(t.server().scripts().script_restarts() == 0);
}

TEST_CASE("A script that wrote, then found an undeclared shard busy, is undone and rerun once",
          "[scripting][script-shards]") {
  CommandTester t;
  Server& s = t.server();
  s.write_log().set_enabled(true);
  std::string other = KeyOnAnotherShard(s, {"a", "made", "gone", "a:list"}, "other");
  CHECK(t.Run({"SET", "a", "old"}) == "+OK\r\n");
  CHECK(t.Run({"PEXPIRE", "a", "500000"}) == ":1\r\n");
  CHECK(t.Run({"SET", "gone", "here"}) == "+OK\r\n");
  CHECK(t.Run({"SET", other, "5"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == "+OK\r\n");
  std::string drop;
  s.write_log().Take(&drop);
  int sub = t.AddClient();
  CHECK(t.RunAs(sub, {"PSUBSCRIBE", "__keyevent@0__:*"}).find("psubscribe") != std::string::npos);
  t.TakeDelivered(sub);

  // Both attempts must see the keys as they were before the script: `seen` reports them.
  const std::string body =
      "local seen = {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]),"
      "  redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3])}\n"
      "redis.call('SET', KEYS[1], 'new')\n"
      "redis.call('SET', KEYS[2], 'made')\n"
      "redis.call('DEL', KEYS[3])\n"
      "redis.call('RPUSH', KEYS[1] .. ':list', 'once')\n"
      "seen[5] = redis.call('INCR', ARGV[1])\n"
      "return seen";
  std::string sha = ShaOf(t, body);
  s.scripts().FailShardAcquisitionsForTest(1);
  // a, made, gone and a:list may share shards or not: all are declared, `other` is not.
  std::string reply = t.Run({"EVALSHA", sha, "4", "a", "made", "gone", "a:list", other});
  CHECK(reply == "*5\r\n$3\r\nold\r\n:500000\r\n:0\r\n$4\r\nhere\r\n:6\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  CHECK(s.scripts().NeedsAllShards(sha));

  // The effects happened once.
  CHECK(t.Run({"GET", "a"}) == "$3\r\nnew\r\n");
  CHECK(t.Run({"PTTL", "a"}) == ":-1\r\n");
  CHECK(t.Run({"LRANGE", "a:list", "0", "-1"}) == "*1\r\n$4\r\nonce\r\n");
  CHECK(t.Run({"GET", other}) == "$1\r\n6\r\n");
  CHECK(t.Run({"EXISTS", "gone"}) == ":0\r\n");

  // The write log holds one MULTI/EXEC with each effect once.
  std::string logged;
  s.write_log().Take(&logged);
  auto count = [&](std::string_view needle) {
    size_t n = 0;
    for (size_t p = logged.find(needle); p != std::string::npos; p = logged.find(needle, p + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(count("MULTI") == 1);
  CHECK(count("EXEC") == 1);
  CHECK(count("$5\r\nRPUSH\r\n") == 1);
  CHECK(count("$4\r\nINCR\r\n") == 1);
  CHECK(count("$3\r\nSET\r\n") == 2);

  // Keyspace events once each: set (twice: a and made), del, rpush, incrby.
  std::string events = t.TakeDelivered(sub);
  auto event_count = [&](std::string_view channel) {
    size_t n = 0;
    for (size_t p = events.find(channel); p != std::string::npos; p = events.find(channel, p + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(event_count("__keyevent@0__:set") == 2);
  CHECK(event_count("__keyevent@0__:del") == 1);
  CHECK(event_count("__keyevent@0__:rpush") == 1);
  CHECK(event_count("__keyevent@0__:incrby") == 1);
}

TEST_CASE("A script that wrote many keys, each twice, is undone key for key",
          "[scripting][script-shards]") {
  // More keys (60) than ScriptShards scans for their images (16): its index of images takes
  // over, and each key keeps the image of before its first write.
  CommandTester t;
  Server& s = t.server();
  keyspace::Keyspace& ks = s.keyspace();
  std::vector<std::string> keys;
  for (int i = 0; keys.size() < 60; ++i) {
    std::string k = "m" + std::to_string(i);
    if (ks.ShardOf(k) == ks.ShardOf("m0")) keys.push_back(k);
  }
  std::string other = KeyOnAnotherShard(s, {"m0"}, "q");
  for (size_t i = 0; i < keys.size(); i += 2) CHECK(t.Run({"SET", keys[i], "10"}) == "+OK\r\n");
  std::vector<std::string> cmd = {"EVAL",
                                  "for i = 1, #KEYS do redis.call('INCR', KEYS[i]) end "
                                  "for i = 1, #KEYS do redis.call('INCR', KEYS[i]) end "
                                  "return redis.call('INCR', ARGV[1])",
                                  std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.push_back(other);
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run(cmd) == ":1\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  for (size_t i = 0; i < keys.size(); ++i) {
    CHECK(t.Run({"GET", keys[i]}) == (i % 2 == 0 ? "$2\r\n12\r\n" : "$1\r\n2\r\n"));
  }
}

TEST_CASE("A script that restarted once takes every shard from the start",
          "[scripting][script-shards]") {
  CommandTester t;
  Server& s = t.server();
  std::string other = KeyOnAnotherShard(s, {"k"}, "o");
  std::string sha = ShaOf(t, "redis.call('INCR', KEYS[1]) return redis.call('INCR', ARGV[1])");
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run({"EVALSHA", sha, "1", "k", other}) == ":1\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  // The next run takes nothing out of order: the forced failure stays unused.
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run({"EVALSHA", sha, "1", "k", other}) == ":2\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  CHECK(s.scripts().TakeForcedAcquisitionFailure());
  CHECK(t.Run({"GET", "k"}) == "$1\r\n2\r\n");
  // SCRIPT FLUSH forgets it.
  CHECK(t.Run({"SCRIPT", "FLUSH"}) == "+OK\r\n");
  CHECK_FALSE(s.scripts().NeedsAllShards(sha));
}

TEST_CASE("A function that restarts is undone and rerun like a script",
          "[scripting][script-shards]") {
  CommandTester t;
  Server& s = t.server();
  std::string other = KeyOnAnotherShard(s, {"f"}, "g");
  CHECK(t.Run({"FUNCTION", "LOAD",
               "#!lua name=lib\n"
               "redis.register_function('bump', function(keys, args)\n"
               "  redis.call('APPEND', keys[1], 'x')\n"
               "  return {redis.call('GET', keys[1]), redis.call('INCR', args[1])} end)"}) ==
        "$3\r\nlib\r\n");
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run({"FCALL", "bump", "1", "f", other}) == "*2\r\n$1\r\nx\r\n:1\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  CHECK(s.scripts().NeedsAllShards("bump"));
}

TEST_CASE("A write to a value too big to copy takes every shard first",
          "[scripting][script-shards]") {
  CommandTester t(
      std::vector<std::pair<std::string, std::string>>{{"hash-max-listpack-entries", "16"}});
  Server& s = t.server();
  std::string big = KeyOnAnotherShard(s, {"d"}, "big");
  std::vector<std::string> hset = {"HSET", big};
  for (int i = 0; i < 300; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back("v");
  }
  t.Run(hset);
  CHECK(t.Run({"OBJECT", "ENCODING", big}) == "$9\r\nhashtable\r\n");
  // Uncontended: every shard is taken without a restart.
  CHECK(t.Run({"EVAL", "redis.call('SET', KEYS[1], 1) return redis.call('HSET', ARGV[1], 'n', 1)",
               "1", "d", big}) == ":1\r\n");
  CHECK(s.scripts().script_restarts() == 0);
  // Contended: the attempt restarts, the SET on `d` is undone and done again.
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run({"EVAL", "redis.call('INCR', KEYS[1]) return redis.call('HDEL', ARGV[1], 'n')", "1",
               "d", big}) == ":1\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  CHECK(t.Run({"GET", "d"}) == "$1\r\n2\r\n");
  CHECK(t.Run({"HLEN", big}) == ":300\r\n");
}

TEST_CASE("A script that calls a whole-keyspace command restarts before it writes",
          "[scripting][script-shards]") {
  CommandTester t;
  Server& s = t.server();
  CHECK(t.Run({"MSET", "x1", "1", "x2", "2", "x3", "3"}) == "+OK\r\n");
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run({"EVAL", "redis.call('SET', KEYS[1], 'v') return redis.call('DBSIZE')", "1", "x4"}) ==
        ":4\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  CHECK(t.Run({"DBSIZE"}) == ":4\r\n");
  // Uncontended, it takes every shard mid-run: SWAPDB and FLUSHALL inside the script.
  CHECK(t.Run({"EVAL",
               "redis.call('SET', KEYS[1], 'v') redis.call('SWAPDB', 0, 1) "
               "return redis.call('DBSIZE')",
               "1", "x5"}) == ":0\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  CHECK(t.Run({"SELECT", "1"}) == "+OK\r\n");
  CHECK(t.Run({"DBSIZE"}) == ":5\r\n");
  CHECK(t.Run({"EVAL",
               "redis.call('SET', KEYS[1], 'v') redis.call('FLUSHALL') "
               "return redis.call('EXISTS', KEYS[1])",
               "1", "x6"}) == ":0\r\n");
  CHECK(t.Run({"DBSIZE"}) == ":0\r\n");
}

TEST_CASE("A script undone after a lazy expiry gives the expired key back",
          "[scripting][script-shards]") {
  CommandTester t;
  Server& s = t.server();
  s.write_log().set_enabled(true);
  std::string other = KeyOnAnotherShard(s, {"e"}, "p");
  CHECK(t.Run({"SET", "e", "v", "PX", "10"}) == "+OK\r\n");
  t.AdvanceTime(20);
  std::string drop;
  s.write_log().Take(&drop);
  s.scripts().FailShardAcquisitionsForTest(1);
  CHECK(t.Run({"EVAL",
               "local v = redis.call('GET', KEYS[1]) redis.call('INCR', ARGV[1]) "
               "return v",
               "1", "e", other}) == "$-1\r\n");
  CHECK(s.scripts().script_restarts() == 1);
  std::string logged;
  s.write_log().Take(&logged);
  // One DEL for the expired key (from the run that committed), one INCR.
  size_t dels = 0;
  for (size_t p = logged.find("\r\ne\r\n"); p != std::string::npos;
       p = logged.find("\r\ne\r\n", p + 1)) {
    ++dels;
  }
  CHECK(dels == 1);
  CHECK(t.Run({"EXISTS", "e"}) == ":0\r\n");
}

}  // namespace
}  // namespace tessera::server
