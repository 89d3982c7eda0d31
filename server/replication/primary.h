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
// Not here yet (the replication issue): partial resynchronisation (PSYNC always answers
// +FULLRESYNC; there is no backlog), diskless transfer, WAIT, min-replicas-to-write, and the
// replica side (REPLICAOF).
//
// Threads: SYNC/PSYNC/REPLCONF run on the replica's worker; taps run on whichever thread
// appends; the save's thread finishes the transfer.  Everything that touches the replica's
// connection is posted to its owner (ClientRegistry::RunOnOwner).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::server {

class Server;
struct ClientState;

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
  void NoteAck(uint64_t client_id, uint64_t offset, int64_t now_ms);

  // WAIT (Redis's replicationCountAcksByOffset and blockForReplication).  Offsets are the
  // write log's (ClientState::woff).  CountAcks: online replicas that acknowledged `offset`.
  // AddWaiter: `client_id` gets ":<count>" through DeliverBlockedReply once `numreplicas`
  // did, and asks the replicas for an ACK now.  EndWait (timeout, disconnect): the count now,
  // or -1 when the reply is already on its way.
  int64_t CountAcks(uint64_t offset) const;
  void AddWaiter(uint64_t client_id, uint64_t offset, int64_t numreplicas);
  int64_t EndWait(uint64_t client_id);
  // REPLICAOF: every WAIT gets `error` and its client is closed after it; returns how many.
  size_t FailWaiters(std::string_view error);

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
  int64_t CountAcksLocked(uint64_t offset) const;
  // Answers the waiters whose replicas acknowledged enough (mu_ held).
  void WakeWaitersLocked();
  struct AckWaiter {
    uint64_t client_id;
    uint64_t offset;  // in master_repl_offset terms
    int64_t numreplicas;
  };
  std::vector<AckWaiter> waiters_;
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
