// Command tests of the stream family (server/commands/stream_*.cc), after Redis 7.2's
// tests/unit/type/stream*.tcl: every ID form and bound, trimming exact and by node, the group
// protocol (delivery, pending list, claims, counters), XINFO's fields, blocking reads across
// clients, and every command on a key of another type.  Replies are compared byte for byte,
// RESP2 and RESP3; times come from the tester's fake clock.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using namespace test_replies;  // NOLINT: expected replies read best unqualified
using Overrides = std::vector<std::pair<std::string, std::string>>;

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Err(std::string_view e) { return "-" + std::string(e) + "\r\n"; }

// One entry: [id, [f, v, ...]].
std::string Entry(std::string_view id, const std::vector<std::string>& fv) {
  std::string out = "*2\r\n" + Bulk(id) + "*" + std::to_string(fv.size()) + "\r\n";
  for (const std::string& s : fv) out += Bulk(s);
  return out;
}

std::string Entries(const std::vector<std::string>& entries) {
  std::string out = "*" + std::to_string(entries.size()) + "\r\n";
  for (const std::string& e : entries) out += e;
  return out;
}

const std::string kInvalidId = Err("ERR Invalid stream ID specified as stream command argument");
const std::string kTooSmall =
    Err("ERR The ID specified in XADD is equal or smaller than the target stream top item");

TEST_CASE("XADD IDs: explicit, partial, automatic and the extremes", "[stream]") {
  CommandTester t;
  CHECK(t.Run({"XADD", "s", "1-1", "a", "1"}) == Bulk("1-1"));
  CHECK(t.Run({"XADD", "s", "1-1", "a", "1"}) == kTooSmall);
  CHECK(t.Run({"XADD", "s", "1-*", "a", "1"}) == Bulk("1-2"));
  CHECK(t.Run({"XADD", "s", "5", "a", "1"}) == Bulk("5-0"));
  CHECK(t.Run({"XADD", "s", "0-0", "a", "1"}) ==
        Err("ERR The ID specified in XADD must be greater than 0-0"));
  CHECK(t.Run({"XADD", "s", "-", "a", "1"}) == kInvalidId);
  CHECK(t.Run({"XADD", "s", "1-x", "a", "1"}) == kInvalidId);
  CHECK(t.Run({"XADD", "s", "18446744073709551616-0", "a", "1"}) == kInvalidId);
  // strtoull's leniency, as Redis's string2ull: a leading '+' and leading zeros.
  CHECK(t.Run({"XADD", "s", "+7-0", "a", "1"}) == Bulk("7-0"));
  CHECK(t.Run({"XADD", "s", "0008-0", "a", "1"}) == Bulk("8-0"));
  // `*` takes the clock, or the last ID + 1 when the clock is behind.
  const std::string now = std::to_string(t.now_ms());
  CHECK(t.Run({"XADD", "s", "*", "a", "1"}) == Bulk(now + "-0"));
  CHECK(t.Run({"XADD", "s", "*", "a", "1"}) == Bulk(now + "-1"));
  CHECK(t.Run({"XADD", "max", "18446744073709551615-18446744073709551615", "a", "1"}) ==
        Bulk("18446744073709551615-18446744073709551615"));
  CHECK(t.Run({"XADD", "max", "*", "a", "1"}) ==
        Err("ERR The stream has exhausted the last possible ID, unable to add more items"));
  CHECK(t.Run({"XADD", "seq", "3-18446744073709551615", "a", "1"}) ==
        Bulk("3-18446744073709551615"));
  CHECK(t.Run({"XADD", "seq", "3-*", "a", "1"}) == kTooSmall);
  CHECK(t.Run({"XADD", "seq", "*", "a", "1"}) == Bulk(now + "-0"));
  // Arity counts from the ID; the field list must pair up.
  CHECK(t.Run({"XADD", "s", "9-0", "a"}) ==
        Err("ERR wrong number of arguments for 'xadd' command"));
  CHECK(t.Run({"XADD", "s", "MAXLEN", "1", "9-0"}) ==
        Err("ERR wrong number of arguments for 'xadd' command"));
  CHECK(t.Run({"XADD", "missing", "NOMKSTREAM", "1-1", "a", "1"}) == kNil);
  CHECK(t.Run({"EXISTS", "missing"}) == kZero);
  t.set_protocol(3);
  CHECK(t.Run({"XADD", "missing", "NOMKSTREAM", "1-1", "a", "1"}) == kNull3);
}

