// Fork-less point-in-time snapshots (DESIGN 7): BGSAVE, SAVE, the base of an AOF rewrite.
//
// Redis forks and lets the kernel copy pages the parent changes; a busy server can double its
// memory that way.  Here a snapshot is a point in the serial order: Start() holds every shard's
// lock for a moment, marks each shard as not yet written (ShardMutex::set_pending_hook) and
// records the write log's offset.  From then on a shard's keys reach the file as they were at
// the point, whoever gets there first:
//  - the snapshot's own thread writes each shard in slices (databases in order, each in the
//    table's hash order), dropping the lock between slices so a worker waits for one slice at
//    most; the hook stays pending until the last slice;
//  - a command whose keys the dispatcher knows takes its shard locks leaving the hook pending
//    and has the job keep just those keys as they were (SaveKeyAside), unless the walk is past
//    their place already; the slices write kept keys in place of their current state;
//  - any other locker that may change the shard (eviction, EXEC, scripts, serving blocked
//    clients) runs the hook, BeforeFirstUse, which writes the rest of the shard at once.
//    Readers (ShardReadLock) and the expiry cycle (which skips such a shard) leave it pending.
// So the file holds exactly the state at the point.  The extra memory is a piece buffer of
// about kPieceBytes per thread writing, plus the keys kept aside, not a copy of the data.
//
// The file is Redis's RDB: a shard is written as pieces that each start with SELECTDB, so the
// pieces of different shards may interleave in the file in any order (a loader only needs each
// key after a SELECTDB naming its database).  The CRC64 covers the bytes in file order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "persistence/rdb_writer.h"
#include "server/kept_keys.h"

namespace tessera::server {

class Server;

struct SnapshotOptions {
  bool compress = true;  // rdbcompression
  bool checksum = true;  // rdbchecksum
  // rdb-key-save-delay: microseconds slept per key by the snapshot's own thread (a test hook
  // that keeps a save running; writers that serialize a shard themselves never sleep).
  int64_t key_save_delay_us = 0;
  bool aof_base = false;  // the base file of an AOF: adds the aof-base aux field
  // aof-use-rdb-preamble no: the file is RESP commands (persistence/aof_rewrite.h) instead of
  // an RDB: pieces start with SELECT, no header, no end of file, no checksum.
  bool commands = false;
  bool timestamp =
      false;  // with commands: a "#TS:<unix s>" annotation first (aof-timestamp-enabled)
  // Runs at the point, with every shard lock held, given the write log offset there (an AOF
  // rewrite switches its incremental file at that offset).
  std::function<void(uint64_t log_offset)> at_point;
};

class SnapshotJob final : public keyspace::SnapshotHook {
 public:
  // Marks the point and writes the header, the aux fields and the function libraries to `fd`
  // (owned by the caller, who closes it after Finish).  REQUIRES: no other snapshot is marking
  // shards; the calling thread holds no shard lock unless it holds all of them (EXEC).
  SnapshotJob(Server& server, int fd, const SnapshotOptions& opts);
  ~SnapshotJob();
  SnapshotJob(const SnapshotJob&) = delete;
  SnapshotJob& operator=(const SnapshotJob&) = delete;

  // Writes every shard nobody wrote yet, then the end of file and checksum, and fsyncs.
  // Returns "" on success, else the error (errno text).  Any thread; once.
  std::string Finish();

  // The write log offset at the point: the log's bytes before it are in the snapshot.
  uint64_t log_offset() const { return log_offset_; }
  uint64_t keys_written() const { return keys_.load(std::memory_order_relaxed); }
  // Keys in the keyspace at the point (INFO current_save_keys_total).
  uint64_t keys_total() const { return keys_total_; }
  uint64_t bytes_written() const { return bytes_.load(std::memory_order_relaxed); }
  // What the save costs in memory beyond the data: the keys kept aside, now and at most so
  // far.  INFO reports them where Redis reports its child's copy-on-write memory
  // (current_cow_size, current_cow_peak, rdb_last_cow_size, aof_last_cow_size).
  uint64_t kept_bytes() const { return kept_bytes_.load(std::memory_order_relaxed); }
  uint64_t kept_peak() const { return kept_peak_.load(std::memory_order_relaxed); }

  void BeforeFirstUse(unsigned shard) override;
  void SaveKeyAside(unsigned shard, int db, std::string_view key, uint64_t hash) override;

  // Makes Finish stop at the next shard and fail (FLUSHALL cancels a background save, as Redis
  // kills its child).  Hooks still run so no shard keeps pointing at the job.
  void Abort() { aborted_.store(true, std::memory_order_relaxed); }

  // Pieces are flushed to the file at about this size.
  static constexpr size_t kPieceBytes = size_t{1} << 20;

 private:
  // Locks shard `i` (or, when this thread holds every lock, just runs its hook).
  void TouchShard(unsigned i);
  // Writes the next keys of shard `shard` (about `max_keys`, or all the rest), from where the
  // last slice stopped; true when the shard is all written.  REQUIRES: its lock held.
  bool WriteSlice(unsigned shard, size_t max_keys);
  void ShardDone(unsigned shard);
  // rdb-key-save-delay, after a slice of `keys` keys (the lock dropped).
  void SaveDelay(uint64_t keys);
  // Keys per slice of the snapshot's own thread: the longest a worker waits for a shard.
  static constexpr size_t kSliceKeys = 256;
  void Flush(const std::string& bytes);

  Server& server_;
  const int fd_;
  const SnapshotOptions opts_;
  uint64_t log_offset_ = 0;
  uint64_t keys_total_ = 0;
  uint32_t clock_ = 0;
  std::mutex out_mu_;  // the file and crc_; a leaf lock (taken under shard locks)
  uint64_t crc_ = 0;
  std::string error_;
  std::atomic<uint64_t> keys_{0};
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> kept_bytes_{0};
  std::atomic<uint64_t> kept_peak_{0};
  // Adds `after - before` to kept_bytes_ (and the peak).
  void KeptMemoryChanged(size_t before, size_t after);
  std::vector<std::atomic<bool>> written_;  // per shard: BeforeFirstUse ran

  // Keys a command used before the walk reached them (SaveKeyAside), with their encoding at
  // the point.  Per shard, then database (made on first use); only touched under that
  // shard's lock, and each database's freed once it is written.
  std::vector<std::vector<std::unique_ptr<KeptKeys>>> kept_;
  // Per shard, where the walk stands: databases before `db` are written, and in `db` the keys
  // whose hash is below `cursor`.  Under the shard's lock.
  struct Progress {
    int db = 0;
    uint64_t cursor = 0;
  };
  std::vector<Progress> progress_;
  persistence::rdb::WriteOptions wopts_;
  // Encodes `e` as this job's file holds a key (an RDB record or commands).
  void EncodeKey(std::string* out, const keyspace::Entry& e) const;
};

// The options the config asks for (rdbcompression, rdbchecksum, and rdb-key-save-delay when
// `with_delay`: background saves only).
SnapshotOptions SnapshotOptionsFromConfig(const Server& server, bool with_delay);

// Writes a snapshot to `path` as files are replaced safely: into `tmp`, fsynced, renamed over
// `path`, and the directory fsynced; a failure removes `tmp` and leaves `path` untouched.
// `on_job`, when given, sees the job while it runs (INFO's progress).  "" on success, else the
// errno text ("aborted" after SnapshotJob::Abort).
std::string WriteSnapshotFile(Server& server, const std::string& tmp, const std::string& path,
                              const SnapshotOptions& opts,
                              const std::function<void(SnapshotJob*)>& on_job = nullptr);

}  // namespace tessera::server
