// Command tests of DUMP and RESTORE: payloads between keys, every option, Redis's errors in
// its order of checks, and TTLs in the past.
#include <catch2/catch.hpp>

#include <string>

#include "persistence/write_log.h"
#include "server/server.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

using namespace tessera::server;
using namespace tessera::server::test_replies;

namespace {

// The payload of a DUMP reply ("$N\r\n<bytes>\r\n").
std::string Payload(const std::string& reply) {
  REQUIRE(reply.size() > 1);
  REQUIRE(reply[0] == '$');
  const size_t crlf = reply.find("\r\n");
  const size_t n = std::stoul(reply.substr(1, crlf - 1));
  return reply.substr(crlf + 2, n);
}

}  // namespace

TEST_CASE("DUMP then RESTORE copies every type with its encoding") {
  CommandTester t;
  t.Run({"SET", "s", "hello"});
  t.Run({"RPUSH", "l", "a", "b", "1"});
  t.Run({"SADD", "set", "1", "2"});
  t.Run({"ZADD", "z", "1.5", "m"});
  t.Run({"HSET", "h", "f", "v"});
  t.Run({"XADD", "x", "1-1", "f", "v"});
  for (const char* k : {"s", "l", "set", "z", "h", "x"}) {
    const std::string p = Payload(t.Run({"DUMP", k}));
    const std::string copy = std::string(k) + ":copy";
    CHECK(t.Run({"RESTORE", copy, "0", p}) == kOk);
    CHECK(t.Run({"OBJECT", "ENCODING", copy}) == t.Run({"OBJECT", "ENCODING", k}));
    CHECK(t.Run({"DUMP", copy}) == t.Run({"DUMP", k}));
  }
  CHECK(t.Run({"LRANGE", "l:copy", "0", "-1"}) == t.Run({"LRANGE", "l", "0", "-1"}));
  CHECK(t.Run({"XRANGE", "x:copy", "-", "+"}) == t.Run({"XRANGE", "x", "-", "+"}));
  CHECK(t.Run({"DUMP", "missing"}) == kNil);
}

