// Command tests of SORT and SORT_RO (server/commands/sort_family.cc, core/keyspace/sort_ops.cc),
// after Redis 7.2's tests/unit/sort.tcl plus every option, error, order of checks and LIMIT
// extreme of sort.c.  Expected orders were checked against redis-server.
#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "core/keyspace/sort_ops.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified

using Args = std::vector<std::string>;
using Overrides = std::vector<std::pair<std::string, std::string>>;

const std::string kNotDouble = "-ERR One or more scores can't be converted into double\r\n";

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }

// An array of bulk strings; nullopt is a null (RESP2 "$-1", or `null3` in RESP3).
std::string Arr(std::initializer_list<std::optional<std::string_view>> items,
                const std::string& null = kNil) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& s : items) out += s ? Bulk(*s) : null;
  return out;
}

// RPUSH key elements...
void Push(CommandTester& t, std::string_view key, std::initializer_list<std::string_view> els) {
  Args a{"RPUSH", std::string(key)};
  for (std::string_view e : els) a.emplace_back(e);
  REQUIRE(t.Run(a) == Int(static_cast<int64_t>(els.size())));
}

std::string Sort(CommandTester& t, std::initializer_list<std::string_view> args) {
  Args a{"SORT"};
  for (std::string_view s : args) a.emplace_back(s);
  return t.Run(a);
}

}  // namespace

// --- Ordering ------------------------------------------------------------------------------

TEST_CASE("SORT orders a list numerically, DESC reverses, ALPHA compares bytes", "[sort]") {
  CommandTester t;
  Push(t, "l", {"3", "10", "1.5", "-2", "2"});
  CHECK(Sort(t, {"l"}) == Arr({"-2", "1.5", "2", "3", "10"}));
  CHECK(Sort(t, {"l", "ASC"}) == Arr({"-2", "1.5", "2", "3", "10"}));
  CHECK(Sort(t, {"l", "desc"}) == Arr({"10", "3", "2", "1.5", "-2"}));
  CHECK(Sort(t, {"l", "ALPHA"}) == Arr({"-2", "1.5", "10", "2", "3"}));
  CHECK(Sort(t, {"l", "alpha", "DESC"}) == Arr({"3", "2", "10", "1.5", "-2"}));
  // The last of ASC/DESC wins.
  CHECK(Sort(t, {"l", "DESC", "ASC"}) == Arr({"-2", "1.5", "2", "3", "10"}));
  // The source is untouched.
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Arr({"3", "10", "1.5", "-2", "2"}));
  CHECK(t.Run({"SORT_RO", "l", "DESC"}) == Arr({"10", "3", "2", "1.5", "-2"}));
}

TEST_CASE("SORT ALPHA against integer-encoded elements (sort.tcl)", "[sort]") {
  CommandTester t;
  for (std::string_view v : {"2", "1", "3", "10"}) REQUIRE(t.Run({"LPUSH", "l", v}) != "");
  CHECK(Sort(t, {"l", "ALPHA"}) == Arr({"1", "10", "2", "3"}));
}

TEST_CASE("SORT floats (sort.tcl issue #19)", "[sort]") {
  CommandTester t;
  Push(t, "l", {"1.1", "5.10", "3.10", "7.44", "2.1", "5.75", "6.12", "0.25", "1.15"});
  CHECK(Sort(t, {"l"}) ==
        Arr({"0.25", "1.1", "1.15", "2.1", "3.10", "5.10", "5.75", "6.12", "7.44"}));
}

TEST_CASE("SORT numeric scores are strtod over the whole value", "[sort][scores]") {
  CommandTester t;
  // Leading blanks, hex, inf, "" (= 0), a value ending at a NUL byte (= 1), "+5", ".5", "5."
  Push(t, "l", {" 4", "0x10", "inf", "-inf", "", std::string_view("1\0x", 3), "+5", ".5", "5."});
  CHECK(Sort(t, {"l"}) ==
        Arr({"-inf", "", ".5", std::string_view("1\0x", 3), " 4", "+5", "5.", "0x10", "inf"}));
  for (std::string_view bad : {"abc", "12 ", "nan", "1e400", "1e-400", "1,5"}) {
    CAPTURE(bad);
    CommandTester u;
    Push(u, "l", {"1", bad});
    CHECK(Sort(u, {"l"}) == kNotDouble);
    CHECK(Sort(u, {"l", "DESC", "LIMIT", "0", "1"}) == kNotDouble);
    // ALPHA needs no score; BY nosort sorts nothing.
    CHECK(Sort(u, {"l", "ALPHA"}) != kNotDouble);
    CHECK(Sort(u, {"l", "BY", "nosort"}) == Arr({"1", bad}));
    // STORE writes nothing on the error.
    CHECK(Sort(u, {"l", "STORE", "dst"}) == kNotDouble);
    CHECK(u.Run({"EXISTS", "dst"}) == kZero);
  }
}

TEST_CASE("SORT breaks numeric ties by the elements' bytes", "[sort]") {
  CommandTester t;
  Push(t, "l", {"b", "aa", "a", "azz", "aaa", "c"});
  for (std::string_view e : {"a", "aa", "aaa", "azz", "b", "c"}) {
    REQUIRE(t.Run({"SET", "score:" + std::string(e), "100"}) == kOk);
  }
  CHECK(Sort(t, {"l", "BY", "score:*"}) == Arr({"a", "aa", "aaa", "azz", "b", "c"}));
  CHECK(Sort(t, {"l", "BY", "score:*", "DESC"}) == Arr({"c", "b", "azz", "aaa", "aa", "a"}));
  // -0 and 0 score the same: the bytes decide.
  CommandTester u;
  Push(u, "l", {"0", "-0", "0.0"});
  CHECK(Sort(u, {"l"}) == Arr({"-0", "0", "0.0"}));
}

