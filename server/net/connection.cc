#include "server/net/connection.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "core/base/size_class.h"
#include "server/aof.h"
#include "server/commands/client_info.h"
#include "server/commands/dispatcher.h"
#include "server/log.h"
#include "server/net/worker.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/replication/replica.h"
#include "server/server.h"
#include "server/shutdown.h"

namespace tessera::server::net {

namespace {

// Read buffers grow in steps of at least this much.
constexpr size_t kReadChunk = 16 * 1024;
// Limits for connections that have not authenticated (CVE-2021-32675, CVE-2025-21605).
constexpr size_t kUnauthQueryLimit = 1024 * 1024;
constexpr size_t kUnauthOutputLimit = 1024 * 1024;
// Consumed input is moved to the front once it passes this many bytes.
constexpr size_t kCompactThreshold = 64 * 1024;
// The reply buffer's bounds (Redis's PROTO_REPLY_MIN_BYTES and PROTO_REPLY_CHUNK_BYTES).
constexpr size_t kReplyMin = 1024;
constexpr size_t kReplyMax = 16 * 1024;
// The most room a batch of commands gets for its replies before it runs (see Process).
constexpr size_t kReplyRoomMax = 64 * 1024;
// A query buffer this large is trimmed when its recent peak used less than half of it.
constexpr size_t kQueryResizeThreshold = 32 * 1024;
// A command whose arguments have this many bytes leaves no query buffer behind it (Redis's
// PROTO_MBULK_BIG_ARG).
constexpr size_t kBigArgument = 32 * 1024;
// Output held in `out_` past this between two commands (or before a push) is spilled
// (Connection::Spill): Redis writes at most this much to one client per event
// (NET_MAX_WRITES_PER_EVENT), and its reply list grows by blocks.
constexpr size_t kSpillBytes = 64 * 1024;
// The most spilled blocks one write takes.
constexpr size_t kMaxWriteBlocks = 64;
// Output below this is never checked against client-output-buffer-limit: Redis keeps that
// much in each client's fixed reply buffer, which its limits do not count.
constexpr size_t kUnlimitedOutput = 16 * 1024;

std::string FormatAddr(const sockaddr_storage& ss, bool* is_local) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
    port = ntohs(sa->sin_port);
    if (is_local) *is_local = (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
    return fmt::format("{}:{}", ip, port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sa->sin6_addr, ip, sizeof(ip));
    port = ntohs(sa->sin6_port);
    if (is_local) *is_local = IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr);
    return fmt::format("[{}]:{}", ip, port);
  }
  return "?:0";
}

// What jemalloc holds for a string's buffer: its capacity and the terminating NUL, rounded up
// to the size class.  libstdc++ doubles a string's capacity, so a large buffer asks for 2^n + 1
// bytes, which jemalloc serves from the class of 1.25 * 2^n: a quarter more than the capacity
// says.  A short string lives inside the object and holds nothing.
[[gnu::always_inline]] inline size_t HeapBytes(const std::string& s) {
  const size_t capacity = s.capacity();
  return capacity < sizeof(std::string) ? 0 : AllocationSize(capacity + 1);
}

}  // namespace

Connection::Connection(Worker* worker, bool is_unix, TlsContextHolder* tls)
    : worker_(worker), is_unix_(is_unix) {
  if (tls != nullptr) tls_ = tls->NewSession();
  if (is_unix) {
    uv_pipe_init(worker->loop(), &handle_.pipe, 0);
  } else {
    uv_tcp_init(worker->loop(), &handle_.tcp);
  }
  handle_.tcp.data = this;
  state_.control = this;
  state_.push = this;
  state_.owner = worker->index();
}

Connection::~Connection() = default;

void Connection::Start() {
  Server& server = worker_->server();
  state_.id = server.clients().NextId();
  state_.is_unix = is_unix_;
  int64_t now = server.NowMs();
  state_.created_ms = now;
  reply_peak_reset_ms_ = now;
  state_.last_interaction_ms.store(now, std::memory_order_relaxed);
  uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &state_.fd);
  if (is_unix_) {
    const std::string& path = server.config().unixsocket;
    state_.addr = path + ":0";
    state_.laddr = path + ":0";
    state_.is_local = true;
  } else {
    sockaddr_storage ss{};
    int len = sizeof(ss);
    uv_tcp_getpeername(&handle_.tcp, reinterpret_cast<sockaddr*>(&ss), &len);
    state_.addr = FormatAddr(ss, &state_.is_local);
    len = sizeof(ss);
    uv_tcp_getsockname(&handle_.tcp, reinterpret_cast<sockaddr*>(&ss), &len);
    state_.laddr = FormatAddr(ss, nullptr);
    uv_tcp_nodelay(&handle_.tcp, 1);
    int keepalive = static_cast<int>(server.config().tcp_keepalive.load(std::memory_order_relaxed));
    if (keepalive > 0) uv_tcp_keepalive(&handle_.tcp, 1, static_cast<unsigned>(keepalive));
  }
  // Redis's clientSetDefaultAuth(): logged in as `default` at once when it needs no password.
  state_.authenticated = !server.acl().DefaultRequiresAuth();
  server.clients().Add(&state_, worker_->index());
  registered_ = true;
  // A blocked command's reply may be produced on any worker; it reaches this one as a message.
  state_.deliver_blocked_reply = [server = &server, id = state_.id](BlockedEnd end) {
    server->clients().RunOnOwner(id, [server, end = std::move(end)](ClientState* c) {
      if (end.ran) c->uncounted_block = nullptr;
      if (end.logged_mark != 0) {
        c->aof_woff = end.logged_mark;
        c->woff = server->write_log().offset();  // past it, as the dispatcher's own woff
      }
      if (c->control != nullptr) c->control->DeliverBlockedReply(end.reply);
    });
  };
  uv_read_start(
      stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        static_cast<Connection*>(h->data)->PrepareRead(buf);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        static_cast<Connection*>(s->data)->OnRead(nread);
      });
}

