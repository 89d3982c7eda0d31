#include "server/replication/replica.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/base/numbers.h"
#include "persistence/write_log.h"
#include "server/aof.h"
#include "server/blocking.h"
#include "server/client_registry.h"
#include "server/client_state.h"
#include "server/keyspace_ops.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/scripting/script_registry.h"
#include "server/server.h"
#include "server/tracking.h"

namespace tessera::server {

namespace {

constexpr int64_t kSliceMs = 100;   // how often a blocked link looks for a newer REPLICAOF
constexpr size_t kEofMarkLen = 40;  // Redis's RDB_EOF_MARK_SIZE

const char* StateName(ReplicationReplica::LinkState s) {
  using S = ReplicationReplica::LinkState;
  switch (s) {
    case S::kNone:
      return "none";
    case S::kConnect:
      return "connect";
    case S::kConnecting:
      return "connecting";
    case S::kHandshake:
      return "handshake";
    case S::kTransfer:
      return "sync";
    case S::kConnected:
      return "connected";
  }
  return "none";
}

std::string Command(std::initializer_list<std::string_view> args) {
  std::string out;
  std::vector<std::string_view> argv(args);
  persistence::AppendRespCommand(&out, argv);
  return out;
}

}  // namespace

// The link's socket while the link thread owns it: blocking reads and writes cut into slices,
// so that a newer REPLICAOF (or shutdown) ends them, and bounded by repl-timeout.
class ReplicationReplica::Link {
 public:
  Link(ReplicationReplica& owner, uint64_t generation, int fd)
      : owner_(owner), generation_(generation), fd_(fd) {}

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR)) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!Wait(POLLOUT)) return false;
        continue;
      }
      if (n <= 0) {
        error = std::strerror(errno);
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One line without its CRLF (or LF).
  bool ReadLine(std::string* line) {
    for (;;) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        size_t end = nl > pos_ && buf_[nl - 1] == '\r' ? nl - 1 : nl;
        line->assign(buf_, pos_, end - pos_);
        pos_ = nl + 1;
        return true;
      }
      if (buf_.size() - pos_ > 64 * 1024) {
        error = "line too long";
        return false;
      }
      if (!Fill()) return false;
    }
  }

  // Up to `max` bytes: buffered ones first, else what one read brings.
  bool ReadSome(size_t max, std::string_view* out) {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
      if (!Fill()) return false;
    }
    size_t n = std::min(max, buf_.size() - pos_);
    *out = std::string_view(buf_).substr(pos_, n);
    pos_ += n;
    return true;
  }

  // What was read beyond the last byte consumed: the start of the command stream.
  std::string TakeBuffered() {
    std::string rest = buf_.substr(pos_);
    buf_.clear();
    pos_ = 0;
    return rest;
  }

  std::string error;

 private:
  bool Wait(short events) {
    const int64_t timeout_ms =
        owner_.server_.config().repl_timeout.load(std::memory_order_relaxed) * 1000;
    int64_t waited = 0;
    for (;;) {
      if (owner_.Stale(generation_)) {
        error = "replication settings changed";
        return false;
      }
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(kSliceMs));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        error = std::strerror(errno);
        return false;
      }
      waited += kSliceMs;
      if (waited >= timeout_ms) {
        error = "Timeout";
        return false;
      }
    }
  }

  bool Fill() {
    char tmp[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        std::lock_guard<std::mutex> lock(owner_.mu_);
        owner_.last_io_ms_ = Server::RealNowMs();
        return true;
      }
      if (n == 0) {
        error = "connection lost";
        return false;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        error = std::strerror(errno);
        return false;
      }
      if (!Wait(POLLIN)) return false;
    }
  }

  ReplicationReplica& owner_;
  const uint64_t generation_;
  const int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

ReplicationReplica::ReplicationReplica(Server& server) : server_(server) {}

ReplicationReplica::~ReplicationReplica() { Stop(); }

void ReplicationReplica::Start() {
  std::string primary = server_.config().replicaof.Get();
  if (primary.empty()) return;
  size_t sp = primary.rfind(' ');
  int64_t port = 0;
  ParseInt64(std::string_view(primary).substr(sp + 1), &port);
  SetPrimary(primary.substr(0, sp), static_cast<int>(port));
}

