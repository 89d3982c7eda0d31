// The write log as the dispatcher feeds it (DESIGN 6): each write's effect in deterministic
// form, nothing for a write that changed nothing, SELECT where the database changes, and
// transactions and scripts as one MULTI ... EXEC block.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/base/numbers.h"
#include "persistence/write_log.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

// The log's RESP commands as lines of space-separated arguments.
std::string Decode(const std::string& bytes) {
  std::string out;
  size_t pos = 0;
  auto read_line = [&]() {
    size_t end = bytes.find("\r\n", pos);
    REQUIRE(end != std::string::npos);
    std::string line = bytes.substr(pos, end - pos);
    pos = end + 2;
    return line;
  };
  while (pos < bytes.size()) {
    std::string header = read_line();
    REQUIRE(header[0] == '*');
    int64_t n = std::stoll(header.substr(1));
    for (int64_t i = 0; i < n; ++i) {
      std::string len = read_line();
      REQUIRE(len[0] == '$');
      size_t size = std::stoul(len.substr(1));
      if (i > 0) out += ' ';
      out += bytes.substr(pos, size);
      pos += size + 2;
    }
    out += '\n';
  }
  return out;
}

class LogTester {
 public:
  LogTester() { t.server().write_log().set_enabled(true); }
  // Runs a command and returns what it added to the log.
  std::string Logged(std::initializer_list<std::string_view> args) {
    t.Run(args);
    return Take();
  }
  std::string Take() {
    std::string bytes;
    t.server().write_log().Take(&bytes);
    return Decode(bytes);
  }
  CommandTester t;
};

TEST_CASE("Plain writes are logged as sent, after a SELECT", "[writelog]") {
  LogTester l;
  CHECK(l.Logged({"SET", "k", "v"}) == "SELECT 0\nSET k v\n");
  CHECK(l.Logged({"LPUSH", "l", "a", "b"}) == "LPUSH l a b\n");
  CHECK(l.Logged({"SELECT", "3"}) == "");
  CHECK(l.Logged({"SET", "k", "v"}) == "SELECT 3\nSET k v\n");
  CHECK(l.Logged({"GET", "k"}) == "");
}

TEST_CASE("Writes that change nothing are not logged", "[writelog]") {
  LogTester l;
  l.Logged({"SET", "k", "v"});
  l.Logged({"SADD", "s", "a"});
  CHECK(l.Logged({"SET", "k", "w", "NX"}) == "");
  CHECK(l.Logged({"DEL", "missing"}) == "");
  CHECK(l.Logged({"SREM", "s", "nope"}) == "");
  CHECK(l.Logged({"SADD", "s", "a"}) == "");
  CHECK(l.Logged({"EXPIRE", "missing", "10"}) == "");
  CHECK(l.Logged({"PERSIST", "k"}) == "");
  CHECK(l.Logged({"LPUSHX", "nolist", "a"}) == "");
  CHECK(l.Logged({"SINTERSTORE", "dst", "none1", "none2"}) == "");
  CHECK(l.Logged({"INCR", "k"}) == "");  // an error changes nothing
  CHECK(l.Logged({"RENAMENX", "k", "s"}) == "");
}

TEST_CASE("Relative expiries are logged as absolute times", "[writelog]") {
  LogTester l;
  const int64_t now = l.t.now_ms();
  CHECK(l.Logged({"SET", "k", "v", "EX", "100"}) ==
        "SELECT 0\nSET k v PXAT " + std::to_string(now + 100000) + "\n");
  CHECK(l.Logged({"SETEX", "k", "5", "v"}) ==
        "SET k v PXAT " + std::to_string(now + 5000) + "\n");
  CHECK(l.Logged({"EXPIRE", "k", "10"}) ==
        "PEXPIREAT k " + std::to_string(now + 10000) + "\n");
  CHECK(l.Logged({"PEXPIRE", "k", "10", "GT"}) == "");  // GT refused: nothing changed
  CHECK(l.Logged({"GETEX", "k", "PX", "50"}) == "PEXPIREAT k " + std::to_string(now + 50) + "\n");
  CHECK(l.Logged({"GETEX", "k", "PERSIST"}) == "PERSIST k\n");
  CHECK(l.Logged({"GETEX", "k", "PERSIST"}) == "");
  CHECK(l.Logged({"EXPIREAT", "k", "1"}) == "DEL k\n");
}

