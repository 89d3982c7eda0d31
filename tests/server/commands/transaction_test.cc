// MULTI/EXEC/WATCH and the blocking machinery, driven through the real dispatcher.
#include <catch2/catch.hpp>

#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

TEST_CASE("MULTI queues and EXEC runs in order", "[transaction]") {
  CommandTester t;
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"SET", "a", "1"}) == "+QUEUED\r\n");
  CHECK(t.Run({"INCR", "a"}) == "+QUEUED\r\n");
  CHECK(t.Run({"LPUSH", "a", "x"}) == "+QUEUED\r\n");  // a runtime error is a reply, not abort
  CHECK(t.Run({"GET", "a"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) ==
        "*4\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of "
        "value\r\n$1\r\n2\r\n");
  CHECK(t.Run({"EXEC"}) == "-ERR EXEC without MULTI\r\n");
  CHECK(t.Run({"DISCARD"}) == "-ERR DISCARD without MULTI\r\n");
}

TEST_CASE("Queueing errors abort the transaction", "[transaction]") {
  CommandTester t;
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"MULTI"}) == "-ERR MULTI calls can not be nested\r\n");
  CHECK(t.Run({"WATCH", "x"}) == "-ERR WATCH inside MULTI is not allowed\r\n");
  CHECK(t.Run({"SET", "a", "1"}) == "+QUEUED\r\n");
  CHECK(t.Run({"GET"}) == "-ERR wrong number of arguments for 'get' command\r\n");
  CHECK(t.Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  CHECK(t.Run({"EXISTS", "a"}) == ":0\r\n");
  // DISCARD drops the queue.
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"SET", "a", "1"}) == "+QUEUED\r\n");
  CHECK(t.Run({"DISCARD"}) == "+OK\r\n");
  CHECK(t.Run({"EXISTS", "a"}) == ":0\r\n");
}

TEST_CASE("WATCH fails EXEC after another client's write", "[transaction]") {
  CommandTester t;
  int other = t.AddClient();
  t.Run({"SET", "k", "1"});
  CHECK(t.Run({"WATCH", "k"}) == "+OK\r\n");
  CHECK(t.RunAs(other, {"SET", "k", "2"}) == "+OK\r\n");
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"GET", "k"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*-1\r\n");
  // Unwatched after EXEC: the next transaction runs.
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"GET", "k"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*1\r\n$1\r\n2\r\n");
  // A watched key that expires fails EXEC too.
  t.Run({"SET", "e", "v", "PX", "100"});
  CHECK(t.Run({"WATCH", "e"}) == "+OK\r\n");
  t.AdvanceTime(200);
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"PING"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*-1\r\n");
  // UNWATCH forgets; FLUSHALL touches.
  CHECK(t.Run({"WATCH", "k"}) == "+OK\r\n");
  CHECK(t.Run({"UNWATCH"}) == "+OK\r\n");
  t.RunAs(other, {"SET", "k", "3"});
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"EXEC"}) == "*0\r\n");
  CHECK(t.Run({"WATCH", "k"}) == "+OK\r\n");
  t.RunAs(other, {"FLUSHALL"});
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"EXEC"}) == "*-1\r\n");
}

