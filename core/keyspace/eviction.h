// Eviction: the choice of keys to remove when used memory passes maxmemory (DESIGN 4).
//
// The access clock.  Every entry has a 24-bit field (entry.h) read two ways, as in Redis:
//   - LRU policies (and no policy): the Unix time in seconds, mod 2^24, of the last access.
//     Idle time is the distance to the current clock, wrapping every 194 days.
//   - LFU policies: the high 16 bits are the Unix time in minutes, mod 2^16, of the last
//     decrement; the low 8 bits a logarithmic access counter (Morris counter).  A new key
//     starts at kLfuInitCounter so that it is not evicted before it had a chance to be read;
//     an access first decays the counter by one per lfu-decay-time minutes elapsed, then
//     increments it with probability 1 / ((counter - init) * lfu-log-factor + 1).
// Switching policy at run time reinterprets the same bits, as Redis does: the figures adjust
// over time.  The field costs nothing extra: it was already in the entry's 4-byte header.
//
// Candidates.  Eviction samples keys and keeps the best ones seen in a small pool sorted by
// score (Redis's evictionPoolPopulate): a key evicted is the best of many samples taken over
// several calls, which approximates true LRU/LFU far better than the best of one sample.
// Sampling here reads a run of consecutive table slots from a random slot: one random number
// per run, and the slot words of a run share cache lines (each key still costs its entry's
// cache line).  Keys in consecutive slots have neighbouring hashes, which says nothing about
// their access times, so the sample is as good as independent draws.
//
// Pure: no clock reads, no locks.  The caller passes the time and holds the shard's lock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {

// maxmemory-policy, in the order of Redis's enum names (config table order).
enum class EvictionPolicy : uint8_t {
  kVolatileLru = 0,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAllkeysLru,
  kAllkeysLfu,
  kAllkeysRandom,
  kNoEviction,
};

inline bool IsLfuPolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLfu || p == EvictionPolicy::kAllkeysLfu;
}
inline bool IsVolatilePolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}
inline bool IsRandomPolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kAllkeysRandom;
}

inline constexpr uint32_t kClockMask = 0xFFFFFF;
inline constexpr uint8_t kLfuInitCounter = 5;

// The LRU clock for `now_ms` (seconds mod 2^24).
inline uint32_t LruClock(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000) & kClockMask;
}
// Seconds since an entry's LRU clock `field`, given the current clock (wraps like Redis's).
inline uint64_t LruIdleSeconds(uint32_t field, uint32_t now_clock) {
  return now_clock >= field ? now_clock - field : now_clock + (kClockMask - field);
}
// The LFU minutes clock for `now_ms` (minutes mod 2^16).
inline uint32_t LfuMinutes(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 60000) & 0xFFFF;
}
// The field of a new key under an LFU policy.
inline uint32_t LfuInitialField(uint32_t minutes) { return (minutes << 8) | kLfuInitCounter; }

struct LfuParams {
  int log_factor = 10;  // lfu-log-factor
  int decay_time = 1;   // lfu-decay-time, minutes per decrement; 0: never decays
};

// The counter of an LFU `field` after decay to `now_minutes` (OBJECT FREQ).
uint8_t LfuDecayedCounter(uint32_t field, uint32_t now_minutes, int decay_time);
// The counter after one access: incremented with probability 1 / ((c - init) * factor + 1),
// `random` uniform in [0, 2^64).
uint8_t LfuLogIncrement(uint8_t counter, int log_factor, uint64_t random);
// The field after one access at `now_minutes`: decay, then increment.
uint32_t LfuTouch(uint32_t field, uint32_t now_minutes, const LfuParams& params, uint64_t random);

// The clocks a candidate is judged with.
struct EvictionClock {
  int64_t now_ms = 0;
  uint32_t lru_clock = 0;    // LruClock(now_ms)
  uint32_t lfu_minutes = 0;  // LfuMinutes(now_ms)
  int lfu_decay_time = 1;
};

// How much `e` deserves eviction under `policy`: larger is evicted first.  LRU: idle
// seconds; LFU: 255 minus the decayed counter; volatile-ttl: earlier expiry scores higher.
// REQUIRES: a sampling policy (not random, not noeviction); volatile-ttl: e->has_expiry().
uint64_t EvictionScore(const Entry& e, EvictionPolicy policy, const EvictionClock& clock);

// Redis's eviction pool: the kPoolSize best candidates met so far, by score.  Keys are copied
// (a candidate is looked up again, under its shard's lock, before it is evicted); a slot keeps
// its string's capacity, so refilling it rarely allocates.  Candidates never move: a small
// array of slot numbers keeps them in score order, so an offer shifts bytes, not strings (the
// pool was half of an eviction's instructions when it shifted Candidates).  REQUIRES:
// external locking.
class EvictionPool {
 public:
  static constexpr size_t kPoolSize = 16;
  struct Candidate {
    uint64_t score = 0;
    int db = 0;
    unsigned shard = 0;
    std::string key;
  };

  // Offers a key: kept if the pool has room or the key beats the worst candidate.  A key the
  // pool holds already gets the new score (one slot per key).
  void Offer(uint64_t score, int db, unsigned shard, std::string_view key);
  // Whether Offer would keep a key of this score (false: skip reading its key).
  bool Accepts(uint64_t score) const {
    return size_ < kPoolSize || score > slots_[order_[0]].score;
  }
  // Moves the best candidate into *out and removes it; false iff the pool is empty.
  bool PopBest(Candidate* out);
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

 private:
  std::array<Candidate, kPoolSize> slots_;
  // order_[0, size_): the slots held, ascending by score (the best candidate is last);
  // order_[size_, kPoolSize): the free slots.
  std::array<uint8_t, kPoolSize> order_ = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  size_t size_ = 0;
};

// Offers up to `count` entries of `table` (only those with an expiry when `policy` is
// volatile) to `pool`, read from consecutive slots starting at a random one.  Reads at most
// kMaxSampleSlots slots.  Returns how many entries were offered.  REQUIRES: shard lock held.
inline constexpr size_t kMaxSampleSlots = 4096;
size_t SampleForEviction(const DbTable& table, EvictionPolicy policy, size_t count,
                         const EvictionClock& clock, SplitMix64& rng, int db, unsigned shard,
                         EvictionPool& pool);

// A random entry of `table` (with an expiry if `volatile_only`) for the random policies, or
// nullptr if the run of slots read (at most kMaxSampleSlots) held none.
Entry* RandomEvictionCandidate(const DbTable& table, bool volatile_only, SplitMix64& rng);

}  // namespace tessera::keyspace
