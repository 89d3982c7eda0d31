#include "server/expire_cycle.h"

#include <atomic>
#include <mutex>

#include "core/base/random.h"
#include "server/blocking.h"
#include "server/notify.h"
#include "server/server.h"

namespace tessera::server {

namespace {

class Cycle {
 public:
  Cycle(Server& server, int64_t now_ms, int64_t budget_us)
      : server_(server),
        rehash_(server.config().activerehashing.load(std::memory_order_relaxed)),
        expire_(server.active_expire_enabled.load(std::memory_order_relaxed) &&
                !server.WritesPaused(now_ms)),
        now_ms_(now_ms),
        deadline_us_(Server::MonotonicUs() + budget_us) {}

  bool OutOfTime() const { return Server::MonotonicUs() >= deadline_us_; }
  size_t expired() const { return expired_; }
  uint64_t volatile_seen() const { return volatile_seen_; }

  // Works on one DB of a locked shard.  Returns false iff the budget ran out.
  bool RunDb(keyspace::Shard& shard, int db) {
    keyspace::DbTable& t = shard.db(db);
    // activerehashing no: tables finish rehashing only as commands touch them.
    while (rehash_ && t.table.IsRehashing()) {
      if (OutOfTime()) return false;
      t.table.RehashStep(kRehashStepSlots);
    }
    if (!expire_) return true;
    volatile_seen_ += t.volatile_keys;
    const bool logging = server_.write_log().enabled();
    // Deleted names are needed by the log and by whoever hears of removed keys (blocked
    // XREADGROUP clients among them).
    const bool heard = NotifyEnabled(server_, kNotifyExpired) || server_.tracking().armed() ||
                       server_.blocking().key_blocked_clients() > 0;
    const bool fields_notify = NotifyEnabled(server_, kNotifyHash | kNotifyGeneric);
    std::vector<std::string>* names = logging || heard ? &deleted_ : nullptr;
    keyspace::FreeSink* lazy = server_.config().lazyfree_lazy_expire.load(std::memory_order_relaxed)
                                   ? &server_.lazy_free()
                                   : nullptr;
    // Keys, through the DB's expiry index, in bounded steps while any is due.
    bool more = t.expiry_index.next_ms() <= now_ms_;
    while (more) {
      if (OutOfTime()) return false;
      expired_ += shard.ExpireDue(db, now_ms_, kExpireStepEntries, names, &more, lazy);
      Report(db, logging);
    }
    // Hash fields with an expiry: a sweep of the table.
    while (t.field_expiry && !t.table.empty()) {
      if (OutOfTime()) return false;
      const size_t n = shard.ActiveExpire(db, now_ms_, kExpireStepEntries, names,
                                          fields_notify ? &field_events_ : nullptr, lazy);
      expired_ += n;
      Report(db, logging);
      // Stop at the end of a pass, or when a step found little (the rest waits for the next
      // tick, or for a reader, which expires it lazily).
      if (t.expire_cursor == 0 || n * 10 <= kExpireStepEntries) break;
    }
    return true;
  }

 private:
  // Reports the keys just deleted (KeyRemovedByServer: `expired`, WATCH, tracking; a hash
  // whose last field expired raises hexpired and del instead) and has the write log record
  // each as a DEL (UNLINK with lazyfree-lazy-expire), under the shard lock that deleted them.
  void Report(int db, bool logging) {
    // Hashes that lost fields: hexpired, and del when they went (Redis 7.4's events).
    for (const auto& [key, emptied] : field_events_) {
      NotifyKeyspaceEvent(server_, kNotifyHash, "hexpired", key, db);
      if (emptied) NotifyKeyspaceEvent(server_, kNotifyGeneric, "del", key, db);
    }
    for (const std::string& key : deleted_) {
      bool hash_emptied = false;
      for (const auto& [k, emptied] : field_events_) hash_emptied |= emptied && k == key;
      if (hash_emptied) {
        server_.tracking().InvalidateKey(db, key, nullptr, /*client_wrote=*/false);
      } else {
        KeyRemovedByServer(server_, db, key, kNotifyExpired, "expired");
        NoteRemovedByServer(server_, db, key);
      }
    }
    field_events_.clear();
    if (logging) LogDeletions(db);
    deleted_.clear();
  }

