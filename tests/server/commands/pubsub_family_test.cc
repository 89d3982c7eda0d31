// Pub/Sub commands through the real dispatcher.  In-process there are no workers, so PUBLISH
// delivers at once; what a client receives is read with TakeDelivered().  The expected bytes
// were taken from redis-server for the same commands.
#include <catch2/catch.hpp>

#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::Bulk;

// A confirmation or message: `marker` is '*' (RESP2) or '>' (RESP3).
std::string Confirm(char marker, std::string_view what, std::string_view name, int count) {
  return std::string(1, marker) + "3\r\n" + Bulk(what) + Bulk(name) + ":" + std::to_string(count) +
         "\r\n";
}
std::string Message(char marker, std::string_view channel, std::string_view text,
                    std::string_view kind = "message") {
  return std::string(1, marker) + "3\r\n" + Bulk(kind) + Bulk(channel) + Bulk(text);
}
std::string PMessage(char marker, std::string_view pattern, std::string_view channel,
                     std::string_view text) {
  return std::string(1, marker) + "4\r\n" + Bulk("pmessage") + Bulk(pattern) + Bulk(channel) +
         Bulk(text);
}

TEST_CASE("SUBSCRIBE confirms each channel with the running count", "[pubsub]") {
  CommandTester t;
  CHECK(t.Run({"SUBSCRIBE", "a", "b", "a"}) == Confirm('*', "subscribe", "a", 1) +
                                                   Confirm('*', "subscribe", "b", 2) +
                                                   Confirm('*', "subscribe", "a", 2));
  // Patterns share the count with channels; shard channels have their own.
  CHECK(t.Run({"PSUBSCRIBE", "a*"}) == Confirm('*', "psubscribe", "a*", 3));
  CHECK(t.Run({"SSUBSCRIBE", "s"}) == Confirm('*', "ssubscribe", "s", 1));
  CHECK(t.Run({"UNSUBSCRIBE", "b", "nope"}) ==
        Confirm('*', "unsubscribe", "b", 2) + Confirm('*', "unsubscribe", "nope", 2));
  CHECK(t.Run({"PUNSUBSCRIBE"}) == Confirm('*', "punsubscribe", "a*", 1));
  CHECK(t.Run({"SUNSUBSCRIBE"}) == Confirm('*', "sunsubscribe", "s", 0));
  CHECK(t.Run({"UNSUBSCRIBE"}) == Confirm('*', "unsubscribe", "a", 0));
  // Out of Pub/Sub mode again: ordinary replies.
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
  CHECK(t.Run({"GET", "x"}) == "$-1\r\n");
}

