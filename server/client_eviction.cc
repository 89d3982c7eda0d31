#include "server/client_eviction.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "server/commands/client_info.h"
#include "server/log.h"
#include "server/server.h"

namespace tessera::server {

namespace {
// How long an evicting worker waits for another worker to close its victim.
constexpr int kRemoteCloseWaitMs = 200;
}  // namespace

uint64_t ClientEviction::Limit(int64_t maxmemory_clients, uint64_t maxmemory) {
  uint64_t limit = 0;
  if (maxmemory_clients < 0) {
    if (maxmemory == 0) return 0;
    limit = static_cast<uint64_t>(static_cast<double>(maxmemory) *
                                  static_cast<double>(-maxmemory_clients) / 100.0);
  } else if (maxmemory_clients > 0) {
    limit = static_cast<uint64_t>(maxmemory_clients);
  } else {
    return 0;
  }
  return std::max(limit, kMinLimit);
}

void ClientEviction::Report(ClientState& c, uint64_t bytes) {
  if (c.evicting.load(std::memory_order_relaxed)) return;  // already out of the total
  uint64_t before = c.reported_memory.load(std::memory_order_relaxed);
  const bool was_replica = c.reported_as_replica.load(std::memory_order_relaxed);
  if (before == bytes && was_replica == c.replica) return;
  c.reported_memory.store(bytes, std::memory_order_relaxed);
  // A client that became a replica (SYNC) moves its bytes to the replicas' total.
  (was_replica ? replica_total_ : total_)
      .fetch_sub(static_cast<int64_t>(before), std::memory_order_relaxed);
  c.reported_as_replica.store(c.replica, std::memory_order_relaxed);
  (c.replica ? replica_total_ : total_)
      .fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
}

bool ClientEviction::Withdraw(ClientState& c) {
  if (c.evicting.exchange(true, std::memory_order_relaxed)) return false;
  uint64_t before = c.reported_memory.exchange(0, std::memory_order_relaxed);
  // Counted as closing first, then out of its total: the evictor never sees neither.
  c.closing_bytes.store(before, std::memory_order_relaxed);
  closing_.fetch_add(static_cast<int64_t>(before), std::memory_order_relaxed);
  (c.reported_as_replica.load(std::memory_order_relaxed) ? replica_total_ : total_)
      .fetch_sub(static_cast<int64_t>(before), std::memory_order_relaxed);
  return true;
}

bool ClientEviction::OverLimit(const Server& server) const {
  const ServerConfig& config = server.config();
  int64_t setting = config.maxmemory_clients.load(std::memory_order_relaxed);
  if (setting == 0) return false;
  uint64_t limit = Limit(setting, config.maxmemory.load(std::memory_order_relaxed));
  return limit != 0 && total() > limit;
}

uint64_t ClientEviction::OverLimitBytes(Server& server) const {
  const ServerConfig& config = server.config();
  int64_t setting = config.maxmemory_clients.load(std::memory_order_relaxed);
  if (setting == 0) return 0;
  uint64_t limit = Limit(setting, config.maxmemory.load(std::memory_order_relaxed));
  uint64_t t = total();
  if (limit == 0 || t <= limit) return 0;
  // Only what evicting clients can give back: bytes of clients that cannot be evicted
  // (CLIENT NO-EVICT) weigh on key eviction, as in Redis.
  uint64_t evictable = 0;
  server.clients().ForEach([&](const ClientState& c, int) {
    if (c.no_evict || c.replica || c.master || c.evicting.load(std::memory_order_relaxed)) return;
    evictable += c.reported_memory.load(std::memory_order_relaxed);
  });
  return std::min(t - limit, evictable);
}

bool ClientEviction::Barrier(Server& server, int caller_worker) {
  return server.clients().SyncOtherWorkers(caller_worker, server.io_threads(), kRemoteCloseWaitMs);
}

size_t ClientEviction::EvictClients(Server& server, int caller_worker) {
  if (!OverLimit(server)) return 0;
  std::unique_lock<std::mutex> lock(evicting_, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  const ServerConfig& config = server.config();
  uint64_t limit = Limit(config.maxmemory_clients.load(std::memory_order_relaxed),
                         config.maxmemory.load(std::memory_order_relaxed));
  if (limit == 0) return 0;
  struct Candidate {
    uint64_t id;
    uint64_t bytes;
  };
  std::vector<Candidate> candidates;
  server.clients().ForEach([&](const ClientState& c, int) {
    // As Redis, only normal and pubsub clients are evicted: never a replica.
    if (c.no_evict || c.replica || c.master || c.evicting.load(std::memory_order_relaxed)) return;
    candidates.push_back({c.id, c.reported_memory.load(std::memory_order_relaxed)});
  });
  if (candidates.empty()) return 0;
  // When even evicting every candidate would leave the total over the limit, most of it is
  // held by clients that cannot be evicted, or by a client that closed its connection while
  // its worker has not noticed yet (in Redis's single loop events run in order; here the
  // close may wait in another worker's loop).  Let every other worker run what it has pending
  // first, so that a new client is not evicted for a connection that is already gone.
  uint64_t evictable = 0;
  for (const Candidate& c : candidates) evictable += c.bytes;
  if (total() - std::min(total(), evictable) > limit && Barrier(server, caller_worker) &&
      !OverLimit(server)) {
    return 0;
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.bytes > b.bytes; });
  size_t evicted = 0;
  for (const Candidate& victim : candidates) {
    if (total() <= limit) break;
    // Out of the total now, on this thread: the next turn of the loop must not see the
    // victim's bytes while its owner, busy with a long command, has not closed it yet (the
    // wait below gives up after kRemoteCloseWaitMs), or it would evict smaller clients too.
    if (!server.clients().WithClient(victim.id, [this](ClientState& c) { return Withdraw(c); })) {
      continue;  // closed, or chosen by another thread, meanwhile
    }
    evicted_.fetch_add(1, std::memory_order_relaxed);
    ++evicted;
    server.clients().RunOnOwnerAndWait(
        victim.id, caller_worker,
        [&server](ClientState* c) {
          if (c->control == nullptr) return;
          Log(LogLevel::kNotice, "Evicting client: {}", ClientInfoLine(server, *c, server.NowMs()));
          c->control->CloseNow();
        },
        kRemoteCloseWaitMs);
  }
  if (total() > limit) {
    Log(LogLevel::kWarning, "Over client maxmemory after evicting all evictable clients");
  }
  return evicted;
}

}  // namespace tessera::server
