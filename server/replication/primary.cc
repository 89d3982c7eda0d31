#include "server/replication/primary.h"

#include <fcntl.h>
#include <jemalloc/jemalloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "persistence/write_log.h"
#include "server/aof.h"
#include "server/blocking.h"
#include "server/client_eviction.h"
#include "server/client_registry.h"
#include "server/client_state.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace tessera::server {

namespace {

enum class State { kWaitBgsave, kSendBulk, kOnline };

const char* StateName(State s) {
  switch (s) {
    case State::kWaitBgsave:
      return "wait_bgsave";
    case State::kSendBulk:
      return "send_bulk";
    case State::kOnline:
      return "online";
  }
  return "online";
}

// Reads a whole file; false on error.
bool ReadFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

// What the allocator holds for a string's buffer (a short one lives in the object).
int64_t HeapBytes(const std::string& s) {
  return s.capacity() < sizeof(std::string) ? 0
                                            : static_cast<int64_t>(nallocx(s.capacity() + 1, 0));
}

}  // namespace

// One replica: a tap on the write log plus what INFO shows.  Shared with the closures posted
// to its owner, so it outlives its connection until they ran.
struct ReplicationPrimary::Replica final : persistence::WriteLogTap,
                                           std::enable_shared_from_this<Replica> {
  Replica(ClientRegistry& clients, ClientEviction& eviction, uint64_t id, std::string ip,
          bool psync)
      : clients(clients), eviction(eviction), id(id), ip(std::move(ip)), psync(psync) {}

  void OnAppend(std::string_view select, std::string_view commands, uint64_t end) override {
    std::lock_guard<std::mutex> lock(mu);
    // The bytes wait here until the replica's worker drains them (a busy worker may take a
    // while): counted in mem_clients_slaves, the new buffer before it is allocated.
    const size_t need = pending.size() + select.size() + commands.size();
    if (need > pending.capacity()) {
      const size_t capacity = nallocx(std::max(need, pending.capacity() * 2) + 1, 0) - 1;
      const int64_t before = HeapBytes(pending);
      eviction.AddReplicaBytes(static_cast<int64_t>(capacity + 1));
      pending.reserve(capacity);
      eviction.AddReplicaBytes(-before);
    }
    pending.append(select);
    pending.append(commands);
    offset.store(end, std::memory_order_relaxed);
    PostLocked();
  }

  // Posts a drain to the owner unless one is on its way or the bulk is not sent yet.
  void PostLocked() {
    if (posted || !bulk_sent) return;
    posted = true;
    clients.RunOnOwner(id, [self = shared_from_this()](ClientState* c) { self->Drain(c); });
  }

  // Owner thread: moves the gathered log bytes to the connection's output.
  void Drain(ClientState* c) {
    std::string out;
    {
      std::lock_guard<std::mutex> lock(mu);
      out.swap(pending);
      posted = false;
    }
    if (c->push != nullptr && !out.empty()) c->push->Push({}, out);
    const int64_t held = HeapBytes(out);
    std::string().swap(out);
    eviction.AddReplicaBytes(-held);  // in the connection's output now
  }

  ClientRegistry& clients;
  ClientEviction& eviction;
  const uint64_t id;
  const std::string ip;
  const bool psync;
  std::atomic<State> state{State::kWaitBgsave};
  std::atomic<int> listening_port{0};
  std::atomic<uint64_t> ack_offset{0};
  std::atomic<uint64_t> aof_ack_offset{0};  // REPLCONF ACK's FACK (Redis's repl_aof_off)
  std::atomic<int64_t> ack_ms{0};
  std::atomic<uint64_t> offset{0};  // log offset of the last byte handed to it
  bool attached = false;            // a tap on the log (ReplicationPrimary::mu_)
  std::string announced_ip;         // REPLCONF ip-address (ReplicationPrimary::mu_)

  std::mutex mu;        // below
  std::string pending;  // log bytes not yet handed to the connection
  bool posted = false;
  bool bulk_sent = false;
};

ReplicationPrimary::ReplicationPrimary(Server& server) : server_(server) {}

ReplicationPrimary::~ReplicationPrimary() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, r] : replicas_) {
    if (r->attached) server_.write_log().RemoveTap(r.get());
  }
}

