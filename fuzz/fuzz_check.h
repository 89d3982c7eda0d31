// A failed check of a fuzz target prints what differed and aborts; libFuzzer then saves the
// input.  (Allocations are counted with tests/core/alloc_counter.h, linked into every target.)
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      __VA_OPT__(std::fprintf(stderr, __VA_ARGS__); std::fputc('\n', stderr);)             \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
