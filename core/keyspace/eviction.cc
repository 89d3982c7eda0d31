#include "core/keyspace/eviction.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace tessera::keyspace {

uint8_t LfuDecayedCounter(uint32_t field, uint32_t now_minutes, int decay_time) {
  uint32_t last = (field >> 8) & 0xFFFF;
  uint32_t counter = field & 0xFF;
  if (decay_time <= 0) return static_cast<uint8_t>(counter);
  uint32_t elapsed = now_minutes >= last ? now_minutes - last : 65535 - last + now_minutes;
  uint32_t periods = elapsed / static_cast<uint32_t>(decay_time);
  return static_cast<uint8_t>(periods >= counter ? 0 : counter - periods);
}

uint8_t LfuLogIncrement(uint8_t counter, int log_factor, uint64_t random) {
  if (counter == 255) return counter;
  double r = static_cast<double>(random >> 11) * 0x1.0p-53;  // uniform in [0, 1)
  double base = counter > kLfuInitCounter ? counter - kLfuInitCounter : 0;
  double p = 1.0 / (base * log_factor + 1);
  return r < p ? static_cast<uint8_t>(counter + 1) : counter;
}

uint32_t LfuTouch(uint32_t field, uint32_t now_minutes, const LfuParams& params, uint64_t random) {
  uint8_t counter = LfuDecayedCounter(field, now_minutes, params.decay_time);
  counter = LfuLogIncrement(counter, params.log_factor, random);
  return ((now_minutes & 0xFFFF) << 8) | counter;
}

uint64_t EvictionScore(const Entry& e, EvictionPolicy policy, const EvictionClock& clock) {
  switch (policy) {
    case EvictionPolicy::kVolatileLru:
    case EvictionPolicy::kAllkeysLru:
      return LruIdleSeconds(e.clock(), clock.lru_clock);
    case EvictionPolicy::kVolatileLfu:
    case EvictionPolicy::kAllkeysLfu:
      return 255 - LfuDecayedCounter(e.clock(), clock.lfu_minutes, clock.lfu_decay_time);
    case EvictionPolicy::kVolatileTtl:
      return std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(e.expire_at());
    default:
      return 0;
  }
}

void EvictionPool::Offer(uint64_t score, int db, unsigned shard, std::string_view key) {
  static_assert(kPoolSize <= 256, "order_ holds slot numbers in bytes");
  if (size_ == kPoolSize && score <= slots_[order_[0]].score) return;  // no better than the worst
  // A key already held is updated, not added twice: duplicates would crowd others out.  The
  // same key is in the same shard: comparing shards first spares most key comparisons.
  for (size_t i = 0; i < size_; ++i) {
    const Candidate& c = slots_[order_[i]];
    if (c.shard == shard && c.db == db && c.key == key) {
      const uint8_t freed = order_[i];
      for (size_t j = i + 1; j < size_; ++j) order_[j - 1] = order_[j];
      order_[--size_] = freed;
      break;
    }
  }
  // First position whose candidate scores higher: the new one goes just before it.
  size_t k = 0;
  while (k < size_ && slots_[order_[k]].score < score) ++k;
  uint8_t slot;
  if (size_ == kPoolSize) {
    if (k == 0) return;  // no better than the worst we hold
    // Drop the worst (position 0) and shift [1, k) left: the new candidate lands at k - 1.
    slot = order_[0];
    for (size_t i = 1; i < k; ++i) order_[i - 1] = order_[i];
    --k;
  } else {
    // Take the first free slot; shift [k, size_) right by one.
    slot = order_[size_];
    for (size_t i = size_; i > k; --i) order_[i] = order_[i - 1];
    ++size_;
  }
  order_[k] = slot;
  Candidate& c = slots_[slot];
  c.score = score;
  c.db = db;
  c.shard = shard;
  c.key.assign(key.data(), key.size());
}

bool EvictionPool::PopBest(Candidate* out) {
  if (size_ == 0) return false;
  --size_;  // the best candidate's slot (order_[size_]) becomes the first free one
  Candidate& c = slots_[order_[size_]];
  out->score = c.score;
  out->db = c.db;
  out->shard = c.shard;
  out->key.swap(c.key);
  return true;
}

namespace {

// Calls fn(Entry*) for entries of consecutive slots from a random one, wrapping, until fn
// returns false or kMaxSampleSlots slots (or every slot) were read.
template <class Fn>
void WalkFromRandomSlot(const EntryTable& t, SplitMix64& rng, Fn&& fn) {
  size_t slots = t.SlotCount();
  if (slots == 0 || t.empty()) return;
  size_t limit = std::min(slots, kMaxSampleSlots);
  size_t p = rng.Below(slots);
  for (size_t n = 0; n < limit; ++n) {
    if (Entry* e = t.ElementAtSlot(p)) {
      if (!fn(e)) return;
    }
    if (++p == slots) p = 0;
  }
}

}  // namespace

size_t SampleForEviction(const DbTable& table, EvictionPolicy policy, size_t count,
                         const EvictionClock& clock, SplitMix64& rng, int db, unsigned shard,
                         EvictionPool& pool) {
  const bool volatile_only = IsVolatilePolicy(policy);
  const EntryTable& t = table.table;
  if (count == 0 || t.empty() || (volatile_only && table.volatile_keys == 0)) return 0;
  // Entries are read in batches: the slot words first (consecutive), each entry's cache line
  // prefetched, then scored.  The sample's cache misses overlap instead of queueing.
  constexpr size_t kBatch = 16;
  Entry* batch[kBatch];
  const size_t slots = t.SlotCount();
  const size_t limit = std::min(slots, kMaxSampleSlots);
  size_t p = rng.Below(slots);
  size_t read = 0;
  size_t offered = 0;
  while (offered < count && read < limit) {
    const size_t want = std::min(count - offered, kBatch);
    size_t n = 0;
    for (; n < want && read < limit; ++read) {
      if (Entry* e = t.ElementAtSlot(p)) {
        __builtin_prefetch(e);
        batch[n++] = e;
      }
      if (++p == slots) p = 0;
    }
    for (size_t i = 0; i < n; ++i) {
      const Entry* e = batch[i];
      if (volatile_only && !e->has_expiry()) continue;
      const uint64_t score = EvictionScore(*e, policy, clock);
      if (pool.Accepts(score)) pool.Offer(score, db, shard, e->key());
      ++offered;
    }
  }
  return offered;
}

Entry* RandomEvictionCandidate(const DbTable& table, bool volatile_only, SplitMix64& rng) {
  if (volatile_only && table.volatile_keys == 0) return nullptr;
  Entry* found = nullptr;
  WalkFromRandomSlot(table.table, rng, [&](Entry* e) {
    if (volatile_only && !e->has_expiry()) return true;
    found = e;
    return false;
  });
  return found;
}

}  // namespace tessera::keyspace
