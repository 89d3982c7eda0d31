// Server family command tests: INFO, CONFIG, COMMAND, SLOWLOG, TIME, LASTSAVE, DEBUG, MEMORY,
// through the real dispatcher.  Expected bytes and digests were checked against redis-server.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "core/keyspace/entry.h"
#include "server/commands/command_docs_data.h"
#include "server/commands/errors.h"
#include "server/commands/server_family.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

using Overrides = std::vector<std::pair<std::string, std::string>>;

// Stores a string key directly in the keyspace (no string family needed).
void PutString(CommandTester& t, int db, std::string_view key, std::string_view value,
               int64_t expire_at_ms = keyspace::kNoExpiry) {
  keyspace::Keyspace& ks = t.server().keyspace();
  std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf(key)).mutex());
  keyspace::DbAccess db_access(&ks, db, t.now_ms(), (t.now_ms() / 1000) & 0xFFFFFF);
  db_access.Upsert(
      keyspace::Entry::NewStringAutoEncoded(key, value, expire_at_ms, db_access.clock()));
}

// The text of a RESP2 bulk reply.
std::string BulkBody(const std::string& reply) {
  REQUIRE(reply.size() >= 4);
  REQUIRE(reply[0] == '$');
  size_t start = reply.find("\r\n") + 2;
  return reply.substr(start, reply.size() - start - 2);
}

// INFO text -> field map; `sections` receives the "# Title" lines in order.
std::map<std::string, std::string> ParseInfo(const std::string& text,
                                             std::vector<std::string>* sections = nullptr) {
  std::map<std::string, std::string> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    REQUIRE(end != std::string::npos);  // every line ends with CRLF
    std::string line = text.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (sections != nullptr) sections->push_back(line.substr(2));
      continue;
    }
    size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

std::map<std::string, std::string> Info(CommandTester& t, std::vector<std::string_view> args,
                                        std::vector<std::string>* sections = nullptr) {
  std::vector<std::string> cmd{"INFO"};
  for (std::string_view a : args) cmd.emplace_back(a);
  return ParseInfo(BulkBody(t.Run(cmd)), sections);
}

