// The Prometheus text exposition of the server's INFO figures, for `metrics-port`.
//
// Metric names are those of the widely used Redis exporter (oliver006/redis_exporter:
// redis_up, redis_memory_used_bytes, redis_keyspace_hits_total, redis_db_keys{db="db0"},
// redis_commands_total{cmd="get"}, ...), so dashboards and alerts written for it work against
// Tessera unchanged.  The figures come from INFO itself (BuildInfo of every section): one
// source of truth, and a metric always agrees with the INFO field it mirrors.  INFO fields
// without an exporter name are not exported.
//
// Pure text in, text out for the mapping (PrometheusFromInfo, unit-tested on fixed INFO
// text); BuildMetricsText reads the live server.
#pragma once

#include <string>
#include <string_view>

namespace tessera::server {

class Server;

// Converts INFO text (any sections, "\r\n" lines) into Prometheus text format 0.0.4.
std::string PrometheusFromInfo(std::string_view info);

// The /metrics body for the running server.
std::string BuildMetricsText(Server& server);

}  // namespace tessera::server
