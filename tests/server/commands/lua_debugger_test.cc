// The Lua debugger (SCRIPT DEBUG, server/commands/script_debug.h) in-process: its command
// parser and renderers, and whole sessions through the real dispatcher with a scripted
// client (the debugger's socket replaced by a channel that replays input and records output).
// Expected bytes were read from Redis 7.2.4 with the same input.
#include <catch2/catch.hpp>

#include <deque>

#include "server/scripting/lua_debugger.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using scripting::LuaDebugger;
using test_replies::Bulk;
using test_replies::kOk;

std::string Cmd(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  }
  return out;
}

std::string Logs(std::initializer_list<std::string_view> lines) {
  std::string out = "*" + std::to_string(lines.size()) + "\r\n";
  for (std::string_view l : lines) out += "+" + std::string(l) + "\r\n";
  return out;
}

// A client whose socket is a script: each Read hands out the next chunk of input (none left:
// the client is gone); every Write is recorded.
class ScriptedClient final : public ConnectionControl {
 public:
  class Channel final : public scripting::DebugChannel {
   public:
    explicit Channel(ScriptedClient* c) : c_(c) {}
    bool Write(std::string_view bytes) override {
      c_->output += bytes;
      return true;
    }
    long Read(char* buf, size_t len) override {
      if (c_->input.empty()) return 0;
      std::string chunk = std::move(c_->input.front());
      c_->input.pop_front();
      REQUIRE(chunk.size() <= len);
      std::copy(chunk.begin(), chunk.end(), buf);
      return static_cast<long>(chunk.size());
    }

   private:
    ScriptedClient* c_;
  };

  std::deque<std::string> input;
  std::string output;
  bool closing = false;

  void CloseAfterReply() override { closing = true; }
  void CloseNow() override { closing = true; }
  void BecomeMonitor() override {}
  size_t QueryBufferBytes() const override { return 0; }
  size_t OutputBufferBytes() const override { return 0; }
  BufferInfo Buffers() const override { return {}; }
  size_t TotalMemoryBytes() const override { return 0; }
  void DeliverBlockedReply(std::string) override {}
  std::unique_ptr<scripting::DebugChannel> OpenDebugChannel() override {
    return std::make_unique<Channel>(this);
  }
};

TEST_CASE("the debugger's command parser is Redis's lenient one", "[scripting][ldb]") {
  using P = LuaDebugger::Parse;
  std::vector<std::string> argv;
  CHECK(LuaDebugger::ParseCommand("", &argv) == P::kNeedMore);
  CHECK(LuaDebugger::ParseCommand("*1\r\n$1\r", &argv) == P::kNeedMore);
  CHECK(LuaDebugger::ParseCommand("*2\r\n$1\r\ns\r\n", &argv) == P::kNeedMore);
  CHECK(LuaDebugger::ParseCommand("xyz\r\n", &argv) == P::kProtocolError);
  CHECK(LuaDebugger::ParseCommand("*0\r\n", &argv) == P::kProtocolError);
  CHECK(LuaDebugger::ParseCommand("*1025\r\n", &argv) == P::kProtocolError);
  CHECK(LuaDebugger::ParseCommand("*1\r\n$0\r\n\r\n", &argv) == P::kProtocolError);
  CHECK(LuaDebugger::ParseCommand("*1\r\n$1025\r\n", &argv) == P::kProtocolError);
  CHECK(LuaDebugger::ParseCommand("*1\r\n:1\r\n", &argv) == P::kProtocolError);
  CHECK(LuaDebugger::ParseCommand("*1\r\n$1\r\nsX\n", &argv) == P::kProtocolError);
  // Bytes before the first '*' are skipped, as Redis's strchr does.
  REQUIRE(LuaDebugger::ParseCommand("junk*2\r\n$1\r\np\r\n$3\r\na\0b\r\n", &argv) ==
          P::kNeedMore);  // a string literal stops at the NUL: the rest is missing
  std::string with_nul("*2\r\n$1\r\np\r\n$3\r\na\0b\r\n", 20);
  REQUIRE(LuaDebugger::ParseCommand(with_nul, &argv) == P::kCommand);
  CHECK(argv == std::vector<std::string>{"p", std::string("a\0b", 3)});
}

TEST_CASE("the debugger renders replies and values as Redis", "[scripting][ldb]") {
  auto human = [](std::string_view reply) {
    std::string out;
    size_t used = LuaDebugger::ProtocolToHuman(&out, reply);
    CHECK(used == reply.size());
    return out;
  };
  CHECK(human(":42\r\n") == "42");
  CHECK(human("$-1\r\n") == "NULL");
  CHECK(human("*-1\r\n") == "NULL");
  CHECK(human("$3\r\na\"b\r\n") == "\"a\\\"b\"");
  CHECK(human("+OK\r\n") == "\"+OK\"");
  CHECK(human("-ERR no\r\n") == "\"-ERR no\"");
  CHECK(human("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n") == "[1,[\"x\"]]");
  CHECK(human("~2\r\n:1\r\n:2\r\n") == "~(1,2)");
  CHECK(human("%1\r\n$1\r\nk\r\n:1\r\n") == "{\"k\" => 1}");
  CHECK(human("_\r\n") == "(null)");
  CHECK(human("#t\r\n") == "#true");
  CHECK(human("#f\r\n") == "#false");
  CHECK(human(",1.5\r\n") == "(double) 1.5");
  std::string repr;
  LuaDebugger::AppendRepr(&repr, std::string("a\n\r\t\a\b\\\x01\x7f", 9));
  CHECK(repr == "\"a\\n\\r\\t\\a\\b\\\\\\x01\\x7f\"");
}

