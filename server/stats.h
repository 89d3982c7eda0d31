// Server statistics for INFO.
//
// Per-command counters are kept per worker (WorkerStats): only the owning worker writes its
// block, with relaxed atomic stores, so counting costs no locked instruction on the command
// path; INFO sums the blocks.  Rare events (error replies by code) go to a mutex-protected
// map.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/latency.h"

namespace tessera::server {

// A counter written by one thread and read by others.
class OwnedCounter {
 public:
  void Add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }
  void Reset() { v_.store(0, std::memory_order_relaxed); }
  void Set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct CommandStats {
  OwnedCounter calls, usec, rejected_calls, failed_calls;
  // Durations while latency-tracking is on (LATENCY HISTOGRAM, INFO latencystats).
  LazyLatencyHistogram latency;
};

struct WorkerStats {
  explicit WorkerStats(size_t num_commands) : commands(num_commands) {}
  std::vector<CommandStats> commands;  // indexed by CommandSpec::id
  OwnedCounter total_commands;
  // Changes to the keyspace (Redis's server.dirty): rdb_changes_since_last_save and the
  // save points count from it.
  OwnedCounter dirty;
  OwnedCounter keyspace_hits, keyspace_misses;
  OwnedCounter net_input_bytes, net_output_bytes;
  OwnedCounter total_connections;
  OwnedCounter rejected_connections;
  // Gauges the worker's cron refreshes once a second over its connections (INFO):
  // the largest query and output buffers of the last few seconds (Redis's
  // client_recent_max_*_buffer), and the memory its clients hold (mem_clients_normal).
  OwnedCounter recent_max_input, recent_max_output, clients_memory;
  // The net layer's counters (INFO stats): read and write calls on client sockets, reply
  // buffer resizes by the cron, event-loop iterations and the time spent not waiting in poll.
  OwnedCounter reads_processed, writes_processed;
  OwnedCounter reply_buffer_shrinks, reply_buffer_expands;
  OwnedCounter eventloop_cycles, eventloop_busy_us;
  // INFO debug: time in the cron and waiting for the AOF (appendfsync always), the longest
  // busy iteration (us) and the most commands run in one iteration.
  OwnedCounter cron_us, aof_wait_us, loop_max_us, commands_per_cycle_max;
};

// Redis's "instantaneous" INFO metrics (instantaneous_ops_per_sec, ..._kbps): a rate measured
// between samples taken every kSamplePeriodMs and averaged over the last kSamples of them
// (1.6 s), and the peak of used_memory.  Worker 0's cron feeds Sample(); INFO reads.  One
// mutex: a sample every 100 ms and an INFO now and then never contend in practice.
class InstantMetrics {
 public:
  enum Metric {
    kCommands = 0,
    kNetInput,
    kNetOutput,
    kEventLoopCycles,
    kEventLoopBusyUs,
    kNumMetrics
  };
  static constexpr int64_t kSamplePeriodMs = 100;
  static constexpr int kSamples = 16;

  // Records the running totals at `now_ms`; does nothing if the last sample is younger than
  // kSamplePeriodMs.  Returns true iff it recorded a sample.
  bool Sample(int64_t now_ms, const uint64_t (&totals)[kNumMetrics]);
  // Average per-second rate over the recorded samples; 0 before two samples exist.
  uint64_t PerSecond(Metric m) const;
  // Peak of the used_memory values reported so far; Update returns the new peak.
  uint64_t UpdatePeakMemory(uint64_t used);
  void Reset();

 private:
  mutable std::mutex mu_;
  int64_t last_ms_ = 0;  // 0: no sample yet
  uint64_t last_[kNumMetrics] = {};
  uint64_t rates_[kNumMetrics][kSamples] = {};
  int filled_ = 0;
  int next_ = 0;
  std::atomic<uint64_t> peak_memory_{0};
};

class ErrorStats {
 public:
  // Counts one error reply; `message` is the text after '-'.
  void Count(std::string_view message);
  std::map<std::string, uint64_t> Snapshot() const;
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  void Reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> by_code_;
  std::atomic<uint64_t> total_{0};
};

}  // namespace tessera::server
