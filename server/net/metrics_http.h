// The metrics-port HTTP endpoint: GET /metrics answers the Prometheus text of
// server/metrics_text.h.  Off unless metrics-port is set.
//
// It runs on worker 0's libuv loop, like the unix socket: a scrape every few seconds costs
// one INFO, and a thread of its own would buy nothing.  The HTTP it speaks is the minimum a
// scraper needs: one request per connection (HTTP/1.0 or 1.1), the response carries
// Content-Length and "Connection: close", then the server closes.  Anything else gets 404 (a
// path other than /metrics), 405 (a method other than GET or HEAD) or 400 (a request line it
// cannot read, or headers past kMaxRequestBytes); a client silent for kIdleTimeoutMs is
// dropped, so a stuck scraper holds nothing for long.
//
// Threads: worker 0 only.  Handles are heap objects freed in their close callbacks.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::server::net {

class MetricsHttpServer {
 public:
  static constexpr size_t kMaxRequestBytes = 16 * 1024;
  static constexpr uint64_t kIdleTimeoutMs = 10000;

  // `render` builds the body on the loop thread.  Takes ownership of the listening `fds`.
  MetricsHttpServer(uv_loop_t* loop, std::vector<int> fds, std::function<std::string()> render);
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  void Start();
  // Closes the listeners (connections being served finish on their own).
  void Stop();
  // CONFIG SET metrics-port or bind: serves `fds` (maybe none) instead of the current
  // listeners.  Connections being served are not touched.
  void ReplaceListeners(std::vector<int> fds) {
    Stop();
    fds_ = std::move(fds);
    Start();
  }

  // The response for one request's head (pure; unit-tested): status line, headers, body.
  // "" if the head is incomplete and more bytes are needed.
  static std::string Respond(std::string_view head, bool too_long,
                             const std::function<std::string()>& render);

 private:
  void Accept(uv_stream_t* listener);

  uv_loop_t* loop_;
  std::vector<int> fds_;
  std::vector<uv_tcp_t*> listeners_;
  std::function<std::string()> render_;
};

}  // namespace tessera::server::net
