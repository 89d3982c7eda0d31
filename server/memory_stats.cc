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

MemoryStats ReadMemoryStats() {
  RefreshEpoch();
  MemoryStats s;
  s.allocated = ReadSizeStat("stats.allocated");
  s.active = ReadSizeStat("stats.active");
  s.resident = ReadSizeStat("stats.resident");
  s.rss = ReadRss();
  return s;
}

uint64_t ReadAllocatedBytes() {
  RefreshEpoch();
  return ReadSizeStat("stats.allocated");
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
