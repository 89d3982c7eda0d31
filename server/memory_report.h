// The memory breakdown behind INFO memory, MEMORY STATS and MEMORY DOCTOR (Redis's
// getMemoryOverheadData).
//
// used_memory is jemalloc's count of allocated bytes (DESIGN 4).  Of it, the "overhead" is what
// the server holds apart from the data: the memory it had when it was ready to serve
// (used_memory_startup), client buffers, the AOF's pending write-log bytes, the script caches
// and, per database, the keyspace's tables (hash-table slots and the expiry index).  The
// dataset is the rest: keys' entries and their values.  The split is computed in one pure
// function (FinishMemoryReport) from figures gathered by GatherMemoryReport, so the arithmetic
// is unit-tested without a server.
//
// Gathering reads jemalloc's statistics (an epoch refresh) and visits each shard under its
// lock: fine for INFO and MEMORY STATS, not for the command path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::server {

class Server;

struct MemoryReport {
  // Inputs.
  uint64_t total_allocated = 0;  // used_memory
  uint64_t startup_allocated = 0;
  uint64_t peak_allocated = 0;
  uint64_t allocator_active = 0;
  uint64_t allocator_resident = 0;
  uint64_t process_rss = 0;
  uint64_t repl_backlog = 0;    // no replication: 0
  uint64_t clients_slaves = 0;  // replicas' buffers (ClientEviction::replica_total)
  uint64_t clients_normal = 0;
  uint64_t cluster_links = 0;  // no cluster: 0
  uint64_t aof_buffer = 0;
  uint64_t lua_caches = 0;
  uint64_t functions_caches = 0;
  struct Db {
    int id = 0;
    uint64_t keys = 0;
    uint64_t overhead_main = 0;     // the hash table's slots
    uint64_t overhead_expires = 0;  // the expiry index
  };
  std::vector<Db> dbs;  // databases with keys only

  // Results (FinishMemoryReport).
  uint64_t overhead_total = 0;
  uint64_t total_keys = 0;
  uint64_t dataset = 0;
  uint64_t bytes_per_key = 0;
  double dataset_perc = 0;
  double peak_perc = 0;
  double allocator_frag = 0;
  int64_t allocator_frag_bytes = 0;
  double allocator_rss = 0;
  int64_t allocator_rss_bytes = 0;
  double rss_extra = 0;
  int64_t rss_extra_bytes = 0;
  double total_frag = 0;
  int64_t total_frag_bytes = 0;
};

// Computes the results from the inputs, as Redis does: the dataset is used memory less every
// overhead (never below 0), its percentage is of the memory used since start-up, bytes per key
// likewise; ratios of 0 / 0 are 0.
void FinishMemoryReport(MemoryReport* r);

// Reads every input from the running server and finishes the report.
MemoryReport GatherMemoryReport(Server& server);

// MEMORY DOCTOR's text (our own words, Redis's checks and thresholds): `clients` connected,
// `cached_scripts` in the EVAL cache.
std::string MemoryDoctorText(const MemoryReport& r, uint64_t clients, uint64_t cached_scripts);

}  // namespace tessera::server
