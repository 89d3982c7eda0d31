// Command tests of the HyperLogLog family (server/commands/hll_family.cc), after Redis 7.2's
// tests/unit/hyperloglog.tcl, plus error texts, check order, PFDEBUG, hll-sparse-max-bytes and
// COMMAND INFO.  Byte-exact values were produced by redis-server.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified

using Args = std::vector<std::string>;

const std::string kNotHll = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
const std::string kCorrupt = "-INVALIDOBJ Corrupted HLL object detected\r\n";

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Set(CommandTester& t, std::string_view key, std::string_view value) {
  return t.Run(Args{"SET", std::string(key), std::string(value)});
}

// PFADD of "el:<from>" .. "el:<to-1>".
void AddRange(CommandTester& t, std::string_view key, int from, int to) {
  Args args = {"PFADD", std::string(key)};
  for (int i = from; i < to; ++i) args.push_back("el:" + std::to_string(i));
  REQUIRE(t.Run(args)[0] == ':');
}

std::string PfEncoding(CommandTester& t, std::string_view key) {
  return t.Run(Args{"PFDEBUG", "ENCODING", std::string(key)});
}

const std::string kSparse = "+sparse\r\n";
const std::string kDense = "+dense\r\n";

}  // namespace

TEST_CASE("PFADD creates, reports changes and keeps Redis's bytes", "[hll]") {
  CommandTester t;
  CHECK(t.Run({"PFADD", "hll"}) == kOne);
  CHECK(t.Run({"EXISTS", "hll"}) == kOne);
  CHECK(t.Run({"GET", "hll"}) == Bulk(FromHex("48594c4c0100000000000000000000807fff")));
  CHECK(t.Run({"OBJECT", "ENCODING", "hll"}) == Bulk("raw"));
  CHECK(t.Run({"PFCOUNT", "hll"}) == kZero);
  CHECK(t.Run({"PFADD", "hll"}) == kZero);
  CHECK(t.Run({"PFADD", "hll", "a", "b", "c"}) == kOne);
  CHECK(t.Run({"PFADD", "hll", "a", "b", "c"}) == kZero);
  CHECK(t.Run({"PFADD", "hll", ""}) == kOne);
  CHECK(t.Run({"PFADD"}) == "-ERR wrong number of arguments for 'pfadd' command\r\n");

  CHECK(t.Run({"PFADD", "abc", "a", "b", "c"}) == kOne);
  CHECK(t.Run({"GET", "abc"}) ==
        Bulk(FromHex("48594c4c01000000000000000000008060f38050b1844bfb80425a")));
  CHECK(t.Run({"PFCOUNT", "abc"}) == Int(3));
  CHECK(t.Run({"GET", "abc"}) ==
        Bulk(FromHex("48594c4c01000000030000000000000060f38050b1844bfb80425a")));
}

TEST_CASE("PFCOUNT caches and invalidates the cardinality", "[hll]") {
  CommandTester t;
  CHECK(t.Run({"PFADD", "hll", "1", "2", "3", "4", "5"}) == kOne);
  CHECK(t.Run({"PFCOUNT", "hll"}) == Int(5));
  CHECK(t.Run({"PFADD", "hll", "6", "7", "8", "8", "9", "10"}) == kOne);
  CHECK(t.Run({"PFCOUNT", "hll"}) == Int(10));
  // From the Tcl suite: the cache byte is cleared by PFCOUNT and set by a changing PFADD only.
  CHECK(t.Run({"DEL", "hll"}) == kOne);
  t.Run({"PFADD", "hll", "a", "b", "c"});
  t.Run({"PFCOUNT", "hll"});
  CHECK(t.Run({"GETRANGE", "hll", "15", "15"}) == Bulk(std::string(1, '\0')));
  t.Run({"PFADD", "hll", "a", "b", "c"});
  CHECK(t.Run({"GETRANGE", "hll", "15", "15"}) == Bulk(std::string(1, '\0')));
  t.Run({"PFADD", "hll", "1", "2", "3"});
  CHECK(t.Run({"GETRANGE", "hll", "15", "15"}) == Bulk("\x80"));
  CHECK(t.Run({"PFCOUNT", "missing"}) == kZero);
  CHECK(t.Run({"EXISTS", "missing"}) == kZero);
}