TEST_CASE("Non-deterministic writes are logged as their effect", "[writelog]") {
  LogTester l;
  l.Logged({"SADD", "s", "only"});
  CHECK(l.Logged({"SPOP", "s"}) == "SREM s only\n");
  l.Logged({"SET", "f", "1.5"});
  CHECK(l.Logged({"INCRBYFLOAT", "f", "1"}) == "SET f 2.5 KEEPTTL\n");
  CHECK(l.Logged({"HINCRBYFLOAT", "h", "x", "0.5"}) == "HSET h x 0.5\n");
  CHECK(l.Logged({"XADD", "st", "*", "a", "1"}) ==
        "XADD st " + std::to_string(l.t.now_ms()) + "-0 a 1\n");
  CHECK(l.Logged({"XADD", "st", "MAXLEN", "~", "1", "*", "b", "2"}) ==
        "XADD st MAXLEN = 2 " + std::to_string(l.t.now_ms()) + "-1 b 2\n");
  CHECK(l.Logged({"GEOADD", "g", "13.361389", "38.115556", "Palermo"}) ==
        "ZADD g 3479099956230698 Palermo\n");
  CHECK(l.Logged({"SET", "s2", "v", "GET"}) == "SET s2 v\n");
}

TEST_CASE("SPOP with a count is logged as SREMs of at most 1024 members, as Redis", "[writelog]") {
  LogTester l;
  std::vector<std::string> sadd{"SADD", "big"};
  for (int i = 0; i < 3000; ++i) sadd.push_back(std::to_string(i));
  l.t.Run(sadd);
  auto srems = [](const std::string& log) {
    std::vector<size_t> members;  // per SREM line
    size_t pos = 0;
    while ((pos = log.find("SREM big", pos)) != std::string::npos) {
      size_t end = log.find('\n', pos);
      members.push_back(
          static_cast<size_t>(std::count(log.begin() + static_cast<std::ptrdiff_t>(pos),
                                         log.begin() + static_cast<std::ptrdiff_t>(end), ' ') -
                              1));
      pos = end;
    }
    return members;
  };
  CHECK(srems(l.Logged({"SPOP", "big", "1024"})) == std::vector<size_t>{1024});
  const std::string log = l.Logged({"SPOP", "big", "1025"});
  CHECK(srems(log) == std::vector<size_t>{1024, 1});
  CHECK(log.starts_with("MULTI\n"));  // one command's effects: one block
  CHECK(log.ends_with("EXEC\n"));
}

TEST_CASE("Blocking pops and moves are logged in their plain forms", "[writelog]") {
  LogTester l;
  l.Logged({"RPUSH", "l", "a", "b", "c"});
  CHECK(l.Logged({"BLPOP", "l", "0"}) == "LPOP l\n");
  // As Redis rewrites them: BRPOPLPUSH becomes RPOPLPUSH, BLMOVE an LMOVE with the client's
  // own direction words, and the non-blocking forms stay as sent.
  CHECK(l.Logged({"BRPOPLPUSH", "l", "m", "0"}) == "RPOPLPUSH l m\n");
  CHECK(l.Logged({"BLMOVE", "m", "l", "left", "Right", "0"}) == "LMOVE m l left Right\n");
  CHECK(l.Logged({"RPOPLPUSH", "l", "m"}) == "RPOPLPUSH l m\n");
  CHECK(l.Logged({"lmove", "m", "l", "LEFT", "left"}) == "lmove m l LEFT left\n");
  CHECK(l.Logged({"LMPOP", "1", "l", "LEFT", "COUNT", "5"}) == "LPOP l 2\n");
  l.Logged({"ZADD", "z", "1", "a", "2", "b"});
  CHECK(l.Logged({"BZPOPMAX", "z", "0"}) == "ZPOPMAX z 1\n");
}