bool IsUnsigned(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// ---- INFO ----

TEST_CASE("INFO default lists Redis's default sections in order", "[server_family][info]") {
  CommandTester t;
  std::vector<std::string> sections;
  auto f = Info(t, {}, &sections);
  CHECK(sections == std::vector<std::string>{"Server", "Clients", "Memory", "Persistence", "Stats",
                                             "Replication", "CPU", "Modules", "Errorstats",
                                             "Cluster", "Keyspace"});
  CHECK(f["redis_version"] == "7.2.4");
  CHECK(f.count("tessera_version") == 1);
  CHECK(f["redis_mode"] == "standalone");
  CHECK(f["multiplexing_api"] == "epoll");
  CHECK(f["run_id"] == t.server().run_id());
  CHECK(f["run_id"].size() == 40);
  CHECK(IsUnsigned(f["process_id"]));
  CHECK(IsUnsigned(f["uptime_in_seconds"]));
  CHECK(IsUnsigned(f["server_time_usec"]));
  CHECK(f["arch_bits"] == "64");
  CHECK(f["blocked_clients"] == "0");
  CHECK(IsUnsigned(f["connected_clients"]));
  CHECK(IsUnsigned(f["maxclients"]));
  CHECK(std::stoull(f["used_memory"]) > 0);
  CHECK(std::stoull(f["used_memory_rss"]) > 0);
  CHECK(f["mem_allocator"].find("jemalloc") == 0);
  CHECK(f["maxmemory_policy"] == "noeviction");
  CHECK(f["loading"] == "0");
  CHECK(f["rdb_changes_since_last_save"] == "0");
  CHECK(f["rdb_bgsave_in_progress"] == "0");
  CHECK(f["aof_enabled"] == "0");
  CHECK(f["aof_rewrite_in_progress"] == "0");
  CHECK(f["rdb_last_save_time"] == std::to_string(t.server().start_time_ms() / 1000));
  CHECK(f["role"] == "master");
  CHECK(f["connected_slaves"] == "0");
  CHECK(f["master_replid"].size() == 40);
  CHECK(f["master_repl_offset"] == "0");
  CHECK(std::regex_match(f["used_cpu_sys"], std::regex("[0-9]+\\.[0-9]{6}")));
  CHECK(std::regex_match(f["used_cpu_user"], std::regex("[0-9]+\\.[0-9]{6}")));
  CHECK(f["cluster_enabled"] == "0");
  CHECK(f.count("listener0") == 0);  // no port: no TCP listener
  CHECK(f.count("expired_keys") == 1);
  CHECK(f.count("total_error_replies") == 1);
  CHECK(f.count("lazyfree_pending_objects") == 1);
  CHECK(f.count("mem_not_counted_for_evict") == 1);
}

TEST_CASE("INFO server lists the listeners", "[server_family][info]") {
  CommandTester t({{"bind", "127.0.0.1 -::1"}, {"unixsocket", "/tmp/tessera.sock"}});
  t.server().set_tcp_port(6390);
  auto f = Info(t, {"server"});
  CHECK(f["listener0"] == "name=tcp,bind=127.0.0.1,bind=-::1,port=6390");
  CHECK(f["listener1"] == "name=unix,bind=/tmp/tessera.sock");
  CHECK(f.count("listener2") == 0);
  CHECK(f["tcp_port"] == "6390");
  // With TLS, Redis 7.2 adds listener2; tcp_port shows the TLS port when there is no other.
  t.server().set_tls_port(6391);
  f = Info(t, {"server"});
  CHECK(f["listener2"] == "name=tls,bind=127.0.0.1,bind=-::1,port=6391");
  t.server().set_tcp_port(0);
  f = Info(t, {"server"});
  CHECK(f.count("listener0") == 0);
  CHECK(f["tcp_port"] == "6391");
}

TEST_CASE("INFO selects sections by name, case-insensitively", "[server_family][info]") {
  CommandTester t;
  std::vector<std::string> sections;
  auto f = Info(t, {"CPU"}, &sections);
  CHECK(sections == std::vector<std::string>{"CPU"});
  CHECK(f.count("used_cpu_user") == 1);
  CHECK(f.count("used_memory") == 0);

  sections.clear();
  Info(t, {"keyspace", "server", "commandSTATS"}, &sections);
  CHECK(sections == std::vector<std::string>{"Server", "Commandstats", "Keyspace"});

  // Unknown sections select nothing.
  CHECK(t.Run({"INFO", "sentinel"}) == "$0\r\n\r\n");

  sections.clear();
  Info(t, {"all"}, &sections);
  CHECK(sections == std::vector<std::string>{"Server", "Clients", "Memory", "Persistence", "Stats",
                                             "Replication", "CPU", "Modules", "Commandstats",
                                             "Errorstats", "Latencystats", "Cluster", "Keyspace"});
  std::vector<std::string> everything;
  Info(t, {"everything"}, &everything);
  CHECK(everything == sections);

  // "cpu default": the defaults once each.
  sections.clear();
  std::string text = BulkBody(t.Run({"INFO", "cpu", "default"}));
  CHECK(text.find("used_cpu_user_children") == text.rfind("used_cpu_user_children"));
  CHECK(text.find("rejected_calls") == std::string::npos);
}

TEST_CASE("INFO sections are separated by one blank line", "[server_family][info]") {
  CommandTester t;
  std::string text = BulkBody(t.Run({"INFO", "cpu", "cluster"}));
  CHECK(std::regex_match(text, std::regex("# CPU\r\n(used_cpu_[a-z_]+:[0-9.]+\r\n){6}"
                                          "\r\n# Cluster\r\ncluster_enabled:0\r\n")));
}

TEST_CASE("INFO is a verbatim string in RESP3", "[server_family][info]") {
  CommandTester t;
  t.set_protocol(3);
  std::string reply = t.Run({"INFO", "cluster"});
  std::string body = "# Cluster\r\ncluster_enabled:0\r\n";
  CHECK(reply == "=" + std::to_string(body.size() + 4) + "\r\ntxt:" + body + "\r\n");
}

TEST_CASE("INFO commandstats counts calls, failures and rejections", "[server_family][info]") {
  CommandTester t;
  t.Run({"PING"});
  t.Run({"PING"});
  t.Run({"ECHO", "a", "b"});       // arity: rejected
  t.Run({"CONFIG", "GET", "hz"});  // a subcommand
  t.Run({"SLOWLOG", "GET", "x"});  // fails inside the handler
  auto f = Info(t, {"commandstats"});
  CHECK(std::regex_match(f["cmdstat_ping"],
                         std::regex("calls=2,usec=[0-9]+,usec_per_call=[0-9]+\\.[0-9]{2},"
                                    "rejected_calls=0,failed_calls=0")));
  CHECK(std::regex_match(f["cmdstat_echo"],
                         std::regex("calls=0,usec=0,usec_per_call=0\\.00,rejected_calls=1,"
                                    "failed_calls=0")));
  CHECK(std::regex_match(f["cmdstat_config|get"], std::regex("calls=1,.*failed_calls=0")));
  CHECK(std::regex_match(f["cmdstat_slowlog|get"],
                         std::regex("calls=1,.*rejected_calls=0,failed_calls=1")));
  CHECK(f.count("cmdstat_time") == 0);  // never called: not listed
}

TEST_CASE("INFO errorstats and total_error_replies", "[server_family][info]") {
  CommandTester t;
  t.Run({"NOSUCHCOMMAND"});
  t.Run({"ECHO"});
  t.Run({"DEBUG", "OBJECT", "k"});  // not enabled: ERR
  auto f = Info(t, {"errorstats", "stats"});
  CHECK(f["errorstat_ERR"] == "count=3");
  CHECK(f["total_error_replies"] == "3");
}

TEST_CASE("INFO keyspace counts keys and expires per DB", "[server_family][info]") {
  CommandTester t;
  std::vector<std::string> sections;
  auto empty = Info(t, {"keyspace"}, &sections);
  CHECK(sections == std::vector<std::string>{"Keyspace"});
  CHECK(empty.empty());

  PutString(t, 0, "a", "1");
  PutString(t, 0, "b", "2", t.now_ms() + 100000);
  PutString(t, 9, "c", "3");
  auto f = Info(t, {"keyspace"});
  CHECK(f.size() == 2);
  CHECK(f["db0"] == "keys=2,expires=1,avg_ttl=100000");  // the TTL left, estimated
  CHECK(f["db9"] == "keys=1,expires=0,avg_ttl=0");
}

TEST_CASE("INFO stats sums the workers' counters", "[server_family][info]") {
  CommandTester t;
  auto before = Info(t, {"stats"});
  t.Run({"PING"});
  auto after = Info(t, {"stats"});
  // INFO itself and the PING.
  CHECK(std::stoull(after["total_commands_processed"]) ==
        std::stoull(before["total_commands_processed"]) + 2);
  CHECK(IsUnsigned(after["instantaneous_ops_per_sec"]));
  CHECK(std::regex_match(after["instantaneous_input_kbps"], std::regex("[0-9]+\\.[0-9]{2}")));
}

TEST_CASE("INFO's instantaneous rates come from 100 ms samples", "[server_family][info]") {
  InstantMetrics m;
  uint64_t totals[InstantMetrics::kNumMetrics] = {0, 0, 0};
  CHECK(m.Sample(1000, totals));
  CHECK(m.PerSecond(InstantMetrics::kCommands) == 0);
  totals[InstantMetrics::kCommands] = 50;
  CHECK_FALSE(m.Sample(1050, totals));  // too soon: ignored
  CHECK(m.PerSecond(InstantMetrics::kCommands) == 0);
  m.Sample(1100, totals);  // 50 commands in 100 ms
  CHECK(m.PerSecond(InstantMetrics::kCommands) == 500);
  totals[InstantMetrics::kCommands] = 50;
  m.Sample(1200, totals);  // idle 100 ms: average of 500 and 0
  CHECK(m.PerSecond(InstantMetrics::kCommands) == 250);
  CHECK(m.UpdatePeakMemory(10) == 10);
  CHECK(m.UpdatePeakMemory(5) == 10);
}

// ---- CONFIG ----

TEST_CASE("CONFIG SET then GET", "[server_family][config]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "GET", "slowlog-log-slower-than"}) ==
        "*2\r\n$23\r\nslowlog-log-slower-than\r\n$1\r\n0\r\n");
  CHECK(t.Run({"CONFIG", "SET", "slowlog-max-len", "7", "hz", "20"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "GET", "slowlog-max-len"}) ==
        "*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n7\r\n");
  CHECK(t.server().config().hz.load() == 20);
  t.set_protocol(3);
  CHECK(t.Run({"CONFIG", "GET", "hz"}) == "%1\r\n$2\r\nhz\r\n$2\r\n20\r\n");
  CHECK(t.Run({"CONFIG", "GET", "no-such-parameter"}) == "%0\r\n");
}

