#include "server/metrics_text.h"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <vector>

#include "server/commands/server_family.h"
#include "server/server.h"

namespace tessera::server {

namespace {

enum class Kind { kGauge, kCounter };

struct Mapping {
  std::string_view info;    // INFO field
  std::string_view metric;  // without the redis_ prefix
  Kind kind;
};

// INFO field -> exporter metric.  Order: the order of INFO's sections.
constexpr Mapping kMappings[] = {
    {"uptime_in_seconds", "uptime_in_seconds", Kind::kGauge},
    {"process_id", "process_id", Kind::kGauge},
    {"connected_clients", "connected_clients", Kind::kGauge},
    {"blocked_clients", "blocked_clients", Kind::kGauge},
    {"tracking_clients", "tracking_clients", Kind::kGauge},
    {"client_recent_max_input_buffer", "client_recent_max_input_buffer_bytes", Kind::kGauge},
    {"client_recent_max_output_buffer", "client_recent_max_output_buffer_bytes", Kind::kGauge},
    {"maxclients", "config_maxclients", Kind::kGauge},
    {"used_memory", "memory_used_bytes", Kind::kGauge},
    {"used_memory_rss", "memory_used_rss_bytes", Kind::kGauge},
    {"used_memory_peak", "memory_used_peak_bytes", Kind::kGauge},
    {"used_memory_overhead", "memory_used_overhead_bytes", Kind::kGauge},
    {"used_memory_startup", "memory_used_startup_bytes", Kind::kGauge},
    {"used_memory_dataset", "memory_used_dataset_bytes", Kind::kGauge},
    {"allocator_allocated", "allocator_allocated_bytes", Kind::kGauge},
    {"allocator_active", "allocator_active_bytes", Kind::kGauge},
    {"allocator_resident", "allocator_resident_bytes", Kind::kGauge},
    {"used_memory_lua", "memory_used_lua_bytes", Kind::kGauge},
    {"used_memory_scripts", "memory_used_scripts_bytes", Kind::kGauge},
    {"maxmemory", "memory_max_bytes", Kind::kGauge},
    {"allocator_frag_ratio", "allocator_frag_ratio", Kind::kGauge},
    {"allocator_frag_bytes", "allocator_frag_bytes", Kind::kGauge},
    {"allocator_rss_ratio", "allocator_rss_ratio", Kind::kGauge},
    {"allocator_rss_bytes", "allocator_rss_bytes", Kind::kGauge},
    {"mem_fragmentation_ratio", "mem_fragmentation_ratio", Kind::kGauge},
    {"mem_fragmentation_bytes", "mem_fragmentation_bytes", Kind::kGauge},
    {"mem_not_counted_for_evict", "mem_not_counted_for_eviction_bytes", Kind::kGauge},
    {"mem_clients_slaves", "mem_clients_slaves", Kind::kGauge},
    {"mem_clients_normal", "mem_clients_normal", Kind::kGauge},
    {"active_defrag_running", "active_defrag_running", Kind::kGauge},
    {"lazyfree_pending_objects", "lazyfree_pending_objects", Kind::kGauge},
    {"loading", "loading_dump_file", Kind::kGauge},
    {"rdb_changes_since_last_save", "rdb_changes_since_last_save", Kind::kGauge},
    {"rdb_bgsave_in_progress", "rdb_bgsave_in_progress", Kind::kGauge},
    {"rdb_last_save_time", "rdb_last_save_timestamp_seconds", Kind::kGauge},
    {"rdb_last_bgsave_status", "rdb_last_bgsave_status", Kind::kGauge},
    {"rdb_last_bgsave_time_sec", "rdb_last_bgsave_duration_sec", Kind::kGauge},
    {"rdb_current_bgsave_time_sec", "rdb_current_bgsave_duration_sec", Kind::kGauge},
    {"rdb_last_cow_size", "rdb_last_cow_size_bytes", Kind::kGauge},
    {"aof_enabled", "aof_enabled", Kind::kGauge},
    {"aof_rewrite_in_progress", "aof_rewrite_in_progress", Kind::kGauge},
    {"aof_rewrite_scheduled", "aof_rewrite_scheduled", Kind::kGauge},
    {"aof_last_rewrite_time_sec", "aof_last_rewrite_duration_sec", Kind::kGauge},
    {"aof_current_rewrite_time_sec", "aof_current_rewrite_duration_sec", Kind::kGauge},
    {"aof_last_cow_size", "aof_last_cow_size_bytes", Kind::kGauge},
    {"aof_current_size", "aof_current_size_bytes", Kind::kGauge},
    {"aof_base_size", "aof_base_size_bytes", Kind::kGauge},
    {"aof_pending_rewrite", "aof_pending_rewrite", Kind::kGauge},
    {"aof_buffer_length", "aof_buffer_length", Kind::kGauge},
    {"aof_pending_bio_fsync", "aof_pending_bio_fsync", Kind::kGauge},
    {"aof_delayed_fsync", "aof_delayed_fsync", Kind::kGauge},
    {"aof_last_bgrewrite_status", "aof_last_bgrewrite_status", Kind::kGauge},
    {"aof_last_write_status", "aof_last_write_status", Kind::kGauge},
    {"module_fork_in_progress", "module_fork_in_progress", Kind::kGauge},
    {"module_fork_last_cow_size", "module_fork_last_cow_size", Kind::kGauge},
    {"total_connections_received", "connections_received_total", Kind::kCounter},
    {"total_commands_processed", "commands_processed_total", Kind::kCounter},
    {"instantaneous_ops_per_sec", "instantaneous_ops_per_sec", Kind::kGauge},
    {"total_net_input_bytes", "net_input_bytes_total", Kind::kCounter},
    {"total_net_output_bytes", "net_output_bytes_total", Kind::kCounter},
    {"instantaneous_input_kbps", "instantaneous_input_kbps", Kind::kGauge},
    {"instantaneous_output_kbps", "instantaneous_output_kbps", Kind::kGauge},
    {"rejected_connections", "rejected_connections_total", Kind::kCounter},
    {"sync_full", "replica_resyncs_full", Kind::kGauge},
    {"sync_partial_ok", "replica_partial_resync_accepted", Kind::kGauge},
    {"sync_partial_err", "replica_partial_resync_denied", Kind::kGauge},
    {"expired_keys", "expired_keys_total", Kind::kCounter},
    {"expired_stale_perc", "expired_stale_percentage", Kind::kGauge},
    {"expired_time_cap_reached_count", "expired_time_cap_reached_total", Kind::kGauge},
    {"evicted_keys", "evicted_keys_total", Kind::kCounter},
    {"keyspace_hits", "keyspace_hits_total", Kind::kCounter},
    {"keyspace_misses", "keyspace_misses_total", Kind::kCounter},
    {"pubsub_channels", "pubsub_channels", Kind::kGauge},
    {"pubsub_patterns", "pubsub_patterns", Kind::kGauge},
    {"latest_fork_usec", "latest_fork_usec", Kind::kGauge},
    {"migrate_cached_sockets", "migrate_cached_sockets_total", Kind::kGauge},
    {"slave_expires_tracked_keys", "slave_expires_tracked_keys", Kind::kGauge},
    {"active_defrag_hits", "defrag_hits", Kind::kGauge},
    {"active_defrag_misses", "defrag_misses", Kind::kGauge},
    {"active_defrag_key_hits", "defrag_key_hits", Kind::kGauge},
    {"active_defrag_key_misses", "defrag_key_misses", Kind::kGauge},
    {"total_error_replies", "total_error_replies", Kind::kCounter},
    {"connected_slaves", "connected_slaves", Kind::kGauge},
    {"master_repl_offset", "master_repl_offset", Kind::kGauge},
    {"second_repl_offset", "second_repl_offset", Kind::kGauge},
    {"repl_backlog_active", "repl_backlog_is_active", Kind::kGauge},
    {"repl_backlog_size", "replication_backlog_bytes", Kind::kGauge},
    {"repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset", Kind::kGauge},
    {"repl_backlog_histlen", "repl_backlog_history_bytes", Kind::kGauge},
    {"used_cpu_sys", "cpu_sys_seconds_total", Kind::kCounter},
    {"used_cpu_user", "cpu_user_seconds_total", Kind::kCounter},
    {"used_cpu_sys_children", "cpu_sys_children_seconds_total", Kind::kCounter},
    {"used_cpu_user_children", "cpu_user_children_seconds_total", Kind::kCounter},
    {"used_cpu_sys_main_thread", "cpu_sys_main_thread_seconds_total", Kind::kCounter},
    {"used_cpu_user_main_thread", "cpu_user_main_thread_seconds_total", Kind::kCounter},
};

// Prometheus wants numbers: "ok"/"err" statuses become 1/0 (as the exporter does).
bool NumericValue(std::string_view v, std::string* out) {
  if (v == "ok") {
    *out = "1";
    return true;
  }
  if (v == "err") {
    *out = "0";
    return true;
  }
  if (v.empty()) return false;
  for (char c : v) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == 'e' ||
          c == '+')) {
      return false;
    }
  }
  *out = std::string(v);
  return true;
}

