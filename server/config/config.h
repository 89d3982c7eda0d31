// The server's configuration: ServerConfig holds the typed values; ConfigRegistry loads them
// (redis.conf and the command line), serves them (CONFIG GET), changes them (CONFIG SET) and
// writes them back (CONFIG REWRITE).
//
// Approach: one declarative table (config_table.cc) describes every directive: name, alias,
// type, default in redis.conf syntax, bounds, flags and which ServerConfig field holds it, like
// Redis's standardConfig table.  Loading, GET, SET and REWRITE are generic over that table, so
// adding a directive is one ServerConfig field plus one table row.  Rejected: a hand-written
// case per directive in each of the four paths (Redis before 7.0), which let them drift apart.
//
// Threads: workers read ServerConfig directly.  A value CONFIG SET can change is std::atomic
// (load it with memory_order_relaxed: values are independent, no order between two of them is
// promised) or Guarded<T> (a copying getter under its own mutex).  Immutable values are plain:
// they are written only at start-up, before any worker thread exists.
//
// The registry's own operations are serialized by mu_.  Apply hooks (OnApply) run with mu_
// held: a hook may read ServerConfig but must not call back into the registry.
//
// Error texts match Redis 7.2.4 byte for byte: clients and test suites match on them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/log.h"

namespace tessera::server {

// The lower-case names of every top-level command (server/commands/registry.cc), for the
// loader's checks of rename-command lines.
std::vector<std::string> TopLevelCommandNames();

class ConfigRewriter;  // config_file.h

// A runtime-changeable value too big for an atomic: readers get a copy.
template <typename T>
class Guarded {
 public:
  Guarded() = default;
  explicit Guarded(T value) : value_(std::move(value)) {}
  T Get() const {
    std::lock_guard lock(mu_);
    return value_;
  }
  void Set(T value) {
    std::lock_guard lock(mu_);
    value_ = std::move(value);
  }

