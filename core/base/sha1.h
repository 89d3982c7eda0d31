// SHA-1 (FIPS 180-4), for DEBUG DIGEST now and EVALSHA/SCRIPT LOAD later: Redis names scripts
// and digests datasets with SHA-1, so clients and the test suite expect its exact output.
// Not for security: SHA-1 is broken for collision resistance; nothing here relies on that.
//
// Incremental: Update() any number of times, then Final().  A Sha1 object is not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

class Sha1 {
 public:
  using Digest = std::array<uint8_t, 20>;

  Sha1() { Reset(); }
  void Reset();
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Returns the digest; the object must be Reset() before it is used again.
  Digest Final();

  static Digest Of(std::string_view s) {
    Sha1 h;
    h.Update(s);
    return h.Final();
  }

 private:
  void Block(const uint8_t* p);
  uint32_t h_[5];
  uint64_t length_bytes_;
  uint8_t buf_[64];
  size_t buf_len_;
};

// Lower-case hexadecimal of the bytes (40 characters for a SHA-1 digest).
std::string ToHex(const uint8_t* bytes, size_t len);
inline std::string ToHex(const Sha1::Digest& d) { return ToHex(d.data(), d.size()); }

}  // namespace tessera
