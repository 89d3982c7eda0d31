#include "core/base/latency_histogram.h"

#include <algorithm>

namespace tessera::base {

namespace {

constexpr int64_t kSubBucketMask = (2 * LatencyHistogram::kHalfCount) - 1;  // 255

struct Position {
  int bucket;
  int sub_bucket;
};

Position PositionOf(int64_t value) {
  const int pow2ceiling = 64 - __builtin_clzll(static_cast<uint64_t>(value | kSubBucketMask));
  const int bucket = pow2ceiling - (LatencyHistogram::kHalfMagnitude + 1);
  return {bucket, static_cast<int>(value >> bucket)};
}

int64_t RangeSize(Position p) {
  const int adjusted = p.sub_bucket >= 2 * LatencyHistogram::kHalfCount ? p.bucket + 1 : p.bucket;
  return int64_t{1} << adjusted;
}

}  // namespace

int LatencyHistogram::CountsIndexFor(int64_t value) {
  Position p = PositionOf(value);
  return ((p.bucket + 1) << kHalfMagnitude) + (p.sub_bucket - kHalfCount);
}

int64_t LatencyHistogram::ValueAtIndex(int index) {
  int bucket = (index >> kHalfMagnitude) - 1;
  int sub_bucket = (index & (kHalfCount - 1)) + kHalfCount;
  if (bucket < 0) {
    sub_bucket -= kHalfCount;
    bucket = 0;
  }
  return static_cast<int64_t>(sub_bucket) << bucket;
}

int64_t LatencyHistogram::LowestEquivalent(int64_t value) {
  Position p = PositionOf(value);
  return static_cast<int64_t>(p.sub_bucket) << p.bucket;
}

int64_t LatencyHistogram::HighestEquivalent(int64_t value) {
  Position p = PositionOf(value);
  return (static_cast<int64_t>(p.sub_bucket) << p.bucket) + RangeSize(p) - 1;
}

void LatencyHistogram::Record(int64_t ns) {
  ns = std::clamp(ns, kLowest, kHighest);
  std::atomic<uint64_t>& c = counts_[CountsIndexFor(ns)];
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  total_.store(total_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  uint64_t added = 0;
  for (int i = 0; i < kCountsLen; ++i) {
    uint64_t n = other.Count(i);
    if (n == 0) continue;
    counts_[i].store(Count(i) + n, std::memory_order_relaxed);
    added += n;
  }
  // The sum of the counts, not other.total(): a racing writer may have bumped one and not yet
  // the other, and the percentile walk needs them to agree.
  total_.store(total() + added, std::memory_order_relaxed);
}

void LatencyHistogram::Reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  total_.store(0, std::memory_order_relaxed);
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  const double p = std::min(percentile, 100.0);
  int64_t wanted = static_cast<int64_t>((p / 100) * static_cast<double>(total()) + 0.5);
  wanted = std::max<int64_t>(wanted, 1);
  uint64_t seen = 0;
  for (int i = 0; i < kCountsLen; ++i) {
    seen += Count(i);
    if (seen >= static_cast<uint64_t>(wanted)) {
      int64_t v = ValueAtIndex(i);
      return percentile == 0.0 ? LowestEquivalent(v) : HighestEquivalent(v);
    }
  }
  return 0;
}

// HdrHistogram's logarithmic iteration with base 2 from 1024: it walks the counts until the
// current index's value reaches the next reporting level, and reports the cumulative count up
// to and including that index, labelled with the index's highest equivalent value.
std::vector<std::pair<int64_t, uint64_t>> LatencyHistogram::CumulativeMicros() const {
  std::vector<std::pair<int64_t, uint64_t>> out;
  const uint64_t total_count = total();
  int index = -1;
  uint64_t cumulative = 0;
  int64_t value = 0;
  int64_t highest = 0;
  int64_t level = 1024;
  int64_t level_lowest = LowestEquivalent(level);
  uint64_t previous = 0;
  while (cumulative < total_count ||
         (index + 1 < kCountsLen && ValueAtIndex(index + 1) > level_lowest)) {
    bool exhausted = false;
    while (value < level_lowest) {
      if (++index >= kCountsLen) {
        exhausted = true;
        break;
      }
      cumulative += Count(index);
      value = ValueAtIndex(index);
      highest = HighestEquivalent(value);
    }
    if (exhausted) {
      // HdrHistogram still reports this last step.
      if (cumulative > previous) out.emplace_back(highest / 1000, cumulative);
      break;
    }
    level *= 2;
    level_lowest = LowestEquivalent(level);
    if (cumulative > previous) out.emplace_back(highest / 1000, cumulative);
    previous = cumulative;
  }
  return out;
}

}  // namespace tessera::base