 private:
  mutable std::mutex mu_;
  T value_;  // guarded by mu_
};

// Numbered as Redis's LL_DEBUG (0) ... LL_NOTHING (4).
// enable-debug-command: kLocal allows it from loopback and unix-socket connections only.
enum class ProtectedAction : uint8_t { kNo, kYes, kLocal };
// appendfsync, in Redis's order of names.
enum class AppendFsync : uint8_t { kAlways, kEverysec, kNo };
// sanitize-dump-payload.  Accepted and reported only: the RDB reader always validates in
// depth (persistence/rdb_reader.h), which is what Redis does with "yes".
enum class SanitizeDump : uint8_t { kNo, kYes, kClients };
// propagation-error-behavior.
enum class PropagationError : uint8_t { kIgnore, kPanic, kPanicOnReplicas };
// shutdown-on-sigterm / -sigint words (Redis's SHUTDOWN_* flags).
enum ShutdownSignalFlag : uint32_t {
  kShutdownSave = 1u << 0,
  kShutdownNoSave = 1u << 1,
  kShutdownNow = 1u << 2,
  kShutdownForce = 1u << 3,
};

struct SaveParam {
  int64_t seconds;
  // Redis keeps this in an int, so 2^31 and beyond wrap ("900 -1" in CONFIG GET) and
  // cannot be read back; we keep the number as given (strtoll saturates at 2^63-1).
  int64_t changes;
  bool operator==(const SaveParam&) const = default;
};

// Client classes of client-output-buffer-limit, in Redis's order (its CLIENT_TYPE_* values).
enum ClientClass : int { kClientNormal = 0, kClientReplica = 1, kClientPubSub = 2 };
inline constexpr int kClientClasses = 3;

// key-ttl-policy <glob> <default-seconds> <max-seconds> (server/key_ttl_policy.h); 0 means
// none for either number.
struct KeyTtlPolicy {
  std::string pattern;
  int64_t default_s = 0;
  int64_t max_s = 0;
  bool operator==(const KeyTtlPolicy&) const = default;
};
using KeyTtlPolicies = std::vector<KeyTtlPolicy>;

// One field per directive (field = directive name with '_' for '-').  Defaults live in the
// table, not here, so there is one source of truth; the registry's constructor applies them.
struct ServerConfig {
  // Network.
  Guarded<std::vector<std::string>> bind;  // empty: no TCP listener
  std::atomic<int> port{0};
  std::string unixsocket;       // immutable; "" = none
  uint32_t unixsocketperm = 0;  // immutable; 0 = leave it to the umask
  std::atomic<bool> protected_mode{false};
  std::atomic<int> timeout{0};        // idle seconds before a client is closed; 0 = never
  std::atomic<int> tcp_keepalive{0};  // seconds; 0 = off
  int tcp_backlog = 0;                // immutable
  std::atomic<uint32_t> maxclients{0};
  std::atomic<int64_t> tracking_table_max_keys{0};  // key table bound (0 = none)
  // The default user's password ("" = none).  The ACL code owns users: it reads this at
  // start-up and registers an OnApply hook for changes.
  Guarded<std::string> requirepass;
  // TLS (server/net/tls.h).  The port is read at start-up; CONFIG SET of the others builds a
  // new TLS context for new connections (certificate rotation).  tls_auth_clients: 0 no,
  // 1 yes, 2 optional.  tls-replication and tls-cluster are accepted for what comes later.
  std::atomic<int> tls_port{0};
  Guarded<std::string> tls_cert_file;
  Guarded<std::string> tls_key_file;
  Guarded<std::string> tls_key_file_pass;
  Guarded<std::string> tls_ca_cert_file;
  Guarded<std::string> tls_ca_cert_dir;
  // The certificate this server presents when it is the client (replication, later).
  Guarded<std::string> tls_client_cert_file;
  Guarded<std::string> tls_client_key_file;
  Guarded<std::string> tls_client_key_file_pass;
  Guarded<std::string> tls_dh_params_file;  // DH parameters for DHE ciphers (PEM)
  std::atomic<int> tls_auth_clients{1};
  Guarded<std::string> tls_protocols;
  Guarded<std::string> tls_ciphers;
  Guarded<std::string> tls_ciphersuites;
  std::atomic<bool> tls_prefer_server_ciphers{false};
  std::atomic<bool> tls_session_caching{true};
  bool tls_replication = false;
  bool tls_cluster = false;
  // ACL (server/acl).  `user_lines`: the config file's `user <name> <rules...>` lines, words
  // after "user", applied at start-up.  `acl_pubsub_default`: 1 = allchannels, 0 =
  // resetchannels (the channels a new user starts with).
  std::string aclfile;                               // immutable; "" = none
  std::vector<std::vector<std::string>> user_lines;  // immutable
  // rename-command lines, in order: (current name, new name; "" disables the command).  The
  // loader checks each against the command table as the lines before it left it; the server
  // applies them to its table at start-up (CommandTable::Rename).
  std::vector<std::pair<std::string, std::string>> command_renames;  // immutable
  std::atomic<uint64_t> acllog_max_len{0};
  std::atomic<int> acl_pubsub_default{0};

