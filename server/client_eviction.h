// Client eviction (maxmemory-clients, Redis 7.2): when the memory held by normal and pub/sub
// clients exceeds the limit, the largest evictable clients are disconnected until it no longer
// does.  (Redis also evicts at exactly the limit; its CLIENT LIST counts the running command's
// arguments in the caller's tot-mem while its total does not, so a limit computed from CLIENT
// LIST figures is never met exactly there.  Ours count the same bytes both ways, and a limit
// equal to the total must not evict.)
//
// Accounting.  Each connection's owner reports the client's bytes (buffers, queued MULTI
// commands, subscriptions, watched keys: what CLIENT LIST calls tot-mem) into one total:
// after a read, before each command, after a batch of commands, when output is pushed to it
// and from the once-a-second cron.  A report that did not change the client's figure writes
// nothing shared, so steady traffic costs one relaxed load.  The total doubles as INFO's
// mem_clients_normal (every client is normal or pub/sub: there are no replica clients).
//
// Eviction.  Redis keeps clients in size buckets (powers of two) and frees from the largest
// bucket; here the evicting thread sorts the evictable clients by their reported bytes and
// takes the largest first, which is Redis's order without the bucket granularity.  A client
// with CLIENT NO-EVICT ON counts in the total but is never chosen.  Clients of the evicting
// worker are closed at once; those of other workers through their inboxes, waited for
// (briefly) so that the evicting client's next command no longer sees them.  A client chosen
// once is marked and its bytes leave the total at once, so two workers evicting together do
// not both pick it nor overshoot.
//
// Threads: Report/Forget on the client's owner thread; EvictClients on any worker thread
// outside Dispatch (a victim's connection may be closed in the call).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace tessera::server {

class Server;
struct ClientState;

class ClientEviction {
 public:
  // Redis's floor: a smaller maxmemory-clients would leave no room to talk to the server.
  static constexpr uint64_t kMinLimit = 128 * 1024;

  // The limit in bytes for `maxmemory_clients` (bytes, or -N for N% of `maxmemory`); 0: none
  // (also a percentage while maxmemory is 0).
  static uint64_t Limit(int64_t maxmemory_clients, uint64_t maxmemory);

  // Owner thread: the client holds `bytes` now.
  void Report(ClientState& c, uint64_t bytes);
  // Owner thread, when the client closes: its bytes leave the total (for closing()).
  void Forget(ClientState& c) { (void)Withdraw(c); }
  // Owner thread, once the closed client's memory is freed: `closing_bytes`, its
  // ClientState's figure read before the free, leave closing().
  void Released(uint64_t closing_bytes) {
    closing_.fetch_sub(static_cast<int64_t>(closing_bytes), std::memory_order_relaxed);
  }

  // Bytes a replica's stream holds before it reaches the replica's connection (the write
  // log's tap, ReplicationPrimary): counted with the replicas' total.  Any thread; grows are
  // added before their allocation, frees taken off after.
  void AddReplicaBytes(int64_t delta) {
    replica_total_.fetch_add(delta, std::memory_order_relaxed);
  }

  uint64_t total() const { return static_cast<uint64_t>(std::max<int64_t>(0, total_.load())); }
  // Replicas' bytes, kept apart (INFO mem_clients_slaves): they are neither evicted nor
  // counted by maxmemory-clients, and maxmemory leaves them out, as Redis's replication
  // buffers.
  uint64_t replica_total() const {
    return static_cast<uint64_t>(std::max<int64_t>(0, replica_total_.load()));
  }
  // Bytes of clients chosen for eviction or closed whose memory is not freed yet: another
  // worker may run the close (a posted task) or free the connection (its next loop turn)
  // after this worker's next command.  Redis frees an evicted client at once, so the evictor
  // leaves these out of used memory (Evictor::NotCountedBytes), or they would evict keys.
  uint64_t closing() const {
    return static_cast<uint64_t>(std::max<int64_t>(0, closing_.load(std::memory_order_relaxed)));
  }
  uint64_t evicted_clients() const { return evicted_.load(std::memory_order_relaxed); }
  void ResetStats() { evicted_.store(0, std::memory_order_relaxed); }

  // True iff the total exceeds the configured limit (a relaxed load or two).
  bool OverLimit(const Server& server) const;
  // By how much the total exceeds the limit (0 when it does not, or with no limit), at most
  // the evictable clients' bytes.  Walks the clients only while over the limit.  Client
  // eviction, not key eviction, gives these bytes back: Redis evicts clients before it evicts
  // keys, in one thread; here another worker may be choosing or closing the clients while a
  // command runs, so the evictor leaves them out of used memory (Evictor::NotCountedBytes).
  uint64_t OverLimitBytes(Server& server) const;
  // Disconnects the largest evictable clients until the total is within the limit; returns how
  // many.  `caller_worker`'s own clients are closed before it returns.  If another thread is
  // evicting already, returns 0 at once (that thread does the work).
  size_t EvictClients(Server& server, int caller_worker);

 private:
  // Waits (briefly) until every worker but the caller ran the tasks and events it had
  // pending; false iff there is no other worker.
  bool Barrier(Server& server, int caller_worker);
  // Takes the client's bytes out of the total and marks it chosen; false iff it was already
  // (chosen by another eviction, or closed).  Any thread that keeps `c` alive.
  bool Withdraw(ClientState& c);

  std::atomic<int64_t> total_{0};
  std::atomic<int64_t> replica_total_{0};
  std::atomic<int64_t> closing_{0};
  std::atomic<uint64_t> evicted_{0};
  std::mutex evicting_;
};

}  // namespace tessera::server
