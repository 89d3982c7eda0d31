// EVAL, SCRIPT, FUNCTION and FCALL through the real dispatcher: conversions, error texts,
// the sandbox (the Lua CVE inputs of shared/reference §1), atomicity and busy scripts.
// Expected bytes were checked against redis-server where Redis 7.0 and 7.2 agree.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/base/sha1.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::Bulk;
using test_replies::kNil;
using test_replies::kOk;

std::string Eval(CommandTester& t, std::string_view script,
                 std::initializer_list<std::string_view> rest = {"0"}) {
  std::vector<std::string> args = {"EVAL", std::string(script)};
  for (std::string_view a : rest) args.emplace_back(a);
  return t.Run(args);
}

// "-<err> script: <sha>, on @user_script:<line>.\r\n"
std::string ScriptError(std::string_view err, std::string_view script, int line = 1) {
  return "-" + std::string(err) + " script: " + Sha1Hex(script) +
         ", on @user_script:" + std::to_string(line) + ".\r\n";
}

TEST_CASE("Lua values become RESP2 replies as in Redis", "[scripting]") {
  CommandTester t;
  CHECK(Eval(t, "return 1") == ":1\r\n");
  CHECK(Eval(t, "return 3.99") == ":3\r\n");  // truncated
  CHECK(Eval(t, "return -3.99") == ":-3\r\n");
  CHECK(Eval(t, "return 1e300") == ":-9223372036854775808\r\n");  // the C cast on x86-64
  CHECK(Eval(t, "return 'x'") == Bulk("x"));
  CHECK(Eval(t, "return true") == ":1\r\n");
  CHECK(Eval(t, "return false") == kNil);
  CHECK(Eval(t, "return nil") == kNil);
  CHECK(Eval(t, "return {1,2,nil,4}") == "*2\r\n:1\r\n:2\r\n");  // stops at the first hole
  CHECK(Eval(t, "return {1,{2,{3,'x'}}}") == "*2\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n");
  CHECK(Eval(t, "return {ok='fine'}") == "+fine\r\n");
  CHECK(Eval(t, "return {ok='a\\r\\nb'}") == "+a  b\r\n");
  CHECK(Eval(t, "return {err='My Error'}") == "-My Error\r\n");
  CHECK(Eval(t, "return redis.error_reply('My Error')") == "-My Error\r\n");
  CHECK(Eval(t, "return redis.error_reply('MyErr')") == "-ERR MyErr\r\n");
  CHECK(Eval(t, "return redis.status_reply('OK2')") == "+OK2\r\n");
  CHECK(Eval(t, "return {double=3.5}") == Bulk("3.5"));
  CHECK(Eval(t, "return {big_number='123'}") == Bulk("123"));
  CHECK(Eval(t, "return {map={a=1}}") == "*2\r\n$1\r\na\r\n:1\r\n");
  CHECK(Eval(t, "return {set={a=true}}") == "*1\r\n$1\r\na\r\n");
  CHECK(Eval(t, "return KEYS[1]..ARGV[1]", {"1", "k", "v"}) == Bulk("kv"));
  CHECK(Eval(t, "return #ARGV", {"0", "a", "b"}) == ":2\r\n");
}

