#include "server/net/metrics_http.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace tessera::server::net {

namespace {

// One scrape connection: reads the request head, writes the response, closes.
struct HttpConn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t write_req;
  std::string in;
  std::string out;
  const std::function<std::string()>* render = nullptr;
  int open_handles = 2;
  bool responded = false;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
};

void CloseConn(HttpConn* c) {
  auto on_closed = [](uv_handle_t* h) {
    auto* conn = static_cast<HttpConn*>(h->data);
    if (--conn->open_handles == 0) delete conn;
  };
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_closed);
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->timer))) {
    uv_timer_stop(&c->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), on_closed);
  }
}

void SendAndClose(HttpConn* c, std::string response) {
  c->responded = true;
  uv_read_stop(c->stream());
  c->out = std::move(response);
  uv_buf_t buf = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
  c->write_req.data = c;
  int rc = uv_write(&c->write_req, c->stream(), &buf, 1,
                    [](uv_write_t* req, int) { CloseConn(static_cast<HttpConn*>(req->data)); });
  if (rc != 0) CloseConn(c);
}

std::string Reply(std::string_view status, std::string_view body, bool head_only,
                  std::string_view content_type = "text/plain; charset=utf-8") {
  std::string out = fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", status,
      content_type, body.size());
  if (!head_only) out.append(body);
  return out;
}

}  // namespace

std::string MetricsHttpServer::Respond(std::string_view head, bool too_long,
                                       const std::function<std::string()>& render) {
  if (too_long) return Reply("400 Bad Request", "request too large\n", false);
  if (head.find("\r\n\r\n") == std::string_view::npos &&
      head.find("\n\n") == std::string_view::npos) {
    return "";
  }
  std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  // METHOD SP TARGET SP HTTP/x.y
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/")) {
    return Reply("400 Bad Request", "bad request line\n", false);
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    return Reply("405 Method Not Allowed", "only GET is served\n", false);
  }
  if (target != "/metrics") return Reply("404 Not Found", "try /metrics\n", head_only);
  return Reply("200 OK", render(), head_only, "text/plain; version=0.0.4; charset=utf-8");
}

MetricsHttpServer::MetricsHttpServer(uv_loop_t* loop, std::vector<int> fds,
                                     std::function<std::string()> render)
    : loop_(loop), fds_(std::move(fds)), render_(std::move(render)) {}

void MetricsHttpServer::Start() {
  for (int fd : fds_) {
    auto* h = new uv_tcp_t;
    uv_tcp_init(loop_, h);
    uv_tcp_open(h, fd);
    h->data = this;
    uv_listen(reinterpret_cast<uv_stream_t*>(h), 128, [](uv_stream_t* s, int status) {
      if (status == 0) static_cast<MetricsHttpServer*>(s->data)->Accept(s);
    });
    listeners_.push_back(h);
  }
  fds_.clear();
}

void MetricsHttpServer::Stop() {
  for (uv_tcp_t* h : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
  }
  listeners_.clear();
}

void MetricsHttpServer::Accept(uv_stream_t* listener) {
  auto* c = new HttpConn;
  c->render = &render_;
  uv_tcp_init(loop_, &c->tcp);
  uv_timer_init(loop_, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  if (uv_accept(listener, c->stream()) != 0) {
    CloseConn(c);
    return;
  }
  uv_timer_start(
      &c->timer, [](uv_timer_t* t) { CloseConn(static_cast<HttpConn*>(t->data)); }, kIdleTimeoutMs,
      0);
  uv_read_start(
      c->stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* conn = static_cast<HttpConn*>(h->data);
        size_t old = conn->in.size();
        conn->in.resize(old + 4096);
        *buf = uv_buf_init(conn->in.data() + old, 4096);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        auto* conn = static_cast<HttpConn*>(s->data);
        // The allocation callback grew `in` by 4096: keep only what was read.
        conn->in.resize(conn->in.size() - 4096 + static_cast<size_t>(std::max<ssize_t>(0, nread)));
        if (nread < 0) {
          CloseConn(conn);
          return;
        }
        if (conn->responded) return;
        std::string response = Respond(conn->in, conn->in.size() > kMaxRequestBytes, *conn->render);
        if (!response.empty()) SendAndClose(conn, std::move(response));
      });
}

}  // namespace tessera::server::net
