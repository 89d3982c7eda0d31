// MEMORY STATS / DOCTOR / HELP, INFO memory's breakdown, CONFIG of maxmemory-clients and
// oom-score-adj, through the real dispatcher.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

// The keys of a RESP2 flat map reply (MEMORY STATS), in order, with nested maps' names.
std::vector<std::string> Keys(const std::string& reply) {
  std::vector<std::string> keys;
  std::istringstream in(reply);
  std::string line;
  std::getline(in, line);  // *N
  bool want_key = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '$') {
      std::string value;
      std::getline(in, value);
      if (!value.empty() && value.back() == '\r') value.pop_back();
      if (want_key) keys.push_back(value);
      want_key = !want_key;
    } else if (line[0] == '*') {
      want_key = true;  // a nested map's pairs follow
    } else {
      want_key = true;  // an integer value
    }
  }
  return keys;
}

TEST_CASE("MEMORY STATS: Redis's keys in Redis's order", "[memory]") {
  CommandTester t;
  CHECK(t.Run({"SET", "a", "1"}) == "+OK\r\n");
  CHECK(t.Run({"SELECT", "2"}) == "+OK\r\n");
  CHECK(t.Run({"SET", "b", "1"}) == "+OK\r\n");
  std::string reply = t.Run({"MEMORY", "STATS"});
  CHECK(reply.rfind("*58\r\n", 0) == 0);  // 27 pairs and two databases
  std::vector<std::string> expected = {"peak.allocated",
                                       "total.allocated",
                                       "startup.allocated",
                                       "replication.backlog",
                                       "clients.slaves",
                                       "clients.normal",
                                       "cluster.links",
                                       "aof.buffer",
                                       "lua.caches",
                                       "functions.caches",
                                       "db.0",
                                       "overhead.hashtable.main",
                                       "overhead.hashtable.expires",
                                       "overhead.hashtable.slot-to-keys",
                                       "db.2",
                                       "overhead.hashtable.main",
                                       "overhead.hashtable.expires",
                                       "overhead.hashtable.slot-to-keys",
                                       "overhead.total",
                                       "keys.count",
                                       "keys.bytes-per-key",
                                       "dataset.bytes",
                                       "dataset.percentage",
                                       "peak.percentage",
                                       "allocator.allocated",
                                       "allocator.active",
                                       "allocator.resident",
                                       "allocator-fragmentation.ratio",
                                       "allocator-fragmentation.bytes",
                                       "allocator-rss.ratio",
                                       "allocator-rss.bytes",
                                       "rss-overhead.ratio",
                                       "rss-overhead.bytes",
                                       "fragmentation",
                                       "fragmentation.bytes"};
  CHECK(Keys(reply) == expected);
  CHECK(reply.find("$10\r\nkeys.count\r\n:2\r\n") != std::string::npos);
  t.set_protocol(3);
  reply = t.Run({"MEMORY", "STATS"});
  CHECK(reply.rfind("%29\r\n", 0) == 0);
  CHECK(reply.find("$4\r\ndb.0\r\n%3\r\n") != std::string::npos);
  CHECK(reply.find("$18\r\ndataset.percentage\r\n,") != std::string::npos);
  CHECK(t.Run({"MEMORY", "STATS", "x"}) ==
        "-ERR wrong number of arguments for 'memory|stats' command\r\n");
}

TEST_CASE("MEMORY DOCTOR and HELP", "[memory]") {
  CommandTester t;
  std::string doctor = t.Run({"MEMORY", "DOCTOR"});
  CHECK(doctor.rfind("$", 0) == 0);  // RESP2: verbatim text as a bulk string
  CHECK(doctor.find("memory doctor") != std::string::npos);
  t.set_protocol(3);
  CHECK(t.Run({"MEMORY", "DOCTOR"}).rfind("=", 0) == 0);
  std::string help = t.Run({"MEMORY", "HELP"});
  for (const char* sub : {"DOCTOR", "MALLOC-STATS", "PURGE", "STATS", "USAGE"}) {
    CHECK(help.find(sub) != std::string::npos);
  }
}

std::map<std::string, std::string> InfoFields(const std::string& reply) {
  std::map<std::string, std::string> f;
  std::istringstream in(reply);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon != std::string::npos && line[0] != '#')
      f[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return f;
}

TEST_CASE("INFO memory: the breakdown adds up", "[memory]") {
  CommandTester t;
  for (int i = 0; i < 100; ++i) t.Run({"SET", "key:" + std::to_string(i), std::string(100, 'x')});
  auto f = InfoFields(t.Run({"INFO", "memory"}));
  uint64_t used = std::stoull(f["used_memory"]);
  uint64_t overhead = std::stoull(f["used_memory_overhead"]);
  uint64_t dataset = std::stoull(f["used_memory_dataset"]);
  CHECK(used > 0);
  CHECK(overhead > 0);
  CHECK(overhead + dataset == used);
  CHECK(f["allocator_allocated"] == f["used_memory"]);
  CHECK(f["mem_allocator"].rfind("jemalloc-", 0) == 0);
  CHECK(f["maxmemory_human"] == "0B");
  CHECK(f["lazyfree_pending_objects"] == "0");
}

TEST_CASE("CONFIG maxmemory-clients: bytes and percentages", "[memory][config]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "GET", "maxmemory-clients"}) ==
        "*2\r\n$17\r\nmaxmemory-clients\r\n$1\r\n0\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-clients", "10%"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "GET", "maxmemory-clients"}) ==
        "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-clients", "3mb"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "GET", "maxmemory-clients"}) ==
        "*2\r\n$17\r\nmaxmemory-clients\r\n$7\r\n3145728\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-clients", "101%"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage "
        "argument must be less or equal to 100\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-clients", "-1"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument "
        "must be a memory or percent value\r\n");
  CHECK(t.Run({"CONFIG", "SET", "maxmemory-clients", "x%"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument "
        "must be a memory or percent value\r\n");
}

TEST_CASE("CONFIG oom-score-adj and its values", "[memory][config]") {
  CommandTester t;
  CHECK(t.Run({"CONFIG", "GET", "oom-score-adj-values"}) ==
        "*2\r\n$20\r\noom-score-adj-values\r\n$9\r\n0 200 800\r\n");
  CHECK(t.Run({"CONFIG", "GET", "oom-score-adj"}) == "*2\r\n$13\r\noom-score-adj\r\n$2\r\nno\r\n");
  CHECK(t.Run({"CONFIG", "SET", "oom-score-adj-values", "-2001 0 0"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid "
        "oom-score-adj-values, elements must be between -2000 and 2000.\r\n");
  CHECK(t.Run({"CONFIG", "SET", "oom-score-adj-values", "1 2"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong "
        "number of arguments\r\n");
  CHECK(t.Run({"CONFIG", "SET", "oom-score-adj", "maybe"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'oom-score-adj') - argument(s) "
        "must be one of the following: no, yes, relative, absolute\r\n");
}

}  // namespace
}  // namespace tessera::server
