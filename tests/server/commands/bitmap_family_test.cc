// Command tests of the bitmap family (server/commands/bitmap_family.cc), after Redis 7.2's
// tests/unit/bitops.tcl, bitfield.tcl and the SETBIT/GETBIT tests of type/string.tcl, plus
// every option, error text, order of checks and limit.  Expected values are hand-computed
// (bit 0 is the most significant bit of byte 0).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified

using Overrides = std::vector<std::pair<std::string, std::string>>;
using Args = std::vector<std::string>;

const std::string kBadOffset = "-ERR bit offset is not an integer or out of range\r\n";
const std::string kBadBit = "-ERR bit is not an integer or out of range\r\n";
const std::string kBitArg = "-ERR The bit argument must be 1 or 0.\r\n";
const std::string kNotSingle = "-ERR BITOP NOT must be called with a single source key.\r\n";
const std::string kBadType =
    "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.\r\n";
const std::string kBadOverflow = "-ERR Invalid OVERFLOW type specified\r\n";
const std::string kRoWrite = "-ERR BITFIELD_RO only supports the GET subcommand\r\n";

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string WrongArity(std::string_view cmd) {
  return "-ERR wrong number of arguments for '" + std::string(cmd) + "' command\r\n";
}
// An array of integers, "nil" for a null element (RESP2 "$-1").
std::string Ints(std::initializer_list<std::optional<int64_t>> values) {
  std::string out = "*" + std::to_string(values.size()) + "\r\n";
  for (const auto& v : values) out += v ? Int(*v) : kNil;
  return out;
}
std::string Str(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Set(CommandTester& t, std::string_view key, std::string_view value) {
  return t.Run(Args{"SET", std::string(key), std::string(value)});
}
std::string Get(CommandTester& t, std::string_view key) {
  return t.Run(Args{"GET", std::string(key)});
}

}  // namespace

// --- SETBIT --------------------------------------------------------------------------------

TEST_CASE("SETBIT sets and clears bits and returns the old one", "[bitmap][setbit]") {
  CommandTester t;
  CHECK(t.Run({"SETBIT", "k", "1", "1"}) == kZero);
  CHECK(Get(t, "k") == Bulk("\x40"));
  CHECK(t.Run({"OBJECT", "ENCODING", "k"}) == Bulk("raw"));
  CHECK(t.Run({"SETBIT", "k", "7", "1"}) == kZero);
  CHECK(Get(t, "k") == Bulk("A"));
  CHECK(t.Run({"SETBIT", "k", "1", "1"}) == kOne);
  CHECK(t.Run({"SETBIT", "k", "1", "0"}) == kOne);
  CHECK(t.Run({"SETBIT", "k", "1", "0"}) == kZero);
  CHECK(Get(t, "k") == Bulk("\x01"));
  CHECK(t.Run({"SETBIT", "k", "15", "1"}) == kZero);  // grows by one byte
  CHECK(Get(t, "k") == Bulk(Str({0x01, 0x01})));
  CHECK(t.Run({"SETBIT", "k", "100", "0"}) == kZero);  // grows even when clearing
  CHECK(t.Run({"STRLEN", "k"}) == Int(13));
  CHECK(t.Run({"setbit", "k", "0", "1"}) == kZero);
  t.set_protocol(3);
  CHECK(t.Run({"SETBIT", "k", "0", "1"}) == kOne);
}

TEST_CASE("SETBIT on int and embstr values leaves them raw", "[bitmap][setbit]") {
  CommandTester t;
  CHECK(Set(t, "n", "1") == kOk);  // '1' = 0011 0001
  CHECK(t.Run({"OBJECT", "ENCODING", "n"}) == Bulk("int"));
  CHECK(t.Run({"SETBIT", "n", "6", "1"}) == kZero);
  CHECK(Get(t, "n") == Bulk("3"));
  CHECK(t.Run({"OBJECT", "ENCODING", "n"}) == Bulk("raw"));
  CHECK(t.Run({"SETBIT", "n", "2", "0"}) == kOne);
  CHECK(Get(t, "n") == Bulk("\x13"));
  // A write that changes nothing still rewrites embstr as raw, as Redis does.
  CHECK(Set(t, "s", "foo") == kOk);
  CHECK(t.Run({"OBJECT", "ENCODING", "s"}) == Bulk("embstr"));
  CHECK(t.Run({"SETBIT", "s", "0", "0"}) == kZero);
  CHECK(Get(t, "s") == Bulk("foo"));
  CHECK(t.Run({"OBJECT", "ENCODING", "s"}) == Bulk("raw"));
}

TEST_CASE("SETBIT keeps the expiry", "[bitmap][setbit]") {
  CommandTester t;
  CHECK(t.Run({"SET", "k", "v", "PX", "10000"}) == kOk);
  CHECK(t.Run({"SETBIT", "k", "0", "1"}) == kZero);    // in place
  CHECK(t.Run({"SETBIT", "k", "100", "1"}) == kZero);  // grown
  CHECK(t.Run({"PTTL", "k"}) == Int(10000));
  t.AdvanceTime(10000);
  CHECK(t.Run({"SETBIT", "k", "0", "1"}) == kZero);  // expired: a fresh key
  CHECK(t.Run({"PTTL", "k"}) == Int(-1));
}

TEST_CASE("SETBIT argument errors", "[bitmap][setbit]") {
  CommandTester t;
  for (const char* offset : {"-1", "4294967296", "-9223372036854775808", "9223372036854775807",
                             "9223372036854775808", "1.5", "abc", "", " 1", "+1", "01", "#1"}) {
    CHECK(t.Run({"SETBIT", "k", offset, "1"}) == kBadOffset);
  }
  for (const char* bit : {"2", "-1", "10", "20", "x", "", "01", "1.0", "9223372036854775808"}) {
    CHECK(t.Run({"SETBIT", "k", "0", bit}) == kBadBit);
  }
  CHECK(t.Run({"SETBIT", "k", "-1", "2"}) == kBadOffset);  // the offset is read first
  CHECK(t.Run({"EXISTS", "k"}) == kZero);
  CHECK(t.Run({"SETBIT", "k", "1"}) == WrongArity("setbit"));
  CHECK(t.Run({"SETBIT", "k", "1", "1", "1"}) == WrongArity("setbit"));
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"SETBIT", "l", "0", "1"}) == kWrongType);
  CHECK(t.Run({"SETBIT", "l", "-1", "1"}) == kBadOffset);  // arguments before the type
  CHECK(t.Run({"SETBIT", "l", "0", "2"}) == kBadBit);
}

