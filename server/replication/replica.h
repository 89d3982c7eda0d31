// The replica side of Redis's replication (DESIGN 8): REPLICAOF, the link to a primary, ROLE's
// and INFO's view of it.
//
// REPLICAOF starts a link thread.  It connects, runs Redis's handshake (PING, AUTH with
// masterauth/masteruser, REPLCONF listening-port / ip-address / capa eof psync2, PSYNC ? -1),
// receives the snapshot into a temporary file (a "$<size>" bulk or a "$EOF:<mark>" stream),
// renames it over dbfilename and loads it into the emptied keyspace while clients get
// -LOADING.  The socket is then handed to a worker as the master client: its commands run
// through the dispatcher as any client's, with no replies (but REPLCONF GETACK's), and every
// whole command (a whole MULTI ... EXEC) advances the replication offset.  When the link
// drops, the thread connects again a second later; a new REPLICAOF makes it end.
//
// Every resync is a full one: PSYNC always asks "? -1" (no backlog exists on our side yet).
//
// While this server is a replica its own replicas hear nothing of local writes: the write
// log's taps are muted until the link is up, and replicas are disconnected (to resync) when
// a new dataset arrives or the server becomes a primary again, as Redis does.
//
// Threads: REPLICAOF runs on any worker; the link thread blocks on its socket; Cron on worker
// 0's timer; the master client's hooks on its owner.  State is behind mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tessera::server {

class Server;

class ReplicationReplica {
 public:
  // Redis's repl_state, as ROLE names it.
  enum class LinkState { kNone, kConnect, kConnecting, kHandshake, kTransfer, kConnected };

  explicit ReplicationReplica(Server& server);
  ~ReplicationReplica();
  ReplicationReplica(const ReplicationReplica&) = delete;
  ReplicationReplica& operator=(const ReplicationReplica&) = delete;

  // Start-up, once the workers run: follows the `replicaof` directive if there is one.
  void Start();
  // REPLICAOF <host> <port>.  False, changing nothing, when that is already the primary.
  bool SetPrimary(const std::string& host, int port);
  // REPLICAOF NO ONE.  False when this server is no replica.
  bool BecomePrimary();
  // Shutdown: the link ends and its thread is joined.
  void Stop();

  bool is_replica() const { return is_replica_.load(std::memory_order_acquire); }
  // The link is up (the dataset is the primary's and its stream is applied).
  bool link_up() const {
    return is_replica() && state_.load(std::memory_order_acquire) == LinkState::kConnected;
  }

  // The master client (server/net/connection.cc), on its owner's thread.  Attached: the
  // worker made a client of the link's socket (false: a newer REPLICAOF made it stale, the
  // caller closes it).  Applied: it ran whole commands of these many stream bytes.
  bool OnMasterAttached(uint64_t generation, uint64_t client_id);
  void OnMasterClosed(uint64_t client_id);
  void AddApplied(uint64_t bytes) { applied_offset_.fetch_add(bytes, std::memory_order_acq_rel); }
  // The offset of the primary's stream applied so far (slave_repl_offset).
  uint64_t applied_offset() const { return applied_offset_.load(std::memory_order_acquire); }

  // REPLCONF ACK <applied offset>, and FACK <offset> while our AOF is on (Redis's
  // replicationSendAck): the arguments of the next acknowledgement, on the master client's
  // thread (after the commands counted in applied_offset() ran).
  std::vector<std::string> AckArgs();

  // Worker 0's timer: REPLCONF ACK once a second, repl-timeout, threads that ended.
  void Cron(int64_t now_ms);

  // INFO replication: the lines a replica adds after role:slave ("" on a primary), joined by
  // CRLF, none after the last.
  std::string InfoLines(int64_t now_ms) const;
  // master_replid2 and second_repl_offset: the history this server continues (after
  // REPLICAOF NO ONE, its former primary's ID up to where it stopped; else 40 zeros, -1).
  std::string replid2() const;
  int64_t second_repl_offset() const;
  // The primary's replication ID learnt at the last full sync ("" before any).
  std::string primary_replid() const;

  struct Role {
    std::string host;
    int port = 0;
    std::string state;    // none, connect, connecting, handshake, sync, connected
    int64_t offset = -1;  // -1 while no master client exists
  };
  Role role() const;

 private:
  class Link;
  // The link thread's body for one REPLICAOF (`generation`).
  void Run(uint64_t generation, std::string host, int port);
  // One connection attempt up to the hand-over; false when it failed (logged).
  bool SyncOnce(uint64_t generation, const std::string& host, int port);
  bool Stale(uint64_t generation) const {
    return generation_.load(std::memory_order_acquire) != generation;
  }
  void SetState(uint64_t generation, LinkState s);
  // Sleeps up to `ms` unless the generation changes first.
  void SleepUnlessStale(uint64_t generation, int64_t ms);
  // mu_ held: ends what the current link does (its socket, its master client).
  void EndLinkLocked();
  void DisconnectReplicas();
  // The primary's offset up to which what we applied is fsynced in our AOF (Redis's
  // fsynced_reploff on a replica, FACK); nullopt while the AOF is off.
  std::optional<uint64_t> FsyncedOffset();
  // A full sync loaded the primary's dataset at `offset`: only the AOF rewrite that follows
  // makes it durable here.
  void ResetFsyncedOffset(uint64_t offset);

  Server& server_;
  std::atomic<bool> is_replica_{false};
  std::atomic<LinkState> state_{LinkState::kNone};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> applied_offset_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;  // the link's end, a new generation
  std::string host_;
  int port_ = 0;
  uint64_t master_client_id_ = 0;  // 0: none
  int link_fd_ = -1;               // the socket while the link thread owns it
  std::string primary_replid_;
  std::string replid2_;
  int64_t second_offset_ = -1;
  int64_t down_since_s_ = 0;    // 0: never up, or up now
  int64_t last_io_ms_ = 0;      // the last byte from the primary (before the hand-over)
  uint64_t transfer_size_ = 0;  // the snapshot being received (0: EOF-marked, size unknown)
  uint64_t transfer_read_ = 0;
  bool transferring_ = false;
  int64_t last_ack_s_ = 0;
  struct LinkThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // its Run returned
  };
  std::vector<LinkThread> threads_;  // link threads, the current one last

  // FsyncedOffset's state.  Checkpoints: the write log mark after the commands applied up to
  // a primary offset ran (taken at each ACK); once our AOF has fsynced a mark, its offset is
  // acknowledged.  At most kMaxCheckpoints, the newest replacing the last beyond that.
  std::mutex fack_mu_;
  struct Checkpoint {
    uint64_t mark;
    uint64_t offset;
  };
  std::deque<Checkpoint> checkpoints_;
  static constexpr size_t kMaxCheckpoints = 64;
  uint64_t fsynced_offset_ = 0;
  // After a full sync: its offset, acknowledged once hold_until_rewrites_ AOF rewrites have
  // succeeded (the next one writes the loaded dataset).
  bool sync_pending_ = false;
  uint64_t sync_offset_ = 0;
  uint64_t hold_until_rewrites_ = 0;
};

}  // namespace tessera::server