bool ReplicationReplica::SetPrimary(const std::string& host, int port) {
  bool was_primary;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (is_replica() && ::strcasecmp(host_.c_str(), host.c_str()) == 0 && port_ == port) {
      Log(LogLevel::kNotice,
          "REPLICAOF would result into synchronization with the master we are already "
          "connected with. No operation performed.");
      return false;
    }
    was_primary = !is_replica();
    EndLinkLocked();
    host_ = host;
    port_ = port;
    is_replica_.store(true, std::memory_order_release);
    state_.store(LinkState::kConnect, std::memory_order_release);
    down_since_s_ = 0;
    const uint64_t generation = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back({std::thread([this, generation, host, port, done] {
                          Run(generation, host, port);
                          done->store(true, std::memory_order_release);
                        }),
                        done});
  }
  cv_.notify_all();
  // Local writes no longer reach our replicas: they follow the primary's stream, once the
  // link is up (the replicas resync then).
  if (was_primary) server_.write_log().set_taps_muted(true);
  if (was_primary) {
    // Clients blocked on a primary get an error and are closed after it (Redis's
    // disconnectAllBlockedClients): BLPOP and friends, and WAIT.
    for (uint64_t id : server_.blocking().UnblockAllForRoleChange()) {
      server_.clients().RunOnOwner(id, [](ClientState* c) {
        if (c->control != nullptr) c->control->CloseAfterReply();
      });
    }
    server_.replication().FailWaiters(kRoleChangeUnblocked);
  }
  server_.config().replicaof.Set(host + " " + std::to_string(port));
  std::string oom_err;
  if (!server_.ApplyOomScore(&oom_err)) Log(LogLevel::kWarning, "{}", oom_err);
  Log(LogLevel::kNotice, "Connecting to MASTER {}:{}", host, port);
  return true;
}

bool ReplicationReplica::BecomePrimary() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!is_replica()) return false;
    EndLinkLocked();
    generation_.fetch_add(1, std::memory_order_acq_rel);
    is_replica_.store(false, std::memory_order_release);
    state_.store(LinkState::kNone, std::memory_order_release);
    // As Redis's shiftReplicationId: the primary's history up to here stays ours as the
    // secondary ID; a new history starts (our run ID is the replication ID of it).
    if (!primary_replid_.empty()) {
      replid2_ = primary_replid_;
      second_offset_ = static_cast<int64_t>(applied_offset()) + 1;
    }
    down_since_s_ = 0;
  }
  cv_.notify_all();
  server_.replication().ContinueOffsetFrom(applied_offset());
  server_.config().replicaof.Set("");
  // Our replicas must learn of the new history: they reconnect and resync.
  DisconnectReplicas();
  server_.write_log().ForgetSelectedDb();
  server_.write_log().set_taps_muted(false);
  std::string oom_err;
  if (!server_.ApplyOomScore(&oom_err)) Log(LogLevel::kWarning, "{}", oom_err);
  return true;
}

void ReplicationReplica::Stop() {
  std::vector<LinkThread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    EndLinkLocked();
    generation_.fetch_add(1, std::memory_order_acq_rel);
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) {
    if (t.thread.joinable()) t.thread.join();
  }
}

void ReplicationReplica::EndLinkLocked() {
  if (link_fd_ >= 0) ::shutdown(link_fd_, SHUT_RDWR);  // its thread closes it
  if (master_client_id_ != 0) {
    server_.clients().RunOnOwner(master_client_id_, [](ClientState* c) {
      if (c->control != nullptr) c->control->CloseNow();
    });
    master_client_id_ = 0;
  }
  transferring_ = false;
}

void ReplicationReplica::DisconnectReplicas() {
  std::vector<uint64_t> ids;
  server_.clients().ForEach([&](const ClientState& c, int) {
    if (c.replica) ids.push_back(c.id);
  });
  for (uint64_t id : ids) {
    server_.clients().RunOnOwner(id, [](ClientState* c) {
      if (c->control != nullptr) c->control->CloseNow();
    });
  }
}

void ReplicationReplica::SetState(uint64_t generation, LinkState s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!Stale(generation)) state_.store(s, std::memory_order_release);
}

void ReplicationReplica::SleepUnlessStale(uint64_t generation, int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return Stale(generation); });
}