TEST_CASE("CONFIG SET and GET errors", "[server_family][config]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "SET", "hz", "10", "maxclients"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"CONFIG", "SET", "no-such-parameter", "1"}) ==
        "-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-parameter'\r\n");
  CHECK(t.Run({"CONFIG", "SET", "hz"}) ==
        "-ERR wrong number of arguments for 'config|set' command\r\n");
  CHECK(t.Run({"CONFIG", "GET"}) == "-ERR wrong number of arguments for 'config|get' command\r\n");
  CHECK(t.Run({"CONFIG"}) == "-ERR wrong number of arguments for 'config' command\r\n");
  CHECK(t.Run({"CONFIG", "NOPE"}) == "-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n");
}

TEST_CASE("CONFIG RESETSTAT clears command and error statistics, not the slowlog",
          "[server_family][config]") {
  CommandTester t;
  t.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  t.Run({"PING"});
  t.Run({"NOSUCHCOMMAND"});
  CHECK(t.Run({"CONFIG", "RESETSTAT"}) == "+OK\r\n");
  auto f = Info(t, {"commandstats", "errorstats", "stats"});
  CHECK(f.count("cmdstat_ping") == 0);
  CHECK(f.count("errorstat_ERR") == 0);
  CHECK(f["total_error_replies"] == "0");
  // Only RESETSTAT itself since the reset: a command is counted after it replies.
  CHECK(f["cmdstat_config|resetstat"].rfind("calls=1,", 0) == 0);
  CHECK(f.count("cmdstat_info") == 0);
  CHECK(f["total_commands_processed"] == "1");
  CHECK(t.Run({"SLOWLOG", "LEN"}) != ":0\r\n");
}

TEST_CASE("CONFIG HELP", "[server_family][config]") {
  CommandTester t;
  std::string help = t.Run({"config", "help"});
  CHECK(help.rfind("*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
                   0) == 0);
  CHECK(help.find("+RESETSTAT\r\n") != std::string::npos);
  CHECK(help.size() > 5);
  CHECK(help.substr(help.size() - 30) == "+HELP\r\n+    Print this help.\r\n");
}

