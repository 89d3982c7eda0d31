// Client arguments echoed in error replies (issue 8).  Redis prints them with "%s", which stops
// at a NUL byte, caps some at 128 bytes, and turns CR and LF into spaces; the formatted errors
// also lose CR and LF at their very end.  Every expected reply here was read off redis-server
// for the same arguments.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

using namespace std::string_literals;

std::string Run(CommandTester& t, std::vector<std::string> args) { return t.Run(args); }

TEST_CASE("Unknown command and subcommand errors stop each argument at a NUL") {
  CommandTester t;
  CHECK(Run(t, {"a\0b"s, "c\0d"s, "x"}) ==
        "-ERR unknown command 'a', with args beginning with: 'c' 'x' \r\n");
  CHECK(Run(t, {"\0"s}) == "-ERR unknown command '', with args beginning with: \r\n");
  CHECK(Run(t, {"CLIENT", "a\0b"s}) == "-ERR unknown subcommand 'a'. Try CLIENT HELP.\r\n");
  CHECK(Run(t, {"OBJECT", "a\0b"s, "k"}) == "-ERR unknown subcommand 'a'. Try OBJECT HELP.\r\n");
  // Still capped at 128 bytes: a NUL beyond them changes nothing.
  std::string long_name = std::string(200, 'n') + "\0z"s;
  CHECK(Run(t, {long_name}) ==
        "-ERR unknown command '" + std::string(128, 'n') + "', with args beginning with: \r\n");
}

TEST_CASE("Option errors stop the echoed argument at a NUL") {
  CommandTester t(
      std::vector<std::pair<std::string, std::string>>{{"enable-debug-command", "yes"}});
  CHECK(Run(t, {"EXPIRE", "k", "10", "a\0b"s}) == "-ERR Unsupported option a\r\n");
  CHECK(Run(t, {"EXPIRE", "k", "10", "ab\r\n"}) == "-ERR Unsupported option ab\r\n");
  CHECK(Run(t, {"EXPIRE", "k", "10", "a\r\nb"}) == "-ERR Unsupported option a  b\r\n");
  CHECK(Run(t, {"CONFIG", "SET", "a\0b"s, "1"}) ==
        "-ERR Unknown option or number of arguments for CONFIG SET - 'a'\r\n");
  CHECK(Run(t, {"HELLO", "3", "a\0b"s}) == "-ERR Syntax error in HELLO option 'a'\r\n");
  CHECK(Run(t, {"CLIENT", "LIST", "TYPE", "a\0b"s}) == "-ERR Unknown client type 'a'\r\n");
  CHECK(Run(t, {"CLIENT", "KILL", "TYPE", "a\0b"s}) == "-ERR Unknown client type 'a'\r\n");
  CHECK(Run(t, {"CLIENT", "KILL", "USER", "a\0b"s}) == "-ERR No such user 'a'\r\n");
  CHECK(Run(t, {"CLIENT", "SETINFO", "a\0b"s, "x"}) == "-ERR Unrecognized option 'a'\r\n");
  CHECK(Run(t, {"PFADD", "hll", "x"}) == ":1\r\n");
  CHECK(Run(t, {"PFDEBUG", "a\0b"s, "hll"}) == "-ERR Unknown PFDEBUG subcommand 'a'\r\n");
  CHECK(Run(t, {"FUNCTION", "LIST", "a\0b"s}) == "-ERR Unknown argument a\r\n");
  CHECK(Run(t, {"DEBUG", "a\0b"s}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'a'. Try DEBUG HELP.\r\n");
}

}  // namespace
}  // namespace tessera::server