TEST_CASE("SORT ALPHA compares as C strings without STORE, whole values with it", "[sort]") {
  CommandTester t;
  std::string_view nul("\0", 1);
  std::string_view one_nul("1\0x", 3);
  Push(t, "l", {"b", nul, "1", one_nul, "", "a"});
  // Without STORE "\0" == "" and "1\0x" == "1": ties keep the list's order.
  CHECK(Sort(t, {"l", "ALPHA"}) == Arr({nul, "", "1", one_nul, "a", "b"}));
  CHECK(Sort(t, {"l", "ALPHA", "DESC"}) == Arr({"b", "a", "1", one_nul, nul, ""}));
  CHECK(Sort(t, {"l", "ALPHA", "STORE", "dst"}) == Int(6));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"", nul, "1", one_nul, "a", "b"}));
}

TEST_CASE("SORT ALPHA collates with the caller's function without STORE only", "[sort]") {
  CommandTester t;
  Push(t, "l", {"b", "B", "a", "A"});
  // The handler passes strcoll(); under the test's C locale that is byte order.
  CHECK(Sort(t, {"l", "ALPHA"}) == Arr({"A", "B", "a", "b"}));
  keyspace::Keyspace& ks = t.server().keyspace();
  std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf("l")).mutex());
  keyspace::DbAccess db(&ks, t.client().db, t.now_ms(), 0);
  keyspace::SortOptions opts;
  opts.alpha = true;
  // A collation that puts lower case first, as no byte order does.
  opts.collate = [](const char* a, const char* b) {
    auto key = [](char c) {
      return std::islower(static_cast<unsigned char>(c)) ? c - 'a' : c - 'A' + 26;
    };
    return key(*a) - key(*b);
  };
  auto sorted = [&] {
    OpResult<std::vector<keyspace::SortRow>> rows = keyspace::OpSort(db, "l", opts);
    REQUIRE(rows);
    std::string out;
    for (const auto& row : *rows) out += row.value_or("(nil)");
    return out;
  };
  CHECK(sorted() == "abAB");
  opts.desc = true;
  CHECK(sorted() == "BAba");
  opts.store = true;  // STORE compares bytes whatever the collation
  opts.desc = false;
  CHECK(sorted() == "ABab");
}

// --- BY ------------------------------------------------------------------------------------

TEST_CASE("SORT BY a key pattern and a hash field", "[sort][by]") {
  CommandTester t;
  Push(t, "l", {"1", "2", "3", "4"});
  const char* weights[] = {"", "40", "10", "30", "20"};
  for (int i = 1; i <= 4; ++i) {
    std::string n = std::to_string(i);
    REQUIRE(t.Run({"SET", "w_" + n, weights[i]}) == kOk);
    REQUIRE(t.Run({"HSET", "h_" + n, "f", weights[i]}) == Int(1));
  }
  CHECK(Sort(t, {"l", "BY", "w_*"}) == Arr({"2", "4", "3", "1"}));
  CHECK(Sort(t, {"l", "BY", "h_*->f"}) == Arr({"2", "4", "3", "1"}));
  CHECK(Sort(t, {"l", "BY", "h_*->f", "DESC"}) == Arr({"1", "3", "4", "2"}));
  CHECK(Sort(t, {"l", "BY", "w_*", "LIMIT", "1", "2"}) == Arr({"4", "3"}));
  // Text after the '*' stays in the key name; only the first '*' is replaced.
  REQUIRE(t.Run({"SET", "x1y*", "5"}) == kOk);
  REQUIRE(t.Run({"SET", "x2y*", "1"}) == kOk);
  CHECK(Sort(t, {"l", "BY", "x*y*"}) == Arr({"3", "4", "2", "1"}));  // 3, 4 score 0
  // A missing key, a field that is missing, a key of another type: score 0.
  REQUIRE(t.Run({"DEL", "w_2"}) == kOne);
  REQUIRE(t.Run({"HDEL", "h_3", "f"}) == kOne);
  REQUIRE(t.Run({"DEL", "w_4"}) == kOne);
  REQUIRE(t.Run({"RPUSH", "w_4", "x"}) == kOne);
  CHECK(Sort(t, {"l", "BY", "w_*"}) == Arr({"2", "4", "3", "1"}));
  CHECK(Sort(t, {"l", "BY", "h_*->f"}) == Arr({"3", "2", "4", "1"}));
  CHECK(Sort(t, {"l", "BY", "w_*->f"}) == Arr({"1", "2", "3", "4"}));  // strings, not hashes
  // A BY value that is not a double is an error.
  REQUIRE(t.Run({"SET", "w_1", "x"}) == kOk);
  CHECK(Sort(t, {"l", "BY", "w_*"}) == kNotDouble);
}

TEST_CASE("SORT BY ... ALPHA sorts missing values first", "[sort][by]") {
  CommandTester t;
  Push(t, "l", {"1", "2", "3", "4"});
  REQUIRE(t.Run({"SET", "w_1", "b"}) == kOk);
  REQUIRE(t.Run({"SET", "w_3", "a"}) == kOk);
  CHECK(Sort(t, {"l", "BY", "w_*", "ALPHA"}) == Arr({"2", "4", "3", "1"}));
  CHECK(Sort(t, {"l", "BY", "w_*", "ALPHA", "DESC"}) == Arr({"1", "3", "2", "4"}));
  // Without ALPHA a missing value scores 0 and "a" is not a double.
  CHECK(Sort(t, {"l", "BY", "w_*"}) == kNotDouble);
}