// ---- COMMAND ----

TEST_CASE("COMMAND COUNT and COMMAND agree with the table", "[server_family][command]") {
  CommandTester t;
  size_t n = t.server().commands().top_level().size();
  CHECK(t.Run({"COMMAND", "COUNT"}) == ":" + std::to_string(n) + "\r\n");
  CHECK(t.Run({"COMMAND"}).rfind("*" + std::to_string(n) + "\r\n*10\r\n", 0) == 0);
}

TEST_CASE("COMMAND INFO matches Redis byte for byte", "[server_family][command]") {
  CommandTester t;
  CHECK(t.Run({"COMMAND", "INFO", "time"}) ==
        "*1\r\n*10\r\n$4\r\ntime\r\n:1\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n"
        "*1\r\n+@fast\r\n*1\r\n$23\r\nnondeterministic_output\r\n*0\r\n*0\r\n");
  CHECK(t.Run({"COMMAND", "INFO", "MEMORY|usage"}) ==
        "*1\r\n*10\r\n$12\r\nmemory|usage\r\n:-3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n"
        "*2\r\n+@read\r\n+@slow\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n"
        "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n"
        "$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
        "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
        "*0\r\n");
  CHECK(t.Run({"COMMAND", "INFO", "get|key", "nosuch", "config|get|x"}) ==
        "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"COMMAND", "INFO", "time"}) ==
        "*1\r\n*10\r\n$4\r\ntime\r\n:1\r\n~3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n"
        "~1\r\n+@fast\r\n~1\r\n$23\r\nnondeterministic_output\r\n~0\r\n~0\r\n");
  CHECK(t.Run({"COMMAND", "INFO", "nosuch"}) == "*1\r\n_\r\n");
}

TEST_CASE("COMMAND INFO of a container lists its subcommands", "[server_family][command]") {
  CommandTester t;
  std::string reply = t.Run({"COMMAND", "INFO", "config"});
  CHECK(reply.rfind("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n"
                    "*0\r\n*0\r\n*5\r\n*10\r\n",
                    0) == 0);
  CHECK(reply.find("$10\r\nconfig|set\r\n:-4\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale"
                   "\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*2\r\n"
                   "$24\r\nrequest_policy:all_nodes\r\n$29\r\nresponse_policy:all_succeeded\r\n"
                   "*0\r\n*0\r\n") != std::string::npos);
  // DEBUG keeps Redis's shape: no key spec, no movablekeys, protected flag hidden.
  CHECK(t.Run({"COMMAND", "INFO", "debug"}) ==
        "*1\r\n*10\r\n$5\r\ndebug\r\n:-2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n"
        ":0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n");
}

TEST_CASE("COMMAND GETKEYS and GETKEYSANDFLAGS", "[server_family][command]") {
  CommandTester t;
  CHECK(t.Run({"COMMAND", "GETKEYS", "memory", "usage", "k"}) == "*1\r\n$1\r\nk\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "memory", "usage", "k"}) ==
        "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n+RO\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "nosuch", "x"}) == "-ERR Invalid command specified\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "memory", "nosuch"}) == "-ERR Invalid command specified\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "echo", "x"}) == "-ERR The command has no key arguments\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "memory", "usage"}) ==
        "-ERR Invalid number of arguments specified for command\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "ping"}) == "-ERR The command has no key arguments\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS"}) ==
        "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

TEST_CASE("COMMAND GETKEYS mset and COMMAND INFO get", "[server_family][command]") {
  CommandTester t;
  CHECK(t.Run({"COMMAND", "GETKEYS", "MSET", "k1", "v1", "k2", "v2", "k3", "v3"}) ==
        "*3\r\n$2\r\nk1\r\n$2\r\nk2\r\n$2\r\nk3\r\n");
  // Byte for byte what redis-server replies.
  CHECK(t.Run({"COMMAND", "INFO", "get"}) ==
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n"
        "+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
        "*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
        "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n"
        ":0\r\n*0\r\n");
  std::string mset = t.Run({"COMMAND", "INFO", "mset"});
  CHECK(mset.find("$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:2\r\n") != std::string::npos);
  // The string family documents no arguments yet: COMMAND DOCS uses the fallback table.
  CHECK(t.Run({"COMMAND", "DOCS", "set"}).find("$10\r\nexpiration\r\n") != std::string::npos);
}

