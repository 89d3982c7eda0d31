// The write log (DESIGN 6): every change to the keyspace, as a byte stream of RESP commands.
//
// The dispatcher appends a write command's effect while it still holds the command's shard
// locks, so the order of the log is a valid serial order of the writes: two writes to one key
// hold the same shard lock and append in the order they ran; writes to different shards may
// append in either order, and either order replays to the same state.
//
// The stream is what Redis calls the replication stream: a SELECT is emitted where the
// database changes, and every byte has an offset that only grows (the PSYNC offset).
//
// Two ways in.  While the AOF is the only reader (no replica ever attached), each appending
// thread copies its bytes into a lane of its own, with a ticket from one counter (a single
// fetch_add: nothing else is shared between workers, so writes on different shards are not
// serialized by the log); the records are merged by ticket into the streams (offsets,
// SELECTs, the pending buffer) only when a reader needs them: the AOF writer's batch (Take,
// from a worker about to send replies or from the writer's thread), a point (Collect), a tap
// attaching.  Tickets are taken under the shard locks, so ticket order is a valid serial
// order.  Once a replica attached, appends
// go straight into the streams under one lock (AppendLock below says why it spins first), as
// the taps are handed each append's bytes as it happens; records still in lanes are merged
// first, so the order is the tickets' either way.  Encoding happens before, outside any lock.
// The AOF's writer takes the pending bytes in batches (Take), from whichever thread writes
// them (a worker about to send replies, or the writer's own thread: persistence/aof.h).
//
// Nothing is encoded or copied while no reader is attached (enabled() false): a server without
// AOF or replicas pays one relaxed load per write.
//
// Readers of two kinds: the one that takes pending bytes in batches (the AOF writer: Take; one
// taker at a time, which the AOF's file mutex ensures), and
// taps (replicas: WriteLogTap), which are handed each append's bytes under the lock, in log
// order, and copy them.  The pending buffer only fills while the batch reader is attached.
//
// Two streams, as Redis has (propagateNow's PROPAGATE_AOF and PROPAGATE_REPL targets): most
// records go to both, but some go to the replicas only (PUBLISH, which Redis forces to its
// replicas and never writes to the AOF; the replication PING).  Each stream has its own
// offset and its own selected database, so the AOF gets exactly the bytes it would get if the
// replica-only records did not exist, and the replicas' offset (master_repl_offset) counts
// every byte they are sent.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tessera::persistence {

// Appends `argv` as a RESP array of bulk strings.
void AppendRespCommand(std::string* out, std::span<const std::string_view> argv);
// The same for owned strings.
void AppendRespCommand(std::string* out, std::span<const std::string> argv);

// A reader handed every append as it happens (a replica's link).  OnAppend runs under the
// log's lock (others spin meanwhile), in log order, from the appending thread (or, for records
// appended through a lane just before the tap attached, the thread merging them): copies,
// returns.
class WriteLogTap {
 public:
  virtual ~WriteLogTap() = default;
  // The bytes of one append, `select` (a SELECT, or empty) then `commands`; `end_offset` is
  // the log offset just past them.
  virtual void OnAppend(std::string_view select, std::string_view commands,
                        uint64_t end_offset) = 0;
};

// One piece of a batch with records of both kinds (AppendRecords).
struct LogRecord {
  int db = -1;      // the database of `bytes`; -1: none (MULTI, EXEC, PING), never a SELECT before
  bool aof = true;  // false: for the replicas only
  std::string_view bytes;  // whole RESP commands, with no SELECT among them
};

class WriteLog {
 public:
  // Whether a reader is attached; the dispatcher encodes nothing while false.
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  // Attaches or detaches the batch reader (Take).  A reader attaching starts with nothing
  // pending (bytes a detached reader left are dropped).
  void set_enabled(bool on);

  // Whether a tap was ever attached (Redis's replication backlog exists): replica-only records
  // are worth building only then.
  bool replicating() const { return replicating_.load(std::memory_order_relaxed); }

  // Attaches `tap` at the current offset, which it returns: the tap gets every byte appended
  // from then on, starting with a SELECT.  Callers that need a point of the serial order (a
  // full sync) hold every shard lock.  RemoveTap returns once no OnAppend runs on `tap`.
  uint64_t AddTap(WriteLogTap* tap);
  void RemoveTap(WriteLogTap* tap);
  // While muted, appends reach the batch reader only, not the taps (a replica's local writes,
  // which its own replicas must not see; they resync when it unmutes).
  void set_taps_muted(bool muted);

