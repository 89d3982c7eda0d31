// Client-side caching (CLIENT TRACKING) through the real dispatcher.  In-process there are no
// workers: an invalidation for another client is delivered at once and read with
// TakeDelivered(); one for the client running the command follows its reply in Run()'s
// result, as on a socket.  Error texts were checked against redis-server 7.2.4.
#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "server/client_state.h"
#include "server/expire_cycle.h"
#include "server/pubsub.h"
#include "server/tracking.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::Bulk;
using test_replies::kOk;

std::string Keys(std::initializer_list<std::string_view> keys) {
  std::string out = "*" + std::to_string(keys.size()) + "\r\n";
  for (auto k : keys) out += Bulk(k);
  return out;
}
// RESP3 push of an invalidation.
std::string Push3(std::initializer_list<std::string_view> keys) {
  return ">2\r\n" + Bulk("invalidate") + Keys(keys);
}
// RESP2 Pub/Sub message of a redirected invalidation.
std::string Message2(std::initializer_list<std::string_view> keys) {
  return "*3\r\n" + Bulk("message") + Bulk("__redis__:invalidate") + Keys(keys);
}
const std::string kFlush3 = ">2\r\n" + Bulk("invalidate") + "_\r\n";

std::string Id(CommandTester& t, int client) { return std::to_string(t.client(client).id); }

TEST_CASE("CLIENT TRACKING rejects bad options with Redis's errors", "[tracking]") {
  CommandTester t;
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "PREFIX", "a"}) ==
        "-ERR PREFIX option requires BCAST mode to be enabled\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "OPTIN"}) ==
        "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"}) ==
        "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", "999"}) ==
        "-ERR The client ID you want redirect to does not exist\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", "x"}) == test_replies::kNotInt);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT"}) == test_replies::kSyntax);
  CHECK(t.Run({"CLIENT", "TRACKING", "maybe"}) == test_replies::kSyntax);
  CHECK(t.Run({"CLIENT", "TRACKING", "off", "bogus"}) == test_replies::kSyntax);
  CHECK(t.Run({"CLIENT", "TRACKING"}) ==
        "-ERR wrong number of arguments for 'client|tracking' command\r\n");
  std::string me = Id(t, 0);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", me, "REDIRECT", me}) ==
        "-ERR A client can only redirect to a single other client\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO"}) ==
        "-ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a "
        "single client must not overlap.\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FO"}) ==
        "-ERR Prefix 'FO' overlaps with an existing prefix 'FOO'. Prefixes for a single client "
        "must not overlap.\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) ==
        "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "OPTIN"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "OPTOUT"}) ==
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.\r\n");
  CHECK(t.Run({"CLIENT", "CACHING", "no"}) ==
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n");
  CHECK(t.Run({"CLIENT", "CACHING", "maybe"}) == test_replies::kSyntax);
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "CACHING", "yes"}) ==
        "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled\r\n");
}

TEST_CASE("CLIENT TRACKINGINFO and GETREDIR describe the mode", "[tracking]") {
  CommandTester t;
  int other = t.AddClient();
  CHECK(t.Run({"CLIENT", "TRACKINGINFO"}) == "*6\r\n" + Bulk("flags") + "*1\r\n" + Bulk("off") +
                                                 Bulk("redirect") + ":-1\r\n" + Bulk("prefixes") +
                                                 "*0\r\n");
  CHECK(t.Run({"CLIENT", "GETREDIR"}) == ":-1\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP", "REDIRECT", Id(t, other)}) == kOk);
  CHECK(t.Run({"CLIENT", "CACHING", "yes"}) == kOk);
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKINGINFO"}) ==
        "%3\r\n" + Bulk("flags") + "~4\r\n" + Bulk("on") + Bulk("optin") + Bulk("caching-yes") +
            Bulk("noloop") + Bulk("redirect") + ":" + Id(t, other) + "\r\n" + Bulk("prefixes") +
            "*0\r\n");
  CHECK(t.Run({"CLIENT", "GETREDIR"}) == ":" + Id(t, other) + "\r\n");
  // CLIENT CACHING lasts for one command (CLIENT subcommands do not count).
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
  CHECK(t.Run({"CLIENT", "TRACKINGINFO"}).find("caching-yes") == std::string::npos);
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "foo", "PREFIX", "bar"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKINGINFO"}) == "%3\r\n" + Bulk("flags") + "~2\r\n" + Bulk("on") +
                                                 Bulk("bcast") + Bulk("redirect") + ":0\r\n" +
                                                 Bulk("prefixes") + Keys({"bar", "foo"}));
  CHECK(t.Run({"CLIENT", "GETREDIR"}) == ":0\r\n");
  std::string list = t.Run({"CLIENT", "INFO"});
  CHECK(list.find(" flags=tB ") != std::string::npos);
  CHECK(list.find(" redir=0 ") != std::string::npos);
}