TEST_CASE("COMMAND LIST and its filters", "[server_family][command]") {
  CommandTester t;
  std::string all = t.Run({"COMMAND", "LIST"});
  CHECK(all.rfind("*" + std::to_string(t.server().commands().size()) + "\r\n", 0) == 0);
  CHECK(all.find("$10\r\nconfig|get\r\n") != std::string::npos);
  CHECK(t.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*re*"}) ==
        "*2\r\n$16\r\nconfig|resetstat\r\n$14\r\nconfig|rewrite\r\n");
  CHECK(t.Run({"COMMAND", "LIST", "FILTERBY", "pattern", "TIME"}) == "*1\r\n$4\r\ntime\r\n");
  CHECK(t.Run({"COMMAND", "LIST", "FILTERBY", "pattern", "non_exists*"}) == "*0\r\n");
  CHECK(t.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "non_existing_category"}) == "*0\r\n");
  CHECK(t.Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}) == "*0\r\n");
  std::string dangerous = t.Run({"COMMAND", "LIST", "FILTERBY", "aclcat", "dangerous"});
  CHECK(dangerous.find("$5\r\ndebug\r\n") != std::string::npos);
  CHECK(dangerous.find("$4\r\ntime\r\n") == std::string::npos);
  for (auto args : {std::vector<std::string>{"COMMAND", "LIST", "bad_arg"},
                    std::vector<std::string>{"COMMAND", "LIST", "FILTERBY", "bad_arg"},
                    std::vector<std::string>{"COMMAND", "LIST", "FILTERBY", "bad", "x"},
                    std::vector<std::string>{"COMMAND", "LIST", "FILTERBY", "pattern"}}) {
    CHECK(t.Run(args) == "-ERR syntax error\r\n");
  }
}

TEST_CASE("COMMAND DOCS", "[server_family][command]") {
  CommandTester t;
  t.set_protocol(3);
  auto b = [](std::string_view x) {
    return "$" + std::to_string(x.size()) + "\r\n" + std::string(x) + "\r\n";
  };
  CHECK(t.Run({"COMMAND", "DOCS", "memory|usage"}) ==
        "%1\r\n" + b("memory|usage") + "%5\r\n" + b("summary") +
            b("Estimates the bytes a key and its value occupy.") + b("since") + b("4.0.0") +
            b("group") + b("server") + b("complexity") +
            b("O(N) in the key's size; SAMPLES is accepted and unused.") + b("arguments") + "*2\r\n" + "%4\r\n" +
            b("name") + b("key") + b("type") + b("key") + b("display_text") + b("key") +
            b("key_spec_index") + ":0\r\n" + "%5\r\n" + b("name") + b("count") + b("type") +
            b("integer") + b("display_text") + b("count") + b("token") + b("SAMPLES") + b("flags") +
            "~1\r\n+optional\r\n");
  // Unknown names are skipped; a container documents its subcommands.
  std::string docs = t.Run({"COMMAND", "DOCS", "nosuch", "slowlog"});
  CHECK(docs.rfind("%1\r\n$7\r\nslowlog\r\n%5\r\n", 0) == 0);
  CHECK(docs.find("$11\r\nsubcommands\r\n%4\r\n$11\r\nslowlog|get\r\n") != std::string::npos);
  std::string all = t.Run({"COMMAND", "DOCS"});
  CHECK(all.rfind("%" + std::to_string(t.server().commands().top_level().size()) + "\r\n", 0) == 0);
}

TEST_CASE("COMMAND DOCS describes string and generic arguments", "[server_family][command]") {
  // The string family documents its own commands; generic ones come from the fallback table.
  CommandTester t;
  const std::vector<ArgDoc>* set = &t.server().commands().Find("set")->arguments;
  REQUIRE(set->size() == 5);
  CHECK((*set)[2].name == "condition");
  CHECK((*set)[2].type == ArgType::kOneOf);
  CHECK((*set)[2].flags == kArgOptional);
  CHECK((*set)[4].args[0].token == "EX");
  CHECK(t.server().commands().Find("mset")->arguments.at(0).type == ArgType::kBlock);
  // COMMAND DOCS serves Redis's argument tree of a Redis command (command_docs_data.h).
  const RedisCommandDocs* expire = FindRedisCommandDocs("expire");
  REQUIRE(expire != nullptr);
  REQUIRE(expire->arguments.size() == 3);
  CHECK(expire->arguments[2].since == "7.0.0");
  CHECK(expire->arguments[0].key_spec_index == 0);
  CHECK(FindRedisCommandDocs("hexpire") == nullptr);
  CHECK(FindRedisCommandDocs("no-such") == nullptr);
}

