// MemoryMeter: used_memory cheap enough to read before every command (maxmemory).
//
// used_memory is jemalloc's count of allocated bytes (DESIGN 4), but reading `stats.allocated`
// needs an "epoch" refresh that merges every arena's statistics under their locks: tens of
// microseconds, too much per command.  jemalloc also keeps, per thread and without locks, the
// bytes that thread allocated and freed since it started (`thread.allocatedp` /
// `thread.deallocatedp` point at them).  So:
//
//   Used() = offset + sum over registered threads of (allocated - deallocated)
//
// where `offset` is set by Recalibrate() to stats.allocated minus that sum at the same
// moment.  Memory allocated by one thread and freed by another is counted right (the sum
// over threads is what matters).  Allocations by threads that did not register (the main
// thread, snapshot and AOF threads, libraries' threads) show up at the next Recalibrate():
// the cron calls it every tick, and the evictor before it evicts, so a stale offset never
// makes it evict what it need not.  Reading is a handful of relaxed loads per worker.
//
// Threads: a thread registers itself (worker threads at start) and must unregister before it
// exits; its final balance moves to `retired_`.  Readers may run on any thread.  The
// counters are plain uint64_t written by their own thread: they are read with relaxed atomic
// loads (__atomic_load_n), which on x86-64 and ARM64 are ordinary loads of aligned words.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

namespace tessera::server {

class MemoryMeter {
 public:
  static constexpr size_t kMaxThreads = 256;

  // Registers the calling thread; a no-op if it already is or if kMaxThreads are.
  void RegisterThisThread();
  // Moves the calling thread's balance to the retired total; REQUIRES: called by a thread
  // before it exits, if it registered.
  void UnregisterThisThread();

  // The estimate of jemalloc's allocated bytes (see above).
  uint64_t Used() const;
  // The calling thread's own balance (bytes it allocated less bytes it freed since it
  // started), or nullopt if it did not register.  What one thread frees, measured without the
  // other threads' allocations meanwhile (Evictor::DeleteKey).
  static std::optional<int64_t> ThisThreadBalance();
  // Reads stats.allocated (epoch refresh) and re-bases the estimate on it; returns it.
  uint64_t Recalibrate();
  // Monotonic microseconds of the last Recalibrate (0: never).
  int64_t last_recalibrate_us() const { return last_us_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<const uint64_t*> allocated{nullptr};
    std::atomic<const uint64_t*> deallocated{nullptr};
  };
  int64_t Sum() const;

  std::array<Slot, kMaxThreads> slots_;
  std::atomic<size_t> high_{0};  // slots [high_, kMaxThreads) were never used
  std::atomic<int64_t> retired_{0};
  std::atomic<int64_t> offset_{0};
  std::atomic<int64_t> last_us_{0};
  std::mutex mu_;  // registration and recalibration
};

}  // namespace tessera::server
