#include "core/base/size_class.h"

#include <jemalloc/jemalloc.h>

#include <catch2/catch.hpp>

namespace tessera {
namespace {

TEST_CASE("AllocationSize is jemalloc's size class", "[size_class]") {
  size_t mismatches = 0;
  size_t first_mismatch = 0;
  auto check = [&](size_t n) {
    if (AllocationSize(n) != nallocx(n, 0) && mismatches++ == 0) first_mismatch = n;
  };
  for (size_t n = 1; n <= (size_t{1} << 20); ++n) check(n);
  // Past a MiB: around each power of two and its quarter steps.
  for (size_t p = size_t{1} << 20; p <= (size_t{1} << 34); p <<= 1) {
    for (size_t q = 0; q < 4; ++q) {
      const size_t base = p + q * (p / 4);
      for (size_t d : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}}) {
        check(base - d);
        check(base + d);
      }
    }
  }
  INFO("first mismatch at " << first_mismatch << ": " << AllocationSize(first_mismatch)
                            << " vs nallocx " << nallocx(first_mismatch, 0));
  CHECK(mismatches == 0);
  CHECK(AllocationSize(1) == 8);
  CHECK(AllocationSize(129) == 160);
  CHECK(AllocationSize(16385) == 20480);
}

}  // namespace
}  // namespace tessera