  // Process.
  int io_threads = 0;      // immutable
  int databases = 0;       // immutable
  bool daemonize = false;  // immutable
  std::string pidfile;     // immutable; "" = none
  std::string logfile;     // immutable; "" = standard output
  std::atomic<LogLevel> loglevel{LogLevel::kNotice};
  std::atomic<int> hz{0};  // always within 1..500 (Redis clamps, never rejects)
  // The cron runs faster with many clients (EffectiveHz below).
  std::atomic<bool> dynamic_hz{true};
  // The process title `ps` shows (server/proc_title.h): set at start-up when set_proc_title;
  // CONFIG SET proc-title-template rewrites it (whatever set_proc_title says, as Redis does).
  bool set_proc_title = true;  // immutable
  Guarded<std::string> proc_title_template;
  // setlocale(LC_COLLATE) at start-up and on CONFIG SET: SORT ... ALPHA (without STORE) and
  // Lua's string comparison collate with it.  "" takes it from the environment.
  Guarded<std::string> locale_collate;
  // Transparent huge pages off for this process (prctl) when the kernel has them "always".
  bool disable_thp = true;  // immutable
  // CPU affinity in Redis's cpulist syntax (core/base/cpu_list.h), "" for none; immutable.
  // server: the main thread and the workers; bio: the AOF writer and the lazy-free thread
  // (when empty, they keep the CPUs the process started with, as Redis's bio threads do);
  // aof_rewrite and bgsave: the threads writing a rewrite's or a background save's snapshot
  // (Redis's forked children).
  std::string server_cpulist;
  std::string bio_cpulist;
  std::string aof_rewrite_cpulist;
  std::string bgsave_cpulist;
  // jemalloc's background purging thread (mallctl "background_thread").
  std::atomic<bool> jemalloc_bg_thread{true};
  ProtectedAction enable_debug_command = ProtectedAction::kNo;  // immutable
  // CONFIG SET of protected directives (dir, dbfilename): allowed, refused, or from local
  // clients only.
  ProtectedAction enable_protected_configs = ProtectedAction::kNo;  // immutable
  // No MODULE command exists: accepted for redis.conf compatibility, without effect.
  ProtectedAction enable_module_command = ProtectedAction::kNo;  // immutable
  // Whether the cron advances the incremental rehashing of big tables.
  std::atomic<bool> activerehashing{true};
  // The start-up banner (mode, port, PID) even when the log is not a terminal.
  std::atomic<bool> always_show_logo{false};
  // Replication (server/replication/).  The diskless directives are kept only: a full sync
  // always goes through a file on both sides (config/README.md), which is Redis's
  // repl-diskless-sync no / repl-diskless-load disabled.
  std::atomic<bool> repl_diskless_sync{true};
  std::atomic<int64_t> repl_diskless_sync_delay{5};
  std::atomic<int64_t> repl_diskless_sync_max_replicas{0};
  std::atomic<int> repl_diskless_load{0};  // disabled, on-empty-db, swapdb
  // A replica's link loses TCP_NODELAY when it starts its sync (fewer, bigger packets).
  std::atomic<bool> repl_disable_tcp_nodelay{false};
  // A replica frees its old dataset on the lazy-free thread when a full sync replaces it.
  std::atomic<bool> replica_lazy_flush{false};
  std::atomic<int64_t> repl_ping_replica_period{10};  // seconds between PINGs to replicas
  std::atomic<bool> replica_serve_stale_data{true};
  // replicaof: "host port" of the primary, "" on a primary.  Immutable for CONFIG SET, but
  // REPLICAOF changes it at run time (through the const view every module has: it is the
  // replica's state as much as a directive).
  mutable Guarded<std::string> replicaof;
  Guarded<std::string> masterauth;  // AUTH to the primary during the handshake ("": none)
  Guarded<std::string> masteruser;
  std::atomic<bool> replica_read_only{true};
  std::atomic<bool> replica_ignore_maxmemory{true};
  std::atomic<bool> replica_announced{true};      // INFO replica_announced (for Sentinel)
  std::atomic<int64_t> replica_priority{100};     // INFO slave_priority (for Sentinel)
  Guarded<std::string> replica_announce_ip;       // sent as REPLCONF ip-address ("": none)
  std::atomic<int64_t> replica_announce_port{0};  // REPLCONF listening-port (0: our port)
  std::atomic<int64_t> repl_timeout{60};          // seconds without a byte from the primary
  // A primary refuses writes (-NOREPLICAS) while fewer than min-replicas-to-write replicas
  // acknowledged within min-replicas-max-lag seconds (either 0: no such rule).
  std::atomic<int64_t> min_replicas_to_write{0};
  std::atomic<int64_t> min_replicas_max_lag{10};
  // Kept and shown by INFO: there is no backlog yet (every resync is a full one).
  std::atomic<int64_t> repl_backlog_size{1024 * 1024};
  std::atomic<int64_t> repl_backlog_ttl{3600};
  // LATENCY: events of at least this many ms are recorded (0: off).  latency-tracking keeps
  // each command's duration histogram; INFO latencystats prints these percentiles of it.
  std::atomic<int64_t> latency_monitor_threshold{0};
  std::atomic<bool> latency_tracking{true};
  Guarded<std::vector<double>> latency_tracking_info_percentiles;
  // Beyond Redis: the TTL safety net (shared, so the write path copies a pointer, not the
  // list; key_ttl_policy_on lets it skip even that when there is none), and the port of the
  // Prometheus /metrics endpoint (0: off; CONFIG SET moves it).
  Guarded<std::shared_ptr<const KeyTtlPolicies>> key_ttl_policy;
  std::atomic<bool> key_ttl_policy_on{false};
  std::atomic<int> metrics_port{0};
  Guarded<std::string> dir;  // the absolute working directory, set by chdir