bool Connection::StartAsMaster(int fd, std::string_view leftover, uint64_t generation) {
  if (uv_tcp_open(&handle_.tcp, fd) != 0) return false;
  state_.master = true;
  Start();
  state_.authenticated = true;
  if (!worker_->server().replica_link().OnMasterAttached(generation, state_.id)) {
    Close();  // a newer REPLICAOF came meanwhile
    return true;
  }
  if (!leftover.empty()) {
    in_.Reallocate(std::max(leftover.size(), kReadChunk), 0);
    std::memcpy(in_.data(), leftover.data(), leftover.size());
    in_len_ = leftover.size();
    Process(Server::RealNowUs());
  }
  return true;
}

void Connection::PrepareRead(uv_buf_t* buf) {
  if (tls_ != nullptr) {
    tls_->ReadRoom(&buf->base, &buf->len);
    return;
  }
  // One byte past the limit is enough to know it was passed: a read never takes more, so the
  // buffer never outgrows client-query-buffer-limit by more than that byte.
  size_t room = GrowForNextRead();
  buf->base = in_.data() + in_len_;
  buf->len = std::min(in_.size() - in_len_, room);
}

size_t Connection::GrowForNextRead() {
  size_t limit = QueryBufferLimit();
  size_t room = limit - std::min(limit, QueryBufferBytes()) + 1;
  // A big argument gets room for all of it at once (Redis's querybuf for PROTO_MBULK_BIG_ARG):
  // one allocation instead of doublings, and CLIENT LIST / client eviction see its full size
  // from its first bytes on.  Bounded by the query buffer limit (1 MiB before AUTH).  Until
  // it is complete, reads take only its missing bytes, into room of exactly that size, as
  // Redis reads only the rest of a big bulk: a buffer kept from the previous big argument, or
  // one whose last read filled it up to the bulk's final CRLF, would otherwise double, and
  // the client would count twice its argument against maxmemory-clients.
  size_t pending = parser_.PendingBulkBytes();
  const bool big = pending > 0 && QueryBufferBytes() + pending >= kBigArgument;
  size_t want = big ? pending : std::max(kReadChunk, parser_.ReserveHint());
  want = std::min(want, room);
  if (in_.size() - in_len_ < want) {
    size_t grown = big ? in_len_ + want : std::max(in_.size() * 2, in_len_ + want);
    in_.Reallocate(std::min(grown, in_len_ + room), in_len_);
  }
  qbuf_peak_ = std::max(qbuf_peak_, QueryBufferBytes() + want);
  return room;
}

void Connection::RejectAndClose(std::string_view message) {
  int fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &fd);
  std::string line = fmt::format("-{}\r\n", message);
  // Best effort, as Redis: the kernel takes care of sending it.
  if (fd >= 0) (void)!write(fd, line.data(), line.size());
  Close();
}

void Connection::OnRead(ssize_t nread) {
  if (nread < 0) {
    Close();
    return;
  }
  if (nread == 0) return;
  worker_->stats().net_input_bytes.Add(static_cast<uint64_t>(nread));
  worker_->stats().reads_processed.Add(1);
  if (tls_ != nullptr) {
    if (!DecryptInput(static_cast<size_t>(nread))) return;
  } else {
    in_len_ += static_cast<size_t>(nread);
  }
  // As Redis's readQueryFromClient: checked after every read, before anything is parsed, so
  // no input is ever held or parsed past the limit (blocked and paused clients included).
  if (QueryBufferBytes() > QueryBufferLimit()) {
    CloseForQueryBufferLimit();
    return;
  }
  // What the client holds is reported (and clients evicted) before each command when
  // maxmemory-clients is set, and after the batch in any case; here only a client another
  // worker chose for eviction is closed before it runs anything.
  if (state_.evicting.load(std::memory_order_relaxed) && !ReportMemoryAndEvict()) return;
  // One clock read serves the idle timer, the first command of the batch and the loop's
  // busy time.
  int64_t now_us = Server::RealNowUs();
  worker_->NoteAwake(now_us);
  state_.last_interaction_ms.store(worker_->server().has_test_clock() ? worker_->server().NowMs()
                                                                      : now_us / 1000,
                                   std::memory_order_relaxed);
  Process(now_us);
}

