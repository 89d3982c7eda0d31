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

TlsSession::TlsSession(SSL_CTX* ctx)
    : ssl_(SSL_new(ctx)), rbio_(BIO_new(BIO_s_mem())), wbio_(BIO_new(BIO_s_mem())) {
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::Feed(const char* data, size_t len) {
  BIO_write(rbio_, data, static_cast<int>(len));
}

long TlsSession::Decrypt(char* out, size_t room) {
  if (failed_) return -1;
  size_t total = 0;
  while (total < room) {
    int n = SSL_read(ssl_, out + total, static_cast<int>(std::min<size_t>(room - total, 1 << 30)));
    if (n > 0) {
      total += static_cast<size_t>(n);
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
  if (!Pump()) return -1;
  return static_cast<long>(total);
}

bool TlsSession::Encrypt(std::string_view plain) {
  pending_plain_.append(plain);
  return Pump();
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
  return !failed_;
}

void TlsSession::TakeCiphertext(std::string* out) {
  char buf[16 * 1024];
  int n;
  while ((n = BIO_read(wbio_, buf, sizeof(buf))) > 0) out->append(buf, static_cast<size_t>(n));
}

}  // namespace tessera::server::net
