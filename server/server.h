// Server: the state shared by every worker (keyspace, command table, config, clients,
// statistics), passed explicitly to whoever needs it (STYLE 8: no global mutable state).
//
// It knows nothing of libuv: the net layer (server/net) owns sockets and loops and reaches the
// server through this object; in-process command tests build a Server with no network at all.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "persistence/write_log.h"
#include "server/acl/acl_registry.h"
#include "server/blocking.h"
#include "server/client_eviction.h"
#include "server/client_registry.h"
#include "server/commands/command.h"
#include "server/config/config.h"
#include "server/evictor.h"
#include "server/expire_cycle.h"
#include "server/latency.h"
#include "server/lazy_free.h"
#include "server/memory_meter.h"
#include "server/oom_score.h"
#include "server/pause_queue.h"
#include "server/pubsub.h"
#include "server/scripting/script_registry.h"
#include "server/slowlog.h"
#include "server/stats.h"
#include "server/tracking.h"
#include "server/watch.h"

namespace tessera::server {

class Persistence;
class ReplicationPrimary;
class ReplicationReplica;
class ShutdownCoordinator;

// Reads the ACL file `path` into *text; false with Redis's "Error loading ACLs, opening file"
// text if it cannot be read.
bool ReadAclFile(const std::string& path, std::string* text, std::string* error);

class Server {
 public:
  // `registry` must outlive the server.  `shard_count` 0 picks a default from io-threads.
  explicit Server(ConfigRegistry* registry, unsigned shard_count = 0);
  ~Server();

  const ServerConfig& config() const { return config_registry_->values(); }
  ConfigRegistry& config_registry() { return *config_registry_; }
  keyspace::Keyspace& keyspace() { return *keyspace_; }
  const CommandTable& commands() const { return commands_; }
  ClientRegistry& clients() { return clients_; }
  Slowlog& slowlog() { return slowlog_; }
  BlockingRegistry& blocking() { return blocking_; }
  WatchRegistry& watches() { return watches_; }
  PubSubRegistry& pubsub() { return pubsub_; }
  TrackingRegistry& tracking() { return tracking_; }
  ErrorStats& error_stats() { return error_stats_; }
  LatencyMonitor& latency() { return latency_; }
  ExpireCycleStats& expire_stats() { return expire_stats_; }
  scripting::ScriptRegistry& scripts() { return scripts_; }
  acl::AclRegistry& acl() { return *acl_; }
  // "" if the ACL configuration loaded at construction (requirepass, user lines, aclfile),
  // else why not: main refuses to start, as Redis does.
  const std::string& acl_startup_error() const { return acl_startup_error_; }
  persistence::WriteLog& write_log() { return write_log_; }
  Persistence& persistence() { return *persistence_; }
  ReplicationPrimary& replication() { return *replication_; }
  // The replica side: REPLICAOF, the link to a primary (server/replication/replica.h).
  ReplicationReplica& replica_link() { return *replica_link_; }
  // maxmemory applies here: not on a replica with replica-ignore-maxmemory (its primary's
  // DELs free its memory).
  bool MayEvict();
  // oom-score-adj with the value of this server's role (primary or replica).
  bool ApplyOomScore(std::string* err);
  // used_memory as maxmemory reads it, and the eviction it drives (server/evictor.h).
  MemoryMeter& memory_meter() { return memory_meter_; }
  Evictor& evictor() { return *evictor_; }
  // The background thread that frees big values (UNLINK, FLUSHALL ASYNC, lazyfree-lazy-*).
  LazyFreer& lazy_free() { return lazy_free_; }
  // maxmemory-clients: the clients' memory total and client eviction (client_eviction.h).
  ClientEviction& client_eviction() { return client_eviction_; }
  // used_memory when the server was ready to serve, before any data (used_memory_startup).
  std::atomic<uint64_t> startup_memory{0};

  // Worker statistics blocks: one per worker, created before the workers start.
  WorkerStats* AddWorkerStats();
  template <class Fn>
  void ForEachWorkerStats(Fn&& fn) const {
    for (const auto& s : worker_stats_) fn(*s);
  }

  // Wall clock in Unix milliseconds; tests replace it with a fake clock.
  int64_t NowMs() const { return clock_ ? clock_() : RealNowMs(); }
  bool has_test_clock() const { return static_cast<bool>(clock_); }
  static int64_t RealNowMs();
  static int64_t RealNowUs();
  void SetClockForTesting(std::function<int64_t()> clock) { clock_ = std::move(clock); }
  // Monotonic microseconds, for durations.
  static int64_t MonotonicUs();
  // The clock of script durations (busy-reply-threshold, FUNCTION STATS): monotonic, or the
  // test clock when one is set, so busy-script tests need not sleep.
  int64_t ScriptClockUs() const { return clock_ ? clock_() * 1000 : MonotonicUs(); }