TEST_CASE("Blocked clients are served in the order they blocked", "[transaction][blocking]") {
  CommandTester t;
  int a = t.AddClient();
  int b = t.AddClient();
  CHECK(t.RunAs(a, {"BLPOP", "q", "0"}).empty());
  CHECK(t.RunAs(b, {"BRPOP", "q", "other", "0"}).empty());
  CHECK(t.Run({"INFO", "clients"}).find("blocked_clients:2\r\n") != std::string::npos);
  CHECK(t.Run({"RPUSH", "q", "x", "y", "z"}) == ":3\r\n");
  CHECK(t.TakeDelivered(a) == "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
  CHECK(t.TakeDelivered(b) == "*2\r\n$1\r\nq\r\n$1\r\nz\r\n");
  CHECK(t.Run({"LRANGE", "q", "0", "-1"}) == "*1\r\n$1\r\ny\r\n");
  CHECK(t.Run({"INFO", "clients"}).find("blocked_clients:0\r\n") != std::string::npos);
}

TEST_CASE("A key of another type does not wake a blocked client", "[transaction][blocking]") {
  CommandTester t;
  int a = t.AddClient();
  CHECK(t.RunAs(a, {"BLPOP", "k", "0"}).empty());
  t.Run({"SET", "k", "string"});
  CHECK(t.TakeDelivered(a).empty());
  t.Run({"DEL", "k"});
  t.Run({"RPUSH", "k", "v"});
  CHECK(t.TakeDelivered(a) == "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

TEST_CASE("Timeouts and CLIENT UNBLOCK", "[transaction][blocking]") {
  CommandTester t;
  int a = t.AddClient();
  CHECK(t.RunAs(a, {"BLPOP", "k", "0.5"}).empty());
  CHECK(t.TimeOut(a) == "*-1\r\n");
  CHECK(t.TimeOut(a).empty());  // no longer blocked
  CHECK(t.RunAs(a, {"BLPOP", "k", "0"}).empty());
  std::string id = std::to_string(t.client(a).id);
  CHECK(t.Run({"CLIENT", "UNBLOCK", id, "FOO"}) ==
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
  CHECK(t.Run({"CLIENT", "UNBLOCK", id}) == ":1\r\n");
  CHECK(t.TakeDelivered(a) == "*-1\r\n");
  CHECK(t.Run({"CLIENT", "UNBLOCK", id}) == ":0\r\n");
  CHECK(t.RunAs(a, {"BLPOP", "k", "0"}).empty());
  CHECK(t.Run({"CLIENT", "UNBLOCK", id, "ERROR"}) == ":1\r\n");
  CHECK(t.TakeDelivered(a) == "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  // Timeout argument errors.
  CHECK(t.Run({"BLPOP", "k", "-1"}) == "-ERR timeout is negative\r\n");
  CHECK(t.Run({"BLPOP", "k", "abc"}) == "-ERR timeout is not a float or out of range\r\n");
  CHECK(t.Run({"BLPOP", "k", "1e100"}) == "-ERR timeout is out of range\r\n");
}

TEST_CASE("Inside MULTI a blocking command does not block", "[transaction][blocking]") {
  CommandTester t;
  int a = t.AddClient();
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"BLPOP", "k", "0"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*1\r\n*-1\r\n");
  // Pushes inside a transaction serve waiters only after EXEC, with the final state.
  CHECK(t.RunAs(a, {"BLPOP", "k", "0"}).empty());
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  t.Run({"LPUSH", "k", "a"});
  t.Run({"LPUSH", "k", "b"});
  CHECK(t.Run({"EXEC"}) == "*2\r\n:1\r\n:2\r\n");
  CHECK(t.TakeDelivered(a) == "*2\r\n$1\r\nk\r\n$1\r\nb\r\n");
}

TEST_CASE("BLMOVE chains and SWAPDB wake waiters", "[transaction][blocking]") {
  CommandTester t;
  int a = t.AddClient();
  int b = t.AddClient();
  CHECK(t.RunAs(a, {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"}).empty());
  CHECK(t.RunAs(b, {"BLPOP", "dst", "0"}).empty());
  t.Run({"RPUSH", "src", "v"});
  CHECK(t.TakeDelivered(a) == "$1\r\nv\r\n");
  CHECK(t.TakeDelivered(b) == "*2\r\n$3\r\ndst\r\n$1\r\nv\r\n");
  // A key swapped into the waiter's DB serves it.
  CHECK(t.RunAs(a, {"BLPOP", "s", "0"}).empty());
  t.Run({"SELECT", "1"});
  t.Run({"RPUSH", "s", "w"});
  CHECK(t.Run({"SWAPDB", "0", "1"}) == "+OK\r\n");
  CHECK(t.TakeDelivered(a) == "*2\r\n$1\r\ns\r\n$1\r\nw\r\n");
}

TEST_CASE("EXEC refused before it runs discards the transaction with the reason", "[transaction]") {
  CommandTester t;
  CHECK(t.Run({"ACL", "SETUSER", "u", "on", "nopass", "+@all", "-exec", "allkeys"}) == "+OK\r\n");
  CHECK(t.Run({"AUTH", "u", "x"}) == "+OK\r\n");
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"SET", "k", "v"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) ==
        "-EXECABORT Transaction discarded because of: NOPERM User u has no permissions to run "
        "the 'exec' command\r\n");
  // Out of the transaction, and nothing ran.
  CHECK(t.Run({"GET", "k"}) == "$-1\r\n");
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");  // not "nested": the first one was discarded
  CHECK(t.Run({"DISCARD"}) == "+OK\r\n");
}

}  // namespace
}  // namespace tessera::server
