#include "server/persistence.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/base/hash.h"
#include "core/keyspace/keyspace.h"
#include "core/keyspace/object.h"
#include "server/aof.h"
#include "server/commands/function_family.h"
#include "server/commands/type_limits.h"
#include "server/log.h"
#include "server/process_settings.h"
#include "server/server.h"
#include "server/snapshot.h"

namespace tessera::server {

namespace {

namespace rdb = persistence::rdb;

// Redis waits this long before retrying a failed background save from the save points.
constexpr int64_t kBgsaveRetryDelayS = 5;

int64_t NowS() { return Server::RealNowMs() / 1000; }

}  // namespace

Persistence::Persistence(Server& server) : server_(server), aof_(std::make_unique<Aof>(server)) {
  stats_.lastsave_s = NowS();
  // CONFIG SET appendonly yes builds an AOF from the dataset; no stops writing it.
  server.config_registry().OnApply("appendonly", [this](std::string* err) {
    if (server_.config().appendonly.load()) return aof_->Enable(err);
    aof_->Disable();
    return true;
  });
  server.config_registry().OnApply("aof-disable-auto-gc", [this](std::string*) {
    aof_->CollectHistory();
    return true;
  });
  for (const char* name : {"appendfsync", "aof-timestamp-enabled"}) {
    server.config_registry().OnApply(name, [this](std::string*) {
      aof_->ApplyWriterConfig();
      return true;
    });
  }
}

Persistence::~Persistence() {
  WaitForBackgroundSave();
  aof_.reset();
}

persistence::rdb::LoadOptions Persistence::LoadOptionsNow() const {
  rdb::LoadOptions o;
  o.check_crc = server_.config().rdbchecksum.load(std::memory_order_relaxed) &&
                !server_.skip_checksum_validation.load(std::memory_order_relaxed);
  o.now_ms = Server::RealNowMs();
  o.clock = static_cast<uint32_t>(o.now_ms / 1000) & 0xFFFFFF;
  o.num_dbs = server_.keyspace().num_dbs();
  o.list = ListLimitsOf(server_);
  o.hash = HashLimitsOf(server_);
  o.set = SetLimitsOf(server_);
  o.zset = ZSetLimitsOf(server_);
  return o;
}

void Persistence::TrackJob(SnapshotJob* job, bool background) {
  std::lock_guard<std::mutex> lock(mu_);
  if (job == nullptr && job_ != nullptr && background) stats_.rdb_last_cow_size = job_->kept_peak();
  job_ = job;
}

std::string Persistence::WriteSnapshotFile(const std::string& path, bool background) {
  // Redis's names: a save in the main process writes temp-<its pid>.rdb, a background save
  // temp-<the pid of the child writing it>.rdb.  Ours has no child: the thread writing it
  // gives its id, so neither name can be another save's.
  const long writer_id = background ? static_cast<long>(::gettid()) : static_cast<long>(::getpid());
  const std::string tmp = "temp-" + std::to_string(writer_id) + ".rdb";
  // rdb-key-save-delay slows every save, SAVE's too, as in Redis.
  std::string err = server::WriteSnapshotFile(
      server_, tmp, path, SnapshotOptionsFromConfig(server_, /*with_delay=*/true),
      [this, background](SnapshotJob* job) { TrackJob(job, background); });
  if (!err.empty() && err != "aborted") {
    std::error_code ec;
    std::string cwd = std::filesystem::current_path(ec).string();
    Log(LogLevel::kWarning, "Write error saving DB on disk (temp file {} in {}): {}", tmp,
        ec ? "unknown" : cwd, err);
  }
  return err;
}

void Persistence::BackgroundSaveThreadSetup() {
  // Redis's background save is a child process of its own; ours is this thread.  Named once
  // pinned, so that a thread seen by its name has its CPUs.
  PinThread(pthread_self(), server_.config().bgsave_cpulist);
  pthread_setname_np(pthread_self(), "rdb_bgsave");
}

void Persistence::SaveDone(bool ok, uint64_t dirty_at_start, int64_t started_s, bool background) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ok) {
    stats_.lastsave_s = NowS();
    stats_.dirty_at_last_save = dirty_at_start;
    ++stats_.rdb_saves;
  }
  if (background) {
    stats_.last_bgsave_ok = ok;
    bgsave_failed_.store(!ok, std::memory_order_relaxed);
    stats_.last_bgsave_time_s = NowS() - started_s;
    stats_.current_bgsave_start_s = -1;
  } else if (ok) {
    stats_.last_bgsave_ok = true;  // a good SAVE clears MISCONF, as in Redis
    bgsave_failed_.store(false, std::memory_order_relaxed);
  }
}