TEST_CASE("SETBIT offset limit follows proto-max-bulk-len", "[bitmap][setbit][limits]") {
  CommandTester t(Overrides{{"proto-max-bulk-len", "1mb"}});
  CHECK(t.Run({"SETBIT", "k", "8388608", "1"}) == kBadOffset);  // byte 1048576
  CHECK(t.Run({"SETBIT", "k", "8388607", "1"}) == kZero);       // byte 1048575: the last
  CHECK(t.Run({"STRLEN", "k"}) == Int(1048576));
  CHECK(t.Run({"GETBIT", "k", "8388607"}) == kOne);
  CHECK(t.Run({"GETBIT", "k", "8388608"}) == kBadOffset);
  CHECK(t.Run({"CONFIG", "SET", "proto-max-bulk-len", "2mb"}) == kOk);
  CHECK(t.Run({"GETBIT", "k", "8388608"}) == kZero);
}

TEST_CASE("SETBIT at offset 2^32-1 makes a 512MB string", "[bitmap][setbit][limits]") {
  CommandTester t;
  CHECK(t.Run({"GETBIT", "big", "4294967295"}) == kZero);  // nothing allocated
  CHECK(t.Run({"EXISTS", "big"}) == kZero);
  CHECK(t.Run({"SETBIT", "big", "4294967295", "1"}) == kZero);
  CHECK(t.Run({"STRLEN", "big"}) == Int(536870912));
  CHECK(t.Run({"GETBIT", "big", "4294967295"}) == kOne);
  CHECK(t.Run({"GETBIT", "big", "4294967294"}) == kZero);
  CHECK(t.Run({"SETBIT", "big", "4294967295", "0"}) == kOne);
  CHECK(t.Run({"SETBIT", "big", "4294967295", "1"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "big"}) == kOne);
  CHECK(t.Run({"BITPOS", "big", "1"}) == Int(4294967295));
  CHECK(t.Run({"BITPOS", "big", "1", "-1"}) == Int(4294967295));
  CHECK(t.Run({"BITPOS", "big", "0"}) == kZero);
  CHECK(t.Run({"BITFIELD", "big", "GET", "u8", "4294967288"}) == Ints({1}));
  CHECK(t.Run({"SETBIT", "big", "4294967296", "1"}) == kBadOffset);
  CHECK(t.Run({"DEL", "big"}) == kOne);
}

// --- GETBIT --------------------------------------------------------------------------------

TEST_CASE("GETBIT", "[bitmap][getbit]") {
  CommandTester t;
  CHECK(t.Run({"GETBIT", "k", "0"}) == kZero);
  CHECK(Set(t, "k", "`") == kOk);  // 0110 0000
  CHECK(t.Run({"GETBIT", "k", "0"}) == kZero);
  CHECK(t.Run({"GETBIT", "k", "1"}) == kOne);
  CHECK(t.Run({"GETBIT", "k", "2"}) == kOne);
  CHECK(t.Run({"GETBIT", "k", "3"}) == kZero);
  CHECK(t.Run({"GETBIT", "k", "8"}) == kZero);
  CHECK(t.Run({"GETBIT", "k", "100"}) == kZero);
  CHECK(t.Run({"GETBIT", "k", "10000"}) == kZero);
  CHECK(t.Run({"STRLEN", "k"}) == kOne);  // reading past the end grows nothing
  CHECK(Set(t, "n", "1") == kOk);         // int-encoded: read as "1" = 0011 0001
  CHECK(t.Run({"GETBIT", "n", "0"}) == kZero);
  CHECK(t.Run({"GETBIT", "n", "2"}) == kOne);
  CHECK(t.Run({"GETBIT", "n", "3"}) == kOne);
  CHECK(t.Run({"GETBIT", "n", "7"}) == kOne);
  CHECK(t.Run({"OBJECT", "ENCODING", "n"}) == Bulk("int"));
  CHECK(Set(t, "e", "") == kOk);
  CHECK(t.Run({"GETBIT", "e", "0"}) == kZero);
  for (const char* offset : {"-1", "4294967296", "abc", "#0", "9223372036854775808"}) {
    CHECK(t.Run({"GETBIT", "k", offset}) == kBadOffset);
  }
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"GETBIT", "l", "0"}) == kWrongType);
  CHECK(t.Run({"GETBIT", "l", "-1"}) == kBadOffset);
  CHECK(t.Run({"GETBIT", "k"}) == WrongArity("getbit"));
  t.set_protocol(3);
  CHECK(t.Run({"GETBIT", "k", "1"}) == kOne);
}

// --- BITCOUNT ------------------------------------------------------------------------------

TEST_CASE("BITCOUNT of whole strings", "[bitmap][bitcount]") {
  CommandTester t;
  CHECK(t.Run({"BITCOUNT", "none"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "none", "0", "1000", "bit"}) == kZero);
  const std::pair<std::string, int> vectors[] = {
      {"", 0}, {"\xaa", 4}, {Str({0, 0, 0xff}), 8}, {"foobar", 26}, {"123", 10}};
  for (const auto& [value, bits] : vectors) {
    CHECK(Set(t, "s", value) == kOk);
    CHECK(t.Run({"BITCOUNT", "s"}) == Int(bits));
    CHECK(t.Run({"BITCOUNT", "s", "0", "-1"}) == Int(bits));
    CHECK(t.Run({"BITCOUNT", "s", "0", "-1", "BIT"}) == Int(bits));
  }
  CHECK(Set(t, "big", std::string(1000, '\xff') + "\x01") == kOk);
  CHECK(t.Run({"BITCOUNT", "big"}) == Int(8001));
  CHECK(t.Run({"BITCOUNT", "big", "2", "-3"}) == Int(7976));
}