  // Appends the RESP bytes of one or more whole commands that ran in database `db`, for the
  // AOF and the replicas, each stream preceded by a SELECT when `db` is not the database it
  // has selected (-1: bytes of no database, never preceded by a SELECT).  Returns a mark just
  // past these bytes (see mark()).  Thread-safe; callers hold the shard locks of what the
  // commands touched.  `end_db` is the database the bytes leave selected, when they contain
  // SELECTs (-1: `db`).
  uint64_t Append(int db, std::string_view commands, int end_db = -1);
  // Appends records some of which go to the replicas only, in order, each stream getting a
  // SELECT before a record whose database is not the one it has selected.  Returns a mark.
  uint64_t AppendRecords(std::span<const LogRecord> records);

  // A mark just past every append that happened before this call, on any thread (one load).
  uint64_t mark() const { return next_ticket_.load(std::memory_order_acquire); }
  // The AOF stream's offset just past the appends before `mark` (at least), merging what the
  // lanes hold if need be.
  uint64_t AofOffsetThrough(uint64_t mark);
  // Every append before this mark is merged (into the pending bytes, offsets and taps).
  uint64_t merged_mark() const { return next_emit_.load(std::memory_order_acquire); }
  // Merges every append made so far into the streams; returns the AOF stream's offset.  At a
  // point (every shard lock held) offset() and aof_offset() are then exact for it.
  uint64_t Collect();

  // The replicas' stream: the offset just past the last byte merged (master_repl_offset).
  uint64_t offset() const { return offset_.load(std::memory_order_acquire); }
  // The AOF's stream: the offset just past its last merged byte (the same as offset() as long
  // as no replica-only record was appended).
  uint64_t aof_offset() const { return aof_offset_.load(std::memory_order_acquire); }

  // Consumer side.  Merges the lanes, moves every AOF byte appended since the previous Take
  // into *out (which is cleared first) and returns the AOF offset just past them.  `out`'s old
  // capacity is kept for the next appends, so a steady stream allocates nothing.  `*mark`,
  // when given, is set to the mark the bytes reach (every append before it is in them or in an
  // earlier batch).
  uint64_t Take(std::string* out, uint64_t* mark = nullptr);
  // Waits until `timeout_ms` passed, Wake() was called, or kWakeBytes are pending; merges what
  // the lanes hold and returns true iff bytes are pending.  Appends do not wake the reader one
  // by one: workers write them before their replies, and the AOF writer's thread ticks for
  // the rest.  (A full lane is merged by its own thread.)
  bool WaitForBytes(int timeout_ms);
  static constexpr size_t kWakeBytes = size_t{4} << 20;
  // Wakes a WaitForBytes (shutdown, a file switch the consumer must act on).
  void Wake();

  // Bytes allocated for appended bytes not taken yet (INFO mem_aof_buffer).
  size_t PendingBytes();

  // Makes the next AOF bytes start with a SELECT whatever their database (a new file starts
  // here and must not depend on an earlier SELECT).  AddTap does the same for the replicas'
  // stream.  Merges what the lanes hold first (a point).
  void ForgetSelectedDb();

  WriteLog();
  ~WriteLog();
  WriteLog(const WriteLog&) = delete;
  WriteLog& operator=(const WriteLog&) = delete;

