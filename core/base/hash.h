// The one hash function of the keyspace: XXH3-64 with a per-process seed, so that
// hash-flooding attacks cannot be prepared offline (Redis seeds SipHash the same way).
#pragma once

#include <cstdint>
#include <string_view>

namespace tessera {

// Sets the seed.  Call once at start-up, before any table exists.
void SetHashSeed(uint64_t seed);

uint64_t HashBytes(std::string_view bytes);

}  // namespace tessera
