// The Lua debugger's view of a connection (SCRIPT DEBUG; server/scripting/lua_debugger.h):
// blocking reads and writes on the client's socket while its EVAL runs the session, as
// Redis's ldb does with connBlock() and a 5 s send timeout.  libuv is not involved: the
// session runs inside the read callback that dispatched the EVAL, and uv_run cannot be
// entered again (the same reason as worker_busy.cc).  libuv tolerates it: its next read of a
// descriptor drained here meets EAGAIN.  Input the connection had already read past the EVAL
// is not seen by the session (nor by Redis's): the client is closed once it ends.
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "server/net/connection.h"
#include "server/scripting/lua_debugger.h"
#include "server/server.h"

namespace tessera::server::net {

class DebugSocket final : public scripting::DebugChannel {
 public:
  explicit DebugSocket(Connection* c) : c_(c) {
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&c->handle_), &fd_) != 0) fd_ = -1;
  }

  bool Write(std::string_view bytes) override {
    if (c_->tls_ == nullptr) return WriteRaw(bytes);
    if (!c_->tls_->Encrypt(bytes)) return false;
    return FlushCiphertext();
  }

  long Read(char* buf, size_t len) override {
    if (fd_ < 0) return -1;
    for (;;) {
      if (c_->tls_ != nullptr) {
        long n = c_->tls_->Decrypt(buf, len);
        if (n != 0) return n;               // plaintext, or -1 on a fatal TLS error
        if (!FlushCiphertext()) return -1;  // what the handshake may owe the peer
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, -1) < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      char* base = buf;
      size_t room = len;
      if (c_->tls_ != nullptr) c_->tls_->ReadRoom(&base, &room);
      ssize_t n = read(fd_, base, room);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n <= 0) return -1;
      if (c_->tls_ == nullptr) return n;
      c_->tls_->Received(static_cast<size_t>(n));
    }
  }

 private:
  bool FlushCiphertext() {
    std::string cipher;
    c_->tls_->TakeCiphertext(&cipher);
    return WriteRaw(cipher);
  }

  // Writes every byte, waiting for room; gives up after 5 s without progress.
  bool WriteRaw(std::string_view bytes) {
    if (fd_ < 0) return false;
    while (!bytes.empty()) {
      ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
      pollfd p{fd_, POLLOUT, 0};
      int ready = poll(&p, 1, kSendTimeoutMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
    }
    return true;
  }

  static constexpr int kSendTimeoutMs = 5000;
  Connection* c_;
  int fd_ = -1;
};

std::unique_ptr<scripting::DebugChannel> Connection::OpenDebugChannel() {
  if (closing_) return nullptr;
  return std::make_unique<DebugSocket>(this);
}

}  // namespace tessera::server::net