void ReplicationPrimary::AddReplica(ClientState& client, bool psync) {
  std::string ip = client.addr.substr(0, client.addr.rfind(':'));
  auto r = std::make_shared<Replica>(server_.clients(), server_.client_eviction(), client.id,
                                     std::move(ip), psync);
  r->listening_port.store(client.repl_listening_port, std::memory_order_relaxed);
  r->announced_ip = client.repl_announced_ip;
  client.replica = true;
  // repl-disable-tcp-nodelay, read when the sync starts as Redis reads it: fewer, bigger
  // packets on this link from now on (harmlessly refused on a unix socket).
  if (server_.config().repl_disable_tcp_nodelay.load(std::memory_order_relaxed) && client.fd >= 0) {
    const int off = 0;
    ::setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off));
  }
  std::lock_guard<std::mutex> lock(mu_);
  replicas_[client.id] = r;
  Log(LogLevel::kNotice, "Replica {} asks for synchronization", client.addr);
  if (psync) {
    Log(LogLevel::kNotice, "Full resync requested by replica {}", client.addr);
  }
  StartSyncLocked();
}

void ReplicationPrimary::RemoveReplica(uint64_t client_id) {
  std::shared_ptr<Replica> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = replicas_.find(client_id);
    if (it == replicas_.end()) return;
    r = it->second;
    replicas_.erase(it);
    if (r->attached) {
      server_.write_log().RemoveTap(r.get());
      r->attached = false;
    }
  }
  {
    // No OnAppend runs any more: what waits for a drain goes, and its count with it.
    std::lock_guard<std::mutex> lock(r->mu);
    server_.client_eviction().AddReplicaBytes(-HeapBytes(r->pending));
    std::string().swap(r->pending);
  }
  Log(LogLevel::kNotice, "Connection with replica {}:{} lost.", r->ip,
      r->listening_port.load(std::memory_order_relaxed));
}

void ReplicationPrimary::SetListeningPort(uint64_t client_id, int port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(client_id);
  if (it != replicas_.end()) it->second->listening_port.store(port, std::memory_order_relaxed);
}

void ReplicationPrimary::SetAnnouncedIp(uint64_t client_id, std::string ip) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(client_id);
  if (it != replicas_.end()) it->second->announced_ip = std::move(ip);
}

void ReplicationPrimary::NoteAck(uint64_t client_id, uint64_t offset,
                                 std::optional<uint64_t> fsynced, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(client_id);
  if (it == replicas_.end()) return;
  it->second->ack_offset.store(offset, std::memory_order_relaxed);
  // Only ever forward, as Redis keeps the largest FACK.
  if (fsynced && *fsynced > it->second->aof_ack_offset.load(std::memory_order_relaxed)) {
    it->second->aof_ack_offset.store(*fsynced, std::memory_order_relaxed);
  }
  it->second->ack_ms.store(now_ms, std::memory_order_relaxed);
  if (!waiters_.empty()) WakeWaitersLocked();
}

int64_t ReplicationPrimary::CountAcksLocked(uint64_t offset, bool aof) const {
  int64_t count = 0;
  for (const auto& [id, r] : replicas_) {
    if (r->state.load(std::memory_order_relaxed) != State::kOnline) continue;
    const std::atomic<uint64_t>& acked = aof ? r->aof_ack_offset : r->ack_offset;
    if (acked.load(std::memory_order_relaxed) >= offset) ++count;
  }
  return count;
}

int64_t ReplicationPrimary::CountAofAcks(uint64_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CountAcksLocked(static_cast<uint64_t>(static_cast<int64_t>(offset) + offset_base_),
                         /*aof=*/true);
}

int64_t ReplicationPrimary::LocalAofAck(uint64_t mark) const {
  // Redis's fsynced_reploff >= c->woff, with its -1 while the AOF is off.
  return server_.persistence().aof().FsyncedMark() >= static_cast<int64_t>(mark) ? 1 : 0;
}

void ReplicationPrimary::AddAofWaiter(uint64_t client_id, uint64_t offset, uint64_t mark,
                                      int64_t numlocal, int64_t numreplicas) {
  EnqueueWaiter({client_id, offset, numreplicas, /*aof=*/true, numlocal, mark});
}

void ReplicationPrimary::CountWaitersLocked() {
  size_t n = 0;
  for (const AckWaiter& w : waiters_) n += w.aof ? 1 : 0;
  aof_waiters_.store(n, std::memory_order_relaxed);
  waiter_count_.store(waiters_.size(), std::memory_order_relaxed);
}