TEST_CASE("SORT pattern ending with just -> reads a string key (sort.tcl)", "[sort][by]") {
  CommandTester t;
  Push(t, "l", {"a"});
  REQUIRE(t.Run({"SET", "x:a->", "100"}) == kOk);
  CHECK(Sort(t, {"l", "BY", "num", "GET", "x:*->"}) == Arr({"100"}));
  CHECK(t.Run({"SORT_RO", "l", "BY", "nosort", "GET", "x:*->"}) == Arr({"100"}));
  // "->" before the '*' is part of the key name.
  REQUIRE(t.Run({"SET", "y->a", "7"}) == kOk);
  CHECK(Sort(t, {"l", "ALPHA", "GET", "y->*"}) == Arr({"7"}));
}

TEST_CASE("SORT BY without '*' keeps the native order of a list", "[sort][by]") {
  CommandTester t;
  Push(t, "l", {"5", "3", "4", "1", "2"});
  CHECK(Sort(t, {"l", "BY", "nosort"}) == Arr({"5", "3", "4", "1", "2"}));
  CHECK(Sort(t, {"l", "BY", "nosort", "DESC"}) == Arr({"2", "1", "4", "3", "5"}));
  CHECK(Sort(t, {"l", "BY", "nosort", "LIMIT", "1", "2"}) == Arr({"3", "4"}));
  CHECK(Sort(t, {"l", "BY", "nosort", "LIMIT", "1", "2", "DESC"}) == Arr({"1", "4"}));
  CHECK(Sort(t, {"l", "BY", "nosort", "LIMIT", "3", "100", "DESC"}) == Arr({"3", "5"}));
  CHECK(Sort(t, {"l", "BY", "nosort", "LIMIT", "5", "1"}) == Arr({}));
  // ALPHA does not matter; "#" and "->" patterns without '*' are constants too.
  CHECK(Sort(t, {"l", "BY", "nosort", "ALPHA"}) == Arr({"5", "3", "4", "1", "2"}));
  CHECK(Sort(t, {"l", "BY", "#"}) == Arr({"5", "3", "4", "1", "2"}));
  CHECK(Sort(t, {"l", "BY", "k->f"}) == Arr({"5", "3", "4", "1", "2"}));
  // A '*' after a NUL byte is not seen, as in Redis's strchr().
  CHECK(Sort(t, {"l", "BY", std::string_view("w\0*", 3)}) == Arr({"5", "3", "4", "1", "2"}));
  // Once a BY without '*' is given, a later BY with one does not sort either.
  CHECK(Sort(t, {"l", "BY", "nosort", "BY", "w_*"}) == Arr({"5", "3", "4", "1", "2"}));
  CHECK(Sort(t, {"l", "BY", "w_*", "BY", "nosort"}) == Arr({"5", "3", "4", "1", "2"}));
  // Elements that are not numbers are fine when nothing is sorted.
  Push(t, "s", {"b", "a"});
  CHECK(Sort(t, {"s", "BY", "nosort", "STORE", "dst"}) == Int(2));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"b", "a"}));
}

// --- GET -----------------------------------------------------------------------------------

TEST_CASE("SORT GET patterns", "[sort][get]") {
  CommandTester t;
  Push(t, "l", {"2", "1", "3"});
  REQUIRE(t.Run({"SET", "v_1", "one"}) == kOk);
  REQUIRE(t.Run({"SET", "v_2", "two"}) == kOk);
  REQUIRE(t.Run({"HSET", "h_1", "name", "uno"}) == kOne);
  REQUIRE(t.Run({"HSET", "h_3", "name", "tres"}) == kOne);
  REQUIRE(t.Run({"RPUSH", "v_3", "x"}) == kOne);  // wrong type: nil
  CHECK(Sort(t, {"l", "GET", "#"}) == Arr({"1", "2", "3"}));
  CHECK(Sort(t, {"l", "GET", "v_*"}) == Arr({"one", "two", std::nullopt}));
  CHECK(Sort(t, {"l", "GET", "#", "GET", "v_*", "GET", "h_*->name"}) ==
        Arr({"1", "one", "uno", "2", "two", std::nullopt, "3", std::nullopt, "tres"}));
  CHECK(Sort(t, {"l", "DESC", "LIMIT", "0", "2", "GET", "v_*"}) == Arr({std::nullopt, "two"}));
  // A constant pattern finds nothing, even when that key exists.
  REQUIRE(t.Run({"SET", "const", "x"}) == kOk);
  CHECK(Sort(t, {"l", "GET", "const"}) == Arr({std::nullopt, std::nullopt, std::nullopt}));
  CHECK(t.Run({"SORT_RO", "l", "GET", "const"}) == Arr({std::nullopt, std::nullopt, std::nullopt}));
  t.set_protocol(3);
  CHECK(Sort(t, {"l", "GET", "v_*"}) == Arr({"one", "two", std::nullopt}, kNull3));
}

