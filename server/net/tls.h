// TLS for client connections (OpenSSL), behind the same Connection: nothing above server/net
// knows whether a client speaks TLS.
//
// Approach: each TLS connection owns an SSL object wired to two memory BIOs.  Bytes libuv reads
// are fed to the read BIO and decrypted into the connection's input buffer; replies are
// encrypted into the write BIO and the ciphertext goes out through the usual libuv write path.
// The handshake runs inside those same calls (SSL_read/SSL_write in server mode), so there is
// no separate handshake state machine.  Rejected: handing the socket to OpenSSL (SSL_set_fd),
// which would take the socket away from libuv's event loop.
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
typedef struct bio_st BIO;

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

  // Bytes read from the socket.
  void Feed(const char* data, size_t len);
  // Decrypts up to `room` bytes into `out`; returns the count (0: nothing yet), or -1 on a
  // fatal TLS error (the connection must close).
  long Decrypt(char* out, size_t room);
  // Queues plaintext to send; it is encrypted as soon as the handshake allows.  Returns false
  // on a fatal TLS error.
  bool Encrypt(std::string_view plain);
  // Appends the ciphertext waiting to be written (handshake records included) to *out.
  void TakeCiphertext(std::string* out);
  bool failed() const { return failed_; }

 private:
  bool Pump();  // encrypts what the handshake now allows; false on a fatal error

  SSL* ssl_;
  BIO* rbio_;  // owned by ssl_
  BIO* wbio_;  // owned by ssl_
  std::string pending_plain_;
  bool failed_ = false;
};

}  // namespace tessera::server::net
