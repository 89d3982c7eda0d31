// The AOF of the running server: loading it at start-up, keeping it written (AofWriter, the
// write log's reader), turning it on and off (CONFIG SET appendonly), and rewriting it without
// fork (BGREWRITEAOF, auto-aof-rewrite-*).
//
// A rewrite is a snapshot (server/snapshot.h) written as the new base, plus a new incremental
// file that receives the write log from the snapshot's point on: the manifest names the new
// incremental file as soon as the rewrite starts (so a crash during it replays old base, old
// increments, new increment), and the new base replaces the old files only once it is
// complete and durable.
//
// CONFIG SET appendonly yes does not write the first base itself: like Redis 7.2's
// AOF_WAIT_REWRITE state, it starts (or, while a background save runs or inside EXEC,
// schedules) a background rewrite and returns.  The log goes from the snapshot's point to a
// temporary increment, temp-<appendfilename>.incr, that only the rewrite's success renames to
// the next incremental name and writes into a manifest; until then no manifest names anything
// new, and a failed rewrite deletes the temporary increment and is retried from the cron.
//
// Loading replays commands through the dispatcher with a client of its own, while the write
// log has no reader (replayed commands must not be logged again).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "persistence/aof.h"
#include "server/aof_writer_slot.h"

namespace tessera::server {

class ConnectionControl;
class Server;
class SnapshotJob;
struct WorkerStats;

class Aof {
 public:
  explicit Aof(Server& server);
  ~Aof();
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // Start-up with appendonly yes: loads the AOF (or upgrades a Redis 6 single file), then
  // opens it for appending, creating a base from the (empty) dataset when there is none, and
  // starts logging.  false with the reason when the files are corrupt.  `stats` counts the
  // replayed commands.
  bool LoadAndOpen(WorkerStats* stats, std::string* err);
  // DEBUG LOADAOF: the dataset (already emptied by the caller) is loaded from the AOF files
  // again; if the AOF is on, its writer is closed first and reopened after.  `caller` is the
  // connection that asked (null in tests): while the load runs, its worker's other clients
  // are served every 1024 commands and from a slow script's hook, and get -LOADING for what
  // may not run during a load, as Redis's processEventsWhileBlocked serves them.
  bool LoadForDebug(WorkerStats* stats, std::string* err, ConnectionControl* caller = nullptr);

  // CONFIG SET appendonly yes / no at run time.  Enable starts the first rewrite in the
  // background (or schedules it) and returns at once; false only when it cannot start.
  bool Enable(std::string* err);
  void Disable();
  bool enabled() const { return writer_ != nullptr; }
  // appendonly yes in effect: the AOF is on or waiting for its first base (Redis's
  // aof_enabled, which WAITAOF's numlocal needs).
  bool on() const { return writer_.live() != nullptr || waiting_for_first_rewrite(); }
  // Redis's fsynced_reploff, in write log marks: -1 while the AOF is off, 0 while its first
  // base is being written (nothing is recoverable from it before), else the mark every append
  // before which is fsynced (persistence::AofWriter::durable_mark).
  int64_t FsyncedMark() const;

  // BGREWRITEAOF.  false with Redis's error when one runs.  `scheduled` is set when it waits
  // for a background save to end first, or when `in_exec` (as Redis, a rewrite asked for
  // inside EXEC is left to the cron).
  bool StartRewrite(std::string* err, bool* scheduled, bool in_exec = false);
  bool rewrite_in_progress() const { return rewriting_.load(std::memory_order_acquire); }
  // CONFIG SET appendonly yes is writing the first base: shutdown must not exit before it ends.
  bool writing_initial() const {
    return wait_rewrite_.load(std::memory_order_acquire) && rewrite_in_progress();
  }
  // The AOF is on but its first base is not written yet (Redis's AOF_WAIT_REWRITE).
  bool waiting_for_first_rewrite() const { return wait_rewrite_.load(std::memory_order_acquire); }

  // Any worker, before it sends replies that may depend on the appends before log mark
  // `mark` (persistence::WriteLog::mark): returns once they are written to the AOF (and
  // fsynced under appendfsync always), writing them itself if need be
  // (persistence::AofWriter::BeforeReply).  At once while the AOF is off.
  void BeforeReply(uint64_t mark) {
    if (persistence::AofWriter* w = writer_.live()) w->BeforeReply(mark);
  }
  // Whether BeforeReply(mark) would return at once.
  bool Covers(uint64_t mark) const {
    persistence::AofWriter* w = writer_.live();
    return w == nullptr || w->covers(mark);
  }
  // The AOF could not be written: writes get -MISCONF with this text.  "" when fine.
  std::string write_error() const;
  // write_error() is not empty; cheaper, for the check every write command makes.
  bool write_failing() const {
    persistence::AofWriter* w = writer_.live();
    return w != nullptr && w->failing();
  }

  // DEBUG AOF-FLUSH-SLEEP: the writer sleeps this long before each write (0: never).
  void set_flush_sleep_us(int64_t us);

