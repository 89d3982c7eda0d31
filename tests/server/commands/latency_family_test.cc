// LATENCY and INFO latencystats, in-process.  Durations are real (commands take what they
// take), so the tests assert counts, shapes and the monitor's bookkeeping, never durations:
// monitor samples are added with chosen times through LatencyMonitor itself.
#include <catch2/catch.hpp>

#include <string>

#include "server/latency.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::Bulk;

std::string Section(CommandTester& t, const char* name) { return t.Run({"INFO", name}); }

TEST_CASE("LATENCY HISTOGRAM counts calls per command and subcommand", "[latency]") {
  CommandTester t;
  t.Run({"CONFIG", "RESETSTAT"});
  t.Run({"SET", "a", "1"});
  t.Run({"SET", "b", "2"});
  t.Run({"GET", "a"});
  t.Run({"CLIENT", "ID"});
  std::string all = t.Run({"LATENCY", "HISTOGRAM"});
  // set, get, client|id and config|resetstat (counted after it cleared the tables).
  CHECK(all.starts_with("*8\r\n"));
  CHECK(all.find(Bulk("set") + "*4\r\n" + Bulk("calls") + ":2\r\n" + Bulk("histogram_usec")) !=
        std::string::npos);
  CHECK(all.find(Bulk("config|resetstat") + "*4\r\n" + Bulk("calls") + ":1\r\n") !=
        std::string::npos);
  // Named commands: a container stands for its subcommands; unknown names are skipped.
  std::string some = t.Run({"LATENCY", "HISTOGRAM", "nosuch", "get", "client", "zadd"});
  CHECK(some.starts_with("*4\r\n" + Bulk("get") + "*4\r\n" + Bulk("calls") + ":1\r\n"));
  CHECK(some.find(Bulk("client|id")) != std::string::npos);
  CHECK(t.Run({"LATENCY", "HISTOGRAM", "blabla"}) == "*0\r\n");
  // RESP3: maps.
  t.set_protocol(3);
  CHECK(t.Run({"LATENCY", "HISTOGRAM", "get"}).starts_with("%1\r\n" + Bulk("get") + "%2\r\n"));
  t.set_protocol(2);
  // One step of the distribution for one fast call: {bucket_us: 1}.
  t.Run({"CONFIG", "RESETSTAT"});
  t.Run({"GET", "a"});
  std::string one = t.Run({"LATENCY", "HISTOGRAM", "get"});
  CHECK(one.find(Bulk("histogram_usec") + "*2\r\n:") != std::string::npos);
  CHECK(one.ends_with(":1\r\n"));
}

TEST_CASE("INFO latencystats: percentiles per command, configurable, off with tracking",
          "[latency]") {
  CommandTester t;
  t.Run({"SET", "a", "1"});
  std::string s = Section(t, "latencystats");
  CHECK(s.find("# Latencystats\r\n") != std::string::npos);
  size_t at = s.find("latency_percentiles_usec_set:p50=");
  REQUIRE(at != std::string::npos);
  std::string line = s.substr(at, s.find("\r\n", at) - at);
  CHECK(line.find(",p99=") != std::string::npos);
  CHECK(line.find(",p99.9=") != std::string::npos);
  CHECK(s.find("latency_percentiles_usec_get:") == std::string::npos);  // never called

  CHECK(t.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "0 12.5 100"}) ==
        test_replies::kOk);
  CHECK(t.Run({"CONFIG", "GET", "latency-tracking-info-percentiles"}) ==
        "*2\r\n" + Bulk("latency-tracking-info-percentiles") + Bulk("0 12.5 100"));
  s = Section(t, "latencystats");
  CHECK(s.find("latency_percentiles_usec_set:p0=") != std::string::npos);
  CHECK(s.find(",p12.5=") != std::string::npos);
  CHECK(s.find(",p100=") != std::string::npos);
  CHECK(t.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "101"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') "
        "- latency-tracking-info-percentiles parameters should sit between [0.0,100.0]\r\n");
  CHECK(t.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "abc"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') "
        "- Invalid latency-tracking-info-percentiles parameters\r\n");
  // An empty list prints the command's name and nothing after the colon.
  t.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", ""});
  CHECK(Section(t, "latencystats").find("latency_percentiles_usec_set:\r\n") != std::string::npos);

  t.Run({"CONFIG", "SET", "latency-tracking", "no"});
  s = Section(t, "latencystats");
  CHECK(s.find("# Latencystats\r\n") != std::string::npos);
  CHECK(s.find("latency_percentiles_usec_") == std::string::npos);
  // Not in the default sections, in "all" and "everything".
  CHECK(t.Run({"INFO"}).find("Latencystats") == std::string::npos);
  CHECK(t.Run({"INFO", "everything"}).find("# Latencystats") != std::string::npos);
}

