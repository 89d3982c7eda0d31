#include "server/net/worker.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "server/blocking.h"
#include "server/commands/dispatcher.h"
#include "server/commands/errors.h"
#include "server/commands/server_family.h"
#include "server/expire_cycle.h"
#include "server/log.h"
#include "server/net/connection.h"
#include "server/net/metrics_http.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/replication/replica.h"
#include "server/server.h"

namespace tessera::server::net {

Worker::Worker(Server* server, int index, int worker_count)
    : server_(server), index_(index), worker_count_(worker_count) {
  stats_ = server->AddWorkerStats();
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_, [](uv_async_t* a) { static_cast<Worker*>(a->data)->Drain(); });
  async_.data = this;
  uv_timer_init(&loop_, &cron_);
  cron_.data = this;
  uv_check_init(&loop_, &flush_check_);
  flush_check_.data = this;
  uv_prepare_init(&loop_, &sleep_prepare_);
  sleep_prepare_.data = this;
}

Worker::~Worker() {
  for (int fd : tcp_listen_fds_) {
    if (fd >= 0) close(fd);
  }
  for (int fd : tls_listen_fds_) {
    if (fd >= 0) close(fd);
  }
}

void Worker::ReplaceMetricsListeners(std::vector<int> fds) {
  if (metrics_) metrics_->ReplaceListeners(std::move(fds));
}

void Worker::SetMetricsListeners(std::vector<int> fds, std::function<std::string()> render) {
  metrics_ = std::make_unique<MetricsHttpServer>(&loop_, std::move(fds), std::move(render));
}

void Worker::Listen(int fd, bool tls) {
  auto h = std::make_unique<uv_tcp_t>();
  uv_tcp_init(&loop_, h.get());
  uv_tcp_open(h.get(), fd);
  h->data = this;
  if (tls) {
    uv_listen(reinterpret_cast<uv_stream_t*>(h.get()), 511, [](uv_stream_t* s, int status) {
      if (status == 0) static_cast<Worker*>(s->data)->Accept(s, false, true);
    });
    tls_listeners_.push_back(std::move(h));
  } else {
    uv_listen(reinterpret_cast<uv_stream_t*>(h.get()), 511, [](uv_stream_t* s, int status) {
      if (status == 0) static_cast<Worker*>(s->data)->Accept(s, false);
    });
    tcp_listeners_.push_back(std::move(h));
  }
}

