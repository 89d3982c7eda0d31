#include "core/resp/request_parser.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "persistence/write_log.h"
#include "tests/core/alloc_counter.h"

using namespace tessera::resp;
using Args = std::vector<std::string>;

namespace {

// Plays the connection: appends what arrives, parses every complete command and drops the
// bytes each one used.  Results are recorded as strings to compare whole runs at once.
struct Connection {
  RequestParser parser;
  ParserLimits limits;
  std::string buf;
  std::vector<std::string> log;  // "SET|k|v", "<empty>", "<error:...>"
  bool closed = false;

  void Feed(std::string_view data) {
    REQUIRE_FALSE(closed);
    buf.append(data);
    while (!closed) {
      size_t consumed = 12345;
      ParseStatus st = parser.Parse(buf, limits, &consumed);
      if (st == ParseStatus::kNeedMore) {
        REQUIRE(consumed == 0);
        return;
      }
      if (st == ParseStatus::kError) {
        log.push_back("<error:" + parser.Error() + ">");
        closed = true;
        return;
      }
      if (st == ParseStatus::kEmpty) {
        log.push_back("<empty>");
      } else {
        std::string entry;
        for (size_t i = 0; i < parser.ArgCount(); ++i) {
          if (i) entry += '|';
          entry += parser.Arg(buf, i);
        }
        log.push_back(entry);
      }
      REQUIRE(consumed > 0);
      REQUIRE(consumed <= buf.size());
      buf.erase(0, consumed);
    }
  }
};

// Parses exactly one command from `input`, which must hold it whole.
struct One {
  ParseStatus status;
  Args args;
  std::string error;
  size_t consumed;
};

One ParseOne(std::string_view input, ParserLimits limits = {}) {
  RequestParser p;
  One r;
  r.status = p.Parse(input, limits, &r.consumed);
  if (r.status == ParseStatus::kCommand) {
    for (size_t i = 0; i < p.ArgCount(); ++i) r.args.emplace_back(p.Arg(input, i));
  }
  if (r.status == ParseStatus::kError) r.error = p.Error();
  return r;
}

std::string ErrorOf(std::string_view input, ParserLimits limits = {}) {
  One r = ParseOne(input, limits);
  REQUIRE(r.status == ParseStatus::kError);
  return r.error;
}

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

std::string Command(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += Bulk(a);
  return out;
}

}  // namespace

TEST_CASE("RequestParser parses a multibulk command") {
  std::string in = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nextra";
  One r = ParseOne(in);
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"GET", "k"});
  CHECK(r.consumed == in.size() - 5);
}

TEST_CASE("RequestParser: an empty bulk is an empty argument") {
  One r = ParseOne("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"SET", "k", ""});
}

TEST_CASE("RequestParser bulks are binary safe") {
  std::string value("a\r\nb\0c\r\n", 8);
  One r = ParseOne(Command({"SET", "k", value}));
  REQUIRE(r.status == ParseStatus::kCommand);
  REQUIRE(r.args.size() == 3);
  CHECK(r.args[2] == value);
}

TEST_CASE("RequestParser inline commands") {
  One r = ParseOne("SET k \"a b\"\r\n");
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"SET", "k", "a b"});
  CHECK(r.consumed == 13);

  r = ParseOne("PING\n");
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"PING"});
  CHECK(r.consumed == 5);

  r = ParseOne("ECHO 'x y' \"\\x41\\n\"\r\nPING\r\n");
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"ECHO", "x y", "A\n"});
  CHECK(r.consumed == 21);

  CHECK(ParseOne("PING").status == ParseStatus::kNeedMore);
  CHECK(ParseOne("PING\r").status == ParseStatus::kNeedMore);
}

TEST_CASE("RequestParser empty commands are consumed and skipped") {
  for (std::string in : {"\r\n", "\n", "   \t \r\n", "*0\r\n", "*-1\r\n", "*-100\r\n"}) {
    INFO(in);
    One r = ParseOne(in);
    CHECK(r.status == ParseStatus::kEmpty);
    CHECK(r.consumed == in.size());
  }
}

