#include "server/net/listener.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tessera::server::net {

namespace {

bool IsUnavailableErrno(int e) {
  return e == ENOPROTOOPT || e == EPROTONOSUPPORT || e == ESOCKTNOSUPPORT ||
         e == EPFNOSUPPORT || e == EAFNOSUPPORT || e == EADDRNOTAVAIL;
}

// Creates one listening TCP socket; returns the fd or -1 with errno set.
int ListenTcp(const std::string& addr, int port, int backlog, bool reuse_port) {
  sockaddr_storage ss{};
  socklen_t len;
  bool v6 = addr.find(':') != std::string::npos;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<uint16_t>(port));
    std::string a = addr == "::*" ? "::" : addr;
    if (inet_pton(AF_INET6, a.c_str(), &sa->sin6_addr) != 1) {
      errno = EADDRNOTAVAIL;
      return -1;
    }
    len = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<uint16_t>(port));
    std::string a = addr == "*" ? "0.0.0.0" : addr;
    if (inet_pton(AF_INET, a.c_str(), &sa->sin_addr) != 1) {
      errno = EADDRNOTAVAIL;
      return -1;
    }
    len = sizeof(sockaddr_in);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, backlog) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

bool CreateListeners(const std::vector<std::string>& bind, int port, int backlog, int workers,
                     const std::string& unix_path, unsigned unix_perm, ListenerSet* out,
                     std::string* error, bool probe_busy) {
  out->tcp_fds_per_worker.assign(workers, {});
  if (port != 0) {
    for (const std::string& entry : bind) {
      bool optional = !entry.empty() && entry[0] == '-';
      std::string addr = optional ? entry.substr(1) : entry;
      // SO_REUSEPORT would let us share a port another server already listens on; a plain
      // bind first makes a busy port fail start-up as it does for Redis.
      int probe = 0;
      if (probe_busy) {
        probe = ListenTcp(addr, port, backlog, false);
        if (probe >= 0) {
          close(probe);
          probe = 0;
        }
      }
      for (int w = 0; w < workers && probe >= 0; ++w) {
        int fd = ListenTcp(addr, port, backlog, true);
        if (fd < 0) {
          if (optional && IsUnavailableErrno(errno)) break;
          *error = fmt::format(
              "Warning: Could not create server TCP listening socket {}:{}: bind: {}\n"
              "Failed listening on port {} (tcp), aborting.",
              addr, port, std::strerror(errno), port);
          CloseListeners(out);
          return false;
        }
        out->tcp_fds_per_worker[w].push_back(fd);
      }
      if (probe < 0) {
        if (optional && IsUnavailableErrno(errno)) continue;
        *error = fmt::format(
            "Warning: Could not create server TCP listening socket {}:{}: bind: {}\n"
            "Failed listening on port {} (tcp), aborting.",
            addr, port, std::strerror(errno), port);
        CloseListeners(out);
        return false;
      }
    }
  }
  if (!unix_path.empty()) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (fd < 0 || unix_path.size() >= sizeof(sa.sun_path)) {
      *error = fmt::format("Failed opening Unix socket: {}", std::strerror(errno));
      if (fd >= 0) close(fd);
      CloseListeners(out);
      return false;
    }
    std::memcpy(sa.sun_path, unix_path.c_str(), unix_path.size() + 1);
    unlink(unix_path.c_str());
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
    // Permissions before listen(): no window where a client can connect with the default mode.
    if (ok && unix_perm != 0) ok = chmod(unix_path.c_str(), unix_perm) == 0;
    if (ok) ok = listen(fd, backlog) == 0;
    if (!ok) {
      *error = fmt::format("Failed opening Unix socket: {}", std::strerror(errno));
      close(fd);
      CloseListeners(out);
      return false;
    }
    out->unix_fd = fd;
  }
  return true;
}

void CloseListeners(ListenerSet* set) {
  for (auto& fds : set->tcp_fds_per_worker) {
    for (int fd : fds) close(fd);
    fds.clear();
  }
  if (set->unix_fd >= 0) close(set->unix_fd);
  set->unix_fd = -1;
}

}  // namespace tessera::server::net
