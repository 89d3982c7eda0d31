// INFO: Redis 7.2's sections, field names and field order, because monitoring tools, client
// libraries, redis-sentinel and the Redis test suite parse them.
//
// A field that belongs to a subsystem Tessera does not have yet (persistence, replication,
// Lua, blocking commands, tracking, defrag) is printed with the value Redis shows
// when that subsystem is idle or disabled, so parsers find every field; the comments say
// which values are placeholders.  Times shown to clients (uptime, server_time_usec) use the
// real clock, not the server's (fakeable) command clock.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

#include "core/base/random.h"
#include "core/keyspace/eviction.h"
#include "server/aof.h"
#include "server/commands/args.h"
#include "server/commands/server_family.h"
#include "server/latency.h"
#include "server/memory_report.h"
#include "server/memory_stats.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/replication/replica.h"
#include "server/server.h"
#include "server/shutdown.h"
#include "server/version.h"

namespace tessera::server {

namespace {

enum Section : uint32_t {
  kServer = 1u << 0,
  kClients = 1u << 1,
  kMemory = 1u << 2,
  kPersistence = 1u << 3,
  kStats = 1u << 4,
  kReplication = 1u << 5,
  kCpu = 1u << 6,
  kModules = 1u << 7,
  kCommandStats = 1u << 8,
  kErrorStats = 1u << 9,
  kLatencyStats = 1u << 10,
  kCluster = 1u << 11,
  kKeyspace = 1u << 12,
  kDebug = 1u << 13,  // only when named: not in "all" nor "everything", as in Redis
};
constexpr uint32_t kDefaultSections = kServer | kClients | kMemory | kPersistence | kStats |
                                      kReplication | kCpu | kModules | kErrorStats | kCluster |
                                      kKeyspace;
constexpr uint32_t kAllSections = (kKeyspace << 1) - 1;  // without kDebug

struct SectionName {
  std::string_view name;
  uint32_t bit;
};
constexpr SectionName kSectionNames[] = {
    {"server", kServer},
    {"clients", kClients},
    {"memory", kMemory},
    {"persistence", kPersistence},
    {"stats", kStats},
    {"replication", kReplication},
    {"cpu", kCpu},
    {"modules", kModules},
    {"module_list", kModules},
    {"commandstats", kCommandStats},
    {"errorstats", kErrorStats},
    {"latencystats", kLatencyStats},
    {"cluster", kCluster},
    {"keyspace", kKeyspace},
    {"debug", kDebug},
};

// Section names compare case-insensitively; unknown names select nothing (Redis: a module
// section we do not have).
uint32_t SelectedSections(ArgList args) {
  if (args.empty()) return kDefaultSections;
  uint32_t mask = 0;
  for (std::string_view a : args) {
    if (EqualsNoCase(a, "default")) {
      mask |= kDefaultSections;
    } else if (EqualsNoCase(a, "all") || EqualsNoCase(a, "everything")) {
      mask |= kAllSections;
    } else {
      for (const SectionName& s : kSectionNames) {
        if (EqualsNoCase(a, s.name)) mask |= s.bit;
      }
    }
  }
  return mask;
}

class InfoWriter {
 public:
  void Section(std::string_view title) {
    if (!out_.empty()) out_ += "\r\n";
    out_ += "# ";
    out_ += title;
    out_ += "\r\n";
  }
  template <typename T>
  void Field(std::string_view name, const T& value) {
    fmt::format_to(std::back_inserter(out_), "{}:{}\r\n", name, value);
  }
  // "%.2f"-style fields.
  void Fixed2(std::string_view name, double value, std::string_view suffix = "") {
    fmt::format_to(std::back_inserter(out_), "{}:{:.2f}{}\r\n", name, value, suffix);
  }
  void Raw(std::string_view line) {
    out_ += line;
    out_ += "\r\n";
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Redis's bytesToHuman(): 100B, 1.50K, 2.00M ...
std::string BytesToHuman(uint64_t n) {
  static constexpr const char* kUnits[] = {"K", "M", "G", "T", "P"};
  if (n < 1024) return fmt::format("{}B", n);
  double d = static_cast<double>(n);
  for (const char* unit : kUnits) {
    d /= 1024;
    if (d < 1024) return fmt::format("{:.2f}{}", d, unit);
  }
  return fmt::format("{}B", n);
}

// Redis's getSafeInfoString(): names printed before ':' may not contain the separators.
std::string SafeInfoName(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '#' || c == ':' || c == '\n' || c == '\r') c = '_';
  }
  return out;
}

int64_t RealNowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

[[maybe_unused]] double Ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : static_cast<double>(a) / b;
}
[[maybe_unused]] int64_t Diff(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) - static_cast<int64_t>(b);
}

