// SHA-1 (FIPS 180-4), for DEBUG DIGEST, script IDs (EVAL/EVALSHA/SCRIPT LOAD) and
// redis.sha1hex: Redis names scripts and digests datasets with SHA-1, so clients and the test
// suite expect its exact output.  Not for security: SHA-1 is broken for collision resistance;
// nothing here relies on that.
//
// The digest comes from OpenSSL's libcrypto (one well-kept implementation, not a hand-written
// second one): Of() is the one-shot SHA1(), the incremental form an EVP_MD_CTX.  Pure
// computation, so core/ may use it.  A Sha1 object is not thread-safe and not copyable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace tessera {

class Sha1 {
 public:
  using Digest = std::array<uint8_t, 20>;

  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void Reset();
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Returns the digest; the object must be Reset() before it is used again.
  Digest Final();

  static Digest Of(std::string_view s);

 private:
  EVP_MD_CTX* ctx_;
};

// Lower-case hexadecimal of the bytes (40 characters for a SHA-1 digest).
std::string ToHex(const uint8_t* bytes, size_t len);
inline std::string ToHex(const Sha1::Digest& d) { return ToHex(d.data(), d.size()); }

// The 40 lower-case hex digits of SHA-1(s) (Redis's sha1hex()).
inline std::string Sha1Hex(std::string_view s) { return ToHex(Sha1::Of(s)); }

}  // namespace tessera