TEST_CASE("RequestParser: need-more consumes nothing") {
  std::string full = Command({"SET", "key", "value"});
  for (size_t n = 0; n < full.size(); ++n) {
    INFO(n);
    One r = ParseOne(full.substr(0, n));
    CHECK(r.status == ParseStatus::kNeedMore);
    CHECK(r.consumed == 0);
  }
}

TEST_CASE("RequestParser error strings") {
  CHECK(ErrorOf("*abc\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*01\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*2147483648\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*99999999999999999999\r\n") == "Protocol error: invalid multibulk length");

  CHECK(ErrorOf("*1\r\n$-1\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$x\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$\r\n") == "Protocol error: invalid bulk length");
  ParserLimits small;
  small.max_bulk_len = 5;
  CHECK(ErrorOf("*1\r\n$6\r\n", small) == "Protocol error: invalid bulk length");
  CHECK(ParseOne("*1\r\n$5\r\n", small).status == ParseStatus::kNeedMore);

  CHECK(ErrorOf("*1\r\nGET\r\n") == "Protocol error: expected '$', got 'G'");
  CHECK(ErrorOf("*2\r\n$1\r\na\r\n:1\r\n") == "Protocol error: expected '$', got ':'");
  CHECK(ErrorOf("*1\r\n\r\n") == "Protocol error: expected '$', got ' '");  // CR shown as space

  CHECK(ErrorOf(std::string(64 * 1024 + 1, 'a')) == "Protocol error: too big inline request");
  CHECK(ParseOne(std::string(64 * 1024, 'a')).status == ParseStatus::kNeedMore);
  // A long line is fine once its newline has arrived: Redis checks only while waiting.
  One long_line = ParseOne("ECHO " + std::string(100000, 'a') + "\n");
  CHECK(long_line.status == ParseStatus::kCommand);

  CHECK(ErrorOf("*" + std::string(64 * 1024, '1')) ==
        "Protocol error: too big mbulk count string");
  CHECK(ErrorOf("*1\r\n$" + std::string(64 * 1024, '1')) ==
        "Protocol error: too big bulk count string");

  CHECK(ErrorOf("SET k \"abc\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(ErrorOf("SET k 'a'b\n") == "Protocol error: unbalanced quotes in request");

  ParserLimits unauth;
  unauth.authenticated = false;
  CHECK(ErrorOf("*11\r\n", unauth) == "Protocol error: unauthenticated multibulk length");
  CHECK(ParseOne("*10\r\n", unauth).status == ParseStatus::kNeedMore);
  CHECK(ErrorOf("*1\r\n$16385\r\n", unauth) == "Protocol error: unauthenticated bulk length");
  CHECK(ParseOne("*1\r\n$16384\r\n", unauth).status == ParseStatus::kNeedMore);
  // Validity is checked before authentication, as in Redis.
  CHECK(ErrorOf("*2147483648\r\n", unauth) == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*1\r\n$-1\r\n", unauth) == "Protocol error: invalid bulk length");
  CHECK(ParseOne("*-1\r\n", unauth).status == ParseStatus::kEmpty);
}

TEST_CASE("RequestParser follows Redis's lenient line ends") {
  // Redis skips the byte after a header's '\r' and the two after a bulk without checking them.
  One r = ParseOne("*1\rX$4\r\nPING??");
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"PING"});
  CHECK(r.consumed == 14);
  // '\r' inside an inline line is a blank.
  r = ParseOne("GET a\rb\n");
  REQUIRE(r.status == ParseStatus::kCommand);
  CHECK(r.args == Args{"GET", "a", "b"});
}

TEST_CASE("RequestParser: huge declared lengths allocate nothing up front") {
  RequestParser p;
  ParserLimits limits;
  limits.max_bulk_len = 1024 * 1024;
  size_t consumed;
  std::string in = "*2147483647\r\n$1\r\na\r\n";
  ParseStatus st;
  size_t allocated;
  {
    tessera::testing::AllocationCounter counter;
    st = p.Parse(in, limits, &consumed);
    allocated = counter.bytes();
  }
  CHECK(st == ParseStatus::kNeedMore);
  CHECK(allocated < 1024);  // one ArgSpan, not two billion
  CHECK(p.ReserveHint() == 0);

  RequestParser q;
  in = "*1\r\n$2147483647\r\n";
  {
    tessera::testing::AllocationCounter counter;
    st = q.Parse(in, limits, &consumed);
    allocated = counter.bytes();
  }
  CHECK(st == ParseStatus::kError);
  CHECK(allocated < 1024);  // the error message only
  CHECK(q.Error() == "Protocol error: invalid bulk length");

  // Allowed but not yet arrived: the hint is capped, never the declared 512 MB.
  RequestParser r;
  in = "*1\r\n$536870912\r\nabc";
  REQUIRE(r.Parse(in, ParserLimits{}, &consumed) == ParseStatus::kNeedMore);
  CHECK(r.ReserveHint() == kMaxReserveHint);
}

TEST_CASE("RequestParser: a 1 MB bulk arriving in 4 KiB chunks") {
  std::string value(1024 * 1024, 'v');
  for (size_t i = 0; i < value.size(); i += 7) value[i] = static_cast<char>(i % 251);
  std::string in = Command({"SET", "big", value});
  Connection c;
  size_t hints = 0;
  for (size_t off = 0; off < in.size(); off += 4096) {
    c.Feed(std::string_view(in).substr(off, 4096));
    size_t hint = c.parser.ReserveHint();
    CHECK(hint <= kMaxReserveHint);
    if (hint > 0) ++hints;
  }
  REQUIRE(c.log.size() == 1);
  CHECK(c.log[0] == "SET|big|" + value);
  CHECK(c.buf.empty());
  CHECK(hints > 200);  // the hint is given while the bulk is arriving
  CHECK(c.parser.ReserveHint() == 0);
}

TEST_CASE("RequestParser: every split of a pipeline gives the same commands") {
  std::string pipeline = Command({"SET", "k", "v"}) + "PING\r\n" +
                         Command({"SET", std::string("bin\0\r\n", 6), ""}) + "\r\n" + "*0\r\n" +
                         "ECHO \"a b\"\n" + Command({"MGET", "a", "b", "c"}) + "*-1\r\n" +
                         Command({"GET", std::string(300, 'x')});
  Connection whole;
  whole.Feed(pipeline);
  REQUIRE(whole.log.size() == 9);
  CHECK(whole.log[0] == "SET|k|v");
  CHECK(whole.log[1] == "PING");
  CHECK(whole.log[2] == std::string("SET|bin\0\r\n|", 11));
  CHECK(whole.log[3] == "<empty>");
  CHECK(whole.log[4] == "<empty>");
  CHECK(whole.log[5] == "ECHO|a b");
  CHECK(whole.log[6] == "MGET|a|b|c");
  CHECK(whole.log[7] == "<empty>");
  CHECK(whole.log[8] == "GET|" + std::string(300, 'x'));
  CHECK(whole.buf.empty());

  for (size_t i = 0; i <= pipeline.size(); ++i) {
    Connection c;
    c.Feed(std::string_view(pipeline).substr(0, i));
    c.Feed(std::string_view(pipeline).substr(i));
    INFO("split at " << i);
    REQUIRE(c.log == whole.log);
    REQUIRE(c.buf.empty());
  }
  // Two split points, over the first part of the pipeline (all command kinds are there).
  size_t limit = pipeline.size() - 320;
  for (size_t i = 0; i <= limit; i += 3) {
    for (size_t j = i; j <= limit; ++j) {
      Connection c;
      c.Feed(std::string_view(pipeline).substr(0, i));
      c.Feed(std::string_view(pipeline).substr(i, j - i));
      c.Feed(std::string_view(pipeline).substr(j));
      REQUIRE(c.log == whole.log);
    }
  }
  Connection bytewise;
  for (char ch : pipeline) bytewise.Feed(std::string_view(&ch, 1));
  CHECK(bytewise.log == whole.log);
}

TEST_CASE("RequestParser: errors are the same at every split") {
  std::string in = Command({"GET", "k"}) + "*2\r\n$3\r\nGET\r\n:oops\r\n";
  for (size_t i = 0; i <= in.size(); ++i) {
    Connection c;
    c.Feed(std::string_view(in).substr(0, i));
    if (!c.closed) c.Feed(std::string_view(in).substr(i));
    INFO("split at " << i);
    REQUIRE(c.log == std::vector<std::string>{"GET|k", "<error:Protocol error: expected '$', "
                                                       "got ':'>"});
  }
}

TEST_CASE("RequestParser: byte-at-a-time input is parsed in linear work") {
  // A parser that rescanned from the start on every call would examine ~n^2/2 bytes here;
  // ScannedBytes() counts what the line searches examined, which must stay within 3n.
  auto feed_bytewise = [](const std::string& in) {
    Connection c;
    for (char ch : in) c.Feed(std::string_view(&ch, 1));
    CHECK(c.parser.ScannedBytes() <= 3 * in.size());
    return c.log;
  };
  Args args(1000);
  for (size_t i = 0; i < args.size(); ++i) args[i] = "arg:" + std::to_string(i);
  auto log = feed_bytewise(Command(args));
  REQUIRE(log.size() == 1);
  CHECK(log[0].rfind("arg:0|arg:1|", 0) == 0);
  CHECK(log[0].size() == 7889);  // 1000 "arg:N" and 999 separators

  log = feed_bytewise(Command(Args(20000, "x")));
  REQUIRE(log.size() == 1);
  log = feed_bytewise("ECHO " + std::string(50000, 'y') + "\r\n");
  REQUIRE(log.size() == 1);
  log = feed_bytewise(std::string(60000, '\0') + "\r\n");
  CHECK(log.empty());
}

TEST_CASE("RequestParser::Reset forgets partial progress") {
  RequestParser p;
  size_t consumed;
  std::string partial = "*2\r\n$3\r\nGET\r\n";
  REQUIRE(p.Parse(partial, {}, &consumed) == ParseStatus::kNeedMore);
  p.Reset();
  std::string fresh = "PING\r\n";
  REQUIRE(p.Parse(fresh, {}, &consumed) == ParseStatus::kCommand);
  CHECK(p.ArgCount() == 1);
  CHECK(p.Arg(fresh, 0) == "PING");
}

using namespace std::string_literals;

TEST_CASE("RequestParser: a NUL before a line end waits, as Redis's strchr() search does") {
  // Each of these is incomplete to Redis 7.2 (checked against redis-server): no reply, the
  // connection stays open, and nothing is consumed.
  for (std::string in :
       {"\0\r\n"s, "x\0\n"s, "a\0b\r\n"s, "\"a\0b\"\r\n"s, "'a\0'\r\n"s, "PING\0\r\nPING\r\n"s,
        "*1\0\r\n$4\r\nPING\r\n"s, "*\0\r\n"s, "*1\r\n$4\0\r\nPING\r\n"s, "*1\r\n\0\r\n"s,
        "*1\r\n$\0\r\n"s, "*2\r\n$1\r\na\r\n\0$1\r\nb\r\n"s}) {
    INFO(in);
    One r = ParseOne(in);
    CHECK(r.status == ParseStatus::kNeedMore);
    CHECK(r.consumed == 0);
  }
  // Commands before the NUL's line run; the NUL's line waits.
  Connection c;
  c.Feed("PING\r\n\0\r\nPING\r\n"s);
  CHECK(c.log == std::vector<std::string>{"PING"});
  CHECK_FALSE(c.closed);
  CHECK(c.buf == "\0\r\nPING\r\n"s);
}

TEST_CASE("RequestParser: a line held by a NUL fails past 64 KiB as Redis does") {
  struct Case {
    std::string head;
    std::string error;
  };
  for (const Case& k :
       {Case{"\0"s, "too big inline request"}, Case{"GET k\0\r\n"s, "too big inline request"},
        Case{"*1\0\r\n"s, "too big mbulk count string"},
        Case{"*2\r\n$3\r\nGET\r\n$1\0\r\n"s, "too big bulk count string"}}) {
    INFO(k.head);
    Connection c;
    c.Feed(k.head);
    uint64_t scanned = c.parser.ScannedBytes();
    // Up to 64 KiB of unconsumed input it waits, and examines none of the new bytes.
    size_t unconsumed = k.head.find('*') == 0 && k.head.find("$3") != std::string::npos
                            ? k.head.size() - k.head.find("$1")
                            : k.head.size();
    size_t room = 64 * 1024 - unconsumed;
    for (size_t fed = 0; fed < room; fed += 4096) {
      c.Feed(std::string(std::min<size_t>(4096, room - fed), 'z') + "\r\n\r\n");
      if (c.closed) break;
    }
    CHECK(c.parser.ScannedBytes() == scanned);
    if (!c.closed) c.Feed("zzzzzzzz");
    REQUIRE(c.closed);
    CHECK(c.log.back() == "<error:Protocol error: " + k.error + ">");
  }
}

TEST_CASE("RequestParser: work stays linear and memory a small multiple, on random input") {
  // Random bytes from an alphabet of everything the parser treats specially, in random-sized
  // chunks: the line searches examine at most 3 bytes per byte received, and the parser's
  // allocations (offsets, inline arguments, error text) stay within 10 bytes per byte: 16
  // bytes of offsets per bulk of at least 6 bytes, requested twice over as a vector grows.
  const std::string alphabet = "*$\r\n\0 \t\"'\\x0123456789-aZ"s;
  std::mt19937_64 rng(20261206);
  for (int round = 0; round < 300; ++round) {
    std::string input;
    size_t len = rng() % 4000;
    while (input.size() < len) {
      if (rng() % 8 == 0) {
        input += Command({std::string(rng() % 5, 'v'), "k"});
      } else {
        input += alphabet[rng() % alphabet.size()];
      }
    }
    Connection c;
    c.buf.reserve(input.size());
    size_t allocated;
    {
      tessera::testing::AllocationCounter counter;
      for (size_t off = 0; off < input.size() && !c.closed;) {
        size_t n = 1 + rng() % 64;
        std::string_view chunk = std::string_view(input).substr(off, n);
        off += chunk.size();
        // Feed() records results as strings; count only the parser's own allocations.
        c.buf.append(chunk);
        size_t consumed;
        while (!c.closed) {
          ParseStatus st = c.parser.Parse(c.buf, c.limits, &consumed);
          if (st == ParseStatus::kNeedMore) break;
          if (st == ParseStatus::kError) c.closed = true;
          if (st != ParseStatus::kError) REQUIRE(consumed > 0);
          c.buf.erase(0, consumed);
        }
      }
      allocated = counter.bytes();
    }
    INFO(round);
    CHECK(c.parser.ScannedBytes() <= 3 * input.size());
    CHECK(allocated <= 10 * input.size() + 1024);
  }
}

TEST_CASE("RequestParser: many tiny arguments cost a small multiple of their bytes") {
  auto allocated_for = [](const std::string& in) {
    RequestParser p;
    size_t consumed;
    tessera::testing::AllocationCounter counter;
    ParseStatus st = p.Parse(in, ParserLimits{}, &consumed);
    CHECK(st == ParseStatus::kCommand);
    CHECK(consumed == in.size());
    return counter.bytes();
  };
  // 30000 one-byte inline arguments (60 KB): 1 byte and a 4-byte offset each.  10000 empty
  // bulks (60 KB): a 16-byte offset each.  Both counts include the vectors' regrowth, which
  // requests up to twice the final size in all.
  std::string inline_line;
  for (int i = 0; i < 30000; ++i) inline_line += "a ";
  inline_line += "\n";
  CHECK(allocated_for(inline_line) <= 6 * inline_line.size());
  std::string empties = Command(Args(10000, ""));
  CHECK(allocated_for(empties) <= 10 * empties.size());
}

// Verbatim(): the bytes of a command may stand for its arguments' encoding only when they are
// exactly what persistence::AppendRespCommand writes for them.
TEST_CASE("RequestParser::Verbatim is the command's own encoding") {
  const std::vector<Args> commands = {
      {"SET", "key:000000012345", "xxx"},
      {"HSET", "h", "", std::string(100, 'v'), std::string(1000, 'w')},
      {"LPUSH", "l", std::string("a\r\nb\0c", 6)},
      Args(12, "x"),
  };
  for (const Args& args : commands) {
    std::vector<std::string> owned(args.begin(), args.end());
    std::string want;
    tessera::persistence::AppendRespCommand(&want, std::span<const std::string>(owned));
    REQUIRE(want == Command(args));
    // Whole, and fed one byte at a time (the parser resumes across calls).
    std::string in = want + "*1\r\n$4\r\nPING\r\n";
    RequestParser p;
    size_t consumed = 0;
    REQUIRE(p.Parse(in, {}, &consumed) == ParseStatus::kCommand);
    CHECK(p.Verbatim(in) == want);
    RequestParser q;
    std::string part;
    ParseStatus st = ParseStatus::kNeedMore;
    for (char c : want) {
      part += c;
      st = q.Parse(part, {}, &consumed);
      if (st != ParseStatus::kNeedMore) break;
    }
    REQUIRE(st == ParseStatus::kCommand);
    CHECK(q.Verbatim(part) == want);
  }
}

TEST_CASE("RequestParser::Verbatim is empty for inline commands and sloppy line ends") {
  auto verbatim_of = [](std::string_view in) {
    RequestParser p;
    size_t consumed = 0;
    REQUIRE(p.Parse(in, {}, &consumed) == ParseStatus::kCommand);
    return std::string(p.Verbatim(in));
  };
  CHECK(verbatim_of("SET k v\r\n").empty());
  CHECK(verbatim_of("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  // Like Redis, the parser does not look at the byte after a header's '\r' nor at the two
  // bytes after a bulk's data; such a command runs, but its bytes are not its encoding.
  CHECK(verbatim_of("*2\rX$3\r\nGET\r\n$1\r\nk\r\n").empty());
  CHECK(verbatim_of("*2\r\n$3\rXGET\r\n$1\r\nk\r\n").empty());
  CHECK(verbatim_of("*2\r\n$3\r\nGETXY$1\r\nk\r\n").empty());
  CHECK(verbatim_of("*2\r\n$3\r\nGET\r\n$1\r\nk\rX").empty());
  CHECK(verbatim_of("*2\r\n$3\r\nGET\r\n$1\r\nkX\n").empty());
  // A command after a sloppy one starts afresh.
  RequestParser p;
  std::string in = "*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n";
  size_t consumed = 0;
  REQUIRE(p.Parse(in, {}, &consumed) == ParseStatus::kCommand);
  CHECK(p.Verbatim(in).empty());
  std::string_view rest = std::string_view(in).substr(consumed);
  REQUIRE(p.Parse(rest, {}, &consumed) == ParseStatus::kCommand);
  CHECK(p.Verbatim(rest) == "*1\r\n$4\r\nPING\r\n");
}