TEST_CASE("latency monitor: one sample per second, the worst of that second", "[latency]") {
  LatencyMonitor m;
  m.Add("command", 250, 1000);
  m.Add("command", 300, 1000);  // same second: raises the sample
  m.Add("command", 100, 1000);  // lower: ignored
  m.Add("command", 120, 1002);
  std::string name;
  LatencyMonitor::Series s;
  REQUIRE(m.Get("command", &name, &s));
  auto kept = s.InOrder();
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].time_s == 1000);
  CHECK(kept[0].latency_ms == 300);
  CHECK(kept[1].latency_ms == 120);
  CHECK(s.max_ms == 300);
  CHECK(s.Latest().time_s == 1002);
  // The history is bounded: the oldest samples go.
  for (int i = 0; i < 200; ++i) m.Add("fork", i, 2000 + i);
  REQUIRE(m.Get("fork", &name, &s));
  kept = s.InOrder();
  REQUIRE(kept.size() == LatencyMonitor::kHistoryLen);
  CHECK(kept.front().latency_ms == 200 - LatencyMonitor::kHistoryLen);
  CHECK(kept.back().latency_ms == 199);
  CHECK(s.max_ms == 199);
  // Names are looked up as given, reset in any case.
  CHECK(!m.Get("COMMAND", &name, &s));
  CHECK(m.Reset("COMMAND") == 1);
  CHECK(m.Reset("command") == 0);
  CHECK(m.ResetAll() == 1);
}

TEST_CASE("latency analysis, graph and doctor", "[latency]") {
  LatencyMonitor m;
  m.Add("expire-cycle", 100, 1000);
  m.Add("expire-cycle", 300, 1010);
  m.Add("expire-cycle", 200, 1020);
  std::string name;
  LatencyMonitor::Series s;
  REQUIRE(m.Get("expire-cycle", &name, &s));
  LatencyEventStats st = AnalyzeLatency(s, 1030);
  CHECK(st.samples == 3);
  CHECK(st.avg == 200);
  CHECK(st.min == 100);
  CHECK(st.max == 300);
  CHECK(st.mad == 66);  // (100 + 100 + 0) / 3
  CHECK(st.period_s == 30);
  CHECK(st.all_time_high == 300);

  std::string graph = LatencyGraph(name, s, 1030);
  CHECK(graph.starts_with("expire-cycle - high 300 ms, low 100 ms (all time high 300 ms)\n" +
                          std::string(80, '-') + "\n"));
  // Three columns: the highest one is full in every row; labels 30s, 20s, 10s downwards.
  CHECK(graph.find("\n |\n") != std::string::npos);
  CHECK(graph.ends_with("321\n000\nsss\n"));

  std::string doctor = LatencyDoctorReport(m.Snapshot(), 1030, 50);
  CHECK(doctor.find("1. expire-cycle: 3 latency spikes (average 200ms, mean deviation 66ms, "
                    "period 10.00 sec). Worst ever: 300ms.") != std::string::npos);
  CHECK(doctor.find("- Expiry:") != std::string::npos);
  CHECK(doctor.find("- Slow commands:") == std::string::npos);
  CHECK(LatencyDoctorReport({}, 1030, 0).find("latency monitor is off") != std::string::npos);
  CHECK(LatencyDoctorReport({}, 1030, 10).find("No latency spike") != std::string::npos);
}

