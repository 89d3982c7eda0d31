#include "server/net/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cstring>
#include <sstream>
#include <vector>

#include "server/config/config.h"

namespace tessera::server::net {

namespace {

std::string LastSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

int PasswordCallback(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || pass->empty()) return 0;
  int n = std::min(size, static_cast<int>(pass->size()));
  std::memcpy(buf, pass->data(), static_cast<size_t>(n));
  return n;
}

// tls-protocols: "TLSv1.2 TLSv1.3" style; "" = TLSv1.2 and TLSv1.3, as Redis.
bool ApplyProtocols(SSL_CTX* ctx, const std::string& protocols, std::string* error) {
  int min = 0, max = 0;
  std::istringstream in(protocols);
  std::string p;
  bool any = false;
  while (in >> p) {
    int v = 0;
    if (p == "TLSv1") {
      v = TLS1_VERSION;
    } else if (p == "TLSv1.1") {
      v = TLS1_1_VERSION;
    } else if (p == "TLSv1.2") {
      v = TLS1_2_VERSION;
    } else if (p == "TLSv1.3") {
      v = TLS1_3_VERSION;
    } else {
      *error =
          "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
          "'TLSv1.2' and 'TLSv1.3'.";
      return false;
    }
    min = any ? std::min(min, v) : v;
    max = any ? std::max(max, v) : v;
    any = true;
  }
  if (!any) {
    min = TLS1_2_VERSION;
    max = TLS1_3_VERSION;
  }
  SSL_CTX_set_min_proto_version(ctx, min);
  SSL_CTX_set_max_proto_version(ctx, max);
  return true;
}

}  // namespace

std::unique_ptr<TlsContext> TlsContext::Create(const ServerConfig& c, std::string* error) {
  // Whatever the outcome, no error stays queued on this thread (CONFIG SET runs this on a
  // worker): sessions do not clear the queue before each SSL_read / SSL_write, and a stale
  // entry would make the worker's next SSL_get_error report a failure on a sound connection.
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  if (c.tls_cert_file.Get().empty() || c.tls_key_file.Get().empty()) {
    *error = "Failed to configure TLS: tls-cert-file and tls-key-file are required";
    return nullptr;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = "Failed to create TLS context: " + LastSslError();
    return nullptr;
  }
  std::unique_ptr<TlsContext> out(new TlsContext);
  out->ctx_ = ctx;
  out->key_pass_ = c.tls_key_file_pass.Get();
  const std::string cert_file = c.tls_cert_file.Get();
  const std::string key_file = c.tls_key_file.Get();
  const std::string ca_file = c.tls_ca_cert_file.Get();
  const std::string ca_dir = c.tls_ca_cert_dir.Get();
  const std::string ciphers = c.tls_ciphers.Get();
  const std::string ciphersuites = c.tls_ciphersuites.Get();
  const int auth_clients = c.tls_auth_clients.load(std::memory_order_relaxed);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE);
  if (c.tls_prefer_server_ciphers.load()) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(
      ctx, c.tls_session_caching ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
  if (!ApplyProtocols(ctx, c.tls_protocols.Get(), error)) return nullptr;
  SSL_CTX_set_default_passwd_cb(ctx, PasswordCallback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &out->key_pass_);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) <= 0) {
    *error = "Failed to load certificate: " + cert_file + ": " + LastSslError();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) <= 0) {
    *error = "Failed to load private key: " + key_file + ": " + LastSslError();
    return nullptr;
  }
  if (!ca_file.empty() || !ca_dir.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.empty() ? nullptr : ca_file.c_str(),
                                      ca_dir.empty() ? nullptr : ca_dir.c_str()) <= 0) {
      *error = "Failed to configure CA certificate(s) file/directory: " + LastSslError();
      return nullptr;
    }
  } else if (auth_clients != 0) {
    *error =
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
        "tls-cluster, tls-replication or tls-port are enabled!";
    return nullptr;
  }
  const std::string dh_file = c.tls_dh_params_file.Get();
  if (!dh_file.empty()) {
    BIO* bio = BIO_new_file(dh_file.c_str(), "r");
    EVP_PKEY* dh = bio != nullptr ? PEM_read_bio_Parameters(bio, nullptr) : nullptr;
    if (bio != nullptr) BIO_free(bio);
    if (dh == nullptr || SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
      if (dh != nullptr) EVP_PKEY_free(dh);
      *error = "Failed to load DH params file: " + dh_file + ": " + LastSslError();
      return nullptr;
    }
  } else {
    SSL_CTX_set_dh_auto(ctx, 1);
  }
  if (!ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, ciphers.c_str())) {
    *error = "Failed to configure ciphers: " + ciphers;
    return nullptr;
  }
  if (!ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx, ciphersuites.c_str())) {
    *error = "Failed to configure ciphersuites: " + ciphersuites;
    return nullptr;
  }
  int verify = SSL_VERIFY_NONE;
  if (auth_clients == 1) verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  if (auth_clients == 2) verify = SSL_VERIFY_PEER;
  SSL_CTX_set_verify(ctx, verify, nullptr);
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsSession> TlsContextHolder::NewSession() {
  std::lock_guard lock(mu_);
  return std::make_unique<TlsSession>(ctx_->ctx());
}

