// INFO stats counters that follow Redis's own counting (server.stat_keyspace_hits/misses).
#include <catch2/catch.hpp>

#include <string>

#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

std::string Field(CommandTester& t, const std::string& name) {
  std::string info = t.Run({"INFO", "stats"});
  size_t at = info.find("\r\n" + name + ":");
  if (at == std::string::npos) return "<missing>";
  at += name.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}

TEST_CASE("keyspace_hits and keyspace_misses count read lookups", "[info]") {
  CommandTester t;
  t.Run({"SET", "a", "1"});
  t.Run({"SET", "b", "2"});
  CHECK(Field(t, "keyspace_hits") == "0");  // writes are not counted
  CHECK(Field(t, "keyspace_misses") == "0");
  t.Run({"GET", "a"});
  t.Run({"GET", "nope"});
  t.Run({"MGET", "a", "b", "c"});
  t.Run({"EXISTS", "a", "zz"});
  CHECK(Field(t, "keyspace_hits") == "4");
  CHECK(Field(t, "keyspace_misses") == "3");
  // An expired key is a miss.
  t.Run({"SET", "e", "v", "PX", "10"});
  t.AdvanceTime(20);
  t.Run({"GET", "e"});
  CHECK(Field(t, "keyspace_misses") == "4");
  t.Run({"CONFIG", "RESETSTAT"});
  CHECK(Field(t, "keyspace_hits") == "0");
  CHECK(Field(t, "keyspace_misses") == "0");
}

}  // namespace
}  // namespace tessera::server