TEST_CASE("SORT GET with hash fields that expired", "[sort][get]") {
  CommandTester t;
  Push(t, "l", {"1"});
  REQUIRE(t.Run({"HSET", "h_1", "f", "v", "g", "w"}) == Int(2));
  REQUIRE(t.Run({"HPEXPIRE", "h_1", "100", "FIELDS", "1", "f"}) == "*1\r\n:1\r\n");
  CHECK(Sort(t, {"l", "GET", "h_*->f", "GET", "h_*->g"}) == Arr({"v", "w"}));
  t.AdvanceTime(200);
  CHECK(Sort(t, {"l", "GET", "h_*->f", "GET", "h_*->g"}) == Arr({std::nullopt, "w"}));
}

// --- LIMIT ---------------------------------------------------------------------------------

TEST_CASE("SORT LIMIT is clamped as sort.c clamps it", "[sort][limit]") {
  CommandTester t;
  Push(t, "l", {"5", "3", "4", "1", "2"});
  const std::string kMin = "-9223372036854775808";
  const std::string kMax = "9223372036854775807";
  CHECK(Sort(t, {"l", "LIMIT", "0", "2"}) == Arr({"1", "2"}));
  CHECK(Sort(t, {"l", "LIMIT", "3", "10"}) == Arr({"4", "5"}));
  CHECK(Sort(t, {"l", "LIMIT", "4", "1"}) == Arr({"5"}));
  CHECK(Sort(t, {"l", "LIMIT", "5", "1"}) == Arr({}));
  CHECK(Sort(t, {"l", "LIMIT", "2", "0"}) == Arr({}));
  CHECK(Sort(t, {"l", "LIMIT", "-10", "2"}) == Arr({"1", "2"}));           // offset < 0 is 0
  CHECK(Sort(t, {"l", "LIMIT", "1", "-1"}) == Arr({"2", "3", "4", "5"}));  // count < 0: all
  CHECK(Sort(t, {"l", "LIMIT", "1", "-5"}) == Arr({"2", "3", "4", "5"}));
  CHECK(Sort(t, {"l", "LIMIT", kMin, kMin}) == Arr({"1", "2", "3", "4", "5"}));
  CHECK(Sort(t, {"l", "LIMIT", kMin, kMax}) == Arr({"1", "2", "3", "4", "5"}));
  CHECK(Sort(t, {"l", "LIMIT", kMax, kMax}) == Arr({}));
  CHECK(Sort(t, {"l", "LIMIT", kMax, kMin}) == Arr({}));
  CHECK(Sort(t, {"l", "LIMIT", "2", kMax}) == Arr({"3", "4", "5"}));
  CHECK(Sort(t, {"l", "LIMIT", "2", kMax, "DESC"}) == Arr({"3", "2", "1"}));
  CHECK(t.Run({"SORT_RO", "l", "BY", "a", "LIMIT", "2", kMax}) == Arr({"4", "1", "2"}));
  CHECK(Sort(t, {"l", "BY", "a", "LIMIT", kMax, "1"}) == Arr({}));
  CHECK(Sort(t, {"l", "BY", "a", "LIMIT", kMin, "1", "DESC"}) == Arr({"2"}));
  // The last LIMIT wins.
  CHECK(Sort(t, {"l", "LIMIT", "0", "1", "LIMIT", "1", "1"}) == Arr({"2"}));
  // A missing key with any LIMIT.
  CHECK(Sort(t, {"nokey", "LIMIT", kMin, kMax}) == Arr({}));
  CHECK(Sort(t, {"nokey", "LIMIT", "1", "1", "BY", "nosort", "DESC"}) == Arr({}));
  CHECK(Sort(t, {"l", "LIMIT", "1", "2", "GET", "#", "GET", "x_*"}) ==
        Arr({"2", std::nullopt, "3", std::nullopt}));
}

// --- STORE ---------------------------------------------------------------------------------

TEST_CASE("SORT STORE writes a list and replies its length", "[sort][store]") {
  CommandTester t;
  Push(t, "l", {"3", "1", "2"});
  REQUIRE(t.Run({"SET", "dst", "old"}) == kOk);
  REQUIRE(t.Run({"EXPIRE", "dst", "100"}) == kOne);
  CHECK(Sort(t, {"l", "STORE", "dst"}) == Int(3));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"1", "2", "3"}));
  CHECK(t.Run({"TTL", "dst"}) == Int(-1));  // the value and its expiry are replaced
  // GET rows: a missing value is stored as "".
  REQUIRE(t.Run({"SET", "v_2", "two"}) == kOk);
  CHECK(Sort(t, {"l", "GET", "#", "GET", "v_*", "STORE", "dst"}) == Int(6));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"1", "", "2", "two", "3", ""}));
  // The destination may be the source.
  CHECK(Sort(t, {"l", "DESC", "STORE", "l"}) == Int(3));
  CHECK(t.Run({"LRANGE", "l", "0", "-1"}) == Arr({"3", "2", "1"}));
  // The last STORE wins; SORT_RO has none.
  CHECK(Sort(t, {"l", "STORE", "a", "STORE", "b"}) == Int(3));
  CHECK(t.Run({"EXISTS", "a"}) == kZero);
  CHECK(t.Run({"LRANGE", "b", "0", "-1"}) == Arr({"1", "2", "3"}));
  CHECK(t.Run({"SORT_RO", "l", "STORE", "c"}) == kSyntax);
  CHECK(t.Run({"EXISTS", "c"}) == kZero);
}

