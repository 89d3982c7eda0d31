// Persistence of the running server (DESIGN 7): RDB snapshots (SAVE, BGSAVE, save points,
// the final save at shutdown, loading at start-up) and the AOF (server/aof.h), with the state
// INFO persistence reports.
//
// Snapshots are fork-less (server/snapshot.h): a background save is a thread writing a
// SnapshotJob while clients keep being served.  Files are replaced as Redis does, but safely:
// the snapshot goes to a temporary file in `dir`, is fsynced, renamed over dbfilename, and the
// directory is fsynced; a failed save never touches the previous file.
//
// Threads: commands call into this object from any worker; its state is behind mu_ or atomic.
// Cron() runs from worker 0's timer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "persistence/rdb_reader.h"

namespace tessera::server {

class Server;
class SnapshotJob;
class Aof;

class Persistence {
 public:
  explicit Persistence(Server& server);
  ~Persistence();
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // ---- RDB ----

  // SAVE: writes dbfilename now, on the calling thread, through temp-<pid>.rdb in `dir`
  // (Redis's name for a save in the main process).  "" on success, else Redis's error text
  // without the leading '-'.  SAVEs from several threads run one after the other.
  std::string Save();
  // Makes the save that is writing now (SAVE or a background one) stop at once and fail, its
  // temporary file removed: a second SIGINT during the shutdown's save.
  void AbortSave();
  // BGSAVE: starts a background save.  false with *err ("Background save already in
  // progress") when one runs.  With `schedule`, a save blocked by an AOF rewrite is scheduled
  // for when it ends: false with *err empty.
  bool BackgroundSave(std::string* err, bool schedule = false);
  bool bgsave_in_progress() const { return bgsave_running_.load(std::memory_order_acquire); }
  // A background save for replicas' full sync, as Redis's BGSAVE for SYNC: it counts as the
  // running background save, but its file is a temporary one in `dir` that nobody renames and
  // the save changes neither LASTSAVE nor the dirty counter (Redis's diskless sync does not).
  // `at_point` runs at the snapshot's point with every shard lock held, given the write log
  // offset there; `done`, on the save's thread, gets "" and the file's path, or the error.
  // False (nothing starts) while a background save or an AOF rewrite runs.
  bool BackgroundSaveForReplication(
      std::function<void(uint64_t)> at_point,
      std::function<void(const std::string& err, const std::string& path)> done);
  // Waits for a running background save to end.
  void WaitForBackgroundSave();
  // Cancels a running background save (FLUSHALL, shutdown): it ends as failed, its file is
  // not kept.  Logs `message` when one was running.
  void AbortBackgroundSave(const char* message = "Background saving terminated by FLUSHALL");

  // Loads dbfilename (if present) into the empty keyspace at start-up, logging as Redis does.
  // Returns false with the reason when the file is corrupt (the server must not start).
  bool LoadRdbAtStartup(std::string* err);
  // Loads `path` into the keyspace (start-up, DEBUG RELOAD).  false with the reason on error.
  // `consumed`, when given, receives the bytes the RDB took (an old AOF continues after them).
  // Without `merge`, a key or function library that already exists fails the load (Redis's
  // rule); with it, the file's version replaces it (DEBUG RELOAD MERGE).
  bool LoadRdbFile(const std::string& path, std::string* err, uint64_t* consumed = nullptr,
                   bool merge = false);

  // stop-writes-on-bgsave-error: true while writes must get -MISCONF.
  bool WritesRefused() const;

  // Save points, finished background jobs, AOF upkeep.  Worker 0's cron, every tick.
  void Cron(int64_t now_ms);

  // Start-up: the dataset is being loaded (commands without the loading flag get -LOADING).
  std::atomic<bool> loading{false};
  // While loading: bytes read so far and the file's size, and when loading started.
  std::atomic<uint64_t> loading_loaded_bytes{0};
  std::atomic<uint64_t> loading_total_bytes{0};
  std::atomic<int64_t> loading_start_s{0};

  // INFO persistence.
  struct Stats {
    int64_t lastsave_s = 0;
    bool last_bgsave_ok = true;
    int64_t last_bgsave_time_s = -1;
    int64_t current_bgsave_start_s = -1;  // -1: none running
    uint64_t rdb_saves = 0;
    uint64_t dirty_at_last_save = 0;
    uint64_t last_load_keys_loaded = 0;
    uint64_t last_load_keys_expired = 0;
    // While a snapshot runs (a background save, or else an AOF rewrite): its progress and
    // the memory of the keys it keeps aside (SnapshotJob::kept_bytes).
    uint64_t current_save_keys_processed = 0;
    uint64_t current_save_keys_total = 0;
    uint64_t current_cow_size = 0;
    uint64_t current_cow_peak = 0;
    uint64_t rdb_last_cow_size = 0;  // the kept keys' peak in the last background save
  };
  Stats stats() const;
  int64_t lastsave_s() const { return stats().lastsave_s; }

  // The AOF (server/aof.h); always present, writing only while appendonly is on.
  Aof& aof() { return *aof_; }

 private:
  // Writes a snapshot to `path` through a temporary file; "" or the error.
  std::string WriteSnapshotFile(const std::string& path, bool background);
  // Names the thread of a background save and sets its CPUs (bgsave_cpulist).
  void BackgroundSaveThreadSetup();
  // WriteSnapshotFile's job callback: keeps the running job for INFO (null once it ended), and
  // when a background save's job ends, its peak of kept bytes as rdb_last_cow_size.
  void TrackJob(SnapshotJob* job, bool background);
  // Updates the stats after a save ended; `dirty_at_start` is Dirty() at its point.
  void SaveDone(bool ok, uint64_t dirty_at_start, int64_t started_s, bool background);
  persistence::rdb::LoadOptions LoadOptionsNow() const;

  Server& server_;
  mutable std::mutex mu_;
  std::mutex save_mu_;                // held by Save() throughout
  Stats stats_;                       // guarded by mu_
  std::thread bgsave_thread_;         // guarded by mu_
  SnapshotJob* job_ = nullptr;        // the running snapshot, for INFO; guarded by mu_
  std::atomic<bool> bgsave_running_{false};
  std::atomic<bool> bgsave_failed_{false};  // the last background save failed
  int64_t last_bgsave_try_s_ = 0;  // guarded by mu_: retry a failed save after 5 s
  bool bgsave_scheduled_ = false;  // guarded by mu_
  std::unique_ptr<Aof> aof_;
};

}  // namespace tessera::server
