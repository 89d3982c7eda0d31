// LazyFreer: the background thread that frees big values off the workers (DESIGN 2; Redis
// 7.2's lazyfree.c and its bio lazy-free thread).
//
// Who hands it work: UNLINK, and DEL with lazyfree-lazy-user-del (the dispatcher gives every
// command's DbAccess this object as its FreeSink); keys found expired with
// lazyfree-lazy-expire and values overwritten or deleted by the server with
// lazyfree-lazy-server-del (same DbAccess); the active expiry cycle and the evictor with
// their own flags; FLUSHALL/FLUSHDB ASYNC (or lazyfree-lazy-user-flush), which detach whole
// DB tables under every shard lock and hand them over; SCRIPT FLUSH / FUNCTION FLUSH ASYNC.
// Which entries qualify is core's rule (core/keyspace/lazy_free.h: effort above 64).
//
// Counters, as Redis's: `pending` (INFO lazyfree_pending_objects) counts objects handed over
// and not yet freed, one per value, one per key for a flushed table, one per script or
// function for a flushed cache; `freed` (lazyfreed_objects) counts them once freed, and CONFIG
// RESETSTAT zeroes it.  used_memory stays the allocator's count: a value is counted until
// this thread frees it (the thread registers with the MemoryMeter, so its frees show at once).
//
// Threads: any thread may queue; one thread frees, in queue order, started at the first job
// (in-process tests that never queue never start it).  A job holds no lock of the keyspace:
// what it frees is reachable from nowhere else.  jemalloc frees memory allocated by another
// thread as it does its own.  Stop() (SHUTDOWN, and the destructor) frees what is queued and
// joins; anything queued after it is freed at once by the caller.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "core/keyspace/lazy_free.h"

namespace tessera::server {

class MemoryMeter;
struct ServerConfig;

class LazyFreer final : public keyspace::FreeSink {
 public:
  // `meter` (may be null) gets the thread registered, so used_memory sees its frees at once.
  explicit LazyFreer(MemoryMeter* meter = nullptr) : meter_(meter) {}
  // bio_cpulist: the thread's CPUs (server/process_settings.h), set before it starts.
  void set_thread_cpulist(std::string cpulist) {
    std::lock_guard lock(mu_);
    cpulist_ = std::move(cpulist);
  }
  ~LazyFreer() { Stop(); }
  LazyFreer(const LazyFreer&) = delete;
  LazyFreer& operator=(const LazyFreer&) = delete;

  // One value (FreeSink): counted as one object.
  void FreeLater(keyspace::Entry* e) override;
  // Whole DB tables detached by a flush: counted as `keys` objects, their keys.
  void FreeTablesLater(std::vector<keyspace::DbTable> tables, size_t keys);
  // Anything else that only needs destroying (a script cache): `release` runs on the thread,
  // counted as `objects`.
  void FreeLater(std::function<void()> release, size_t objects);

  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }
  // CONFIG RESETSTAT: lazyfreed_objects restarts from 0 (pending is not a statistic).
  void ResetStats() { freed_.store(0, std::memory_order_relaxed); }

  // Returns once every job queued before the call has been freed.  REQUIRES: not paused.
  void Drain();
  // Test hook (DEBUG LAZYFREE-PAUSE): while paused, queued jobs wait (Stop still frees them),
  // so a test can see a value pending and its memory still counted, with no timing.
  void SetPausedForTesting(bool paused);
  // Frees what is queued and joins the thread.  Idempotent.
  void Stop();

 private:
  struct Job {
    keyspace::Entry* entry = nullptr;
    std::vector<keyspace::DbTable> tables;
    std::function<void()> release;
    size_t objects = 0;
  };
  void Push(Job job);
  static void Run(Job& job);
  void ThreadMain();

  MemoryMeter* meter_;
  std::string cpulist_;  // guarded by mu_
  std::mutex mu_;
  std::condition_variable work_cv_;  // a job was queued, or stop_
  std::condition_variable done_cv_;  // a batch was freed
  std::deque<Job> queue_;            // guarded by mu_
  uint64_t queued_ = 0;              // jobs ever queued, guarded by mu_
  uint64_t done_ = 0;                // jobs ever freed, guarded by mu_
  bool stop_ = false;                // guarded by mu_
  bool paused_ = false;              // guarded by mu_
  std::thread thread_;               // started by the first Push
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
};

// Gives a command's `db` the lazy-free rules of the configuration (lazyfree-lazy-expire,
// lazyfree-lazy-server-del) and `freer` as its sink, which UNLINK also uses.  Call right
// after constructing a DbAccess.
void ApplyLazyFree(const ServerConfig& config, LazyFreer& freer, keyspace::DbAccess& db);

}  // namespace tessera::server