struct WorkerTotals {
  uint64_t commands = 0, hits = 0, misses = 0, net_in = 0, net_out = 0;
  uint64_t connections = 0, rejected = 0;
  uint64_t max_input = 0, max_output = 0, clients_memory = 0;
  uint64_t reads = 0, writes = 0, shrinks = 0, expands = 0, loop_cycles = 0, loop_busy_us = 0;
  uint64_t command_us = 0;
};

WorkerTotals SumWorkers(Server& server) {
  WorkerTotals t;
  const CommandSpec* exec = server.commands().Find("exec");
  const size_t exec_id = exec != nullptr ? static_cast<size_t>(exec->id) : SIZE_MAX;
  server.ForEachWorkerStats([&](const WorkerStats& w) {
    t.commands += w.total_commands.Get();
    t.hits += w.keyspace_hits.Get();
    t.misses += w.keyspace_misses.Get();
    t.net_in += w.net_input_bytes.Get();
    t.net_out += w.net_output_bytes.Get();
    t.connections += w.total_connections.Get();
    t.rejected += w.rejected_connections.Get();
    t.max_input = std::max(t.max_input, w.recent_max_input.Get());
    t.max_output = std::max(t.max_output, w.recent_max_output.Get());
    t.clients_memory += w.clients_memory.Get();
    t.reads += w.reads_processed.Get();
    t.writes += w.writes_processed.Get();
    t.shrinks += w.reply_buffer_shrinks.Get();
    t.expands += w.reply_buffer_expands.Get();
    t.loop_cycles += w.eventloop_cycles.Get();
    t.loop_busy_us += w.eventloop_busy_us.Get();
    // EXEC's time includes its commands': count the commands once.
    for (size_t id = 0; id < w.commands.size(); ++id) {
      if (id != exec_id) t.command_us += w.commands[id].usec.Get();
    }
  });
  return t;
}