void Worker::ReplaceListeners(std::vector<int> fds, bool tls) {
  if (stopping_) {
    for (int fd : fds) close(fd);
    return;
  }
  auto& old = tls ? tls_listeners_ : tcp_listeners_;
  for (auto& l : old) {
    // The handle is freed once libuv has closed it.
    uv_close(reinterpret_cast<uv_handle_t*>(l.release()),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
  old.clear();
  for (int fd : fds) Listen(fd, tls);
}

void Worker::Start() {
  for (int fd : tcp_listen_fds_) Listen(fd, false);
  tcp_listen_fds_.clear();  // owned by the handles now
  for (int fd : tls_listen_fds_) Listen(fd, true);
  tls_listen_fds_.clear();
  if (metrics_) metrics_->Start();
  if (unix_listen_fd_ >= 0) {
    unix_listener_ = std::make_unique<uv_pipe_t>();
    uv_pipe_init(&loop_, unix_listener_.get(), 0);
    uv_pipe_open(unix_listener_.get(), unix_listen_fd_);
    unix_listener_->data = this;
    uv_listen(reinterpret_cast<uv_stream_t*>(unix_listener_.get()), 511,
              [](uv_stream_t* s, int status) {
                if (status == 0) static_cast<Worker*>(s->data)->Accept(s, true);
              });
  }
  int hz = EffectiveHz(server_->config(), server_->clients().Count());
  uv_timer_start(&cron_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->Cron(); },
                 static_cast<uint64_t>(1000 / hz), static_cast<uint64_t>(1000 / hz));
  uv_check_start(&flush_check_, [](uv_check_t* h) {
    auto* w = static_cast<Worker*>(h->data);
    // An iteration woken by something other than a read (a write's completion, an accept)
    // counts from here.
    w->NoteAwakeNow();
    w->FlushPending();
    w->CountLoopIteration();
  });
  uv_prepare_start(&sleep_prepare_,
                   [](uv_prepare_t* h) { static_cast<Worker*>(h->data)->BeforePoll(); });
  // Neither keeps the loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&flush_check_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&sleep_prepare_));
  thread_ = std::thread([this] { Run(); });
}

namespace {
thread_local Worker* current_worker = nullptr;
}  // namespace

Worker* Worker::Current() { return current_worker; }

// Once per loop iteration (the check phase): eventloop_cycles and the most commands one
// iteration ran.
void Worker::CountLoopIteration() {
  stats_->eventloop_cycles.Add(1);
  const uint64_t commands = stats_->total_commands.Get();
  if (commands >= commands_seen_ &&
      commands - commands_seen_ > stats_->commands_per_cycle_max.Get()) {
    stats_->commands_per_cycle_max.Set(commands - commands_seen_);
  }
  commands_seen_ = commands;
}

void Worker::NoteAwakeNow() {
  if (awake_since_us_ == 0) awake_since_us_ = Server::RealNowUs();
}

// Just before the poll (Redis's beforeSleep): the iteration's busy time, from its first
// callback (NoteAwake) to here.  libuv's own measure (UV_METRICS_IDLE_TIME) polls twice
// whenever the loop is about to sleep, an extra system call in most iterations under load.
void Worker::BeforePoll() {
  if (awake_since_us_ == 0) return;
  const int64_t iteration_us = std::max<int64_t>(0, Server::RealNowUs() - awake_since_us_);
  awake_since_us_ = 0;
  stats_->eventloop_busy_us.Add(static_cast<uint64_t>(iteration_us));
  if (static_cast<uint64_t>(iteration_us) > stats_->loop_max_us.Get()) {
    stats_->loop_max_us.Set(static_cast<uint64_t>(iteration_us));
  }
}

void Worker::Run() {
  current_worker = this;
  // Named for per-thread figures (top -H, /proc/<pid>/task/*/comm, bench/aof_threads.py).
  pthread_setname_np(pthread_self(), ("worker-" + std::to_string(index_)).c_str());
  server_->memory_meter().RegisterThisThread();  // maxmemory reads this thread's counters
  uv_run(&loop_, UV_RUN_DEFAULT);
  // Close whatever handles remain so the loop can be closed cleanly.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  server_->memory_meter().UnregisterThisThread();
}

void Worker::Post(std::function<void()> fn) {
  // The send happens under the mutex so that it can never race with StopOnLoop closing the
  // async handle; tasks posted after the stop are dropped (their connections are closing).
  std::lock_guard<std::mutex> lock(inbox_mu_);
  if (inbox_closed_) return;
  inbox_.push_back(std::move(fn));
  uv_async_send(&async_);
}

void Worker::Drain() {
  NoteAwakeNow();
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    tasks.swap(inbox_);
  }
  for (auto& t : tasks) t();
}

void Worker::RequestStop() {
  Post([this] { StopOnLoop(); });
}

void Worker::StopOnLoop() {
  stopping_ = true;
  uv_timer_stop(&cron_);
  FlushPending();
  for (auto& l : tcp_listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l.get()), nullptr);
  for (auto& l : tls_listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l.get()), nullptr);
  if (unix_listener_) uv_close(reinterpret_cast<uv_handle_t*>(unix_listener_.get()), nullptr);
  if (metrics_) metrics_->Stop();
  // Replies already produced get one last chance to go out (the SHUTDOWN contract: exit 0,
  // replies flushed); then every connection closes.
  std::vector<Connection*> all = connections_;
  for (Connection* c : all) c->CloseAfterReply();
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_closed_ = true;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  // The loop ends when the last connection has closed; a client that does not read its
  // replies gets half a second, then the loop stops regardless.
  uv_timer_start(&cron_, [](uv_timer_t* t) { uv_stop(t->loop); }, 500, 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(&cron_));
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Accept(uv_stream_t* listener, bool is_unix, bool tls) {
  auto* c = new Connection(this, is_unix, tls ? tls_ : nullptr);
  if (uv_accept(listener, c->stream()) != 0) {
    // A failed accept must not stop the others (CVE-2025-48367): drop this one only.
    c->Close();
    return;
  }
  Admit(c);
}