TEST_CASE("BITCOUNT with byte and bit ranges", "[bitmap][bitcount]") {
  CommandTester t;
  CHECK(Set(t, "s", "foobar") == kOk);  // f 4, o 6, o 6, b 3, a 3, r 4 bits set
  CHECK(t.Run({"BITCOUNT", "s", "1", "1"}) == Int(6));
  CHECK(t.Run({"BITCOUNT", "s", "1", "-2"}) == Int(18));
  CHECK(t.Run({"BITCOUNT", "s", "-2", "1"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "0", "1000"}) == Int(26));
  CHECK(t.Run({"BITCOUNT", "s", "4", "10"}) == Int(7));
  CHECK(t.Run({"BITCOUNT", "s", "6", "10"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "5", "30", "BIT"}) == Int(17));  // 110 + oo + 0110001
  CHECK(t.Run({"BITCOUNT", "s", "5", "30", "bit"}) == Int(17));
  CHECK(t.Run({"BITCOUNT", "s", "0", "30", "Byte"}) == Int(26));
  CHECK(t.Run({"BITCOUNT", "s", "10", "-34", "BIT"}) == Int(4));  // bits 10..14 of "o"
  CHECK(t.Run({"BITCOUNT", "s", "-2", "1", "BIT"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "0", "1000", "BIT"}) == Int(26));
  CHECK(t.Run({"BITCOUNT", "s", "48", "87", "BIT"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "1", "1", "BIT"}) == kOne);
  CHECK(t.Run({"BITCOUNT", "s", "0", "0", "BIT"}) == kZero);
  // Extremes.
  CHECK(t.Run({"BITCOUNT", "s", "-9223372036854775808", "9223372036854775807"}) == Int(26));
  CHECK(t.Run({"BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "BIT"}) == Int(26));
  CHECK(t.Run({"BITCOUNT", "s", "9223372036854775807", "9223372036854775807"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "-9223372036854775808", "-9223372036854775808"}) == Int(4));
  CHECK(t.Run({"BITCOUNT", "s", "0", "4294967296"}) == Int(26));
  // Two negative indexes with start > end: 0, before the unit is even read.
  CHECK(t.Run({"BITCOUNT", "s", "-6", "-7"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "-6", "-15", "BIT"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "-1", "-2", "nonsense"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "s", "-100", "-200"}) == kZero);
  CHECK(Set(t, "e", "") == kOk);
  CHECK(t.Run({"BITCOUNT", "e", "0", "-1"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "e", "-9223372036854775808", "9223372036854775807", "BIT"}) == kZero);
  t.set_protocol(3);
  CHECK(t.Run({"BITCOUNT", "s", "1", "1"}) == Int(6));
}

TEST_CASE("BITCOUNT errors and their order", "[bitmap][bitcount]") {
  CommandTester t;
  CHECK(Set(t, "s", "foobar") == kOk);
  CHECK(t.Run({"BITCOUNT", "s", "0"}) == kSyntax);
  CHECK(t.Run({"BITCOUNT", "s", "0", "1", "hello"}) == kSyntax);
  CHECK(t.Run({"BITCOUNT", "s", "0", "1", "BIT", "x"}) == kSyntax);
  CHECK(t.Run({"BITCOUNT", "s", "a", "1"}) == kNotInt);
  CHECK(t.Run({"BITCOUNT", "s", "0", "b"}) == kNotInt);
  CHECK(t.Run({"BITCOUNT", "s", "0", "b", "hello"}) == kNotInt);  // end read before the unit
  CHECK(t.Run({"BITCOUNT", "s", "9223372036854775808", "1"}) == kNotInt);
  // A missing key answers 0 before its arguments are looked at.
  CHECK(t.Run({"BITCOUNT", "none", "0"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "none", "a", "b"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "none", "0", "1", "hello", "x"}) == kZero);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITCOUNT", "l"}) == kWrongType);
  CHECK(t.Run({"BITCOUNT", "l", "0"}) == kWrongType);
  CHECK(t.Run({"BITCOUNT", "l", "a", "b"}) == kWrongType);
  CHECK(t.Run({"BITCOUNT"}) == WrongArity("bitcount"));
}

// --- BITPOS --------------------------------------------------------------------------------

TEST_CASE("BITPOS on a missing key", "[bitmap][bitpos]") {
  CommandTester t;
  CHECK(t.Run({"BITPOS", "none", "0"}) == kZero);
  CHECK(t.Run({"BITPOS", "none", "1"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "none", "0", "0", "-1", "BIT"}) == kZero);
  CHECK(t.Run({"BITPOS", "none", "1", "0", "-1"}) == Int(-1));
  // The bit is checked first; the rest is never read.
  CHECK(t.Run({"BITPOS", "none", "1", "x", "y", "z", "w"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "none", "2"}) == kBitArg);
  CHECK(t.Run({"BITPOS", "none", "x"}) == kNotInt);
}

TEST_CASE("BITPOS finds bits in whole strings", "[bitmap][bitpos]") {
  CommandTester t;
  CHECK(Set(t, "s", Str({0xff, 0xf0, 0x00})) == kOk);
  CHECK(t.Run({"BITPOS", "s", "0"}) == Int(12));
  CHECK(t.Run({"BITPOS", "s", "1"}) == kZero);
  CHECK(t.Run({"BITPOS", "s", "0", "1"}) == Int(12));
  CHECK(t.Run({"BITPOS", "s", "0", "0", "-1", "bit"}) == Int(12));
  CHECK(Set(t, "s", Str({0x00, 0x0f, 0x00})) == kOk);
  CHECK(t.Run({"BITPOS", "s", "1"}) == Int(12));
  CHECK(t.Run({"BITPOS", "s", "1", "1", "-1", "BIT"}) == Int(12));
  // All zeros: no 1.  All ones: the first 0 is just past the end, unless an end is given.
  CHECK(Set(t, "z", std::string(20, '\0')) == kOk);
  CHECK(t.Run({"BITPOS", "z", "1"}) == Int(-1));
  CHECK(Set(t, "o", Str({0xff, 0xff, 0xff})) == kOk);
  CHECK(t.Run({"BITPOS", "o", "0"}) == Int(24));
  CHECK(t.Run({"BITPOS", "o", "0", "0"}) == Int(24));
  CHECK(t.Run({"BITPOS", "o", "0", "2"}) == Int(24));
  CHECK(t.Run({"BITPOS", "o", "0", "-1"}) == Int(24));
  CHECK(t.Run({"BITPOS", "o", "0", "0", "-1"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "o", "0", "0", "-1", "BIT"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "o", "0", "3"}) == Int(-1));  // start past the end: empty
  // An empty string holds neither bit.
  CHECK(Set(t, "e", "") == kOk);
  CHECK(t.Run({"BITPOS", "e", "0"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "e", "1"}) == Int(-1));
  // Int-encoded: "0" is 0011 0000.
  CHECK(Set(t, "n", "0") == kOk);
  CHECK(t.Run({"BITPOS", "n", "1"}) == Int(2));
  CHECK(t.Run({"BITPOS", "n", "0", "0", "-1", "BIT"}) == kZero);
  // Long runs: the first 1 after 27 zero bytes.
  CHECK(Set(t, "long", std::string(27, '\0') + "\xf0") == kOk);
  for (int start = 0; start <= 8; ++start) {
    CHECK(t.Run(Args{"BITPOS", "long", "1", std::to_string(start)}) == Int(216));
    CHECK(t.Run(Args{"BITPOS", "long", "1", std::to_string(start * 8 + 1), "-1", "BIT"}) ==
          Int(216));
  }
}

TEST_CASE("BITPOS with byte and bit intervals", "[bitmap][bitpos]") {
  CommandTester t;
  CHECK(Set(t, "s", Str({0x00, 0xff, 0x00})) == kOk);
  CHECK(t.Run({"BITPOS", "s", "0", "0", "-1"}) == kZero);
  CHECK(t.Run({"BITPOS", "s", "0", "1", "-1"}) == Int(16));
  CHECK(t.Run({"BITPOS", "s", "0", "2", "200"}) == Int(16));
  CHECK(t.Run({"BITPOS", "s", "0", "1", "1"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "s", "0", "8", "8", "BIT"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "s", "0", "16", "200", "bit"}) == Int(16));
  CHECK(t.Run({"BITPOS", "s", "1", "0", "-1"}) == Int(8));
  CHECK(t.Run({"BITPOS", "s", "1", "2", "-1"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "s", "1", "1", "1"}) == Int(8));
  CHECK(t.Run({"BITPOS", "s", "1", "8", "8", "BIT"}) == Int(8));
  CHECK(t.Run({"BITPOS", "s", "1", "9", "15", "BIT"}) == Int(9));
  CHECK(t.Run({"BITPOS", "s", "1", "16", "-1", "BIT"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "s", "0", "3", "12", "BIT"}) == Int(3));
  CHECK(t.Run({"BITPOS", "s", "1", "-2"}) == Int(8));
  CHECK(t.Run({"BITPOS", "s", "1", "-1"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "s", "0", "-1"}) == Int(16));
  CHECK(t.Run({"BITPOS", "s", "1", "-1", "-2"}) == Int(-1));
  CHECK(t.Run({"BITPOS", "s", "1", "-9223372036854775808", "9223372036854775807"}) == Int(8));
  CHECK(t.Run({"BITPOS", "s", "1", "-9223372036854775808", "9223372036854775807", "BIT"}) ==
        Int(8));
  CHECK(t.Run({"BITPOS", "s", "1", "9223372036854775807"}) == Int(-1));
  // Unlike BITCOUNT, two crossed negative indexes both clamp to 0 and select byte 0.
  CHECK(Set(t, "q", Str({0xff, 0x00})) == kOk);
  CHECK(t.Run({"BITPOS", "q", "1", "-10", "-20"}) == kZero);
  CHECK(t.Run({"BITCOUNT", "q", "-10", "-20"}) == kZero);
  CHECK(t.Run({"BITPOS", "q", "0", "-10", "-20"}) == Int(-1));
  t.set_protocol(3);
  CHECK(t.Run({"BITPOS", "q", "0"}) == Int(8));
}

TEST_CASE("BITPOS errors and their order", "[bitmap][bitpos]") {
  CommandTester t;
  CHECK(Set(t, "s", "x") == kOk);
  CHECK(t.Run({"BITPOS", "s", "2"}) == kBitArg);
  CHECK(t.Run({"BITPOS", "s", "-1"}) == kBitArg);
  CHECK(t.Run({"BITPOS", "s", "1.0"}) == kNotInt);
  CHECK(t.Run({"BITPOS", "s", "1", "x"}) == kNotInt);
  CHECK(t.Run({"BITPOS", "s", "1", "0", "x"}) == kNotInt);
  CHECK(t.Run({"BITPOS", "s", "1", "0", "-1", "BITS"}) == kSyntax);
  CHECK(t.Run({"BITPOS", "s", "1", "0", "x", "BITS"}) == kSyntax);  // unit before end
  CHECK(t.Run({"BITPOS", "s", "1", "x", "0", "BITS"}) == kNotInt);  // start before unit
  CHECK(t.Run({"BITPOS", "s", "1", "0", "-1", "BIT", "x"}) == kSyntax);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITPOS", "l", "1"}) == kWrongType);
  CHECK(t.Run({"BITPOS", "l", "1", "x"}) == kWrongType);
  CHECK(t.Run({"BITPOS", "l", "3"}) == kBitArg);
  CHECK(t.Run({"BITPOS", "s"}) == WrongArity("bitpos"));
}

// --- BITOP ---------------------------------------------------------------------------------

TEST_CASE("BITOP AND OR XOR NOT", "[bitmap][bitop]") {
  CommandTester t;
  CHECK(Set(t, "a", Str({0x01, 0x02, 0xff, 0xff})) == kOk);
  CHECK(Set(t, "b", Str({0x01, 0x02, 0xff})) == kOk);
  CHECK(t.Run({"BITOP", "AND", "r", "a", "b"}) == Int(4));
  CHECK(Get(t, "r") == Bulk(Str({0x01, 0x02, 0xff, 0x00})));
  CHECK(t.Run({"BITOP", "or", "r", "a", "b"}) == Int(4));
  CHECK(Get(t, "r") == Bulk(Str({0x01, 0x02, 0xff, 0xff})));
  CHECK(t.Run({"BITOP", "Xor", "r", "a", "b"}) == Int(4));
  CHECK(Get(t, "r") == Bulk(Str({0x00, 0x00, 0x00, 0xff})));
  CHECK(t.Run({"BITOP", "NOT", "r", "a"}) == Int(4));
  CHECK(Get(t, "r") == Bulk(Str({0xfe, 0xfd, 0x00, 0x00})));
  CHECK(t.Run({"OBJECT", "ENCODING", "r"}) == Bulk("raw"));
  // One source is copied by AND, OR and XOR.
  for (const char* op : {"AND", "OR", "XOR"}) {
    CHECK(t.Run({"BITOP", op, "r", "b"}) == Int(3));
    CHECK(Get(t, "r") == Bulk(Str({0x01, 0x02, 0xff})));
  }
  // Destination and source may be the same key.
  CHECK(Set(t, "s", Str({0xaa, 0x00, 0xff, 0x55})) == kOk);
  CHECK(t.Run({"BITOP", "NOT", "s", "s"}) == Int(4));
  CHECK(Get(t, "s") == Bulk(Str({0x55, 0xff, 0x00, 0xaa})));
  // Int-encoded sources read as their digits: '1' ^ '2' ^ '1' = '2'.
  CHECK(Set(t, "i1", "1") == kOk);
  CHECK(Set(t, "i2", "2") == kOk);
  CHECK(t.Run({"BITOP", "XOR", "r", "i1", "i2", "i1"}) == kOne);
  CHECK(Get(t, "r") == Bulk("2"));
  CHECK(t.Run({"OBJECT", "ENCODING", "r"}) == Bulk("raw"));
  t.set_protocol(3);
  CHECK(t.Run({"BITOP", "AND", "r", "a"}) == Int(4));
}

TEST_CASE("BITOP treats missing keys as zeros and deletes an empty result", "[bitmap][bitop]") {
  CommandTester t;
  CHECK(Set(t, "a", Str({0x01, 0x02, 0xff})) == kOk);
  CHECK(t.Run({"BITOP", "AND", "r1", "none", "a"}) == Int(3));
  CHECK(Get(t, "r1") == Bulk(Str({0, 0, 0})));
  CHECK(t.Run({"BITOP", "OR", "r2", "none", "a", "none2"}) == Int(3));
  CHECK(Get(t, "r2") == Bulk(Str({0x01, 0x02, 0xff})));
  CHECK(t.Run({"BITOP", "XOR", "r3", "none", "a"}) == Int(3));
  CHECK(Get(t, "r3") == Bulk(Str({0x01, 0x02, 0xff})));
  CHECK(t.Run({"BITOP", "NOT", "r4", "none"}) == kZero);
  CHECK(t.Run({"EXISTS", "r4"}) == kZero);
  // An empty result deletes the destination, whatever it held.
  CHECK(Set(t, "e", "") == kOk);
  CHECK(t.Run({"BITOP", "NOT", "r1", "e"}) == kZero);
  CHECK(t.Run({"EXISTS", "r1"}) == kZero);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITOP", "OR", "l", "none", "e"}) == kZero);
  CHECK(t.Run({"EXISTS", "l"}) == kZero);
  // Issue #529: an empty source after a non-empty one.
  CHECK(Set(t, "z", std::string(32, '\0')) == kOk);
  CHECK(t.Run({"BITOP", "OR", "x", "z", "none"}) == Int(32));
}

TEST_CASE("BITOP replaces the destination and drops its expiry", "[bitmap][bitop]") {
  CommandTester t;
  CHECK(Set(t, "a", "abc") == kOk);
  CHECK(t.Run({"SET", "d", "old", "EX", "100"}) == kOk);
  CHECK(t.Run({"BITOP", "OR", "d", "a"}) == Int(3));
  CHECK(t.Run({"PTTL", "d"}) == Int(-1));
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITOP", "AND", "l", "a"}) == Int(3));
  CHECK(Get(t, "l") == Bulk("abc"));
}

TEST_CASE("BITOP errors", "[bitmap][bitop]") {
  CommandTester t;
  CHECK(Set(t, "a", "1") == kOk);
  CHECK(Set(t, "d", "keep") == kOk);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITOP", "XOR", "d", "a", "none", "l", "none2"}) == kWrongType);
  CHECK(Get(t, "d") == Bulk("keep"));  // nothing written
  CHECK(t.Run({"BITOP", "NOT", "d", "a", "a"}) == kNotSingle);
  CHECK(t.Run({"BITOP", "NOT", "d", "l", "a"}) == kNotSingle);
  CHECK(t.Run({"BITOP", "NAND", "d", "a"}) == kSyntax);
  CHECK(t.Run({"BITOP", "", "d", "a"}) == kSyntax);
  CHECK(t.Run({"BITOP", "NOT", "d"}) == WrongArity("bitop"));
  CHECK(t.Run({"BITOP", "AND", "d"}) == WrongArity("bitop"));
  CHECK(Get(t, "d") == Bulk("keep"));
}

TEST_CASE("BITOP across shards matches a bytewise model", "[bitmap][bitop]") {
  CommandTester t;
  keyspace::Keyspace& ks = t.server().keyspace();
  std::mt19937_64 rng(529);
  std::set<unsigned> shards;
  for (const char* op : {"AND", "OR", "XOR", "NOT"}) {
    for (int round = 0; round < 20; ++round) {
      size_t n = std::string_view(op) == "NOT" ? 1 : 1 + rng() % 10;
      Args cmd{"BITOP", op, "dest" + std::to_string(round)};
      std::vector<std::string> values;
      size_t longest = 0;
      for (size_t i = 0; i < n; ++i) {
        std::string key = "src" + std::to_string(round) + "-" + std::to_string(i);
        std::string value(rng() % 100, '\0');
        for (char& c : value) c = static_cast<char>(rng());
        REQUIRE(Set(t, key, value) == kOk);
        shards.insert(ks.ShardOf(key));
        values.push_back(value);
        longest = std::max(longest, value.size());
        cmd.push_back(key);
      }
      shards.insert(ks.ShardOf(cmd[2]));
      std::string expected(longest, '\0');
      for (size_t j = 0; j < longest; ++j) {
        auto byte = [&](size_t i) {
          return j < values[i].size() ? static_cast<uint8_t>(values[i][j]) : uint8_t{0};
        };
        uint8_t out = byte(0);
        if (std::string_view(op) == "NOT") out = static_cast<uint8_t>(~out);
        for (size_t i = 1; i < n; ++i) {
          if (std::string_view(op) == "AND") out &= byte(i);
          if (std::string_view(op) == "OR") out |= byte(i);
          if (std::string_view(op) == "XOR") out ^= byte(i);
        }
        expected[j] = static_cast<char>(out);
      }
      REQUIRE(t.Run(cmd) == Int(static_cast<int64_t>(longest)));
      if (longest > 0) REQUIRE(Get(t, cmd[2]) == Bulk(expected));
    }
  }
  CHECK(shards.size() > 1);  // the keys really were spread over shards
}

// --- BITFIELD ------------------------------------------------------------------------------

TEST_CASE("BITFIELD SET GET INCRBY basics", "[bitmap][bitfield]") {
  CommandTester t;
  CHECK(t.Run({"BITFIELD", "bits", "SET", "i8", "0", "-100"}) == Ints({0}));
  CHECK(t.Run({"BITFIELD", "bits", "SET", "i8", "0", "101"}) == Ints({-100}));
  CHECK(t.Run({"BITFIELD", "bits", "GET", "i8", "0"}) == Ints({101}));
  CHECK(t.Run({"DEL", "bits"}) == kOne);
  CHECK(t.Run({"BITFIELD", "bits", "SET", "u8", "0", "255"}) == Ints({0}));
  CHECK(t.Run({"BITFIELD", "bits", "SET", "u8", "0", "100"}) == Ints({255}));
  CHECK(t.Run({"BITFIELD", "bits", "GET", "u8", "0"}) == Ints({100}));
  CHECK(t.Run({"DEL", "bits"}) == kOne);
  CHECK(t.Run({"BITFIELD", "bits", "SET", "i8", "0", "255", "SET", "i8", "0", "100", "GET", "i8",
               "0"}) == Ints({0, -1, 100}));
  CHECK(t.Run({"DEL", "bits"}) == kOne);
  CHECK(t.Run({"bitfield", "bits", "set", "u8", "0", "255", "incrby", "u8", "0", "100", "get", "u8",
               "0"}) == Ints({0, 99, 99}));
  CHECK(t.Run({"OBJECT", "ENCODING", "bits"}) == Bulk("raw"));
  // #N counts in fields of the type's width.
  CHECK(t.Run({"DEL", "bits"}) == kOne);
  CHECK(t.Run({"BITFIELD", "bits", "SET", "u8", "#0", "65", "SET", "u8", "#1", "66", "SET", "u8",
               "#2", "67"}) == Ints({0, 0, 0}));
  CHECK(Get(t, "bits") == Bulk("ABC"));
  CHECK(t.Run({"BITFIELD", "bits", "INCRBY", "u8", "#1", "100", "INCRBY", "u8", "#1", "100"}) ==
        Ints({166, 10}));
  CHECK(t.Run({"BITFIELD", "bits", "GET", "u4", "#1", "GET", "i5", "#2"}) == Ints({1, 5}));
  t.set_protocol(3);
  CHECK(t.Run({"BITFIELD", "bits", "GET", "u8", "#0"}) == "*1\r\n:65\r\n");
}

TEST_CASE("BITFIELD unaligned fields, past the end, int values", "[bitmap][bitfield]") {
  CommandTester t;
  CHECK(t.Run({"BITFIELD", "f", "SET", "u5", "3", "23"}) == Ints({0}));
  CHECK(Get(t, "f") == Bulk("\x17"));
  CHECK(t.Run({"BITFIELD", "g", "SET", "u16", "4", "43981"}) == Ints({0}));  // 0xABCD
  CHECK(Get(t, "g") == Bulk(Str({0x0a, 0xbc, 0xd0})));
  CHECK(t.Run({"BITFIELD", "g", "GET", "i16", "4", "GET", "u4", "0", "GET", "i1", "4"}) ==
        Ints({-21555, 0, -1}));
  CHECK(Set(t, "s", "\xff") == kOk);
  CHECK(t.Run({"BITFIELD", "s", "GET", "u16", "0", "GET", "i16", "0", "GET", "u8", "4", "GET", "u8",
               "100", "GET", "i64", "0"}) == Ints({65280, -256, 240, 0, -72057594037927936}));
  CHECK(t.Run({"STRLEN", "s"}) == kOne);  // GETs grow nothing
  // #3221: an int-encoded "1" reads as the byte '1' (0011 0001).
  CHECK(Set(t, "n", "1") == kOk);
  CHECK(t.Run({"BITFIELD", "n", "GET", "u1", "0", "GET", "u8", "0"}) == Ints({0, 49}));
  CHECK(t.Run({"OBJECT", "ENCODING", "n"}) == Bulk("int"));
  // #3564.
  for (int i = 0; i < 3; ++i) {
    CHECK(t.Run({"DEL", "m"}) == (i == 0 ? kZero : kOne));
    CHECK(t.Run({"BITFIELD", "m", "SET", "i8", "0", "10", "SET", "i8", "64", "10", "INCRBY", "i8",
                 "10", "99900"}) == Ints({0, 0, 60}));
  }
  // A write keeps the expiry and rewrites an embstr as raw.
  CHECK(t.Run({"SET", "x", "abc", "PX", "5000"}) == kOk);
  CHECK(t.Run({"BITFIELD", "x", "SET", "u8", "0", "97"}) == Ints({97}));
  CHECK(t.Run({"OBJECT", "ENCODING", "x"}) == Bulk("raw"));
  CHECK(t.Run({"PTTL", "x"}) == Int(5000));
}

TEST_CASE("BITFIELD with only GETs or nothing creates no key", "[bitmap][bitfield]") {
  CommandTester t;
  CHECK(t.Run({"BITFIELD", "k"}) == "*0\r\n");
  CHECK(t.Run({"BITFIELD", "k", "GET", "u8", "0", "GET", "i64", "4294967000"}) == Ints({0, 0}));
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "SAT"}) == "*0\r\n");
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "GET", "u8", "0"}) == Ints({0}));
  CHECK(t.Run({"EXISTS", "k"}) == kZero);
  // A write that fails under FAIL still creates the key, grown to its field, as in Redis.
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "96", "999"}) == Ints({{}}));
  CHECK(Get(t, "k") == Bulk(std::string(13, '\0')));
}

