// LatencyHistogram: command durations for INFO latencystats and LATENCY HISTOGRAM.
//
// Redis keeps one HdrHistogram per command (1 ns .. 1 s, two significant digits) and prints
// percentiles and a power-of-two cumulative distribution from it.  Clients and dashboards read
// those numbers, and a single 12 us call shows as "p50=12.031" because of the histogram's bucket
// edges; to print what Redis prints, this is the same log-linear layout written small: values
// are nanoseconds, buckets of 128 sub-buckets each double in width, so every recorded value
// keeps 2 significant digits.  3072 counters (24 KB), allocated on a command's first call.
//
// Alternative rejected: a plain power-of-two histogram (31 counters) is smaller but its
// percentiles would be off by up to 2x and differ from Redis's printout.
//
// Threads: one writer (the worker that owns the enclosing statistics block) records with
// relaxed stores; any thread may read, and a reader racing a writer sees a count at most one
// record behind.  Merge() into a private histogram before computing percentiles.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace tessera::base {

class LatencyHistogram {
 public:
  static constexpr int64_t kLowest = 1;            // ns
  static constexpr int64_t kHighest = 1000000000;  // ns: longer durations count as 1 s
  static constexpr int kHalfMagnitude = 7;         // sub-buckets per bucket half: 128
  static constexpr int kHalfCount = 1 << kHalfMagnitude;
  static constexpr int kBuckets = 23;  // 256 << 22 > kHighest
  static constexpr int kCountsLen = (kBuckets + 1) * kHalfCount;

  // Records one duration; clamped into [kLowest, kHighest].  Single writer only.
  void Record(int64_t ns);
  // Adds `other`'s counts to this one (a reader's private copy).
  void Merge(const LatencyHistogram& other);
  void Reset();
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }

  // HdrHistogram's value at `percentile` (0..100]: the highest value equivalent to the bucket
  // where the cumulative count first reaches percentile% of the total.  0 if empty.
  int64_t ValueAtPercentile(double percentile) const;
  // The cumulative distribution of LATENCY HISTOGRAM: (microseconds, calls up to there) at
  // power-of-two reporting levels from 1024 ns, only the steps where the count grew.
  std::vector<std::pair<int64_t, uint64_t>> CumulativeMicros() const;

  static int CountsIndexFor(int64_t value);
  static int64_t ValueAtIndex(int index);
  static int64_t LowestEquivalent(int64_t value);
  static int64_t HighestEquivalent(int64_t value);

 private:
  uint64_t Count(int i) const { return counts_[i].load(std::memory_order_relaxed); }
  std::array<std::atomic<uint64_t>, kCountsLen> counts_{};
  std::atomic<uint64_t> total_{0};
};

}  // namespace tessera::base
