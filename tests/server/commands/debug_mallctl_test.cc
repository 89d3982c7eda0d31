// DEBUG MALLCTL / MALLCTL-STR through the dispatcher; replies checked against redis-server
// 7.0.15 built on Debian's jemalloc 5.3 (where it does not crash).
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

const std::vector<std::pair<std::string, std::string>> kDebugOn = {{"enable-debug-command", "yes"}};

TEST_CASE("DEBUG MALLCTL reads and writes jemalloc integers", "[debug]") {
  CommandTester t(kDebugOn);
  CHECK(t.Run({"DEBUG", "MALLCTL", "arenas.page"}) == ":4096\r\n");
  CHECK(t.Run({"DEBUG", "MALLCTL", "nosuch.thing"}) == "-ERR No such file or directory\r\n");
  CHECK(t.Run({"DEBUG", "MALLCTL", "arenas.page", "x"}) ==
        "-ERR value is not an integer or out of range\r\n");
  // A control with no value cannot be read.
  CHECK(t.Run({"DEBUG", "MALLCTL", "thread.tcache.flush"}) == "-ERR Operation not permitted\r\n");
  // A 4-byte control (unsigned) and a 1-byte one (bool).
  CHECK(t.Run({"DEBUG", "MALLCTL", "arenas.nbins"}).starts_with(":"));
  CHECK(t.Run({"DEBUG", "MALLCTL", "config.stats"}) == ":1\r\n");
  CHECK(t.Run({"DEBUG", "MALLCTL"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'MALLCTL'. Try DEBUG HELP.\r\n");
}

TEST_CASE("DEBUG MALLCTL-STR reads strings, calls VOID controls, never misreads", "[debug]") {
  CommandTester t(kDebugOn);
  CHECK(t.Run({"DEBUG", "MALLCTL-STR", "thread.tcache.flush", "VOID"}) == "+OK\r\n");
  std::string version = t.Run({"DEBUG", "MALLCTL-STR", "version"});
  CHECK(version.find("\r\n5.") != std::string::npos);
  CHECK(t.Run({"DEBUG", "MALLCTL-STR", "nosuch"}) == "-ERR No such file or directory\r\n");
  // An integer control read as a string: refused, where Redis dereferences the integer.
  CHECK(t.Run({"DEBUG", "MALLCTL-STR", "arenas.page"}) == "-ERR Invalid argument\r\n");
  CHECK(t.Run({"DEBUG", "MALLCTL-STR", "arenas.page", "5"}) == "-ERR Invalid argument\r\n");
}

}  // namespace
}  // namespace tessera::server