void ReplicationPrimary::OnLocalAofDurable() {
  if (aof_waiters_.load(std::memory_order_relaxed) == 0) return;
  WakeWaiters();
}

void ReplicationPrimary::WakeWaiters() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!waiters_.empty()) WakeWaitersLocked();
}

int64_t ReplicationPrimary::CountAcks(uint64_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CountAcksLocked(static_cast<uint64_t>(static_cast<int64_t>(offset) + offset_base_),
                         /*aof=*/false);
}

void ReplicationPrimary::AddWaiter(uint64_t client_id, uint64_t offset, int64_t numreplicas) {
  EnqueueWaiter({client_id, offset, numreplicas});
}

void ReplicationPrimary::EnqueueWaiter(AckWaiter w) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.offset = static_cast<uint64_t>(static_cast<int64_t>(w.offset) + offset_base_);
    waiters_.push_back(w);
    CountWaitersLocked();
  }
  RequestAcks();
}

void ReplicationPrimary::RequestAcks() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ever_attached_) return;
  }
  // REPLCONF GETACK * in the stream (the replicas', not the AOF's): each replica answers
  // with its offset at once.
  std::string getack;
  std::string_view argv[] = {"REPLCONF", "GETACK", "*"};
  persistence::AppendRespCommand(&getack, argv);
  const persistence::LogRecord record[] = {{-1, /*aof=*/false, getack}};
  server_.write_log().AppendRecords(record);
}

std::vector<ReplicationPrimary::AckState> ReplicationPrimary::AckStates(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t master_offset =
      ever_attached_ ? server_.write_log().offset() + static_cast<uint64_t>(offset_base_) : 0;
  std::vector<AckState> out;
  for (const auto& [id, r] : replicas_) {
    AckState a;
    const std::string& ip = r->announced_ip.empty() ? r->ip : r->announced_ip;
    const int port = r->listening_port.load(std::memory_order_relaxed);
    a.name = ip + ":" + (port != 0 ? std::to_string(port) : "<unknown-replica-port>");
    const uint64_t ack = r->ack_offset.load(std::memory_order_relaxed);
    a.behind = master_offset > ack ? master_offset - ack : 0;
    const State state = r->state.load(std::memory_order_relaxed);
    a.lag_s = state == State::kOnline
                  ? now_ms / 1000 - r->ack_ms.load(std::memory_order_relaxed) / 1000
                  : 0;
    a.state = StateName(state);
    out.push_back(std::move(a));
  }
  return out;
}

std::string ReplicationPrimary::ReplyNowLocked(const AckWaiter& w) const {
  // The same bytes in RESP2 and RESP3: WAIT's count, WAITAOF's [local, replicas].
  std::string count = ":" + std::to_string(CountAcksLocked(w.offset, w.aof)) + "\r\n";
  if (!w.aof) return count;
  return "*2\r\n:" + std::to_string(LocalAofAck(w.mark)) + "\r\n" + count;
}

void ReplicationPrimary::Deliver(uint64_t client_id, std::string reply, bool close_after) {
  server_.clients().RunOnOwner(client_id, [reply = std::move(reply), close_after](ClientState* c) {
    if (!c->waiting_for_acks) return;
    c->waiting_for_acks = false;
    if (c->control == nullptr) return;
    c->control->DeliverBlockedReply(reply);
    if (close_after) c->control->CloseAfterReply();
  });
}

std::optional<std::string> ReplicationPrimary::EndWait(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->client_id != client_id) continue;
    std::string reply = ReplyNowLocked(*it);
    waiters_.erase(it);
    CountWaitersLocked();
    return reply;
  }
  return std::nullopt;
}

bool ReplicationPrimary::Unblock(uint64_t client_id, bool error) {
  std::string reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(waiters_.begin(), waiters_.end(),
                           [&](const AckWaiter& w) { return w.client_id == client_id; });
    if (it == waiters_.end()) return false;
    reply = error ? "-" + std::string(kClientUnblocked) + "\r\n" : ReplyNowLocked(*it);
    waiters_.erase(it);
    CountWaitersLocked();
  }
  Deliver(client_id, std::move(reply));
  return true;
}

