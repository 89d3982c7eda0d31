// The append-only file (DESIGN 7): Redis 7's multi-part layout and the thread that writes the
// write log to it.
//
// Layout, as Redis 7 writes it: a directory (appenddirname) holding a manifest
// (<appendfilename>.manifest), one base file (<appendfilename>.<seq>.base.rdb, or .base.aof
// when the base is commands) and incremental files (<appendfilename>.<seq>.incr.aof) of RESP
// commands, replayed in order after the base.  The manifest is the truth: files it does not
// name are not part of the AOF.  It is replaced atomically (temporary file, fsync, rename,
// directory fsync), so a crash leaves either the old or the new set of files.
//
// AofWriter is the write log's consumer (persistence/write_log.h).  As Redis writes its AOF
// buffer before it sends the replies of an event-loop iteration, a worker about to send replies
// calls BeforeReply with the log mark its replies may depend on: if those bytes are not
// written yet, it writes them itself (a group write: under the file mutex it takes every
// pending byte of the log, other workers' too, and write()s them in log order; a worker whose
// bytes another one took finds them written when it gets the mutex and makes no system call).
// Under appendfsync always it then fsyncs, once for every worker waiting (group commit).  The
// writer's own thread keeps what must not stall a reply: the once-a-second fsync (everysec),
// fsyncing and closing a file a rewrite switched away from, retrying after a failed write, and
// writing bytes no reply is waiting for (a replica applying its primary's stream, the active
// expiry of a thread that sends no replies) once they have been pending for a tick.  A rewrite
// switches the writer to a new incremental file at an exact log offset: the bytes before go to
// the old file, those after to the new one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "persistence/write_log.h"

namespace tessera::persistence {

// ---- The manifest ----

struct AofFileInfo {
  enum class Type : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };
  std::string name;
  int64_t seq = 0;
  Type type = Type::kIncr;
};

struct AofManifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> incrs;  // in replay order
  std::vector<AofFileInfo> history;
  int64_t next_base_seq() const { return base ? base->seq + 1 : 1; }
  int64_t next_incr_seq() const { return incrs.empty() ? 1 : incrs.back().seq + 1; }

  // Redis's text: one "file <name> seq <n> type <b|h|i>" line per file.
  std::string Serialize() const;
  // Parses a manifest; false with Redis-like reason on a malformed one.
  static bool Parse(std::string_view text, AofManifest* out, std::string* error);
};

// File names, as Redis builds them from appendfilename.
std::string AofBaseName(const std::string& appendfilename, int64_t seq, bool rdb);
std::string AofIncrName(const std::string& appendfilename, int64_t seq);
std::string AofManifestName(const std::string& appendfilename);

// Writes `contents` to `path` through a temporary file, fsync, rename and a directory fsync.
// "" or the errno text.
std::string WriteFileAtomically(const std::string& path, const std::string& contents);
void FsyncDirectory(const std::string& dir);

// ---- The writer ----

enum class FsyncPolicy { kAlways, kEverysec, kNo };

class AofWriter {
 public:
  // Appends to `fd` (owned from now on), which already holds `file_size` bytes; the write log's
  // bytes from `start_offset` on go there.  `on_durable`, when given, runs each time
  // durable_mark() moves (from the thread that fsynced, holding no lock of the log's).
  AofWriter(WriteLog* log, int fd, uint64_t file_size, uint64_t start_offset,
            std::function<void()> on_durable = {});
  ~AofWriter();  // Close()
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  // Writes what the log holds, fsyncs, closes the files and stops the thread.  Every call after
  // it returns at once (a worker may still hold a pointer to a closed writer: see
  // server/aof_writer_slot.h), so the object can outlive it safely.
  void Close();

  // The writer thread (its CPU affinity: bio_cpulist).
  std::thread::native_handle_type thread_handle() { return thread_.native_handle(); }

  // The writer thread's tick: bytes pending this long with no reply waiting for them are
  // written by the thread (a kill -9 may lose them under everysec and no, well inside
  // everysec's promise of about one second); a failed write is retried every kRetryMs.
  static constexpr int kTickMs = 5;
  static constexpr int kRetryMs = 100;
  // Once the log has not grown for kIdleAfterTicks ticks, the thread wakes every kIdleTickMs
  // instead (appendfsync everysec and no; always keeps the short tick): an idle server's writer
  // wakes 10 times a second, as Redis's cron does, not 200.  Bytes appended meanwhile with no
  // reply waiting for them wait that long at most.
  static constexpr int kIdleAfterTicks = 20;
  static constexpr int kIdleTickMs = 100;

  void set_policy(FsyncPolicy p) { policy_.store(p, std::memory_order_relaxed); }
  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  // aof-timestamp-enabled: a "#TS:<unix seconds>" line before the first write of each second
  // (annotations are not part of the write log; loaders skip them).
  void set_timestamps(bool on) { timestamps_.store(on, std::memory_order_relaxed); }
  // DEBUG AOF-FLUSH-SLEEP: microseconds slept before each write of pending bytes (a test hook
  // widening the window between a command running and its bytes reaching the file; the
  // replies that wait for those bytes wait for the sleep too, as in Redis).
  void set_flush_sleep_us(int64_t us) { flush_sleep_us_.store(us, std::memory_order_relaxed); }
  // no-appendfsync-on-rewrite: skip fsyncs while a rewrite runs.
  void set_skip_fsync(bool skip) { skip_fsync_.store(skip, std::memory_order_relaxed); }