  void LogDeletions(int db) {
    const char* verb = ExpiredKeyDeleteCommand(server_.config());
    std::string bytes;
    for (const std::string& key : deleted_) {
      std::string_view del[] = {verb, key};
      persistence::AppendRespCommand(&bytes, del);
    }
    server_.write_log().Append(db, bytes);
    deleted_.clear();
  }

  Server& server_;
  std::vector<std::pair<std::string, bool>> field_events_;  // (hash, emptied), while notifying
  const bool rehash_;
  std::vector<std::string> deleted_;
  const bool expire_;
  const int64_t now_ms_;
  const int64_t deadline_us_;
  size_t expired_ = 0;
  uint64_t volatile_seen_ = 0;
};

// Books one finished call in the server's ExpireCycleStats and the latency monitor.
void NoteCycle(Server& server, const Cycle& cycle, int64_t start_us, bool capped) {
  const int64_t elapsed_us = Server::MonotonicUs() - start_us;
  ExpireCycleStats& st = server.expire_stats();
  st.total_us.fetch_add(static_cast<uint64_t>(elapsed_us), std::memory_order_relaxed);
  if (capped) st.time_cap_reached.fetch_add(1, std::memory_order_relaxed);
  const double current =
      cycle.volatile_seen() == 0
          ? 0.0
          : static_cast<double>(cycle.expired()) / static_cast<double>(cycle.volatile_seen());
  // Racing workers may lose one another's update: a statistic, not a ledger.
  st.stale_ratio.store(current * 0.05 + st.stale_ratio.load(std::memory_order_relaxed) * 0.95,
                       std::memory_order_relaxed);
  MaybeRecordLatency(server, "expire-cycle", elapsed_us / 1000);
}

}  // namespace

size_t RunActiveExpireCycle(Server& server, unsigned shard_begin, unsigned shard_step,
                            int64_t now_ms, int64_t budget_us) {
  keyspace::Keyspace& ks = server.keyspace();
  if (shard_step == 0 || shard_begin >= ks.shard_count()) return 0;
  const unsigned owned = (ks.shard_count() - shard_begin + shard_step - 1) / shard_step;
  const int num_dbs = ks.num_dbs();
  // Mixed, so that consecutive ticks start at unrelated shards.
  const uint64_t rotation = SplitMix64(static_cast<uint64_t>(now_ms)).Next();
  const unsigned first_shard = static_cast<unsigned>(rotation % owned);
  const int first_db = static_cast<int>((rotation >> 32) % static_cast<uint64_t>(num_dbs));

  const int64_t start_us = Server::MonotonicUs();
  Cycle cycle(server, now_ms, budget_us);
  for (unsigned k = 0; k < owned; ++k) {
    if (cycle.OutOfTime()) {
      NoteCycle(server, cycle, start_us, /*capped=*/true);
      return cycle.expired();
    }
    keyspace::Shard& shard = ks.shard(shard_begin + ((first_shard + k) % owned) * shard_step);
    if (!shard.mutex().try_lock_keep_hook()) continue;  // busy: next tick
    std::unique_lock<keyspace::ShardMutex> lock(shard.mutex(), std::adopt_lock);
    // A snapshot has yet to write this shard: its keys expire once it has (deleting them now
    // would make this worker write the whole shard first, its clients waiting).
    if (shard.mutex().pending_hook() != nullptr) continue;
    for (int j = 0; j < num_dbs; ++j) {
      if (!cycle.RunDb(shard, (first_db + j) % num_dbs)) {
        lock.unlock();
        NoteCycle(server, cycle, start_us, /*capped=*/true);
        return cycle.expired();
      }
    }
  }
  NoteCycle(server, cycle, start_us, /*capped=*/false);
  return cycle.expired();
}

}  // namespace tessera::server