TEST_CASE("XADD trimming options and their errors", "[stream]") {
  CommandTester t;
  CHECK(t.Run({"XADD", "s", "MAXLEN", "-1", "1-1", "a", "1"}) ==
        Err("ERR The MAXLEN argument must be >= 0."));
  CHECK(t.Run({"XADD", "s", "MAXLEN", "1", "MINID", "1", "1-1", "a", "1"}) ==
        Err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"));
  CHECK(t.Run({"XADD", "s", "LIMIT", "5", "1-1", "a", "1"}) ==
        Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
  CHECK(t.Run({"XADD", "s", "MAXLEN", "5", "LIMIT", "5", "1-1", "a", "1"}) ==
        Err("ERR syntax error, LIMIT cannot be used without the special ~ option"));
  CHECK(t.Run({"XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "1-1", "a", "1"}) ==
        Err("ERR The LIMIT argument must be >= 0."));
  CHECK(t.Run({"XADD", "s", "MINID", "-", "1-1", "a", "1"}) == kInvalidId);
  CHECK(t.Run({"EXISTS", "s"}) == kZero);  // every error above came before the key
  for (int i = 1; i <= 5; ++i) {
    t.Run({"XADD", "s", "MAXLEN", "=", "3", std::to_string(i) + "-0", "f", "v"});
  }
  CHECK(t.Run({"XLEN", "s"}) == Int(3));
  CHECK(t.Run({"XADD", "s", "MINID", "5", "6-0", "f", "v"}) == Bulk("6-0"));
  CHECK(t.Run({"XRANGE", "s", "-", "+"}) ==
        Entries({Entry("5-0", {"f", "v"}), Entry("6-0", {"f", "v"})}));
  // MAXLEN 0 leaves an empty stream behind, as in Redis.
  CHECK(t.Run({"XADD", "e", "MAXLEN", "0", "1-0", "f", "v"}) == Bulk("1-0"));
  CHECK(t.Run({"XLEN", "e"}) == kZero);
  CHECK(t.Run({"EXISTS", "e"}) == kOne);
}

TEST_CASE("Approximate trimming drops whole nodes, bounded by LIMIT", "[stream]") {
  CommandTester t(Overrides{{"stream-node-max-entries", "10"}});
  for (int i = 1; i <= 35; ++i) t.Run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  CHECK(t.Run({"XTRIM", "s", "MAXLEN", "~", "12"}) == Int(20));
  CHECK(t.Run({"XLEN", "s"}) == Int(15));
  CHECK(t.Run({"XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "9"}) == kZero);  // a node holds 10
  CHECK(t.Run({"XTRIM", "s", "MAXLEN", "1"}) == Int(14));
  CHECK(t.Run({"XTRIM", "s", "LIMIT", "0"}) ==
        Err("ERR syntax error, XTRIM must be called with a trimming strategy"));
  CHECK(t.Run({"XTRIM", "s", "FOO", "1"}) == kSyntax);
  CHECK(t.Run({"XTRIM", "missing", "MAXLEN", "1"}) == kZero);
  CHECK(t.Run({"CONFIG", "SET", "stream-node-max-entries", "2"}) == kOk);
  for (int i = 100; i < 106; ++i) t.Run({"XADD", "n", std::to_string(i) + "-0", "f", "v"});
  CHECK(t.Run({"XINFO", "STREAM", "n"}).find(Bulk("radix-tree-keys") + Int(3)) !=
        std::string::npos);
}

TEST_CASE("XRANGE and XREVRANGE bounds, exclusive ends and COUNT", "[stream]") {
  CommandTester t;
  for (const char* id : {"1-0", "1-1", "2-0", "3-5"}) t.Run({"XADD", "s", id, "k", id});
  const std::string e10 = Entry("1-0", {"k", "1-0"}), e11 = Entry("1-1", {"k", "1-1"}),
                    e20 = Entry("2-0", {"k", "2-0"}), e35 = Entry("3-5", {"k", "3-5"});
  CHECK(t.Run({"XRANGE", "s", "-", "+"}) == Entries({e10, e11, e20, e35}));
  CHECK(t.Run({"XRANGE", "s", "1", "1"}) == Entries({e10, e11}));  // 1-0 .. 1-max
  CHECK(t.Run({"XRANGE", "s", "(1-0", "(3-5"}) == Entries({e11, e20}));
  CHECK(t.Run({"XREVRANGE", "s", "+", "-", "COUNT", "2"}) == Entries({e35, e20}));
  CHECK(t.Run({"XREVRANGE", "s", "(3", "(1"}) == Entries({e35, e20, e11}));  // 3-max excluded
  CHECK(t.Run({"XRANGE", "s", "-", "+", "COUNT", "0"}) == "*-1\r\n");
  CHECK(t.Run({"XRANGE", "s", "-", "+", "COUNT", "-3"}) == "*-1\r\n");
  CHECK(t.Run({"XRANGE", "s", "(-", "+"}) == kInvalidId);
  CHECK(t.Run({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}) ==
        Err("ERR invalid start ID for the interval"));
  CHECK(t.Run({"XRANGE", "s", "-", "(0-0"}) == Err("ERR invalid end ID for the interval"));
  CHECK(t.Run({"XRANGE", "s", "-", "+", "LIMIT", "1"}) == kSyntax);
  CHECK(t.Run({"XRANGE", "missing", "-", "+"}) == "*0\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"XRANGE", "s", "-", "+", "COUNT", "0"}) == kNull3);
}

TEST_CASE("XDEL keeps first ID, tombstone and counters as Redis does", "[stream]") {
  CommandTester t;
  for (const char* id : {"1-0", "2-0", "3-0"}) t.Run({"XADD", "s", id, "f", "v"});
  CHECK(t.Run({"XDEL", "s", "1-0", "9-9", "1-0"}) == kOne);
  CHECK(t.Run({"XDEL", "s", "bad"}) == kInvalidId);
  CHECK(t.Run({"XDEL", "missing", "1-0"}) == kZero);
  std::string info = t.Run({"XINFO", "STREAM", "s"});
  CHECK(info.find(Bulk("max-deleted-entry-id") + Bulk("1-0")) != std::string::npos);
  CHECK(info.find(Bulk("recorded-first-entry-id") + Bulk("2-0")) != std::string::npos);
  CHECK(info.find(Bulk("entries-added") + Int(3)) != std::string::npos);
  CHECK(t.Run({"XSETID", "s", "2-5"}) ==
        Err("ERR The ID specified in XSETID is smaller than the target stream top item"));
  CHECK(t.Run({"XSETID", "s", "0-5"}) ==
        Err("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id"));
  CHECK(t.Run({"XSETID", "s", "9-0", "ENTRIESADDED", "1"}) ==
        Err("ERR The entries_added specified in XSETID is smaller than the target stream length"));
  CHECK(t.Run({"XSETID", "s", "9-0", "MAXDELETEDID", "10-0"}) ==
        Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"));
  CHECK(t.Run({"XSETID", "s", "9-0", "ENTRIESADDED", "-1"}) ==
        Err("ERR entries_added must be positive"));
  CHECK(t.Run({"XSETID", "missing", "9-0"}) == Err("ERR no such key"));
  CHECK(t.Run({"XSETID", "s", "9-0", "ENTRIESADDED", "7", "MAXDELETEDID", "4-0"}) == kOk);
  CHECK(t.Run({"XADD", "s", "9-0", "f", "v"}) == kTooSmall);
  CHECK(t.Run({"XADD", "s", "*", "f", "v"}) == Bulk(std::to_string(t.now_ms()) + "-0"));
}

TEST_CASE("Consumer groups: delivery, pending list, acknowledgement", "[stream]") {
  CommandTester t;
  CHECK(t.Run({"XGROUP", "CREATE", "s", "g", "$"}) ==
        Err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically."));
  CHECK(t.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}) == kOk);
  CHECK(t.Run({"XGROUP", "CREATE", "s", "g", "$"}) ==
        Err("BUSYGROUP Consumer Group name already exists"));
  CHECK(t.Run({"XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-3"}) ==
        Err("ERR value for ENTRIESREAD must be positive or -1"));
  CHECK(t.Run({"XGROUP", "SETID", "s", "nope", "0"}) ==
        Err("NOGROUP No such consumer group 'nope' for key name 's'"));
  for (const char* id : {"1-0", "2-0", "3-0"}) t.Run({"XADD", "s", id, "f", id});
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"}) ==
        "*1\r\n*2\r\n" + Bulk("s") +
            Entries({Entry("1-0", {"f", "1-0"}), Entry("2-0", {"f", "2-0"})}));
  t.AdvanceTime(100);
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"}) ==
        "*1\r\n*2\r\n" + Bulk("s") + Entries({Entry("3-0", {"f", "3-0"})}));
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"}) == "*-1\r\n");
  // Pending: summary, then the extended form with idle times from the fake clock.
  CHECK(t.Run({"XPENDING", "s", "g"}) == "*4\r\n" + Int(3) + Bulk("1-0") + Bulk("3-0") +
                                             "*2\r\n*2\r\n" + Bulk("alice") + Bulk("2") + "*2\r\n" +
                                             Bulk("bob") + Bulk("1"));
  CHECK(t.Run({"XPENDING", "s", "g", "IDLE", "50", "-", "+", "10"}) ==
        "*2\r\n*4\r\n" + Bulk("1-0") + Bulk("alice") + Int(100) + Int(1) + "*4\r\n" + Bulk("2-0") +
            Bulk("alice") + Int(100) + Int(1));
  CHECK(t.Run({"XPENDING", "s", "g", "-", "+", "10", "bob"}) ==
        "*1\r\n*4\r\n" + Bulk("3-0") + Bulk("bob") + Int(0) + Int(1));
  CHECK(t.Run({"XPENDING", "s", "g", "-", "+", "10", "nobody"}) == "*0\r\n");
  CHECK(t.Run({"XPENDING", "s", "g", "-", "+"}) == kSyntax);
  CHECK(t.Run({"XPENDING", "s", "nope"}) ==
        Err("NOGROUP No such key 's' or consumer group 'nope'"));
  // History: alice re-reads her own pending entries, bumping the delivery count.
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"}) ==
        "*1\r\n*2\r\n" + Bulk("s") +
            Entries({Entry("1-0", {"f", "1-0"}), Entry("2-0", {"f", "2-0"})}));
  CHECK(t.Run({"XPENDING", "s", "g", "1-0", "1-0", "1"}) ==
        "*1\r\n*4\r\n" + Bulk("1-0") + Bulk("alice") + Int(0) + Int(2));
  CHECK(t.Run({"XACK", "s", "g", "1-0", "1-0", "9-0"}) == kOne);
  CHECK(t.Run({"XACK", "s", "g", "bad"}) == kInvalidId);
  CHECK(t.Run({"XACK", "s", "nope", "bad"}) == kZero);  // no group: 0 before parsing IDs
  // A deleted entry shows in the history as its ID and a null.
  CHECK(t.Run({"XDEL", "s", "2-0"}) == kOne);
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"}) ==
        "*1\r\n*2\r\n" + Bulk("s") + "*1\r\n*2\r\n" + Bulk("2-0") + "*-1\r\n");
  CHECK(t.Run({"XGROUP", "DELCONSUMER", "s", "g", "alice"}) == kOne);
  CHECK(t.Run({"XGROUP", "CREATECONSUMER", "s", "g", "carol"}) == kOne);
  CHECK(t.Run({"XGROUP", "CREATECONSUMER", "s", "g", "carol"}) == kZero);
  // A read counter past the entries ever added gives a negative lag, as Redis prints it.
  t.Run({"XADD", "lagkey", "1-0", "f", "v"});
  CHECK(t.Run({"XGROUP", "CREATE", "lagkey", "g", "0", "ENTRIESREAD", "9223372036854775807"}) ==
        kOk);
  CHECK(t.Run({"XINFO", "GROUPS", "lagkey"}).find(Bulk("lag") + Int(-9223372036854775806)) !=
        std::string::npos);
  CHECK(t.Run({"XGROUP", "DESTROY", "s", "g"}) == kOne);
  CHECK(t.Run({"XGROUP", "DESTROY", "s", "g"}) == kZero);
  CHECK(t.Run({"XINFO", "GROUPS", "s"}) == "*0\r\n");
}

TEST_CASE("XREADGROUP argument errors in Redis's order", "[stream]") {
  CommandTester t;
  t.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  CHECK(t.Run({"XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">"}) ==
        Err("ERR Missing GROUP option for XREADGROUP"));
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", "0"}) ==
        Err("ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' "
            "must be specified."));
  CHECK(t.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"})
            .rfind("-ERR The $ ID is meaningless", 0) == 0);
  CHECK(t.Run({"XREADGROUP", "GROUP", "x", "c", "STREAMS", "s", ">"}) ==
        Err("NOGROUP No such key 's' or consumer group 'x' in XREADGROUP with GROUP option"));
  CHECK(t.Run({"XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"}) ==
        Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."));
  CHECK(t.Run({"XREAD", "STREAMS", "s", ">"}) ==
        Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
            "<group> <consumer> option."));
  CHECK(t.Run({"XREAD", "BLOCK", "x", "STREAMS", "s", "0"}) ==
        Err("ERR timeout is not an integer or out of range"));
  CHECK(t.Run({"XREAD", "BLOCK", "-1", "STREAMS", "s", "0"}) == Err("ERR timeout is negative"));
  CHECK(t.Run({"XREAD", "FOO", "STREAMS", "s", "0"}) == kSyntax);
}

TEST_CASE("XCLAIM and XAUTOCLAIM move pending entries", "[stream]") {
  CommandTester t;
  t.Run({"XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"});
  for (const char* id : {"1-0", "2-0", "3-0", "4-0"}) t.Run({"XADD", "s", id, "f", id});
  t.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  t.AdvanceTime(1000);
  CHECK(t.Run({"XCLAIM", "s", "g", "bob", "2000", "1-0"}) == "*0\r\n");  // not idle enough
  CHECK(t.Run({"XCLAIM", "s", "g", "bob", "500", "1-0"}) == Entries({Entry("1-0", {"f", "1-0"})}));
  CHECK(t.Run({"XPENDING", "s", "g", "1-0", "1-0", "1"}) ==
        "*1\r\n*4\r\n" + Bulk("1-0") + Bulk("bob") + Int(0) + Int(2));
  CHECK(t.Run({"XCLAIM", "s", "g", "bob", "0", "2-0", "JUSTID", "RETRYCOUNT", "7", "IDLE",
               "300"}) == "*1\r\n" + Bulk("2-0"));
  CHECK(t.Run({"XPENDING", "s", "g", "2-0", "2-0", "1"}) ==
        "*1\r\n*4\r\n" + Bulk("2-0") + Bulk("bob") + Int(300) + Int(7));
  CHECK(t.Run({"XCLAIM", "s", "g", "bob", "x", "2-0"}) ==
        Err("ERR Invalid min-idle-time argument for XCLAIM"));
  CHECK(t.Run({"XCLAIM", "s", "g", "bob", "0", "2-0", "FOO"}) ==
        Err("ERR Unrecognized XCLAIM option 'FOO'"));
  CHECK(t.Run({"XCLAIM", "s", "g", "bob", "0", "2-0", "IDLE", "x"}) ==
        Err("ERR Invalid IDLE option argument for XCLAIM"));
  CHECK(t.Run({"XCLAIM", "s", "nope", "bob", "0", "2-0"}) ==
        Err("NOGROUP No such key 's' or consumer group 'nope'"));
  // FORCE creates the pending entry; LASTID moves the group forward.
  t.Run({"XADD", "s", "5-0", "f", "5-0"});
  CHECK(t.Run({"XCLAIM", "s", "g", "carol", "0", "5-0", "FORCE", "JUSTID", "LASTID", "5-0"}) ==
        "*1\r\n" + Bulk("5-0"));
  CHECK(t.Run({"XINFO", "GROUPS", "s"}).find(Bulk("last-delivered-id") + Bulk("5-0")) !=
        std::string::npos);
  // XAUTOCLAIM: a cursor, the claimed entries, and the IDs no longer in the stream.
  CHECK(t.Run({"XDEL", "s", "3-0"}) == kOne);
  CHECK(t.Run({"XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "2"}) ==
        "*3\r\n" + Bulk("3-0") + Entries({Entry("1-0", {"f", "1-0"}), Entry("2-0", {"f", "2-0"})}) +
            "*0\r\n");
  CHECK(t.Run({"XAUTOCLAIM", "s", "g", "dave", "0", "3-0", "JUSTID"}) ==
        "*3\r\n" + Bulk("0-0") + "*2\r\n" + Bulk("4-0") + Bulk("5-0") + "*1\r\n" + Bulk("3-0"));
  CHECK(t.Run({"XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "0"}) ==
        Err("ERR COUNT must be > 0"));
  CHECK(t.Run({"XAUTOCLAIM", "s", "g", "dave", "x", "0"}) ==
        Err("ERR Invalid min-idle-time argument for XAUTOCLAIM"));
}

TEST_CASE("XINFO STREAM, GROUPS and CONSUMERS", "[stream]") {
  CommandTester t;
  t.Run({"XADD", "s", "1-0", "a", "1"});
  t.Run({"XADD", "s", "2-0", "b", "2"});
  t.Run({"XGROUP", "CREATE", "s", "g", "0"});
  t.Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"});
  t.AdvanceTime(40);
  CHECK(t.Run({"XINFO", "STREAM", "s"}) ==
        "*20\r\n" + Bulk("length") + Int(2) + Bulk("radix-tree-keys") + Int(1) +
            Bulk("radix-tree-nodes") + Int(2) + Bulk("last-generated-id") + Bulk("2-0") +
            Bulk("max-deleted-entry-id") + Bulk("0-0") + Bulk("entries-added") + Int(2) +
            Bulk("recorded-first-entry-id") + Bulk("1-0") + Bulk("groups") + Int(1) +
            Bulk("first-entry") + Entry("1-0", {"a", "1"}) + Bulk("last-entry") +
            Entry("2-0", {"b", "2"}));
  CHECK(t.Run({"XINFO", "GROUPS", "s"}) ==
        "*1\r\n*12\r\n" + Bulk("name") + Bulk("g") + Bulk("consumers") + Int(1) + Bulk("pending") +
            Int(1) + Bulk("last-delivered-id") + Bulk("1-0") + Bulk("entries-read") + Int(1) +
            Bulk("lag") + Int(1));
  CHECK(t.Run({"XINFO", "CONSUMERS", "s", "g"}) == "*1\r\n*8\r\n" + Bulk("name") + Bulk("c") +
                                                       Bulk("pending") + Int(1) + Bulk("idle") +
                                                       Int(40) + Bulk("inactive") + Int(40));
  t.set_protocol(3);
  CHECK(t.Run({"XINFO", "CONSUMERS", "s", "g"}) == "*1\r\n%4\r\n" + Bulk("name") + Bulk("c") +
                                                       Bulk("pending") + Int(1) + Bulk("idle") +
                                                       Int(40) + Bulk("inactive") + Int(40));
  t.set_protocol(2);
  std::string full = t.Run({"XINFO", "STREAM", "s", "FULL", "COUNT", "1"});
  CHECK(full.rfind("*18\r\n", 0) == 0);
  CHECK(full.find(Bulk("entries") + Entries({Entry("1-0", {"a", "1"})})) != std::string::npos);
  CHECK(t.Run({"XINFO", "STREAM", "s", "FOO"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."));
  CHECK(t.Run({"XINFO", "STREAM", "missing"}) == Err("ERR no such key"));
  CHECK(t.Run({"XINFO", "CONSUMERS", "s", "nope"}) ==
        Err("NOGROUP No such consumer group 'nope' for key name 's'"));
}

TEST_CASE("XREAD serves synchronously, RESP2 array or RESP3 map", "[stream]") {
  CommandTester t;
  t.Run({"XADD", "a", "1-0", "f", "v"});
  t.Run({"XADD", "b", "2-0", "g", "w"});
  const std::string a = Bulk("a") + Entries({Entry("1-0", {"f", "v"})});
  const std::string b = Bulk("b") + Entries({Entry("2-0", {"g", "w"})});
  CHECK(t.Run({"XREAD", "STREAMS", "a", "b", "0", "0"}) == "*2\r\n*2\r\n" + a + "*2\r\n" + b);
  CHECK(t.Run({"XREAD", "STREAMS", "a", "b", "$", "1"}) == "*1\r\n*2\r\n" + b);
  CHECK(t.Run({"XREAD", "STREAMS", "a", "+"}) == "*1\r\n*2\r\n" + a);  // 7.4's last entry
  CHECK(t.Run({"XREAD", "STREAMS", "a", "$"}) == "*-1\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"XREAD", "STREAMS", "a", "b", "0", "0"}) == "%2\r\n" + a + b);
  CHECK(t.Run({"XREAD", "STREAMS", "a", "$"}) == kNull3);
}

TEST_CASE("Blocking XREAD waits for new entries after $", "[stream]") {
  CommandTester t;
  t.Run({"XADD", "s", "1-0", "old", "1"});
  int c = t.AddClient();
  CHECK(t.RunAs(c, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}).empty());
  CHECK(t.Run({"INFO", "clients"}).find("blocked_clients:1") != std::string::npos);
  CHECK(t.Run({"XADD", "s", "2-0", "new", "2"}) == Bulk("2-0"));
  CHECK(t.TakeDelivered(c) == "*1\r\n*2\r\n" + Bulk("s") + Entries({Entry("2-0", {"new", "2"})}));
  // A missing stream: the first XADD creates it and serves the reader.
  CHECK(t.RunAs(c, {"XREAD", "BLOCK", "1000", "STREAMS", "fresh", "$"}).empty());
  t.Run({"XADD", "fresh", "5-0", "f", "v"});
  CHECK(t.TakeDelivered(c) == "*1\r\n*2\r\n" + Bulk("fresh") + Entries({Entry("5-0", {"f", "v"})}));
  // Timeout: a null array.
  CHECK(t.RunAs(c, {"XREAD", "BLOCK", "10", "STREAMS", "s", "$"}).empty());
  CHECK(t.TimeOut(c) == "*-1\r\n");
  // Inside MULTI, BLOCK does not block.
  t.Run({"MULTI"});
  t.Run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  CHECK(t.Run({"EXEC"}) == "*1\r\n*-1\r\n");
}

TEST_CASE("Blocked XREADGROUP is served in order and woken by deletion", "[stream]") {
  CommandTester t;
  t.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  int c1 = t.AddClient();
  int c2 = t.AddClient();
  CHECK(t.RunAs(c1, {"XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"}).empty());
  CHECK(t.RunAs(c2, {"XREADGROUP", "GROUP", "g", "b", "BLOCK", "0", "STREAMS", "s", ">"}).empty());
  CHECK(t.Run({"INFO", "clients"}).find("total_blocking_keys_on_nokey:1") != std::string::npos);
  t.Run({"XADD", "s", "1-0", "f", "v"});
  // The first waiter takes the entry; the second finds nothing new and keeps waiting.
  CHECK(t.TakeDelivered(c1) == "*1\r\n*2\r\n" + Bulk("s") + Entries({Entry("1-0", {"f", "v"})}));
  CHECK(t.TakeDelivered(c2).empty());
  t.Run({"XADD", "s", "2-0", "f", "v"});
  CHECK(t.TakeDelivered(c2) == "*1\r\n*2\r\n" + Bulk("s") + Entries({Entry("2-0", {"f", "v"})}));
  // Deleting the stream (and with it the group) wakes a blocked reader with NOGROUP.
  CHECK(t.RunAs(c1, {"XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"}).empty());
  t.Run({"DEL", "s"});
  CHECK(t.TakeDelivered(c1) ==
        Err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"));
  // Destroying the group does the same; replacing the key by a string gives WRONGTYPE.
  t.Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  CHECK(t.RunAs(c1, {"XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"}).empty());
  t.Run({"XGROUP", "DESTROY", "s", "g"});
  CHECK(t.TakeDelivered(c1).rfind("-NOGROUP", 0) == 0);
  t.Run({"XGROUP", "CREATE", "s", "g", "$"});
  CHECK(t.RunAs(c1, {"XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"}).empty());
  t.Run({"SET", "s", "x"});
  CHECK(t.TakeDelivered(c1) == kWrongType);
}

TEST_CASE("XREAD and XREADGROUP refuse BLOCK inside a script", "[stream]") {
  CommandTester t;
  CHECK(t.Run({"EVAL",
               "return redis.pcall('XREADGROUP','GROUP','g','c','BLOCK','10','STREAMS','s','>')",
               "0"}) ==
        Err("ERR XREADGROUP command is not allowed with BLOCK option from scripts"));
  CHECK(t.Run({"EVAL", "return redis.call('xread','BLOCK','0','STREAMS','s','$')", "0"})
            .rfind("-ERR xread command is not allowed with BLOCK option from scripts script: ",
                   0) == 0);
  t.Run({"XADD", "s", "1-0", "f", "v"});
  CHECK(t.Run({"EVAL", "return redis.call('xread','COUNT','1','STREAMS','s','0')", "0"}) ==
        "*1\r\n*2\r\n" + Bulk("s") + Entries({Entry("1-0", {"f", "v"})}));
}

TEST_CASE("Every stream command on another type: WRONGTYPE, nothing changed", "[stream]") {
  CommandTester t;
  t.Run({"SET", "k", "v"});
  const std::vector<std::vector<std::string>> cmds = {
      {"XADD", "k", "1-1", "a", "b"},
      {"XRANGE", "k", "-", "+"},
      {"XREVRANGE", "k", "+", "-"},
      {"XLEN", "k"},
      {"XDEL", "k", "1-1"},
      {"XTRIM", "k", "MAXLEN", "0"},
      {"XSETID", "k", "5-5"},
      {"XREAD", "STREAMS", "k", "0"},
      {"XGROUP", "CREATE", "k", "g", "$"},
      {"XACK", "k", "g", "1-1"},
      {"XPENDING", "k", "g"},
      {"XCLAIM", "k", "g", "c", "0", "1-1"},
      {"XAUTOCLAIM", "k", "g", "c", "0", "0"},
      {"XINFO", "STREAM", "k"},
      {"XINFO", "GROUPS", "k"},
      {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"},
  };
  for (const auto& cmd : cmds) {
    INFO(cmd[0]);
    CHECK(t.Run(cmd) == kWrongType);
  }
  CHECK(t.Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE("Streams in the keyspace: TYPE, OBJECT ENCODING, COPY, RENAME, DEBUG DIGEST",
          "[stream]") {
  CommandTester t(Overrides{{"enable-debug-command", "yes"}});
  t.Run({"XADD", "s", "1-0", "f", "v"});
  t.Run({"XGROUP", "CREATE", "s", "g", "0"});
  t.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  CHECK(t.Run({"TYPE", "s"}) == "+stream\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "s"}) == Bulk("stream"));
  CHECK(t.Run({"COPY", "s", "s2"}) == kOne);
  CHECK(t.Run({"XPENDING", "s2", "g", "-", "+", "5"}) ==
        "*1\r\n*4\r\n" + Bulk("1-0") + Bulk("c") + Int(0) + Int(1));
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "s"}) == t.Run({"DEBUG", "DIGEST-VALUE", "s2"}));
  CHECK(t.Run({"RENAME", "s2", "s3"}) == kOk);
  CHECK(t.Run({"XLEN", "s3"}) == kOne);
  CHECK(t.Run({"SCAN", "0", "TYPE", "stream"}).find(Bulk("s3")) != std::string::npos);
}

}  // namespace
}  // namespace tessera::server
