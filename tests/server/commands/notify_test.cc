// Keyspace notifications and exact WATCH through the real dispatcher.  A second client
// PSUBSCRIBEs to every keyspace and keyevent channel; the events it receives are compared with
// those Redis 7.2 publishes for the same commands (the event names of its source).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/notify.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

// The (channel, message) pairs of the pmessage pushes in `bytes` (RESP2).
std::vector<std::string> Events(const std::string& bytes) {
  std::vector<std::string> out;
  size_t pos = 0;
  auto bulk = [&]() {
    size_t dollar = bytes.find('$', pos);
    size_t crlf = bytes.find("\r\n", dollar);
    size_t len = std::stoul(bytes.substr(dollar + 1, crlf - dollar - 1));
    std::string s = bytes.substr(crlf + 2, len);
    pos = crlf + 2 + len + 2;
    return s;
  };
  while ((pos = bytes.find("*4\r\n", pos)) != std::string::npos) {
    pos += 4;
    bulk();  // "pmessage"
    bulk();  // the pattern
    std::string channel = bulk();
    std::string message = bulk();
    out.push_back(channel + " " + message);
  }
  return out;
}

// A server with notify-keyspace-events `classes` and a subscriber (client 1) to everything.
struct Fixture {
  explicit Fixture(std::string classes) {
    t.Run({"CONFIG", "SET", "notify-keyspace-events", classes});
    sub = t.AddClient();
    t.RunAs(sub, {"PSUBSCRIBE", "__key*__:*"});
    t.TakeDelivered(sub);
  }
  std::vector<std::string> Take() { return Events(t.TakeDelivered(sub)); }
  CommandTester t;
  int sub = 0;
};

using V = std::vector<std::string>;