// A label value: backslash, double quote and newline escaped.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// "k1=v1,k2=v2" -> map.
std::map<std::string, std::string, std::less<>> Pairs(std::string_view s) {
  std::map<std::string, std::string, std::less<>> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view item = s.substr(pos, comma - pos);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) out.emplace(item.substr(0, eq), item.substr(eq + 1));
    pos = comma + 1;
  }
  return out;
}

// Collects samples per metric so that each metric's HELP/TYPE comes once, before its samples.
class Exposition {
 public:
  void Add(std::string_view name, Kind kind, std::string_view help, std::string labels,
           std::string value) {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) {
      it = index_.emplace(std::string(name), families_.size()).first;
      families_.push_back({std::string(name), kind, std::string(help), {}});
    }
    families_[it->second].samples.push_back({std::move(labels), std::move(value)});
  }
  std::string Render() const {
    std::string out;
    for (const Family& f : families_) {
      fmt::format_to(std::back_inserter(out), "# HELP redis_{} {}\n# TYPE redis_{} {}\n", f.name,
                     f.help, f.name, f.kind == Kind::kCounter ? "counter" : "gauge");
      for (const auto& [labels, value] : f.samples) {
        fmt::format_to(std::back_inserter(out), "redis_{}{} {}\n", f.name,
                       labels.empty() ? "" : "{" + labels + "}", value);
      }
    }
    return out;
  }

 private:
  struct Family {
    std::string name;
    Kind kind;
    std::string help;
    std::vector<std::pair<std::string, std::string>> samples;
  };
  std::vector<Family> families_;
  std::map<std::string, size_t> index_;
};

}  // namespace