TEST_CASE("COMMAND DOCS shows deprecation, history and argument versions as Redis 7.2",
          "[server_family][command]") {
  CommandTester t;
  t.set_protocol(3);
  auto b = [](std::string_view x) {
    return "$" + std::to_string(x.size()) + "\r\n" + std::string(x) + "\r\n";
  };
  const CommandSpec* getset = t.server().commands().Find("getset");
  REQUIRE(getset != nullptr);
  // Redis's order: summary, since, group, complexity, doc_flags, deprecated_since,
  // replaced_by, history, arguments.
  CHECK(t.Run({"COMMAND", "DOCS", "getset"}) ==
        "%1\r\n" + b("getset") + "%8\r\n" + b("summary") + b(getset->summary) + b("since") +
            b("1.0.0") + b("group") + b("string") + b("complexity") + b(getset->complexity) +
            b("doc_flags") + "~1\r\n+deprecated\r\n" + b("deprecated_since") + b("6.2.0") +
            b("replaced_by") + b("SET key value GET") + b("arguments") + "*2\r\n" + "%4\r\n" +
            b("name") + b("key") + b("type") + b("key") + b("display_text") + b("key") +
            b("key_spec_index") + ":0\r\n" + "%3\r\n" + b("name") + b("value") + b("type") +
            b("string") + b("display_text") + b("value"));
  // History entries are a set of [version, change] pairs; an argument added later says since.
  std::string lpop = t.Run({"COMMAND", "DOCS", "lpop"});
  CHECK(lpop.find(b("history") + "~1\r\n*2\r\n" + b("6.2.0") +
                  b("An optional count pops several elements at once.")) != std::string::npos);
  CHECK(lpop.find(b("name") + b("count") + b("type") + b("integer") + b("display_text") +
                  b("count") + b("since") + b("6.2.0") + b("flags") + "~1\r\n+optional\r\n") !=
        std::string::npos);
  // A syscmd, and a command Redis documents no complexity for.
  CHECK(t.Run({"COMMAND", "DOCS", "pfdebug"}).find(b("doc_flags") + "~1\r\n+syscmd\r\n") !=
        std::string::npos);
  CHECK(t.Run({"COMMAND", "DOCS", "monitor"}).find("complexity") == std::string::npos);
  // SORT's BY and GET patterns belong to its second key spec, STORE's key to the third.
  std::string sort = t.Run({"COMMAND", "DOCS", "sort"});
  CHECK(sort.find(b("by-pattern") + b("type") + b("pattern") + b("display_text") + b("pattern") +
                  b("key_spec_index") + ":1\r\n") != std::string::npos);
  CHECK(sort.find(b("destination") + b("type") + b("key") + b("display_text") + b("destination") +
                  b("key_spec_index") + ":2\r\n") != std::string::npos);
  // RESP2: the sets are arrays, the maps flat arrays.
  t.set_protocol(2);
  CHECK(t.Run({"COMMAND", "DOCS", "pfdebug"}).find(b("doc_flags") + "*1\r\n+syscmd\r\n") !=
        std::string::npos);
}

TEST_CASE("COMMAND HELP", "[server_family][command]") {
  CommandTester t;
  std::string help = t.Run({"command", "help"});
  CHECK(help.rfind("*17\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", 0) ==
        0);
}

// ---- SLOWLOG ----

TEST_CASE("SLOWLOG with slowlog-log-slower-than 0", "[server_family][slowlog]") {
  CommandTester t;
  t.client().addr = "127.0.0.1:5555";
  t.client().name = "tester";
  t.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  CHECK(t.Run({"SLOWLOG", "RESET"}) == "+OK\r\n");
  CHECK(t.Run({"ECHO", "hello"}) == "$5\r\nhello\r\n");
  // The RESET itself was logged after it ran, then ECHO.
  CHECK(t.Run({"SLOWLOG", "LEN"}) == ":2\r\n");
  // Newest first: the SLOWLOG LEN, as sent, at the command clock's second.
  std::smatch m;
  std::string get = t.Run({"SLOWLOG", "GET", "1"});
  REQUIRE(std::regex_match(get, m,
                           std::regex("\\*1\r\n\\*6\r\n:[0-9]+\r\n:([0-9]+)\r\n:[0-9]+\r\n"
                                      "\\*2\r\n\\$7\r\nSLOWLOG\r\n\\$3\r\nLEN\r\n"
                                      "\\$14\r\n127.0.0.1:5555\r\n\\$6\r\ntester\r\n")));
  CHECK(m[1] == std::to_string(t.now_ms() / 1000));

  std::string all = t.Run({"SLOWLOG", "GET", "-1"});
  CHECK(all.rfind("*4\r\n", 0) == 0);  // reset, echo, len, get 1
  CHECK(t.Run({"SLOWLOG", "GET", "0"}) == "*0\r\n");
  CHECK(t.Run({"SLOWLOG", "GET", "-2"}) == "-ERR count should be greater than or equal to -1\r\n");
  CHECK(t.Run({"SLOWLOG", "GET", "x"}) == "-ERR count should be greater than or equal to -1\r\n");
  CHECK(t.Run({"SLOWLOG", "LEN", "x"}) ==
        "-ERR wrong number of arguments for 'slowlog|len' command\r\n");
}

TEST_CASE("SLOWLOG hides the values of sensitive parameters", "[server_family][slowlog]") {
  CommandTester t;
  t.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  t.Run({"SLOWLOG", "RESET"});
  t.Run({"CONFIG", "SET", "requirepass", "secret", "hz", "11"});
  t.Run({"CONFIG", "SET", "requirepass", ""});
  std::string log = t.Run({"SLOWLOG", "GET", "2"});
  CHECK(log.find("secret") == std::string::npos);
  CHECK(log.find("$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$10\r\n(redacted)\r\n"
                 "$2\r\nhz\r\n$2\r\n11\r\n") != std::string::npos);
}

TEST_CASE("SLOWLOG respects slowlog-max-len and the threshold", "[server_family][slowlog]") {
  CommandTester t;
  t.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3"});
  for (int i = 0; i < 10; ++i) t.Run({"PING"});
  CHECK(t.Run({"SLOWLOG", "LEN"}) == ":3\r\n");
  t.Run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"});
  t.Run({"SLOWLOG", "RESET"});
  t.Run({"PING"});
  CHECK(t.Run({"SLOWLOG", "LEN"}) == ":0\r\n");
  std::string help = t.Run({"SLOWLOG", "HELP"});
  CHECK(help.rfind("*11\r\n+SLOWLOG <subcommand>", 0) == 0);
}