  // Limits.
  std::atomic<int64_t> proto_max_bulk_len{0};
  std::atomic<size_t> client_query_buffer_limit{0};
  std::atomic<int64_t> slowlog_log_slower_than{0};  // microseconds; -1 = off, 0 = everything
  std::atomic<uint64_t> slowlog_max_len{0};
  // client-output-buffer-limit per client class, indexed by ClientClass.  0 = no limit.
  std::atomic<uint64_t> client_obuf_hard[kClientClasses] = {};
  std::atomic<uint64_t> client_obuf_soft[kClientClasses] = {};
  std::atomic<int64_t> client_obuf_soft_seconds[kClientClasses] = {};
  // Milliseconds a script may run before other clients get -BUSY (alias lua-time-limit).
  std::atomic<int64_t> busy_reply_threshold{0};

  // Persistence (persistence/, server/persistence_*.cc).
  Guarded<std::vector<SaveParam>> save;
  std::atomic<bool> appendonly{false};
  Guarded<std::string> dbfilename;
  std::atomic<AppendFsync> appendfsync{AppendFsync::kEverysec};
  std::string appenddirname;   // immutable
  std::string appendfilename;  // immutable
  std::atomic<bool> aof_use_rdb_preamble{true};
  std::atomic<bool> aof_load_truncated{true};
  std::atomic<bool> aof_timestamp_enabled{false};
  std::atomic<bool> no_appendfsync_on_rewrite{false};
  std::atomic<bool> aof_disable_auto_gc{false};  // a test hook: rewrites keep old files as history
  std::atomic<bool> aof_rewrite_incremental_fsync{true};
  std::atomic<bool> rdb_save_incremental_fsync{true};
  std::atomic<int64_t> auto_aof_rewrite_percentage{0};
  std::atomic<int64_t> auto_aof_rewrite_min_size{0};
  std::atomic<bool> rdbcompression{true};
  std::atomic<bool> rdbchecksum{true};
  std::atomic<bool> stop_writes_on_bgsave_error{true};
  std::atomic<bool> rdb_del_sync_files{false};
  std::atomic<SanitizeDump> sanitize_dump_payload{SanitizeDump::kNo};
  // Test hooks of Redis's suite: microseconds slept per key saved / loaded.
  std::atomic<int64_t> rdb_key_save_delay{0};
  std::atomic<int64_t> key_load_delay{0};
  std::atomic<int64_t> loading_process_events_interval_bytes{0};
  // shutdown-on-sigterm / shutdown-on-sigint: ShutdownSignalFlag bits (0: default).
  std::atomic<uint32_t> shutdown_on_sigterm{0};
  std::atomic<uint32_t> shutdown_on_sigint{0};
  // shutdown-timeout: seconds SHUTDOWN and SIGTERM/SIGINT wait for lagging replicas (0: none).
  std::atomic<int64_t> shutdown_timeout{10};
  // propagation-error-behavior: what an AOF replay does when a command fails.
  std::atomic<PropagationError> propagation_error_behavior{PropagationError::kIgnore};
  // An expired key's big value is freed by the lazy-free thread (server/lazy_free.h), and
  // its deletion is logged as UNLINK instead of DEL.
  std::atomic<bool> lazyfree_lazy_expire{false};
  // A key the server deletes or overwrites as a side effect of a command (SPOP of a whole
  // set, SET over a set, RENAME's destination) likewise: freed lazily, logged as UNLINK.
  std::atomic<bool> lazyfree_lazy_server_del{false};
  // DEL frees as UNLINK does.
  std::atomic<bool> lazyfree_lazy_user_del{false};
  // FLUSHALL / FLUSHDB / SCRIPT FLUSH / FUNCTION FLUSH with no SYNC or ASYNC act as ASYNC.
  std::atomic<bool> lazyfree_lazy_user_flush{false};
  // Test hooks of Redis's suite, accepted with no effect: Tessera has no crash handler (so no
  // memory test after a crash, and a failed assertion aborts whatever use-exit-on-panic says).
  std::atomic<bool> crash_memcheck_enabled{true};
  std::atomic<bool> use_exit_on_panic{false};
  // notify-keyspace-events: NotifyClass bits (server/notify.h); 0 = no events.
  std::atomic<uint32_t> notify_keyspace_events{0};