  int64_t start_time_ms() const { return start_time_ms_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& executable() const { return executable_; }
  const std::string& config_file() const { return config_file_; }
  void set_executable(std::string e) { executable_ = std::move(e); }
  // The CPUs of the background threads (AOF writer, lazy free): bio_cpulist, or when it is
  // empty the process's CPUs before server_cpulist narrowed the main thread's (Redis pins its
  // main thread after its bio threads started, so they keep every CPU).  Set by main.
  const std::string& background_cpulist() const { return background_cpulist_; }
  void set_background_cpulist(std::string l) { background_cpulist_ = std::move(l); }
  void set_config_file(std::string f) { config_file_ = std::move(f); }
  // The ports listened on (0: none), for INFO; main sets them, CONFIG SET port/tls-port too.
  int tcp_port() const { return tcp_port_.load(std::memory_order_relaxed); }
  void set_tcp_port(int p) { tcp_port_.store(p, std::memory_order_relaxed); }
  int tls_port() const { return tls_port_.load(std::memory_order_relaxed); }
  void set_tls_port(int p) { tls_port_.store(p, std::memory_order_relaxed); }
  int io_threads() const { return io_threads_; }
  void set_io_threads(int n) { io_threads_ = n; }

  // Whether active expiry runs (DEBUG SET-ACTIVE-EXPIRE).
  std::atomic<bool> active_expire_enabled{true};
  // Lists: elements of at least this many bytes get a quicklist node of their own (Redis's
  // packed_threshold, set by DEBUG QUICKLIST-PACKED-THRESHOLD; 1 GB by default).
  std::atomic<size_t> list_packed_threshold{size_t{1} << 30};
  // DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE payloads and RDB files load without their
  // CRC64 being checked (the value itself is still validated in depth).
  std::atomic<bool> skip_checksum_validation{false};

  // DEBUG PAUSE-CRON: the workers' timer tasks (expiry, client buffers, save points) skip
  // their runs while set.  DEBUG REPLYBUFFER: how often a client's reply-buffer peak restarts
  // from its current use (ms; -1 never) and whether the cron resizes reply buffers at all.
  std::atomic<bool> cron_paused{false};
  std::atomic<int64_t> reply_buffer_peak_reset_ms{5000};
  std::atomic<bool> reply_buffer_resizing{true};

  // CLIENT PAUSE: until this Unix ms, clients' commands of the paused kind wait.
  std::atomic<int64_t> pause_end_ms{0};
  std::atomic<bool> pause_writes_only{false};
  // Whether a CLIENT PAUSE (of either kind) holds writes at `now_ms`: nothing expires then.
  bool WritesPaused(int64_t now_ms) const {
    int64_t end = pause_end_ms.load(std::memory_order_relaxed);
    return end != 0 && now_ms < end;
  }
  // The clients CLIENT PAUSE holds, in the order they resume.
  PauseQueue& pause_queue() { return pause_queue_; }

  // Set by main: SHUTDOWN, SIGTERM and SIGINT (server/shutdown.h).  Null in tests that run
  // commands without a process to stop: SHUTDOWN then fails.
  ShutdownCoordinator* shutdown = nullptr;
  // Set by the net layer: feeds one line to every MONITOR client.
  std::function<void(std::string line)> feed_monitors;
  // The replica's link hands its socket, and the bytes read past the snapshot, to a worker
  // that makes the master client of it (set by main; see ReplicationReplica).
  std::function<void(int fd, std::string leftover, uint64_t generation)> adopt_master;

  // Locks every shard in ascending order for the life of the object (FLUSHALL, SWAPDB).
  class AllShardsLock {
   public:
    explicit AllShardsLock(Server& s);
    ~AllShardsLock();
    AllShardsLock(const AllShardsLock&) = delete;
    AllShardsLock& operator=(const AllShardsLock&) = delete;

   private:
    Server& s_;
  };

  // Counters aggregated from the shards (INFO).
  uint64_t ExpiredKeys();
  // Changes made to the keyspace since start (Redis's server.dirty, summed over workers).
  uint64_t Dirty() const;

  // Instantaneous rates and peak memory for INFO.  SampleMetrics sums every worker's counters
  // and records a sample (worker 0's cron calls it every tick; it samples every 100 ms).
  InstantMetrics& metrics() { return metrics_; }
  void SampleMetrics(int64_t now_ms);

 private:
  ConfigRegistry* config_registry_;
  std::unique_ptr<keyspace::Keyspace> keyspace_;
  CommandTable commands_;
  ClientRegistry clients_;
  PauseQueue pause_queue_{&clients_};
  Slowlog slowlog_;
  BlockingRegistry blocking_;
  WatchRegistry watches_;
  PubSubRegistry pubsub_;
  TrackingRegistry tracking_;
  ErrorStats error_stats_;
  LatencyMonitor latency_;
  ExpireCycleStats expire_stats_;
  scripting::ScriptRegistry scripts_;
  std::unique_ptr<acl::AclRegistry> acl_;
  std::string acl_startup_error_;
  persistence::WriteLog write_log_;
  std::unique_ptr<Persistence> persistence_;  // after everything it uses
  std::unique_ptr<ReplicationPrimary> replication_;  // after the persistence it saves with
  std::unique_ptr<ReplicationReplica> replica_link_;  // after what it loads into
  MemoryMeter memory_meter_;
  LazyFreer lazy_free_{&memory_meter_};  // after the meter, which outlives its thread
  std::unique_ptr<Evictor> evictor_;
  ClientEviction client_eviction_;
  OomScoreAdjuster oom_score_;  // oom-score-adj (oom_score.h)
  InstantMetrics metrics_;
  std::vector<std::unique_ptr<WorkerStats>> worker_stats_;
  std::function<int64_t()> clock_;
  int64_t start_time_ms_;
  std::string run_id_;
  std::string executable_;
  std::string background_cpulist_;
  std::string config_file_;
  std::atomic<int> tcp_port_{0};
  std::atomic<int> tls_port_{0};
  int io_threads_ = 1;
};

}  // namespace tessera::server
