#include "core/base/sha1.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace tessera {

namespace {

// Fetched once: OpenSSL 3 looks the algorithm up (under a lock) on every call otherwise, which
// costs more than hashing a script.
const EVP_MD* Sha1Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

}  // namespace

Sha1::Sha1() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();  // out of memory
  Reset();
}

Sha1::~Sha1() { EVP_MD_CTX_free(ctx_); }

void Sha1::Reset() { EVP_DigestInit_ex(ctx_, Sha1Md(), nullptr); }

void Sha1::Update(const void* data, size_t len) { EVP_DigestUpdate(ctx_, data, len); }

Sha1::Digest Sha1::Final() {
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, d.data(), &len);
  return d;
}

Sha1::Digest Sha1::Of(std::string_view s) {
  // One context per thread, reused: no allocation per digest.
  thread_local Sha1 h;
  h.Reset();
  h.Update(s);
  return h.Final();
}

std::string ToHex(const uint8_t* bytes, size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(2 * len, '0');
  for (size_t i = 0; i < len; ++i) {
    s[2 * i] = kHex[bytes[i] >> 4];
    s[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return s;
}

}  // namespace tessera
