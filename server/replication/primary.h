// The primary side of Redis's replication (DESIGN 8), first part: full synchronisation.
//
// A client that sends SYNC or PSYNC becomes a replica.  It waits for a background save for
// replication (Persistence::BackgroundSaveForReplication); at that save's point, with every
// shard lock held, the replica is attached to the write log as a tap, so it receives every
// byte logged after the point.  When the file is written it is sent as one bulk ("$<size>\r\n"
// and the bytes, as Redis's disk-based sync does), followed by the log bytes gathered since
// the point, and from then on each append as it happens.  The stream is the write log
// itself: the same bytes the AOF gets, with the offsets of master_repl_offset.
//
// WAIT and WAITAOF block their client until enough replicas acknowledged its last write
// (REPLCONF ACK) or fsynced it in their AOF (ACK's FACK); WAITAOF's local count comes from
// this server's AOF writer (Aof::FsyncedMark).  The replica side is server/replication/replica.h.
//
// Not here yet: partial resynchronisation (PSYNC always answers +FULLRESYNC; there is no
// backlog), diskless transfer, FAILOVER.
//
// Threads: SYNC/PSYNC/REPLCONF run on the replica's worker; taps run on whichever thread
// appends; the save's thread finishes the transfer.  Everything that touches the replica's
// connection is posted to its owner (ClientRegistry::RunOnOwner).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::server {

class Server;
struct ClientState;

// WAITAOF with numlocal 1 while appendonly is no (at the call, or turned off while it waits).
inline constexpr char kWaitAofNeedsAof[] =
    "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.";

class ReplicationPrimary {
 public:
  explicit ReplicationPrimary(Server& server);
  ~ReplicationPrimary();
  ReplicationPrimary(const ReplicationPrimary&) = delete;
  ReplicationPrimary& operator=(const ReplicationPrimary&) = delete;

  // SYNC (`psync` false) or PSYNC from `client`, on its owner's thread: it becomes a replica
  // waiting for a full sync, which starts now or, while another background save or AOF rewrite
  // runs, from Cron once it ended.
  void AddReplica(ClientState& client, bool psync);
  // The replica's connection closed (owner thread).
  void RemoveReplica(uint64_t client_id);
  // REPLCONF listening-port / ip-address / ACK from a replica.
  void SetListeningPort(uint64_t client_id, int port);
  void SetAnnouncedIp(uint64_t client_id, std::string ip);
  // `fsynced`: REPLCONF ACK's FACK, the offset the replica's AOF has fsynced (WAITAOF).
  void NoteAck(uint64_t client_id, uint64_t offset, std::optional<uint64_t> fsynced,
               int64_t now_ms);

  // WAIT (Redis's replicationCountAcksByOffset and blockForReplication).  Offsets are the
  // write log's (ClientState::woff).  CountAcks: online replicas that acknowledged `offset`.
  // AddWaiter: `client_id` gets ":<count>" through DeliverBlockedReply once `numreplicas`
  // did, and asks the replicas for an ACK now.  EndWait (timeout, disconnect): the reply now
  // (WAIT's or WAITAOF's), or none when the reply is already on its way.
  int64_t CountAcks(uint64_t offset) const;
  void AddWaiter(uint64_t client_id, uint64_t offset, int64_t numreplicas);
  std::optional<std::string> EndWait(uint64_t client_id);
  // CLIENT UNBLOCK: the waiter gets its reply now (the timeout's), or with `error`
  // -UNBLOCKED.  False when `client_id` is not waiting here.
  bool Unblock(uint64_t client_id, bool error);
  // REPLICAOF: every WAIT gets `error` and its client is closed after it; returns how many.
  size_t FailWaiters(std::string_view error);

  // WAITAOF (Redis's waitaofCommand).  CountAofAcks: online replicas whose AOF has fsynced
  // `offset` (ClientState::woff).  LocalAofAck: 1 when this server's AOF has fsynced every
  // append before log mark `mark` (ClientState::aof_woff), else 0 (also while the AOF is off).
  // AddAofWaiter: `client_id` gets "*2 :<local> :<replicas>" once both numbers are reached,
  // or Redis's error if the AOF is turned off while `numlocal` is 1.
  int64_t CountAofAcks(uint64_t offset) const;
  int64_t LocalAofAck(uint64_t mark) const;
  void AddAofWaiter(uint64_t client_id, uint64_t offset, uint64_t mark, int64_t numlocal,
                    int64_t numreplicas);
  // The local AOF fsynced more (the AOF writer's hook; one load when no WAITAOF waits), or
  // was turned on or off: the waiters are looked at again.
  void OnLocalAofDurable();
  void WakeWaiters();
  // Clients blocked in WAIT or WAITAOF (INFO's blocked_clients counts them, as Redis does).
  size_t waiter_count() const { return waiter_count_.load(std::memory_order_relaxed); }