  // Memory limit and eviction (server/evictor.h).  maxmemory 0: no limit.  The policy is a
  // keyspace::EvictionPolicy value (the table's enum order is that enum's).
  std::atomic<uint64_t> maxmemory{0};
  std::atomic<int> maxmemory_policy{0};
  std::atomic<int> maxmemory_samples{0};
  std::atomic<int> maxmemory_eviction_tenacity{0};
  std::atomic<int> lfu_log_factor{0};
  std::atomic<int> lfu_decay_time{0};
  // An evicted key's big value is freed lazily, its deletion logged as UNLINK (see
  // lazyfree-lazy-expire).
  std::atomic<bool> lazyfree_lazy_eviction{false};
  // Active defragmentation's directives, kept and shown but used by nothing: Redis needs its
  // modified jemalloc to defragment, and a Redis built without it (as on Debian's jemalloc)
  // refuses `activedefrag yes` and accepts the rest, as we do (config/README.md).
  std::atomic<bool> activedefrag{false};
  std::atomic<int> active_defrag_cycle_min{0};
  std::atomic<int> active_defrag_cycle_max{0};
  std::atomic<int> active_defrag_threshold_lower{0};
  std::atomic<int> active_defrag_threshold_upper{0};
  std::atomic<int64_t> active_defrag_max_scan_fields{0};
  std::atomic<int64_t> active_defrag_ignore_bytes{0};
  // maxmemory-clients (server/client_eviction.h): bytes, or -N for N% of maxmemory; 0: off.
  std::atomic<int64_t> maxmemory_clients{0};
  // oom-score-adj (no, yes, relative, absolute: OomScoreAdjMode) and its three values for
  // the primary, replica and background-child classes (server/oom_score.h).
  std::atomic<int> oom_score_adj{0};
  std::atomic<int> oom_score_adj_values[3] = {0, 200, 800};

