// The active expiry cycle (DESIGN 4): run from the hz timer, it reclaims keys whose time has
// passed but that nobody reads (lazy expiry in DbAccess::Find handles the rest).
//
// Approach: each worker owns a stride of the shards (shard_begin, shard_begin + shard_step,
// ...), so workers never contend with each other for the cycle.  For each owned shard the
// cycle try_locks the shard (a busy shard is skipped until the next tick: the timer must not
// wait behind a long command), then for each DB advances any incremental rehash with
// HashTable::RehashStep, deletes the keys whose time has come through the DB's expiry index
// (Shard::ExpireDue: every due key, so a key is reclaimed within about a tick of its time,
// however many keys have an expiry) and, while some hash has fields with an expiry, sweeps the
// table from the DB's saved position with Shard::ActiveExpire, repeating while a step finds
// many expired fields.  Each deleted key is published as an `expired` event and logged as a
// DEL.  The wall-clock budget is checked before every step, so a call overruns it by at most
// one step (kExpireStepEntries index entries or entries visited, or kRehashStepSlots slots
// moved).
//
// The shard and DB where a call starts rotate with now_ms, so a budget that always runs out
// part-way does not starve the shards at the end of the stride.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tessera::server {

class Server;

// Entries visited per Shard::ActiveExpire call.
inline constexpr size_t kExpireStepEntries = 64;
// Slots migrated per RehashStep call.
inline constexpr size_t kRehashStepSlots = 256;

// What INFO stats reports of the cycles (every worker's): expired_time_cap_reached_count,
// expire_cycle_cpu_milliseconds and expired_stale_perc.  The stale percentage is Redis's
// running average (each cycle weighs 5%) of the share of volatile keys a cycle found already
// expired; Redis estimates that share from random samples, the cycle here knows it exactly,
// since it reclaims every due key of the shards it visits.
struct ExpireCycleStats {
  std::atomic<uint64_t> time_cap_reached{0};
  std::atomic<uint64_t> total_us{0};
  std::atomic<double> stale_ratio{0};  // 0..1
  void Reset() {
    time_cap_reached.store(0, std::memory_order_relaxed);
    total_us.store(0, std::memory_order_relaxed);
    stale_ratio.store(0, std::memory_order_relaxed);
  }
};

// Runs one cycle over shards shard_begin, shard_begin + shard_step, ... with expiry judged at
// `now_ms` (Unix ms), for at most about `budget_us` microseconds of real time.  Expiry is
// skipped when server.active_expire_enabled is false (rehashing still advances).  Returns the
// number of keys expired.  REQUIRES: shard_step >= 1; the caller holds no shard lock.
size_t RunActiveExpireCycle(Server& server, unsigned shard_begin, unsigned shard_step,
                            int64_t now_ms, int64_t budget_us);

}  // namespace tessera::server
