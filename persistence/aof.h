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
// AofWriter is the write log's consumer (persistence/write_log.h): it takes the pending bytes
// in batches, appends them to the current incremental file, and fsyncs as appendfsync says:
// after every batch (always: acknowledgements wait for that fsync, see WaitDurable), once a
// second (everysec), or never (no).  A rewrite switches it to a new incremental file at an
// exact log offset: the bytes before go to the old file, those after to the new one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
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
  // bytes from `start_offset` on go there.
  AofWriter(WriteLog* log, int fd, uint64_t file_size, uint64_t start_offset);
  ~AofWriter();  // drains what the log holds, fsyncs, stops
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  // How long appended bytes may wait before they are written (everysec and no; always
  // writes when a worker waits).  A kill -9 may lose these milliseconds of acknowledged
  // writes under everysec, well inside its promise of about one second.
  static constexpr int kBatchMs = 5;

  void set_policy(FsyncPolicy p) { policy_.store(p, std::memory_order_relaxed); }
  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  // aof-timestamp-enabled: a "#TS:<unix seconds>" line before the first batch of each second
  // (annotations are not part of the write log; loaders skip them).
  void set_timestamps(bool on) { timestamps_.store(on, std::memory_order_relaxed); }
  // DEBUG AOF-FLUSH-SLEEP: microseconds slept before each batch is written (a test hook
  // widening the window between a write's acknowledgement and its bytes reaching the file).
  void set_flush_sleep_us(int64_t us) { flush_sleep_us_.store(us, std::memory_order_relaxed); }
  // no-appendfsync-on-rewrite: skip fsyncs while a rewrite runs.
  void set_skip_fsync(bool skip) { skip_fsync_.store(skip, std::memory_order_relaxed); }

  // From log offset `at` on, bytes go to `fd` (owned from now on), whose file starts empty.
  // The old file is fsynced and closed once every byte before `at` is in it.
  void SwitchFileAt(uint64_t at, int fd);

  // Blocks until every log byte before `offset` is written and fsynced (appendfsync always:
  // an acknowledged write is on disk).  Returns at once when the policy is not always, or
  // when writing fails (the error is reported by last_error()).
  void WaitDurable(uint64_t offset);

  // Bytes written to the current file (INFO aof_current_size, auto-rewrite).
  uint64_t current_file_size() const { return file_size_.load(std::memory_order_relaxed); }
  // "" while writes succeed, else the errno text of the last failure.
  std::string last_error() const;
  // last_error() is not empty (one relaxed load: every write command asks).
  bool failing() const { return failing_.load(std::memory_order_relaxed); }
  uint64_t written_offset() const { return written_.load(std::memory_order_acquire); }
  uint64_t delayed_fsyncs() const { return 0; }

 private:
  void Run();
  // Writes `bytes` (log offsets [from, from + size)) to the right files.  false on error.
  bool WriteBatch(const std::string& bytes, uint64_t from);
  bool WriteAll(int fd, const char* p, size_t n);
  void Fsync(int fd);

  WriteLog* log_;
  std::atomic<FsyncPolicy> policy_{FsyncPolicy::kEverysec};
  std::atomic<bool> skip_fsync_{false};
  std::atomic<bool> timestamps_{false};
  std::atomic<int64_t> flush_sleep_us_{0};
  int64_t last_timestamp_s_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;  // fd_, switch_*, error_, durable_
  std::condition_variable durable_cv_;
  int fd_;
  std::optional<uint64_t> switch_at_;
  int switch_fd_ = -1;
  std::string error_;
  std::atomic<bool> failing_{false};  // error_ is not empty
  uint64_t durable_ = 0;  // every log byte before it is fsynced

  std::atomic<uint64_t> written_;  // every log byte before it is written
  std::atomic<uint64_t> file_size_;
  std::string pending_;  // taken from the log, not yet written (after an error); writer only
  uint64_t pending_from_ = 0;
  int64_t last_fsync_us_ = 0;
};

}  // namespace tessera::persistence