TEST_CASE("SORT STORE of nothing deletes the destination (issues 224, 227)", "[sort][store]") {
  CommandTester t;
  CHECK(Sort(t, {"nokey", "STORE", "dst"}) == kZero);
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  Push(t, "foo", {"bar"});
  CHECK(Sort(t, {"foo", "ALPHA", "LIMIT", "10", "10", "STORE", "zap"}) == kZero);
  CHECK(t.Run({"EXISTS", "zap"}) == kZero);
  CHECK(Sort(t, {"emptylist", "STORE", "foo"}) == kZero);
  CHECK(t.Run({"EXISTS", "foo"}) == kZero);
  REQUIRE(t.Run({"SET", "s", "x"}) == kOk);
  CHECK(Sort(t, {"nokey", "STORE", "s"}) == kZero);
  CHECK(t.Run({"EXISTS", "s"}) == kZero);
}

TEST_CASE("SORT STORE leaves a listpack when the result fits one node", "[sort][store]") {
  CommandTester t(Overrides{{"list-max-listpack-size", "4"}});
  Push(t, "l", {"5", "4", "3", "2", "1"});
  CHECK(Sort(t, {"l", "LIMIT", "0", "4", "STORE", "dst"}) == Int(4));
  CHECK(t.Run({"OBJECT", "ENCODING", "dst"}) == Bulk("listpack"));
  CHECK(Sort(t, {"l", "STORE", "dst"}) == Int(5));
  CHECK(t.Run({"OBJECT", "ENCODING", "dst"}) == Bulk("quicklist"));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"1", "2", "3", "4", "5"}));
  // A byte limit: 3 short elements fit 4 KB, a 5000-byte one does not.
  CommandTester u(Overrides{{"list-max-listpack-size", "-1"}});
  Push(u, "l", {"a", "b", std::string(5000, 'x')});
  CHECK(u.Run({"SORT", "l", "ALPHA", "LIMIT", "0", "2", "STORE", "dst"}) == Int(2));
  CHECK(u.Run({"OBJECT", "ENCODING", "dst"}) == Bulk("listpack"));
  CHECK(u.Run({"SORT", "l", "ALPHA", "STORE", "dst"}) == Int(3));
  CHECK(u.Run({"OBJECT", "ENCODING", "dst"}) == Bulk("quicklist"));
  CHECK(u.Run({"LLEN", "dst"}) == Int(3));
}

TEST_CASE("SORT STORE serves a client blocked on the destination", "[sort][store]") {
  CommandTester t;
  int c2 = t.AddClient();
  CHECK(t.RunAs(c2, {"BLPOP", "foo", "0"}) == "");
  Push(t, "notfoo", {"hello", "hola", "aguacate", "konichiwa", "zanzibar"});
  CHECK(Sort(t, {"notfoo", "ALPHA", "STORE", "foo"}) == Int(5));
  CHECK(t.TakeDelivered(c2) == Arr({"foo", "aguacate"}));
  CHECK(t.Run({"LLEN", "foo"}) == Int(4));
}

// --- Errors --------------------------------------------------------------------------------

TEST_CASE("SORT errors and their order", "[sort][errors]") {
  CommandTester t;
  REQUIRE(t.Run({"SET", "str", "x"}) == kOk);
  REQUIRE(t.Run({"HSET", "hash", "f", "v"}) == kOne);
  Push(t, "l", {"1"});
  CHECK(Sort(t, {"str"}) == kWrongType);
  CHECK(Sort(t, {"hash"}) == kWrongType);
  CHECK(t.Run({"SORT_RO", "str"}) == kWrongType);
  CHECK(Sort(t, {"str", "STORE", "dst"}) == kWrongType);
  // Options are parsed before the key is looked up.
  CHECK(Sort(t, {"str", "foo"}) == kSyntax);
  CHECK(Sort(t, {"str", "LIMIT", "x", "1"}) == kNotInt);
  CHECK(Sort(t, {"l", "LIMIT", "1", "x"}) == kNotInt);
  CHECK(Sort(t, {"l", "LIMIT", "1.5", "1"}) == kNotInt);
  CHECK(Sort(t, {"l", "LIMIT", "9223372036854775808", "1"}) == kNotInt);
  CHECK(Sort(t, {"l", "LIMIT", "0", "1", "foo"}) == kSyntax);
  // An option without its arguments is an unknown word.
  CHECK(Sort(t, {"l", "LIMIT", "1"}) == kSyntax);
  CHECK(Sort(t, {"l", "LIMIT"}) == kSyntax);
  CHECK(Sort(t, {"l", "BY"}) == kSyntax);
  CHECK(Sort(t, {"l", "GET"}) == kSyntax);
  CHECK(Sort(t, {"l", "STORE"}) == kSyntax);
  CHECK(Sort(t, {"l", "LIMIT", "0", "1", "ALPHA", "STORE"}) == kSyntax);
  // The first bad option decides.
  CHECK(Sort(t, {"l", "LIMIT", "x", "1", "foo"}) == kNotInt);
  CHECK(Sort(t, {"l", "foo", "LIMIT", "x", "1"}) == kSyntax);
  CHECK(t.Run({"SORT_RO", "foolist", "STORE", "bar"}) == kSyntax);
  CHECK(t.Run({"SORT"}) == "-ERR wrong number of arguments for 'sort' command\r\n");
  CHECK(t.Run({"SORT_RO"}) == "-ERR wrong number of arguments for 'sort_ro' command\r\n");
  // Nothing was written by a failed STORE.
  CHECK(Sort(t, {"l", "STORE", "dst", "foo"}) == kSyntax);
  CHECK(t.Run({"EXISTS", "dst"}) == kZero);
  // Options are case-insensitive.
  CHECK(Sort(t, {"l", "limit", "0", "1", "get", "#", "by", "NoSort", "desc", "alpha", "store",
                 "dst"}) == Int(1));
}