 private:
  // The lock of the append path.  With two or more workers, each appends up to a million
  // times a second and holds the lock for a copy of a few dozen bytes.  std::mutex puts the
  // loser of each race to sleep at once: a context switch for it, a futex wake-up system call
  // for the winner.  This lock spins first, reading the lock word with a pause, for about as
  // long as a copy takes, and sleeps on the futex only then (the holder was preempted: with
  // more workers than CPUs, spinning on would burn the CPU the holder needs to finish).
  class AppendLock {
   public:
    void lock() noexcept {
      uint32_t expected = kFree;
      if (!state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire)) {
        LockSlow();
      }
    }
    bool try_lock() noexcept {
      uint32_t expected = kFree;
      return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire);
    }
    void unlock() noexcept {
      if (state_.exchange(kFree, std::memory_order_release) == kContended) Wake();
    }

   private:
    static constexpr uint32_t kFree = 0;
    static constexpr uint32_t kLocked = 1;
    static constexpr uint32_t kContended = 2;  // locked, and a thread may sleep on it
    void LockSlow() noexcept;
    void Wake() noexcept;
    std::atomic<uint32_t> state_{kFree};  // the futex word
  };

  // One appending thread's records: a ring its thread fills and the merger (under mu_)
  // empties, with no lock between them (one producer, one consumer at a time).  A record is
  // a LaneHeader and the bytes, padded to 16 bytes; one that would not fit before the ring's
  // end is preceded by a pad record filling it.  `tail` and `head` count bytes since the start.
  struct LaneHeader {
    uint64_t ticket;  // kPadTicket: a pad
    uint32_t size;
    int16_t db;
    int16_t end_db;
  };
  static constexpr uint64_t kPadTicket = ~uint64_t{0};
  static constexpr size_t kRingBytes = size_t{256} << 10;
  static constexpr size_t kMaxLaneRecord = kRingBytes / 4;  // larger ones take the direct path
  struct alignas(128) Lane {
    std::atomic<uint64_t> tail{0};  // published by the thread (release)
    uint64_t cached_head = 0;       // the thread's last look at head
    std::thread::id owner;
    std::unique_ptr<char[]> ring;                // kRingBytes
    alignas(128) std::atomic<uint64_t> head{0};  // consumed by the merger (release)
  };
  static constexpr size_t kMaxLanes = 64;  // more appending threads take the direct path
  // This thread's lane (registered on first use), or nullptr when kMaxLanes are taken.
  Lane* MyLane();
  Lane* RegisterLane();
  // Lanes mode: copies one record into this thread's lane; false when it must take the
  // direct path (no lane, or too large).  *mark is set on success.
  bool AppendToLane(int db, std::string_view commands, int end_db, uint64_t* mark);
  // Under mu_: merges the lanes' records with tickets below `limit` (0: below the counter,
  // read now) into the streams, in ticket order, waiting for a record whose ticket is taken
  // but whose bytes are still being copied.
  void MergeLocked(uint64_t limit);
  // Under mu_: one append's bytes into both streams and the taps.
  void EmitLocked(int db, std::string_view commands, int end_db);
  void EmitRecordsLocked(std::span<const LogRecord> records);
  // Under mu_: the append mode (lanes while the AOF is the only reader).
  void UpdateModeLocked();

  // Read by every write command: kept off the cache line the appenders write.
  alignas(128) std::atomic<bool> enabled_{false};
  std::atomic<bool> replicating_{false};
  std::atomic<bool> lanes_on_{false};  // appends go through the lanes
  const uint64_t id_;                  // tells this log apart in the threads' lane caches
  std::atomic<size_t> lane_count_{0};
  std::array<std::atomic<Lane*>, kMaxLanes> lanes_{};
  std::mutex register_mu_;
  // Every append's ticket: the only line the lanes' appenders share.
  alignas(128) std::atomic<uint64_t> next_ticket_{0};
  // What every direct append and every merge reads and writes, together in one 128-byte block
  // (the lock, the flags, both streams' databases and offsets, the merged mark, the pending
  // buffer's header), which moves from core to core with the lock; the 128-byte alignment keeps the
  // next line, which the adjacent-line prefetcher pulls along, for fields appenders touch rarely.
  alignas(128) AppendLock mu_;
  bool batch_reader_ = false;
  bool has_taps_ = false;  // !taps_.empty()
  bool taps_muted_ = false;
  int aof_db_ = -1;                      // the database the AOF stream has selected
  int repl_db_ = -1;                     // the same for the replicas' stream
  std::atomic<uint64_t> offset_{0};      // the replicas' stream
  std::atomic<uint64_t> aof_offset_{0};  // the AOF's stream
  std::atomic<uint64_t> next_emit_{0};   // every ticket below it is merged
  std::string pending_;
  alignas(128) std::vector<WriteLogTap*> taps_;
  std::string select_;   // the last SELECT built, reused
  std::string scratch_;  // AppendRecords: the replicas' bytes, reused
  // The batch reader's sleep (WaitForBytes): a plain mutex and condition variable, touched by
  // appenders only when the pending bytes pass kWakeBytes, and by Wake().
  alignas(128) std::mutex wake_mu_;
  std::condition_variable cv_;
  bool woken_ = false;  // guarded by wake_mu_
};

}  // namespace tessera::persistence
