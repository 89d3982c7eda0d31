// The pure parts of eviction (core/keyspace/eviction.h): the LFU counter, candidate scores,
// the pool and sampling.
#include "core/keyspace/eviction.h"

#include <catch2/catch.hpp>

#include <string>

#include "core/base/hash.h"

namespace tessera::keyspace {
namespace {

TEST_CASE("LFU counter decays one step per decay period", "[eviction]") {
  uint32_t field = (100u << 8) | 20;  // last decrement at minute 100, counter 20
  CHECK(LfuDecayedCounter(field, 100, 1) == 20);
  CHECK(LfuDecayedCounter(field, 105, 1) == 15);
  CHECK(LfuDecayedCounter(field, 110, 2) == 15);
  CHECK(LfuDecayedCounter(field, 200, 1) == 0);   // never below zero
  CHECK(LfuDecayedCounter(field, 200, 0) == 20);  // lfu-decay-time 0: no decay
  // The minutes clock wraps at 2^16: minute 3 comes 5 minutes after minute 65534.
  CHECK(LfuDecayedCounter((65534u << 8) | 20, 3, 1) == 16);
}

TEST_CASE("LFU counter increments with probability 1/((c-5)*factor+1)", "[eviction]") {
  // At or below the initial value the increment is certain, whatever the coin says.
  CHECK(LfuLogIncrement(0, 10, ~uint64_t{0}) == 1);
  CHECK(LfuLogIncrement(5, 10, ~uint64_t{0}) == 6);
  // Above it, a coin below p increments, one above does not.
  CHECK(LfuLogIncrement(6, 10, 0) == 7);
  CHECK(LfuLogIncrement(6, 10, ~uint64_t{0}) == 6);
  CHECK(LfuLogIncrement(255, 0, 0) == 255);  // saturates
  // Over many accesses the counter grows logarithmically: factor 10, 1000 hits stay far below
  // 1000 and above the initial value.
  SplitMix64 rng(1);
  uint8_t c = kLfuInitCounter;
  for (int i = 0; i < 1000; ++i) c = LfuLogIncrement(c, 10, rng.Next());
  CHECK(c > 10);
  CHECK(c < 40);
  // A touch decays first, then increments, and stamps the minute.
  uint32_t touched = LfuTouch((100u << 8) | 5, 103, LfuParams{10, 1}, ~uint64_t{0});
  CHECK(touched == ((103u << 8) | 3));
}

Entry* NewKey(const std::string& key, uint32_t clock, int64_t expire = kNoExpiry) {
  return Entry::NewString(key, "v", Encoding::kEmbstr, expire, clock);
}

TEST_CASE("Eviction scores: LRU idle, LFU inverse counter, TTL earliest first", "[eviction]") {
  EvictionClock clock;
  clock.lru_clock = 1000;
  clock.lfu_minutes = 50;
  clock.lfu_decay_time = 1;
  Entry* old = NewKey("old", 100, 5000);
  Entry* recent = NewKey("recent", 990, 9000);
  CHECK(EvictionScore(*old, EvictionPolicy::kAllkeysLru, clock) == 900);
  CHECK(EvictionScore(*recent, EvictionPolicy::kVolatileLru, clock) == 10);
  CHECK(EvictionScore(*old, EvictionPolicy::kVolatileTtl, clock) >
        EvictionScore(*recent, EvictionPolicy::kVolatileTtl, clock));
  old->set_clock((50u << 8) | 3);
  recent->set_clock((50u << 8) | 30);
  CHECK(EvictionScore(*old, EvictionPolicy::kAllkeysLfu, clock) == 252);
  CHECK(EvictionScore(*recent, EvictionPolicy::kVolatileLfu, clock) == 225);
  // LRU idle time across the 24-bit wrap.
  CHECK(LruIdleSeconds(kClockMask - 5, 4) == 9);
  Entry::Free(old);
  Entry::Free(recent);
}

TEST_CASE("Eviction pool keeps the 16 best candidates, one slot per key", "[eviction]") {
  EvictionPool pool;
  for (int i = 0; i < 40; ++i)
    pool.Offer(static_cast<uint64_t>((i * 7) % 40), 0, 0, "k" + std::to_string(i));
  CHECK(pool.size() == EvictionPool::kPoolSize);
  pool.Offer(1, 0, 0, "worse than all");  // dropped
  CHECK(pool.size() == EvictionPool::kPoolSize);
  // The same key offered again takes one slot, with the new score.
  pool.Offer(100, 2, 1, "again");
  pool.Offer(101, 2, 1, "again");
  EvictionPool::Candidate c;
  REQUIRE(pool.PopBest(&c));
  CHECK(c.key == "again");
  CHECK(c.score == 101);
  CHECK(c.db == 2);
  CHECK(c.shard == 1);
  REQUIRE(pool.PopBest(&c));
  CHECK(c.score == 39);  // the best of the 40 offered
  uint64_t last = c.score;
  size_t popped = 2;
  while (pool.PopBest(&c)) {
    CHECK(c.score < last);
    last = c.score;
    ++popped;
  }
  CHECK(popped == EvictionPool::kPoolSize);
  CHECK(last == 25);  // 39 down to 25: the best 15 besides "again"
}

TEST_CASE("Sampling offers volatile keys only under volatile policies", "[eviction]") {
  DbTable t;
  for (int i = 0; i < 200; ++i) {
    std::string key = "key:" + std::to_string(i);
    Entry* e = NewKey(key, static_cast<uint32_t>(i), i % 10 == 0 ? 1000 + i : kNoExpiry);
    t.table.Insert(e, HashBytes(key));
    if (e->has_expiry()) ++t.volatile_keys;
  }
  EvictionClock clock;
  clock.lru_clock = 1000;
  SplitMix64 rng(7);
  for (int round = 0; round < 20; ++round) {
    EvictionPool pool;
    CHECK(SampleForEviction(t, EvictionPolicy::kVolatileLru, 5, clock, rng, 0, 0, pool) == 5);
    EvictionPool::Candidate c;
    while (pool.PopBest(&c)) {
      Entry* e = t.table.Find(c.key, HashBytes(c.key));
      REQUIRE(e != nullptr);
      CHECK(e->has_expiry());
    }
    Entry* r = RandomEvictionCandidate(t, true, rng);
    REQUIRE(r != nullptr);
    CHECK(r->has_expiry());
  }
  // Sampling every key finds the least recently used one.
  EvictionPool pool;
  CHECK(SampleForEviction(t, EvictionPolicy::kAllkeysLru, 1000, clock, rng, 0, 0, pool) == 200);
  EvictionPool::Candidate c;
  REQUIRE(pool.PopBest(&c));
  CHECK(c.key == "key:0");
  // No volatile key: nothing to offer.
  DbTable empty_volatile;
  Entry* e = NewKey("p", 1);
  empty_volatile.table.Insert(e, HashBytes("p"));
  CHECK(SampleForEviction(empty_volatile, EvictionPolicy::kVolatileTtl, 5, clock, rng, 0, 0,
                          pool) == 0);
  CHECK(RandomEvictionCandidate(empty_volatile, true, rng) == nullptr);
  CHECK(RandomEvictionCandidate(empty_volatile, false, rng) == e);
}

}  // namespace
}  // namespace tessera::keyspace