size_t ReplicationPrimary::FailWaiters(std::string_view error) {
  std::vector<AckWaiter> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters.swap(waiters_);
    CountWaitersLocked();
  }
  const std::string reply = "-" + std::string(error) + "\r\n";
  for (const AckWaiter& w : waiters) Deliver(w.client_id, reply, /*close_after=*/true);
  return waiters.size();
}

void ReplicationPrimary::WakeWaitersLocked() {
  // Redis's processClientsWaitingReplicas.
  for (size_t i = 0; i < waiters_.size();) {
    const AckWaiter& w = waiters_[i];
    if (w.aof && w.numlocal > 0 && !server_.persistence().aof().on()) {
      Deliver(w.client_id, std::string("-") + kWaitAofNeedsAof + "\r\n");
    } else if (CountAcksLocked(w.offset, w.aof) >= w.numreplicas &&
               (!w.aof || LocalAofAck(w.mark) >= w.numlocal)) {
      Deliver(w.client_id, ReplyNowLocked(w));
    } else {
      ++i;
      continue;
    }
    waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  CountWaitersLocked();
}

void ReplicationPrimary::StartSyncLocked() {
  if (sync_running_) return;
  std::vector<std::shared_ptr<Replica>> waiting;
  for (auto& [id, r] : replicas_) {
    if (r->state.load(std::memory_order_relaxed) == State::kWaitBgsave) waiting.push_back(r);
  }
  if (waiting.empty()) return;
  // At the point every shard lock is held: the replicas' taps start exactly there.
  auto at_point = [this, waiting](uint64_t offset) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : waiting) {
      if (replicas_.count(r->id) == 0) continue;  // gone meanwhile
      r->offset.store(server_.write_log().AddTap(r.get()), std::memory_order_relaxed);
      r->attached = true;
      ever_attached_ = true;
      r->state.store(State::kSendBulk, std::memory_order_relaxed);
      if (r->psync) {
        std::string line = "+FULLRESYNC " + server_.run_id() + " " +
                           std::to_string(offset + offset_base_) + "\r\n";
        server_.clients().RunOnOwner(r->id, [line = std::move(line)](ClientState* c) {
          if (c->push != nullptr) c->push->Push({}, line);
        });
      }
    }
  };
  auto done = [this](const std::string& err, const std::string& path) { FinishSync(err, path); };
  if (server_.persistence().BackgroundSaveForReplication(at_point, done)) sync_running_ = true;
}

void ReplicationPrimary::FinishSync(const std::string& err, const std::string& path) {
  std::string payload;
  bool ok = err.empty() && ReadFile(path, &payload);
  ::unlink(path.c_str());
  std::vector<std::shared_ptr<Replica>> sent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sync_running_ = false;
    for (auto& [id, r] : replicas_) {
      if (r->state.load(std::memory_order_relaxed) == State::kSendBulk) sent.push_back(r);
    }
  }
  auto bulk = std::make_shared<std::string>("$" + std::to_string(payload.size()) + "\r\n");
  bulk->append(payload);
  for (const auto& r : sent) {
    if (!ok) {
      Log(LogLevel::kWarning, "SYNC failed. BGSAVE child returned an error");
      server_.clients().RunOnOwner(r->id, [](ClientState* c) {
        if (c->control != nullptr) c->control->CloseNow();
      });
      continue;
    }
    // The bulk goes first, then what the log gathered since the point: both on the owner's
    // thread, in that order.
    server_.clients().RunOnOwner(r->id, [r, bulk](ClientState* c) {
      if (c->push != nullptr) c->push->Push({}, *bulk);
      if (c->rdb_only) {
        // REPLCONF rdb-only 1 (redis-cli --rdb): the snapshot and nothing more, as Redis.
        Log(LogLevel::kNotice, "RDB transfer completed, rdb only replica ({}) should be "
            "disconnected asap", c->addr);
        if (c->control != nullptr) c->control->CloseAfterReply();
        return;
      }
      r->ack_ms.store(Server::RealNowMs(), std::memory_order_relaxed);  // as Redis, online = acked
      r->state.store(State::kOnline, std::memory_order_relaxed);
      Log(LogLevel::kNotice, "Synchronization with replica {}:{} succeeded", r->ip,
          r->listening_port.load(std::memory_order_relaxed));
      std::lock_guard<std::mutex> lock(r->mu);
      r->bulk_sent = true;
      r->posted = false;
      r->PostLocked();
    });
  }
  // Replicas that asked while this save ran get the next one from Cron, once this save's
  // thread has ended.
}