TEST_CASE("PFCOUNT of several keys and PFMERGE", "[hll]") {
  CommandTester t;
  t.Run({"PFADD", "hll1", "a", "b", "c"});
  t.Run({"PFADD", "hll2", "b", "c", "d"});
  t.Run({"PFADD", "hll3", "c", "d", "e"});
  CHECK(t.Run({"PFCOUNT", "hll1", "hll2", "hll3", "nokey"}) == Int(5));
  CHECK(t.Run({"PFMERGE", "hll", "hll1", "hll2", "hll3"}) == kOk);
  CHECK(t.Run({"PFCOUNT", "hll"}) == Int(5));

  // Missing sources create an empty destination.
  CHECK(t.Run({"PFMERGE", "dest", "src1", "src2"}) == kOk);
  CHECK(t.Run({"EXISTS", "dest"}) == kOne);
  CHECK(t.Run({"PFCOUNT", "dest"}) == kZero);
  CHECK(t.Run({"PFMERGE", "dest2"}) == kOk);
  CHECK(t.Run({"GET", "dest2"}) == Bulk(FromHex("48594c4c0100000000000000000000807fff")));
  // The destination is also a source.
  CHECK(t.Run({"PFADD", "d", "a", "b", "c"}) == kOne);
  CHECK(t.Run({"PFMERGE", "d"}) == kOk);
  CHECK(t.Run({"PFCOUNT", "d"}) == Int(3));

  // Redis fixtures: sparse + dense merges to dense, counts of unions.
  AddRange(t, "s1", 0, 100);
  AddRange(t, "s2", 50, 150);
  AddRange(t, "d1", 0, 5000);
  AddRange(t, "d2", 2500, 7500);
  CHECK(t.Run({"PFCOUNT", "s1", "s2"}) == Int(151));
  CHECK(t.Run({"PFCOUNT", "s1", "d1", "d2", "nokey"}) == Int(7455));
  CHECK(t.Run({"PFMERGE", "m2", "s1", "d2"}) == kOk);
  CHECK(PfEncoding(t, "m2") == kDense);
  CHECK(t.Run({"PFCOUNT", "m2"}) == Int(5074));
  CHECK(t.Run({"PFMERGE", "m1", "s1", "s2"}) == kOk);
  CHECK(PfEncoding(t, "m1") == kSparse);
  CHECK(t.Run({"STRLEN", "m1"}) == Int(398));
}

TEST_CASE("HLL commands refuse other values", "[hll]") {
  CommandTester t;
  CHECK(Set(t, "foo", "bar") == kOk);
  CHECK(t.Run({"PFADD", "foo", "1"}) == kNotHll);
  CHECK(t.Run({"PFCOUNT", "foo"}) == kNotHll);
  CHECK(t.Run({"PFMERGE", "bar", "foo"}) == kNotHll);
  CHECK(t.Run({"PFMERGE", "foo", "bar"}) == kNotHll);
  CHECK(t.Run({"EXISTS", "bar"}) == kZero);
  CHECK(Set(t, "num", "123") == kOk);
  CHECK(t.Run({"PFADD", "num", "1"}) == kNotHll);
  REQUIRE(t.Run({"RPUSH", "list", "element"}) == kOne);
  CHECK(t.Run({"PFADD", "list", "1"}) == kWrongType);
  CHECK(t.Run({"PFCOUNT", "list"}) == kWrongType);
  CHECK(t.Run({"PFCOUNT", "nokey", "list"}) == kWrongType);
  CHECK(t.Run({"PFMERGE", "x", "list"}) == kWrongType);
  CHECK(t.Run({"PFDEBUG", "ENCODING", "list"}) == kWrongType);
}

