// key-ttl-policy (server/key_ttl_policy.h): applied once, in the dispatcher, to the keys any
// write command changed, with the fake clock; and logged as PEXPIREAT after the write.
#include <catch2/catch.hpp>

#include <string>

#include "persistence/write_log.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::kOk;

std::string Ttl(CommandTester& t, std::string_view key) { return t.Run({"TTL", key}); }

TEST_CASE("key-ttl-policy gives matching keys written without a TTL the default", "[ttlpolicy]") {
  CommandTester t;
  REQUIRE(t.Run({"CONFIG", "SET", "key-ttl-policy", "sess:* 3600 86400 cap:* 0 60"}) == kOk);
  // Every family, one rule.
  t.Run({"SET", "sess:1", "v"});
  t.Run({"HSET", "sess:2", "f", "v"});
  t.Run({"LPUSH", "sess:3", "a"});
  t.Run({"SADD", "sess:4", "a"});
  t.Run({"ZADD", "sess:5", "1", "a"});
  t.Run({"XADD", "sess:6", "*", "f", "v"});
  t.Run({"PFADD", "sess:7", "a"});
  t.Run({"SETBIT", "sess:8", "3", "1"});
  t.Run({"INCR", "sess:9"});
  t.Run({"MSET", "sess:10", "a", "other", "b"});
  for (int i = 1; i <= 10; ++i) {
    INFO("sess:" << i);
    CHECK(Ttl(t, "sess:" + std::to_string(i)) == ":3600\r\n");
  }
  CHECK(Ttl(t, "other") == ":-1\r\n");  // no policy matches
  // A TTL within the maximum stays; a longer one is cut to the maximum.
  t.Run({"SET", "sess:a", "v", "EX", "100"});
  CHECK(Ttl(t, "sess:a") == ":100\r\n");
  t.Run({"EXPIRE", "sess:a", "999999"});
  CHECK(Ttl(t, "sess:a") == ":86400\r\n");
  t.Run({"SET", "sess:b", "v", "EX", "999999"});
  CHECK(Ttl(t, "sess:b") == ":86400\r\n");
  // No default: persistent keys are capped at the maximum instead.
  t.Run({"SET", "cap:1", "v"});
  CHECK(Ttl(t, "cap:1") == ":60\r\n");
  // Written again without a TTL (SET clears it): the default again; PERSIST too.
  t.AdvanceTime(1000 * 1000);
  t.Run({"SET", "sess:1", "w"});
  CHECK(Ttl(t, "sess:1") == ":3600\r\n");
  CHECK(t.Run({"PERSIST", "sess:1"}) == ":1\r\n");
  CHECK(Ttl(t, "sess:1") == ":3600\r\n");
  // The TTL the policy set expires the key like any other.
  t.AdvanceTime(3600 * 1000 + 1);
  CHECK(t.Run({"EXISTS", "sess:1"}) == ":0\r\n");
}

TEST_CASE("key-ttl-policy: only keys a write changed, in its DB; first match wins", "[ttlpolicy]") {
  CommandTester t;
  t.Run({"SADD", "src:1", "a", "b"});
  t.Run({"SADD", "src:2", "b", "c"});
  REQUIRE(t.Run({"CONFIG", "SET", "key-ttl-policy", "dst* 100 0 * 50 0"}) == kOk);
  // The sources are read, not written: untouched.
  t.Run({"SINTERSTORE", "dst", "src:1", "src:2"});
  CHECK(Ttl(t, "dst") == ":100\r\n");
  CHECK(Ttl(t, "src:1") == ":-1\r\n");
  CHECK(Ttl(t, "src:2") == ":-1\r\n");
  // A write that changed nothing applies nothing.
  t.Run({"SADD", "src:1", "a"});
  CHECK(Ttl(t, "src:1") == ":-1\r\n");
  t.Run({"SADD", "src:1", "z"});
  CHECK(Ttl(t, "src:1") == ":50\r\n");
  // Reads never change a TTL.
  t.Run({"PERSIST", "src:1"});
  CHECK(t.Run({"CONFIG", "SET", "key-ttl-policy", "zzz 10 0"}) == kOk);
  t.Run({"PERSIST", "src:1"});
  CHECK(t.Run({"CONFIG", "SET", "key-ttl-policy", "* 10 0"}) == kOk);
  t.Run({"SMEMBERS", "src:1"});
  CHECK(Ttl(t, "src:1") == ":-1\r\n");
  // MOVE lands a key in another DB than the command's: left alone there.
  t.Run({"SELECT", "1"});
  CHECK(t.Run({"CONFIG", "SET", "key-ttl-policy", "zzz 10 0"}) == kOk);
  t.Run({"SET", "k", "v"});
  CHECK(t.Run({"CONFIG", "SET", "key-ttl-policy", "* 10 0"}) == kOk);
  CHECK(t.Run({"MOVE", "k", "0"}) == ":1\r\n");
  t.Run({"SELECT", "0"});
  CHECK(Ttl(t, "k") == ":-1\r\n");
  // The command's own DB: applies.
  t.Run({"SET", "k2", "v"});
  CHECK(Ttl(t, "k2") == ":10\r\n");
  // Off again: nothing applies.
  CHECK(t.Run({"CONFIG", "SET", "key-ttl-policy", ""}) == kOk);
  t.Run({"SET", "fresh", "v"});
  CHECK(Ttl(t, "fresh") == ":-1\r\n");
}

TEST_CASE("key-ttl-policy in MULTI and scripts, and in the write log", "[ttlpolicy]") {
  CommandTester t;
  t.server().write_log().set_enabled(true);
  REQUIRE(t.Run({"CONFIG", "SET", "key-ttl-policy", "s:* 30 0"}) == kOk);
  std::string drained;
  t.server().write_log().Take(&drained);
  t.Run({"SET", "s:1", "v"});
  std::string bytes;
  t.server().write_log().Take(&bytes);
  const std::string when = std::to_string(t.now_ms() + 30000);
  CHECK(bytes.find(
            "*3\r\n$3\r\nSET\r\n$3\r\ns:1\r\n$1\r\nv\r\n*3\r\n$9\r\nPEXPIREAT\r\n$3\r\ns:1\r\n$" +
            std::to_string(when.size()) + "\r\n" + when + "\r\n") != std::string::npos);
  t.Run({"MULTI"});
  t.Run({"SET", "s:2", "v"});
  t.Run({"SET", "other", "v"});
  t.Run({"EXEC"});
  CHECK(Ttl(t, "s:2") == ":30\r\n");
  CHECK(Ttl(t, "other") == ":-1\r\n");
  t.Run({"EVAL", "redis.call('SET', KEYS[1], 'x'); return redis.call('TTL', KEYS[1])", "1", "s:3"});
  CHECK(Ttl(t, "s:3") == ":30\r\n");
}

}  // namespace
}  // namespace tessera::server