TEST_CASE("LATENCY LATEST, HISTORY, GRAPH, RESET and HELP replies", "[latency]") {
  CommandTester t;
  CHECK(t.Run({"LATENCY", "LATEST"}) == "*0\r\n");
  CHECK(t.Run({"LATENCY", "HISTORY", "command"}) == "*0\r\n");
  CHECK(t.Run({"LATENCY", "GRAPH", "command"}) ==
        "-ERR No samples available for event 'command'\r\n");
  t.server().latency().Add("command", 450, 1700000000);
  t.server().latency().Add("command", 300, 1700000001);
  CHECK(t.Run({"LATENCY", "LATEST"}) ==
        "*1\r\n*4\r\n" + Bulk("command") + ":1700000001\r\n:300\r\n:450\r\n");
  CHECK(t.Run({"LATENCY", "HISTORY", "command"}) ==
        "*2\r\n*2\r\n:1700000000\r\n:450\r\n*2\r\n:1700000001\r\n:300\r\n");
  CHECK(t.Run({"LATENCY", "GRAPH", "command"}).starts_with("$"));
  CHECK(t.Run({"LATENCY", "DOCTOR"}).find("1. command: 2 latency spikes") != std::string::npos);
  CHECK(t.Run({"LATENCY", "RESET", "blabla"}) == ":0\r\n");
  CHECK(t.Run({"LATENCY", "RESET"}) == ":1\r\n");
  CHECK(t.Run({"LATENCY", "LATEST"}) == "*0\r\n");
  CHECK(t.Run({"LATENCY", "HELP", "xxx"}).find("wrong number of arguments for 'latency|help'") !=
        std::string::npos);
  CHECK(t.Run({"LATENCY", "HELP"})
            .starts_with(
                "*17\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"));
  CHECK(t.Run({"LATENCY", "NOPE"}) == "-ERR unknown subcommand 'NOPE'. Try LATENCY HELP.\r\n");
}

TEST_CASE("latency-monitor-threshold gates the command events", "[latency]") {
  CommandTester t;
  CommandStats stats;
  const CommandSpec& get = *t.server().commands().Find("get");
  const CommandSpec& keys = *t.server().commands().Find("keys");
  // Off: nothing is recorded, however slow; the histogram still is.
  NoteCommandLatency(t.server(), get, stats, 500000);
  CHECK(t.Run({"LATENCY", "LATEST"}) == "*0\r\n");
  REQUIRE(stats.latency.get() != nullptr);
  CHECK(stats.latency.get()->total() == 1);
  t.Run({"CONFIG", "SET", "latency-monitor-threshold", "100"});
  MaybeRecordLatency(t.server(), "expire-cycle", 99);
  CHECK(t.Run({"LATENCY", "LATEST"}) == "*0\r\n");
  MaybeRecordLatency(t.server(), "expire-cycle", 100);
  CHECK(t.Run({"LATENCY", "LATEST"}).find(Bulk("expire-cycle")) != std::string::npos);
  // A fast command's slowness is its own event.
  NoteCommandLatency(t.server(), get, stats, 150000);
  NoteCommandLatency(t.server(), keys, stats, 99000);
  std::string latest = t.Run({"LATENCY", "LATEST"});
  CHECK(latest.find(Bulk("fast-command")) != std::string::npos);
  CHECK(latest.find(Bulk("command") + ":") == std::string::npos);
  NoteCommandLatency(t.server(), keys, stats, 100000);
  CHECK(t.Run({"LATENCY", "HISTORY", "command"}).starts_with("*1\r\n*2\r\n"));
}

}  // namespace
}  // namespace tessera::server
