// Process memory figures for INFO memory, MEMORY STATS and the peak-memory sample.
//
// `allocated` is jemalloc's count of bytes in live allocations, less the blocks its thread
// caches hold after the program freed them (DESIGN 4: used_memory is the allocator's real
// count, not an estimate); `active` and `resident` are jemalloc's page-level
// figures; `rss` is the process's resident set from /proc/self/statm.  Reading refreshes
// jemalloc's statistics epoch, which takes a jemalloc-internal lock: fine for INFO and a
// 100 ms sample, not for the command path.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::server {

struct MemoryStats {
  uint64_t allocated = 0;
  uint64_t active = 0;
  uint64_t resident = 0;
  uint64_t rss = 0;
};

MemoryStats ReadMemoryStats();
// Only `allocated` (cheaper: no /proc read).
uint64_t ReadAllocatedBytes();
// Physical memory of the machine (INFO total_system_memory).
uint64_t TotalSystemMemory();
// "jemalloc-5.3.0" (INFO mem_allocator; the Redis test suite checks for "jemalloc").
std::string AllocatorName();
// jemalloc's malloc_stats_print() text (MEMORY MALLOC-STATS).
std::string AllocatorStatsText();
// Returns dirty pages of every arena to the OS (MEMORY PURGE); false if jemalloc refused.
bool PurgeAllocator();

}  // namespace tessera::server