void ReplicationPrimary::Cron(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!replicas_.empty()) StartSyncLocked();
  // As Redis's replicationCron, once a second, and a PING every period-th second counted
  // from the start (not from the replica's arrival).
  if (now_ms / 1000 == last_cron_s_) return;
  last_cron_s_ = now_ms / 1000;
  ++cron_seconds_;
  if (replicas_.empty()) return;
  const int64_t period_s = server_.config().repl_ping_replica_period.load(std::memory_order_relaxed);
  if (period_s > 0 && cron_seconds_ % period_s == 0) {
    // As Redis, a PING in the stream keeps the replicas' links alive.  It goes to the
    // replicas only (and counts in their offset), never to the AOF.
    bool online = false;
    for (auto& [id, r] : replicas_) online |= r->attached;
    if (online) {
      std::string ping;
      std::string_view argv[] = {"PING"};
      persistence::AppendRespCommand(&ping, argv);
      // No SELECT: a PING is in no database.
      const persistence::LogRecord record[] = {{-1, /*aof=*/false, ping}};
      server_.write_log().AppendRecords(record);
    }
  }
}

bool ReplicationPrimary::EnoughGoodReplicas(int64_t now_ms) const {
  const ServerConfig& cfg = server_.config();
  const int64_t need = cfg.min_replicas_to_write.load(std::memory_order_relaxed);
  const int64_t max_lag = cfg.min_replicas_max_lag.load(std::memory_order_relaxed);
  if (need == 0 || max_lag == 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return GoodReplicasLocked(now_ms, max_lag) >= need;
}

int64_t ReplicationPrimary::GoodReplicasLocked(int64_t now_ms, int64_t max_lag) const {
  int64_t good = 0;
  for (const auto& [id, r] : replicas_) {
    if (r->state.load(std::memory_order_relaxed) != State::kOnline) continue;
    const int64_t lag_s = now_ms / 1000 - r->ack_ms.load(std::memory_order_relaxed) / 1000;
    if (lag_s <= max_lag) ++good;
  }
  return good;
}

size_t ReplicationPrimary::replica_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return replicas_.size();
}

std::vector<ReplicationPrimary::OnlineReplica> ReplicationPrimary::Online() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OnlineReplica> out;
  for (const auto& [id, r] : replicas_) {
    if (r->state.load(std::memory_order_relaxed) != State::kOnline) continue;
    out.push_back({r->announced_ip.empty() ? r->ip : r->announced_ip,
                   r->listening_port.load(std::memory_order_relaxed),
                   r->ack_offset.load(std::memory_order_relaxed)});
  }
  return out;
}

uint64_t ReplicationPrimary::master_repl_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ever_attached_ ? server_.write_log().offset() + offset_base_ : 0;
}

void ReplicationPrimary::ContinueOffsetFrom(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  offset_base_ = static_cast<int64_t>(offset) - static_cast<int64_t>(server_.write_log().offset());
  ever_attached_ = true;
}

std::string ReplicationPrimary::InfoLines(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = "connected_slaves:" + std::to_string(replicas_.size());
  const ServerConfig& cfg = server_.config();
  const int64_t max_lag = cfg.min_replicas_max_lag.load(std::memory_order_relaxed);
  if (cfg.min_replicas_to_write.load(std::memory_order_relaxed) != 0 && max_lag != 0) {
    out += "\r\nmin_slaves_good_slaves:" + std::to_string(GoodReplicasLocked(now_ms, max_lag));
  }
  int i = 0;
  for (const auto& [id, r] : replicas_) {
    const int64_t ack = r->ack_ms.load(std::memory_order_relaxed);
    const int64_t lag = ack == 0 ? 0 : (now_ms - ack) / 1000;
    out += "\r\nslave" + std::to_string(i++) + ":ip=" + (r->announced_ip.empty() ? r->ip : r->announced_ip) +
           ",port=" + std::to_string(r->listening_port.load(std::memory_order_relaxed)) +
           ",state=" + StateName(r->state.load(std::memory_order_relaxed)) +
           ",offset=" + std::to_string(r->ack_offset.load(std::memory_order_relaxed)) +
           ",lag=" + std::to_string(lag);
  }
  return out;
}

}  // namespace tessera::server