TEST_CASE("RESTORE checks options, key, TTL, then the payload, as Redis does") {
  CommandTester t;
  t.Run({"SET", "k", "v"});
  const std::string p = Payload(t.Run({"DUMP", "k"}));
  CHECK(t.Run({"RESTORE", "k", "0", p, "bogus"}) == kSyntax);
  CHECK(t.Run({"RESTORE", "k", "0", p, "IDLETIME", "-1"}) ==
        "-ERR Invalid IDLETIME value, must be >= 0\r\n");
  CHECK(t.Run({"RESTORE", "k", "0", p, "FREQ", "256"}) ==
        "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
  CHECK(t.Run({"RESTORE", "k", "0", p, "IDLETIME", "1", "FREQ", "1"}) == kSyntax);
  CHECK(t.Run({"RESTORE", "k", "x", "garbage"}) == "-BUSYKEY Target key name already exists.\r\n");
  CHECK(t.Run({"RESTORE", "n", "x", "garbage"}) == kNotInt);
  CHECK(t.Run({"RESTORE", "n", "-1", "garbage"}) == "-ERR Invalid TTL value, must be >= 0\r\n");
  CHECK(t.Run({"RESTORE", "n", "0", "garbage"}) ==
        "-ERR DUMP payload version or checksum are wrong\r\n");
  std::string bad = p;
  bad[0] = 50;  // the CRC no longer matches
  CHECK(t.Run({"RESTORE", "n", "0", bad}) == "-ERR DUMP payload version or checksum are wrong\r\n");
  CHECK(t.Run({"RESTORE", "k", "0", p, "REPLACE"}) == kOk);
  CHECK(t.Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE("RESTORE TTLs: relative, ABSTTL, and a time already past") {
  CommandTester t;
  t.Run({"SET", "k", "v"});
  const std::string p = Payload(t.Run({"DUMP", "k"}));
  CHECK(t.Run({"RESTORE", "a", "5000", p}) == kOk);
  CHECK(t.Run({"PTTL", "a"}) == ":5000\r\n");
  const std::string at = std::to_string(t.now_ms() + 7000);
  CHECK(t.Run({"RESTORE", "b", at, p, "ABSTTL"}) == kOk);
  CHECK(t.Run({"PTTL", "b"}) == ":7000\r\n");
  // In the past: OK, and no key (REPLACE removes the old one).
  CHECK(t.Run({"RESTORE", "c", "1", p, "ABSTTL"}) == kOk);
  CHECK(t.Run({"EXISTS", "c"}) == kZero);
  CHECK(t.Run({"RESTORE", "k", "1", p, "ABSTTL", "REPLACE"}) == kOk);
  CHECK(t.Run({"EXISTS", "k"}) == kZero);
  CHECK(t.Run({"RESTORE", "i", "0", p, "IDLETIME", "100"}) == kOk);
  CHECK(t.Run({"OBJECT", "IDLETIME", "i"}) == ":100\r\n");
}

TEST_CASE("RESTORE is logged with an absolute TTL, and as DEL when it only deleted", "[writelog]") {
  CommandTester t;
  t.Run({"SET", "k", "v"});
  const std::string p = Payload(t.Run({"DUMP", "k"}));
  t.server().write_log().set_enabled(true);
  std::string log;
  auto take = [&] {
    log.clear();
    t.server().write_log().Take(&log);
    return log;
  };
  take();
  CHECK(t.Run({"RESTORE", "a", "5000", p}) == kOk);
  const std::string at = std::to_string(t.now_ms() + 5000);
  const std::string relative = take();
  CHECK(relative.find("$7\r\nRESTORE\r\n$1\r\na\r\n$" + std::to_string(at.size()) + "\r\n" + at +
                      "\r\n") != std::string::npos);
  CHECK(relative.find("$6\r\nABSTTL\r\n") != std::string::npos);
  CHECK(t.Run({"RESTORE", "b", "0", p}) == kOk);
  const std::string plain = take();
  CHECK(plain.find("$7\r\nRESTORE\r\n$1\r\nb\r\n$1\r\n0\r\n") != std::string::npos);
  CHECK(plain.find("ABSTTL") == std::string::npos);
  CHECK(t.Run({"RESTORE", "k", "1", p, "ABSTTL", "REPLACE"}) == kOk);
  CHECK(take() == "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
  CHECK(t.Run({"RESTORE", "gone", "1", p, "ABSTTL"}) == kOk);
  CHECK(take().empty());
  // lazyfree-lazy-server-del: the deletion is logged as UNLINK, as Redis propagates it.
  CHECK(t.Run({"SET", "k", "v"}) == kOk);
  take();
  CHECK(t.Run({"CONFIG", "SET", "lazyfree-lazy-server-del", "yes"}) == kOk);
  CHECK(t.Run({"RESTORE", "k", "1", p, "ABSTTL", "REPLACE"}) == kOk);
  CHECK(take() == "*2\r\n$6\r\nUNLINK\r\n$1\r\nk\r\n");
}

TEST_CASE("DEBUG SET-SKIP-CHECKSUM-VALIDATION lets RESTORE take a payload with a bad CRC") {
  CommandTester t(
      std::vector<std::pair<std::string, std::string>>{{"enable-debug-command", "yes"}});
  t.Run({"RPUSH", "l", "a", "b"});
  std::string p = Payload(t.Run({"DUMP", "l"}));
  p.back() = static_cast<char>(p.back() ^ 0x5a);  // the CRC64's last byte
  CHECK(t.Run({"RESTORE", "x", "0", p}) == "-ERR DUMP payload version or checksum are wrong\r\n");
  CHECK(t.Run({"DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"}) == kOk);
  CHECK(t.Run({"RESTORE", "x", "0", p}) == kOk);
  CHECK(t.Run({"LRANGE", "x", "0", "-1"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  // The value itself is still checked: a corrupt body is refused whatever the CRC.
  std::string bad = p;
  bad[3] = static_cast<char>(bad[3] ^ 0x7f);
  CHECK(t.Run({"RESTORE", "y", "0", bad}) == "-ERR Bad data format\r\n");
  CHECK(t.Run({"DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"}) == kOk);
  CHECK(t.Run({"RESTORE", "z", "0", p}) == "-ERR DUMP payload version or checksum are wrong\r\n");
}