std::string Persistence::Save() {
  if (bgsave_in_progress()) return "ERR Background save already in progress";
  // One SAVE at a time: they share temp-<pid>.rdb (and a snapshot marks every shard).
  std::lock_guard<std::mutex> one_at_a_time(save_mu_);
  while (aof_->rewrite_in_progress()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  uint64_t dirty = server_.Dirty();
  int64_t started = NowS();
  std::string err = WriteSnapshotFile(server_.config().dbfilename.Get(), false);
  SaveDone(err.empty(), dirty, started, false);
  if (!err.empty()) return "ERR";
  Log(LogLevel::kNotice, "DB saved on disk");
  return "";
}

bool Persistence::BackgroundSave(std::string* err, bool schedule) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bgsave_running_.load(std::memory_order_acquire)) {
    *err = "ERR Background save already in progress";
    return false;
  }
  if (aof_->rewrite_in_progress()) {
    if (schedule) {
      bgsave_scheduled_ = true;
      *err = "";
      return false;
    }
    *err =
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
        "SCHEDULE in order to schedule a BGSAVE whenever possible.";
    return false;
  }
  if (bgsave_thread_.joinable()) bgsave_thread_.join();
  bgsave_running_.store(true, std::memory_order_release);
  const int64_t started = NowS();
  stats_.current_bgsave_start_s = started;
  last_bgsave_try_s_ = started;
  Log(LogLevel::kNotice, "Background saving started by pid {}", ::getpid());
  const uint64_t dirty = server_.Dirty();
  const std::string path = server_.config().dbfilename.Get();
  bgsave_thread_ = std::thread([this, dirty, started, path] {
    BackgroundSaveThreadSetup();
    std::string e = WriteSnapshotFile(path, true);
    if (e.empty()) Log(LogLevel::kNotice, "DB saved on disk");
    if (e == "aborted") {
      // Cancelled by FLUSHALL: not a failure (no MISCONF), as Redis treats its killed child.
      std::lock_guard<std::mutex> lock(mu_);
      stats_.current_bgsave_start_s = -1;
      bgsave_running_.store(false, std::memory_order_release);
      return;
    }
    SaveDone(e.empty(), dirty, started, true);
    if (e.empty()) {
      Log(LogLevel::kNotice, "Background saving terminated with success");
    } else {
      Log(LogLevel::kWarning, "Background saving error");
    }
    bgsave_running_.store(false, std::memory_order_release);
  });
  return true;
}

bool Persistence::BackgroundSaveForReplication(
    std::function<void(uint64_t)> at_point,
    std::function<void(const std::string& err, const std::string& path)> done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bgsave_running_.load(std::memory_order_acquire) || aof_->rewrite_in_progress()) {
    return false;
  }
  if (bgsave_thread_.joinable()) bgsave_thread_.join();
  bgsave_running_.store(true, std::memory_order_release);
  stats_.current_bgsave_start_s = NowS();
  Log(LogLevel::kNotice, "Starting BGSAVE for SYNC with target: disk");
  Log(LogLevel::kNotice, "Background RDB transfer started by pid {}", ::getpid());
  bgsave_thread_ = std::thread([this, at_point = std::move(at_point), done = std::move(done)] {
    BackgroundSaveThreadSetup();
    const std::string tmp = "temp-" + std::to_string(::getpid()) + "-sync-" +
                            std::to_string(Server::MonotonicUs()) + ".rdb";
    SnapshotOptions opts = SnapshotOptionsFromConfig(server_, true);
    opts.at_point = at_point;
    // Not renamed: `path` is the temporary file itself.
    std::string e = server::WriteSnapshotFile(
        server_, tmp, tmp, opts, [this](SnapshotJob* job) { TrackJob(job, /*background=*/true); });
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = nullptr;
      stats_.current_bgsave_start_s = -1;
    }
    Log(e.empty() ? LogLevel::kNotice : LogLevel::kWarning, "{}",
        e.empty() ? "Background RDB transfer terminated with success"
                  : "Background transfer error: " + e);
    done(e, tmp);
    bgsave_running_.store(false, std::memory_order_release);
  });
  return true;
}

