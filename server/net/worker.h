// Worker: one thread, one libuv loop, the connections accepted on it (DESIGN 2).
//
// A connection stays on the worker that accepted it; that worker reads, parses, executes and
// replies for it.  Anything another thread wants done to one of this worker's connections is
// posted to the inbox (Post), an MPSC queue drained on a uv_async_t.  The cron timer runs at
// EffectiveHz (hz, more with many clients): client timeouts and this worker's share of active
// expiry (shards i, i+W, i+2W...).
//
// Thread rules: every member except Post() and RequestStop() is used by the worker thread only.
#pragma once

#include <uv.h>

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/net/tls.h"
#include "server/stats.h"

namespace tessera::server {
class Server;
}

namespace tessera::server::net {

class Connection;
class MetricsHttpServer;

class Worker {
 public:
  Worker(Server* server, int index, int worker_count);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Before Start(): listening sockets this worker accepts on (it takes ownership).
  void AddTcpListener(int fd) { tcp_listen_fds_.push_back(fd); }
  void SetUnixListener(int fd) { unix_listen_fd_ = fd; }
  // TLS port sockets, and the context their connections use (shared, owned by main).
  void AddTlsListener(int fd) { tls_listen_fds_.push_back(fd); }
  void SetTlsContext(TlsContextHolder* tls) { tls_ = tls; }
  // metrics-port sockets and the /metrics body builder (server/net/metrics_http.h).
  void SetMetricsListeners(std::vector<int> fds, std::function<std::string()> render);
  // CONFIG SET metrics-port / bind, on this worker's thread after SetMetricsListeners.
  void ReplaceMetricsListeners(std::vector<int> fds);

  void Start();
  // The worker whose thread calls this, or nullptr on any other thread.
  static Worker* Current();
  // Worker thread: listens on `fds` (taking them) instead of this worker's current TCP or TLS
  // sockets, which close (CONFIG SET port, bind, tls-port).  Connections already accepted stay.
  void ReplaceListeners(std::vector<int> fds, bool tls);
  // Worker thread: makes the master client of the replica link's socket (ReplicationReplica).
  void AdoptMaster(int fd, std::string leftover, uint64_t generation);
  // Any thread: runs fn on this worker's thread.
  void Post(std::function<void()> fn);
  // Any thread: flush what can be flushed, close every connection, end the loop.
  void RequestStop();
  void Join();

  int index() const { return index_; }
  Server& server() { return *server_; }
  WorkerStats& stats() { return *stats_; }
  uv_loop_t* loop() { return &loop_; }

  // Worker thread only.
  void OnConnectionClosed(Connection* c);
  void AddMonitor(Connection* c) { monitors_.push_back(c); }
  // Queues `c` to write its output after this loop iteration's I/O callbacks, the way Redis
  // writes replies in beforeSleep: every client served in one iteration gets its replies at
  // about the same moment, so clients wake once for many replies.
  void ScheduleFlush(Connection* c) { pending_flush_.push_back(c); }
  // The first callback of a loop iteration, at `now_us` (RealNowUs): its busy time starts
  // there (eventloop_busy_us, see BeforePoll).
  void NoteAwake(int64_t now_us) {
    if (awake_since_us_ == 0) awake_since_us_ = now_us;
  }
  void NoteAwakeNow();  // the same, reading the clock only when it is the first
  void DeliverToMonitors(const std::string& line);
  // From the instruction hook of `script_client`'s script, once it has run past
  // busy-reply-threshold (worker_busy.cc): accepts new connections, reads every other client
  // that has input and runs its commands (-BUSY for all but the allow-busy ones, see
  // BusyServeScope), and writes their replies; all with plain system calls on the handles'
  // descriptors, since libuv's loop is running the callback the script runs in and cannot be
  // re-entered.  `script_client` is neither read nor flushed: its pipelined commands wait.
  void ServeWhileScriptBusy(Connection* script_client);

 private:
  void Run();
  void Drain();
  void Cron();
  void FlushPending();
  void CountLoopIteration();
  void BeforePoll();
  void Accept(uv_stream_t* listener, bool is_unix, bool tls = false);
  // The rest of accepting `c`, once its handle holds the new socket.
  void Admit(Connection* c);
  // Accepts what waits on listening socket `fd` without libuv (ServeWhileScriptBusy).
  void AcceptWhileScriptBusy(int fd, bool is_unix, bool tls);
  void Listen(int fd, bool tls);
  void StopOnLoop();
  // Once a second: closes clients past their output-buffer limits, then updates the INFO
  // gauges of this worker's clients (buffer peaks, client memory).
  void SampleClients(int64_t now_ms);
  // Each run resizes the buffers of a share of the clients, so that each one's turn comes
  // about once a second (every run while there are at most 5), as Redis's clientsCron.
  void ResizeClientBuffers(int64_t now_ms, int hz);

  Server* server_;
  int index_;
  int worker_count_;
  WorkerStats* stats_;
  std::unique_ptr<MetricsHttpServer> metrics_;
  int64_t awake_since_us_ = 0;  // this iteration's first callback (0: none yet)
  uint64_t commands_seen_ = 0;  // stats_->total_commands at the previous iteration
  uv_loop_t loop_;
  uv_async_t async_;
  uv_timer_t cron_;
  uv_check_t flush_check_;
  uv_prepare_t sleep_prepare_;
  std::vector<Connection*> pending_flush_;
  std::vector<int> tcp_listen_fds_;
  std::vector<int> tls_listen_fds_;
  TlsContextHolder* tls_ = nullptr;
  int unix_listen_fd_ = -1;
  std::vector<std::unique_ptr<uv_tcp_t>> tcp_listeners_;
  std::vector<std::unique_ptr<uv_tcp_t>> tls_listeners_;
  std::unique_ptr<uv_pipe_t> unix_listener_;
  std::vector<Connection*> connections_;
  std::vector<Connection*> monitors_;
  std::mutex inbox_mu_;
  std::vector<std::function<void()>> inbox_;  // GUARDED_BY(inbox_mu_)
  bool inbox_closed_ = false;                 // GUARDED_BY(inbox_mu_); async_ is closed
  std::thread thread_;
  bool stopping_ = false;
  int64_t last_timeout_check_ms_ = 0;
  size_t resize_cursor_ = 0;  // next connection ResizeClientBuffers visits
  // Largest query / output buffer seen in each of the last kPeakSlots seconds.
  static constexpr size_t kPeakSlots = 8;
  std::array<size_t, kPeakSlots> peak_input_{};
  std::array<size_t, kPeakSlots> peak_output_{};
};

}  // namespace tessera::server::net
