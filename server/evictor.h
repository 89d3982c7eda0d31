// Evictor: keeps used memory under maxmemory by deleting keys (DESIGN 4; Redis's evict.c).
//
// When.  The dispatcher calls PerformEvictions() before every command while maxmemory is set
// (its verdict decides -OOM for deny-oom commands); each worker's cron calls it too, so a
// CONFIG SET maxmemory below the current use, or an eviction cut short by its time limit,
// finishes with no traffic.  Any worker may evict keys of any shard: it locks one shard at a
// time and holds no other shard lock meanwhile (the dispatcher calls it before taking the
// command's locks), so lock order is never violated.
//
// How.  Sampling policies keep Redis's pool (core/keyspace/eviction.h): each round samples
// maxmemory-samples keys of every non-empty DB of one random shard into the pool, then
// evicts the pool's best candidate that still exists.  Shards hold keys by hash, so a random
// shard's keys are a random sample of the keyspace.  The random policies evict a random key
// of a random shard.  Memory is measured around every key's removal with MemoryMeter (a few loads):
// a run stops once its removals freed what was over the limit when it started (Redis's
// mem_tofree: what evicting allocates meanwhile, such as invalidation messages to tracking
// clients, must not make it chase its own tail), or as soon as used memory is back under the
// limit, so several workers evicting at once do not overshoot.  One mutex serializes
// evictions (it guards the pool); no shard lock is ever held while waiting for it.
//
// Every key deleted here goes through DeleteKey(): the place where keyspace events, WATCH
// and client tracking learn of evictions, and where the write log records them as DEL
// (UNLINK with lazyfree-lazy-eviction).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "core/base/random.h"
#include "core/keyspace/eviction.h"
#include "core/keyspace/keyspace.h"

namespace tessera::server {

class Server;
struct ClientState;
struct ServerConfig;

// Makes `db` keep the access clock the configured policy reads: LFU counters under an LFU
// maxmemory-policy, LRU seconds otherwise.  Call right after constructing a DbAccess.
void ApplyAccessPolicy(const ServerConfig& config, keyspace::DbAccess& db);

class Evictor {
 public:
  enum class Result {
    kOk,       // under the limit (or no limit)
    kRunning,  // still over it, but keys were freed and the time limit stopped the work
    kFail,     // over the limit and nothing could be evicted
  };

  explicit Evictor(Server& server);

  // Used memory as eviction counts it (the MemoryMeter estimate, or the test source).
  uint64_t UsedMemory() const;
  // Redis's performEvictions(): evicts until used memory is at most maxmemory, for at most
  // `time_limit_us` (-1: the limit maxmemory-eviction-tenacity gives).  REQUIRES: the caller
  // holds no shard lock and is not inside EXEC or a script.
  Result PerformEvictions(int64_t now_ms, int64_t time_limit_us = -1,
                          ClientState* for_client = nullptr);
  // Whether the last call stopped on its time limit with memory still over the limit.
  bool pending() const { return pending_.load(std::memory_order_relaxed); }

  // Bytes left out of used memory when it is compared with maxmemory, as Redis leaves out its
  // AOF and replication buffers: the write log's bytes not yet taken by the AOF, what
  // replicas' connections hold, and the tracking invalidations on their way to their
  // clients' sockets, which Redis writes before its next command
  // (TrackingRegistry::in_transit_bytes), and what closed or evicted clients hold until their
  // worker frees it, which Redis frees at once (ClientEviction::closing), and clients' bytes
  // past maxmemory-clients, which client eviction gives back (OverLimitBytes).  INFO
  // mem_not_counted_for_evict.
  uint64_t NotCountedBytes() const;

  uint64_t evicted_keys() const { return evicted_keys_.load(std::memory_order_relaxed); }
  // INFO total_eviction_exceeded_time / current_eviction_exceeded_time, in ms.
  uint64_t total_exceeded_ms(int64_t now_ms) const;
  uint64_t current_exceeded_ms(int64_t now_ms) const;
  void ResetStats();

  // Tests: used memory comes from `source` instead of the allocator.  It is called with a
  // shard lock held (around each key's removal): it must not lock shards.
  void SetMemorySourceForTesting(std::function<uint64_t()> source) {
    memory_source_ = std::move(source);
  }

 private:
  // Evicts one key, adding to *freed the bytes its deletion gave back; false iff no candidate
  // could be found.  REQUIRES: mu_ held.
  bool EvictOne(keyspace::EvictionPolicy policy, int64_t now_ms, uint64_t* freed);
  bool EvictFromPool(keyspace::EvictionPolicy policy, int64_t now_ms, uint64_t* freed);
  bool EvictRandom(bool volatile_only, int64_t now_ms, uint64_t* freed);
  // Removes `e` (key of `db` in `shard`, whose lock is held; `hash` is its key's) and frees
  // it: counted as evicted, or as expired when its time had passed.  Adds to *freed the drop
  // in used memory across the removal alone, not what the signals after it allocate.
  void DeleteKey(keyspace::Shard& shard, int db, keyspace::Entry* e, uint64_t hash, int64_t now_ms,
                 uint64_t* freed);
  void NoteOverLimit(bool over, int64_t now_ms);
  // Nothing left to evict, but the lazy-free thread holds values not yet freed: waits for
  // them (polling every millisecond) until used memory is at most `maxmemory` (returns true)
  // or the run's time limit has passed (Redis's eviction-lazyfree wait).
  bool WaitForLazyFree(uint64_t maxmemory, int64_t start_us, int64_t time_limit_us);

  Server& server_;
  std::function<uint64_t()> memory_source_;
  std::mutex mu_;
  keyspace::EvictionPool pool_;                  // guarded by mu_
  SplitMix64 rng_{0x5eed};                       // guarded by mu_
  keyspace::EvictionPool::Candidate candidate_;  // guarded by mu_: PopBest's scratch
  std::atomic<uint64_t> evicted_keys_{0};
  std::atomic<bool> pending_{false};
  std::atomic<int64_t> over_since_ms_{0};  // 0: under the limit
  std::atomic<uint64_t> total_over_ms_{0};
  int64_t last_recalibrate_ms_ = 0;  // guarded by mu_
};

}  // namespace tessera::server