void ReplicationReplica::Run(uint64_t generation, std::string host, int port) {
  while (!Stale(generation)) {
    bool handed_over = SyncOnce(generation, host, port);
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (handed_over) {
        // The master client runs the stream; wait for its end (or a newer REPLICAOF).
        cv_.wait(lock, [&] { return Stale(generation) || master_client_id_ == 0; });
      }
      if (Stale(generation)) break;
      state_.store(LinkState::kConnect, std::memory_order_release);
    }
    if (handed_over) Log(LogLevel::kNotice, "Connection with master lost.");
    SleepUnlessStale(generation, 1000);
    if (!Stale(generation)) Log(LogLevel::kNotice, "Connecting to MASTER {}:{}", host, port);
  }
}

namespace {

// A non-blocking TCP connection to host:port, established within `timeout_ms` unless `stale`
// says to give up; -1 with `*err` otherwise.
int ConnectTo(const std::string& host, int port, int64_t timeout_ms,
              const std::function<bool()>& stale, std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port_text = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res);
  if (rc != 0) {
    *err = ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno != EINPROGRESS) {
      *err = std::strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    int64_t waited = 0;
    int so_error = ETIMEDOUT;
    for (;;) {
      if (stale()) {
        so_error = ECANCELED;
        break;
      }
      pollfd p{fd, POLLOUT, 0};
      int r = ::poll(&p, 1, static_cast<int>(kSliceMs));
      if (r > 0) {
        socklen_t len = sizeof(so_error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        break;
      }
      waited += kSliceMs;
      if (waited >= timeout_ms) break;
    }
    if (so_error != 0) {
      *err = std::strerror(so_error);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  return fd;
}

}  // namespace

bool ReplicationReplica::SyncOnce(uint64_t generation, const std::string& host, int port) {
  const ServerConfig& cfg = server_.config();
  SetState(generation, LinkState::kConnecting);
  std::string err;
  int fd = ConnectTo(
      host, port, cfg.repl_timeout.load(std::memory_order_relaxed) * 1000,
      [&] { return Stale(generation); }, &err);
  if (fd < 0) {
    if (!Stale(generation)) Log(LogLevel::kWarning, "Error condition on socket for SYNC: {}", err);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Stale(generation)) {
      ::close(fd);
      return false;
    }
    link_fd_ = fd;
  }
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync started");
  bool handed_over = false;
  std::string tmp_path;
  auto fail = [&](const std::string& why) {
    if (!why.empty() && !Stale(generation)) Log(LogLevel::kWarning, "{}", why);
    return false;
  };
  auto run = [&]() -> bool {
    Link link(*this, generation, fd);
    SetState(generation, LinkState::kHandshake);
    std::string line;
    // PING: an error other than an authentication one means the primary cannot serve us.
    if (!link.Send(Command({"PING"})) || !link.ReadLine(&line)) {
      return fail("Master did not respond to command during SYNC handshake: " + link.error);
    }
    if (!line.empty() && line[0] == '-' && line.rfind("-NOAUTH", 0) != 0 &&
        line.rfind("-NOPERM", 0) != 0 && line.rfind("-ERR operation not permitted", 0) != 0) {
      return fail("Error reply to PING from master: '" + line.substr(1) + "'");
    }
    Log(LogLevel::kNotice, "Master replied to PING, replication can continue...");
    const std::string auth = cfg.masterauth.Get();
    if (!auth.empty()) {
      const std::string user = cfg.masteruser.Get();
      std::string cmd = user.empty() ? Command({"AUTH", auth}) : Command({"AUTH", user, auth});
      if (!link.Send(cmd) || !link.ReadLine(&line))
        return fail("Unable to AUTH to MASTER: " + link.error);
      if (!line.empty() && line[0] == '-')
        return fail("Unable to AUTH to MASTER: " + line.substr(1));
    }
    int64_t announce_port = cfg.replica_announce_port.load(std::memory_order_relaxed);
    if (announce_port == 0) announce_port = cfg.port.load(std::memory_order_relaxed);
    const std::string port_text = std::to_string(announce_port);
    if (!link.Send(Command({"REPLCONF", "listening-port", port_text})) || !link.ReadLine(&line)) {
      return fail("Master did not respond to command during SYNC handshake: " + link.error);
    }
    if (!line.empty() && line[0] == '-') {
      Log(LogLevel::kNotice,
          "(Non critical) Master does not understand REPLCONF listening-port: {}", line.substr(1));
    }
    const std::string announce_ip = cfg.replica_announce_ip.Get();
    if (!announce_ip.empty()) {
      if (!link.Send(Command({"REPLCONF", "ip-address", announce_ip})) || !link.ReadLine(&line)) {
        return fail("Master did not respond to command during SYNC handshake: " + link.error);
      }
      if (!line.empty() && line[0] == '-') {
        Log(LogLevel::kNotice, "(Non critical) Master does not understand REPLCONF ip-address: {}",
            line.substr(1));
      }
    }
    if (!link.Send(Command({"REPLCONF", "capa", "eof", "capa", "psync2"})) ||
        !link.ReadLine(&line)) {
      return fail("Master did not respond to command during SYNC handshake: " + link.error);
    }
    if (!line.empty() && line[0] == '-') {
      Log(LogLevel::kNotice, "(Non critical) Master does not understand REPLCONF capa: {}",
          line.substr(1));
    }
    // PSYNC ? -1: a full resynchronisation (we keep no history to continue from).
    Log(LogLevel::kNotice, "Partial resynchronization not possible (no cached master)");
    if (!link.Send(Command({"PSYNC", "?", "-1"})))
      return fail("I/O error writing to MASTER: " + link.error);
    do {  // the primary may send newlines to keep the link alive while it prepares
      if (!link.ReadLine(&line))
        return fail("I/O error reading PSYNC reply from MASTER: " + link.error);
    } while (line.empty());
    std::string replid;
    int64_t offset = 0;
    if (line.rfind("+FULLRESYNC", 0) == 0) {
      // "+FULLRESYNC <replid> <offset>"
      size_t a = line.find(' ');
      size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
      if (b == std::string::npos || !ParseInt64(std::string_view(line).substr(b + 1), &offset)) {
        return fail("Master replied with wrong +FULLRESYNC syntax.");
      }
      replid = line.substr(a + 1, b - a - 1);
      Log(LogLevel::kNotice, "Full resync from master: {}:{}", replid, offset);
    } else if (line.rfind("-NOMASTERLINK", 0) == 0 || line.rfind("-LOADING", 0) == 0) {
      return fail("Master is currently unable to PSYNC but should be in the future: " +
                  line.substr(1));
    } else if (line[0] == '-') {
      // A primary without PSYNC: the old SYNC, whose reply is the snapshot itself.
      Log(LogLevel::kWarning, "Unexpected reply to PSYNC from master: {}", line);
      Log(LogLevel::kNotice, "Retrying with SYNC...");
      if (!link.Send(Command({"SYNC"}))) return fail("I/O error writing to MASTER: " + link.error);
    } else {
      return fail("Unexpected reply to PSYNC from master: " + line);
    }
    SetState(generation, LinkState::kTransfer);
    // The snapshot: "$<size>" or "$EOF:<40-byte mark>", after keep-alive newlines.
    do {
      if (!link.ReadLine(&line))
        return fail("I/O error reading bulk count from MASTER: " + link.error);
    } while (line.empty());
    if (line[0] == '-') return fail("MASTER aborted replication with an error: " + line.substr(1));
    if (line[0] != '$') {
      return fail("Bad protocol from MASTER, the first byte is not '$' (we received '" + line +
                  "'), are you sure the host and port are right?");
    }
    std::string eof_mark;
    int64_t size = -1;
    if (line.rfind("$EOF:", 0) == 0 && line.size() == 5 + kEofMarkLen) {
      eof_mark = line.substr(5);
      Log(LogLevel::kNotice,
          "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
    } else if (!ParseInt64(std::string_view(line).substr(1), &size) || size < 0) {
      return fail("Bad protocol from MASTER: " + line);
    } else {
      Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: receiving {} bytes from master to disk",
          size);
    }
    tmp_path =
        "temp-" + std::to_string(std::time(nullptr)) + "." + std::to_string(::getpid()) + ".rdb";
    int out = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
      return fail("Opening the temp file needed for MASTER <-> REPLICA synchronization: " +
                  std::string(std::strerror(errno)));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      transferring_ = true;
      transfer_size_ = size < 0 ? 0 : static_cast<uint64_t>(size);
      transfer_read_ = 0;
    }
    uint64_t left = size < 0 ? UINT64_MAX : static_cast<uint64_t>(size);
    std::string tail;  // EOF mode: the last bytes written, to find the mark
    bool ok = true;
    while (left > 0) {
      std::string_view chunk;
      if (!link.ReadSome(std::min<uint64_t>(left, 1 << 16), &chunk)) {
        ok = fail("I/O error trying to sync with MASTER: " + link.error);
        break;
      }
      if (::write(out, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
        ok = fail(
            "Write error or short write writing to the DB dump file needed for MASTER <-> "
            "REPLICA synchronization: " +
            std::string(std::strerror(errno)));
        break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        transfer_read_ += chunk.size();
      }
      if (size >= 0) {
        left -= chunk.size();
        continue;
      }
      tail.append(chunk);
      if (tail.size() > kEofMarkLen) tail.erase(0, tail.size() - kEofMarkLen);
      if (tail == eof_mark) break;
    }
    if (ok && size < 0) {
      // The mark is not part of the file.
      off_t end = ::lseek(out, 0, SEEK_END);
      ok = end >= static_cast<off_t>(kEofMarkLen) && ::ftruncate(out, end - kEofMarkLen) == 0;
      if (!ok) fail("Error truncating the RDB file received from the master for SYNC");
    }
    if (ok && ::fsync(out) != 0)
      ok = fail("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization");
    ::close(out);
    {
      std::lock_guard<std::mutex> lock(mu_);
      transferring_ = false;
    }
    if (!ok || Stale(generation)) return false;
    // A new dataset: our replicas resync from it; the old data goes.
    DisconnectReplicas();
    Persistence& p = server_.persistence();
    p.loading.store(true);
    // A rewrite of the old data would leave the AOF without the new: it stops (a first one is
    // started again by the cron once the load is done, any other by the rewrite below), as
    // Redis restarts its AOF after a sync.
    if (p.aof().on() && p.aof().rewrite_in_progress()) {
      p.aof().KillRewrite(
          ("Killing running AOF rewrite child: " + std::to_string(::getpid())).c_str());
    }
    Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Flushing old data");
    // replica-lazy-flush: the old tables go to the lazy-free thread instead of being freed
    // here before the load starts.
    FlushDb(
        server_, -1, [&] { TouchWatchedKeysInDbs(server_, -1, -1, Server::RealNowMs()); },
        cfg.replica_lazy_flush.load(std::memory_order_relaxed));
    server_.tracking().InvalidateAll(-1, nullptr);
    server_.scripts().FlushLibraries();
    const std::string db_path = cfg.dbfilename.Get();
    if (::rename(tmp_path.c_str(), db_path.c_str()) != 0) {
      p.loading.store(false);
      return fail("Failed trying to rename the temp DB into " + db_path +
                  " in MASTER <-> REPLICA synchronization: " + std::strerror(errno));
    }
    tmp_path.clear();
    Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Loading DB in memory");
    std::string load_err;
    bool loaded = p.LoadRdbFile(db_path, &load_err);
    if (!loaded) {
      FlushDb(server_, -1);
      p.loading.store(false);
      return fail(
          "Failed trying to load the MASTER synchronization DB from disk, check server "
          "logs. (" +
          load_err + ")");
    }
    p.loading.store(false);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Stale(generation)) return false;
      primary_replid_ = replid;
      applied_offset_.store(static_cast<uint64_t>(offset), std::memory_order_release);
      link_fd_ = -1;  // the worker owns it from here
      state_.store(LinkState::kConnected, std::memory_order_release);
      down_since_s_ = 0;
      last_ack_s_ = 0;
      master_client_id_ = UINT64_MAX;  // attaching; the worker reports the real ID
    }
    ResetFsyncedOffset(static_cast<uint64_t>(offset));
    // The AOF holds what the log got since the flush: nothing of the loaded data.  As Redis
    // restarts its AOF after a sync, a rewrite writes the new dataset as the base.
    if (p.aof().enabled()) {
      std::string rewrite_err;
      bool scheduled = false;
      p.aof().StartRewrite(&rewrite_err, &scheduled);
    }
    Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success");
    // Our replicas (which connect again) follow what the primary sends.
    server_.write_log().ForgetSelectedDb();
    server_.write_log().set_taps_muted(false);
    server_.adopt_master(fd, link.TakeBuffered(), generation);
    handed_over = true;
    return true;
  };
  run();
  if (!tmp_path.empty()) ::unlink(tmp_path.c_str());
  if (!handed_over) {
    std::lock_guard<std::mutex> lock(mu_);
    if (link_fd_ == fd) link_fd_ = -1;
    ::close(fd);
  }
  return handed_over;
}