bool Connection::DecryptInput(size_t nread) {
  tls_->Received(nread);
  while (true) {
    // As PrepareRead: never more than one byte past the query buffer limit.
    size_t limit = QueryBufferLimit();
    size_t room = limit - std::min(limit, QueryBufferBytes()) + 1;
    if (in_.size() - in_len_ < kReadChunk) {
      in_.Reallocate(std::max(in_.size() * 2, in_len_ + kReadChunk), in_len_);
    }
    size_t space = std::min(in_.size() - in_len_, room);
    long n = tls_->Decrypt(in_.data() + in_len_, space);
    if (n < 0) {
      Close();
      return false;
    }
    in_len_ += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < space || static_cast<size_t>(n) >= room) break;
  }
  // Handshake records (and replies the handshake held back) go out after this batch.
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    worker_->ScheduleFlush(this);
  }
  return true;
}

void Connection::Process(int64_t now_us) {
  Server& server = worker_->server();
  // Room for as much output as the last write took, up to 64 KiB: Flush gave back a buffer
  // grown past 16 KiB, and growing a new one by doublings would copy it at each step.
  // Not for a replica: its commands (REPLCONF ACK) have no reply, and a room sized by its
  // last stream write would sit idle, counted in mem_not_counted_for_evict.
  if (out_.empty() && !state_.replica) {
    const size_t want = std::max(reply_size_, std::min(last_write_bytes_, kReplyRoomMax));
    if (out_.capacity() < want) out_.reserve(want);
  }
  resp::ReplyBuilder reply(&out_, state_.resp);
  in_process_ = true;
  int64_t clock_us = now_us;
  while (!closing_ && !close_after_reply_ && pause_timer_ == nullptr && !blocked_ &&
         in_pos_ < in_len_) {
    std::string_view buf(in_.data() + in_pos_, in_len_ - in_pos_);
    resp::ParserLimits limits;
    limits.max_bulk_len = static_cast<int64_t>(
        server.config().proto_max_bulk_len.load(std::memory_order_relaxed));
    limits.authenticated = !AuthRequired();
    size_t consumed = 0;
    resp::ParseStatus status = parser_.Parse(buf, limits, &consumed);
    if (status == resp::ParseStatus::kNeedMore) break;
    if (status == resp::ParseStatus::kError) {
      reply.Error("ERR " + parser_.Error());
      Log(LogLevel::kVerbose, "Protocol error ({}) from client: id={} addr={}", parser_.Error(),
          state_.id, state_.addr);
      close_after_reply_ = true;
      break;
    }
    if (status == resp::ParseStatus::kEmpty) {
      in_pos_ += consumed;
      master_pending_ += consumed;
      continue;
    }
    argv_.clear();
    argv_.reserve(parser_.ArgCount());
    for (size_t i = 0; i < parser_.ArgCount(); ++i) argv_.push_back(parser_.Arg(buf, i));
    if (out_.size() >= kSpillBytes && tls_ == nullptr) Spill();
    ReplyMode mode_before = state_.reply_mode;
    size_t reply_start = out_.size();
    argv_mem_ = 0;
    for (std::string_view a : argv_) argv_mem_ += a.size();
    // A held command runs only when every client held before it has run (pause_queue.h).
    if (pause_ticket_ != 0 && !server.pause_queue().IsHead(pause_ticket_)) {
      argv_mem_ = 0;
      RetryPausedLater();
      break;
    }
    // Redis evicts clients before each command, after the previous one grew some buffer.
    if (server.config().maxmemory_clients.load(std::memory_order_relaxed) != 0) {
      in_process_ = false;
      bool open = ReportMemoryAndEvict();
      in_process_ = true;
      if (!open) return;
    }
    DispatchResult r;
    if (server.write_log().enabled()) {
      // The write log copies the request's bytes when they are its effect, unencoded again.
      VerbatimRequestScope verbatim(argv_, parser_.Verbatim(buf));
      r = Dispatch(server, state_, worker_->stats(), argv_, reply, clock_us);
    } else {
      r = Dispatch(server, state_, worker_->stats(), argv_, reply, clock_us);
    }
    argv_mem_ = 0;
    if (r == DispatchResult::kPaused) {
      if (!postponed_) server.blocking().AddPostponed(1);
      postponed_ = true;
      if (pause_ticket_ == 0) pause_ticket_ = server.pause_queue().Enter(state_.id);
      RetryPausedLater();
      break;
    }
    if (postponed_) {
      server.blocking().AddPostponed(-1);
      postponed_ = false;
    }
    if (pause_ticket_ != 0) server.pause_queue().Leave(std::exchange(pause_ticket_, 0));
    in_pos_ += consumed;
    if (argv_.capacity() > resp::kKeptArgs) std::vector<std::string_view>().swap(argv_);
    if (r == DispatchResult::kBlocked) {
      blocked_ = true;
      StartBlockTimer();
      break;
    }
    if (r == DispatchResult::kClose) {
      in_process_ = false;
      Close();
      return;
    }
    if (state_.master) {
      // The primary's stream: no replies (but REPLCONF GETACK's), and the offset moves past
      // whole commands only, a transaction's at its EXEC.
      if (!std::exchange(state_.master_force_reply, false)) out_.resize(reply_start);
      master_pending_ += consumed;
      if (!state_.in_multi) {
        server.replica_link().AddApplied(std::exchange(master_pending_, 0));
      }
    }
    reply.set_protocol(state_.resp);  // HELLO may have switched it
    // CLIENT REPLY OFF/SKIP: drop replies the client asked not to get, but not push messages
    // ((un)subscribe confirmations), which Redis sends regardless.
    bool keep = std::exchange(state_.reply_is_push, false);
    if (state_.reply_mode == ReplyMode::kOff) {
      if (!keep) out_.resize(reply_start);
    } else if (state_.reply_mode == ReplyMode::kSkipNext) {
      if (!keep) out_.resize(reply_start);
      state_.reply_mode = ReplyMode::kSkipThis;
    } else if (mode_before == ReplyMode::kSkipThis && state_.reply_mode == ReplyMode::kSkipThis) {
      if (!keep) out_.resize(reply_start);
      state_.reply_mode = ReplyMode::kOn;
    }
    // Messages it published to itself follow the reply, whatever CLIENT REPLY says.
    if (!state_.pending_pushes.empty()) {
      out_ += state_.pending_pushes;
      state_.pending_pushes.clear();
    }
  }
  in_process_ = false;
  if (closing_) return;
  NoteLogMark();
  reply_peak_ = std::max(reply_peak_, out_.size());
  // The buffer keeps its size: the client cron trims what recent peaks no longer need.
  if (in_pos_ == in_len_) {
    in_pos_ = in_len_ = 0;
    // A buffer that grew for a big argument stays for the next one, as Redis gives the
    // client a new query buffer of the argument's size; the client cron trims it once the
    // client idles or its recent peak is lower.
  } else if (in_pos_ > kCompactThreshold ||
             (in_pos_ > 0 && parser_.PendingBulkBytes() >= kBigArgument)) {
    std::memmove(in_.data(), in_.data() + in_pos_, in_len_ - in_pos_);
    in_len_ -= in_pos_;
    in_pos_ = 0;
  }
  // A big argument whose header has come gets room for all of it now, as Redis's query
  // buffer does: CLIENT LIST and client eviction see its size from then on, and its bytes
  // arrive in one allocation.  The room is not written until they do (query_buffer.h).
  if (parser_.PendingBulkBytes() >= kBigArgument) GrowForNextRead();
  if (AuthRequired() && OutputBufferBytes() > kUnauthOutputLimit) {
    Close();
    return;
  }
  if (CloseIfOutputLimitReached()) return;
  if (!ReportMemoryAndEvict()) return;
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    worker_->ScheduleFlush(this);
  }
}

