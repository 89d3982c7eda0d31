#include "server/evictor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

#include "core/base/hash.h"
#include "persistence/write_log.h"
#include "server/blocking.h"
#include "server/client_eviction.h"
#include "server/notify.h"
#include "server/persistence.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::EvictionPolicy;

// Redis's evictionTimeLimitUs(): 50 us per step of tenacity up to 10 (500 us at the default),
// then 15% more per step; 100 means no limit.
int64_t TimeLimitUs(int tenacity) {
  if (tenacity <= 10) return 50 * static_cast<int64_t>(tenacity);
  if (tenacity < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return std::numeric_limits<int64_t>::max();
}

// Keys between two looks at the clock.
constexpr uint64_t kKeysPerTimeCheck = 16;
// The meter's offset is refreshed at most this often while over the limit (threads that do
// not register, like snapshot writers, free memory the estimate sees only then).
constexpr int64_t kRecalibrateEveryMs = 10;

}  // namespace

void ApplyAccessPolicy(const ServerConfig& config, keyspace::DbAccess& db) {
  auto policy =
      static_cast<EvictionPolicy>(config.maxmemory_policy.load(std::memory_order_relaxed));
  if (!keyspace::IsLfuPolicy(policy)) return;
  db.set_lfu(config.lfu_log_factor.load(std::memory_order_relaxed),
             config.lfu_decay_time.load(std::memory_order_relaxed),
             keyspace::LfuMinutes(db.now_ms()));
}

Evictor::Evictor(Server& server) : server_(server) {}

uint64_t Evictor::UsedMemory() const {
  if (memory_source_) return memory_source_();
  return server_.memory_meter().Used();
}

uint64_t Evictor::NotCountedBytes() const {
  if (memory_source_) return 0;
  uint64_t bytes = server_.client_eviction().replica_total() + server_.client_eviction().closing() +
                   server_.client_eviction().OverLimitBytes(server_) +
                   server_.tracking().in_transit_bytes();
  if (server_.config().appendonly.load(std::memory_order_relaxed)) {
    bytes += server_.write_log().PendingBytes();
  }
  return bytes;
}

void Evictor::NoteOverLimit(bool over, int64_t now_ms) {
  int64_t since = over_since_ms_.load(std::memory_order_relaxed);
  if (over && since == 0) {
    over_since_ms_.store(now_ms == 0 ? 1 : now_ms, std::memory_order_relaxed);
  } else if (!over && since != 0) {
    if (now_ms > since) total_over_ms_.fetch_add(now_ms - since, std::memory_order_relaxed);
    over_since_ms_.store(0, std::memory_order_relaxed);
  }
}

uint64_t Evictor::current_exceeded_ms(int64_t now_ms) const {
  int64_t since = over_since_ms_.load(std::memory_order_relaxed);
  return since != 0 && now_ms > since ? static_cast<uint64_t>(now_ms - since) : 0;
}

uint64_t Evictor::total_exceeded_ms(int64_t now_ms) const {
  return total_over_ms_.load(std::memory_order_relaxed) + current_exceeded_ms(now_ms);
}

void Evictor::ResetStats() {
  evicted_keys_.store(0, std::memory_order_relaxed);
  total_over_ms_.store(0, std::memory_order_relaxed);
}

namespace {
// The client whose command PerformEvictions makes room for, on this thread: its own tracking
// invalidations of evicted keys go out before its reply, as Redis's do.
thread_local ClientState* evicting_for = nullptr;
}  // namespace

