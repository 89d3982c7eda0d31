// Listening sockets, created on the main thread before the workers start so that bind errors
// stop start-up with Redis's messages.  TCP sockets are created once per worker with
// SO_REUSEPORT (Debian's libuv 1.44 has no reuse-port flag, so we make the socket ourselves
// and hand it to uv_tcp_open); the unix socket is created once, chmod-ed before listen()
// (CVE-2023-45145), and served by worker 0.
#pragma once

#include <string>
#include <vector>

namespace tessera::server::net {

struct ListenerSet {
  std::vector<std::vector<int>> tcp_fds_per_worker;  // [worker][address]
  int unix_fd = -1;
};

// Returns false with *error set (Redis's wording) on failure.  `bind` entries may start with
// '-' (optional address: skipped if the address is unavailable).
// `probe_busy`: first bind each address without SO_REUSEPORT, so that a port another process
// holds fails as it does for Redis; false when the port is the one this server already
// listens on (CONFIG SET bind), whose own sockets would fail the probe.
bool CreateListeners(const std::vector<std::string>& bind, int port, int backlog, int workers,
                     const std::string& unix_path, unsigned unix_perm, ListenerSet* out,
                     std::string* error, bool probe_busy = true);

void CloseListeners(ListenerSet* set);

}  // namespace tessera::server::net