struct Session {
  CommandTester t;
  ScriptedClient client;
  Session() { t.client().control = &client; }
  ~Session() { t.client().control = nullptr; }
};

TEST_CASE("a SYNC session: step, print, redis, continue; its writes stay", "[scripting][ldb]") {
  Session s;
  REQUIRE(s.t.Run({"SCRIPT", "DEBUG", "SYNC"}) == kOk);
  for (auto c : {Cmd({"s"}), Cmd({"p"}), Cmd({"r", "set", "side", "1"}), Cmd({"c"})}) {
    s.client.input.push_back(c);
  }
  std::string reply = s.t.Run(
      {"EVAL", "local a = redis.call('incr', KEYS[1])\nreturn a + 1\n", "1", "counter"});
  CHECK(reply == ":2\r\n");
  CHECK(s.client.output ==
        Logs({"* Stopped at 1, stop reason = step over",
              "-> 1   local a = redis.call('incr', KEYS[1])"}) +
            Logs({"<redis> incr counter", "<reply> 1", "* Stopped at 2, stop reason = step over",
                  "-> 2   return a + 1"}) +
            Logs({"<value> a = 1"}) + Logs({"<redis> set side 1", "<reply> \"+OK\""}) +
            Logs({"<endsession>"}));
  CHECK(s.client.closing);
  CHECK(s.t.client().lua_debug == ClientState::LuaDebug::kOff);
  s.t.client().control = nullptr;
  CHECK(s.t.Run({"GET", "counter"}) == Bulk("1"));
  CHECK(s.t.Run({"GET", "side"}) == Bulk("1"));
}

TEST_CASE("a YES session undoes every write when it ends", "[scripting][ldb]") {
  Session s;
  s.client.closing = false;
  s.t.client().control = nullptr;
  REQUIRE(s.t.Run({"SET", "str", "old", "EX", "1000"}) == kOk);
  std::vector<std::string> hset = {"HSET", "big"};
  for (int i = 0; i < 300; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back(std::string(100, 'v'));
  }
  REQUIRE(s.t.Run(hset) == ":300\r\n");
  REQUIRE(s.t.Run({"OBJECT", "ENCODING", "big"}) == Bulk("hashtable"));
  s.t.client().control = &s.client;
  REQUIRE(s.t.Run({"SCRIPT", "DEBUG", "YES"}) == kOk);
  s.client.input.push_back(Cmd({"r", "del", "big"}));
  s.client.input.push_back(Cmd({"r", "swapdb", "0", "1"}));
  s.client.input.push_back(Cmd({"c"}));
  std::string reply = s.t.Run({"EVAL",
                               "redis.call('set','str','new')\nredis.call('set','made','1')\n"
                               "redis.call('select','2')\nredis.call('set','indb2','1')\n"
                               "return redis.call('exists','big')\n",
                               "0"});
  CHECK(reply == ":0\r\n");  // the session saw its own writes
  CHECK(s.client.output.find("<error> This command cannot be undone at the end of a SCRIPT DEBUG "
                             "YES session (use SCRIPT DEBUG SYNC)") != std::string::npos);
  CHECK(s.client.closing);
  s.t.client().control = nullptr;
  CHECK(s.t.Run({"GET", "str"}) == Bulk("old"));
  CHECK(s.t.Run({"TTL", "str"}) == ":1000\r\n");
  CHECK(s.t.Run({"EXISTS", "made"}) == ":0\r\n");
  CHECK(s.t.Run({"HLEN", "big"}) == ":300\r\n");
  CHECK(s.t.Run({"SELECT", "2"}) == kOk);
  CHECK(s.t.Run({"EXISTS", "indb2"}) == ":0\r\n");
}

TEST_CASE("abort, breakpoints and a client that goes away", "[scripting][ldb]") {
  Session s;
  REQUIRE(s.t.Run({"SCRIPT", "DEBUG", "SYNC"}) == kOk);
  s.client.input.push_back(Cmd({"b", "3"}));
  s.client.input.push_back(Cmd({"c"}));
  s.client.input.push_back(Cmd({"a"}));
  std::string script = "redis.call('set','x','1')\nredis.call('set','y','2')\nreturn 3\n";
  std::string reply = s.t.Run({"EVAL", script, "0"});
  CHECK(reply.find("-ERR script aborted for user request script: ") == 0);
  CHECK(s.client.output.find(Logs({"* Stopped at 3, stop reason = break point",
                                   "->#3   return 3"})) != std::string::npos);
  s.t.client().control = nullptr;
  CHECK(s.t.Run({"GET", "y"}) == Bulk("2"));  // SYNC keeps the writes before the abort

  // No more input: the script runs to its end without stopping.
  Session gone;
  REQUIRE(gone.t.Run({"SCRIPT", "DEBUG", "SYNC"}) == kOk);
  gone.client.input.push_back(Cmd({"b", "2"}));
  CHECK(gone.t.Run({"EVAL", "redis.breakpoint()\nlocal a = 1\nreturn a\n", "0"}) == ":1\r\n");
}

}  // namespace
}  // namespace tessera::server