TEST_CASE("Corrupted HLLs are detected", "[hll]") {
  CommandTester t;
  // Additional bytes at the tail.
  t.Run({"PFADD", "hll", "a", "b", "c"});
  t.Run({"APPEND", "hll", "hello"});
  CHECK(t.Run({"PFCOUNT", "hll"}) == kCorrupt);
  CHECK(t.Run({"PFADD", "hll", "x"}) == kCorrupt);
  CHECK(t.Run({"PFCOUNT", "hll", "nokey"}) == kCorrupt);
  CHECK(t.Run({"PFMERGE", "dest", "hll"}) == kCorrupt);
  CHECK(t.Run({"EXISTS", "dest"}) == kZero);
  CHECK(t.Run({"PFDEBUG", "GETREG", "hll"}) == kCorrupt);
  CHECK(t.Run({"PFDEBUG", "TODENSE", "hll"}) == kCorrupt);
  // Broken magic, unknown encoding, dense of the wrong length.
  t.Run({"DEL", "hll"});
  t.Run({"PFADD", "hll", "a", "b", "c"});
  t.Run({"SETRANGE", "hll", "0", "0123"});
  CHECK(t.Run({"PFCOUNT", "hll"}) == kNotHll);
  t.Run({"DEL", "hll"});
  t.Run({"PFADD", "hll", "a", "b", "c"});
  t.Run({"SETRANGE", "hll", "4", "x"});
  CHECK(t.Run({"PFCOUNT", "hll"}) == kNotHll);
  t.Run({"SETRANGE", "hll", "4", std::string(1, '\0')});
  CHECK(t.Run({"PFCOUNT", "hll"}) == kNotHll);
  // Runs past the last register (CVE-2025-32023 shape: many XZERO opcodes, then a VAL).
  std::string exploit = FromHex("48594c4c01000000000000000000008000");
  exploit.pop_back();
  for (int i = 0; i < 1000; ++i) exploit += FromHex("7fff");
  exploit += FromHex("80");
  CHECK(Set(t, "evil", exploit) == kOk);
  CHECK(t.Run({"PFCOUNT", "evil"}) == kCorrupt);
  CHECK(t.Run({"PFADD", "evil", "a"}) == kCorrupt);
  CHECK(t.Run({"PFMERGE", "evil2", "evil"}) == kCorrupt);
  CHECK(t.Run({"PFDEBUG", "TODENSE", "evil"}) == kCorrupt);
  // A header-only sparse value (no registers at all).
  CHECK(Set(t, "hdr", FromHex("48594c4c01000000000000000000008000").substr(0, 16)) == kOk);
  CHECK(t.Run({"PFCOUNT", "hdr"}) == kCorrupt);
  CHECK(t.Run({"PFADD", "hdr", "a"}) == kCorrupt);
}

TEST_CASE("Corrupted HLLs: every truncation and byte flip answers without crashing", "[hll]") {
  CommandTester t;
  AddRange(t, "src", 0, 200);
  std::string value = t.Run({"GET", "src"});
  value = value.substr(value.find("\r\n") + 2);
  value.resize(value.size() - 2);
  for (size_t len = 0; len < value.size(); ++len) {
    Set(t, "k", value.substr(0, len));
    std::string reply = t.Run({"PFCOUNT", "k"});
    INFO("length " << len);
    CHECK((reply == kCorrupt || reply == kNotHll));
    CHECK(t.Run({"PFADD", "k", "zz"})[0] == '-');
  }
  for (size_t pos = 16; pos < value.size(); pos += 7) {
    for (int b : {0x00, 0x3f, 0x40, 0x7f, 0x80, 0xff}) {
      std::string bad = value;
      bad[pos] = static_cast<char>(b);
      Set(t, "k", bad);
      std::string reply = t.Run({"PFCOUNT", "k"});
      CHECK((reply[0] == ':' || reply == kCorrupt));
      reply = t.Run({"PFADD", "k", "a", "b", "c"});
      CHECK((reply[0] == ':' || reply == kCorrupt));
      reply = t.Run({"PFMERGE", "m", "k", "src"});
      CHECK((reply == kOk || reply == kCorrupt));
    }
  }
}