void Worker::Admit(Connection* c) {
  stats_->total_connections.Add(1);
  c->worker_slot = connections_.size();
  connections_.push_back(c);
  const ServerConfig& cfg = server_->config();
  if (server_->clients().Count() >= cfg.maxclients.load(std::memory_order_relaxed)) {
    stats_->rejected_connections.Add(1);
    c->RejectAndClose(errors::kMaxClients);
    return;
  }
  c->Start();
  const ClientState& st = c->state();
  if (cfg.protected_mode.load(std::memory_order_relaxed) && !server_->acl().DefaultRequiresAuth() &&
      !st.is_local) {
    Log(LogLevel::kWarning, "Denied access from non-local address {} (protected mode)",
        st.addr);
    stats_->rejected_connections.Add(1);
    c->RejectAndClose(errors::kProtectedMode);
  }
}

void Worker::AdoptMaster(int fd, std::string leftover, uint64_t generation) {
  auto* c = new Connection(this, /*is_unix=*/false);
  stats_->total_connections.Add(1);
  c->worker_slot = connections_.size();
  connections_.push_back(c);
  if (!c->StartAsMaster(fd, leftover, generation)) {
    ::close(fd);
    c->Close();
  }
}

void Worker::FlushPending() {
  // Flush() may close a connection; closed connections stay allocated until the loop's
  // closing phase, which comes after this callback, and Flush() on them does nothing.
  // Broadcasts (CLIENT TRACKING BCAST) of the keys this iteration's commands changed, as
  // Redis sends them in beforeSleep.
  server_->tracking().FlushBroadcasts();
  std::vector<Connection*> batch;
  batch.swap(pending_flush_);
  for (Connection* c : batch) c->FlushScheduled();
}

