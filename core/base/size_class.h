// The size jemalloc gives a request of `n` bytes (nallocx(n, 0)), computed here: a string's
// buffer is counted at its allocation several times per request (client memory), and the
// library call costs more than this arithmetic.  jemalloc 5 on x86-64 (16-byte quantum, four
// classes per doubling): 8, then multiples of 16 up to 128, then in each range (2^k, 2^(k+1)]
// the four steps of 2^(k-2).  tests/core/base/size_class_test.cc checks it against nallocx.
#pragma once

#include <bit>
#include <cstddef>

namespace tessera {

constexpr size_t AllocationSize(size_t n) {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~size_t{15};
  const int k = std::bit_width(n - 1) - 1;  // 2^k < n <= 2^(k+1)
  const size_t step = size_t{1} << (k - 2);
  return (n + step - 1) & ~(step - 1);
}

}  // namespace tessera
