#include "server/net/relisten.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include "server/log.h"
#include "server/net/listener.h"

namespace tessera::server::net {

namespace {

constexpr std::string_view kPortError = "Unable to listen on this port. Check server logs.";
constexpr std::string_view kBindError = "Failed to bind to specified addresses.";
constexpr std::string_view kTlsError = "Unable to update TLS configuration. Check server logs.";

// A TLS context from the tls-* directives, or null with the reason logged (Redis's
// connTypeConfigure failing); the CONFIG SET then answers kTlsError.
std::unique_ptr<TlsContext> NewTlsContext(const ConfigRegistry& registry) {
  std::string why;
  std::unique_ptr<TlsContext> ctx = TlsContext::Create(registry.values(), &why);
  if (ctx == nullptr) Log(LogLevel::kWarning, "Failed to configure TLS: {}", why);
  return ctx;
}

// Hands each worker its share of `set` (plain or TLS sockets) and waits for the others.
void SwapListeners(std::vector<std::unique_ptr<Worker>>& workers, ListenerSet* set, bool tls) {
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    size_t left = 0;
  };
  auto pending = std::make_shared<Pending>();
  Worker* self = Worker::Current();
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker* w = workers[i].get();
    std::vector<int> fds = std::move(set->tcp_fds_per_worker[i]);
    if (w == self) {
      w->ReplaceListeners(std::move(fds), tls);
      continue;
    }
    {
      std::lock_guard lock(pending->mu);
      ++pending->left;
    }
    w->Post([w, fds = std::move(fds), tls, pending]() mutable {
      w->ReplaceListeners(std::move(fds), tls);
      std::lock_guard lock(pending->mu);
      if (--pending->left == 0) pending->cv.notify_all();
    });
  }
  set->tcp_fds_per_worker.clear();
  // Bounded: another worker may itself be waiting for the config lock this thread holds.
  std::unique_lock lock(pending->mu);
  pending->cv.wait_for(lock, std::chrono::seconds(1), [&] { return pending->left == 0; });
}

// New listeners on the configured bind addresses and `port` (0: none), swapped in.
bool Relisten(ConfigRegistry& registry, Server& server,
              std::vector<std::unique_ptr<Worker>>& workers, bool tls, int port) {
  const ServerConfig& c = registry.values();
  const int current = tls ? server.tls_port() : server.tcp_port();
  ListenerSet set;
  std::string why;
  if (!CreateListeners(c.bind.Get(), port, static_cast<int>(c.tcp_backlog),
                       static_cast<int>(workers.size()), "", 0, &set, &why,
                       /*probe_busy=*/port != current)) {
    Log(LogLevel::kWarning, "{}", why);
    return false;
  }
  SwapListeners(workers, &set, tls);
  if (tls) {
    server.set_tls_port(port);
  } else {
    server.set_tcp_port(port);
  }
  return true;
}

// New metrics-port listeners (none for port 0) on the configured bind addresses, handed to
// worker 0, which serves the endpoint; `current` is the port listened on until now.
bool RelistenMetrics(const ConfigRegistry& registry, std::vector<std::unique_ptr<Worker>>& workers,
                     int port, int current) {
  const ServerConfig& c = registry.values();
  ListenerSet set;
  if (port != 0) {
    std::string why;
    if (!CreateListeners(c.bind.Get(), port, static_cast<int>(c.tcp_backlog), 1, "", 0, &set, &why,
                         /*probe_busy=*/port != current)) {
      Log(LogLevel::kWarning, "metrics-port: {}", why);
      return false;
    }
  }
  std::vector<int> fds = port != 0 ? std::move(set.tcp_fds_per_worker[0]) : std::vector<int>();
  Worker* w = workers[0].get();
  if (w == Worker::Current()) {
    w->ReplaceMetricsListeners(std::move(fds));
    return true;
  }
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto pending = std::make_shared<Pending>();
  w->Post([w, fds = std::move(fds), pending]() mutable {
    w->ReplaceMetricsListeners(std::move(fds));
    std::lock_guard lock(pending->mu);
    pending->done = true;
    pending->cv.notify_all();
  });
  // Bounded, as SwapListeners.
  std::unique_lock lock(pending->mu);
  pending->cv.wait_for(lock, std::chrono::seconds(1), [&] { return pending->done; });
  return true;
}

}  // namespace

void RegisterListenerHooks(ConfigRegistry& registry, Server& server,
                           std::vector<std::unique_ptr<Worker>>& workers,
                           std::unique_ptr<TlsContextHolder>& tls) {
  registry.OnApply("port", [&](std::string* err) {
    if (Relisten(registry, server, workers, false, registry.values().port.load())) return true;
    *err = kPortError;
    return false;
  });
  // The metrics endpoint's port as listened on (the registry holds the new value in OnApply).
  auto metrics_port = std::make_shared<int>(registry.values().metrics_port.load());
  registry.OnApply("metrics-port", [&, metrics_port](std::string* err) {
    const int port = registry.values().metrics_port.load();
    if (!RelistenMetrics(registry, workers, port, *metrics_port)) {
      *err = kPortError;
      return false;
    }
    *metrics_port = port;
    return true;
  });
  registry.OnApply("bind", [&, metrics_port](std::string* err) {
    bool ok = Relisten(registry, server, workers, false, server.tcp_port());
    if (ok && tls != nullptr) ok = Relisten(registry, server, workers, true, server.tls_port());
    if (ok && *metrics_port != 0) {
      ok = RelistenMetrics(registry, workers, *metrics_port, *metrics_port);
    }
    if (!ok) *err = kBindError;
    return ok;
  });
  registry.OnApply("tls-port", [&](std::string* err) {
    const int port = registry.values().tls_port.load();
    if (tls == nullptr && port != 0) {
      std::unique_ptr<TlsContext> ctx = NewTlsContext(registry);
      if (ctx == nullptr) {
        *err = kTlsError;
        return false;
      }
      tls = std::make_unique<TlsContextHolder>(std::move(ctx));
      for (auto& w : workers) {
        Worker* wp = w.get();
        TlsContextHolder* holder = tls.get();
        if (wp == Worker::Current()) {
          wp->SetTlsContext(holder);
        } else {
          wp->Post([wp, holder] { wp->SetTlsContext(holder); });
        }
      }
    }
    if (Relisten(registry, server, workers, true, port)) return true;
    *err = kPortError;
    return false;
  });
  // A TLS setting builds a new context for new connections; one that cannot be used fails
  // the CONFIG SET, which restores the old values.  Without TLS there is nothing to rebuild.
  for (std::string_view name :
       {"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
        "tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-ciphersuites",
        "tls-prefer-server-ciphers", "tls-session-caching"}) {
    registry.OnApply(name, [&](std::string* err) {
      if (tls == nullptr) return true;
      std::unique_ptr<TlsContext> ctx = NewTlsContext(registry);
      if (ctx == nullptr) {
        *err = kTlsError;
        return false;
      }
      tls->Replace(std::move(ctx));
      return true;
    });
  }
}

}  // namespace tessera::server::net