std::string PrometheusFromInfo(std::string_view info) {
  std::map<std::string_view, std::string_view> fields;
  std::vector<std::pair<std::string_view, std::string_view>> keyspace, cmdstats, errstats;
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find("\r\n", pos);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    if (name.starts_with("db") && name.size() > 2 &&
        std::isdigit(static_cast<unsigned char>(name[2]))) {
      keyspace.emplace_back(name, value);
    } else if (name.starts_with("cmdstat_")) {
      cmdstats.emplace_back(name.substr(8), value);
    } else if (name.starts_with("errorstat_")) {
      errstats.emplace_back(name.substr(10), value);
    } else {
      fields.emplace(name, value);
    }
  }

  Exposition ex;
  ex.Add("up", Kind::kGauge, "1: the server answered this scrape.", "", "1");
  if (fields.count("redis_version") != 0) {
    std::string labels;
    for (std::string_view l : {"redis_version", "redis_mode", "os", "tcp_port", "run_id",
                               "process_id", "maxmemory_policy"}) {
      auto it = fields.find(l);
      if (it == fields.end()) continue;
      if (!labels.empty()) labels += ',';
      labels += fmt::format("{}=\"{}\"", l, LabelValue(it->second));
    }
    auto role = fields.find("role");
    if (role != fields.end()) labels = fmt::format("role=\"{}\",", role->second) + labels;
    ex.Add("instance_info", Kind::kGauge, "Always 1; the labels describe the server.", labels, "1");
  }
  if (auto it = fields.find("uptime_in_seconds"); it != fields.end()) {
    auto now = fields.find("server_time_usec");
    if (now != fields.end()) {
      long long start =
          std::stoll(std::string(now->second)) / 1000000 - std::stoll(std::string(it->second));
      ex.Add("start_time_seconds", Kind::kGauge, "Unix time at which the server started.", "",
             std::to_string(start));
    }
  }
  for (const Mapping& m : kMappings) {
    auto it = fields.find(m.info);
    std::string value;
    if (it == fields.end() || !NumericValue(it->second, &value)) continue;
    ex.Add(m.metric, m.kind, fmt::format("The INFO field {}.", m.info), "", value);
  }
  for (const auto& [db, value] : keyspace) {
    auto p = Pairs(value);
    std::string label = fmt::format("db=\"{}\"", db);
    ex.Add("db_keys", Kind::kGauge, "Keys in the database.", label, p["keys"]);
    ex.Add("db_keys_expiring", Kind::kGauge, "Keys with a TTL in the database.", label,
           p["expires"]);
    double ttl_ms = p.count("avg_ttl") ? std::stod(p["avg_ttl"]) : 0;
    ex.Add("db_avg_ttl_seconds", Kind::kGauge,
           "Estimated average TTL of the database's keys with a TTL, in seconds.", label,
           fmt::format("{}", ttl_ms / 1000.0));
  }
  for (const auto& [cmd, value] : cmdstats) {
    auto p = Pairs(value);
    std::string label = fmt::format("cmd=\"{}\"", LabelValue(cmd));
    ex.Add("commands_total", Kind::kCounter, "Calls of the command.", label, p["calls"]);
    ex.Add("commands_duration_seconds_total", Kind::kCounter,
           "Time spent running the command, in seconds.", label,
           fmt::format("{}", std::stod(p.count("usec") ? p["usec"] : "0") / 1e6));
    ex.Add("commands_rejected_calls_total", Kind::kCounter, "Calls refused before the command ran.",
           label, p["rejected_calls"]);
    ex.Add("commands_failed_calls_total", Kind::kCounter,
           "Calls that ran and replied with an error.", label, p["failed_calls"]);
  }
  for (const auto& [err, value] : errstats) {
    auto p = Pairs(value);
    ex.Add("errors_total", Kind::kCounter, "Error replies, by error code.",
           fmt::format("err=\"{}\"", LabelValue(err)), p["count"]);
  }
  return ex.Render();
}

std::string BuildMetricsText(Server& server) {
  std::string_view all = "everything";
  std::string text = PrometheusFromInfo(BuildInfo(server, ArgList(&all, 1)));
  // The monitor's latest spikes, as the exporter publishes them from LATENCY LATEST.
  std::string extra;
  auto events = server.latency().Snapshot();
  if (!events.empty()) {
    extra += "# HELP redis_latency_spike_last Unix time of the event's newest latency sample.\n";
    extra += "# TYPE redis_latency_spike_last gauge\n";
    for (const auto& [name, series] : events) {
      extra += fmt::format("redis_latency_spike_last{{event_name=\"{}\"}} {}\n", name,
                           series.Latest().time_s);
    }
    extra +=
        "# HELP redis_latency_spike_duration_seconds Duration of the event's newest latency "
        "sample, in seconds.\n";
    extra += "# TYPE redis_latency_spike_duration_seconds gauge\n";
    for (const auto& [name, series] : events) {
      extra += fmt::format("redis_latency_spike_duration_seconds{{event_name=\"{}\"}} {}\n", name,
                           static_cast<double>(series.Latest().latency_ms) / 1000.0);
    }
  }
  return text + extra;
}

}  // namespace tessera::server
