// Serving a worker's clients while one of its clients runs a busy script (Worker::
// ServeWhileScriptBusy; the design is in server/commands/script_runner.h).
//
// The script runs inside a libuv callback (its client's read), and uv_run cannot be entered
// again from there, so this is a small loop of its own over the same descriptors, as Redis's
// processEventsWhileBlocked runs its file events from the script's hook: one poll(2) with no
// wait over the listening sockets and the other clients, accept4(2) and uv_*_open for new
// connections, read(2) into a client's buffer and the ordinary Process(), then the usual
// Flush() (uv_try_write, uv_write for the rest).  libuv tolerates all of it: its own read or
// accept of a descriptor drained here meets EAGAIN, which it treats as "nothing yet".
// Timers, the inbox and the cron wait for the script to end, as Redis's time events do.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "server/commands/dispatcher.h"
#include "server/net/connection.h"
#include "server/net/worker.h"

namespace tessera::server::net {

namespace {

int FdOf(const void* handle) {
  int fd = -1;
  if (uv_fileno(static_cast<const uv_handle_t*>(handle), &fd) != 0) return -1;
  return fd;
}

}  // namespace

void Connection::ServeOthersWhileScriptBusy() { worker_->ServeWhileScriptBusy(this); }

void Connection::ReadOutsideLoop() {
  if (closing_) return;
  int fd = FdOf(&handle_);
  if (fd < 0) return;
  uv_buf_t buf;
  PrepareRead(&buf);
  ssize_t n = read(fd, buf.base, buf.len);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    OnRead(-errno);
    return;
  }
  OnRead(n == 0 ? static_cast<ssize_t>(UV_EOF) : n);
}

void Worker::AcceptWhileScriptBusy(int fd, bool is_unix, bool tls) {
  // A few at a time: the script goes on between two rounds.
  for (int i = 0; i < 16 && !stopping_; ++i) {
    int client_fd = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client_fd < 0) return;  // EAGAIN, or an error libuv's own accept will meet and log
    auto* c = new Connection(this, is_unix, tls ? tls_ : nullptr);
    int rc = is_unix ? uv_pipe_open(reinterpret_cast<uv_pipe_t*>(c->stream()), client_fd)
                     : uv_tcp_open(reinterpret_cast<uv_tcp_t*>(c->stream()), client_fd);
    if (rc != 0) {
      close(client_fd);
      c->Close();
      continue;
    }
    Admit(c);
  }
}

void Worker::ServeWhileScriptBusy(Connection* script_client) {
  if (BusyServeScope::Active() || stopping_) return;  // never nested
  BusyServeScope scope;
  struct Listener {
    int fd;
    bool is_unix;
    bool tls;
  };
  std::vector<Listener> listeners;
  for (auto& l : tcp_listeners_) listeners.push_back({FdOf(l.get()), false, false});
  for (auto& l : tls_listeners_) listeners.push_back({FdOf(l.get()), false, true});
  if (unix_listener_) listeners.push_back({FdOf(unix_listener_.get()), true, false});
  std::vector<Connection*> clients;
  std::vector<pollfd> fds;
  for (const Listener& l : listeners) fds.push_back({l.fd, POLLIN, 0});
  for (Connection* c : connections_) {
    if (c == script_client || c->closing()) continue;
    int fd = FdOf(c->stream());
    if (fd < 0) continue;
    clients.push_back(c);
    fds.push_back({fd, POLLIN, 0});
  }
  if (poll(fds.data(), fds.size(), 0) > 0) {
    for (size_t i = 0; i < listeners.size(); ++i) {
      if (fds[i].revents != 0) {
        AcceptWhileScriptBusy(listeners[i].fd, listeners[i].is_unix, listeners[i].tls);
      }
    }
    // A client closed meanwhile stays allocated until the loop resumes; it reads nothing.
    for (size_t i = 0; i < clients.size(); ++i) {
      if (fds[listeners.size() + i].revents != 0) clients[i]->ReadOutsideLoop();
    }
  }
  // Replies go out now; the script's client keeps its turn for when the script ends (its
  // output is in the middle of a command).
  std::vector<Connection*> batch;
  batch.swap(pending_flush_);
  for (Connection* c : batch) {
    if (c == script_client) {
      pending_flush_.push_back(c);
    } else {
      c->FlushScheduled();
    }
  }
}

}  // namespace tessera::server::net