void Worker::OnConnectionClosed(Connection* c) {
  // O(1): the last connection takes the closed one's slot (the list has no order to keep).
  const size_t slot = c->worker_slot;
  if (slot < connections_.size() && connections_[slot] == c) {
    connections_[slot] = connections_.back();
    connections_[slot]->worker_slot = slot;
    connections_.pop_back();
  }
  auto it = std::find(monitors_.begin(), monitors_.end(), c);
  if (it != monitors_.end()) {
    monitors_.erase(it);
    server_->clients().monitors.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Worker::DeliverToMonitors(const std::string& line) {
  for (Connection* c : monitors_) c->SendRaw(line);
}

void Worker::SampleClients(int64_t now_ms) {
  // Soft output limits run out with no new output too (Redis's clientsCron).
  std::vector<Connection*> all = connections_;
  for (Connection* c : all) c->CloseIfOutputLimitReachedIdle();
  // Client eviction: every client's bytes, also of those with no traffic (may close some).
  all = connections_;
  for (Connection* c : all) c->CronReportMemory();
  size_t max_in = 0, max_out = 0, memory = 0;
  for (Connection* c : connections_) {
    max_in = std::max(max_in, c->QueryBufferBytes());
    max_out = std::max(max_out, c->OutputBufferBytes());
    memory += c->TotalMemoryBytes();
  }
  size_t slot = static_cast<size_t>(now_ms / 1000) % kPeakSlots;
  peak_input_[slot] = max_in;
  peak_output_[slot] = max_out;
  stats_->recent_max_input.Set(*std::max_element(peak_input_.begin(), peak_input_.end()));
  stats_->recent_max_output.Set(*std::max_element(peak_output_.begin(), peak_output_.end()));
  stats_->clients_memory.Set(memory);
}

void Worker::ResizeClientBuffers(int64_t now_ms, int hz) {
  size_t n = connections_.size();
  size_t visits = std::max(n / static_cast<size_t>(hz), std::min<size_t>(n, 5));
  for (size_t i = 0; i < visits; ++i) {
    if (resize_cursor_ >= connections_.size()) resize_cursor_ = 0;
    connections_[resize_cursor_++]->CronResizeBuffers(now_ms);
  }
}

void Worker::Cron() {
  if (server_->cron_paused.load(std::memory_order_relaxed)) return;  // DEBUG PAUSE-CRON
  struct CronTimer {
    ~CronTimer() { stats->cron_us.Add(static_cast<uint64_t>(Server::MonotonicUs() - start)); }
    WorkerStats* stats;
    int64_t start;
  } cron_timer{stats_, Server::MonotonicUs()};
  NoteAwakeNow();
  int64_t now = server_->NowMs();
  // hz, or more with many clients (dynamic-hz).  A change of either takes effect from the tick
  // after next (libuv re-arms a repeating timer before its callback runs), as Redis's
  // serverCron follows its hz.
  int hz = EffectiveHz(server_->config(), server_->clients().Count());
  const auto period_ms = static_cast<uint64_t>(1000 / hz);
  if (uv_timer_get_repeat(&cron_) != period_ms) uv_timer_set_repeat(&cron_, period_ms);
  ResizeClientBuffers(now, hz);
  // Active expiry: a quarter of each tick at most, over this worker's shards.
  int64_t budget_us = 250000 / hz;
  // Not on a replica: its primary's DELs expire its keys.
  if (!server_->replica_link().is_replica()) {
    RunActiveExpireCycle(*server_, static_cast<unsigned>(index_),
                         static_cast<unsigned>(worker_count_), now, budget_us);
  }
  // maxmemory: finish an eviction a command's time limit cut short, or one a CONFIG SET
  // maxmemory below the current use asks for, with no traffic to drive it.
  if (server_->config().maxmemory.load(std::memory_order_relaxed) != 0 && server_->MayEvict()) {
    server_->evictor().PerformEvictions(now, budget_us);
  }
  if (!KeysRemovedByServer().empty()) ServeBlockedClients(*server_, *stats_, KeysRemovedByServer());
  if (index_ == 0) {
    if (server_->tracking().tracking_clients() > 0) {  // the tracking table, even when idle
      server_->tracking().EnforceLimit(
          static_cast<size_t>(
              server_->config().tracking_table_max_keys.load(std::memory_order_relaxed)),
          nullptr);
    }
    server_->memory_meter().Recalibrate();  // threads that do not register (see MemoryMeter)
    server_->SampleMetrics(now);       // INFO's instantaneous rates and peak memory
    server_->persistence().Cron(now);  // save points
    server_->replication().Cron(now);  // full syncs waiting for a save, PINGs to replicas
    server_->replica_link().Cron(now);  // ACKs to our primary, repl-timeout
    CloseIdleMigrateSockets();         // MIGRATE's cached connections idle past 10 s
  }
  if (now - last_timeout_check_ms_ >= 1000) {
    last_timeout_check_ms_ = now;
    SampleClients(now);
    int64_t timeout_s = server_->config().timeout.load(std::memory_order_relaxed);
    if (timeout_s > 0) {
      std::vector<Connection*> idle;
      for (Connection* c : connections_) {
        // As Redis: the timeout spares monitors, blocked clients and subscribers.
        if (!c->state().monitor && !c->blocked() && !c->state().in_pubsub && !c->state().master &&
            c->idle_ms(now) > timeout_s * 1000) {
          idle.push_back(c);
        }
      }
      for (Connection* c : idle) {
        Log(LogLevel::kVerbose, "Closing idle client");
        c->Close();
      }
    }
  }
}

}  // namespace tessera::server::net
