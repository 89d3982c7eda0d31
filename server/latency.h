// The latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR) and the per-command
// latency tracking behind LATENCY HISTOGRAM and INFO latencystats (Redis 7.2).
//
// Monitor: code that may stall a worker (a command, an expiry or eviction cycle, an AOF
// write or fsync) measures itself and calls MaybeRecord(); a duration of at least
// latency-monitor-threshold ms (0 = off) becomes a sample of its event.  Each event keeps its
// last kHistoryLen samples, one per second at most (the worst of that second, as Redis), and
// its all-time maximum.  Events are rare by construction (only slow things are recorded), so
// one mutex guards the table; the cost on the fast path is one relaxed load of the threshold.
//
// Tracking: each worker's CommandStats has a LatencyHistogram (core/base) allocated at the
// command's first call while latency-tracking is on; readers merge the workers' histograms.
//
// The reports (doctor, graph) are built here from a snapshot so they can be unit-tested with a
// fixed "now"; their wording is ours, their layout follows Redis's so that tools and eyes
// trained on Redis find the same parts in the same places.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/latency_histogram.h"

namespace tessera::server {

class Server;

class LatencyMonitor {
 public:
  static constexpr int kHistoryLen = 160;

  struct Sample {
    int64_t time_s = 0;  // 0: unused slot
    int64_t latency_ms = 0;
  };
  struct Series {
    std::array<Sample, kHistoryLen> samples{};
    int next = 0;  // slot of the next new sample
    int64_t max_ms = 0;

    const Sample& Latest() const { return samples[(next + kHistoryLen - 1) % kHistoryLen]; }
    // The used slots, oldest first.
    std::vector<Sample> InOrder() const;
  };

  // Adds a sample of `latency_ms` at `now_s` to `event`: within the same second as the
  // event's previous sample it only raises that sample.
  void Add(std::string_view event, int64_t latency_ms, int64_t now_s);
  // Drops `event` (any case); returns 1 if it existed, else 0.
  int Reset(std::string_view event);
  // Drops every event; returns how many there were.
  int ResetAll();
  bool Get(std::string_view event, std::string* name, Series* out) const;
  std::map<std::string, Series> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Series> events_;  // guarded by mu_
};

// Records `latency_ms` for `event` if the monitor is on and the duration reaches its threshold.
void MaybeRecordLatency(Server& server, std::string_view event, int64_t latency_ms);

struct CommandSpec;
struct CommandStats;
// After a command ran for `duration_us`: its latency histogram (latency-tracking) and the
// monitor's "command" / "fast-command" event.
void NoteCommandLatency(Server& server, const CommandSpec& spec, CommandStats& stats,
                        int64_t duration_us);
// The sum of every worker's histogram of `spec`; false if it has no recorded call.
bool MergedCommandHistogram(Server& server, const CommandSpec& spec, base::LatencyHistogram* out);

// INFO latencystats' lines (without line ends): latency_percentiles_usec_<cmd>:p50=..,p99=..
// for every command with calls, if latency-tracking is on.
std::vector<std::string> LatencyStatsInfoLines(Server& server);

// Statistics of one event over its kept samples (Redis's analyzeLatencyForEvent).
struct LatencyEventStats {
  int64_t all_time_high = 0;
  int64_t avg = 0, min = 0, max = 0, mad = 0;  // ms; mad = mean absolute deviation
  int samples = 0;
  int64_t period_s = 0;  // seconds since the oldest kept sample (at least 1)
};
LatencyEventStats AnalyzeLatency(const LatencyMonitor::Series& series, int64_t now_s);

// LATENCY GRAPH's text for one event.
std::string LatencyGraph(std::string_view event, const LatencyMonitor::Series& series,
                         int64_t now_s);
// LATENCY DOCTOR's text.  `threshold_ms` is latency-monitor-threshold.
std::string LatencyDoctorReport(const std::map<std::string, LatencyMonitor::Series>& events,
                                int64_t now_s, int64_t threshold_ms);

// A histogram slot that stays empty until its first record (most commands are never called).
// One writer thread: the one that owns the enclosing WorkerStats.
class LazyLatencyHistogram {
 public:
  LazyLatencyHistogram() = default;
  LazyLatencyHistogram(const LazyLatencyHistogram&) = delete;
  LazyLatencyHistogram& operator=(const LazyLatencyHistogram&) = delete;
  ~LazyLatencyHistogram() { delete ptr_.load(std::memory_order_relaxed); }

  void Record(int64_t ns) {
    base::LatencyHistogram* h = ptr_.load(std::memory_order_relaxed);
    if (h == nullptr) {
      h = new base::LatencyHistogram();
      ptr_.store(h, std::memory_order_release);
    }
    h->Record(ns);
  }
  // nullptr until the first record.
  const base::LatencyHistogram* get() const { return ptr_.load(std::memory_order_acquire); }
  // Empties the counts (kept allocated: the owner may be recording into it right now).
  void Reset() {
    if (base::LatencyHistogram* h = ptr_.load(std::memory_order_acquire)) h->Reset();
  }

 private:
  std::atomic<base::LatencyHistogram*> ptr_{nullptr};
};

}  // namespace tessera::server