TEST_CASE("SORT of a missing key is an empty list", "[sort]") {
  CommandTester t;
  CHECK(Sort(t, {"nokey"}) == Arr({}));
  CHECK(Sort(t, {"nokey", "BY", "w_*", "GET", "#", "ALPHA", "DESC"}) == Arr({}));
  CHECK(t.Run({"SORT_RO", "nokey"}) == Arr({}));
}

// --- Keys and locking ----------------------------------------------------------------------

TEST_CASE("SORT key extraction and COMMAND INFO", "[sort][keys]") {
  CommandTester t;
  CHECK(t.Run({"COMMAND", "GETKEYS", "sort", "abc", "store", "def"}) == Arr({"abc", "def"}));
  CHECK(t.Run({"COMMAND", "GETKEYS", "sort_ro", "abc"}) == Arr({"abc"}));
  CHECK(t.Run({"COMMAND", "GETKEYS", "sort", "abc", "store", "invalid", "store", "stillbad",
               "store", "def"}) == Arr({"abc", "def"}));
  CHECK(t.Run({"COMMAND", "GETKEYS", "sort", "abc", "get", "store", "by", "store"}) ==
        Arr({"abc"}));
  CHECK(t.Run({"COMMAND", "GETKEYS", "sort", "abc", "limit", "store", "x", "store", "y"}) ==
        Arr({"abc", "y"}));
  CHECK(t.Run({"COMMAND", "GETKEYS", "sort", "abc", "store"}) == Arr({"abc"}));
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "sort", "k1", "store", "k2"}) ==
        "*2\r\n*2\r\n$2\r\nk1\r\n*2\r\n+RO\r\n+access\r\n"
        "*2\r\n$2\r\nk2\r\n*2\r\n+OW\r\n+update\r\n");
  std::string info = t.Run({"COMMAND", "INFO", "sort", "sort_ro"});
  CHECK(info.find("+movablekeys") != std::string::npos);
  CHECK(info.find("$4\r\nsort\r\n:-2\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1"
                  "\r\n*6\r\n+@write\r\n+@set\r\n+@sortedset\r\n+@list\r\n+@slow\r\n"
                  "+@dangerous\r\n") != std::string::npos);
  CHECK(info.find("$7\r\nsort_ro\r\n:-2\r\n*2\r\n+readonly\r\n+movablekeys\r\n") !=
        std::string::npos);
  CHECK(info.find("For the optional STORE keyword. It is marked 'unknown' because the keyword can "
                  "appear anywhere in the argument array\r\n$5\r\nflags\r\n*2\r\n+OW\r\n"
                  "+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown") !=
        std::string::npos);
}

TEST_CASE("SORT locks every shard iff a pattern reads other keys", "[sort][keys]") {
  CommandTester t;
  const CommandSpec* sort = t.server().commands().Find("sort");
  const CommandSpec* sort_ro = t.server().commands().Find("sort_ro");
  REQUIRE(sort->locks_all_shards != nullptr);
  auto all = [&](const CommandSpec* spec, std::vector<std::string_view> args) {
    return spec->locks_all_shards(ArgList(args));
  };
  CHECK_FALSE(all(sort, {"SORT", "k"}));
  CHECK_FALSE(all(sort, {"SORT", "k", "GET", "#", "STORE", "d", "ALPHA"}));
  CHECK_FALSE(all(sort, {"SORT", "k", "BY", "nosort", "GET", "const"}));
  CHECK_FALSE(all(sort, {"SORT", "k", "BY", "nosort", "BY", "w_*"}));  // nothing is sorted
  CHECK(all(sort, {"SORT", "k", "BY", "w_*"}));
  CHECK(all(sort, {"SORT", "k", "GET", "#", "GET", "v_*"}));
  CHECK(all(sort, {"SORT", "k", "GET", "h_*->f"}));
  CHECK(all(sort_ro, {"SORT_RO", "k", "BY", "w_*"}));
  CHECK_FALSE(all(sort, {"SORT", "k", "BY", "w_*", "foo"}));  // a syntax error reads nothing
  // The handler's STORE key differs from the extracted one: lock everything.
  CHECK(all(sort, {"SORT", "k", "STORE", "get", "STORE", "d"}));
  CHECK_FALSE(all(sort, {"SORT", "k", "STORE", "a", "STORE", "d"}));
}

