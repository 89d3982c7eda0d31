// Counts bytes requested from the global operator new while an AllocationCounter is alive,
// so tests can show that an operation allocates nothing (or little) on hostile input.
//
// alloc_counter.cc replaces the non-aligned global operator new/delete family for the whole
// unit-test binary: they forward to malloc/free and count only while a counter is active.
// Single-threaded use only; counters do not nest.
#pragma once

#include <cstddef>

namespace tessera::testing {

class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

  size_t bytes() const;
};

}  // namespace tessera::testing