bool Connection::ReportMemoryAndEvict() {
  Server& server = worker_->server();
  ClientEviction& eviction = server.client_eviction();
  if (state_.evicting.load(std::memory_order_relaxed) && !closing_) {
    // Chosen by another worker's eviction, whose task to close it is on its way: closed now,
    // before it runs another command and grows what it holds unseen.
    Log(LogLevel::kNotice, "Evicting client: {}", ClientInfoLine(server, state_, server.NowMs()));
    Close();
    return false;
  }
  eviction.Report(state_, EvictionMemoryBytes());
  if (eviction.OverLimit(server)) eviction.EvictClients(server, worker_->index());
  return !closing_;
}

size_t Connection::EvictionMemoryBytes() const {
  // Prefixes: the owner's sorted vector, and a node of the shared prefix table each.
  constexpr size_t kPerPrefix = sizeof(std::string) + 4 * sizeof(void*);
  size_t bytes = TotalMemoryBytes() + state_.multi_mem.load(std::memory_order_relaxed);
  for (const std::string& p : state_.tracking_prefixes) bytes += kPerPrefix + p.size();
  return bytes;
}

bool Connection::AuthRequired() const {
  return !state_.authenticated && worker_->server().acl().DefaultRequiresAuth();
}

size_t Connection::QueryBufferLimit() const {
  // As Redis, the primary's stream is never cut (a bound far above any buffer, small enough
  // that the room computed from it cannot overflow).
  if (state_.master) return size_t{1} << 40;
  if (AuthRequired()) return kUnauthQueryLimit;
  return worker_->server().config().client_query_buffer_limit.load(std::memory_order_relaxed);
}

void Connection::CloseForQueryBufferLimit() {
  Server& server = worker_->server();
  std::string first_bytes;
  AppendQuoted(&first_bytes,
               std::string_view(in_.data() + in_pos_, std::min<size_t>(QueryBufferBytes(), 64)));
  Log(LogLevel::kWarning,
      "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
      ClientInfoLine(server, state_, server.NowMs()), first_bytes);
  Close();
}

bool Connection::OutputLimitReached() {
  size_t used = OutputBufferBytes();
  if (used < kUnlimitedOutput || state_.master) return false;  // the master class has none
  const ServerConfig& cfg = worker_->server().config();
  // A client with subscriptions is of the pubsub class, whatever its protocol (as Redis).
  int cls = state_.replica ? kClientReplica : state_.in_pubsub ? kClientPubSub : kClientNormal;
  uint64_t hard = cfg.client_obuf_hard[cls].load(std::memory_order_relaxed);
  uint64_t soft = cfg.client_obuf_soft[cls].load(std::memory_order_relaxed);
  bool over_hard = hard != 0 && used >= hard;
  bool over_soft = soft != 0 && used >= soft;
  if (over_soft) {
    int64_t now_s = worker_->server().NowMs() / 1000;
    if (soft_limit_since_s_ == 0) {
      soft_limit_since_s_ = now_s;  // the first time: the clock starts now
      over_soft = false;
    } else if (now_s - soft_limit_since_s_ <=
               cfg.client_obuf_soft_seconds[cls].load(std::memory_order_relaxed)) {
      over_soft = false;
    }
  } else {
    soft_limit_since_s_ = 0;
  }
  return over_hard || over_soft;
}