  // Cron: fsync policy changes, a scheduled rewrite, auto-aof-rewrite.
  void Cron();
  // CONFIG SET aof-disable-auto-gc no: the history files the manifest names are dropped from
  // it and deleted (not while a rewrite runs: its end does it).
  void CollectHistory();
  // appendfsync and aof-timestamp-enabled as configured now, to the writer (CONFIG SET applies
  // them at once, as Redis does for the next write; the cron catches any other change).
  void ApplyWriterConfig();
  // Stops a running rewrite (logging `message` first) and waits for it to end, as Redis kills
  // its rewrite child; a first rewrite that stops so is tried again later.  Not from the
  // rewrite's own thread.
  void KillRewrite(const char* message);
  // Shutdown: every logged byte written and fsynced.
  void Close();

  struct Stats {
    bool rewrite_scheduled = false;
    int64_t last_rewrite_time_s = -1;
    int64_t current_rewrite_start_s = -1;
    bool last_rewrite_ok = true;
    uint64_t rewrites = 0;
    uint64_t consecutive_failures = 0;
    uint64_t current_size = 0;
    uint64_t base_size = 0;
    uint64_t last_cow_size = 0;  // the kept keys' peak in the last rewrite's snapshot
  };
  Stats stats() const;
  // The running rewrite's snapshot (all 0 when none runs).
  struct SnapshotProgress {
    uint64_t keys_processed = 0;
    uint64_t keys_total = 0;
    uint64_t kept_bytes = 0;
    uint64_t kept_peak = 0;
  };
  SnapshotProgress snapshot_progress() const;

 private:
  // What a new writer calls when its fsynced mark moves: WAITAOF's waiters are looked at.
  std::function<void()> DurableHook();
  std::string DirPath() const;
  std::string PathOf(const std::string& name) const;
  bool LoadFiles(WorkerStats* stats, std::string* err, bool load_only);
  bool ReadManifest(persistence::AofManifest* m, bool* exists, std::string* err);
  bool PersistManifest(const persistence::AofManifest& m, std::string* err);
  // Replays one file of commands; `last` allows a truncated tail (aof-load-truncated).
  bool ReplayCommands(const std::string& path, uint64_t skip_bytes, bool last, WorkerStats* stats,
                      std::string* err);
  bool LoadBase(const std::string& path, bool last, WorkerStats* stats, std::string* err);
  // Writes a snapshot as base file `name`; "" or the error.  Calls at_point under all locks.
  std::string WriteBase(const std::string& name, const std::function<void(uint64_t)>& at_point);
  // The AOF's state when a rewrite starts: waiting for its first base, on, or off.
  enum class RewriteKind { kInitial, kOn, kOff };
  void RunRewrite(RewriteKind kind);
  // The rewrite's body in each state: the AOF on, off (BGREWRITEAOF with appendonly no), or
  // waiting for its first base.  true on success, else `err` says why.
  bool RewriteOn(std::string* err);
  bool RewriteOff(std::string* err);
  bool RewriteInitial(std::string* err);
  // Stops a running rewrite and waits for its thread.  REQUIRES: not the rewrite thread.
  void StopRewriteThread(const char* message);
  // The manifest after a rewrite from `old` to base `base` (and increment `incr`, when the AOF
  // is on): the replaced files become history, kept only with aof-disable-auto-gc.
  persistence::AofManifest ManifestAfterRewrite(const persistence::AofManifest& old,
                                                const persistence::AofFileInfo& base,
                                                const persistence::AofFileInfo* incr) const;
  // Makes a running rewrite stop at its next shard and fail (logging `message` first), as
  // Redis kills its rewrite child.  No-op when none runs.
  void AbortRewrite(const char* message);
  void RemoveFiles(const persistence::AofManifest& old, const persistence::AofManifest& now);
  // The cron's rewrites wait after repeated failures (Cron's thread only).
  bool RewriteLimited();

  Server& server_;
  mutable std::mutex mu_;  // manifest_, stats_, the rewrite thread
  persistence::AofManifest manifest_;
  Stats stats_;
  AofWriterSlot writer_;
  std::thread rewrite_thread_;
  std::atomic<bool> rewriting_{false};
  std::atomic<bool> wait_rewrite_{false};  // Redis's AOF_WAIT_REWRITE
  bool scheduled_ = false;
  mutable std::mutex job_mu_;   // job_, abort_requested_
  SnapshotJob* job_ = nullptr;  // the running rewrite's snapshot, while it writes
  std::atomic<uint64_t> last_cow_size_{0};  // written by the rewrite's thread, read by INFO
  bool abort_requested_ = false;
  std::atomic<int64_t> flush_sleep_us_{0};
  ConnectionControl* serve_from_ = nullptr;  // LoadForDebug's caller, while it loads
  uint64_t base_size_ = 0;
  int64_t limit_delay_min_ = 0;  // RewriteLimited's state, Cron's thread only
  int64_t limit_next_s_ = 0;
};

}  // namespace tessera::server