TEST_CASE("SORT BY waits for the shard of a BY key it does not name", "[sort][keys]") {
  CommandTester t;
  keyspace::Keyspace& ks = t.server().keyspace();
  if (ks.shard_count() < 2) return;
  Push(t, "src", {"1", "2"});
  // A weight key in another shard than the source's.
  std::string weight;
  for (int i = 0; weight.empty(); ++i) {
    std::string name = "w" + std::to_string(i) + "_1";
    if (ks.ShardOf(name) != ks.ShardOf("src")) weight = name;
  }
  std::string pattern = weight.substr(0, weight.size() - 1) + "*";
  REQUIRE(t.Run({"SET", weight, "10"}) == kOk);
  std::timed_mutex& held = ks.shard(ks.ShardOf(weight)).mutex().raw();

  // A SORT reading only its own key does not wait for that shard...
  held.lock();
  CHECK(Sort(t, {"src", "DESC"}) == Arr({"2", "1"}));
  // ...one with a BY pattern does.
  std::atomic<bool> done{false};
  std::string reply;
  std::thread runner([&] {
    reply = Sort(t, {"src", "BY", pattern});
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(done.load());
  held.unlock();
  runner.join();
  CHECK(reply == Arr({"2", "1"}));
}

// --- Core helpers --------------------------------------------------------------------------

TEST_CASE("ParseSortScore reads like strtod over the whole value", "[sort][scores]") {
  double d = -1;
  CHECK(keyspace::ParseSortScore("12", &d));
  CHECK(d == 12);
  CHECK(keyspace::ParseSortScore("\t 1.5", &d));
  CHECK(d == 1.5);
  CHECK(keyspace::ParseSortScore("0X1p4", &d));
  CHECK(d == 16);
  CHECK(keyspace::ParseSortScore("-Infinity", &d));
  CHECK(d == -std::numeric_limits<double>::infinity());
  CHECK(keyspace::ParseSortScore("", &d));
  CHECK(d == 0);
  CHECK(keyspace::ParseSortScore(std::string(100, '1'), &d));
  CHECK(d == Approx(1.1111111111111111e99));
  CHECK_FALSE(keyspace::ParseSortScore("1 ", &d));
  CHECK_FALSE(keyspace::ParseSortScore("NaN", &d));
  CHECK_FALSE(keyspace::ParseSortScore("1e309", &d));
  CHECK_FALSE(keyspace::ParseSortScore("4.9e-325", &d));
  CHECK_FALSE(keyspace::ParseSortScore("x", &d));
  CHECK_FALSE(keyspace::ParseSortScore(std::string(400, '9'), &d));  // overflow
}

}  // namespace tessera::server

namespace tessera::server {

// --- Sets ----------------------------------------------------------------------------------

TEST_CASE("SORT a set in each encoding", "[sort][set]") {
  for (std::string_view intset_max : {"512", "0"}) {
    CAPTURE(intset_max);
    CommandTester t(Overrides{{"set-max-intset-entries", std::string(intset_max)}});
    REQUIRE(t.Run({"SADD", "s", "3", "1", "10", "2"}) == Int(4));
    CHECK(Sort(t, {"s"}) == Arr({"1", "2", "3", "10"}));
    CHECK(Sort(t, {"s", "DESC", "LIMIT", "1", "2"}) == Arr({"3", "2"}));
    CHECK(Sort(t, {"s", "ALPHA"}) == Arr({"1", "10", "2", "3"}));
    REQUIRE(t.Run({"SET", "w_10", "-1"}) == kOk);
    CHECK(Sort(t, {"s", "BY", "w_*", "GET", "#", "GET", "w_*"}) ==
          Arr({"10", "-1", "1", std::nullopt, "2", std::nullopt, "3", std::nullopt}));
  }
  CommandTester big;
  Args sadd{"SADD", "s"};
  for (int i = 0; i < 1000; ++i) sadd.push_back(std::to_string(i));
  REQUIRE(big.Run(sadd) == Int(1000));
  REQUIRE(big.Run({"OBJECT", "ENCODING", "s"}) == Bulk("hashtable"));
  CHECK(big.Run({"SORT", "s", "LIMIT", "995", "10"}) == Arr({"995", "996", "997", "998", "999"}));
  CHECK(big.Run({"SORT", "s", "DESC", "LIMIT", "0", "2"}) == Arr({"999", "998"}));
}

TEST_CASE("SORT a set BY a constant: as iterated, or ALPHA with STORE", "[sort][set]") {
  CommandTester t;
  REQUIRE(t.Run({"SADD", "s", "b", "c", "a"}) == Int(3));  // a listpack keeps this order
  REQUIRE(t.Run({"OBJECT", "ENCODING", "s"}) == Bulk("listpack"));
  CHECK(Sort(t, {"s", "BY", "nosort"}) == Arr({"b", "c", "a"}));
  CHECK(Sort(t, {"s", "BY", "nosort", "DESC"}) == Arr({"b", "c", "a"}));
  CHECK(Sort(t, {"s", "BY", "nosort", "LIMIT", "1", "5"}) == Arr({"c", "a"}));
  CHECK(Sort(t, {"s", "BY", "nosort", "STORE", "dst"}) == Int(3));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"a", "b", "c"}));
  CHECK(Sort(t, {"s", "BY", "nosort", "DESC", "STORE", "dst"}) == Int(3));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"c", "b", "a"}));
  // The forced ALPHA ignores the BY key, even after a BY with '*'.
  REQUIRE(t.Run({"SET", "w_a", "3"}) == kOk);
  CHECK(Sort(t, {"s", "BY", "nosort", "BY", "w_*", "STORE", "dst", "GET", "#", "GET", "w_*"}) ==
        Int(6));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"a", "3", "b", "", "c", ""}));
  // The sort.tcl case.
  REQUIRE(t.Run({"SADD", "myset", "a", "b", "c", "d", "e", "f", "g", "h", "i",  "l",   "m",
                 "n",    "o",     "p", "q", "r", "s", "t", "u", "v", "z", "aa", "aaa", "azz"}) ==
          Int(24));
  CHECK(Sort(t, {"myset", "ALPHA", "BY", "_", "STORE", "mylist"}) == Int(24));
  CHECK(t.Run({"LRANGE", "mylist", "0", "2"}) == Arr({"a", "aa", "aaa"}));
}