TEST_CASE("UNSUBSCRIBE without arguments always replies, with a null name", "[pubsub]") {
  CommandTester t;
  const std::string none = "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n";
  CHECK(t.Run({"UNSUBSCRIBE"}) == none);
  CHECK(t.Run({"PUNSUBSCRIBE"}) == "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
  CHECK(t.Run({"SUNSUBSCRIBE"}) == "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"UNSUBSCRIBE"}) == ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
  // Unsubscribing from channels never subscribed confirms each with the count.
  CHECK(t.Run({"UNSUBSCRIBE", "x", "y"}) ==
        Confirm('>', "unsubscribe", "x", 0) + Confirm('>', "unsubscribe", "y", 0));
}

TEST_CASE("PUBLISH counts channel and pattern receivers and delivers to each", "[pubsub]") {
  CommandTester t;
  int a = t.AddClient(), b = t.AddClient(), c = t.AddClient();
  CHECK(t.RunAs(a, {"SUBSCRIBE", "news.tech"}) == Confirm('*', "subscribe", "news.tech", 1));
  CHECK(t.RunAs(b, {"PSUBSCRIBE", "news.*", "n?ws.t[a-f]ch"}) ==
        Confirm('*', "psubscribe", "news.*", 1) + Confirm('*', "psubscribe", "n?ws.t[a-f]ch", 2));
  CHECK(t.RunAs(c, {"SUBSCRIBE", "news.tech"}) == Confirm('*', "subscribe", "news.tech", 1));
  t.client(c).resp = 3;  // a RESP3 subscriber gets pushes
  // 2 channel subscribers + 2 matching patterns (of one client: each counts).
  CHECK(t.Run({"PUBLISH", "news.tech", "hello"}) == ":4\r\n");
  CHECK(t.TakeDelivered(a) == Message('*', "news.tech", "hello"));
  std::string got_b = t.TakeDelivered(b);
  CHECK(got_b.size() == PMessage('*', "news.*", "news.tech", "hello").size() +
                            PMessage('*', "n?ws.t[a-f]ch", "news.tech", "hello").size());
  CHECK(got_b.find(PMessage('*', "news.*", "news.tech", "hello")) != std::string::npos);
  CHECK(got_b.find(PMessage('*', "n?ws.t[a-f]ch", "news.tech", "hello")) != std::string::npos);
  CHECK(t.TakeDelivered(c) == Message('>', "news.tech", "hello"));
  CHECK(t.TakeDelivered(0).empty());  // the publisher is no subscriber

  CHECK(t.Run({"PUBLISH", "news.sport", "goal"}) == ":1\r\n");
  CHECK(t.TakeDelivered(b) == PMessage('*', "news.*", "news.sport", "goal"));
  CHECK(t.TakeDelivered(a).empty());
  CHECK(t.Run({"PUBLISH", "weather", "rain"}) == ":0\r\n");

  // Binary-safe names and payloads.
  std::string bin("a\0b\r\n", 5);
  CHECK(t.RunAs(a, {"SUBSCRIBE", bin}) == Confirm('*', "subscribe", bin, 2));
  CHECK(t.Run({"PUBLISH", bin, bin}) == ":1\r\n");
  CHECK(t.TakeDelivered(a) == Message('*', bin, bin));

  // After UNSUBSCRIBE nothing more arrives.
  t.RunAs(a, {"UNSUBSCRIBE"});
  CHECK(t.Run({"PUBLISH", "news.tech", "again"}) == ":3\r\n");
  CHECK(t.TakeDelivered(a).empty());
}

TEST_CASE("Shard channels are a namespace of their own", "[pubsub]") {
  CommandTester t;
  int s = t.AddClient(), p = t.AddClient();
  CHECK(t.RunAs(s, {"SSUBSCRIBE", "orders", "orders"}) ==
        Confirm('*', "ssubscribe", "orders", 1) + Confirm('*', "ssubscribe", "orders", 1));
  CHECK(t.RunAs(p, {"PSUBSCRIBE", "*"}) == Confirm('*', "psubscribe", "*", 1));
  // SPUBLISH reaches shard subscribers only; patterns never match shard channels.
  CHECK(t.Run({"SPUBLISH", "orders", "42"}) == ":1\r\n");
  CHECK(t.TakeDelivered(s) == Message('*', "orders", "42", "smessage"));
  CHECK(t.TakeDelivered(p).empty());
  // PUBLISH never reaches shard subscribers.
  CHECK(t.Run({"PUBLISH", "orders", "43"}) == ":1\r\n");
  CHECK(t.TakeDelivered(s).empty());
  CHECK(t.TakeDelivered(p) == PMessage('*', "*", "orders", "43"));
  CHECK(t.Run({"PUBSUB", "SHARDCHANNELS"}) == "*1\r\n" + Bulk("orders"));
  CHECK(t.Run({"PUBSUB", "SHARDCHANNELS", "x*"}) == "*0\r\n");
  CHECK(t.Run({"PUBSUB", "SHARDNUMSUB", "orders", "none"}) ==
        "*4\r\n" + Bulk("orders") + ":1\r\n" + Bulk("none") + ":0\r\n");
  CHECK(t.Run({"PUBSUB", "CHANNELS"}) == "*0\r\n");
  CHECK(t.Run({"SPUBLISH", "nobody", "x"}) == ":0\r\n");
}

TEST_CASE("A RESP2 subscriber may only (un)subscribe, PING, QUIT and RESET", "[pubsub]") {
  CommandTester t;
  t.Run({"SUBSCRIBE", "c"});
  CHECK(t.Run({"GET", "k"}) ==
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
        "are allowed in this context\r\n");
  CHECK(t.Run({"CLIENT", "LIST"}) ==
        "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        "RESET are allowed in this context\r\n");
  // Unknown commands and arity are checked first, as in Redis.
  CHECK(t.Run({"NOSUCH"}).starts_with("-ERR unknown command 'NOSUCH'"));
  CHECK(t.Run({"PUBLISH", "c"}) == "-ERR wrong number of arguments for 'publish' command\r\n");
  CHECK(t.Run({"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  CHECK(t.Run({"PING", "hi"}) == "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  CHECK(t.Run({"PSUBSCRIBE", "p*"}) == Confirm('*', "psubscribe", "p*", 2));
  CHECK(t.Run({"SSUBSCRIBE", "s"}) == Confirm('*', "ssubscribe", "s", 1));
  // Still subscribed to a shard channel: still in the Pub/Sub context.
  t.Run({"UNSUBSCRIBE"});
  t.Run({"PUNSUBSCRIBE"});
  CHECK(t.Run({"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  CHECK(t.Run({"SUNSUBSCRIBE", "s"}) == Confirm('*', "sunsubscribe", "s", 0));
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
}

TEST_CASE("A RESP3 subscriber may run any command", "[pubsub]") {
  CommandTester t;
  t.set_protocol(3);
  CHECK(t.Run({"SUBSCRIBE", "c"}) == Confirm('>', "subscribe", "c", 1));
  CHECK(t.Run({"PING"}) == "+PONG\r\n");
  CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
  CHECK(t.Run({"GET", "k"}) == "$1\r\nv\r\n");
  // A message to oneself is a push right after the PUBLISH reply, and before the next reply.
  CHECK(t.Run({"PUBLISH", "c", "me"}) == ":1\r\n" + Message('>', "c", "me"));
  CHECK(t.TakeDelivered().empty());
  CHECK(t.Run({"PSUBSCRIBE", "*"}) == Confirm('>', "psubscribe", "*", 2));
  CHECK(t.Run({"PUBLISH", "c", "x"}) ==
        ":2\r\n" + Message('>', "c", "x") + PMessage('>', "*", "c", "x"));
}

TEST_CASE("RESET ends every subscription without confirmations", "[pubsub]") {
  CommandTester t;
  int other = t.AddClient();
  t.Run({"SUBSCRIBE", "a", "b"});
  t.Run({"PSUBSCRIBE", "x*"});
  t.Run({"SSUBSCRIBE", "s"});
  CHECK(t.RunAs(other, {"INFO", "stats"})
            .find("pubsub_channels:2\r\npubsub_patterns:1\r\n"
                  "pubsubshard_channels:1\r\n") != std::string::npos);
  CHECK(t.Run({"RESET"}) == "+RESET\r\n");
  CHECK(t.Run({"GET", "k"}) == "$-1\r\n");
  CHECK(t.Run({"PUBLISH", "a", "m"}) == ":0\r\n");
  CHECK(t.Run({"PUBLISH", "xy", "m"}) == ":0\r\n");
  CHECK(t.Run({"SPUBLISH", "s", "m"}) == ":0\r\n");
  CHECK(t.TakeDelivered().empty());
  CHECK(t.Run({"INFO", "stats"})
            .find("pubsub_channels:0\r\npubsub_patterns:0\r\n"
                  "pubsubshard_channels:0\r\n") != std::string::npos);
}

TEST_CASE("PUBSUB introspection", "[pubsub]") {
  CommandTester t;
  int a = t.AddClient(), b = t.AddClient();
  t.RunAs(a, {"SUBSCRIBE", "foo", "bar"});
  t.RunAs(b, {"SUBSCRIBE", "foo"});
  t.RunAs(a, {"PSUBSCRIBE", "foo*", "bar*"});
  t.RunAs(b, {"PSUBSCRIBE", "foo*"});
  std::string channels = t.Run({"PUBSUB", "CHANNELS"});
  CHECK(channels.starts_with("*2\r\n"));
  CHECK(channels.find(Bulk("foo")) != std::string::npos);
  CHECK(channels.find(Bulk("bar")) != std::string::npos);
  CHECK(t.Run({"PUBSUB", "CHANNELS", "f*"}) == "*1\r\n" + Bulk("foo"));
  // NUMSUB leaves patterns out; NUMPAT counts distinct patterns.
  CHECK(t.Run({"PUBSUB", "NUMSUB", "foo", "bar", "baz"}) ==
        "*6\r\n" + Bulk("foo") + ":2\r\n" + Bulk("bar") + ":1\r\n" + Bulk("baz") + ":0\r\n");
  CHECK(t.Run({"PUBSUB", "NUMSUB"}) == "*0\r\n");
  CHECK(t.Run({"PUBSUB", "NUMPAT"}) == ":2\r\n");
  CHECK(t.Run({"PUBSUB", "numpat", "x"}) ==
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n");
  CHECK(
      t.Run({"PUBSUB", "CHANNELS", "a", "b"}) ==
      "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n");
  CHECK(t.Run({"PUBSUB", "nope"}) == "-ERR unknown subcommand 'nope'. Try PUBSUB HELP.\r\n");
  CHECK(t.Run({"PUBSUB"}) == "-ERR wrong number of arguments for 'pubsub' command\r\n");
  std::string help = t.Run({"PUBSUB", "HELP"});
  CHECK(
      help.starts_with("*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands "
                       "are:\r\n+CHANNELS [<pattern>]\r\n"));
  CHECK(help.ends_with("+HELP\r\n+    Print this help.\r\n"));
  // A channel disappears with its last subscriber.
  t.RunAs(a, {"UNSUBSCRIBE", "bar"});
  CHECK(t.Run({"PUBSUB", "CHANNELS"}) == "*1\r\n" + Bulk("foo"));
  t.RunAs(a, {"PUNSUBSCRIBE"});
  CHECK(t.Run({"PUBSUB", "NUMPAT"}) == ":1\r\n");
}

TEST_CASE("Pub/Sub inside MULTI", "[pubsub]") {
  CommandTester t;
  t.set_protocol(3);
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"SUBSCRIBE", "c"}) == "+QUEUED\r\n");
  CHECK(t.Run({"SSUBSCRIBE", "s"}) == "+QUEUED\r\n");
  CHECK(t.Run({"PUBLISH", "c", "m"}) == "+QUEUED\r\n");
  // SUBSCRIBE runs (Redis keeps it working in MULTI); SSUBSCRIBE is refused.  The message to
  // oneself follows EXEC's whole reply.
  CHECK(t.Run({"EXEC"}) == "*3\r\n" + Confirm('>', "subscribe", "c", 1) +
                               "-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
                               ":1\r\n" +
                               Message('>', "c", "m"));
  CHECK(t.TakeDelivered().empty());

  // RESP2: the commands queued behind a SUBSCRIBE still run inside EXEC.
  CommandTester t2;
  t2.Run({"MULTI"});
  t2.Run({"SUBSCRIBE", "c"});
  t2.Run({"SET", "k", "v"});
  CHECK(t2.Run({"EXEC"}) == "*2\r\n" + Confirm('*', "subscribe", "c", 1) + "+OK\r\n");
  CHECK(t2.Run({"SET", "k", "v"}).starts_with("-ERR Can't execute 'set'"));
}

TEST_CASE("CLIENT INFO shows the subscription counts and the P flag", "[pubsub]") {
  CommandTester t;
  t.set_protocol(3);
  CHECK(t.Run({"CLIENT", "INFO"}).find(" flags=N db=0 sub=0 psub=0 ssub=0 ") != std::string::npos);
  t.Run({"SUBSCRIBE", "a", "b"});
  t.Run({"PSUBSCRIBE", "p"});
  t.Run({"SSUBSCRIBE", "s"});
  CHECK(t.Run({"CLIENT", "INFO"}).find(" flags=P db=0 sub=2 psub=1 ssub=1 ") != std::string::npos);
  CHECK(t.Run({"CLIENT", "LIST", "TYPE", "pubsub"}).find(" sub=2 ") != std::string::npos);
  CHECK(t.Run({"CLIENT", "LIST", "TYPE", "normal"}) == "=4\r\ntxt:\r\n");
  t.Run({"UNSUBSCRIBE"});
  t.Run({"PUNSUBSCRIBE"});
  t.Run({"SUNSUBSCRIBE"});
  CHECK(t.Run({"CLIENT", "INFO"}).find(" flags=N db=0 sub=0 psub=0 ssub=0 ") != std::string::npos);
}

TEST_CASE("The command table describes the Pub/Sub commands as Redis does", "[pubsub]") {
  CommandTester t;
  CHECK(t.Run({"COMMAND", "INFO", "publish"}) ==
        "*1\r\n*10\r\n$7\r\npublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n"
        ":0\r\n:0\r\n:0\r\n*2\r\n+@pubsub\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n");
  std::string spublish = t.Run({"COMMAND", "INFO", "spublish"});
  CHECK(spublish.find(":1\r\n:1\r\n:1\r\n*2\r\n+@pubsub\r\n+@fast\r\n") != std::string::npos);
  CHECK(spublish.find("+not_key\r\n") != std::string::npos);
  std::string ssubscribe = t.Run({"COMMAND", "INFO", "ssubscribe"});
  CHECK(ssubscribe.find(":-2\r\n*4\r\n+pubsub\r\n+noscript\r\n+loading\r\n+stale\r\n:1\r\n:-1\r\n"
                        ":1\r\n*2\r\n+@pubsub\r\n+@slow\r\n") != std::string::npos);
  CHECK(t.Run({"COMMAND", "GETKEYS", "SPUBLISH", "ch", "m"}) == "*1\r\n" + Bulk("ch"));
  CHECK(t.Run({"COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b"}) == "*2\r\n" + Bulk("a") + Bulk("b"));
  CHECK(t.Run({"COMMAND", "INFO", "pubsub|help"}).find("*1\r\n+@slow\r\n") != std::string::npos);
  CHECK(t.Run({"COMMAND", "DOCS", "subscribe"}).find("Receives the messages") != std::string::npos);
}

}  // namespace
}  // namespace tessera::server