  // From log offset `at` on, bytes go to `fd` (owned from now on), whose file starts empty.
  // The old file is fsynced and closed (by the writer thread, or by the next group commit
  // under always) once every byte before `at` is in it.
  void SwitchFileAt(uint64_t at, int fd);

  // Called before replies that may depend on the appends before log mark `mark`
  // (WriteLog::mark, Append's result) are sent: returns once their bytes are written (every
  // policy) and fsynced (always).  Returns at once while writes fail (the error is reported by
  // last_error(); the writer thread retries), or once closed.
  void BeforeReply(uint64_t mark) {
    if (!covers(mark)) BeforeReplySlow(mark);
  }
  // Whether BeforeReply(mark) would return at once (for timing only the waits).
  bool covers(uint64_t mark) const {
    return written_mark_.load(std::memory_order_acquire) >= mark &&
           (policy() != FsyncPolicy::kAlways ||
            durable_mark_.load(std::memory_order_acquire) >= mark);
  }

  // Bytes written to the current file (INFO aof_current_size, auto-rewrite).
  uint64_t current_file_size() const { return file_size_.load(std::memory_order_relaxed); }
  // "" while writes succeed, else the errno text of the last failure.
  std::string last_error() const;
  // last_error() is not empty (one relaxed load: every write command asks).
  bool failing() const { return failing_.load(std::memory_order_relaxed); }
  uint64_t written_offset() const { return written_.load(std::memory_order_acquire); }
  // Every append before this log mark is fsynced (Redis's fsynced_reploff, in log marks).
  // Under appendfsync no it stays where the writer started, as Redis's does.
  uint64_t durable_mark() const { return durable_mark_.load(std::memory_order_acquire); }
  uint64_t durable_offset() const { return durable_.load(std::memory_order_acquire); }
  uint64_t delayed_fsyncs() const { return 0; }

 private:
  void Run();
  void BeforeReplySlow(uint64_t mark);
  // Locks mu_ and returns true, or returns false (unlocked) as soon as every append before
  // `mark` is written by whoever holds mu_.
  bool LockUnlessWritten(uint64_t mark);
  static constexpr int kWriteSpins = 1024;  // pauses: tens of microseconds at most
  // Under mu_: writes the bytes kept from a failed write, then every byte the log holds.
  // false on error (or once closed).
  bool WriteLocked();
  // Writes `bytes` (log offsets [from, from + size)) to the right files.  false on error.
  bool WriteBatch(const std::string& bytes, uint64_t from);
  bool WriteAll(int fd, const char* p, size_t n);
  void SetError(int err, bool fsync = false);
  // Under sync_mu_: fsyncs and closes the files switched away from, then (when `current`)
  // fsyncs the current file; every byte written before it started is then durable.
  void Sync(bool current);
  // Sync's second half: durable_mark_ = `mark` if that is further, then on_durable_.
  void AdvanceDurableMark(uint64_t mark);
  // Writer thread, everysec and always: when every AOF byte merged so far is written and
  // fsynced, the marks of appends that added no AOF byte (records for the replicas only) are
  // durable too (Redis's "all data is fsync'd already" case of flushAppendOnlyFile).
  void CatchUpDurableMark();

  WriteLog* log_;
  const std::function<void()> on_durable_;
  std::atomic<FsyncPolicy> policy_{FsyncPolicy::kEverysec};
  std::atomic<bool> skip_fsync_{false};
  std::atomic<bool> timestamps_{false};
  std::atomic<int64_t> flush_sleep_us_{0};
  std::thread thread_;
  std::atomic<bool> stop_{false};

  // The file mutex: held while bytes are taken from the log and written, so that they reach
  // the files in log order.  Guards everything below up to sync_mu_.
  std::mutex mu_;
  bool closed_ = false;
  int fd_;
  std::optional<uint64_t> switch_at_;
  int switch_fd_ = -1;
  std::vector<int> old_fds_;  // switched away from; fsynced and closed by Sync
  std::string batch_;         // the last bytes taken from the log (capacity reused)
  std::string retry_;         // taken from the log, not yet written (after an error)
  uint64_t retry_from_ = 0;
  uint64_t taken_mark_ = 0;  // the mark of the last bytes taken from the log
  int64_t last_timestamp_s_ = 0;

  // Serializes fsyncs (and the closing of file descriptors, which only Sync and Close do, so
  // a descriptor read under mu_ stays open while sync_mu_ is held).
  std::mutex sync_mu_;
  int64_t last_fsync_us_ = 0;  // writer thread only

  mutable std::mutex error_mu_;  // error_
  std::string error_;
  bool error_from_fsync_ = false;     // error_ is an fsync's
  std::atomic<bool> failing_{false};  // error_ is not empty

  // Every log byte before written_ is written; every one before durable_ is fsynced (or
  // would be, were fsyncs not skipped: no-appendfsync-on-rewrite).  The same in log marks
  // (the appends before them): what replies check, each on its own line.
  std::atomic<uint64_t> written_;
  std::atomic<uint64_t> durable_;
  alignas(64) std::atomic<uint64_t> written_mark_;
  alignas(64) std::atomic<uint64_t> durable_mark_;
  std::atomic<uint64_t> file_size_;
};

}  // namespace tessera::persistence