Evictor::Result Evictor::PerformEvictions(int64_t now_ms, int64_t time_limit_us,
                                          ClientState* for_client) {
  struct Scope {
    explicit Scope(ClientState* c) : previous(evicting_for) { evicting_for = c; }
    ~Scope() { evicting_for = previous; }
    ClientState* previous;
  } scope(for_client);
  const ServerConfig& config = server_.config();
  uint64_t maxmemory = config.maxmemory.load(std::memory_order_relaxed);
  if (maxmemory == 0) return Result::kOk;
  // Deleting keys is a write: not while CLIENT PAUSE holds writes, nor while the dataset
  // loads (Redis's isSafeToPerformEvictions).
  int64_t pause_end = server_.pause_end_ms.load(std::memory_order_relaxed);
  if (pause_end != 0 && now_ms < pause_end) return Result::kOk;
  if (server_.persistence().loading.load(std::memory_order_relaxed)) return Result::kOk;
  if (UsedMemory() <= maxmemory) {
    if (over_since_ms_.load(std::memory_order_relaxed) != 0) NoteOverLimit(false, now_ms);
    pending_.store(false, std::memory_order_relaxed);
    return Result::kOk;
  }
  std::lock_guard lock(mu_);
  if (!memory_source_ && now_ms - last_recalibrate_ms_ >= kRecalibrateEveryMs) {
    last_recalibrate_ms_ = now_ms;
    server_.memory_meter().Recalibrate();
  }
  // The AOF's pending bytes, replicas' buffers and the tracking messages not yet written are
  // not the dataset's: they do not make keys go (Redis's freeMemoryGetNotCountedMemory).  Read
  // once per call: what this run's own evictions send meanwhile is bounded by to_free below.
  // Used memory is read first: a replica's or client's buffer is counted before it grows and
  // after it shrinks (Connection::Push), so the not-counted figure read after it never misses
  // an allocation that used memory already holds.
  uint64_t used_before = UsedMemory();
  std::atomic_thread_fence(std::memory_order_acquire);
  maxmemory += NotCountedBytes();
  if (used_before <= maxmemory) {  // another thread evicted meanwhile, or the estimate was old
    NoteOverLimit(false, now_ms);
    pending_.store(false, std::memory_order_relaxed);
    return Result::kOk;
  }
  NoteOverLimit(true, now_ms);
  auto policy =
      static_cast<EvictionPolicy>(config.maxmemory_policy.load(std::memory_order_relaxed));
  if (policy == EvictionPolicy::kNoEviction) return Result::kFail;
  if (time_limit_us < 0) {
    time_limit_us = TimeLimitUs(config.maxmemory_eviction_tenacity.load(std::memory_order_relaxed));
  }
  const int64_t start_us = Server::MonotonicUs();
  // The monitor's eviction-cycle event: this call's whole eviction run, however it ends.
  struct CycleTimer {
    ~CycleTimer() {
      MaybeRecordLatency(server, "eviction-cycle", (Server::MonotonicUs() - start) / 1000);
    }
    Server& server;
    int64_t start;
  } cycle_timer{server_, start_us};
  uint64_t freed = 0;
  // The estimate may lag the allocator's count (memory of threads the meter does not follow).
  // Two cases check its verdict against the allocator's own count (one Recalibrate) and go
  // on from there: the cron's run, which would otherwise stop where only the estimate is
  // under the limit and leave used_memory hovering just over it with no traffic to finish
  // the work; and a run that found nothing left to evict, before it refuses a command.  A
  // command's run trusts the estimate (a Recalibrate per command would cost more than the
  // eviction; the cron tick follows).
  bool nothing_left = false;
  for (int pass = 0; pass < 2; ++pass) {
    nothing_left = false;
    const uint64_t used = pass == 0 ? used_before : UsedMemory();
    const uint64_t to_free = used > maxmemory ? used - maxmemory : 0;
    uint64_t freed_bytes = 0;
    while (freed_bytes < to_free && UsedMemory() > maxmemory) {
      if (!EvictOne(policy, now_ms, &freed_bytes)) {
        nothing_left = true;
        break;
      }
      if (++freed % kKeysPerTimeCheck == 0 && Server::MonotonicUs() - start_us > time_limit_us) {
        pending_.store(true, std::memory_order_relaxed);
        return Result::kRunning;
      }
    }
    if (memory_source_ || pass == 1 || (!nothing_left && for_client != nullptr)) break;
    last_recalibrate_ms_ = now_ms;
    server_.memory_meter().Recalibrate();
  }
  // Freed what was over at the start: done, even if what the evictions signalled (messages
  // to tracking clients, not yet written out) keeps used memory over the limit for now.
  if (!nothing_left) {
    NoteOverLimit(UsedMemory() > maxmemory, now_ms);
    pending_.store(false, std::memory_order_relaxed);
    return Result::kOk;
  }
  if (UsedMemory() > maxmemory && !WaitForLazyFree(maxmemory, start_us, time_limit_us)) {
    // Still over after the allocator's own count: nothing left.
    pending_.store(false, std::memory_order_relaxed);
    return Result::kFail;
  }
  NoteOverLimit(false, now_ms);
  pending_.store(false, std::memory_order_relaxed);
  return Result::kOk;
}