void TlsContextHolder::Replace(std::unique_ptr<TlsContext> ctx) {
  std::unique_ptr<TlsContext> old;
  std::lock_guard lock(mu_);
  old = std::move(ctx_);
  ctx_ = std::move(ctx);
}

// The BIO between OpenSSL and a session's buffers: reads take ciphertext from the session's
// input buffer (a retryable failure when it is used up, which SSL_read reports as WANT_READ),
// writes append to its output string and never fail.
struct TlsBio {
  static int Write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    auto* s = static_cast<TlsSession*>(BIO_get_data(b));
    s->cipher_.append(data, static_cast<size_t>(len));
    return len;
  }
  static int Read(BIO* b, char* out, int len) {
    BIO_clear_retry_flags(b);
    auto* s = static_cast<TlsSession*>(BIO_get_data(b));
    size_t n = std::min(s->raw_len_ - s->raw_pos_, static_cast<size_t>(len));
    if (n == 0) {
      BIO_set_retry_read(b);
      return -1;
    }
    std::memcpy(out, s->raw_.data() + s->raw_pos_, n);
    s->raw_pos_ += n;
    return static_cast<int>(n);
  }
  static long Ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING: {
        auto* s = static_cast<TlsSession*>(BIO_get_data(b));
        return static_cast<long>(s->raw_len_ - s->raw_pos_);
      }
      default:
        return 0;  // WPENDING (nothing is ever held), EOF, kTLS queries...: no
    }
  }
  static int Create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
  static const BIO_METHOD* Method() {
    static BIO_METHOD* method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tessera tls");
      BIO_meth_set_write(m, Write);
      BIO_meth_set_read(m, Read);
      BIO_meth_set_ctrl(m, Ctrl);
      BIO_meth_set_create(m, Create);
      return m;
    }();
    return method;
  }
};

namespace {
// Room libuv gets for each read, as for plain connections.
constexpr size_t kRawChunk = 16 * 1024;
// A ciphertext output buffer larger than this (a big reply) is freed once taken.
constexpr size_t kCipherKeep = 64 * 1024;
}  // namespace

TlsSession::TlsSession(SSL_CTX* ctx) : ssl_(SSL_new(ctx)) {
  BIO* bio = BIO_new(TlsBio::Method());
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_
  // The BIO takes every byte at once: SSL_write may encrypt a whole batch in one call.
  SSL_clear_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE);
  // One BIO read per record batch instead of a header read and a body read per record.
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::ReadRoom(char** base, size_t* len) {
  if (raw_pos_ == raw_len_) {
    raw_pos_ = raw_len_ = 0;
  } else if (raw_pos_ > 0 && raw_.size() - raw_len_ < kRawChunk) {
    std::memmove(raw_.data(), raw_.data() + raw_pos_, raw_len_ - raw_pos_);
    raw_len_ -= raw_pos_;
    raw_pos_ = 0;
  }
  if (raw_.size() - raw_len_ < kRawChunk) raw_.resize(raw_len_ + kRawChunk);
  *base = raw_.data() + raw_len_;
  *len = raw_.size() - raw_len_;
}

long TlsSession::Decrypt(char* out, size_t room) {
  if (failed_) return -1;
  size_t total = 0;
  while (total < room) {
    int n = SSL_read(ssl_, out + total, static_cast<int>(std::min<size_t>(room - total, 1 << 30)));
    if (n > 0) {
      total += static_cast<size_t>(n);
      // Everything read is decrypted: no SSL_read that would only end in WANT_READ.
      if (raw_pos_ == raw_len_ && SSL_has_pending(ssl_) == 0) break;
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
    if (err == SSL_ERROR_ZERO_RETURN && total > 0) break;
    failed_ = true;
    ERR_clear_error();
    return total > 0 ? static_cast<long>(total) : -1;
  }
  // Reading may have finished the handshake: replies queued before it can go now.
  if (!pending_plain_.empty() && !Pump()) return -1;
  return static_cast<long>(total);
}

bool TlsSession::Encrypt(std::string_view plain) {
  if (failed_) return false;
  if (!pending_plain_.empty()) {
    pending_plain_.append(plain);
    return Pump();
  }
  while (!plain.empty()) {
    int n =
        SSL_write(ssl_, plain.data(), static_cast<int>(std::min<size_t>(plain.size(), 1 << 30)));
    if (n > 0) {
      plain.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {  // handshake first
      pending_plain_.assign(plain);
      return true;
    }
    failed_ = true;
    ERR_clear_error();
    return false;
  }
  return true;
}

bool TlsSession::Pump() {
  while (!pending_plain_.empty() && !failed_) {
    int n = SSL_write(ssl_, pending_plain_.data(),
                      static_cast<int>(std::min<size_t>(pending_plain_.size(), 1 << 30)));
    if (n > 0) {
      pending_plain_.erase(0, static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;  // handshake first
    failed_ = true;
    ERR_clear_error();
  }
  if (pending_plain_.empty() && pending_plain_.capacity() > kCipherKeep) {
    std::string().swap(pending_plain_);
  }
  return !failed_;
}

void TlsSession::TakeCiphertext(std::string* out) {
  if (cipher_.empty()) return;
  if (out->empty()) {
    out->swap(cipher_);
    cipher_.clear();
  } else {
    out->append(cipher_);
    cipher_.clear();
  }
  if (cipher_.capacity() > kCipherKeep) std::string().swap(cipher_);
}

}  // namespace tessera::server::net