bool Connection::CloseIfOutputLimitReached() {
  if (!OutputLimitReached()) return false;
  CloseOverOutputLimit("scheduled to be closed ASAP");
  return true;
}

bool Connection::CloseIfOutputLimitReachedIdle() {
  if (closing_ || !OutputLimitReached()) return false;
  CloseOverOutputLimit("closed");
  return true;
}

void Connection::CloseOverOutputLimit(std::string_view how) {
  Server& server = worker_->server();
  Log(LogLevel::kWarning, "Client {} {} for overcoming of output buffer limits.",
      ClientInfoLine(server, state_, server.NowMs()), how);
  Close();
}

void Connection::NoteLogMark() {
  const persistence::WriteLog& log = worker_->server().write_log();
  if (log.enabled()) log_mark_ = log.mark();
}

void Connection::Push(std::string_view header, std::string_view body) {
  // As Redis: nothing more is queued for a client that is being closed.
  if (closing_ || close_after_reply_) return;
  NoteLogMark();  // a keyspace notification follows its write into the AOF
  if (out_.size() >= kSpillBytes && tls_ == nullptr) Spill();
  const size_t need = out_.size() + header.size() + body.size();
  if (need > out_.capacity()) {
    // Grown as libstdc++ would (doubling), but up to the end of jemalloc's size class: a
    // replica's stream or a subscriber's messages piling up behind a full socket use the
    // whole allocation instead of leaving a quarter of it unused (see HeapBytes).
    const size_t capacity = AllocationSize(std::max(need, out_.capacity() * 2) + 1) - 1;
    // Reported before it is allocated, the old buffer with it (the evictor, which leaves a
    // replica's buffers out of used memory, must never see the allocation without them).
    PreReport(capacity + 1);
    out_.reserve(capacity);
  }
  out_.append(header);
  out_.append(body);
  reply_peak_ = std::max(reply_peak_, out_.size());
  if (CloseIfOutputLimitReached()) return;
  if (!in_process_ && !ReportMemoryAndEvict()) return;
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    worker_->ScheduleFlush(this);
  }
}

size_t Connection::TotalMemoryBytes() const {
  // CLIENT LIST calls this from any worker, so the subscription tables (owner only) are not
  // walked: each subscription is counted at the size of its entries with a short name.
  constexpr size_t kPerSubscription = sizeof(Subscription) + 2 * sizeof(std::string) + 64;
  size_t subscriptions = state_.sub_count.load(std::memory_order_relaxed) +
                         state_.psub_count.load(std::memory_order_relaxed) +
                         state_.ssub_count.load(std::memory_order_relaxed);
  size_t watched = 0;
  WatchRegistry& watches = worker_->server().watches();
  if (watches.watched_keys() > 0) watched = watches.BytesOf(state_.id);
  return sizeof(Connection) + in_.size() + HeapBytes(out_) + HeapBytes(inflight_) + spilled_heap_ +
         argv_.capacity() * sizeof(std::string_view) + subscriptions * kPerSubscription + watched;
}

ConnectionControl::BufferInfo Connection::Buffers() const {
  BufferInfo b;
  // As Redis, which moves each argument out of its query buffer as soon as it is parsed: the
  // parsed part of a partly received command is not in qbuf.  Read from other workers like
  // the fields below (sizes only).
  b.qbuf = in_len_ - in_pos_ - std::min(in_len_ - in_pos_, parser_.ParsedBytes());
  b.qbuf_free = in_.size() - in_len_;
  b.argv_mem = argv_mem_;
  b.rbs = reply_size_;
  b.rbp = std::min(reply_peak_, reply_size_);
  size_t pending = OutputBufferBytes();
  b.obl = std::min(pending, reply_size_);
  b.omem = pending - b.obl;
  b.oll = (b.omem + kReplyMax - 1) / kReplyMax;
  b.writing = writing_;
  return b;
}