  // SHUTDOWN waiting for its replicas (server/shutdown.h).  RequestAcks: REPLCONF GETACK * in
  // the stream.  AckStates: each replica (full sync done or not), how far its acknowledged
  // offset is behind master_repl_offset, seconds since its last ACK while online, its state.
  void RequestAcks();
  struct AckState {
    std::string name;  // ip:port, as Redis's log lines name a replica
    uint64_t behind = 0;
    int64_t lag_s = 0;
    std::string state;
  };
  std::vector<AckState> AckStates(int64_t now_ms) const;

  // Starts a full sync replicas wait for; pings the replicas every repl-ping-replica-period.
  // Worker 0's timer.
  void Cron(int64_t now_ms);

  size_t replica_count() const;
  // min-replicas-to-write: false while it is set (with min-replicas-max-lag) and fewer online
  // replicas than it acknowledged within the lag (Redis's checkGoodReplicasStatus).
  bool EnoughGoodReplicas(int64_t now_ms) const;
  // The replicas past their full sync, for ROLE: address, listening port, acknowledged offset.
  struct OnlineReplica {
    std::string ip;
    int port = 0;
    uint64_t ack_offset = 0;
  };
  std::vector<OnlineReplica> Online() const;
  // "connected_slaves:N" and one "slaveI:..." line per replica, for INFO replication (lines
  // joined by CRLF, none after the last).
  std::string InfoLines(int64_t now_ms) const;
  // master_repl_offset: the write log's offset once a replica attached, 0 before (as Redis,
  // whose offset only moves once a replica created its backlog).
  uint64_t master_repl_offset() const;
  // A replica that became a primary continues its primary's offsets: from now on
  // master_repl_offset (and the offsets FULLRESYNC gives) count on from `offset`.
  void ContinueOffsetFrom(uint64_t offset);

 private:
  struct Replica;
  // Online replicas that acknowledged within `max_lag` seconds (mu_ held).
  int64_t GoodReplicasLocked(int64_t now_ms, int64_t max_lag) const;
  // Online replicas whose ACK (or, `aof`, FACK) reached `offset` (mu_ held).
  int64_t CountAcksLocked(uint64_t offset, bool aof) const;
  // Answers the waiters whose replicas acknowledged enough (mu_ held).
  void WakeWaitersLocked();
  struct AckWaiter {
    uint64_t client_id;
    uint64_t offset;  // in master_repl_offset terms
    int64_t numreplicas;
    bool aof = false;  // WAITAOF
    int64_t numlocal = 0;
    uint64_t mark = 0;  // WAITAOF: the client's last logged write, in write log marks
  };
  std::vector<AckWaiter> waiters_;
  std::atomic<size_t> waiter_count_{0};  // waiters_.size()
  std::atomic<size_t> aof_waiters_{0};   // WAITAOF entries of waiters_
  void CountWaitersLocked();             // sets both counts
  // What `w` would be answered now, as RESP bytes (mu_ held).
  std::string ReplyNowLocked(const AckWaiter& w) const;
  // Offsets `w` in master_repl_offset terms, queues it and asks the replicas for an ACK.
  void EnqueueWaiter(AckWaiter w);
  // On the client's owner thread: `reply` ends its WAIT or WAITAOF (then, with
  // `close_after`, its connection), unless it stopped waiting meanwhile.
  void Deliver(uint64_t client_id, std::string reply, bool close_after = false);
  void StartSyncLocked();  // mu_ held
  void FinishSync(const std::string& err, const std::string& path);

  Server& server_;
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<Replica>> replicas_;
  bool sync_running_ = false;
  bool ever_attached_ = false;
  int64_t offset_base_ = 0;  // master_repl_offset minus the write log's offset
  int64_t last_cron_s_ = 0;
  int64_t cron_seconds_ = 0;  // seconds Cron ran in (Redis's replication_cron_loops)
};

}  // namespace tessera::server
