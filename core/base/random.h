// The one pseudo-random generator of the server: SplitMix64 (Steele, Lea and Flood, "Fast
// splittable pseudorandom number generators", 2014).  Its finalizer makes every output bit
// depend on every bit of the state, so consecutive seeds give unrelated sequences.  It serves
// sampling (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY, where the expiry cycle
// starts), never secrets.  Core reads no global state: the caller chooses the seed.
#pragma once

#include <cassert>
#include <cstdint>

namespace tessera {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n), by multiplying into 128 bits (no modulo bias worth the name).
  // REQUIRES: n > 0.
  uint64_t Below(uint64_t n) {
    assert(n > 0);
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

}  // namespace tessera