bool ReplicationReplica::OnMasterAttached(uint64_t generation, uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(generation)) return false;
  master_client_id_ = client_id;
  return true;
}

void ReplicationReplica::OnMasterClosed(uint64_t client_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (master_client_id_ != client_id) return;
    master_client_id_ = 0;
    if (is_replica()) {
      state_.store(LinkState::kConnect, std::memory_order_release);
      down_since_s_ = Server::RealNowMs() / 1000;
      // Until the next sync, local writes are ours alone.
    }
  }
  if (is_replica()) server_.write_log().set_taps_muted(true);
  cv_.notify_all();
}

void ReplicationReplica::Cron(int64_t now_ms) {
  std::vector<LinkThread> ended;
  uint64_t ack_to = 0;
  uint64_t timeout_of = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Link threads of older REPLICAOFs are joined here once they returned (never by
    // REPLICAOF, which may run with every shard locked while such a thread loads).
    for (size_t i = 0; i < threads_.size();) {
      if (threads_[i].done->load(std::memory_order_acquire)) {
        ended.push_back(std::move(threads_[i]));
        threads_.erase(threads_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    if (link_up() && master_client_id_ != 0 && master_client_id_ != UINT64_MAX) {
      if (now_ms / 1000 != last_ack_s_) {
        last_ack_s_ = now_ms / 1000;
        ack_to = master_client_id_;
      }
      int64_t last = 0;
      server_.clients().WithClient(master_client_id_, [&](ClientState& c) {
        last = c.last_interaction_ms.load(std::memory_order_relaxed);
        return true;
      });
      const int64_t timeout_ms =
          server_.config().repl_timeout.load(std::memory_order_relaxed) * 1000;
      if (last != 0 && now_ms - last > timeout_ms) timeout_of = master_client_id_;
    }
  }
  // Joined outside the lock: such a thread may still take mu_ on its way out.
  for (auto& t : ended) t.thread.join();
  if (timeout_of != 0) {
    Log(LogLevel::kWarning, "MASTER timeout: no data nor PING received...");
    server_.clients().RunOnOwner(timeout_of, [](ClientState* c) {
      if (c->control != nullptr) c->control->CloseNow();
    });
    return;
  }
  if (ack_to != 0) {
    // REPLCONF ACK <offset>: the primary's view of our progress (INFO's slaveN offset, WAIT).
    server_.clients().RunOnOwner(ack_to, [this](ClientState* c) {
      if (c->push == nullptr) return;
      std::string out;
      persistence::AppendRespCommand(&out, AckArgs());
      c->push->Push({}, out);
    });
  }
}

std::vector<std::string> ReplicationReplica::AckArgs() {
  std::vector<std::string> args = {"REPLCONF", "ACK", std::to_string(applied_offset())};
  if (std::optional<uint64_t> fsynced = FsyncedOffset()) {
    args.push_back("FACK");
    args.push_back(std::to_string(*fsynced));
  }
  return args;
}

std::optional<uint64_t> ReplicationReplica::FsyncedOffset() {
  Aof& aof = server_.persistence().aof();
  const int64_t fsynced_mark = aof.FsyncedMark();
  if (fsynced_mark < 0) return std::nullopt;
  // The offset first: the commands it counts ran before, so their appends are below the mark
  // read after it.
  const uint64_t offset = applied_offset();
  const uint64_t mark = server_.write_log().mark();
  const uint64_t rewrites = aof.stats().rewrites;
  std::lock_guard<std::mutex> lock(fack_mu_);
  if (checkpoints_.empty() || checkpoints_.back().offset != offset) {
    if (checkpoints_.size() < kMaxCheckpoints) {
      checkpoints_.push_back({mark, offset});
    } else {
      checkpoints_.back() = {mark, offset};
    }
  }
  if (rewrites < hold_until_rewrites_) return fsynced_offset_;
  if (sync_pending_) {
    // The rewrite that ended the hold started after the load: its base holds the dataset of
    // the sync, fsynced, whatever appendfsync says (as Redis's restarted AOF counts it).
    fsynced_offset_ = std::max(fsynced_offset_, sync_offset_);
    sync_pending_ = false;
  }
  while (!checkpoints_.empty() &&
         checkpoints_.front().mark <= static_cast<uint64_t>(fsynced_mark)) {
    fsynced_offset_ = std::max(fsynced_offset_, checkpoints_.front().offset);
    checkpoints_.pop_front();
  }
  return fsynced_offset_;
}

void ReplicationReplica::ResetFsyncedOffset(uint64_t offset) {
  const Aof::Stats stats = server_.persistence().aof().stats();
  std::lock_guard<std::mutex> lock(fack_mu_);
  checkpoints_.clear();
  sync_pending_ = true;
  sync_offset_ = offset;
  fsynced_offset_ = 0;
  // The next rewrite to succeed is the one that writes the loaded dataset (a rewrite of the
  // old one was stopped before the load).
  hold_until_rewrites_ = stats.rewrites + 1;
}

std::string ReplicationReplica::InfoLines(int64_t now_ms) const {
  if (!is_replica()) return "";
  std::lock_guard<std::mutex> lock(mu_);
  const LinkState s = state_.load(std::memory_order_acquire);
  const int64_t now_s = now_ms / 1000;
  int64_t last_io = -1;
  if (master_client_id_ != 0 && master_client_id_ != UINT64_MAX) {
    server_.clients().WithClient(master_client_id_, [&](ClientState& c) {
      last_io = now_s - c.last_interaction_ms.load(std::memory_order_relaxed) / 1000;
      return true;
    });
  }
  const uint64_t offset = applied_offset();
  std::string out;
  out += "master_host:" + host_ + "\r\n";
  out += "master_port:" + std::to_string(port_) + "\r\n";
  out += std::string("master_link_status:") + (s == LinkState::kConnected ? "up" : "down") + "\r\n";
  out += "master_last_io_seconds_ago:" + std::to_string(last_io) + "\r\n";
  out += std::string("master_sync_in_progress:") + (s == LinkState::kTransfer ? "1" : "0") + "\r\n";
  out += "slave_read_repl_offset:" + std::to_string(offset) + "\r\n";
  out += "slave_repl_offset:" + std::to_string(offset) + "\r\n";
  if (s == LinkState::kTransfer && transferring_) {
    const double perc =
        transfer_size_ == 0 ? 0 : static_cast<double>(transfer_read_) / transfer_size_ * 100;
    char perc_text[32];
    std::snprintf(perc_text, sizeof(perc_text), "%.2f", perc);
    out += "master_sync_total_bytes:" +
           std::to_string(transfer_size_ == 0 ? -1 : static_cast<int64_t>(transfer_size_)) + "\r\n";
    out += "master_sync_read_bytes:" + std::to_string(transfer_read_) + "\r\n";
    out += "master_sync_left_bytes:" +
           std::to_string(static_cast<int64_t>(transfer_size_) -
                          static_cast<int64_t>(transfer_read_)) +
           "\r\n";
    out += std::string("master_sync_perc:") + perc_text + "\r\n";
    out += "master_sync_last_io_seconds_ago:" + std::to_string(now_s - last_io_ms_ / 1000) + "\r\n";
  }
  if (s != LinkState::kConnected) {
    out += "master_link_down_since_seconds:" +
           std::to_string(down_since_s_ != 0 ? now_s - down_since_s_ : -1) + "\r\n";
  }
  const ServerConfig& cfg = server_.config();
  out += "slave_priority:" + std::to_string(cfg.replica_priority.load()) + "\r\n";
  out += std::string("slave_read_only:") + (cfg.replica_read_only.load() ? "1" : "0") + "\r\n";
  out += std::string("replica_announced:") + (cfg.replica_announced.load() ? "1" : "0");
  return out;
}

std::string ReplicationReplica::replid2() const {
  std::lock_guard<std::mutex> lock(mu_);
  return replid2_.empty() ? std::string(40, '0') : replid2_;
}

int64_t ReplicationReplica::second_repl_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return second_offset_;
}

std::string ReplicationReplica::primary_replid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return primary_replid_;
}

ReplicationReplica::Role ReplicationReplica::role() const {
  std::lock_guard<std::mutex> lock(mu_);
  Role r;
  r.host = host_;
  r.port = port_;
  r.state = StateName(state_.load(std::memory_order_acquire));
  const bool has_master = master_client_id_ != 0 && master_client_id_ != UINT64_MAX;
  r.offset = has_master ? static_cast<int64_t>(applied_offset()) : -1;
  return r;
}

}  // namespace tessera::server