TEST_CASE("BITFIELD overflow modes, hand-computed", "[bitmap][bitfield]") {
  CommandTester t;
  // Unsigned, from 100.
  CHECK(t.Run({"BITFIELD", "u", "SET", "u8", "#0", "100"}) == Ints({0}));
  CHECK(t.Run({"BITFIELD", "u", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "257"}) == Ints({101}));
  CHECK(t.Run({"BITFIELD", "u", "OVERFLOW", "wrap", "INCRBY", "u8", "#0", "255"}) == Ints({100}));
  CHECK(t.Run({"BITFIELD", "u", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "257"}) == Ints({255}));
  CHECK(t.Run({"BITFIELD", "u", "OVERFLOW", "sat", "INCRBY", "u8", "#0", "-256"}) == Ints({0}));
  CHECK(t.Run({"BITFIELD", "u", "SET", "u8", "#0", "100", "OVERFLOW", "FAIL", "INCRBY", "u8", "#0",
               "156", "INCRBY", "u8", "#0", "155", "GET", "u8", "#0"}) == Ints({0, {}, 255, 255}));
  CHECK(t.Run({"BITFIELD", "u", "OVERFLOW", "FAIL", "INCRBY", "u8", "#0", "-256"}) == Ints({{}}));
  CHECK(t.Run({"BITFIELD", "u", "GET", "u8", "#0"}) == Ints({255}));
  // Signed, from 100 (the Tcl suite's values).
  CHECK(t.Run({"BITFIELD", "i", "SET", "i8", "#0", "100"}) == Ints({0}));
  CHECK(t.Run({"BITFIELD", "i", "INCRBY", "i8", "#0", "257"}) == Ints({101}));  // WRAP default
  CHECK(t.Run({"BITFIELD", "i", "INCRBY", "i8", "#0", "255"}) == Ints({100}));
  CHECK(t.Run({"BITFIELD", "i", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "257"}) == Ints({127}));
  CHECK(t.Run({"BITFIELD", "i", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "-255"}) == Ints({-128}));
  CHECK(t.Run({"BITFIELD", "i", "OVERFLOW", "FAIL", "INCRBY", "i8", "#0", "-1"}) == Ints({{}}));
  // OVERFLOW applies to the writes after it only.
  CHECK(t.Run({"BITFIELD", "o",  "SET", "u8",       "0",    "300", "OVERFLOW", "SAT", "SET",
               "u8",       "8",  "300", "OVERFLOW", "FAIL", "SET", "u8",       "16",  "300",
               "GET",      "u8", "0",   "GET",      "u8",   "8",   "GET",      "u8",  "16"}) ==
        Ints({0, 0, {}, 44, 255, 0}));
  // SET of values outside the type.
  CHECK(t.Run({"BITFIELD", "v", "SET", "i8", "0", "128", "GET", "i8", "0"}) == Ints({0, -128}));
  CHECK(t.Run({"BITFIELD", "v", "OVERFLOW", "SAT", "SET", "i8", "0", "-129", "GET", "i8", "0"}) ==
        Ints({-128, -128}));
  CHECK(t.Run({"BITFIELD", "v", "SET", "i8", "0", "-129", "GET", "i8", "0"}) == Ints({-128, 127}));
  // Redis's quirk: a negative value for an unsigned SET saturates to the maximum.
  CHECK(t.Run({"BITFIELD", "v", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8", "0"}) ==
        Ints({127, 255}));
  CHECK(t.Run({"BITFIELD", "v", "SET", "u8", "0", "-2", "GET", "u8", "0"}) == Ints({255, 254}));
  CHECK(t.Run({"BITFIELD", "v", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1", "GET", "u8", "0"}) ==
        Ints({{}, 254}));
  // One-bit fields.
  CHECK(t.Run({"BITFIELD", "b", "SET", "i1", "0", "1", "GET", "i1", "0", "GET", "u1", "0"}) ==
        Ints({0, -1, 1}));
  CHECK(t.Run({"BITFIELD", "b", "OVERFLOW", "SAT", "SET", "i1", "0", "1"}) == Ints({-1}));
  CHECK(t.Run({"BITFIELD", "b", "GET", "i1", "0"}) == Ints({0}));
  t.set_protocol(3);
  CHECK(t.Run({"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u1", "0", "2", "GET", "u1", "0"}) ==
        "*2\r\n_\r\n:0\r\n");
}

TEST_CASE("BITFIELD i64 and u63 extremes", "[bitmap][bitfield][limits]") {
  CommandTester t;
  const std::string max = "9223372036854775807";
  const std::string min = "-9223372036854775808";
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(t.Run(Args{"BITFIELD", "k", "SET", "i64", "0", max}) == Ints({0}));
  CHECK(Get(t, "k") == Bulk(Str({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})));
  CHECK(t.Run({"BITFIELD", "k", "INCRBY", "i64", "0", "1"}) == Ints({kMin}));
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1"}) == Ints({kMin}));
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1"}) == Ints({{}}));
  CHECK(t.Run(Args{"BITFIELD", "k", "INCRBY", "i64", "0", max}) == Ints({-1}));
  CHECK(t.Run(Args{"BITFIELD", "k", "SET", "i64", "0", min, "INCRBY", "i64", "0", min}) ==
        Ints({-1, 0}));
  CHECK(t.Run(Args{"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", max, "INCRBY", "i64",
                   "0", max}) == Ints({kMax, kMax}));
  CHECK(t.Run(Args{"BITFIELD", "k", "INCRBY", "i64", "0", min}) == Ints({-1}));
  CHECK(t.Run(Args{"BITFIELD", "u", "SET", "u63", "0", max, "GET", "u63", "0"}) == Ints({0, kMax}));
  CHECK(t.Run({"BITFIELD", "u", "INCRBY", "u63", "0", "1"}) == Ints({0}));
  CHECK(t.Run(Args{"BITFIELD", "u", "OVERFLOW", "SAT", "INCRBY", "u63", "0", min}) == Ints({0}));
  CHECK(t.Run(Args{"BITFIELD", "u", "OVERFLOW", "FAIL", "INCRBY", "u63", "0", min}) == Ints({{}}));
  CHECK(t.Run(Args{"BITFIELD", "u", "OVERFLOW", "SAT", "SET", "u63", "1", min, "GET", "u63",
                   "1"}) == Ints({0, kMax}));
}

TEST_CASE("BITFIELD offsets and the size limit", "[bitmap][bitfield][limits]") {
  CommandTester t(Overrides{{"proto-max-bulk-len", "1mb"}});
  for (const char* offset : {"-1", "8388608", "#1048576", "#-1", "#", "##1", "#9223372036854775807",
                             "9223372036854775808", "x", "1.0"}) {
    CHECK(t.Run({"BITFIELD", "k", "GET", "u8", offset}) == kBadOffset);
    CHECK(t.Run({"BITFIELD", "k", "SET", "u8", offset, "1"}) == kBadOffset);
  }
  CHECK(t.Run({"BITFIELD", "k", "GET", "u8", "#1048575"}) == Ints({0}));
  CHECK(t.Run({"EXISTS", "k"}) == kZero);
  // The last offset allowed; a wide field there spills past the limit, as in Redis.
  CHECK(t.Run({"BITFIELD", "k", "SET", "i64", "8388607", "-1"}) == Ints({0}));
  CHECK(t.Run({"STRLEN", "k"}) == Int(1048584));
  CHECK(t.Run({"BITFIELD", "k", "GET", "i64", "8388607", "GET", "u8", "8388608"}) == kBadOffset);
  CHECK(t.Run({"BITFIELD", "k", "GET", "i64", "8388607"}) == Ints({-1}));
}

TEST_CASE("BITFIELD syntax, type and value errors come before the lookup", "[bitmap][bitfield]") {
  CommandTester t;
  for (const char* type :
       {"u64", "i65", "i0", "u0", "x8", "I8", "U8", "", "u", "u08", "u+8", "i-8", "8"}) {
    CHECK(t.Run({"BITFIELD", "k", "GET", type, "0"}) == kBadType);
    CHECK(t.Run({"BITFIELD", "k", "INCRBY", type, "0", "1"}) == kBadType);
  }
  CHECK(t.Run({"BITFIELD", "k", "GET", "u64", "-1"}) == kBadType);        // type before offset
  CHECK(t.Run({"BITFIELD", "k", "SET", "u8", "-1", "x"}) == kBadOffset);  // offset before value
  CHECK(t.Run({"BITFIELD", "k", "FOO"}) == kSyntax);
  CHECK(t.Run({"BITFIELD", "k", "GET", "u8"}) == kSyntax);
  CHECK(t.Run({"BITFIELD", "k", "SET", "u8", "0"}) == kSyntax);
  CHECK(t.Run({"BITFIELD", "k", "INCRBY", "u8", "0"}) == kSyntax);
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW"}) == kSyntax);
  CHECK(t.Run({"BITFIELD", "k", "GET", "u8", "0", "GET"}) == kSyntax);
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "FOO"}) == kBadOverflow);
  CHECK(t.Run({"BITFIELD", "k", "OVERFLOW", "FOO", "GET", "x", "0"}) == kBadOverflow);
  CHECK(t.Run({"BITFIELD", "k", "SET", "u8", "0", "x"}) == kNotInt);
  CHECK(t.Run({"BITFIELD", "k", "INCRBY", "u8", "0", "9223372036854775808"}) == kNotInt);
  // Nothing ran: an error anywhere leaves the key untouched.
  CHECK(t.Run({"BITFIELD", "k", "SET", "u8", "0", "1", "SET", "u8", "0", "x"}) == kNotInt);
  CHECK(t.Run({"EXISTS", "k"}) == kZero);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITFIELD", "l", "GET", "u64", "0"}) == kBadType);
  CHECK(t.Run({"BITFIELD", "l", "GET", "u8", "0"}) == kWrongType);
  CHECK(t.Run({"BITFIELD", "l", "SET", "u8", "0", "1"}) == kWrongType);
  CHECK(t.Run({"BITFIELD", "l"}) == kWrongType);
  CHECK(t.Run({"BITFIELD"}) == WrongArity("bitfield"));
}

// --- BITFIELD_RO ---------------------------------------------------------------------------

TEST_CASE("BITFIELD_RO", "[bitmap][bitfield_ro]") {
  CommandTester t;
  CHECK(t.Run({"BITFIELD_RO", "k"}) == "*0\r\n");
  CHECK(t.Run({"BITFIELD", "k", "SET", "u8", "0", "255", "SET", "u8", "8", "100"}) == Ints({0, 0}));
  CHECK(t.Run({"BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "8", "GET", "u8", "#1"}) ==
        Ints({255, 6, 100}));
  CHECK(t.Run({"bitfield_ro", "k", "OVERFLOW", "SAT", "GET", "i8", "0"}) == Ints({-1}));
  CHECK(t.Run({"BITFIELD_RO", "k", "SET", "u8", "0", "100", "GET", "u8", "0"}) == kRoWrite);
  CHECK(t.Run({"BITFIELD_RO", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"}) == kRoWrite);
  CHECK(t.Run({"BITFIELD_RO", "k", "GET", "u8", "0"}) == Ints({255}));  // unchanged
  // Parse errors first, then the refusal, then the type.
  CHECK(t.Run({"BITFIELD_RO", "k", "SET", "u64", "0", "1"}) == kBadType);
  CHECK(t.Run({"BITFIELD_RO", "k", "SET", "u8", "0", "1", "FOO"}) == kSyntax);
  REQUIRE(t.Run({"RPUSH", "l", "element"}) == kOne);
  CHECK(t.Run({"BITFIELD_RO", "l", "SET", "u8", "0", "1"}) == kRoWrite);
  CHECK(t.Run({"BITFIELD_RO", "l", "GET", "u8", "0"}) == kWrongType);
  CHECK(t.Run({"BITFIELD_RO", "none", "GET", "u8", "0"}) == Ints({0}));
  CHECK(t.Run({"EXISTS", "none"}) == kZero);
  CHECK(t.Run({"BITFIELD_RO"}) == WrongArity("bitfield_ro"));
}

// --- The command table ---------------------------------------------------------------------

TEST_CASE("Bitmap commands in COMMAND INFO and GETKEYSANDFLAGS", "[bitmap][command]") {
  CommandTester t;
  const std::string range_spec_tail =
      "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
      "$7\r\nlastkey\r\n";
  auto index = [](int i) {
    return "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n"
           "$5\r\nindex\r\n:" +
           std::to_string(i) + "\r\n";
  };
  const std::string steps = "$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n";
  CHECK(t.Run({"COMMAND", "INFO", "bitop"}) ==
        "*1\r\n*10\r\n$5\r\nbitop\r\n:-4\r\n*2\r\n+write\r\n+denyoom\r\n:2\r\n:-1\r\n:1\r\n"
        "*3\r\n+@write\r\n+@bitmap\r\n+@slow\r\n*0\r\n*2\r\n"
        "*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n" +
            index(2) + range_spec_tail + ":0\r\n" + steps +
            "*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n" + index(3) + range_spec_tail +
            ":-1\r\n" + steps + "*0\r\n");
  CHECK(t.Run({"COMMAND", "INFO", "bitfield"}) ==
        "*1\r\n*10\r\n$8\r\nbitfield\r\n:-2\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n"
        "*3\r\n+@write\r\n+@bitmap\r\n+@slow\r\n*0\r\n*1\r\n"
        "*8\r\n$5\r\nnotes\r\n$69\r\nRW, ACCESS and UPDATE: GET reads the string, SET and INCRBY "
        "change it\r\n"
        "$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n" +
            index(1) + range_spec_tail + ":0\r\n" + steps + "*0\r\n");
  std::string getbit = t.Run({"COMMAND", "INFO", "getbit"});
  CHECK(getbit.rfind("*1\r\n*10\r\n$6\r\ngetbit\r\n:3\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n"
                     ":1\r\n*3\r\n+@read\r\n+@bitmap\r\n+@fast\r\n",
                     0) == 0);
  CHECK(t.Run({"COMMAND", "INFO", "bitfield_ro"}).find("+@read\r\n+@bitmap\r\n+@fast\r\n") !=
        std::string::npos);
  CHECK(t.Run({"COMMAND", "INFO", "setbit"}).find("+@write\r\n+@bitmap\r\n+@slow\r\n") !=
        std::string::npos);
  CHECK(t.Run({"COMMAND", "GETKEYS", "BITOP", "AND", "d", "a", "b"}) ==
        "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "BITOP", "AND", "d", "a", "b"}) ==
        "*3\r\n*2\r\n$1\r\nd\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"
        "*2\r\n$1\r\nb\r\n*2\r\n+RO\r\n+access\r\n");
  std::string list = t.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "bitmap"});
  for (const char* name :
       {"setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"}) {
    CHECK(list.find(Bulk(name)) != std::string::npos);
  }
}

TEST_CASE("Bitmap commands in COMMAND DOCS", "[bitmap][command]") {
  CommandTester t;
  std::string docs = t.Run({"COMMAND", "DOCS", "bitop"});
  CHECK(docs.find(Bulk("group") + Bulk("bitmap")) != std::string::npos);
  CHECK(docs.find(Bulk("since") + Bulk("2.6.0")) != std::string::npos);
  CHECK(docs.find(Bulk("name") + Bulk("destkey") + Bulk("type") + Bulk("key") +
                  Bulk("display_text") + Bulk("destkey") + Bulk("key_spec_index") + ":0\r\n") !=
        std::string::npos);
  CHECK(docs.find(Bulk("name") + Bulk("key") + Bulk("type") + Bulk("key") + Bulk("display_text") +
                  Bulk("key") + Bulk("key_spec_index") + ":1\r\n") != std::string::npos);
  std::string ro = t.Run({"COMMAND", "DOCS", "bitfield_ro"});
  CHECK(ro.find(Bulk("token") + Bulk("GET") + Bulk("flags") +
                "*3\r\n+optional\r\n+multiple\r\n+multiple_token\r\n") != std::string::npos);
  std::string bitpos = t.Run({"COMMAND", "DOCS", "bitpos"});
  CHECK(bitpos.find(Bulk("end-unit-block")) != std::string::npos);
  CHECK(bitpos.find(Bulk("token") + Bulk("BIT")) != std::string::npos);
}

}  // namespace tessera::server
