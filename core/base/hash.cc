#include "core/base/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tessera {

namespace {
uint64_t g_seed = 0x9e3779b97f4a7c15ULL;  // written once before any thread starts
}

void SetHashSeed(uint64_t seed) { g_seed = seed; }

uint64_t HashBytes(std::string_view bytes) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), g_seed);
}

}  // namespace tessera
