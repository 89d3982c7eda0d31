// The Prometheus exposition of metrics-port: exporter names from INFO text, and the HTTP
// replies of the endpoint (without sockets).
#include "server/metrics_text.h"

#include <catch2/catch.hpp>

#include "server/net/metrics_http.h"

namespace tessera::server {
namespace {

const char* kInfo =
    "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\nos:Linux\r\n"
    "process_id:42\r\ntcp_port:6379\r\nrun_id:abc\r\nserver_time_usec:1700000100000000\r\n"
    "uptime_in_seconds:100\r\n\r\n# Clients\r\nconnected_clients:3\r\n\r\n"
    "# Memory\r\nused_memory:1048576\r\nmaxmemory_policy:allkeys-lru\r\n"
    "mem_fragmentation_ratio:1.25\r\n\r\n# Persistence\r\nrdb_last_bgsave_status:ok\r\n"
    "aof_last_write_status:err\r\n\r\n# Stats\r\ntotal_commands_processed:17\r\n"
    "keyspace_hits:5\r\nkeyspace_misses:2\r\nexpired_keys:1\r\nevicted_keys:0\r\n\r\n"
    "# Replication\r\nrole:master\r\n\r\n# Commandstats\r\n"
    "cmdstat_get:calls=4,usec=200,usec_per_call=50.00,rejected_calls=1,failed_calls=0\r\n"
    "cmdstat_client|id:calls=1,usec=3,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n"
    "\r\n# Errorstats\r\nerrorstat_WRONGTYPE:count=2\r\n\r\n# Keyspace\r\n"
    "db0:keys=10,expires=4,avg_ttl=2500\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n";

TEST_CASE("Prometheus text uses the redis_exporter names", "[metrics]") {
  std::string m = PrometheusFromInfo(kInfo);
  for (const char* line : {
           "# TYPE redis_up gauge\nredis_up 1\n",
           "redis_instance_info{role=\"master\",redis_version=\"7.2.4\",redis_mode=\"standalone\","
           "os=\"Linux\",tcp_port=\"6379\",run_id=\"abc\",process_id=\"42\","
           "maxmemory_policy=\"allkeys-lru\"} 1\n",
           "redis_start_time_seconds 1700000000\n",
           "# TYPE redis_connected_clients gauge\nredis_connected_clients 3\n",
           "# TYPE redis_memory_used_bytes gauge\nredis_memory_used_bytes 1048576\n",
           "redis_mem_fragmentation_ratio 1.25\n",
           "redis_rdb_last_bgsave_status 1\n",
           "redis_aof_last_write_status 0\n",
           "# TYPE redis_commands_processed_total counter\nredis_commands_processed_total 17\n",
           "# TYPE redis_keyspace_hits_total counter\nredis_keyspace_hits_total 5\n",
           "redis_keyspace_misses_total 2\n",
           "redis_expired_keys_total 1\n",
           "redis_evicted_keys_total 0\n",
           "redis_db_keys{db=\"db0\"} 10\nredis_db_keys{db=\"db3\"} 1\n",
           "redis_db_keys_expiring{db=\"db0\"} 4\n",
           "redis_db_avg_ttl_seconds{db=\"db0\"} 2.5\n",
           "# TYPE redis_commands_total counter\nredis_commands_total{cmd=\"get\"} 4\n"
           "redis_commands_total{cmd=\"client|id\"} 1\n",
           "redis_commands_duration_seconds_total{cmd=\"get\"} 0.0002\n",
           "redis_commands_rejected_calls_total{cmd=\"get\"} 1\n",
           "redis_errors_total{err=\"WRONGTYPE\"} 2\n",
       }) {
    INFO(line);
    CHECK(m.find(line) != std::string::npos);
  }
  // Text fields are not numbers: not exported on their own.
  CHECK(m.find("redis_maxmemory_policy") == std::string::npos);
  // Every sample line belongs to a family announced just before it.
  CHECK(m.find("# HELP redis_db_keys ") < m.find("redis_db_keys{"));
}

TEST_CASE("metrics HTTP replies", "[metrics]") {
  auto render = [] { return std::string("redis_up 1\n"); };
  using net::MetricsHttpServer;
  CHECK(MetricsHttpServer::Respond("GET /metrics HTTP/1.1\r\nHost: x\r\n", false, render) == "");
  CHECK(MetricsHttpServer::Respond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", false, render) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
        "Content-Length: 11\r\nConnection: close\r\n\r\nredis_up 1\n");
  CHECK(MetricsHttpServer::Respond("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n", false, render)
            .ends_with("Content-Length: 11\r\nConnection: close\r\n\r\n"));
  CHECK(MetricsHttpServer::Respond("GET / HTTP/1.1\r\n\r\n", false, render)
            .starts_with("HTTP/1.1 404 Not Found\r\n"));
  CHECK(MetricsHttpServer::Respond("POST /metrics HTTP/1.1\r\n\r\n", false, render)
            .starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK(MetricsHttpServer::Respond("garbage\r\n\r\n", false, render)
            .starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(MetricsHttpServer::Respond("GET /metrics HTTP/1.1\r\nX: y", true, render)
            .starts_with("HTTP/1.1 400 Bad Request\r\n"));
}

}  // namespace
}  // namespace tessera::server