  // Encoding thresholds of the aggregate types.
  std::atomic<size_t> hash_max_listpack_entries{0};
  std::atomic<size_t> hash_max_listpack_value{0};
  std::atomic<size_t> set_max_intset_entries{0};
  std::atomic<size_t> set_max_listpack_entries{0};
  std::atomic<size_t> set_max_listpack_value{0};
  std::atomic<size_t> zset_max_listpack_entries{0};
  std::atomic<size_t> zset_max_listpack_value{0};
  std::atomic<int> list_max_listpack_size{0};
  std::atomic<int> list_compress_depth{0};
  std::atomic<size_t> hll_sparse_max_bytes{0};
  std::atomic<size_t> stream_node_max_bytes{0};
  std::atomic<int64_t> stream_node_max_entries{0};
};

// How the write log records a key deleted because it expired: DEL, or UNLINK with
// lazyfree-lazy-expire (as Redis propagates it).
inline const char* ExpiredKeyDeleteCommand(const ServerConfig& c) {
  return c.lazyfree_lazy_expire.load(std::memory_order_relaxed) ? "UNLINK" : "DEL";
}

// How the write log records a key the server deletes on its own while running a command:
// DEL, or UNLINK with lazyfree-lazy-server-del.
inline const char* ServerDeleteCommand(const ServerConfig& c) {
  return c.lazyfree_lazy_server_del.load(std::memory_order_relaxed) ? "UNLINK" : "DEL";
}

// How the write log records a key deleted by eviction: DEL, or UNLINK with
// lazyfree-lazy-eviction.
inline const char* EvictedKeyDeleteCommand(const ServerConfig& c) {
  return c.lazyfree_lazy_eviction.load(std::memory_order_relaxed) ? "UNLINK" : "DEL";
}

// The cron frequency with `clients` connected: hz, doubled while there are more than 200
// clients per tick (up to 500) when dynamic-hz is on, as Redis's serverCron adapts it.
inline int EffectiveHz(const ServerConfig& c, size_t clients) {
  int hz = c.hz.load(std::memory_order_relaxed);
  if (!c.dynamic_hz.load(std::memory_order_relaxed)) return hz;
  constexpr size_t kMaxClientsPerTick = 200;
  while (clients / static_cast<size_t>(hz) > kMaxClientsPerTick && hz < 500) {
    hz = std::min(hz * 2, 500);
  }
  return hz;
}

class ConfigRegistry {
 public:
  struct Entry;  // one table row, defined in config_table.h

  // Every value starts at its table default.  Construct before starting threads: it records
  // the process umask, which CONFIG REWRITE applies to the file it writes.
  ConfigRegistry();
  ConfigRegistry(const ConfigRegistry&) = delete;
  ConfigRegistry& operator=(const ConfigRegistry&) = delete;

  const ServerConfig& values() const { return values_; }

  // ---- Start-up: REQUIRES single-threaded use, before workers start ----

  // Replaces a directive's default (the value when nothing sets it, and what REWRITE compares
  // against); main uses it to make io-threads default to the CPU count.  Returns false with
  // Redis's reason in *error if `value` is invalid.  REQUIRES: before any Load*.
  bool SetDefault(std::string_view name, std::string_view value, std::string* error);

  // redis-server's command line: [config-file | -] [--name value...].  The file (or stdin) and
  // the options are joined into one config text and parsed as Redis does: a --name takes the
  // words up to the next --name (a bare --name takes the next word even if it starts with
  // "--", and a bare --save means save "").  On failure returns false with the exact text
  // redis-server prints ("\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n...").
  // --version and --help are main's business.
  bool LoadFromCommandLine(int argc, char** argv, std::string* error);

  // Parses config text (redis.conf syntax, `include` included).  Same error contract.
  bool LoadFromString(std::string_view text, std::string* error);

  // Absolute path of the config file named on the command line; "" if none.
  std::string config_file() const;

  // ---- Runtime: any thread ----

  // Registers `hook` to run after a CONFIG SET changed directive `name` (or its alias).
  // Returning false (with a reason in *err, which may stay empty) rolls the whole CONFIG SET
  // back: every value is restored, then the hook of every changed directive runs again so
  // subsystems see the old values (their results are then ignored).  Hooks never run at
  // start-up: subsystems read the loaded values.  REQUIRES: `name` is a known directive.
  void OnApply(std::string_view name, std::function<bool(std::string* err)> hook);