void Persistence::AbortBackgroundSave(const char* message) {
  if (!bgsave_in_progress()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (job_) job_->Abort();
  }
  Log(LogLevel::kNotice, "{}", message);
}

void Persistence::AbortSave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (job_ != nullptr) job_->Abort();
}

void Persistence::WaitForBackgroundSave() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t = std::move(bgsave_thread_);
  }
  if (t.joinable()) t.join();
}

bool Persistence::WritesRefused() const {
  // The dispatcher asks for every write: one relaxed load unless a save has failed.
  if (!bgsave_failed_.load(std::memory_order_relaxed)) return false;
  return server_.config().stop_writes_on_bgsave_error.load(std::memory_order_relaxed) &&
         !server_.config().save.Get().empty();
}

Persistence::Stats Persistence::stats() const {
  Stats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = stats_;
    if (job_) {
      s.current_save_keys_processed = job_->keys_written();
      s.current_save_keys_total = job_->keys_total();
      s.current_cow_size = job_->kept_bytes();
      s.current_cow_peak = job_->kept_peak();
      return s;
    }
  }
  // No save: an AOF rewrite's snapshot, as Redis shows its rewriting child's progress here.
  const Aof::SnapshotProgress rewrite = aof_->snapshot_progress();
  s.current_save_keys_processed = rewrite.keys_processed;
  s.current_save_keys_total = rewrite.keys_total;
  s.current_cow_size = rewrite.kept_bytes;
  s.current_cow_peak = rewrite.kept_peak;
  return s;
}

void Persistence::Cron(int64_t now_ms) {
  aof_->Cron();
  if (bgsave_in_progress() || aof_->rewrite_in_progress()) return;
  bool scheduled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    scheduled = bgsave_scheduled_;
    bgsave_scheduled_ = false;
  }
  if (scheduled) {
    std::string err;
    BackgroundSave(&err);
    return;
  }
  const int64_t now_s = now_ms / 1000;
  Stats s = stats();
  const uint64_t changes = server_.Dirty() - s.dirty_at_last_save;
  for (const SaveParam& p : server_.config().save.Get()) {
    // After a failed save, wait kBgsaveRetryDelayS before trying again (Redis's rule).
    bool retry_ok;
    {
      std::lock_guard<std::mutex> lock(mu_);
      retry_ok = stats_.last_bgsave_ok || now_s - last_bgsave_try_s_ > kBgsaveRetryDelayS;
    }
    if (changes >= static_cast<uint64_t>(p.changes) && now_s - s.lastsave_s >= p.seconds &&
        retry_ok) {
      Log(LogLevel::kNotice, "{} changes in {} seconds. Saving...", p.changes, p.seconds);
      std::string err;
      BackgroundSave(&err);
      break;
    }
  }
}