TEST_CASE("A client blocked and later served logs the pop it did", "[writelog]") {
  LogTester l;
  CHECK(l.t.Run({"BLPOP", "q", "0"}) == "");
  int other = l.t.AddClient();
  l.t.RunAs(other, {"RPUSH", "q", "x"});
  CHECK(l.Take() == "SELECT 0\nRPUSH q x\nLPOP q\n");
  CHECK(l.t.TakeDelivered() == "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

TEST_CASE("Keys found expired are logged as DEL before the command", "[writelog]") {
  LogTester l;
  l.Logged({"SET", "k", "v", "PX", "10"});
  l.t.AdvanceTime(20);
  CHECK(l.Logged({"GET", "k"}) == "DEL k\n");
  l.Logged({"SET", "k", "v", "PX", "10"});
  l.t.AdvanceTime(20);
  CHECK(l.Logged({"SET", "k", "w"}) == "MULTI\nDEL k\nSET k w\nEXEC\n");
}

TEST_CASE("Transactions and scripts are logged as one MULTI/EXEC block", "[writelog]") {
  LogTester l;
  l.t.Run({"MULTI"});
  l.t.Run({"SET", "a", "1"});
  l.t.Run({"INCR", "a"});
  l.t.Run({"GET", "a"});
  l.t.Run({"SELECT", "2"});
  l.t.Run({"SET", "b", "1"});
  // As Redis 7 propagates it: the first SELECT inside the block, after MULTI.
  CHECK(l.Logged({"EXEC"}) == "MULTI\nSELECT 0\nSET a 1\nINCR a\nSELECT 2\nSET b 1\nEXEC\n");
  // The log now has database 2 selected.
  CHECK(l.Logged({"SET", "c", "1"}) == "SET c 1\n");
  l.t.Run({"SELECT", "0"});
  // One write in a transaction needs no block.
  l.t.Run({"MULTI"});
  l.t.Run({"SET", "a", "2"});
  l.t.Run({"GET", "a"});
  CHECK(l.Logged({"EXEC"}) == "SELECT 0\nSET a 2\n");
  CHECK(l.Logged({"EVAL", "redis.call('set', KEYS[1], 'x'); redis.call('sadd', KEYS[2], 'm')",
                  "2", "k1", "k2"}) == "MULTI\nset k1 x\nsadd k2 m\nEXEC\n");
  CHECK(l.Logged({"EVAL", "return redis.call('get', KEYS[1])", "1", "k1"}) == "");
}

TEST_CASE("Consumer groups are logged as claims and group positions", "[writelog]") {
  LogTester l;
  l.t.Run({"XADD", "s", "1-1", "f", "v"});
  l.t.Run({"XGROUP", "CREATE", "s", "g", "0"});
  l.Take();
  const std::string now = std::to_string(l.t.now_ms());
  // As Redis 7.2.4 (streamReplyWithRange): one XCLAIM per delivered entry, carrying the
  // group's last ID; the consumer is created by the claim, no CREATECONSUMER, no SETID.
  CHECK(l.Logged({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"}) ==
        "XCLAIM s g alice 0 1-1 TIME " + now + " RETRYCOUNT 1 FORCE JUSTID LASTID 1-1\n");
  l.t.AdvanceTime(5000);
  const std::string later = std::to_string(l.t.now_ms());
  // XCLAIM: no CREATECONSUMER either; the ID is logged as the client wrote it.
  CHECK(l.Logged({"XCLAIM", "s", "g", "bob", "1000", "1-1", "JUSTID"}) ==
        "XCLAIM s g bob 0 1-1 TIME " + later + " RETRYCOUNT 1 FORCE JUSTID LASTID 1-1\n");
  CHECK(l.Logged({"XACK", "s", "g", "1-1"}) == "XACK s g 1-1\n");
  CHECK(l.Logged({"XACK", "s", "g", "1-1"}) == "");
}

TEST_CASE("XREADGROUP, XCLAIM and XAUTOCLAIM log exactly Redis 7.2.4's commands", "[writelog]") {
  LogTester l;
  for (const char* id : {"1-0", "2-0", "3-0", "4-0"}) l.t.Run({"XADD", "s", id, "f", "v"});
  l.t.Run({"XGROUP", "CREATE", "s", "g", "0"});
  l.Take();
  const std::string t0 = std::to_string(l.t.now_ms());
  // NOACK: the new consumer as CREATECONSUMER, then the group's position as SETID.
  CHECK(l.Logged({"XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">"}) ==
        "MULTI\nXGROUP CREATECONSUMER s g bob\nXGROUP SETID s g 1-0 ENTRIESREAD 1\nEXEC\n");
  // An explicit ID re-reads the consumer's history: counted as a change, logged as nothing;
  // with NOACK a new consumer is still logged.
  CHECK(l.Logged({"XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"}) == "");
  CHECK(l.Logged({"XREADGROUP", "GROUP", "g", "dave", "NOACK", "STREAMS", "s", "0"}) ==
        "XGROUP CREATECONSUMER s g dave\n");
  // Without NOACK: one XCLAIM per entry, each with the last ID as it moved.
  CHECK(l.Logged({"XREADGROUP", "GROUP", "g", "amy", "COUNT", "2", "STREAMS", "s", ">"}) ==
        "MULTI\nXCLAIM s g amy 0 2-0 TIME " + t0 +
            " RETRYCOUNT 1 FORCE JUSTID LASTID 2-0\nXCLAIM s g amy 0 3-0 TIME " + t0 +
            " RETRYCOUNT 1 FORCE JUSTID LASTID 3-0\nEXEC\n");
  l.t.Run({"XREADGROUP", "GROUP", "g", "amy", "STREAMS", "s", ">"});  // 4-0
  l.Take();
  // Nothing new to read: the new consumer is not logged (Redis propagates nothing).
  CHECK(l.Logged({"XREADGROUP", "GROUP", "g", "erin", "STREAMS", "s", ">"}) == "");
  l.t.AdvanceTime(1000);
  l.t.Run({"XREADGROUP", "GROUP", "g", "amy", "STREAMS", "s", "0"});  // counts 2, time t1
  const std::string t1 = std::to_string(l.t.now_ms());
  l.Take();
  l.t.Run({"XDEL", "s", "2-0"});
  l.Take();
  l.t.AdvanceTime(1000);
  const std::string t2 = std::to_string(l.t.now_ms());
  // A deleted entry leaves the PEL as a claim by its old owner, with its old time and count,
  // its ID as the client wrote it; a claim carries the last ID, so no SETID follows.
  CHECK(l.Logged({"XCLAIM", "s", "g", "frank", "0", "2", "3-0", "LASTID", "9-0"}) ==
        "MULTI\nXCLAIM s g amy 0 2 TIME " + t1 +
            " RETRYCOUNT 2 FORCE JUSTID LASTID 9-0\nXCLAIM s g frank 0 3-0 TIME " + t2 +
            " RETRYCOUNT 3 FORCE JUSTID LASTID 9-0\nEXEC\n");
  // Nothing claimed but the last ID moved: SETID alone.
  CHECK(l.Logged({"XCLAIM", "s", "g", "frank", "0", "1-0", "LASTID", "10-0"}) ==
        "XGROUP SETID s g 10-0 ENTRIESREAD 4\n");
  CHECK(l.Logged({"XCLAIM", "s", "g", "frank", "0", "1-0"}) == "");
  l.t.Run({"XDEL", "s", "3-0"});
  l.Take();
  CHECK(l.Logged({"XAUTOCLAIM", "s", "g", "gina", "0", "0-0"}) ==
        "MULTI\nXCLAIM s g frank 0 3-0 TIME " + t2 +
            " RETRYCOUNT 3 FORCE JUSTID LASTID 10-0\nXCLAIM s g gina 0 4-0 TIME " + t2 +
            " RETRYCOUNT 3 FORCE JUSTID LASTID 10-0\nEXEC\n");
  // Inside MULTI, every effect of the block in one MULTI ... EXEC.
  l.t.Run({"MULTI"});
  l.t.Run({"XREADGROUP", "GROUP", "g", "hal", "STREAMS", "s", ">"});
  l.t.Run({"XADD", "s", "11-0", "f", "v"});
  l.t.Run({"XREADGROUP", "GROUP", "g", "hal", "NOACK", "STREAMS", "s", ">"});
  CHECK(l.Logged({"EXEC"}) ==
        "MULTI\nXADD s 11-0 f v\nXGROUP SETID s g 11-0 ENTRIESREAD 5\nEXEC\n");
}

TEST_CASE("Flushes are logged under their locks", "[writelog]") {
  LogTester l;
  l.Logged({"SET", "k", "v"});
  CHECK(l.Logged({"FLUSHALL"}) == "FLUSHALL\n");
  CHECK(l.Logged({"FLUSHDB", "ASYNC"}) == "FLUSHDB ASYNC\n");
  CHECK(l.Logged({"SWAPDB", "0", "1"}) == "SWAPDB 0 1\n");
}

TEST_CASE("Flushes of empty databases are still logged", "[writelog]") {
  LogTester l;
  CHECK(l.Logged({"FLUSHALL"}) == "SELECT 0\nFLUSHALL\n");
  CHECK(l.Logged({"FLUSHDB"}) == "FLUSHDB\n");
}

TEST_CASE("Flushes add the keys they removed to the dirty counter", "[writelog]") {
  CommandTester t;
  t.Run({"MSET", "a", "1", "b", "2", "c", "3"});
  t.Run({"SELECT", "1"});
  t.Run({"SET", "d", "4"});
  uint64_t before = t.server().Dirty();
  t.Run({"FLUSHDB"});
  CHECK(t.server().Dirty() - before == 1);
  t.Run({"FLUSHDB"});
  CHECK(t.server().Dirty() - before == 1);  // nothing left to remove
  t.Run({"FLUSHALL"});
  CHECK(t.server().Dirty() - before == 4);
}

TEST_CASE("The dirty counter counts changes as Redis does", "[writelog]") {
  CommandTester t;  // no log reader: changes are still counted
  uint64_t before = t.server().Dirty();
  t.Run({"SADD", "s", "a", "b", "c"});
  CHECK(t.server().Dirty() - before == 3);
  t.Run({"SADD", "s", "a"});
  CHECK(t.server().Dirty() - before == 3);
  t.Run({"MSET", "x", "1", "y", "2"});
  CHECK(t.server().Dirty() - before == 5);
  t.Run({"DEL", "x", "y", "nope"});
  CHECK(t.server().Dirty() - before == 7);
}

TEST_CASE("WriteLog offsets grow with the bytes appended", "[writelog]") {
  persistence::WriteLog log;
  log.set_enabled(true);  // the batch reader: Take gets the bytes
  std::string set;
  std::string_view argv[] = {"SET", "a", "b"};
  persistence::AppendRespCommand(&set, argv);
  uint64_t end = log.AofOffsetThrough(log.Append(0, set));
  // SELECT 0 comes first: *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n is 23 bytes.
  CHECK(end == 23 + set.size());
  CHECK(log.AofOffsetThrough(log.Append(0, set)) == 23 + 2 * set.size());
  std::string taken;
  CHECK(log.Take(&taken) == log.offset());
  CHECK(taken.size() == 23 + 2 * set.size());
  // A new AOF file starts with a SELECT; the replicas' stream, which goes on, gets none.
  log.ForgetSelectedDb();
  uint64_t after = log.AofOffsetThrough(log.Append(0, set));
  CHECK(after == log.aof_offset());
  CHECK(log.aof_offset() == 2 * 23 + 3 * set.size());
  CHECK(log.offset() == 23 + 3 * set.size());
}

namespace {

// Records what a tap is handed.
struct RecordingTap : persistence::WriteLogTap {
  void OnAppend(std::string_view select, std::string_view commands, uint64_t end) override {
    bytes.append(select);
    bytes.append(commands);
    last_end = end;
  }
  std::string bytes;
  uint64_t last_end = 0;
};

}  // namespace

TEST_CASE("A tap gets every byte from its attach on, starting with a SELECT", "[writelog]") {
  persistence::WriteLog log;
  CHECK_FALSE(log.enabled());
  std::string set;
  std::string_view argv[] = {"SET", "a", "b"};
  persistence::AppendRespCommand(&set, argv);
  RecordingTap tap;
  CHECK(log.AddTap(&tap) == 0);
  CHECK(log.enabled());  // a tap alone enables the log
  log.Append(3, set);
  log.Append(3, set);
  // SELECT 3 once, then the two commands; the offsets are the log's.
  CHECK(tap.bytes == "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + set + set);
  CHECK(tap.last_end == log.offset());
  // Without a batch reader nothing waits to be taken.
  std::string taken;
  log.Take(&taken);
  CHECK(taken.empty());
  // A second tap attached later starts with its own SELECT, at the offset it was given.
  RecordingTap late;
  const uint64_t at = log.AddTap(&late);
  CHECK(at == log.offset());
  log.Append(3, set);
  CHECK(late.bytes == "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + set);
  CHECK(late.last_end == at + late.bytes.size());
  // A PING (database -1) never brings a SELECT.
  log.RemoveTap(&late);
  std::string ping;
  std::string_view ping_argv[] = {"PING"};
  persistence::AppendRespCommand(&ping, ping_argv);
  const size_t before = tap.bytes.size();
  log.Append(-1, ping);
  CHECK(tap.bytes.substr(before) == ping);
  CHECK(late.bytes.find("PING") == std::string::npos);
  log.RemoveTap(&tap);
  CHECK_FALSE(log.enabled());
}

TEST_CASE("A transaction's SELECT goes after its MULTI", "[writelog]") {
  persistence::WriteLog log;
  RecordingTap tap;
  log.AddTap(&tap);
  std::string block;
  std::string_view multi[] = {"MULTI"};
  std::string_view set[] = {"SET", "a", "b"};
  std::string_view exec[] = {"EXEC"};
  persistence::AppendRespCommand(&block, multi);
  persistence::AppendRespCommand(&block, set);
  persistence::AppendRespCommand(&block, exec);
  log.Append(5, block);
  std::string want;
  std::string_view select[] = {"SELECT", "5"};
  persistence::AppendRespCommand(&want, multi);
  persistence::AppendRespCommand(&want, select);
  persistence::AppendRespCommand(&want, set);
  persistence::AppendRespCommand(&want, exec);
  CHECK(tap.bytes == want);
  log.RemoveTap(&tap);
}

TEST_CASE("SPOP of a whole set is logged as DEL, or UNLINK with lazyfree-lazy-server-del",
          "[writelog]") {
  LogTester l;
  l.Logged({"SADD", "a", "1", "2", "3"});
  l.Logged({"SADD", "b", "1", "2", "3"});
  l.Logged({"SADD", "c", "1", "2", "3"});
  CHECK(l.Logged({"SPOP", "a", "3"}) == "DEL a\n");
  CHECK(l.t.Run({"CONFIG", "SET", "lazyfree-lazy-server-del", "yes"}) == "+OK\r\n");
  CHECK(l.Logged({"SPOP", "b", "10"}) == "UNLINK b\n");
  // Part of the set: the members drawn, as before.
  const std::string part = l.Logged({"SPOP", "c", "2"});
  CHECK(part.rfind("SREM c ", 0) == 0);
  CHECK(l.t.Run({"SCARD", "c"}) == ":1\r\n");
}

}  // namespace
}  // namespace tessera::server

namespace tessera::server {
namespace {

// A connection offers the request's own bytes (resp::RequestParser::Verbatim) for the log to
// copy instead of encoding the arguments again.  They are used only where the command's
// effect is the command as sent; to see which path ran, these tests offer bytes that differ
// from the encoding (a connection never does).
TEST_CASE("The request's bytes are logged only where the effect is the command as sent",
          "[writelog]") {
  LogTester l;
  auto raw = [&](const std::vector<std::string>& args, std::string_view bytes) {
    l.t.RunWithRequestBytes(args, bytes);
    std::string out;
    l.t.server().write_log().Take(&out);
    return out;
  };
  const std::string marker = "*1\r\n$6\r\nMARKER\r\n";
  // Copied: the first write also gets its SELECT, encoded.
  CHECK(raw({"SET", "k", "v"}, marker) == "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" + marker);
  CHECK(raw({"LPUSH", "l", "a"}, marker) == marker);
  CHECK(raw({"INCR", "n"}, marker) == marker);
  // Not copied: an effect of its own, nothing changed, no bytes offered.
  CHECK(Decode(raw({"SET", "k", "v", "EX", "100"}, marker)).rfind("SET k v PXAT ", 0) == 0);
  CHECK(Decode(raw({"SET", "k", "w", "GET"}, marker)) == "SET k w\n");
  CHECK(raw({"SADD", "s", "a"}, marker) == marker);
  CHECK(raw({"SADD", "s", "a"}, marker).empty());
  CHECK(Decode(raw({"SET", "k", "v"}, "")) == "SET k v\n");
  // A database change in between: SELECT is encoded, the command copied.
  raw({"SELECT", "2"}, marker);
  CHECK(raw({"SET", "k", "v"}, marker) == "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n" + marker);
  raw({"SELECT", "0"}, marker);
  // A key found expired on the way: DEL, then the command, in one MULTI block.
  l.Logged({"SET", "old", "v", "PX", "10"});
  l.t.AdvanceTime(20);
  CHECK(Decode(raw({"APPEND", "old", "x"}, marker)) == "MULTI\nDEL old\nMARKER\nEXEC\n");
  // Transactions: EXEC's queued commands are dispatched from copies, so they are encoded.
  l.Logged({"MULTI"});
  l.Logged({"SET", "a", "1"});
  l.Logged({"SET", "b", "2"});
  CHECK(Decode(raw({"EXEC"}, marker)) == "MULTI\nSET a 1\nSET b 2\nEXEC\n");
  // Scripts: the commands they call are encoded.
  CHECK(Decode(raw({"EVAL", "redis.call('SET', 'c', '3')", "0"}, marker)) == "SET c 3\n");
}

TEST_CASE("Replica-only records reach the taps and their offset, never the AOF", "[writelog]") {
  persistence::WriteLog log;
  log.set_enabled(true);
  CHECK_FALSE(log.replicating());
  RecordingTap tap;
  log.AddTap(&tap);
  CHECK(log.replicating());
  std::string set, publish;
  std::string_view set_argv[] = {"SET", "a", "b"};
  std::string_view publish_argv[] = {"PUBLISH", "c", "m"};
  persistence::AppendRespCommand(&set, set_argv);
  persistence::AppendRespCommand(&publish, publish_argv);
  const std::string select0 = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
  const std::string select1 = "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n";
  log.Append(0, set);
  // A PUBLISH in database 1: the replicas select 1, the AOF stays in 0...
  const persistence::LogRecord pub[] = {{1, false, publish}};
  const uint64_t aof_end = log.AofOffsetThrough(log.AppendRecords(pub));
  CHECK(aof_end == select0.size() + set.size());
  // ...so the next write in database 1 brings a SELECT to the AOF only.
  log.Append(1, set);
  std::string taken;
  CHECK(log.Take(&taken) == log.aof_offset());
  CHECK(taken == select0 + set + select1 + set);
  CHECK(tap.bytes == select0 + set + select1 + publish + set);
  CHECK(log.aof_offset() == taken.size());
  CHECK(log.offset() == tap.bytes.size());
  CHECK(tap.last_end == log.offset());
  // A block of both kinds: MULTI and EXEC go to both streams, even around no AOF command.
  const std::string multi = "*1\r\n$5\r\nMULTI\r\n", exec = "*1\r\n$4\r\nEXEC\r\n";
  const persistence::LogRecord block[] = {
      {-1, true, multi}, {0, false, publish}, {0, false, publish}, {-1, true, exec}};
  tap.bytes.clear();
  log.AppendRecords(block);
  log.Take(&taken);
  CHECK(taken == multi + exec);
  CHECK(tap.bytes == multi + select0 + publish + publish + exec);
  // A transaction appended whole after that: each stream gets the SELECT it needs, after MULTI.
  tap.bytes.clear();
  log.Append(0, multi + set + set + exec);
  log.Take(&taken);
  CHECK(taken == multi + select0 + set + set + exec);
  CHECK(tap.bytes == multi + set + set + exec);
  log.RemoveTap(&tap);
}

// The dispatcher's side: what PUBLISH and SPUBLISH log, with a replica attached (Redis's
// backlog exists) and without.  The expected streams are what Redis 7.2.4 sends over SYNC and
// writes to its AOF for the same commands (tests/integration/test_propagation_vs_redis.py
// compares them with the real server).
TEST_CASE("PUBLISH goes to the replicas only, wrapped as Redis 7.2 wraps it", "[writelog]") {
  LogTester l;
  RecordingTap tap;
  // No replica ever attached: nothing for PUBLISH, and it does not count toward a MULTI.
  CHECK(l.Logged({"PUBLISH", "c", "m"}).empty());
  l.t.Run({"MULTI"});
  l.t.Run({"SET", "x", "1"});
  l.t.Run({"PUBLISH", "c", "m"});
  CHECK(l.Logged({"EXEC"}) == "SELECT 0\nSET x 1\n");
  l.t.server().write_log().AddTap(&tap);
  auto replicas = [&] { return Decode(std::exchange(tap.bytes, std::string())); };
  CHECK(l.Logged({"PUBLISH", "c", "m"}).empty());
  CHECK(replicas() == "SELECT 0\nPUBLISH c m\n");
  CHECK(l.Logged({"SPUBLISH", "c", "m"}).empty());
  CHECK(replicas() == "SPUBLISH c m\n");
  l.t.Run({"SELECT", "1"});
  CHECK(l.Logged({"PUBLISH", "c", "m"}).empty());
  CHECK(l.Logged({"SET", "b", "1"}) == "SELECT 1\nSET b 1\n");
  CHECK(replicas() == "SELECT 1\nPUBLISH c m\nSET b 1\n");
  // In MULTI: alone it needs no block; with a write the AOF gets the block around the write;
  // with only PUBLISHes the AOF gets an empty MULTI/EXEC (as Redis 7.2.4 writes it).
  l.t.Run({"MULTI"});
  l.t.Run({"PUBLISH", "c", "m"});
  CHECK(l.Logged({"EXEC"}).empty());
  CHECK(replicas() == "PUBLISH c m\n");
  l.t.Run({"MULTI"});
  l.t.Run({"SET", "x", "1"});
  l.t.Run({"PUBLISH", "c", "m"});
  CHECK(l.Logged({"EXEC"}) == "MULTI\nSET x 1\nEXEC\n");
  CHECK(replicas() == "MULTI\nSET x 1\nPUBLISH c m\nEXEC\n");
  l.t.Run({"MULTI"});
  l.t.Run({"PUBLISH", "c", "1"});
  l.t.Run({"SPUBLISH", "c", "2"});
  CHECK(l.Logged({"EXEC"}) == "MULTI\nEXEC\n");
  CHECK(replicas() == "MULTI\nPUBLISH c 1\nSPUBLISH c 2\nEXEC\n");
  // Databases inside the block: each stream selects what it needs.
  l.t.Run({"SELECT", "2"});
  l.t.Run({"MULTI"});
  l.t.Run({"SELECT", "3"});
  l.t.Run({"PUBLISH", "c", "m"});
  l.t.Run({"SELECT", "2"});
  l.t.Run({"SET", "y", "1"});
  CHECK(l.Logged({"EXEC"}) == "MULTI\nSELECT 2\nSET y 1\nEXEC\n");
  CHECK(replicas() == "MULTI\nSELECT 3\nPUBLISH c m\nSELECT 2\nSET y 1\nEXEC\n");
  // Scripts: the same rules, with the script's command names as it wrote them.
  CHECK(l.Logged({"EVAL", "redis.call('publish', 'c', 'm')", "0"}).empty());
  CHECK(replicas() == "publish c m\n");
  CHECK(l.Logged({"EVAL", "redis.call('set', 'z', '1'); redis.call('publish', 'c', 'm')", "0"}) ==
        "MULTI\nset z 1\nEXEC\n");
  CHECK(replicas() == "MULTI\nset z 1\npublish c m\nEXEC\n");
  l.t.server().write_log().RemoveTap(&tap);
}

}  // namespace
}  // namespace tessera::server
