#include "server/memory_meter.h"

#include <jemalloc/jemalloc.h>

#include <chrono>
#include <cstdint>

#include "server/memory_stats.h"

namespace tessera::server {

namespace {

thread_local int registered_slot = -1;
thread_local const uint64_t* this_allocated = nullptr;
thread_local const uint64_t* this_deallocated = nullptr;

int64_t Balance(const uint64_t* allocated, const uint64_t* deallocated) {
  return static_cast<int64_t>(__atomic_load_n(allocated, __ATOMIC_RELAXED) -
                              __atomic_load_n(deallocated, __ATOMIC_RELAXED));
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void MemoryMeter::RegisterThisThread() {
  if (registered_slot >= 0) return;
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  size_t len = sizeof(uint64_t*);
  if (mallctl("thread.allocatedp", &allocated, &len, nullptr, 0) != 0) return;
  len = sizeof(uint64_t*);
  if (mallctl("thread.deallocatedp", &deallocated, &len, nullptr, 0) != 0) return;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kMaxThreads; ++i) {
    if (slots_[i].allocated.load(std::memory_order_relaxed) != nullptr) continue;
    // The balance so far was counted by the offset: keep the sum unchanged.
    offset_.fetch_sub(Balance(allocated, deallocated), std::memory_order_relaxed);
    slots_[i].deallocated.store(deallocated, std::memory_order_relaxed);
    slots_[i].allocated.store(allocated, std::memory_order_release);
    if (i + 1 > high_.load(std::memory_order_relaxed)) {
      high_.store(i + 1, std::memory_order_release);
    }
    registered_slot = static_cast<int>(i);
    this_allocated = allocated;
    this_deallocated = deallocated;
    return;
  }
}

void MemoryMeter::UnregisterThisThread() {
  if (registered_slot < 0) return;
  std::lock_guard lock(mu_);
  Slot& s = slots_[registered_slot];
  const uint64_t* allocated = s.allocated.load(std::memory_order_relaxed);
  const uint64_t* deallocated = s.deallocated.load(std::memory_order_relaxed);
  s.allocated.store(nullptr, std::memory_order_relaxed);
  s.deallocated.store(nullptr, std::memory_order_relaxed);
  retired_.fetch_add(Balance(allocated, deallocated), std::memory_order_relaxed);
  registered_slot = -1;
  this_allocated = nullptr;
  this_deallocated = nullptr;
}

int64_t MemoryMeter::Sum() const {
  int64_t sum = retired_.load(std::memory_order_relaxed);
  const size_t high = high_.load(std::memory_order_acquire);
  for (size_t i = 0; i < high; ++i) {
    const Slot& s = slots_[i];
    const uint64_t* allocated = s.allocated.load(std::memory_order_acquire);
    if (allocated == nullptr) continue;
    const uint64_t* deallocated = s.deallocated.load(std::memory_order_relaxed);
    if (deallocated == nullptr) continue;
    sum += Balance(allocated, deallocated);
  }
  return sum;
}

std::optional<int64_t> MemoryMeter::ThisThreadBalance() {
  if (this_allocated == nullptr) return std::nullopt;
  return Balance(this_allocated, this_deallocated);
}

uint64_t MemoryMeter::Used() const {
  int64_t v = offset_.load(std::memory_order_relaxed) + Sum();
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

uint64_t MemoryMeter::Recalibrate() {
  std::lock_guard lock(mu_);
  // Other threads allocate and free while the allocator's count is read: the threads' sum is
  // read on both sides of it, and the read is taken again (a few times at most) when they
  // moved apart, as a thread preempted here on a busy machine would otherwise re-base the
  // estimate on a sum from much later (too high by what was freed meanwhile, which makes
  // keys go for nothing).
  uint64_t allocated = 0;
  int64_t best_offset = 0;
  int64_t best_gap = INT64_MAX;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const int64_t before = Sum();
    allocated = ReadAllocatedBytes();
    const int64_t after = Sum();
    const int64_t gap = after > before ? after - before : before - after;
    if (gap < best_gap) {
      best_gap = gap;
      best_offset = static_cast<int64_t>(allocated) - before / 2 - after / 2;
    }
    if (gap <= 64 * 1024) break;
  }
  offset_.store(best_offset, std::memory_order_relaxed);
  last_us_.store(NowUs(), std::memory_order_relaxed);
  return allocated;
}

}  // namespace tessera::server