// ---- TIME, LASTSAVE ----

TEST_CASE("CLIENT INFO and LIST name the command running them", "[server_family][client]") {
  CommandTester t;
  CHECK(t.Run({"CLIENT", "INFO"}).find(" cmd=client|info ") != std::string::npos);
  CHECK(t.Run({"CLIENT", "LIST"}).find(" cmd=client|list ") != std::string::npos);
  // Inside EXEC the client's command stays exec.
  t.Run({"MULTI"});
  t.Run({"CLIENT", "INFO"});
  CHECK(t.Run({"EXEC"}).find(" cmd=exec ") != std::string::npos);
}

TEST_CASE("TIME and LASTSAVE", "[server_family]") {
  CommandTester t;
  std::smatch m;
  std::string time = t.Run({"TIME"});
  REQUIRE(std::regex_match(time, m,
                           std::regex("\\*2\r\n\\$10\r\n([0-9]{10})\r\n\\$[0-9]\r\n"
                                      "([0-9]{1,6})\r\n")));
  int64_t secs = std::stoll(m[1]);
  CHECK(std::abs(secs - Server::RealNowMs() / 1000) <= 2);
  CHECK(t.Run({"LASTSAVE"}) == ":" + std::to_string(t.server().start_time_ms() / 1000) + "\r\n");
  CHECK(t.Run({"TIME", "x"}) == "-ERR wrong number of arguments for 'time' command\r\n");
}

// ---- DEBUG ----

const Overrides kDebugOn = {{"enable-debug-command", "yes"}};

TEST_CASE("DEBUG is refused unless enable-debug-command allows it", "[server_family][debug]") {
  CommandTester t;
  CHECK(t.Run({"DEBUG", "HELP"}) == "-" + std::string(errors::kDebugDisabled) + "\r\n");
}