bool Evictor::WaitForLazyFree(uint64_t maxmemory, int64_t start_us, int64_t time_limit_us) {
  LazyFreer& lazy = server_.lazy_free();
  if (lazy.pending() == 0) return false;
  const int64_t wait_start_us = Server::MonotonicUs();
  bool under = false;
  while (lazy.pending() != 0 && Server::MonotonicUs() - start_us < time_limit_us) {
    if (UsedMemory() <= maxmemory) {
      under = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(time_limit_us, 1000)));
  }
  under = under || UsedMemory() <= maxmemory;
  MaybeRecordLatency(server_, "eviction-lazyfree", (Server::MonotonicUs() - wait_start_us) / 1000);
  return under;
}

bool Evictor::EvictOne(EvictionPolicy policy, int64_t now_ms, uint64_t* freed) {
  if (keyspace::IsRandomPolicy(policy)) {
    return EvictRandom(policy == EvictionPolicy::kVolatileRandom, now_ms, freed);
  }
  return EvictFromPool(policy, now_ms, freed);
}

bool Evictor::EvictFromPool(EvictionPolicy policy, int64_t now_ms, uint64_t* freed) {
  keyspace::Keyspace& ks = server_.keyspace();
  const unsigned shards = ks.shard_count();
  const int dbs = ks.num_dbs();
  const size_t samples =
      static_cast<size_t>(server_.config().maxmemory_samples.load(std::memory_order_relaxed));
  keyspace::EvictionClock clock;
  clock.now_ms = now_ms;
  clock.lru_clock = keyspace::LruClock(now_ms);
  clock.lfu_minutes = keyspace::LfuMinutes(now_ms);
  clock.lfu_decay_time = server_.config().lfu_decay_time.load(std::memory_order_relaxed);
  const bool volatile_only = keyspace::IsVolatilePolicy(policy);
  // A few rounds: a round whose candidates were all deleted meanwhile samples again.
  for (int round = 0; round < 16; ++round) {
    // maxmemory-samples keys, from shards taken in turn from a random one: as many as Redis
    // samples from a whole DB, however the keys are spread over the shards.
    const unsigned start = static_cast<unsigned>(rng_.Below(shards));
    size_t offered = 0;
    for (unsigned k = 0; k < shards && offered < samples; ++k) {
      const unsigned s = (start + k) & (shards - 1);
      keyspace::Shard& shard = ks.shard(s);
      std::lock_guard shard_lock(shard.mutex());
      for (int db = 0; db < dbs && offered < samples; ++db) {
        const keyspace::DbTable& t = shard.db(db);
        if (t.table.empty() || (volatile_only && t.volatile_keys == 0)) continue;
        offered +=
            keyspace::SampleForEviction(t, policy, samples - offered, clock, rng_, db, s, pool_);
      }
    }
    if (offered == 0 && pool_.size() == 0) return false;  // no shard has such a key
    while (pool_.PopBest(&candidate_)) {
      keyspace::Shard& shard = ks.shard(candidate_.shard);
      std::lock_guard shard_lock(shard.mutex());
      keyspace::DbTable& t = shard.db(candidate_.db);
      const uint64_t hash = HashBytes(candidate_.key);
      keyspace::Entry* e = t.table.Find(candidate_.key, hash);
      if (e == nullptr || (volatile_only && !e->has_expiry())) continue;  // gone meanwhile
      // A candidate read since it was sampled goes back with its score of now (Redis would
      // evict it on the stale score: a key just read is the worst one to drop).
      uint64_t live = keyspace::EvictionScore(*e, policy, clock);
      if (live < candidate_.score) {
        pool_.Offer(live, candidate_.db, candidate_.shard, candidate_.key);
        continue;
      }
      DeleteKey(shard, candidate_.db, e, hash, now_ms, freed);
      return true;
    }
  }
  return false;
}