TEST_CASE("RESP3 scripts and callers get RESP3 types", "[scripting]") {
  CommandTester t;
  t.set_protocol(3);
  CHECK(Eval(t, "return true") == ":1\r\n");  // a RESP2 script still converts to 1
  CHECK(Eval(t, "redis.setresp(3); return true") == "#t\r\n");
  CHECK(Eval(t, "redis.setresp(3); return false") == "#f\r\n");
  CHECK(Eval(t, "return false") == "_\r\n");
  CHECK(Eval(t, "return {double=3.5}") == ",3.5\r\n");
  CHECK(Eval(t, "return {big_number='123'}") == "(123\r\n");
  CHECK(Eval(t, "return {map={a=1}}") == "%1\r\n$1\r\na\r\n:1\r\n");
  CHECK(Eval(t, "return {set={a=true}}") == "~1\r\n$1\r\na\r\n");
  CHECK(t.Run({"HSET", "h", "f", "v"}) == ":1\r\n");
  // The script sees a RESP3 map as {map=...} and returns it as a map.
  CHECK(Eval(t, "redis.setresp(3); return redis.call('hgetall', 'h')") ==
        "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  CHECK(Eval(t, "redis.setresp(3); return redis.call('hgetall', 'h')['map']['f']") == Bulk("v"));
  CHECK(Eval(t, "redis.setresp(3); return redis.call('get', 'nokey') == nil") == "#t\r\n");
  CHECK(Eval(t, "return {verbatim_string={format='txt', string='hi'}}") == "=6\r\ntxt:hi\r\n");
  t.set_protocol(2);
  CHECK(Eval(t, "return {verbatim_string={format='txt', string='hi'}}") == Bulk("hi"));
  t.set_protocol(3);
  CHECK(Eval(t, "return redis.setresp(4)") ==
        ScriptError("ERR RESP version must be 2 or 3.", "return redis.setresp(4)"));
}

TEST_CASE("redis.call converts replies and goes through the dispatcher", "[scripting]") {
  CommandTester t;
  CHECK(Eval(t, "return redis.call('set', KEYS[1], ARGV[1])", {"1", "k", "v"}) == kOk);
  CHECK(t.Run({"GET", "k"}) == Bulk("v"));
  CHECK(Eval(t, "return redis.call('get', 'missing')") == kNil);  // false -> nil
  CHECK(Eval(t, "return redis.call('incr', 'n')") == ":1\r\n");
  // Numbers are passed as integers when integral, else in fpconv_dtoa's form.
  CHECK(Eval(t, "return redis.call('set', 'x', 100000000)") == kOk);
  CHECK(t.Run({"GET", "x"}) == Bulk("100000000"));
  CHECK(Eval(t, "return redis.call('set', 'x', 0.1)") == kOk);
  CHECK(t.Run({"GET", "x"}) == Bulk("0.1"));
  // Statistics count the script's commands.
  std::string info = t.Run({"INFO", "commandstats"});
  CHECK(info.find("cmdstat_incr:calls=1") != std::string::npos);
  CHECK(info.find("cmdstat_eval:calls=") != std::string::npos);
  // SELECT inside a script does not change the caller's database.
  CHECK(Eval(t, "redis.call('select', 1); return redis.call('set', 'in1', 'x')") == kOk);
  CHECK(t.Run({"EXISTS", "in1"}) == ":0\r\n");
  CHECK(t.Run({"SELECT", "1"}) == kOk);
  CHECK(t.Run({"EXISTS", "in1"}) == ":1\r\n");
}

TEST_CASE("Script errors carry Redis's wording", "[scripting]") {
  CommandTester t;
  CHECK(t.Run({"SET", "s", "abc"}) == kOk);
  std::string s = "return redis.call('incr', 's')";
  CHECK(Eval(t, s) == ScriptError("ERR value is not an integer or out of range", s));
  CHECK(Eval(t, "return redis.pcall('incr', 's')") ==
        "-ERR value is not an integer or out of range\r\n");
  CHECK(Eval(t, "local ok, e = pcall(redis.call, 'incr', 's'); return e") ==
        Bulk("ERR value is not an integer or out of range"));
  s = "return redis.call('nosuch')";
  CHECK(Eval(t, s) == ScriptError("ERR Unknown Redis command called from script", s));
  s = "return redis.call('get')";
  CHECK(Eval(t, s) == ScriptError("ERR Wrong number of args calling Redis command from script", s));
  s = "return redis.call()";
  CHECK(Eval(t, s) ==
        ScriptError("ERR Please specify at least one argument for this redis lib call", s));
  s = "return redis.call({})";
  CHECK(Eval(t, s) ==
        ScriptError("ERR Lua redis lib command arguments must be strings or integers", s));
  s = "return redis.call('multi')";
  CHECK(Eval(t, s) == ScriptError("ERR This Redis command is not allowed from script", s));
  s = "return redis.call('eval', 'return 1', '0')";
  CHECK(Eval(t, s) == ScriptError("ERR This Redis command is not allowed from script", s));
  s = "return a";
  CHECK(Eval(t, s) == ScriptError("ERR user_script:1: Script attempted to access nonexistent "
                                  "global variable 'a'",
                                  s));
  s = "error('boom')";
  CHECK(Eval(t, s) == ScriptError("ERR user_script:1: boom", s));
  s = "\n\nerror({err='MYCODE custom'})";
  CHECK(Eval(t, s) == ScriptError("MYCODE custom", s, 3));
  CHECK(Eval(t, "syntax error here") ==
        "-ERR Error compiling script (new function): user_script:1: '=' expected near "
        "'error'\r\n");
  CHECK(Eval(t, "return 1", {"-1"}) == "-ERR Number of keys can't be negative\r\n");
  CHECK(Eval(t, "return 1", {"2", "a"}) ==
        "-ERR Number of keys can't be greater than number of args\r\n");
  CHECK(Eval(t, "return 1", {"x"}) == "-ERR value is not an integer or out of range\r\n");
  // A script that writes and then fails keeps its writes, as in Redis.
  s = "redis.call('set', 'kept', '1'); error('late')";
  CHECK(Eval(t, s) == ScriptError("ERR user_script:1: late", s));
  CHECK(t.Run({"GET", "kept"}) == Bulk("1"));
}

TEST_CASE("EVALSHA, SCRIPT LOAD/EXISTS/FLUSH and NOSCRIPT", "[scripting]") {
  CommandTester t;
  std::string sha = Sha1Hex("return 1");
  CHECK(t.Run({"EVALSHA", sha, "0"}) == "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(t.Run({"EVALSHA", "abc", "0"}) == "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(t.Run({"SCRIPT", "LOAD", "return 1"}) == Bulk(sha));
  std::string upper = sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(t.Run({"EVALSHA", upper, "0"}) == ":1\r\n");
  CHECK(t.Run({"SCRIPT", "EXISTS", sha, upper, "x"}) == "*3\r\n:1\r\n:1\r\n:0\r\n");
  CHECK(t.Run({"SCRIPT", "FLUSH", "x"}) == "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n");
  CHECK(t.Run({"SCRIPT", "FLUSH", "ASYNC"}) == kOk);
  CHECK(t.Run({"SCRIPT", "EXISTS", sha}) == "*1\r\n:0\r\n");
  CHECK(t.Run({"EVALSHA", sha, "0"}) == "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(t.Run({"SCRIPT", "LOAD", "syntax error"})
            .rfind("-ERR Error compiling script (new function): user_script:1:", 0) == 0);
  CHECK(t.Run({"SCRIPT", "KILL"}) == "-NOTBUSY No scripts in execution right now.\r\n");
  CHECK(t.Run({"SCRIPT", "DEBUG", "NO"}) == kOk);
  CHECK(t.Run({"SCRIPT", "DEBUG", "x"}) == "-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n");
}

TEST_CASE("Shebang flags and read-only scripts", "[scripting]") {
  CommandTester t;
  std::string s = "#!lua flags=no-writes\nreturn redis.call('set','x','y')";
  CHECK(Eval(t, s) ==
        ScriptError("ERR Write commands are not allowed from read-only scripts.", s, 2));
  CHECK(Eval(t, "#!lua flags=no-writes,bad\nreturn 1") ==
        "-ERR Unexpected flag in script shebang: bad\r\n");
  CHECK(Eval(t, "#!lua name=x\nreturn 1") == "-ERR Unknown lua shebang option: name=x\r\n");
  CHECK(Eval(t, "#!luax\nreturn 1") == "-ERR Unexpected engine in script shebang: #!luax\r\n");
  CHECK(Eval(t, "#!lua") == "-ERR Invalid script shebang\r\n");
  CHECK(t.Run({"EVAL_RO", "#!lua\nreturn 1", "0"}) ==
        "-ERR Can not execute a script with write flag using *_ro command.\r\n");
  s = "return redis.call('set','x','y')";
  CHECK(t.Run({"EVAL_RO", s, "0"}) ==
        ScriptError("ERR Write commands are not allowed from read-only scripts.", s));
  CHECK(t.Run({"EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','x')", "0"}) == kNil);
  CHECK(t.Run({"EVAL_RO", "return redis.call('get','x')", "0"}) == kNil);
}

TEST_CASE("The sandbox refuses the known escapes", "[scripting]") {
  CommandTester t;
  auto refused = [&](std::string_view script, std::string_view fragment) {
    std::string r = Eval(t, script);
    INFO(script << " -> " << r);
    CHECK(r.rfind("-", 0) == 0);
    CHECK(r.find(fragment) != std::string::npos);
  };
  // CVE-2022-0543: no package/loadlib, os, io, require, loadfile, dofile, print, debug.
  for (const char* name :
       {"package", "os", "io", "require", "loadfile", "dofile", "print", "debug", "module"}) {
    refused(std::string("return ") + name, "nonexistent global variable");
  }
  // Read-only globals and library tables (Redis 7's protection).
  refused("a = 10", "Attempt to modify a readonly table");
  refused("setmetatable(_G, {})", "Attempt to modify a readonly table");
  refused("local g = getmetatable(_G); g.__index = {}", "Attempt to modify a readonly table");
  refused("redis = function() return 1 end", "Attempt to modify a readonly table");
  refused("_G = {}", "Attempt to modify a readonly table");
  refused("redis.call = function() return 1 end", "Attempt to modify a readonly table");
  refused("cjson.encode = function() return 1 end", "Attempt to modify a readonly table");
  refused("bit.lshift = function() return 1 end", "Attempt to modify a readonly table");
  refused("string.upper = nil", "Attempt to modify a readonly table");
  refused("rawset(_G, 'redis', 1)", "Attempt to modify a readonly table");
  refused("rawset(string, 'upper', 1)", "Attempt to modify a readonly table");
  refused("getfenv(tostring).redis = 1", "Attempt to modify a readonly table");
  refused("for k, v in pairs(_G) do if type(v) == 'table' then v.x = 1 end end",
          "Attempt to modify a readonly table");
  // CVE-2025-46818: the string metatable cannot be changed for other scripts.
  refused("getmetatable('').__index.upper = function() return 'pwned' end",
          "Attempt to modify a readonly table");
  refused("getmetatable('').__index = {}", "Attempt to modify a readonly table");
  CHECK(Eval(t, "return ('x'):upper()") == Bulk("X"));
  // No bytecode (Redis: loadstring returns nil).
  refused("return loadstring(string.dump(function() return 1 end))()",
          "attempt to call a nil value");
  refused(
      "local s = string.dump(function() return 1 end); "
      "return load(function() local r = s; s = nil; return r end)()",
      "attempt to call a nil value");
  // A chunk starting with the bytecode signature meets the text parser, as in Redis (whose Lua
  // never undumps), so its error is a syntax error.
  CHECK(Eval(t, "return loadstring('\\27Lua')") == "$-1\r\n");
  CHECK(Eval(t, "return select(2, loadstring('\\27Lua'))")
            .find(":1: unexpected symbol near 'char(27)'") != std::string::npos);
  CHECK(t.Run({"EVAL", "\x1bLua", "0"}) ==
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near "
        "'char(27)'\r\n");
  // Errors of the wrapped library functions name the function and the script's line, as the
  // originals do when a script calls them (Redis 7.2.4's texts).
  CHECK(Eval(t, "return bit.tohex('x')") ==
        ScriptError("ERR user_script:1: bad argument #1 to 'tohex' (number expected, got string)",
                    "return bit.tohex('x')"));
  CHECK(Eval(t, "return cjson.encode(function() end)") ==
        ScriptError("ERR user_script:1: Cannot serialise function: type not supported",
                    "return cjson.encode(function() end)"));
  // CVE-2025-46817: unpack over a huge range.
  refused("return unpack({}, -2147483648, 2147483647)", "too many results to unpack");
  refused("return unpack({}, 0, 2147483647)", "too many results to unpack");
  // CVE-2024-31449: bit.tohex with INT_MIN digits.
  CHECK(Eval(t, "return bit.tohex(65535, -2147483648)") == Bulk("0000FFFF"));
  CHECK(Eval(t, "return bit.tohex(65535, 2147483648)") == Bulk("0000FFFF"));
  // CVE-2025-67733: an error text cannot split the reply.
  CHECK(Eval(t, "return redis.error_reply('x\\r\\n+OK')") == "-ERR x  +OK\r\n");
  std::string s = "error(redis.error_reply('A\\r\\n+OK'))";
  CHECK(Eval(t, s) == ScriptError("ERR A  +OK", s));
  // A script's setfenv(0, ...) does not leak into later scripts.
  CHECK(Eval(t, "setfenv(0, {redis = {call = function() return 'evil' end}}); return 1") ==
        ":1\r\n");
  CHECK(Eval(t, "return redis.call('ping')") == "+PONG\r\n");
  // A table that contains itself converts without endless recursion.
  CHECK(Eval(t, "local t = {} t[1] = t return t").find("reached lua stack limit") !=
        std::string::npos);
  // What a script may still use.
  CHECK(Eval(t, "return cjson.encode({1,2,{a=1}})") == Bulk("[1,2,{\"a\":1}]"));
  CHECK(Eval(t, "return cjson.decode('[1,2,3]')[2]") == ":2\r\n");
  CHECK(Eval(t, "return bit.band(7, 3)") == ":3\r\n");
  CHECK(Eval(t, "return redis.sha1hex('Pizza & Mandolino')") ==
        Bulk("74822d82031af7493c20eefa13bd07ec4fada82f"));
  CHECK(Eval(t, "return redis.REDIS_VERSION") == Bulk("7.2.4"));
  CHECK(Eval(t, "return redis.REDIS_VERSION_NUM") == ":459268\r\n");
  CHECK(Eval(t, "return rawget(_G, 'KEYS') ~= nil") == ":1\r\n");
  CHECK(Eval(t, "return loadstring('return 5')()") == ":5\r\n");
}

TEST_CASE("cmsgpack packs as Redis's and unpacks hostile input safely", "[scripting]") {
  CommandTester t;
  auto hex = [&](std::string_view expr) {
    return Eval(t, "local e = " + std::string(expr) +
                       " local h = '' for i = 1, #e do h = h .. string.format('%02x', "
                       "string.byte(e, i)) end return h");
  };
  CHECK(hex("cmsgpack.pack(0.1)") == Bulk("cb3fb999999999999a"));
  CHECK(hex("cmsgpack.pack(-1099511627776)") == Bulk("d3ffffff0000000000"));
  CHECK(hex("cmsgpack.pack(1, 200, 70000, -5, -100, 1.5, true, false, nil)") ==
        Bulk("01ccc8ce00011170fbd09cca3fc00000c3c2c0"));
  CHECK(hex("cmsgpack.pack({1, 2}, {}, 'abc')") == Bulk("920102"
                                                        "90"
                                                        "a3616263"));
  // A table that contains itself: 16 levels, then nil.
  std::string nested;
  for (int i = 0; i < 16; ++i) nested += "91";
  CHECK(hex("(function() local a = {} a[1] = a return cmsgpack.pack(a) end)()") ==
        Bulk(nested + "c0"));
  CHECK(Eval(t, "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}))}") ==
        "*3\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n");
  CHECK(Eval(t, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 2)}") ==
        "*2\r\n:-1\r\n:3\r\n");
  // A huge declared array with no elements, deep nesting, a truncated string.
  CHECK(Eval(t, "return cmsgpack.unpack(string.char(0xdd, 0xff, 0xff, 0xff, 0xff))")
            .find("Missing bytes in input.") != std::string::npos);
  CHECK(Eval(t, "return cmsgpack.unpack(string.rep(string.char(0x91), 100000))")
            .find("Bad data format in input.") != std::string::npos);
  CHECK(Eval(t, "return cmsgpack.unpack(string.char(0xdb, 0xff, 0xff, 0xff, 0xff, 0x41))")
            .find("Missing bytes in input.") != std::string::npos);
  CHECK(Eval(t, "cmsgpack.pack = nil").find("Attempt to modify a readonly table") !=
        std::string::npos);
}

TEST_CASE("struct packs and unpacks as Redis's, refusing overflowing counts", "[scripting]") {
  CommandTester t;
  CHECK(Eval(t, "return struct.pack('>I4', 1)") == Bulk(std::string("\0\0\0\1", 4)));
  CHECK(Eval(t, "return struct.pack('!bd', 1, 2)") ==
        Bulk(std::string("\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0@", 16)));
  CHECK(Eval(t,
             "return {struct.unpack('<i2hBbH', struct.pack('<i2hBbH', -2, 3, 255, -1, "
             "65535))}") == "*6\r\n:-2\r\n:3\r\n:255\r\n:-1\r\n:65535\r\n:9\r\n");
  CHECK(Eval(t, "return {struct.unpack('bc0', struct.pack('b', 3) .. 'xyzw')}") ==
        "*2\r\n$3\r\nxyz\r\n:5\r\n");
  CHECK(Eval(t, "return {struct.unpack('s', 'ab\\0cd')}") == "*2\r\n$2\r\nab\r\n:4\r\n");
  CHECK(Eval(t, "return struct.size('!bdi')") == ":20\r\n");
  auto fails = [&](std::string_view script, std::string_view fragment) {
    std::string r = Eval(t, script);
    INFO(script << " -> " << r);
    CHECK(r.find(fragment) != std::string::npos);
  };
  fails("return struct.pack('i99999999999999', 1)", "integral size overflow");
  fails("return struct.pack('i33', 1)", "integral size 33 is larger than limit of 32");
  fails("return struct.pack('q', 1)", "invalid format option 'q'");
  fails("return struct.pack('c10', 'abc')", "string too short");
  fails("return {struct.unpack('I4', 'abcdef', 10)}", "data string too short");
  fails("return {struct.unpack('c2147483647', 'ab')}", "data string too short");
  fails("return {struct.unpack('s', 'ab')}", "unfinished string in data");
  fails("return struct.pack('!3i', 1)", "alignment 3 is not a power of 2");
  fails("struct.pack = nil", "Attempt to modify a readonly table");
}

TEST_CASE("A script inside MULTI/EXEC and blocking commands inside scripts", "[scripting]") {
  CommandTester t;
  CHECK(t.Run({"MULTI"}) == kOk);
  CHECK(t.Run({"EVAL", "return redis.call('incr', 'c')", "0"}) == "+QUEUED\r\n");
  CHECK(t.Run({"INCR", "c"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*2\r\n:1\r\n:2\r\n");
  // BLPOP inside a script never blocks: it answers as on a timeout (a null, false in Lua).
  CHECK(Eval(t, "return redis.call('blpop', 'nolist', 0)") == kNil);
  // A client blocked on a list is served once the script's locks are gone.
  int other = t.AddClient();
  CHECK(t.RunAs(other, {"BLPOP", "q", "0"}).empty());
  CHECK(Eval(t, "return redis.call('rpush', 'q', 'a', 'b')") == ":2\r\n");
  CHECK(t.TakeDelivered(other) == "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
  CHECK(t.Run({"LLEN", "q"}) == ":1\r\n");
}

TEST_CASE("FUNCTION LOAD, LIST, FCALL and DELETE", "[scripting]") {
  CommandTester t;
  std::string lib =
      "#!lua name=mylib\n"
      "redis.register_function{function_name='f1', callback=function(keys, args) "
      "return {keys[1], args[1]} end, flags={'no-writes'}, description='desc'}\n"
      "redis.register_function('w', function(keys) return redis.call('set', keys[1], 'v') end)";
  CHECK(t.Run({"FUNCTION", "LOAD", lib}) == Bulk("mylib"));
  CHECK(t.Run({"FUNCTION", "LOAD", lib}) == "-ERR Library 'mylib' already exists\r\n");
  CHECK(t.Run({"FCALL", "f1", "1", "k", "a"}) == "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  CHECK(t.Run({"FCALL_RO", "f1", "1", "k", "a"}) == "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  CHECK(t.Run({"FCALL_RO", "w", "1", "k"}) ==
        "-ERR Can not execute a script with write flag using *_ro command.\r\n");
  CHECK(t.Run({"FCALL", "w", "1", "k"}) == kOk);
  CHECK(t.Run({"FCALL", "nosuch", "0"}) == "-ERR Function not found\r\n");
  // A function sees its keys as an argument; KEYS of an earlier EVAL never leak into it.
  CHECK(Eval(t, "return KEYS[1]", {"1", "secret"}) == Bulk("secret"));
  CHECK(t.Run({"FUNCTION", "LOAD",
               "#!lua name=peek\nredis.register_function('peek', function() return KEYS end)"}) ==
        Bulk("peek"));
  CHECK(t.Run({"FCALL", "peek", "0"}) ==
        "-ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS' "
        "script: peek, on @user_function:2.\r\n");
  CHECK(t.Run({"FUNCTION", "DELETE", "peek"}) == kOk);
  CHECK(t.Run({"FCALL", "f1", "x"}) == "-ERR Bad number of keys provided\r\n");
  CHECK(t.Run({"FUNCTION", "LIST"}) ==
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
        "$9\r\nfunctions\r\n*2\r\n"
        "*6\r\n$4\r\nname\r\n$2\r\nf1\r\n$11\r\ndescription\r\n$4\r\ndesc\r\n$5\r\nflags\r\n"
        "*1\r\n+no-writes\r\n"
        "*6\r\n$4\r\nname\r\n$1\r\nw\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n");
  CHECK(t.Run({"FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"}) == "*0\r\n");
  CHECK(t.Run({"FUNCTION", "LOAD", "#!lua name=lib2\nreturn math.random()"}) ==
        "-ERR Error registering functions: ERR user_function:2: Script attempted to access "
        "nonexistent global variable 'math'\r\n");
  CHECK(t.Run({"FUNCTION", "LOAD", "#!lua name=lib2\nreturn redis.call('ping')"}) ==
        "-ERR Error registering functions: ERR user_function:2: Script attempted to access "
        "nonexistent global variable 'call'\r\n");
  CHECK(t.Run({"FUNCTION", "LOAD", "#!lua name=lib2\nlocal x = 1"}) ==
        "-ERR No functions registered\r\n");
  CHECK(t.Run({"FUNCTION", "LOAD",
               "#!lua name=lib2\nredis.register_function('f1', function() return 1 end)"}) ==
        "-ERR Function f1 already exists\r\n");
  CHECK(t.Run({"FUNCTION", "LOAD", "local x = 1"}) == "-ERR Missing library metadata\r\n");
  CHECK(t.Run({"FUNCTION", "STATS"}) ==
        "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
        "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n");
  // DUMP / RESTORE round trip, with Redis's payload checks and policies.
  std::string dump = t.Run({"FUNCTION", "DUMP"});
  REQUIRE(dump.rfind("$", 0) == 0);
  std::string payload = dump.substr(dump.find("\r\n") + 2);
  payload.resize(payload.size() - 2);
  CHECK(t.Run({"FUNCTION", "RESTORE", payload}) == "-ERR Library mylib already exists\r\n");
  CHECK(t.Run({"FUNCTION", "RESTORE", payload, "REPLACE"}) == kOk);
  CHECK(t.Run({"FUNCTION", "RESTORE", payload, "BAD"}) ==
        "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n");
  std::string corrupt = payload;
  corrupt[3] ^= 1;
  CHECK(t.Run({"FUNCTION", "RESTORE", corrupt}) ==
        "-ERR DUMP payload version or checksum are wrong\r\n");
  CHECK(t.Run({"FUNCTION", "FLUSH"}) == kOk);
  CHECK(t.Run({"FUNCTION", "RESTORE", payload}) == kOk);
  CHECK(t.Run({"FCALL", "F1", "1", "k", "a"}) == "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  CHECK(t.Run({"FUNCTION", "DELETE", "mylib"}) == kOk);
  CHECK(t.Run({"FUNCTION", "DELETE", "mylib"}) == "-ERR Library not found\r\n");
  CHECK(t.Run({"FCALL", "f1", "0"}) == "-ERR Function not found\r\n");
  CHECK(t.Run({"FUNCTION", "FLUSH", "bad"}) ==
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n");
  CHECK(t.Run({"FUNCTION", "FLUSH", "sync", "extra"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION "
        "HELP.\r\n");
  CHECK(t.Run({"FUNCTION", "KILL"}) == "-NOTBUSY No scripts in execution right now.\r\n");
}

TEST_CASE("A busy script gets other clients BUSY and SCRIPT KILL stops it", "[scripting]") {
  CommandTester t(
      std::vector<std::pair<std::string, std::string>>{{"busy-reply-threshold", "100"}});
  int runner = t.AddClient();
  std::string script_reply;
  std::thread script([&] { script_reply = t.RunAs(runner, {"EVAL", "while true do end", "0"}); });
  while (!t.server().scripts().running()) std::this_thread::yield();
  // Before the threshold nothing is refused; past it (fake clock), only allow-busy commands.
  CHECK(t.Run({"SCRIPT", "KILL"}) == kOk);
  script.join();
  CHECK(script_reply ==
        ScriptError("ERR Script killed by user with SCRIPT KILL...", "while true do end"));
  std::thread script2([&] {
    script_reply = t.RunAs(runner, {"EVAL", "redis.call('set','w','1') while true do end", "0"});
  });
  while (!t.server().scripts().running() || !t.server().scripts().running_wrote()) {
    std::this_thread::yield();
  }
  t.AdvanceTime(200);
  CHECK(t.Run({"PING"}) ==
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
        "NOSAVE.\r\n");
  CHECK(t.Run({"FUNCTION", "KILL"}) ==
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You "
        "can either wait the script termination or kill the server in a hard way using the "
        "SHUTDOWN NOSAVE command.\r\n");
  CHECK(t.Run({"SCRIPT", "KILL"}).rfind("-UNKILLABLE", 0) == 0);
  CHECK(t.Run({"FUNCTION", "STATS"}).rfind("-BUSY", 0) == 0);
  t.server().scripts().AbortAll();  // what shutdown does
  script2.join();
  CHECK(t.Run({"GET", "w"}) == Bulk("1"));
}

}  // namespace
}  // namespace tessera::server