TEST_CASE("DEBUG LOG, SLEEP, SET-ACTIVE-EXPIRE, ERROR", "[server_family][debug]") {
  CommandTester t(kDebugOn);
  CHECK(t.Run({"DEBUG", "LOG", "### Starting test x"}) == "+OK\r\n");
  CHECK(t.Run({"DEBUG", "SLEEP", "0"}) == "+OK\r\n");
  CHECK(t.Run({"DEBUG", "SLEEP", "0.01"}) == "+OK\r\n");
  CHECK(t.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == "+OK\r\n");
  CHECK_FALSE(t.server().active_expire_enabled.load());
  CHECK(t.Run({"debug", "set-active-expire", "1"}) == "+OK\r\n");
  CHECK(t.server().active_expire_enabled.load());
  CHECK(t.Run({"DEBUG", "ERROR", "FOO bar\nbaz"}) == "-FOO bar baz\r\n");
  CHECK(t.Run({"DEBUG", "SLEEP"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n");
  CHECK(t.Run({"debug", "jmap"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'jmap'. Try DEBUG HELP.\r\n");
  CHECK(t.Run({"DEBUG"}) == "-ERR wrong number of arguments for 'debug' command\r\n");
  CHECK(t.Run({"DEBUG", "RELOAD", "NOSAVE", "BADOPT"}) ==
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n");
  CHECK(t.Run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"}) == "+OK\r\n");
  CHECK(t.Run({"DEBUG", "HELP"}).rfind("*42\r\n+DEBUG <subcommand>", 0) == 0);
}

TEST_CASE("DEBUG OBJECT", "[server_family][debug]") {
  CommandTester t(kDebugOn);
  CHECK(t.Run({"DEBUG", "OBJECT", "missing"}) == "-ERR no such key\r\n");
  PutString(t, 0, "k", "v");
  PutString(t, 0, "n", "12345");
  PutString(t, 0, "big", "123456789012");
  t.AdvanceTime(3000);
  std::smatch m;
  std::string obj = t.Run({"DEBUG", "OBJECT", "k"});
  REQUIRE(std::regex_match(obj, m,
                           std::regex("\\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr "
                                      "serializedlength:2 lru:([0-9]+) lru_seconds_idle:3\r\n")));
  CHECK(std::stoll(m[1]) == ((t.now_ms() - 3000) / 1000 & 0xFFFFFF));
  CHECK(std::regex_match(t.Run({"DEBUG", "OBJECT", "n"}),
                         std::regex("\\+Value at:0x[0-9a-f]+ refcount:1 encoding:int "
                                    "serializedlength:3 lru:[0-9]+ lru_seconds_idle:3\r\n")));
  CHECK(std::regex_match(t.Run({"DEBUG", "OBJECT", "big"}),
                         std::regex("\\+Value at:0x[0-9a-f]+ refcount:1 encoding:(int|embstr) "
                                    "serializedlength:13 .*\r\n")));
  PutString(t, 0, "small", "1");  // Redis's shared integers report refcount INT_MAX
  CHECK(std::regex_match(t.Run({"DEBUG", "OBJECT", "small"}),
                         std::regex("\\+Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int "
                                    "serializedlength:2 .*\r\n")));
  // The address names the entry: stable while the key is untouched.
  CHECK(t.Run({"DEBUG", "OBJECT", "k"}).substr(0, 30) == obj.substr(0, 30));
}

TEST_CASE("DEBUG DIGEST and DIGEST-VALUE equal Redis's", "[server_family][debug]") {
  CommandTester t(kDebugOn);
  CHECK(t.Run({"DEBUG", "DIGEST"}) == "+0000000000000000000000000000000000000000\r\n");
  PutString(t, 0, "k", "v");
  // Digests computed by redis-server 7.0.15 for the same data.
  CHECK(t.Run({"DEBUG", "DIGEST"}) == "+264ccf65edec66bccfa7cc659414ccca432057d2\r\n");
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "k", "missing"}) ==
        "*2\r\n+d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f\r\n"
        "+0000000000000000000000000000000000000000\r\n");
  PutString(t, 0, "n", "12345");
  CHECK(t.Run({"DEBUG", "DIGEST"}) == "+39bd85711911b83f6d9db728d4a43b1f9bbc10d3\r\n");
  PutString(t, 0, "n", "12345", t.now_ms() + 100000);
  CHECK(t.Run({"DEBUG", "DIGEST"}) == "+72a563c2a7fbdc82ccaae85e3d65d9153dd8a347\r\n");
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE", "n"}) ==
        "*1\r\n+074a6e8892a0b0b4fcf085794cb69322c36c9d00\r\n");
  PutString(t, 9, "a", "b");
  CHECK(t.Run({"DEBUG", "DIGEST"}) == "+88d7970c13354036cc5de556f66138440740ef74\r\n");
  CHECK(t.Run({"DEBUG", "DIGEST-VALUE"}) == "*0\r\n");
}

TEST_CASE("DEBUG PROTOCOL replies each RESP type", "[server_family][debug]") {
  CommandTester t(kDebugOn);
  CHECK(t.Run({"DEBUG", "PROTOCOL", "string"}) == "$11\r\nHello World\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "integer"}) == ":12345\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "bignum"}) ==
        "$37\r\n1234567999999999999999999999999999999\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "null"}) == "$-1\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "map"}) == "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "attrib"}) ==
        "$39\r\nSome real reply following the attribute\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "push"}) == "-ERR RESP2 is not supported by this command\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "true"}) == ":1\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "nope"}).rfind("-ERR Wrong protocol type name.", 0) == 0);
  t.set_protocol(3);
  CHECK(t.Run({"DEBUG", "PROTOCOL", "null"}) == "_\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "set"}) == "~3\r\n:0\r\n:1\r\n:2\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "false"}) == "#f\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "bignum"}) == "(1234567999999999999999999999999999999\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "verbatim"}) == "=29\r\ntxt:This is a verbatim\nstring\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "attrib"}) ==
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
        "$39\r\nSome real reply following the attribute\r\n");
  CHECK(t.Run({"DEBUG", "PROTOCOL", "push"}) ==
        ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push "
        "reply\r\n");
}

// ---- MEMORY ----

TEST_CASE("MEMORY USAGE", "[server_family][memory]") {
  CommandTester t;
  CHECK(t.Run({"MEMORY", "USAGE", "missing"}) == "$-1\r\n");
  PutString(t, 0, "k", "value");
  size_t expected = 0;
  {
    keyspace::Keyspace& ks = t.server().keyspace();
    std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf("k")).mutex());
    keyspace::DbAccess db(&ks, 0, t.now_ms(), 0);
    expected = db.Find("k", false)->AllocationSize() + 8;
  }
  CHECK(t.Run({"MEMORY", "USAGE", "k"}) == ":" + std::to_string(expected) + "\r\n");
  CHECK(t.Run({"MEMORY", "USAGE", "k", "SAMPLES", "0"}) == ":" + std::to_string(expected) + "\r\n");
  CHECK(t.Run({"MEMORY", "USAGE", "k", "SAMPLES"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"MEMORY", "USAGE", "k", "SAMPLES", "-1"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"MEMORY", "USAGE", "k", "SAMPLES", "x"}) ==
        "-ERR value is not an integer or out of range\r\n");
  CHECK(t.Run({"MEMORY", "USAGE", "k", "FOO", "1"}) == "-ERR syntax error\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"MEMORY", "USAGE", "missing"}) == "_\r\n");
}

TEST_CASE("MEMORY HELP, PURGE and MALLOC-STATS", "[server_family][memory]") {
  CommandTester t;
  CHECK(t.Run({"MEMORY", "HELP"}).rfind("*14\r\n+MEMORY <subcommand>", 0) == 0);
  CHECK(t.Run({"MEMORY", "PURGE"}) == "+OK\r\n");
  CHECK(t.Run({"MEMORY", "MALLOC-STATS"}).find("jemalloc") != std::string::npos);
}

}  // namespace
}  // namespace tessera::server
