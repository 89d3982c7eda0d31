#include "server/memory_stats.h"

#include <fmt/format.h>
#include <jemalloc/jemalloc.h>
#include <unistd.h>

#include <cstdio>

namespace tessera::server {

namespace {

uint64_t ReadSizeStat(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

void RefreshEpoch() {
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);
}

uint64_t ReadRss() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

namespace {

// Bytes in live allocations.  jemalloc's stats.allocated also counts the blocks its thread
// caches hold: freed by the program but not yet returned to their arena (often more than half
// of an idle server's figure, and they come and go as threads fill and flush their caches).
// Those are not the program's: used_memory leaves them out, like Redis's own count of the
// bytes it allocated.  REQUIRES: a fresh epoch.
uint64_t LiveAllocatedBytes() {
  uint64_t allocated = ReadSizeStat("stats.allocated");
  std::string prefix = fmt::format("stats.arenas.{}.", MALLCTL_ARENAS_ALL);
  uint64_t cached = ReadSizeStat((prefix + "tcache_bytes").c_str()) +
                    ReadSizeStat((prefix + "tcache_stashed_bytes").c_str());
  return allocated > cached ? allocated - cached : 0;
}

}  // namespace

MemoryStats ReadMemoryStats() {
  RefreshEpoch();
  MemoryStats s;
  s.allocated = LiveAllocatedBytes();
  s.active = ReadSizeStat("stats.active");
  s.resident = ReadSizeStat("stats.resident");
  s.rss = ReadRss();
  return s;
}

uint64_t ReadAllocatedBytes() {
  RefreshEpoch();
  return LiveAllocatedBytes();
}

uint64_t TotalSystemMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

std::string AllocatorName() {
  return fmt::format("jemalloc-{}.{}.{}", JEMALLOC_VERSION_MAJOR, JEMALLOC_VERSION_MINOR,
                     JEMALLOC_VERSION_BUGFIX);
}

std::string AllocatorStatsText() {
  std::string out;
  malloc_stats_print(
      [](void* opaque, const char* text) { static_cast<std::string*>(opaque)->append(text); },
      &out, nullptr);
  return out;
}

bool PurgeAllocator() {
  // "arena.<MALLCTL_ARENAS_ALL>.purge" purges every arena at once.
  std::string name = fmt::format("arena.{}.purge", MALLCTL_ARENAS_ALL);
  return mallctl(name.c_str(), nullptr, nullptr, nullptr, 0) == 0;
}

}  // namespace tessera::server