bool Persistence::LoadRdbFile(const std::string& path, std::string* err, uint64_t* consumed,
                              bool merge) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = std::strerror(errno);
    return false;
  }
  struct stat st;
  loading_total_bytes.store(::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0);
  loading_loaded_bytes.store(0);
  loading_start_s.store(NowS());
  rdb::FileSource src(fd);
  rdb::LoadOptions opts = LoadOptionsNow();
  keyspace::Keyspace& ks = server_.keyspace();
  uint64_t loaded = 0;
  const int64_t key_delay = server_.config().key_load_delay.load(std::memory_order_relaxed);
  // Values decode on the other cores while this thread reads and inserts (rdb_parallel.h);
  // key-load-delay (a test's slow load) keeps everything on this thread.
  const unsigned cpus = std::thread::hardware_concurrency();
  opts.decode_threads = key_delay > 0 || cpus < 2 ? 0 : static_cast<int>(std::min(cpus - 1, 3u));
  rdb::LoadCallbacks cb;
  uint64_t expired = 0;
  std::string duplicate;  // the first key found already present (no merge)
  cb.on_expired = [&](int, std::string_view) { ++expired; };
  uint64_t empty_keys = 0;
  cb.on_empty_key = [&](int, std::string_view) { ++empty_keys; };
  cb.on_key = [&](int db, keyspace::Entry* e) {
    const uint64_t hash = HashBytes(e->key());
    keyspace::Shard& shard = ks.shard(ks.ShardOfHash(hash));
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    if (merge) {
      keyspace::DbAccess access(&ks, db, opts.now_ms, opts.clock);
      access.Upsert(e);
    } else {
      // The fast path of a load into an empty keyspace: one hash and one probe per key,
      // without DbAccess's per-command machinery (lazy expiry, events, ready keys).
      keyspace::DbTable& t = shard.db(db);
      if (t.table.Find(e->key(), hash) != nullptr) {
        if (duplicate.empty()) duplicate = std::string(e->key());
        keyspace::Entry::Free(e);
        return;
      }
      t.table.Insert(e, hash);
      if (e->has_expiry()) {
        ++t.volatile_keys;
        t.expiry_index.Add(e->expire_at(), hash, opts.now_ms);
      }
    }
    // A hash whose fields carry TTLs joins the active expiry sweep.
    if (e->type() == keyspace::ValueType::kHash && keyspace::HasExpiringParts(*e)) {
      keyspace::DbTable& t = shard.db(db);
      t.field_expiry = true;
      t.field_expiry_seen = true;
    }
    ++loaded;
    if (key_delay > 0) std::this_thread::sleep_for(std::chrono::microseconds(key_delay));
  };
  cb.on_aux = [&](std::string_view key, std::string_view value) {
    if (key == "redis-ver") {
      Log(LogLevel::kNotice, "Loading RDB produced by version {}", value);
    } else if (key == "ctime") {
      Log(LogLevel::kNotice, "RDB age {} seconds", NowS() - std::atoll(std::string(value).c_str()));
    } else if (key == "used-mem") {
      Log(LogLevel::kNotice, "RDB memory usage when created {:.2f} Mb",
          static_cast<double>(std::atoll(std::string(value).c_str())) / (1024 * 1024));
    }
  };
  std::string function_error;
  cb.on_function = [&](std::string_view code) {
    std::string error;
    if (!LoadLibraryCode(server_, code, merge, &error) && function_error.empty()) {
      function_error = error;
    }
  };
  // RESIZEDB hints size each shard's table up front, so a load never grows one (no rehash,
  // no re-faulting of the pages).  Hints are untrusted: capped by the keys the file's bytes
  // could hold at all.
  cb.on_resize_db = [&](int db, uint64_t db_size, uint64_t) {
    if (merge || db < 0 || db >= ks.num_dbs()) return;
    const uint64_t cap = loading_total_bytes.load() / 4;
    const uint64_t per_shard = std::min(db_size, cap) / ks.shard_count() * 105 / 100 + 16;
    for (unsigned i = 0; i < ks.shard_count(); ++i) {
      keyspace::Shard& shard = ks.shard(i);
      std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
      if (shard.db(db).table.empty()) shard.db(db).table.Reserve(per_shard);
    }
  };
  cb.on_progress = [&](uint64_t bytes) { loading_loaded_bytes.store(bytes); };
  cb.on_warning = [](std::string_view message) { Log(LogLevel::kWarning, "{}", message); };
  persistence::Status status = rdb::Load(src, opts, cb);
  ::close(fd);
  loading_loaded_bytes.store(src.bytes_read());
  if (consumed != nullptr) *consumed = src.bytes_read();
  if (!status.ok()) {
    *err = status.message();
    return false;
  }
  if (!function_error.empty()) {
    *err = "Failed loading library: " + function_error;
    return false;
  }
  if (!duplicate.empty()) {
    *err = "RDB has duplicated key '" + duplicate + "' in DB";
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.last_load_keys_loaded = loaded;
  stats_.last_load_keys_expired = expired;
  if (empty_keys > 0) {
    Log(LogLevel::kNotice,
        "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.", loaded,
        expired, empty_keys);
  } else {
    Log(LogLevel::kNotice, "Done loading RDB, keys loaded: {}, keys expired: {}.", loaded, expired);
  }
  return true;
}

bool Persistence::LoadRdbAtStartup(std::string* err) {
  const std::string path = server_.config().dbfilename.Get();
  if (::access(path.c_str(), F_OK) != 0) return true;  // nothing saved yet
  const int64_t start_us = Server::MonotonicUs();
  loading.store(true);
  bool ok = LoadRdbFile(path, err);
  loading.store(false);
  if (!ok) {
    // As Redis's rdbReportError: the reason, then the line saying the server stops.
    Log(LogLevel::kWarning, "{}", *err);
    Log(LogLevel::kWarning, "Terminating server after rdb file reading failure.");
    return false;
  }
  Log(LogLevel::kNotice, "DB loaded from disk: {:.3f} seconds",
      static_cast<double>(Server::MonotonicUs() - start_us) / 1e6);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.dirty_at_last_save = server_.Dirty();
  return true;
}

}  // namespace tessera::server