TEST_CASE("notify-keyspace-events parses and prints classes as Redis", "[notify]") {
  CHECK(FormatNotifyClasses(*ParseNotifyClasses("KA")) == "AK");
  CHECK(FormatNotifyClasses(*ParseNotifyClasses("EA")) == "AE");
  CHECK(FormatNotifyClasses(*ParseNotifyClasses("gKE")) == "gKE");
  CHECK(FormatNotifyClasses(*ParseNotifyClasses("$lshzxeKE")) == "$lshzxeKE");
  CHECK(FormatNotifyClasses(*ParseNotifyClasses("Enm")) == "nEm");
  CHECK(FormatNotifyClasses(*ParseNotifyClasses("")) == "");
  CHECK_FALSE(ParseNotifyClasses("KEQ").has_value());

  CommandTester t;
  CHECK(t.Run({"CONFIG", "SET", "notify-keyspace-events", "KEQ"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid "
        "event class character. Use 'Ag$lshzxeKEtmdn'.\r\n");
  CHECK(t.Run({"CONFIG", "SET", "notify-keyspace-events", "Kx"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "GET", "notify-keyspace-events"}) ==
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$2\r\nxK\r\n");
}

TEST_CASE("nothing is published while notify-keyspace-events is empty", "[notify]") {
  Fixture f("");
  f.t.Run({"SET", "k", "v"});
  f.t.Run({"DEL", "k"});
  CHECK(f.Take().empty());
}

TEST_CASE("string, generic and new-key events carry Redis's names", "[notify]") {
  Fixture f("KEA");
  f.t.Run({"SET", "k", "v", "EX", "100"});
  CHECK(f.Take() == V{"__keyspace@0__:k set", "__keyevent@0__:set k", "__keyspace@0__:k expire",
                      "__keyevent@0__:expire k"});
  f.t.Run({"CONFIG", "SET", "notify-keyspace-events", "Eg$n"});
  f.t.Run({"INCRBY", "n", "5"});
  CHECK(f.Take() == V{"__keyevent@0__:new n", "__keyevent@0__:incrby n"});
  f.t.Run({"SET", "n", "7"});  // an existing key is not new
  f.t.Run({"APPEND", "n", "x"});
  f.t.Run({"RENAME", "n", "m"});
  f.t.Run({"PERSIST", "m"});  // no expiry: nothing changes
  f.t.Run({"DEL", "m", "missing"});
  // RENAME adds the new name first, then reports the rename (Redis's order).
  CHECK(f.Take() == V{"__keyevent@0__:set n", "__keyevent@0__:append n", "__keyevent@0__:new m",
                      "__keyevent@0__:rename_from n", "__keyevent@0__:rename_to m",
                      "__keyevent@0__:del m"});
}

TEST_CASE("aggregate types report removals and the key's deletion", "[notify]") {
  Fixture f("EA");
  f.t.Run({"RPUSH", "l", "a", "b"});
  f.t.Run({"LPOP", "l", "2"});
  CHECK(f.Take() == V{"__keyevent@0__:rpush l", "__keyevent@0__:lpop l", "__keyevent@0__:del l"});
  f.t.Run({"SADD", "s", "a", "b", "c", "d"});
  f.t.Run({"SREM", "s", "x"});  // removed nothing: no event
  f.t.Run({"SREM", "s", "a"});
  CHECK(f.Take() == V{"__keyevent@0__:sadd s", "__keyevent@0__:srem s"});
  f.t.Run({"ZADD", "z", "1", "a"});
  f.t.Run({"ZADD", "z", "1", "a"});  // no change
  f.t.Run({"ZINCRBY", "z", "1", "a"});
  f.t.Run({"ZREMRANGEBYSCORE", "z", "-inf", "+inf"});
  CHECK(f.Take() == V{"__keyevent@0__:zadd z", "__keyevent@0__:zincr z",
                      "__keyevent@0__:zremrangebyscore z", "__keyevent@0__:del z"});
  f.t.Run({"HSET", "h", "f", "1"});
  f.t.Run({"HINCRBY", "h", "f", "2"});
  f.t.Run({"HDEL", "h", "f"});
  CHECK(f.Take() ==
        V{"__keyevent@0__:hset h", "__keyevent@0__:hincrby h", "__keyevent@0__:hdel h",
          "__keyevent@0__:del h"});
  f.t.Run({"XADD", "x", "1-1", "f", "v"});
  f.t.Run({"XGROUP", "CREATE", "x", "g", "0"});
  f.t.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "x", ">"});
  CHECK(f.Take() == V{"__keyevent@0__:xadd x", "__keyevent@0__:xgroup-create x",
                      "__keyevent@0__:xgroup-createconsumer x"});
}

TEST_CASE("keys found expired publish expired, in order with the command's own", "[notify]") {
  Fixture f("Egx");
  f.t.Run({"SET", "k", "v", "PX", "10"});
  f.Take();
  f.t.AdvanceTime(20);
  f.t.Run({"SET", "k", "w"});
  CHECK(f.Take() == V{"__keyevent@0__:expired k"});  // "set" is class $, not enabled
  f.t.Run({"CONFIG", "SET", "notify-keyspace-events", "Em"});
  f.t.Run({"GET", "nope"});
  f.t.Run({"EXISTS", "nope2"});
  f.t.Run({"OBJECT", "ENCODING", "nope3"});  // OBJECT reports no miss, as in Redis
  CHECK(f.Take() == V{"__keyevent@0__:keymiss nope", "__keyevent@0__:keymiss nope2"});
}

TEST_CASE("hash fields report hexpire, hpersist and hexpired (Redis 7.4)", "[notify]") {
  Fixture f("Egh");
  f.t.Run({"HSET", "h", "f1", "a", "f2", "b"});
  f.t.Run({"HPEXPIRE", "h", "10", "FIELDS", "1", "f1"});
  f.t.Run({"HPEXPIRE", "h", "10", "FIELDS", "1", "nope"});  // no field changed: no event
  CHECK(f.Take() == V{"__keyevent@0__:hset h", "__keyevent@0__:hexpire h"});
  f.t.AdvanceTime(20);
  f.t.Run({"HGET", "h", "f2"});  // the read finds f1 expired
  CHECK(f.Take() == V{"__keyevent@0__:hexpired h"});
  f.t.Run({"HPEXPIRE", "h", "10", "FIELDS", "1", "f2"});
  f.t.Run({"HPERSIST", "h", "FIELDS", "1", "f2"});
  f.t.Run({"HPEXPIRE", "h", "10", "FIELDS", "1", "f2"});
  f.t.AdvanceTime(20);
  f.t.Run({"HLEN", "h"});  // the last field went, and the key with it
  CHECK(f.Take() == V{"__keyevent@0__:hexpire h", "__keyevent@0__:hpersist h",
                      "__keyevent@0__:hexpire h", "__keyevent@0__:hexpired h",
                      "__keyevent@0__:del h"});
}

TEST_CASE("WATCH fails EXEC only when a watched key really changed", "[notify][watch]") {
  CommandTester t;
  int other = t.AddClient();
  t.Run({"SET", "k", "v"});
  auto exec_after = [&](std::initializer_list<std::string_view> write) {
    t.Run({"WATCH", "k"});
    t.RunAs(other, write);
    t.Run({"MULTI"});
    t.Run({"PING"});
    return t.Run({"EXEC"});
  };
  const std::string ran = "*1\r\n+PONG\r\n";
  const std::string aborted = "*-1\r\n";
  CHECK(exec_after({"SET", "k", "v", "NX"}) == ran);  // a no-op write
  CHECK(exec_after({"SADD", "other", "a"}) == ran);    // another key
  CHECK(exec_after({"DEL", "missing"}) == ran);
  CHECK(exec_after({"EXPIRE", "k", "100", "GT"}) == ran);  // a condition that failed
  CHECK(exec_after({"SET", "k", "w"}) == aborted);
  CHECK(exec_after({"DEL", "missing", "k"}) == aborted);
  t.Run({"RPUSH", "k", "a"});
  CHECK(exec_after({"LTRIM", "k", "0", "-1"}) == aborted);  // Redis counts LTRIM always
  CHECK(exec_after({"FLUSHDB"}) == aborted);
  CHECK(exec_after({"FLUSHDB"}) == ran);  // k no longer exists
  CHECK(exec_after({"SWAPDB", "0", "1"}) == ran);
  t.RunAs(other, {"SELECT", "1"});
  t.RunAs(other, {"SET", "k", "in-db-1"});
  CHECK(exec_after({"SWAPDB", "0", "1"}) == aborted);  // k comes in from DB 1
}

}  // namespace
}  // namespace tessera::server