void Connection::CronResizeBuffers(int64_t now_ms) {
  if (closing_ || in_process_) return;
  Server& server = worker_->server();
  // Query buffer: only when at least 4 KiB of it is unused.
  if (in_.size() - in_len_ > 4096) {
    bool idle = idle_ms(now_ms) > 2000;
    // Idle: nothing but what it holds; otherwise room for the recent peak, and never less
    // than a big argument being received needs (as Redis keeps its bulk length).  Only ever
    // a shrink: a declared length never makes the cron allocate.
    const size_t held = in_len_ - in_pos_;
    const size_t target =
        idle ? held : std::max({held, qbuf_peak_, held + parser_.PendingBulkBytes()});
    if ((idle || (in_.size() > kQueryResizeThreshold && in_.size() / 2 > qbuf_peak_)) &&
        target < in_.size()) {
      if (in_pos_ > 0) {
        std::memmove(in_.data(), in_.data() + in_pos_, held);
        in_len_ = held;
        in_pos_ = 0;
      }
      in_.Reallocate(target, in_len_);
    }
  }
  // The next cycle's peak starts from what is held, or from the argument being received.
  qbuf_peak_ = in_len_ - in_pos_ + parser_.PendingBulkBytes();
  // A finished write keeps nothing.
  if (!writing_ && inflight_.capacity() > 0) std::string().swap(inflight_);
  // Reply buffer: halve toward the peak when it used under half, double when it was full.
  if (server.reply_buffer_resizing.load(std::memory_order_relaxed)) {
    size_t peak = std::min(reply_peak_, reply_size_);
    size_t resized = 0;
    if (reply_size_ / 2 >= kReplyMin && peak < reply_size_ / 2) {
      resized = std::max(kReplyMin, peak + 1);
    } else if (reply_size_ * 2 < kReplyMax * 2 && peak == reply_size_) {
      resized = std::min(kReplyMax, reply_size_ * 2);
    }
    if (resized != 0) {
      (resized < reply_size_ ? worker_->stats().reply_buffer_shrinks
                             : worker_->stats().reply_buffer_expands)
          .Add(1);
      reply_size_ = resized;
    }
  }
  int64_t reset_ms = server.reply_buffer_peak_reset_ms.load(std::memory_order_relaxed);
  if (reset_ms >= 0 && now_ms - reply_peak_reset_ms_ >= reset_ms) {
    reply_peak_ = out_.size();
    reply_peak_reset_ms_ = now_ms;
  }
  // An empty reply buffer takes its new size now (a client that never had output has none).
  if (out_.empty() && out_.capacity() != reply_size_ && out_.capacity() > 15) {
    std::string buffer;
    buffer.reserve(reply_size_);
    out_.swap(buffer);
  }
}