bool Evictor::EvictRandom(bool volatile_only, int64_t now_ms, uint64_t* freed) {
  keyspace::Keyspace& ks = server_.keyspace();
  const unsigned shards = ks.shard_count();
  const int dbs = ks.num_dbs();
  const unsigned start = static_cast<unsigned>(rng_.Below(shards));
  const int first_db = static_cast<int>(rng_.Below(static_cast<uint64_t>(dbs)));
  for (unsigned k = 0; k < shards; ++k) {
    keyspace::Shard& shard = ks.shard((start + k) & (shards - 1));
    std::lock_guard shard_lock(shard.mutex());
    for (int j = 0; j < dbs; ++j) {
      const int db = (first_db + j) % dbs;
      keyspace::Entry* e = keyspace::RandomEvictionCandidate(shard.db(db), volatile_only, rng_);
      if (e == nullptr) continue;
      DeleteKey(shard, db, e, HashBytes(e->key()), now_ms, freed);
      return true;
    }
  }
  return false;
}

void Evictor::DeleteKey(keyspace::Shard& shard, int db, keyspace::Entry* e, uint64_t hash,
                        int64_t now_ms, uint64_t* freed) {
  // An expired key met here counts, and is reported, as expired (Redis's
  // deleteExpiredKeyAndPropagate), any other as evicted.
  const bool expired = e->IsExpired(now_ms);
  keyspace::DbTable& t = shard.db(db);
  const std::string_view key = e->key();
  // The key's name outlives the entry for the write log and the signals below, which run
  // under the shard lock like a command's (WATCH, client tracking, keyspace events).  Most
  // names fit the stack buffer: no allocation per eviction.
  char stack_name[128];
  std::string heap_name;
  std::string_view name;
  if (key.size() <= sizeof(stack_name)) {
    std::memcpy(stack_name, key.data(), key.size());
    name = std::string_view(stack_name, key.size());
  } else {
    heap_name.assign(key);
    name = heap_name;
  }
  const ServerConfig& config = server_.config();
  const bool timed = config.latency_monitor_threshold.load(std::memory_order_relaxed) != 0;
  const bool lazy = (expired ? config.lazyfree_lazy_expire : config.lazyfree_lazy_eviction)
                        .load(std::memory_order_relaxed);
  // What this deletion frees, measured on this thread's own counters when it frees the value
  // itself: other workers allocate meanwhile (the invalidations of the keys just evicted,
  // delivered into their clients' buffers), and counting their bytes against this key's
  // would make the run evict more keys than it needs.
  std::optional<int64_t> own = std::nullopt;
  if (!lazy && !memory_source_) own = MemoryMeter::ThisThreadBalance();
  const int64_t own_before = own.value_or(0);
  const uint64_t used_before = UsedMemory();
  bool found = t.table.ErasePointer(e, hash);
  (void)found;
  if (e->has_expiry()) --t.volatile_keys;
  const int64_t free_start_us = timed ? Server::MonotonicUs() : 0;
  keyspace::FreeEntry(e, lazy ? &server_.lazy_free() : nullptr);
  if (timed)
    MaybeRecordLatency(server_, "eviction-del", (Server::MonotonicUs() - free_start_us) / 1000);
  if (own.has_value()) {
    const int64_t own_after = MemoryMeter::ThisThreadBalance().value_or(own_before);
    if (own_after < own_before) *freed += static_cast<uint64_t>(own_before - own_after);
  } else {
    const uint64_t used_after = UsedMemory();
    if (used_after < used_before) *freed += used_before - used_after;
  }
  if (server_.write_log().enabled()) {
    std::string_view del[] = {
        expired ? ExpiredKeyDeleteCommand(config) : EvictedKeyDeleteCommand(config), name};
    std::string bytes;
    persistence::AppendRespCommand(&bytes, del);
    server_.write_log().Append(db, bytes);
  }
  if (expired) {
    ++shard.expired_keys;
  } else {
    evicted_keys_.fetch_add(1, std::memory_order_relaxed);
  }
  NoteRemovedByServer(server_, db, name);
  KeyRemovedByServer(server_, db, name, expired ? kNotifyExpired : kNotifyEvicted,
                     expired ? "expired" : "evicted", evicting_for, /*before_reply=*/true);
}

}  // namespace tessera::server
