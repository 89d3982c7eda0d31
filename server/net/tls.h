// TLS for client connections (OpenSSL), behind the same Connection: nothing above server/net
// knows whether a client speaks TLS.
//
// Approach: each TLS connection owns an SSL object wired to one BIO of our own (not a socket
// BIO, not OpenSSL's memory BIOs).  libuv reads ciphertext straight into the session's input
// buffer (ReadRoom / Received); SSL_read takes it from there through the BIO and decrypts into
// the connection's input buffer.  SSL_write's records are appended by the BIO to the session's
// output string, which Flush takes whole (a swap, no copy) and writes through the usual libuv
// path.  So a request costs one read(2), one SSL_read (none that ends in WANT_READ: the loop
// stops when the input is used up), one SSL_write per reply batch and one write(2), and no
// copy beyond OpenSSL's own.  The handshake runs inside those same calls (SSL_read/SSL_write
// in server mode), so there is no separate handshake state machine.  Rejected: handing the
// socket to OpenSSL (SSL_set_fd), which would take the socket away from libuv's event loop and
// costs a second read(2) per record (header, then body), as Redis pays; memory BIOs, which
// copy every byte once more each way and allocate as they grow.
//
// Threads: a TlsContext is built once at start-up and shared read-only by every worker (an
// SSL_CTX may be shared once configured); a TlsSession belongs to one connection's worker.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace tessera::server {
struct ServerConfig;
}

namespace tessera::server::net {

class TlsContext {
 public:
  // From the tls-* directives.  Null, with the reason in *error, when the certificate, key,
  // CA or protocol settings cannot be used.
  static std::unique_ptr<TlsContext> Create(const ServerConfig& config, std::string* error);
  ~TlsContext();
  SSL_CTX* ctx() const { return ctx_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string key_pass_;  // the passphrase callback's data
};

class TlsSession;

// The context new TLS connections use, replaceable while the server runs (CONFIG SET of a
// tls-* directive: certificate rotation).  A session keeps the context it was made from
// (OpenSSL counts its references), so replacing it never disturbs open connections.
// Any thread.
class TlsContextHolder {
 public:
  explicit TlsContextHolder(std::unique_ptr<TlsContext> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<TlsSession> NewSession();
  void Replace(std::unique_ptr<TlsContext> ctx);

 private:
  std::mutex mu_;
  std::unique_ptr<TlsContext> ctx_;  // guarded by mu_
};

class TlsSession {
 public:
  explicit TlsSession(SSL_CTX* ctx);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Where the next read from the socket goes: at least 16 KiB after the ciphertext not yet
  // decrypted.  Then Received(n) with the count read.
  void ReadRoom(char** base, size_t* len);
  void Received(size_t n) { raw_len_ += n; }
  // Decrypts up to `room` bytes into `out`; returns the count (0: nothing yet), or -1 on a
  // fatal TLS error (the connection must close).  Ciphertext left over when `room` runs out
  // stays for the next call.
  long Decrypt(char* out, size_t room);
  // Encrypts plaintext to send, or keeps it until the handshake allows.  Returns false on a
  // fatal TLS error.
  bool Encrypt(std::string_view plain);
  // Moves the ciphertext waiting to be written (handshake records included) to the end of
  // *out: a swap when *out is empty.
  void TakeCiphertext(std::string* out);
  bool failed() const { return failed_; }

 private:
  friend struct TlsBio;
  bool Pump();  // encrypts what the handshake now allows; false on a fatal error

  SSL* ssl_;
  // Ciphertext from the socket: [raw_pos_, raw_len_) not yet taken by OpenSSL.
  std::string raw_;
  size_t raw_pos_ = 0;
  size_t raw_len_ = 0;
  std::string cipher_;         // ciphertext OpenSSL produced, not yet taken by Flush
  std::string pending_plain_;  // plaintext held back by the handshake
  bool failed_ = false;
};

}  // namespace tessera::server::net