void AddServer(Server& server, InfoWriter& w) {
  utsname name{};
  uname(&name);
  int64_t now_us = RealNowUs();
  int64_t uptime_s = std::max<int64_t>(0, (now_us / 1000 - server.start_time_ms()) / 1000);
  // The frequency the cron runs at now (dynamic-hz), and the configured one.
  const int configured_hz = server.config().hz.load(std::memory_order_relaxed);
  const int hz = EffectiveHz(server.config(), server.clients().Count());
  w.Section("Server");
  w.Field("redis_version", kRedisCompatVersion);
  w.Field("tessera_version", TesseraVersion());
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_git_dirty", 0);
  w.Field("redis_build_id", "0");
  w.Field("redis_mode", "standalone");
  w.Raw(fmt::format("os:{} {} {}", name.sysname, name.release, name.machine));
  w.Field("arch_bits", sizeof(void*) * 8);
  w.Field("monotonic_clock", "POSIX clock_gettime");
  w.Field("multiplexing_api", "epoll");
  w.Field("atomicvar_api", "c11-builtin");
  w.Raw(fmt::format("gcc_version:{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
  w.Field("process_id", getpid());
  w.Field("process_supervised", "no");
  w.Field("run_id", server.run_id());
  const int port = server.tcp_port();
  const int tls_port = server.tls_port();
  w.Field("tcp_port", port != 0 ? port : tls_port);
  w.Field("server_time_usec", now_us);
  w.Field("uptime_in_seconds", uptime_s);
  w.Field("uptime_in_days", uptime_s / 86400);
  w.Field("hz", hz);
  w.Field("configured_hz", configured_hz);
  // The 24-bit seconds clock keys record their last access with (OBJECT IDLETIME).
  w.Field("lru_clock", (server.NowMs() / 1000) & 0xFFFFFF);
  w.Field("executable", server.executable());
  w.Field("config_file", server.config_file());
  // Redis reports whether its I/O threads are running; ours are the workers themselves.
  w.Field("io_threads_active", server.io_threads() > 1 ? 1 : 0);
  // Only while a shutdown waits for its replicas, as Redis shows it.
  const int64_t shutdown_ms = server.shutdown ? server.shutdown->ms_left(now_us / 1000) : -1;
  if (shutdown_ms >= 0) w.Field("shutdown_in_milliseconds", shutdown_ms);
  // Redis 7.2's listener lines, one per connection type in use (0 tcp, 1 unix, 2 tls):
  // listener<type>:name=..[,bind=..]...[,port=..].
  std::vector<std::string> binds = server.config().bind.Get();
  auto listener = [&](int type, std::string_view name, int listen_port) {
    std::string line = fmt::format("listener{}:name={}", type, name);
    for (const std::string& b : binds) line += ",bind=" + b;
    w.Raw(line + ",port=" + std::to_string(listen_port));
  };
  if (port != 0) listener(0, "tcp", port);
  if (!server.config().unixsocket.empty()) {
    w.Raw("listener1:name=unix,bind=" + server.config().unixsocket);
  }
  if (tls_port != 0) listener(2, "tls", tls_port);
}

void AddClients(Server& server, InfoWriter& w) {
  w.Section("Clients");
  // As Redis: replicas are not counted among the clients.
  w.Field("connected_clients", server.clients().Count() - server.replication().replica_count());
  w.Field("cluster_connections", 0);
  w.Field("maxclients", server.config().maxclients.load(std::memory_order_relaxed));
  // The largest buffers of the last few seconds, sampled by each worker's cron.
  WorkerTotals t = SumWorkers(server);
  w.Field("client_recent_max_input_buffer", t.max_input);
  w.Field("client_recent_max_output_buffer", t.max_output);
  // Blocked clients' timeouts are their own timers (no timeout table).
  w.Field("blocked_clients", server.blocking().blocked_clients() +
                                 server.replication().waiter_count() +
                                 (server.shutdown ? server.shutdown->blocked_clients() : 0));
  w.Field("tracking_clients", server.tracking().tracking_clients());
  w.Field("clients_in_timeout_table", 0);
  w.Field("total_blocking_keys", server.blocking().blocking_keys());
  w.Field("total_blocking_keys_on_nokey", server.blocking().blocking_keys_on_nokey());
}

std::string MaxmemoryPolicyName(Server& server) {
  std::string_view name = "maxmemory-policy";
  auto values = server.config_registry().Get(std::span<const std::string_view>(&name, 1));
  return values.empty() ? "noeviction" : values[0].second;
}

void AddMemory(Server& server, InfoWriter& w) {
  // The breakdown of used_memory (memory_report.h).
  MemoryReport r = GatherMemoryReport(server);
  uint64_t used = r.total_allocated;
  uint64_t total_system = TotalSystemMemory();
  w.Section("Memory");
  w.Field("used_memory", used);
  w.Field("used_memory_human", BytesToHuman(used));
  w.Field("used_memory_rss", r.process_rss);
  w.Field("used_memory_rss_human", BytesToHuman(r.process_rss));
  w.Field("used_memory_peak", r.peak_allocated);
  w.Field("used_memory_peak_human", BytesToHuman(r.peak_allocated));
  w.Fixed2("used_memory_peak_perc", r.peak_perc, "%");
  w.Field("used_memory_overhead", r.overhead_total);
  w.Field("used_memory_startup", r.startup_allocated);
  w.Field("used_memory_dataset", r.dataset);
  w.Fixed2("used_memory_dataset_perc", r.dataset_perc, "%");
  w.Field("allocator_allocated", used);
  w.Field("allocator_active", r.allocator_active);
  w.Field("allocator_resident", r.allocator_resident);
  w.Field("total_system_memory", total_system);
  w.Field("total_system_memory_human", BytesToHuman(total_system));
  // Lua: the engine of the worker answering (each worker has its own, script_registry.h).
  // Functions' engine and code are not measured apart from it (0).
  scripting::ScriptRegistry& scripts = server.scripts();
  size_t lua = scripts.ThisThreadEngineBytes();
  size_t scripts_bytes = r.lua_caches + r.functions_caches;
  w.Field("used_memory_lua", lua);
  w.Field("used_memory_vm_eval", lua);
  w.Field("used_memory_lua_human", BytesToHuman(lua));
  w.Field("used_memory_scripts_eval", r.lua_caches);
  w.Field("number_of_cached_scripts", scripts.script_count());
  w.Field("number_of_functions", scripts.function_count());
  w.Field("number_of_libraries", scripts.library_count());
  w.Field("used_memory_vm_functions", 0);
  w.Field("used_memory_vm_total", lua);
  w.Field("used_memory_vm_total_human", BytesToHuman(lua));
  w.Field("used_memory_functions", r.functions_caches);
  w.Field("used_memory_scripts", scripts_bytes);
  w.Field("used_memory_scripts_human", BytesToHuman(scripts_bytes));
  uint64_t maxmemory = server.config().maxmemory.load(std::memory_order_relaxed);
  w.Field("maxmemory", maxmemory);
  w.Field("maxmemory_human", BytesToHuman(maxmemory));
  w.Field("maxmemory_policy", MaxmemoryPolicyName(server));
  w.Fixed2("allocator_frag_ratio", r.allocator_frag);
  w.Field("allocator_frag_bytes", r.allocator_frag_bytes);
  w.Fixed2("allocator_rss_ratio", r.allocator_rss);
  w.Field("allocator_rss_bytes", r.allocator_rss_bytes);
  w.Fixed2("rss_overhead_ratio", r.rss_extra);
  w.Field("rss_overhead_bytes", r.rss_extra_bytes);
  w.Fixed2("mem_fragmentation_ratio", r.total_frag);
  w.Field("mem_fragmentation_bytes", r.total_frag_bytes);
  // What eviction leaves out of used_memory: the AOF's pending bytes (no replication buffers).
  w.Field("mem_not_counted_for_evict", server.evictor().NotCountedBytes());
  w.Field("mem_replication_backlog", r.repl_backlog);
  // Redis counts its replication buffer shared by the replicas and the backlog; we have no
  // shared buffer: the stream bytes not yet written to a replica's socket sit in that replica's
  // output buffer, so the figure is theirs, the same bytes as mem_clients_slaves.
  w.Field("mem_total_replication_buffers", r.clients_slaves);
  w.Field("mem_clients_slaves", r.clients_slaves);
  w.Field("mem_clients_normal", r.clients_normal);
  w.Field("mem_cluster_links", r.cluster_links);
  w.Field("mem_aof_buffer", r.aof_buffer);
  w.Field("mem_allocator", AllocatorName());
  w.Field("active_defrag_running", 0);
  // The lazy-free thread's counters (server/lazy_free.h), in INFO memory as in Redis 7.2.
  w.Field("lazyfree_pending_objects", server.lazy_free().pending());
  w.Field("lazyfreed_objects", server.lazy_free().freed());
}

// Redis's persistence section.  There is no fork: a background save is "in progress" while
// its snapshot thread runs, and the copy-on-write figures are the memory of the keys the
// snapshot keeps aside for commands that changed them first (SnapshotJob::kept_bytes), the
// memory a save costs beyond the data, as a child's copied pages do in Redis.  It is measured
// as it changes, so its age is always 0.
void AddPersistence(Server& server, InfoWriter& w) {
  Persistence& p = server.persistence();
  const Persistence::Stats st = p.stats();
  const bool loading = p.loading.load(std::memory_order_relaxed);
  const int64_t now_s = Server::RealNowMs() / 1000;
  w.Section("Persistence");
  w.Field("loading", loading ? 1 : 0);
  w.Field("async_loading", 0);
  w.Field("current_cow_peak", st.current_cow_peak);
  w.Field("current_cow_size", st.current_cow_size);
  w.Field("current_cow_size_age", 0);
  w.Fixed2("current_fork_perc", st.current_save_keys_total == 0
                                    ? 0.0
                                    : 100.0 * static_cast<double>(st.current_save_keys_processed) /
                                          static_cast<double>(st.current_save_keys_total));
  w.Field("current_save_keys_processed", st.current_save_keys_processed);
  w.Field("current_save_keys_total", st.current_save_keys_total);
  if (loading) {
    const uint64_t total = p.loading_total_bytes.load(std::memory_order_relaxed);
    const uint64_t done = p.loading_loaded_bytes.load(std::memory_order_relaxed);
    const int64_t start = p.loading_start_s.load(std::memory_order_relaxed);
    const double perc =
        total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
    const int64_t elapsed = now_s - start;
    int64_t eta = 1;
    if (done > 0 && elapsed > 0) {
      eta = static_cast<int64_t>(static_cast<double>(elapsed) *
                                 static_cast<double>(total - std::min(done, total)) /
                                 static_cast<double>(done));
    }
    w.Field("loading_start_time", start);
    w.Field("loading_total_bytes", total);
    w.Field("loading_rdb_used_mem", 0);
    w.Field("loading_loaded_bytes", done);
    w.Fixed2("loading_loaded_perc", perc);
    w.Field("loading_eta_seconds", eta);
  }
  w.Field("rdb_changes_since_last_save", server.Dirty() - st.dirty_at_last_save);
  w.Field("rdb_bgsave_in_progress", p.bgsave_in_progress() ? 1 : 0);
  w.Field("rdb_last_save_time", st.lastsave_s);
  w.Field("rdb_last_bgsave_status", st.last_bgsave_ok ? "ok" : "err");
  w.Field("rdb_last_bgsave_time_sec", st.last_bgsave_time_s);
  w.Field("rdb_current_bgsave_time_sec",
          st.current_bgsave_start_s < 0 ? -1 : now_s - st.current_bgsave_start_s);
  w.Field("rdb_saves", st.rdb_saves);
  w.Field("rdb_last_cow_size", st.rdb_last_cow_size);
  w.Field("rdb_last_load_keys_expired", st.last_load_keys_expired);
  w.Field("rdb_last_load_keys_loaded", st.last_load_keys_loaded);
  Aof& aof = p.aof();
  const Aof::Stats as = aof.stats();
  const bool aof_on = server.config().appendonly.load(std::memory_order_relaxed);
  w.Field("aof_enabled", aof_on ? 1 : 0);
  w.Field("aof_rewrite_in_progress", aof.rewrite_in_progress() ? 1 : 0);
  w.Field("aof_rewrite_scheduled", as.rewrite_scheduled ? 1 : 0);
  w.Field("aof_last_rewrite_time_sec", as.last_rewrite_time_s);
  w.Field("aof_current_rewrite_time_sec",
          as.current_rewrite_start_s < 0 ? -1 : now_s - as.current_rewrite_start_s);
  w.Field("aof_last_bgrewrite_status", as.last_rewrite_ok ? "ok" : "err");
  w.Field("aof_rewrites", as.rewrites);
  w.Field("aof_rewrites_consecutive_failures", as.consecutive_failures);
  w.Field("aof_last_write_status", aof.write_error().empty() ? "ok" : "err");
  w.Field("aof_last_cow_size", as.last_cow_size);
  w.Field("module_fork_in_progress", 0);
  w.Field("module_fork_last_cow_size", 0);
  if (aof_on) {
    w.Field("aof_current_size", as.current_size);
    w.Field("aof_base_size", as.base_size);
    w.Field("aof_pending_rewrite", as.rewrite_scheduled ? 1 : 0);
    w.Field("aof_buffer_length", 0);
    w.Field("aof_pending_bio_fsync", 0);
    w.Field("aof_delayed_fsync", 0);
  }
}

void AddStats(Server& server, InfoWriter& w) {
  WorkerTotals t = SumWorkers(server);
  InstantMetrics& rates = server.metrics();
  w.Section("Stats");
  w.Field("total_connections_received", t.connections);
  w.Field("total_commands_processed", t.commands);
  w.Field("instantaneous_ops_per_sec", rates.PerSecond(InstantMetrics::kCommands));
  w.Field("total_net_input_bytes", t.net_in);
  w.Field("total_net_output_bytes", t.net_out);
  w.Field("total_net_repl_input_bytes", 0);
  w.Field("total_net_repl_output_bytes", 0);
  w.Fixed2("instantaneous_input_kbps", rates.PerSecond(InstantMetrics::kNetInput) / 1024.0);
  w.Fixed2("instantaneous_output_kbps", rates.PerSecond(InstantMetrics::kNetOutput) / 1024.0);
  w.Fixed2("instantaneous_input_repl_kbps", 0);
  w.Fixed2("instantaneous_output_repl_kbps", 0);
  w.Field("rejected_connections", t.rejected);
  w.Field("sync_full", 0);
  w.Field("sync_partial_ok", 0);
  w.Field("sync_partial_err", 0);
  ExpireCycleStats& expiry = server.expire_stats();
  w.Field("expired_keys", server.ExpiredKeys());
  w.Fixed2("expired_stale_perc", 100 * expiry.stale_ratio.load(std::memory_order_relaxed));
  w.Field("expired_time_cap_reached_count",
          expiry.time_cap_reached.load(std::memory_order_relaxed));
  w.Field("expire_cycle_cpu_milliseconds", expiry.total_us.load(std::memory_order_relaxed) / 1000);
  const int64_t now_ms = server.NowMs();
  w.Field("evicted_keys", server.evictor().evicted_keys());
  w.Field("evicted_clients", server.client_eviction().evicted_clients());
  w.Field("total_eviction_exceeded_time", server.evictor().total_exceeded_ms(now_ms));
  w.Field("current_eviction_exceeded_time", server.evictor().current_exceeded_ms(now_ms));
  w.Field("keyspace_hits", t.hits);
  w.Field("keyspace_misses", t.misses);
  w.Field("pubsub_channels", server.pubsub().Count(PubSubKind::kChannel));
  w.Field("pubsub_patterns", server.pubsub().Count(PubSubKind::kPattern));
  w.Field("pubsubshard_channels", server.pubsub().Count(PubSubKind::kShardChannel));
  // Subsystems not built yet (fork, replicas' expiry, defrag): idle.
  for (std::string_view f : {"latest_fork_usec", "total_forks"}) {
    w.Field(f, 0);
  }
  w.Field("migrate_cached_sockets", CloseIdleMigrateSockets());
  for (std::string_view f :
       {"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
        "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
        "current_active_defrag_time"}) {
    w.Field(f, 0);
  }
  w.Field("tracking_total_keys", server.tracking().total_keys());
  w.Field("tracking_total_items", server.tracking().total_items());
  w.Field("tracking_total_prefixes", server.tracking().total_prefixes());
  w.Field("unexpected_error_replies", 0);
  w.Field("total_error_replies", server.error_stats().total());
  // RESTORE's payloads are checked as they are decoded, never by a separate deep pass.
  w.Field("dump_payload_sanitizations", 0);
  w.Field("total_reads_processed", t.reads);
  w.Field("total_writes_processed", t.writes);
  // Redis counts what its I/O threads did for the main thread; here every worker is such a
  // thread as soon as there are several (io_threads_active), and none with one.
  const bool threaded = server.io_threads() > 1;
  w.Field("io_threaded_reads_processed", threaded ? t.reads : 0);
  w.Field("io_threaded_writes_processed", threaded ? t.writes : 0);
  w.Field("reply_buffer_shrinks", t.shrinks);
  w.Field("reply_buffer_expands", t.expands);
  // Every worker's loop: iterations, time not spent waiting in poll, and commands' time, summed;
  // the instantaneous rate is per loop (Redis has one), the duration per iteration.
  w.Field("eventloop_cycles", t.loop_cycles);
  w.Field("eventloop_duration_sum", t.loop_busy_us);
  w.Field("eventloop_duration_cmd_sum", t.command_us);
  const uint64_t cycles_per_sec = rates.PerSecond(InstantMetrics::kEventLoopCycles);
  w.Field("instantaneous_eventloop_cycles_per_sec",
          cycles_per_sec / static_cast<uint64_t>(std::max(1, server.io_threads())));
  w.Field(
      "instantaneous_eventloop_duration_usec",
      cycles_per_sec == 0 ? 0 : rates.PerSecond(InstantMetrics::kEventLoopBusyUs) / cycles_per_sec);
  acl::DenialCounters denied = server.acl().counters();
  w.Field("acl_access_denied_auth", denied.auth);
  w.Field("acl_access_denied_cmd", denied.command);
  w.Field("acl_access_denied_key", denied.key);
  w.Field("acl_access_denied_channel", denied.channel);
}

// A primary, or a replica with its link's lines (server/replication/replica.h); without a
// backlog.  A primary's replication ID is its run ID; a replica's, its primary's.
void AddReplication(Server& server, InfoWriter& w) {
  const ReplicationReplica& link = server.replica_link();
  const bool replica = link.is_replica();
  const int64_t now_ms = server.NowMs();
  w.Section("Replication");
  w.Field("role", replica ? "slave" : "master");
  if (replica) w.Raw(link.InfoLines(now_ms));
  w.Raw(server.replication().InfoLines(now_ms));
  w.Field("master_failover_state", "no-failover");
  std::string replid = replica ? link.primary_replid() : "";
  w.Field("master_replid", replid.empty() ? server.run_id() : replid);
  w.Field("master_replid2", link.replid2());
  w.Field("master_repl_offset",
          replica ? link.applied_offset() : server.replication().master_repl_offset());
  w.Field("second_repl_offset", link.second_repl_offset());
  w.Field("repl_backlog_active", 0);
  w.Field("repl_backlog_size", server.config().repl_backlog_size.load(std::memory_order_relaxed));
  w.Field("repl_backlog_first_byte_offset", 0);
  w.Field("repl_backlog_histlen", 0);
}

std::string CpuTime(const timeval& tv) {
  return fmt::format("{}.{:06d}", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
}

void AddCpu(InfoWriter& w) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  w.Section("CPU");
  w.Field("used_cpu_sys", CpuTime(self.ru_stime));
  w.Field("used_cpu_user", CpuTime(self.ru_utime));
  w.Field("used_cpu_sys_children", CpuTime(children.ru_stime));
  w.Field("used_cpu_user_children", CpuTime(children.ru_utime));
  // Redis's "main thread" is its only command thread; ours is the worker answering INFO.
  w.Field("used_cpu_sys_main_thread", CpuTime(thread.ru_stime));
  w.Field("used_cpu_user_main_thread", CpuTime(thread.ru_utime));
}

// cmdstat_<name>:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=.. for each
// command or subcommand with any activity, summed over the workers.
void AddCommandStats(Server& server, InfoWriter& w) {
  w.Section("Commandstats");
  for (const CommandSpec* spec : server.commands().all()) {
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
    server.ForEachWorkerStats([&](const WorkerStats& ws) {
      const CommandStats& c = ws.commands[spec->id];
      calls += c.calls.Get();
      usec += c.usec.Get();
      rejected += c.rejected_calls.Get();
      failed += c.failed_calls.Get();
    });
    if (calls == 0 && rejected == 0 && failed == 0) continue;
    // Redis divides in float precision; so do we, for identical output.
    float per_call = calls == 0 ? 0.0f : static_cast<float>(usec) / static_cast<float>(calls);
    w.Raw(
        fmt::format("cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},"
                    "failed_calls={}",
                    SafeInfoName(spec->full_name), calls, usec, per_call, rejected, failed));
  }
}

void AddErrorStats(Server& server, InfoWriter& w) {
  w.Section("Errorstats");
  for (const auto& [code, count] : server.error_stats().Snapshot()) {
    w.Raw(fmt::format("errorstat_{}:count={}", SafeInfoName(code), count));
  }
}

// db<N>:keys=..,expires=..,avg_ttl=.. for every non-empty DB.  avg_ttl (ms) is an estimate,
// as in Redis (which averages the TTLs its expiry cycle happens to sample): here, up to
// kTtlSamples random volatile keys of each shard, each shard's mean weighted by its number
// of volatile keys.  0 when no sampled key has time left.
void AddKeyspace(Server& server, InfoWriter& w) {
  constexpr int kTtlSamples = 16;
  keyspace::Keyspace& ks = server.keyspace();
  const int64_t now_ms = server.NowMs();
  SplitMix64 rng(static_cast<uint64_t>(Server::MonotonicUs()));
  std::vector<uint64_t> keys(ks.num_dbs()), expires(ks.num_dbs());
  std::vector<double> ttl_weighted(ks.num_dbs()), ttl_weight(ks.num_dbs());
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    keyspace::Shard& shard = ks.shard(i);
    keyspace::ShardReadLock lock(shard.mutex());
    for (int db = 0; db < ks.num_dbs(); ++db) {
      const keyspace::DbTable& t = shard.db(db);
      keys[db] += t.table.size();
      expires[db] += t.volatile_keys;
      if (t.volatile_keys == 0) continue;
      double sum = 0;
      int n = 0;
      for (int s = 0; s < kTtlSamples; ++s) {
        const keyspace::Entry* e = keyspace::RandomEvictionCandidate(t, true, rng);
        if (e == nullptr || !e->has_expiry() || e->expire_at() <= now_ms) continue;
        sum += static_cast<double>(e->expire_at() - now_ms);
        ++n;
      }
      if (n == 0) continue;
      ttl_weighted[db] += sum / n * static_cast<double>(t.volatile_keys);
      ttl_weight[db] += static_cast<double>(t.volatile_keys);
    }
  }
  w.Section("Keyspace");
  for (int db = 0; db < ks.num_dbs(); ++db) {
    if (keys[db] == 0 && expires[db] == 0) continue;
    const int64_t avg_ttl =
        ttl_weight[db] == 0 ? 0 : static_cast<int64_t>(ttl_weighted[db] / ttl_weight[db]);
    w.Raw(fmt::format("db{}:keys={},expires={},avg_ttl={}", db, keys[db], expires[db], avg_ttl));
  }
}

}  // namespace