  // CONFIG GET: (name, value) of every directive matching any of the patterns (glob, case
  // insensitive), each at most once.  As in Redis 7.2, a pattern without glob characters is an
  // exact lookup that echoes the name as given, and an alias that matches a glob is listed
  // under the alias name too.
  std::vector<std::pair<std::string, std::string>> Get(
      std::span<const std::string_view> patterns) const;

  // CONFIG SET: "" on success, else the error text without its leading '-'.  All or nothing:
  // on any error no value has changed (hooks that ran have run again with the old values).
  // `allow_protected`: the caller may change protected directives (enable-protected-configs
  // allows it for this client).
  std::string Set(std::span<const std::pair<std::string_view, std::string_view>> pairs,
                  bool allow_protected = false);

  // CONFIG REWRITE of config_file(): "" on success, else the error text without '-'.  The file
  // is replaced atomically (temporary file, fsync, rename, fsync of the directory).
  // `user_lines` ("user <name> <rules>"), when given, replace the file's `user` lines, as
  // Redis rewrites its users (server/acl owns them; the registry only keeps the lines).
  std::string Rewrite(const std::vector<std::string>* user_lines = nullptr);

  // True iff `name` is a directive whose value must not reach logs (SLOWLOG, MONITOR): callers
  // of Set redact that argument.  CONFIG GET still shows the value, as Redis does.
  bool IsSensitive(std::string_view name) const;

  // Primary names of every directive, in table order.
  static std::vector<std::string_view> Names();

 private:
  struct Match {
    size_t index;   // row in the table
    bool is_alias;  // found by its alias
  };

  static bool Find(std::string_view name, Match* match);
  static std::string_view DisplayName(Match match);
  // The value as CONFIG GET shows it.
  std::string Render(size_t index) const;
  // Validates and stores; *changed says whether the stored value differs from before.
  bool SetFromArgs(size_t index, std::vector<std::string> args, bool* changed, std::string* err);
  // CONFIG SET's form of a value: a multi-argument directive's value is split on spaces.
  bool SetFromString(size_t index, std::string_view value, bool* changed, std::string* err);
  void RestoreValues(std::span<const Match> matches, std::span<const std::string> old_values);
  // CONFIG SET's checks of the names alone: "" if all may be set, else the error reply.
  static std::string MatchSetNames(
      std::span<const std::pair<std::string_view, std::string_view>> pairs,
      std::vector<Match>* matches, bool allow_protected);
  // Runs the hooks of `rows` in order; false at the first failure.
  bool RunHooks(std::span<const size_t> rows, size_t* failed_row, std::string* err);
  // The loader.  LoadText (config_file.cc) reads lines and includes; LoadDirective (config.cc)
  // applies one line.  REQUIRES: mu_ held.
  bool LoadText(std::string_view text, int depth, std::string* error);
  bool LoadDirective(const std::vector<std::string>& argv, std::string* reason);
  bool LoadRenameCommand(const std::string& name, const std::string& new_name, std::string* reason);
  void RewriteEntry(size_t index, ConfigRewriter* rewriter) const;

  mutable std::mutex mu_;  // serializes loading, Get, Set, Rewrite and OnApply
  ServerConfig values_;
  // Per table row: the default as CONFIG GET shows it, and the apply hooks.
  std::vector<std::string> defaults_;
  std::vector<std::vector<std::function<bool(std::string*)>>> hooks_;
  std::string config_file_;
  bool reading_file_ = false;     // true while loading: `save` lines accumulate
  bool save_reset_done_ = false;  // the first `save` line read has dropped the default schedule
  unsigned umask_ = 022;
};

}  // namespace tessera::server