TEST_CASE("SORT a set of numbers that are not doubles", "[sort][set]") {
  CommandTester t;
  REQUIRE(t.Run({"SADD", "myset", "1", "2", "3", "4", "not-a-double"}) == Int(5));
  CHECK(Sort(t, {"myset"}) == kNotDouble);
  REQUIRE(t.Run({"DEL", "myset"}) == kOne);
  REQUIRE(t.Run({"SADD", "myset", "1", "2", "3", "4"}) == Int(4));
  REQUIRE(t.Run({"MSET", "score:1", "10", "score:2", "20", "score:3", "30", "score:4",
                 "not-a-double"}) == kOk);
  CHECK(Sort(t, {"myset", "BY", "score:*"}) == kNotDouble);
}

TEST_CASE("SORT stores integer members into a list (violations.tcl)", "[sort][set]") {
  CommandTester t;
  REQUIRE(t.Run({"SET", "S1", "asdf"}) == kOk);
  REQUIRE(t.Run({"SET", "S2", "123"}) == kOk);
  REQUIRE(t.Run({"SADD", "myset", "1", "2"}) == Int(2));
  REQUIRE(t.Run({"MSET", "D1", "1", "D2", "2"}) == kOk);
  CHECK(Sort(t, {"myset", "BY", "D*", "GET", "S*", "STORE", "mylist"}) == Int(2));
  CHECK(t.Run({"LRANGE", "mylist", "0", "-1"}) == Arr({"asdf", "123"}));
}

}  // namespace tessera::server

namespace tessera::server {

// --- Sorted sets ---------------------------------------------------------------------------

namespace {
void AddZSet(CommandTester& t) {
  REQUIRE(t.Run({"ZADD", "zset", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e"}) == Int(5));
}
}  // namespace

TEST_CASE("SORT a sorted set by its members (sort.tcl)", "[sort][zset]") {
  CommandTester t;
  AddZSet(t);
  CHECK(Sort(t, {"zset", "ALPHA", "DESC"}) == Arr({"e", "d", "c", "b", "a"}));
  CHECK(Sort(t, {"zset"}) == kNotDouble);
  REQUIRE(t.Run({"ZADD", "nums", "1", "10", "2", "9", "3", "-1.5"}) == Int(3));
  CHECK(Sort(t, {"nums"}) == Arr({"-1.5", "9", "10"}));
  CHECK(Sort(t, {"nums", "BY", "w_*", "GET", "#"}) == Arr({"-1.5", "10", "9"}));  // ties
}

TEST_CASE("SORT a sorted set BY nosort keeps its order (sort.tcl)", "[sort][zset]") {
  CommandTester t;
  AddZSet(t);
  CHECK(Sort(t, {"zset", "BY", "nosort", "ASC"}) == Arr({"a", "c", "e", "b", "d"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC"}) == Arr({"d", "b", "e", "c", "a"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "ASC", "LIMIT", "0", "1"}) == Arr({"a"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC", "LIMIT", "0", "1"}) == Arr({"d"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "ASC", "LIMIT", "0", "2"}) == Arr({"a", "c"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC", "LIMIT", "0", "2"}) == Arr({"d", "b"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "LIMIT", "5", "10"}) == Arr({}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "LIMIT", "-10", "100"}) == Arr({"a", "c", "e", "b", "d"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC", "LIMIT", "1", "3"}) == Arr({"b", "e", "c"}));
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC", "LIMIT", "4", "3"}) == Arr({"a"}));
  // Unlike a set's, the stored order is the native one.
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC", "STORE", "dst"}) == Int(5));
  CHECK(t.Run({"LRANGE", "dst", "0", "-1"}) == Arr({"d", "b", "e", "c", "a"}));
  // Inside a transaction too.
  CHECK(t.Run({"MULTI"}) == kOk);
  CHECK(Sort(t, {"zset", "BY", "nosort", "ASC"}) == "+QUEUED\r\n");
  CHECK(Sort(t, {"zset", "BY", "nosort", "DESC", "GET", "#", "GET", "w_*"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*2\r\n" + Arr({"a", "c", "e", "b", "d"}) +
                               Arr({"d", std::nullopt, "b", std::nullopt, "e", std::nullopt, "c",
                                    std::nullopt, "a", std::nullopt}));
}

TEST_CASE("SORT leaves a listpack sorted set a skiplist, as Redis does", "[sort][zset]") {
  CommandTester t;
  AddZSet(t);
  REQUIRE(t.Run({"OBJECT", "ENCODING", "zset"}) == Bulk("listpack"));
  CHECK(t.Run({"SORT_RO", "zset", "BY", "nosort"}) == Arr({"a", "c", "e", "b", "d"}));
  CHECK(t.Run({"OBJECT", "ENCODING", "zset"}) == Bulk("skiplist"));
  CHECK(t.Run({"ZRANGE", "zset", "0", "-1", "WITHSCORES"}) ==
        Arr({"a", "1", "c", "2", "e", "3", "b", "5", "d", "10"}));
  // A large one walks from a rank in either direction.
  Args zadd{"ZADD", "big"};
  for (int i = 0; i < 300; ++i) {
    zadd.push_back(std::to_string(i));
    zadd.push_back("m" + std::to_string(1000 + i));
  }
  REQUIRE(t.Run(zadd) == Int(300));
  CHECK(Sort(t, {"big", "BY", "nosort", "LIMIT", "297", "5"}) == Arr({"m1297", "m1298", "m1299"}));
  CHECK(Sort(t, {"big", "BY", "nosort", "DESC", "LIMIT", "1", "2"}) == Arr({"m1298", "m1297"}));
  CHECK(Sort(t, {"big", "ALPHA", "DESC", "LIMIT", "0", "1"}) == Arr({"m1299"}));
}

}  // namespace tessera::server