TEST_CASE("hll-sparse-max-bytes decides promotion", "[hll]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "GET", "hll-sparse-max-bytes"}) ==
        "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$4\r\n3000\r\n");
  t.Run({"PFADD", "hll", "a", "b", "c", "d", "e", "d", "g", "h", "i", "j", "k"});
  CHECK(PfEncoding(t, "hll") == kSparse);
  CHECK(t.Run({"CONFIG", "SET", "hll-sparse-max-bytes", "30"}) == kOk);
  CHECK(t.Run({"PFADD", "hll", "new_element"}) == kOne);
  CHECK(PfEncoding(t, "hll") == kDense);
  CHECK(t.Run({"STRLEN", "hll"}) == Int(12304));

  CHECK(t.Run({"CONFIG", "SET", "hll-sparse-max-bytes", "500"}) == kOk);
  t.Run({"DEL", "h"});
  AddRange(t, "h", 0, 100);
  CHECK(PfEncoding(t, "h") == kSparse);
  CHECK(t.Run({"STRLEN", "h"}) == Int(289));
  AddRange(t, "h", 100, 300);
  CHECK(PfEncoding(t, "h") == kDense);
  CHECK(t.Run({"PFCOUNT", "h"}) == Int(303));
  CHECK(t.Run({"CONFIG", "SET", "hll-sparse-max-bytes", "-1"})[0] == '-');
}

TEST_CASE("PFDEBUG subcommands", "[hll]") {
  CommandTester t;
  CHECK(t.Run({"PFDEBUG", "ENCODING", "nokey"}) == "-ERR The specified key does not exist\r\n");
  CHECK(t.Run({"PFDEBUG", "NOSUCH", "nokey"}) == "-ERR The specified key does not exist\r\n");
  t.Run({"PFADD", "hll", "a"});
  CHECK(t.Run({"PFDEBUG", "NoSuch", "hll"}) == "-ERR Unknown PFDEBUG subcommand 'NoSuch'\r\n");
  CHECK(t.Run({"PFDEBUG", "DECODE", "hll"}) == Bulk("Z:12711 v:2,1 Z:3672"));
  CHECK(t.Run({"PFDEBUG", "encoding", "hll"}) == kSparse);
  std::string regs = t.Run({"PFDEBUG", "GETREG", "hll"});
  CHECK(regs.substr(0, 8) == "*16384\r\n");
  CHECK(regs.size() == 8 + 16384 * 4);  // ":0\r\n" or ":2\r\n" each
  CHECK(regs.substr(8 + 12711 * 4, 4) == ":2\r\n");
  CHECK(t.Run({"PFDEBUG", "ENCODING", "hll"}) == kDense);  // GETREG converted it
  CHECK(t.Run({"PFDEBUG", "DECODE", "hll"}) == "-ERR HLL encoding is not sparse\r\n");
  CHECK(t.Run({"PFDEBUG", "TODENSE", "hll"}) == kZero);
  t.Run({"PFADD", "s", "a"});
  CHECK(t.Run({"PFDEBUG", "TODENSE", "s"}) == kOne);
  CHECK(t.Run({"PFCOUNT", "s"}) == kOne);
  CHECK(t.Run({"PFDEBUG", "ENCODING"}) ==
        "-ERR wrong number of arguments for 'pfdebug' command\r\n");
}

TEST_CASE("sparse and dense HLLs count alike (sparse encoding stress)", "[hll]") {
  CommandTester t;
  for (int round = 0; round < 30; ++round) {
    t.Run({"DEL", "h1", "h2"});
    t.Run({"PFADD", "h2"});
    t.Run({"PFDEBUG", "TODENSE", "h2"});
    int from = round * 37;
    int to = from + round * 3;
    AddRange(t, "h1", from, to);
    AddRange(t, "h2", from, to);
    REQUIRE(PfEncoding(t, "h1") == kSparse);
    REQUIRE(PfEncoding(t, "h2") == kDense);
    REQUIRE(t.Run({"PFCOUNT", "h1"}) == t.Run({"PFCOUNT", "h2"}));
  }
}

TEST_CASE("PFSELFTEST passes", "[hll][.slow]") {
  CommandTester t;
  CHECK(t.Run({"PFSELFTEST"}) == kOk);
}

TEST_CASE("HLL commands in COMMAND INFO", "[hll]") {
  CommandTester t;
  std::string info = t.Run({"COMMAND", "INFO", "pfcount", "pfmerge"});
  CHECK(info.find("readonly") != std::string::npos);
  CHECK(info.find("may_replicate") == std::string::npos);  // hidden, as in Redis
  CHECK(info.find("@hyperloglog") != std::string::npos);
  CHECK(t.Run({"COMMAND", "GETKEYS", "PFMERGE", "d", "s1", "s2"}) ==
        "*3\r\n$1\r\nd\r\n$2\r\ns1\r\n$2\r\ns2\r\n");
}

}  // namespace tessera::server