std::string BuildInfo(Server& server, ArgList sections) {
  uint32_t mask = SelectedSections(sections);
  InfoWriter w;
  if (mask & kServer) AddServer(server, w);
  if (mask & kClients) AddClients(server, w);
  if (mask & kMemory) AddMemory(server, w);
  if (mask & kPersistence) AddPersistence(server, w);
  if (mask & kStats) AddStats(server, w);
  if (mask & kReplication) AddReplication(server, w);
  if (mask & kCpu) AddCpu(w);
  if (mask & kModules) w.Section("Modules");  // no modules
  if (mask & kCommandStats) AddCommandStats(server, w);
  if (mask & kErrorStats) AddErrorStats(server, w);
  if (mask & kLatencyStats) {
    w.Section("Latencystats");
    for (const std::string& line : LatencyStatsInfoLines(server)) w.Raw(line);
  }
  if (mask & kCluster) {
    w.Section("Cluster");
    w.Field("cluster_enabled", 0);
  }
  if (mask & kKeyspace) AddKeyspace(server, w);
  if (mask & kDebug) {
    uint64_t cron = 0, aof = 0, loop_max = 0, per_cycle = 0;
    server.ForEachWorkerStats([&](const WorkerStats& ws) {
      cron += ws.cron_us.Get();
      aof += ws.aof_wait_us.Get();
      loop_max = std::max(loop_max, ws.loop_max_us.Get());
      per_cycle = std::max(per_cycle, ws.commands_per_cycle_max.Get());
    });
    w.Section("Debug");
    w.Field("eventloop_duration_aof_sum", aof);
    w.Field("eventloop_duration_cron_sum", cron);
    w.Field("eventloop_duration_max", loop_max);
    w.Field("eventloop_cmd_per_cycle_max", per_cycle);
  }
  return w.Take();
}

void InfoCommand(CommandContext& ctx) {
  ctx.reply.Verbatim(BuildInfo(ctx.server, ctx.args.subspan(1)), "txt");
}

}  // namespace tessera::server
