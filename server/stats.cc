#include "server/stats.h"

#include <algorithm>

namespace tessera::server {

void ErrorStats::Count(std::string_view message) {
  size_t space = message.find(' ');
  std::string code(message.substr(0, space));
  std::lock_guard<std::mutex> lock(mu_);
  // Redis stops tracking new codes past 128 distinct ones (errors with odd prefixes would
  // otherwise grow the table without bound).
  auto it = by_code_.find(code);
  if (it != by_code_.end()) {
    ++it->second;
  } else if (by_code_.size() < 128) {
    by_code_.emplace(std::move(code), 1);
  }
  total_.fetch_add(1, std::memory_order_relaxed);
}

std::map<std::string, uint64_t> ErrorStats::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_code_;
}

void ErrorStats::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  by_code_.clear();
  total_.store(0, std::memory_order_relaxed);
}

bool InstantMetrics::Sample(int64_t now_ms, const uint64_t (&totals)[kNumMetrics]) {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_ms_ != 0 && now_ms - last_ms_ < kSamplePeriodMs) return false;
  if (last_ms_ != 0) {
    uint64_t elapsed = static_cast<uint64_t>(now_ms - last_ms_);
    for (int m = 0; m < kNumMetrics; ++m) {
      // Counters can go down (CONFIG RESETSTAT): count that interval as zero.
      uint64_t delta = totals[m] >= last_[m] ? totals[m] - last_[m] : 0;
      rates_[m][next_] = delta * 1000 / elapsed;
    }
    next_ = (next_ + 1) % kSamples;
    filled_ = std::min(filled_ + 1, kSamples);
  }
  last_ms_ = now_ms;
  for (int m = 0; m < kNumMetrics; ++m) last_[m] = totals[m];
  return true;
}

uint64_t InstantMetrics::PerSecond(Metric m) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (filled_ == 0) return 0;
  uint64_t sum = 0;
  for (int i = 0; i < filled_; ++i) sum += rates_[m][i];
  return sum / static_cast<uint64_t>(filled_);
}

uint64_t InstantMetrics::UpdatePeakMemory(uint64_t used) {
  uint64_t peak = peak_memory_.load(std::memory_order_relaxed);
  while (used > peak && !peak_memory_.compare_exchange_weak(peak, used)) {
  }
  return std::max(peak, used);
}

void InstantMetrics::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  last_ms_ = 0;
  filled_ = 0;
  next_ = 0;
}

}  // namespace tessera::server
