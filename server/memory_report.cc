#include "server/memory_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "server/memory_stats.h"
#include "server/server.h"

namespace tessera::server {

namespace {

double Ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : static_cast<double>(a) / static_cast<double>(b);
}
int64_t Diff(uint64_t a, uint64_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); }

}  // namespace

void FinishMemoryReport(MemoryReport* r) {
  uint64_t overhead = r->startup_allocated + r->repl_backlog + r->clients_slaves +
                      r->clients_normal + r->cluster_links + r->aof_buffer + r->lua_caches +
                      r->functions_caches;
  r->total_keys = 0;
  for (const MemoryReport::Db& db : r->dbs) {
    overhead += db.overhead_main + db.overhead_expires;
    r->total_keys += db.keys;
  }
  r->overhead_total = overhead;
  r->dataset = r->total_allocated > overhead ? r->total_allocated - overhead : 0;
  // Percentages and bytes per key are of the memory used since start-up.
  uint64_t net =
      r->total_allocated > r->startup_allocated ? r->total_allocated - r->startup_allocated : 1;
  r->dataset_perc = 100.0 * Ratio(r->dataset, net);
  r->bytes_per_key = r->total_keys != 0 ? net / r->total_keys : 0;
  r->peak_perc = 100.0 * Ratio(r->total_allocated, r->peak_allocated);
  r->allocator_frag = Ratio(r->allocator_active, r->total_allocated);
  r->allocator_frag_bytes = Diff(r->allocator_active, r->total_allocated);
  r->allocator_rss = Ratio(r->allocator_resident, r->allocator_active);
  r->allocator_rss_bytes = Diff(r->allocator_resident, r->allocator_active);
  r->rss_extra = Ratio(r->process_rss, r->allocator_resident);
  r->rss_extra_bytes = Diff(r->process_rss, r->allocator_resident);
  r->total_frag = Ratio(r->process_rss, r->total_allocated);
  r->total_frag_bytes = Diff(r->process_rss, r->total_allocated);
}

MemoryReport GatherMemoryReport(Server& server) {
  MemoryReport r;
  MemoryStats m = ReadMemoryStats();
  r.total_allocated = m.allocated;
  r.allocator_active = m.active;
  r.allocator_resident = m.resident;
  r.process_rss = m.rss;
  r.peak_allocated = server.metrics().UpdatePeakMemory(m.allocated);
  r.startup_allocated = server.startup_memory.load(std::memory_order_relaxed);
  r.clients_normal = server.client_eviction().total();
  r.clients_slaves = server.client_eviction().replica_total();
  if (server.config().appendonly.load(std::memory_order_relaxed)) {
    r.aof_buffer = server.write_log().PendingBytes();
  }
  r.lua_caches = server.scripts().scripts_bytes();
  keyspace::Keyspace& ks = server.keyspace();
  std::vector<MemoryReport::Db> dbs(static_cast<size_t>(ks.num_dbs()));
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    keyspace::Shard& shard = ks.shard(i);
    keyspace::ShardReadLock lock(shard.mutex());
    for (int db = 0; db < shard.num_dbs(); ++db) {
      const keyspace::DbTable& t = shard.db(db);
      MemoryReport::Db& d = dbs[static_cast<size_t>(db)];
      d.id = db;
      d.keys += t.table.size();
      d.overhead_main += t.table.BytesAllocated();
      d.overhead_expires += t.expiry_index.BytesAllocated();
    }
  }
  for (const MemoryReport::Db& d : dbs) {
    if (d.keys != 0) r.dbs.push_back(d);
  }
  FinishMemoryReport(&r);
  return r;
}

std::string MemoryDoctorText(const MemoryReport& r, uint64_t clients, uint64_t cached_scripts) {
  constexpr uint64_t kTenMb = 10 << 20;
  if (r.total_allocated < (5 << 20)) {
    return "Hello, this is the memory doctor. This instance holds almost no data (under 5 MB "
           "allocated), so there is nothing to diagnose yet: come back once it carries a real "
           "workload.\n";
  }
  std::vector<std::string> findings;
  if (Ratio(r.peak_allocated, r.total_allocated) > 1.5) {
    findings.push_back(
        " * Memory peak: at some point this instance had more than 1.5 times the memory it "
        "uses now allocated. Allocators rarely give such memory back at once, so the "
        "fragmentation figures look high; the pages are reused as the dataset grows again. To "
        "hand them back to the system now, try MEMORY PURGE.\n");
  }
  if (r.total_frag > 1.4 && r.total_frag_bytes > static_cast<int64_t>(kTenMb)) {
    findings.push_back(fmt::format(
        " * Resident memory well above what is allocated: the process's RSS is more than 1.4 "
        "times used_memory. A past memory peak (see above) is the usual cause and is harmless; "
        "otherwise the workload fragments the allocator's pages. Allocator in use: {}.\n",
        AllocatorName()));
  }
  if (r.allocator_frag > 1.1 && r.allocator_frag_bytes > static_cast<int64_t>(kTenMb)) {
    findings.push_back(
        " * Allocator fragmentation: the allocator's active pages exceed the bytes in live "
        "allocations by more than 10%. A past memory peak or a workload of mixed value sizes "
        "leaves partly used pages behind.\n");
  }
  if (r.allocator_rss > 1.1 && r.allocator_rss_bytes > static_cast<int64_t>(kTenMb)) {
    findings.push_back(
        " * Allocator resident overhead: the allocator keeps more than 10% more pages resident "
        "than it has in use, most likely freed after a memory peak. MEMORY PURGE returns "
        "them to the system.\n");
  }
  if (r.rss_extra > 1.1 && r.rss_extra_bytes > static_cast<int64_t>(kTenMb)) {
    findings.push_back(
        " * Resident memory outside the allocator: the process holds more than 10% more "
        "resident memory than the allocator accounts for (thread stacks, the Lua engines, "
        "libraries' own allocations).\n");
  }
  if (clients > 0 && r.clients_normal / clients > 200 * 1024) {
    findings.push_back(
        " * Large client buffers: the connected clients hold more than 200 KB each on "
        "average. Subscribers that read slower than messages arrive, big replies that are "
        "not read, or long pipelines fill them; CLIENT LIST shows which clients hold what.\n");
  }
  if (cached_scripts > 1000) {
    findings.push_back(
        " * Many cached scripts: more than 1000 scripts sit in the EVAL cache. Scripts that "
        "embed their data in the source instead of taking KEYS and ARGV are each cached "
        "anew; load them once (SCRIPT LOAD, EVALSHA), or call SCRIPT FLUSH from time to "
        "time.\n");
  }
  if (findings.empty()) {
    return "Hello, this is the memory doctor. I checked this instance's memory figures and "
           "found nothing that needs your attention.\n";
  }
  std::string text = "Hello, this is the memory doctor. Here is what I found:\n\n";
  for (const std::string& f : findings) {
    text += f;
    text += "\n";
  }
  text +=
      "Each finding above is a hint, not a verdict: INFO memory and MEMORY STATS have the "
      "figures behind it.\n";
  return text;
}

}  // namespace tessera::server
