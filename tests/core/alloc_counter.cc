#include "tests/core/alloc_counter.h"

#include <cstdlib>
#include <new>

namespace {
bool g_counting = false;
size_t g_bytes = 0;

void* Allocate(size_t n) noexcept {
  if (g_counting) g_bytes += n;
  return std::malloc(n ? n : 1);
}
}  // namespace

namespace tessera::testing {
AllocationCounter::AllocationCounter() {
  g_bytes = 0;
  g_counting = true;
}
AllocationCounter::~AllocationCounter() { g_counting = false; }
size_t AllocationCounter::bytes() const { return g_bytes; }
}  // namespace tessera::testing

// Every non-aligned form, so that no allocation from another form (e.g. the sanitizer's) is
// ever freed by ours.  The aligned forms stay the library's; they pair among themselves.
void* operator new(size_t n) {
  if (void* p = Allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = Allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