TEST_CASE("A RESP3 client is told when a key it read changes, once", "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.RunAs(writer, {"SET", "k", "1"}) == kOk);
  CHECK(t.Run({"GET", "k"}) == Bulk("1"));
  CHECK(t.RunAs(writer, {"INCR", "other"}) == ":1\r\n");  // never read: no message
  CHECK(t.TakeDelivered(0).empty());
  CHECK(t.RunAs(writer, {"SET", "k", "2"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"k"}));
  // The key left the table with its invalidation: until read again, no more messages.
  CHECK(t.RunAs(writer, {"SET", "k", "3"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
  // A write that changes nothing invalidates nothing.
  CHECK(t.Run({"MGET", "k", "missing"}) == "*2\r\n" + Bulk("3") + "_\r\n");
  CHECK(t.RunAs(writer, {"SET", "k", "4", "NX"}) == "$-1\r\n");
  CHECK(t.RunAs(writer, {"DEL", "nothing"}) == ":0\r\n");
  CHECK(t.TakeDelivered(0).empty());
  CHECK(t.RunAs(writer, {"DEL", "k"}) == ":1\r\n");
  CHECK(t.TakeDelivered(0) == Push3({"k"}));
  // Its own write: the message follows the reply.
  CHECK(t.Run({"HSET", "h", "f", "1"}) == ":1\r\n");
  CHECK(t.Run({"HGET", "h", "f"}) == Bulk("1"));
  CHECK(t.Run({"HDEL", "h", "f"}) == ":1\r\n" + Push3({"h"}));
  // Writes are not reads: a key only written is not tracked.
  CHECK(t.RunAs(writer, {"SET", "h", "x"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
}

TEST_CASE("Tracking without RESP3 or a redirect sends nothing; INFO counts the table",
          "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.Run({"MGET", "a", "b", "a"}) == "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
  std::string info = t.Run({"INFO"});
  CHECK(info.find("tracking_clients:1\r\n") != std::string::npos);
  CHECK(info.find("tracking_total_keys:2\r\n") != std::string::npos);
  CHECK(info.find("tracking_total_items:2\r\n") != std::string::npos);
  CHECK(t.RunAs(writer, {"SET", "a", "1"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
  info = t.Run({"INFO", "stats"});
  CHECK(info.find("tracking_total_keys:1\r\n") != std::string::npos);
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"INFO", "clients"}).find("tracking_clients:0\r\n") != std::string::npos);
}

TEST_CASE("REDIRECT sends invalidations to another client, RESP2 as Pub/Sub messages",
          "[tracking]") {
  CommandTester t;
  int sink = t.AddClient(), writer = t.AddClient();
  CHECK(t.RunAs(sink, {"SUBSCRIBE", "__redis__:invalidate"}).rfind("*3\r\n", 0) == 0);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", Id(t, sink)}) == kOk);
  CHECK(t.Run({"GET", "a"}) == "$-1\r\n");
  CHECK(t.RunAs(writer, {"SET", "a", "1"}) == kOk);
  CHECK(t.TakeDelivered(sink) == Message2({"a"}));
  CHECK(t.TakeDelivered(0).empty());
  // The tracking client's own write also goes to the redirect target.
  CHECK(t.Run({"GET", "a"}) == Bulk("1"));
  CHECK(t.Run({"SET", "a", "2"}) == kOk);
  CHECK(t.TakeDelivered(sink) == Message2({"a"}));
  // A RESP3 target gets pushes.
  t.client(sink).resp = 3;
  CHECK(t.Run({"GET", "a"}) == Bulk("2"));
  CHECK(t.RunAs(writer, {"DEL", "a"}) == ":1\r\n");
  CHECK(t.TakeDelivered(sink) == Push3({"a"}));
  // A RESP2 target that does not subscribe gets nothing.
  int plain = t.AddClient();
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", Id(t, plain)}) == kOk);
  CHECK(t.Run({"GET", "a"}) == "$-1\r\n");
  CHECK(t.RunAs(writer, {"SET", "a", "3"}) == kOk);
  CHECK(t.TakeDelivered(plain).empty());
}

TEST_CASE("A redirect to a client that left breaks, with tracking-redir-broken", "[tracking]") {
  CommandTester t;
  int sink = t.AddClient(), writer = t.AddClient();
  t.set_protocol(3);
  std::string sink_id = Id(t, sink);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", sink_id}) == kOk);
  CHECK(t.Run({"GET", "k"}) == "_\r\n");
  t.Disconnect(sink);
  CHECK(t.RunAs(writer, {"SET", "k", "1"}) == kOk);
  CHECK(t.TakeDelivered(0) == ">2\r\n" + Bulk("tracking-redir-broken") + ":" + sink_id + "\r\n");
  CHECK(t.Run({"CLIENT", "TRACKINGINFO"}) == "%3\r\n" + Bulk("flags") + "~2\r\n" + Bulk("on") +
                                                 Bulk("broken_redirect") + Bulk("redirect") + ":" +
                                                 sink_id + "\r\n" + Bulk("prefixes") + "*0\r\n");
  std::string info = t.Run({"CLIENT", "INFO"});
  CHECK(info.find(" flags=tR ") != std::string::npos);
  CHECK(info.find(" redir=" + sink_id + " ") != std::string::npos);
}

TEST_CASE("NOLOOP hides a client's own changes", "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "NOLOOP"}) == kOk);
  CHECK(t.Run({"MGET", "mine", "theirs"}) == "*2\r\n_\r\n_\r\n");
  CHECK(t.Run({"SET", "mine", "1"}) == kOk);  // no message after the reply
  CHECK(t.RunAs(writer, {"SET", "theirs", "1"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"theirs"}));
  // The own write still took the key out of the table.
  CHECK(t.RunAs(writer, {"SET", "mine", "2"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
  // A script's writes are its caller's own.
  CHECK(t.Run({"GET", "mine"}) == Bulk("2"));
  CHECK(t.Run({"EVAL", "return redis.call('set', KEYS[1], '3')", "1", "mine"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
}

TEST_CASE("BCAST sends every changed key under the client's prefixes", "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:"}) == kOk);
  CHECK(t.Run({"INFO", "stats"}).find("tracking_total_prefixes:2\r\n") != std::string::npos);
  // One message per prefix for everything one command changed, keys in order.
  CHECK(t.RunAs(writer, {"MSET", "b:2", "x", "a:2", "x", "c:1", "x", "a:1", "x"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"a:1", "a:2"}) + Push3({"b:2"}));
  // No read is needed, and every change is sent.
  CHECK(t.RunAs(writer, {"SET", "a:1", "y"}) == kOk);
  CHECK(t.RunAs(writer, {"SET", "a:1", "z"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"a:1"}) + Push3({"a:1"}));
  CHECK(t.RunAs(writer, {"SET", "c:1", "y"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
  // More prefixes join the ones already there.
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c:"}) == kOk);
  CHECK(t.RunAs(writer, {"SET", "c:1", "z"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"c:1"}));
  // A transaction's changes go out together after EXEC.
  CHECK(t.RunAs(writer, {"MULTI"}) == kOk);
  CHECK(t.RunAs(writer, {"SET", "a:9", "1"}) == "+QUEUED\r\n");
  CHECK(t.RunAs(writer, {"SET", "a:8", "1"}) == "+QUEUED\r\n");
  CHECK(t.RunAs(writer, {"EXEC"}) == "*2\r\n+OK\r\n+OK\r\n");
  CHECK(t.TakeDelivered(0) == Push3({"a:8", "a:9"}));
  // The empty prefix (BCAST alone) matches every key.
  int all = t.AddClient();
  t.client(all).resp = 3;
  CHECK(t.RunAs(all, {"CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"}) == kOk);
  CHECK(t.RunAs(all, {"CLIENT", "TRACKINGINFO"}).find(Bulk("prefixes") + "*1\r\n$0\r\n\r\n") !=
        std::string::npos);
  CHECK(t.RunAs(all, {"SET", "own", "1"}) == kOk);  // NOLOOP: not sent to itself
  CHECK(t.TakeDelivered(all).empty());
  CHECK(t.RunAs(writer, {"SET", "zzz", "1"}) == kOk);
  CHECK(t.TakeDelivered(all) == Push3({"zzz"}));
  CHECK(t.RunAs(all, {"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"INFO", "stats"}).find("tracking_total_prefixes:0\r\n") != std::string::npos);
}

TEST_CASE("Keys read before switching to BCAST are not reported", "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.Run({"GET", "k"}) == "_\r\n");
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x"}) == kOk);
  CHECK(t.RunAs(writer, {"SET", "k", "1"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
}

TEST_CASE("OPTIN tracks only after CLIENT CACHING yes, OPTOUT all but after CACHING no",
          "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "OPTIN"}) == kOk);
  CHECK(t.Run({"GET", "a"}) == "_\r\n");
  CHECK(t.Run({"CLIENT", "CACHING", "yes"}) == kOk);
  CHECK(t.Run({"GET", "b"}) == "_\r\n");
  CHECK(t.Run({"GET", "c"}) == "_\r\n");  // CACHING yes covered one command only
  CHECK(t.RunAs(writer, {"MSET", "a", "1", "b", "1", "c", "1"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"b"}));
  // In a transaction, CACHING yes before MULTI covers every queued command.
  CHECK(t.Run({"CLIENT", "CACHING", "yes"}) == kOk);
  CHECK(t.Run({"MULTI"}) == kOk);
  CHECK(t.Run({"GET", "a"}) == "+QUEUED\r\n");
  CHECK(t.Run({"GET", "c"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*2\r\n" + Bulk("1") + Bulk("1"));
  CHECK(t.Run({"GET", "b"}) == Bulk("1"));  // after EXEC: no longer
  CHECK(t.RunAs(writer, {"MSET", "a", "2", "b", "2", "c", "2"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"a"}) + Push3({"c"}));

  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "OPTOUT"}) == kOk);
  CHECK(t.Run({"GET", "a"}) == Bulk("2"));
  CHECK(t.Run({"CLIENT", "CACHING", "no"}) == kOk);
  CHECK(t.Run({"GET", "b"}) == Bulk("2"));
  CHECK(t.RunAs(writer, {"MSET", "a", "3", "b", "3"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"a"}));
}

TEST_CASE("FLUSHDB and FLUSHALL send a null invalidation to every tracking client", "[tracking]") {
  CommandTester t;
  int sink = t.AddClient(), other = t.AddClient(), flusher = t.AddClient();
  CHECK(t.RunAs(sink, {"SUBSCRIBE", "__redis__:invalidate"}).rfind("*3\r\n", 0) == 0);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "REDIRECT", Id(t, sink)}) == kOk);
  t.client(other).resp = 3;
  CHECK(t.RunAs(other, {"CLIENT", "TRACKING", "on", "BCAST"}) == kOk);
  CHECK(t.Run({"GET", "k"}) == "$-1\r\n");
  CHECK(t.Run({"INFO", "stats"}).find("tracking_total_keys:1\r\n") != std::string::npos);
  CHECK(t.RunAs(flusher, {"FLUSHALL"}) == kOk);
  // RESP2 tracking client: its null is RESP2's, sent as a Pub/Sub message.
  CHECK(t.TakeDelivered(sink) ==
        "*3\r\n" + Bulk("message") + Bulk("__redis__:invalidate") + "$-1\r\n");
  CHECK(t.TakeDelivered(other) == kFlush3);
  CHECK(t.Run({"INFO", "stats"}).find("tracking_total_keys:0\r\n") != std::string::npos);
  // The flushing client's own message follows its reply (after EXEC's in a transaction).
  CHECK(t.RunAs(other, {"MULTI"}) == kOk);
  CHECK(t.RunAs(other, {"FLUSHDB"}) == "+QUEUED\r\n");
  CHECK(t.RunAs(other, {"EXEC"}) == "*1\r\n+OK\r\n" + kFlush3);
  CHECK(t.TakeDelivered(sink).size() > 0);
}

TEST_CASE("The client's own invalidations follow a transaction's reply", "[tracking]") {
  CommandTester t;
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.Run({"MSET", "a", "1", "b", "2"}) == kOk);
  CHECK(t.Run({"GET", "a"}) == Bulk("1"));
  CHECK(t.Run({"MULTI"}) == kOk);
  CHECK(t.Run({"INCR", "a"}) == "+QUEUED\r\n");
  CHECK(t.Run({"GET", "b"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*2\r\n:2\r\n" + Bulk("2") + Push3({"a"}));
}

TEST_CASE("Expired keys are invalidated, lazily and by the active cycle", "[tracking]") {
  CommandTester t;
  int reader = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "NOLOOP"}) == kOk);
  CHECK(t.Run({"SET", "lazy", "1", "PX", "100"}) == kOk);
  CHECK(t.Run({"SET", "active", "1", "PX", "100"}) == kOk);
  CHECK(t.Run({"MGET", "lazy", "active"}) == "*2\r\n" + Bulk("1") + Bulk("1"));
  t.AdvanceTime(200);
  // Found expired by another client's read.
  CHECK(t.RunAs(reader, {"GET", "lazy"}) == "$-1\r\n");
  CHECK(t.TakeDelivered(0) == Push3({"lazy"}));
  // Reclaimed by the active cycle.
  RunActiveExpireCycle(t.server(), 0, 1, t.now_ms(), 1000000);
  CHECK(t.TakeDelivered(0) == Push3({"active"}));
  // Found expired by the tracking client itself: after its reply, and NOLOOP (by the key
  // table, as Redis) hides it.
  CHECK(t.Run({"SET", "mine", "1", "PX", "100"}) == kOk);
  CHECK(t.Run({"GET", "mine"}) == Bulk("1"));
  t.AdvanceTime(200);
  CHECK(t.Run({"GET", "mine"}) == "_\r\n");
  // As in Redis, the read that found it expired tracks it again (the ids of a client stay in
  // the table across TRACKING off and on).
  CHECK(t.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.Run({"SET", "mine", "1", "PX", "100"}) == kOk + Push3({"mine"}));
  CHECK(t.Run({"GET", "mine"}) == Bulk("1"));
  t.AdvanceTime(200);
  CHECK(t.Run({"MGET", "mine", "x"}) == "*2\r\n_\r\n_\r\n" + Push3({"mine"}));
}

TEST_CASE("Scripts track the keys their read-only calls read, for the caller", "[tracking]") {
  CommandTester t;
  int writer = t.AddClient();
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.Run({"EVAL", "redis.call('set', 'k3', 'bar')", "2", "k1", "k2"}) == "_\r\n");
  CHECK(t.RunAs(writer, {"MSET", "k1", "1", "k2", "1"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
  CHECK(t.Run({"EVAL", "redis.call('get', 'k2')", "2", "k1", "k2"}) == "_\r\n");
  CHECK(t.RunAs(writer, {"MSET", "k1", "2", "k2", "2", "k3", "2"}) == kOk);
  CHECK(t.TakeDelivered(0) == Push3({"k2"}));
  CHECK(t.Run({"EVAL_RO", "redis.call('ping')", "2", "k1", "k2"}) == "_\r\n");
  CHECK(t.RunAs(writer, {"MSET", "k1", "3", "k2", "3"}) == kOk);
  CHECK(t.TakeDelivered(0).empty());
}

TEST_CASE("tracking-table-max-keys evicts keys with invalidations", "[tracking]") {
  CommandTester t;
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  for (int i = 0; i < 250; ++i) {
    std::string key = "key" + std::to_string(i);
    CHECK(t.Run({"GET", key}) == "_\r\n");
  }
  CHECK(t.Run({"CONFIG", "SET", "tracking-table-max-keys", "1"}) == kOk);
  // Before each command the table is brought back under the limit, with more effort each time
  // it could not get there (100 keys, then 200).  The messages are written before the reply
  // (in-process, they are delivered at once).
  auto count = [](const std::string& out) {
    size_t n = 0;
    for (size_t p = out.find(">2\r\n"); p != std::string::npos; p = out.find(">2\r\n", p + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
  CHECK(count(t.TakeDelivered(0)) == 100);
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
  CHECK(count(t.TakeDelivered(0)) == 149);
  CHECK(t.Run({"INFO", "stats"}).find("tracking_total_keys:1\r\n") != std::string::npos);
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
  CHECK(t.TakeDelivered(0).empty());
  CHECK(t.Run({"CONFIG", "GET", "tracking-table-max-keys"}) ==
        "%1\r\n" + Bulk("tracking-table-max-keys") + Bulk("1"));
}

TEST_CASE("RESET and a disconnect end tracking", "[tracking]") {
  CommandTester t;
  int other = t.AddClient();
  CHECK(t.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p"}) == kOk);
  CHECK(t.RunAs(other, {"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(t.Run({"INFO", "clients"}).find("tracking_clients:2\r\n") != std::string::npos);
  CHECK(t.Run({"RESET"}) == "+RESET\r\n");
  CHECK(t.Run({"CLIENT", "GETREDIR"}) == ":-1\r\n");
  t.Disconnect(other);
  std::string info = t.Run({"INFO"});
  CHECK(info.find("tracking_clients:0\r\n") != std::string::npos);
  CHECK(info.find("tracking_total_prefixes:0\r\n") != std::string::npos);
}

TEST_CASE("Posted invalidations are in transit until delivered and written", "[tracking]") {
  // A worker's inbox that runs only when told, and a connection that records what it gets.
  struct Target : PushTarget {
    void Push(std::string_view header, std::string_view body) override {
      bytes.append(header);
      bytes.append(body);
    }
    void CloseForOutputLimit() override {}
    void WriteNow() override { written = bytes.size(), ++writes; }
    std::string bytes;
    size_t written = 0;
    int writes = 0;
  } target;
  TrackingRegistry registry;
  std::vector<std::function<void()>> inbox;
  registry.set_post([&](int, std::function<void()> fn) { inbox.push_back(std::move(fn)); });
  ClientState tracker;
  tracker.id = 7;
  tracker.resp = 3;
  tracker.push = &target;
  registry.Enable(tracker, TrackingOptions{});
  const std::string a(1000, 'a'), b(500, 'b');
  std::string_view args[] = {"MGET", a, b};
  registry.RememberKeys(tracker.id, args, {1, 2});
  CHECK(registry.in_transit_bytes() == 0);
  registry.InvalidateKey(0, a, nullptr);
  registry.InvalidateKey(0, b, nullptr);
  REQUIRE(inbox.size() == 2);
  // Each message's key and framing, not yet in any output buffer.
  CHECK(registry.in_transit_bytes() >= 1500 + 2 * std::string_view("invalidate").size());
  CHECK(target.bytes.empty());
  inbox[0]();
  CHECK(registry.in_transit_bytes() >= 500);
  CHECK(registry.in_transit_bytes() < 1000);
  // Delivered and written at once, not at the end of the loop iteration.
  CHECK(target.bytes == Push3({a}));
  CHECK(target.written == target.bytes.size());
  CHECK(target.writes == 1);
  inbox[1]();
  CHECK(registry.in_transit_bytes() == 0);
  CHECK(target.bytes == Push3({a}) + Push3({b}));
  CHECK(target.writes == 2);
  registry.Disable(tracker);
}

}  // namespace
}  // namespace tessera::server
