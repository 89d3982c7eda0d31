// INFO fields of the expiry cycle, keyspace avg_ttl and the debug section, with the fake clock.
#include <catch2/catch.hpp>

#include <string>

#include "server/expire_cycle.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

std::string Field(CommandTester& t, const char* section, const std::string& name) {
  std::string info = t.Run({"INFO", section});
  size_t at = info.find("\r\n" + name + ":");
  if (at == std::string::npos) return "<missing>";
  at += name.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}

TEST_CASE("expire cycle statistics: stale share, time cap, reset", "[info]") {
  CommandTester t;
  for (int i = 0; i < 100; ++i) {
    t.Run({"SET", "k" + std::to_string(i), "v", "PX", i < 50 ? "10" : "100000"});
  }
  t.AdvanceTime(20);
  // Half the volatile keys were due: this cycle weighs 5% of the running average.
  CHECK(RunActiveExpireCycle(t.server(), 0, 1, t.now_ms(), 10'000'000) == 50);
  CHECK(Field(t, "stats", "expired_keys") == "50");
  CHECK(Field(t, "stats", "expired_stale_perc") == "2.50");
  CHECK(Field(t, "stats", "expired_time_cap_reached_count") == "0");
  CHECK(Field(t, "stats", "expire_cycle_cpu_milliseconds") != "<missing>");
  // A cycle with no time left stops at once and says so.
  RunActiveExpireCycle(t.server(), 0, 1, t.now_ms(), 0);
  CHECK(Field(t, "stats", "expired_time_cap_reached_count") == "1");
  t.Run({"CONFIG", "RESETSTAT"});
  CHECK(Field(t, "stats", "expired_stale_perc") == "0.00");
  CHECK(Field(t, "stats", "expired_time_cap_reached_count") == "0");
}

TEST_CASE("keyspace avg_ttl is the TTL left on average, in ms", "[info]") {
  CommandTester t;
  for (int i = 0; i < 20; ++i) t.Run({"SET", "e" + std::to_string(i), "v", "EX", "100"});
  t.Run({"SET", "forever", "v"});
  CHECK(t.Run({"INFO", "keyspace"}).find("db0:keys=21,expires=20,avg_ttl=100000\r\n") !=
        std::string::npos);
  t.AdvanceTime(40'000);
  CHECK(t.Run({"INFO", "keyspace"}).find("db0:keys=21,expires=20,avg_ttl=60000\r\n") !=
        std::string::npos);
  t.Run({"SELECT", "2"});
  t.Run({"SET", "p", "v"});
  CHECK(t.Run({"INFO", "keyspace"}).find("db2:keys=1,expires=0,avg_ttl=0\r\n") !=
        std::string::npos);
}

TEST_CASE("INFO debug only when named", "[info]") {
  CommandTester t;
  std::string debug = t.Run({"INFO", "debug"});
  CHECK(debug.find("# Debug\r\neventloop_duration_aof_sum:0\r\neventloop_duration_cron_sum:") !=
        std::string::npos);
  CHECK(debug.find("eventloop_duration_max:") != std::string::npos);
  CHECK(debug.find("eventloop_cmd_per_cycle_max:") != std::string::npos);
  CHECK(t.Run({"INFO", "everything"}).find("# Debug") == std::string::npos);
  CHECK(t.Run({"INFO", "all"}).find("eventloop_duration_aof_sum") == std::string::npos);
}

TEST_CASE("CLIENT UNBLOCK ERROR counts the blocked command's failed call", "[info]") {
  CommandTester t;
  int b = t.AddClient();
  std::string id = t.RunAs(b, {"CLIENT", "ID"});
  REQUIRE(id.size() > 3);
  id = id.substr(1, id.size() - 3);
  t.Run({"CONFIG", "RESETSTAT"});
  CHECK(t.RunAs(b, {"BLPOP", "list", "0"}) == "");
  CHECK(t.Run({"CLIENT", "UNBLOCK", id, "ERROR"}) == ":1\r\n");
  CHECK(t.TakeDelivered(b).starts_with("-UNBLOCKED"));
  CHECK(t.Run({"INFO", "errorstats"}).find("errorstat_UNBLOCKED:count=1\r\n") != std::string::npos);
  // Counted once, with the time its first run took (a few microseconds), as Redis does.
  const std::string stats = t.Run({"INFO", "commandstats"});
  CHECK(stats.find("cmdstat_blpop:calls=1,usec=") != std::string::npos);
  CHECK(stats.find("rejected_calls=0,failed_calls=1\r\n") != std::string::npos);
  // RESETSTAT, CLIENT UNBLOCK, BLPOP and two INFOs.
  CHECK(Field(t, "stats", "total_commands_processed") == "5");
  CHECK(Field(t, "stats", "total_error_replies") == "1");
}

}  // namespace
}  // namespace tessera::server
