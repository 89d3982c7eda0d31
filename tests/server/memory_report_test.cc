// The pure parts of the memory figures: the used_memory breakdown (memory_report.h), the
// MEMORY DOCTOR verdicts, the maxmemory-clients limit (client_eviction.h) and oom-score-adj
// on a stand-in for /proc/self/oom_score_adj (oom_score.h).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <string>

#include "server/client_eviction.h"
#include "server/client_state.h"
#include "server/memory_report.h"
#include "server/oom_score.h"

namespace tessera::server {
namespace {

constexpr uint64_t kMb = 1024 * 1024;

MemoryReport Base() {
  MemoryReport r;
  r.total_allocated = 10 * kMb;
  r.startup_allocated = 2 * kMb;
  r.peak_allocated = 12 * kMb;
  r.allocator_active = 11 * kMb;
  r.allocator_resident = 12 * kMb;
  r.process_rss = 14 * kMb;
  r.clients_normal = 100000;
  r.aof_buffer = 5000;
  r.lua_caches = 3000;
  r.dbs.push_back({0, 1000, 16384, 4096});
  r.dbs.push_back({3, 10, 512, 0});
  return r;
}

TEST_CASE("memory report: overhead, dataset and per-key figures", "[memory_report]") {
  MemoryReport r = Base();
  FinishMemoryReport(&r);
  uint64_t overhead = 2 * kMb + 100000 + 5000 + 3000 + 16384 + 4096 + 512;
  CHECK(r.overhead_total == overhead);
  CHECK(r.dataset == 10 * kMb - overhead);
  CHECK(r.total_keys == 1010);
  CHECK(r.bytes_per_key == (8 * kMb) / 1010);  // of the memory used since start-up
  CHECK(r.dataset_perc == Approx(100.0 * static_cast<double>(r.dataset) / (8 * kMb)));
  CHECK(r.peak_perc == Approx(100.0 * 10 / 12));
  CHECK(r.allocator_frag == Approx(1.1));
  CHECK(r.allocator_frag_bytes == static_cast<int64_t>(kMb));
  CHECK(r.allocator_rss == Approx(12.0 / 11));
  CHECK(r.rss_extra == Approx(14.0 / 12));
  CHECK(r.rss_extra_bytes == static_cast<int64_t>(2 * kMb));
  CHECK(r.total_frag == Approx(1.4));
  CHECK(r.total_frag_bytes == static_cast<int64_t>(4 * kMb));
}

TEST_CASE("memory report: no negative dataset, no division by zero", "[memory_report]") {
  MemoryReport r;
  r.total_allocated = 1000;
  r.startup_allocated = 5000;  // used memory below start-up (freed since)
  FinishMemoryReport(&r);
  CHECK(r.dataset == 0);
  CHECK(r.dataset_perc == 0);
  CHECK(r.bytes_per_key == 0);
  CHECK(r.peak_perc == 0);
  CHECK(r.allocator_frag == 0);
  CHECK(r.total_frag == 0);
}

TEST_CASE("MEMORY DOCTOR: empty, healthy and each finding", "[memory_report]") {
  MemoryReport small;
  small.total_allocated = kMb;
  FinishMemoryReport(&small);
  CHECK(MemoryDoctorText(small, 1, 0).find("almost no data") != std::string::npos);

  MemoryReport healthy;
  healthy.total_allocated = 100 * kMb;
  healthy.peak_allocated = 110 * kMb;
  healthy.allocator_active = 102 * kMb;
  healthy.allocator_resident = 104 * kMb;
  healthy.process_rss = 108 * kMb;
  FinishMemoryReport(&healthy);
  CHECK(MemoryDoctorText(healthy, 10, 0).find("found nothing") != std::string::npos);

  MemoryReport sick = healthy;
  sick.peak_allocated = 200 * kMb;    // peak > 1.5 x used
  sick.allocator_active = 150 * kMb;  // allocator fragmentation
  sick.allocator_resident = 200 * kMb;
  sick.process_rss = 260 * kMb;
  sick.clients_normal = 10 * kMb;
  FinishMemoryReport(&sick);
  std::string text = MemoryDoctorText(sick, 10, 2000);
  for (const char* finding :
       {"Memory peak", "Resident memory well above", "Allocator fragmentation",
        "Allocator resident overhead", "Resident memory outside", "Large client buffers",
        "Many cached scripts"}) {
    CHECK(text.find(finding) != std::string::npos);
  }
  // Each check stays quiet below its threshold.
  CHECK(MemoryDoctorText(sick, 1000, 10).find("Large client buffers") == std::string::npos);
  CHECK(MemoryDoctorText(sick, 1000, 10).find("Many cached scripts") == std::string::npos);
}

TEST_CASE("maxmemory-clients: bytes, percent of maxmemory, floor", "[client_eviction]") {
  CHECK(ClientEviction::Limit(0, 100 * kMb) == 0);
  CHECK(ClientEviction::Limit(3000000, 0) == 3000000);
  CHECK(ClientEviction::Limit(-7, 6 * kMb) == 6 * kMb * 7 / 100);
  CHECK(ClientEviction::Limit(-7, 0) == 0);  // a percentage of no limit is no limit
  CHECK(ClientEviction::Limit(1, 0) == 128 * 1024);
  CHECK(ClientEviction::Limit(-1, kMb) == 128 * 1024);
}

TEST_CASE("client eviction: reports move the total, forgotten clients leave it",
          "[client_eviction]") {
  ClientEviction e;
  ClientState a, b;
  e.Report(a, 1000);
  e.Report(b, 500);
  CHECK(e.total() == 1500);
  e.Report(a, 200);  // shrank
  CHECK(e.total() == 700);
  e.Report(a, 200);  // unchanged: nothing moves
  CHECK(e.total() == 700);
  e.Forget(a);
  CHECK(e.total() == 500);
  e.Report(a, 999);  // a closed (or evicted) client reports nothing more
  CHECK(e.total() == 500);
  e.Forget(a);  // twice is harmless
  CHECK(e.total() == 500);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

TEST_CASE("oom-score-adj: relative, absolute, restored, clamped", "[oom_score]") {
  char name[] = "/tmp/tessera-oom-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << "22\n";
  OomScoreAdjuster oom(name);
  std::string err;
  CHECK(oom.Apply(0, 100, &err));  // off and never changed: untouched
  CHECK(ReadFile(name) == "22");
  CHECK(oom.Apply(1, 9, &err));  // relative: added to the original score
  CHECK(ReadFile(name) == "31");
  CHECK(oom.Apply(1, 15, &err));  // still relative to the original, not to 31
  CHECK(ReadFile(name) == "37");
  CHECK(oom.Apply(2, 9, &err));  // absolute
  CHECK(ReadFile(name) == "9");
  CHECK(oom.Apply(1, 2000, &err));  // clamped
  CHECK(ReadFile(name) == "1000");
  CHECK(oom.Apply(0, 0, &err));  // off: the original comes back
  CHECK(ReadFile(name) == "22");
  std::remove(name);
  OomScoreAdjuster missing("/nonexistent/oom_score_adj");
  CHECK_FALSE(missing.Apply(1, 5, &err));
  CHECK(err == "Failed to set current oom_score_adj. Check server logs.");
}

}  // namespace
}  // namespace tessera::server