void Connection::ResumeHeld() {
  if (closing_ || pause_timer_ == nullptr || in_process_) return;
  uv_timer_stop(pause_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(pause_timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  pause_timer_ = nullptr;
  Process(Server::RealNowUs());
}

void Connection::RetryPausedLater() {
  pause_timer_ = new uv_timer_t;
  uv_timer_init(worker_->loop(), pause_timer_);
  pause_timer_->data = this;
  uv_timer_start(
      pause_timer_,
      [](uv_timer_t* t) {
        auto* c = static_cast<Connection*>(t->data);
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
        c->pause_timer_ = nullptr;
        c->Process(Server::RealNowUs());
      },
      10, 0);
}

void Connection::StartBlockTimer() {
  if (state_.block_deadline_ms == 0) return;
  int64_t wait_ms = std::max<int64_t>(0, state_.block_deadline_ms - Server::RealNowUs() / 1000);
  if (block_timer_ == nullptr) {
    block_timer_ = new uv_timer_t;
    uv_timer_init(worker_->loop(), block_timer_);
    block_timer_->data = this;
  }
  uv_timer_start(
      block_timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->OnBlockTimeout(); },
      static_cast<uint64_t>(wait_ms), 0);
}

void Connection::StopBlockTimer() {
  if (block_timer_ == nullptr) return;
  uv_timer_stop(block_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(block_timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  block_timer_ = nullptr;
}

void Connection::OnBlockTimeout() {
  StopBlockTimer();
  if (blocked_ && state_.waiting_for_acks) {
    // WAIT and WAITAOF: the acknowledgements by now (none: the reply is on its way).
    std::optional<std::string> reply = worker_->server().replication().EndWait(state_.id);
    if (!reply) return;
    state_.waiting_for_acks = false;
    CountUnblocked(worker_->server(), worker_->stats(), state_, *reply);
    out_ += *reply;
    blocked_ = false;
    Process(Server::RealNowUs());
    return;
  }
  // False: a command serving this client is running elsewhere and will deliver the reply.
  if (!blocked_ || !worker_->server().blocking().Cancel(state_.id, /*disconnect=*/false)) return;
  const size_t reply_start = out_.size();
  resp::ReplyBuilder reply(&out_, state_.resp);
  reply.NullArray();
  CountUnblocked(worker_->server(), worker_->stats(), state_,
                 std::string_view(out_).substr(reply_start));
  blocked_ = false;
  Process(Server::RealNowUs());
}

void Connection::CountUnblockedNow(std::string_view reply) {
  CountUnblocked(worker_->server(), worker_->stats(), state_, reply);
}

void Connection::DeliverBlockedReply(std::string reply) {
  if (!blocked_ || closing_) return;
  StopBlockTimer();
  blocked_ = false;
  CountUnblocked(worker_->server(), worker_->stats(), state_, reply);
  if (state_.reply_mode == ReplyMode::kOn) out_ += reply;
  Process(Server::RealNowUs());
}

void Connection::Flush() {
  if (writing_ || closing_) return;
  if (tls_ != nullptr) {
    bool ok = out_.empty() || tls_->Encrypt(out_);
    out_.clear();
    if (!ok) {
      Close();
      return;
    }
    tls_->TakeCiphertext(&out_);
  }
  if (out_.empty() && spilled_.empty()) {
    if (close_after_reply_) Close();
    return;
  }
  // As Redis writes its AOF buffer before the replies of a loop iteration: no reply leaves
  // before the log bytes it may depend on are written to the AOF (and fsynced under
  // appendfsync always).  The first connection flushed in an iteration writes every pending
  // byte for all of them (and for the other workers); the rest find them written.
  if (log_mark_ != 0 && !worker_->server().persistence().aof().Covers(log_mark_)) {
    const int64_t wait_start_us = Server::MonotonicUs();
    worker_->server().persistence().aof().BeforeReply(log_mark_);
    worker_->stats().aof_wait_us.Add(static_cast<uint64_t>(Server::MonotonicUs() - wait_start_us));
  }
  if (!spilled_.empty()) {
    FlushSpilled();
    return;
  }
  last_write_bytes_ = out_.size();
  uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int written = TryWrite(&buf, 1);
  if (written < 0) return;
  if (static_cast<size_t>(written) == out_.size()) {
    out_.clear();
    ReleaseWrittenOutput();
    if (close_after_reply_) {
      Close();
      return;
    }
    worker_->server().client_eviction().Report(state_, EvictionMemoryBytes());
    return;
  }
  // The rest waits in `inflight_`: the buffer itself moves there (what is left slides to its
  // front, nothing is allocated), and `out_` takes the finished write's buffer.
  inflight_.swap(out_);
  inflight_.erase(0, static_cast<size_t>(written));
  out_.clear();
  ReleaseWrittenOutput();
  // Reported now, not at the next output: a replica's buffers are left out of used memory,
  // and the evictor must not see them there meanwhile.
  worker_->server().client_eviction().Report(state_, EvictionMemoryBytes());
  writing_ = true;
  write_req_.data = this;
  buf = uv_buf_init(inflight_.data(), static_cast<unsigned>(inflight_.size()));
  uv_write(&write_req_, stream(), &buf, 1, [](uv_write_t* req, int status) {
    auto* c = static_cast<Connection*>(req->data);
    c->writing_ = false;
    if (status == UV_ECANCELED) return;  // closing: the close callback frees the connection
    if (status < 0) {
      c->Close();
      return;
    }
    c->worker_->stats().net_output_bytes.Add(c->inflight_.size());
    c->inflight_.clear();
    if (c->inflight_.capacity() > kReplyMax) {
      std::string().swap(c->inflight_);
      c->worker_->server().client_eviction().Report(c->state_, c->EvictionMemoryBytes());
    }
    c->Flush();
  });
}

void Connection::PreReport(size_t more) {
  // As Push does before the buffer grows: a replica's blocks are in the total before they are
  // allocated (the evictor leaves the replicas' total out of used memory).
  if (state_.replica) {
    worker_->server().client_eviction().Report(state_, EvictionMemoryBytes() + more);
  }
}

void Connection::Spill() {
  PreReport(out_.size() + out_.size() / 1024 + kReplyMax + 1024);
  if (!writing_) {
    // About to be written (the batch's Flush): the buffer moves as it is.
    spilled_bytes_ += out_.size();
    spilled_heap_ += HeapBytes(out_);
    spilled_.push_back(std::move(out_));
    out_ = std::string();
    out_.reserve(reply_size_);
    return;
  }
  // Behind a full socket the output stays a while: copied into blocks that fill their
  // allocation (16 KiB with the NUL, as Redis's reply blocks), so what the client holds grows
  // by what it is sent and not by the room doublings left.  The rest stays in `out_`.
  constexpr size_t kBlock = 16 * 1024 - 1;
  size_t pos = 0;
  while (out_.size() - pos >= kBlock) {
    std::string block;
    block.reserve(kBlock);
    block.assign(out_, pos, kBlock);
    spilled_bytes_ += block.size();
    spilled_heap_ += HeapBytes(block);
    spilled_.push_back(std::move(block));
    pos += kBlock;
  }
  out_.erase(0, pos);
}

void Connection::CompactSpilled() {
  PreReport(spilled_bytes_ + spilled_bytes_ / 1024 + kReplyMax);
  constexpr size_t kBlock = 16 * 1024 - 1;
  std::deque<std::string> blocks;
  std::string block;
  for (const std::string& b : spilled_) {
    for (size_t pos = 0; pos < b.size();) {
      if (block.capacity() < kBlock) block.reserve(kBlock);
      const size_t take = std::min(kBlock - block.size(), b.size() - pos);
      block.append(b, pos, take);
      pos += take;
      if (block.size() == kBlock) blocks.push_back(std::exchange(block, std::string()));
    }
  }
  if (!block.empty()) blocks.push_back(std::string(block));  // an exact copy of the last one
  spilled_.swap(blocks);
  spilled_heap_ = 0;
  for (const std::string& b : spilled_) spilled_heap_ += HeapBytes(b);
}

int Connection::TryWrite(const uv_buf_t* bufs, unsigned n) {
  int written = uv_try_write(stream(), bufs, n);
  worker_->stats().writes_processed.Add(1);
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    Close();
    return -1;
  }
  worker_->stats().net_output_bytes.Add(static_cast<uint64_t>(written));
  return written;
}

void Connection::FlushSpilled() {
  if (!out_.empty()) Spill();
  // Drops the first `n` blocks (written), keeping the counts.
  auto drop_front = [this](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      spilled_bytes_ -= spilled_.front().size();
      spilled_heap_ -= HeapBytes(spilled_.front());
      spilled_.pop_front();
    }
  };
  uv_buf_t bufs[kMaxWriteBlocks];
  size_t n = std::min(spilled_.size(), kMaxWriteBlocks);
  for (size_t i = 0; i < n; ++i) {
    bufs[i] = uv_buf_init(spilled_[i].data(), static_cast<unsigned>(spilled_[i].size()));
  }
  int written = TryWrite(bufs, static_cast<unsigned>(n));
  if (written < 0) return;
  last_write_bytes_ = static_cast<size_t>(written);
  size_t left = static_cast<size_t>(written);
  size_t done = 0;
  while (done < n && left >= spilled_[done].size()) left -= spilled_[done++].size();
  drop_front(done);
  if (left > 0) {  // a block partly written: its rest slides to its front
    spilled_bytes_ -= left;
    spilled_.front().erase(0, left);
  }
  ReleaseWrittenOutput();
  worker_->server().client_eviction().Report(state_, EvictionMemoryBytes());
  if (spilled_.empty()) {
    if (close_after_reply_) Close();
    return;
  }
  // The socket is full: blocks moved as they were (with the room of their doublings) are
  // copied into full blocks, as Spill does behind a full socket.
  if (std::any_of(spilled_.begin(), spilled_.end(), [](const std::string& b) {
        return b.capacity() - b.size() > b.size() / 8 + 64;
      })) {
    CompactSpilled();
    worker_->server().client_eviction().Report(state_, EvictionMemoryBytes());
  }
  // Blocks past kMaxWriteBlocks wait for the next write.
  n = std::min(spilled_.size(), kMaxWriteBlocks);
  for (size_t i = 0; i < n; ++i) {
    bufs[i] = uv_buf_init(spilled_[i].data(), static_cast<unsigned>(spilled_[i].size()));
  }
  spilled_inflight_ = n;
  writing_ = true;
  write_req_.data = this;
  uv_write(&write_req_, stream(), bufs, static_cast<unsigned>(n), [](uv_write_t* req, int status) {
    auto* c = static_cast<Connection*>(req->data);
    c->writing_ = false;
    if (status == UV_ECANCELED) return;  // closing: the close callback frees the connection
    if (status < 0) {
      c->Close();
      return;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < c->spilled_inflight_; ++i) {
      bytes += c->spilled_.front().size();
      c->spilled_bytes_ -= c->spilled_.front().size();
      c->spilled_heap_ -= HeapBytes(c->spilled_.front());
      c->spilled_.pop_front();
    }
    c->spilled_inflight_ = 0;
    c->worker_->stats().net_output_bytes.Add(bytes);
    c->worker_->server().client_eviction().Report(c->state_, c->EvictionMemoryBytes());
    c->Flush();
  });
}

void Connection::ReleaseWrittenOutput() {
  if (out_.capacity() <= kReplyMax) return;
  std::string buffer;
  buffer.reserve(reply_size_);
  out_.swap(buffer);
}

void Connection::SendRaw(const std::string& bytes) {
  out_ += bytes;
  Flush();
}

void Connection::CloseAfterReply() {
  close_after_reply_ = true;
  // From inside Process() the batch's flush closes; from a posted task (CLIENT KILL) do it now.
  if (!in_process_) Flush();
}

void Connection::BecomeMonitor() {
  if (state_.monitor) return;
  state_.monitor = true;
  worker_->AddMonitor(this);
  worker_->server().clients().monitors.fetch_add(1, std::memory_order_relaxed);
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  if (registered_) {
    worker_->server().clients().Remove(&state_);
    registered_ = false;
  }
  worker_->server().client_eviction().Forget(state_);
  if (pause_timer_ != nullptr) {
    uv_timer_stop(pause_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(pause_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    pause_timer_ = nullptr;
  }
  if (worker_->server().watches().watched_keys() > 0) {
    worker_->server().watches().UnwatchAll(state_.id);
  }
  if (state_.pubsub != nullptr) worker_->server().pubsub().UnsubscribeAll(state_);
  if (state_.replica) worker_->server().replication().RemoveReplica(state_.id);
  if (state_.master) worker_->server().replica_link().OnMasterClosed(state_.id);
  if (state_.waiting_for_acks) {
    // As Redis (unblockClientWaitingReplicas), a WAIT or WAITAOF ended by its client's
    // leaving counts as a call; a command blocked on keys does not.
    if (worker_->server().replication().EndWait(state_.id)) {
      CountUnblocked(worker_->server(), worker_->stats(), state_, "");
    }
  }
  if (state_.waiting_for_shutdown && worker_->server().shutdown != nullptr)
    worker_->server().shutdown->Forget(state_.id);
  worker_->server().tracking().Disable(state_);
  state_.push = nullptr;
  if (postponed_) {
    worker_->server().blocking().AddPostponed(-1);
    postponed_ = false;
  }
  if (pause_ticket_ != 0) worker_->server().pause_queue().Leave(std::exchange(pause_ticket_, 0));
  if (blocked_) {
    worker_->server().blocking().Cancel(state_.id, /*disconnect=*/true);
    blocked_ = false;
  }
  StopBlockTimer();
  worker_->OnConnectionClosed(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), [](uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    ClientEviction& eviction = c->worker_->server().client_eviction();
    const uint64_t closing = c->state_.closing_bytes.load(std::memory_order_relaxed);
    delete c;
    eviction.Released(closing);  // after the free (see ClientEviction::closing)
  });
}

}  // namespace tessera::server::net
